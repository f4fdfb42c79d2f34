package sane

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// testConf is the configuration of SANE's own "test" backend (shipped in
// libsane1) used by every test: two virtual devices, 8-bit grey, 50 dpi,
// an 80x100 mm area inside a 200x200 mm bed.
const testConf = `number_of_devices 2
mode Gray
depth 8
hand-scanner false
three-pass false
three-pass-order RGB
resolution_min 1.0
resolution_max 1200.0
resolution_quant 1.0
resolution 50.0
test-picture "Solid black"
read-limit false
read-limit-size 1
read-delay false
read-delay-duration 1000
read-status-code "Default"
fuzzy-parameters false
ppl-loss 0
non-blocking false
select-fd false
enable-test-options false
geometry_min 0.0
geometry_max 200.0
geometry_quant 1.0
tl_x 0.0
tl_y 0.0
br_x 80.0
br_y 100.0
`

// TestMain points SANE_CONFIG_DIR at a temporary folder that enables only the
// test backend; it must be set before the first sane_init of this process.
func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "sohoa-sane-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, "dll.conf"), []byte("test\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := os.WriteFile(filepath.Join(dir, "test.conf"), []byte(testConf), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		os.Setenv("SANE_CONFIG_DIR", dir)
		return m.Run()
	}())
}
