// Package sanetest points SANE at its own "test" backend (libsane1) for the tests that scan
// with real SANE: a configuration folder enabling only that backend, with the given
// test.conf.
package sanetest

import (
	"fmt"
	"os"
	"path/filepath"
)

// Configure writes dll.conf (the test backend only) and testConf as test.conf into a folder
// named after name and the user (rewritten on every run, so nothing is left behind per run)
// and sets SANE_CONFIG_DIR to it. SANE reads it at its first initialisation in the process,
// so call it at package initialisation; child processes of the test inherit it.
func Configure(name, testConf string) string {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("sohoa-%s-sane-%d", name, os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		panic(err)
	}
	for file, body := range map[string]string{"dll.conf": "test\n", "test.conf": testConf} {
		tmp := filepath.Join(dir, fmt.Sprintf("%s.%d", file, os.Getpid()))
		if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
			panic(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, file)); err != nil {
			panic(err)
		}
	}
	os.Setenv("SANE_CONFIG_DIR", dir)
	return dir
}

// SmallBed is a test.conf for one device with a small 60×60 mm bed, 8-bit grey: a whole-bed
// page at 75 dpi is 177×177 pixels; its feeder holds 10 sheets per job.
const SmallBed = `number_of_devices 1
mode Gray
depth 8
resolution 75.0
test-picture "Color pattern"
read-limit false
read-delay false
read-status-code "Default"
geometry_min 0.0
geometry_max 60.0
geometry_quant 1.0
`
