package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets the test binary act as sohoa itself (SOHOA_MAIN_CHILD=1), so that a test can
// run the real process start-up: package initialisation order included.
func TestMain(m *testing.M) {
	if os.Getenv("SOHOA_MAIN_CHILD") == "1" {
		os.Args = append([]string{"sohoa"}, strings.Fields(os.Getenv("SOHOA_MAIN_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestNoLocaleErrorUnderCUTF8: under LANG=C.UTF-8 (Debian's default on servers and in CI) the
// process starts without Fyne's "Error parsing user locale C" (internal/localeenv), and the
// command still speaks Vietnamese.
func TestNoLocaleErrorUnderCUTF8(t *testing.T) {
	for _, env := range [][]string{{"LANG=C.UTF-8"}, {"LANG=C.UTF-8", "LC_ALL=C.UTF-8"}} {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "SOHOA_MAIN_CHILD=1", "SOHOA_MAIN_ARGS=help", "LANGUAGE=")
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: sohoa help: %v\n%s", env, err, out)
		}
		if strings.Contains(string(out), "Error parsing user locale") {
			t.Errorf("%v: locale error printed:\n%s", env, out)
		}
		if !strings.Contains(string(out), "sohoa") {
			t.Errorf("%v: no help text:\n%s", env, out)
		}
	}
}
