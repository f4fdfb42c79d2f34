package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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

// TestGUIStopsOnSIGTERM: the real window, under Xvfb, on a fresh data folder: SIGTERM (as a
// session logout or `systemctl stop` sends) closes it and the process exits 0 with its store
// closed; before, the window ignored the signal and only SIGKILL ended it.
func TestGUIStopsOnSIGTERM(t *testing.T) {
	display := startXvfb(t)
	data := t.TempDir()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SOHOA_MAIN_CHILD=1", "SOHOA_MAIN_ARGS=--data "+data,
		"DISPLAY="+display, "HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir(), "LANG=vi_VN.UTF-8")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The window is up once the store exists and the window is mapped on the display.
	up := false
	for i := 0; i < 600 && !up; i++ {
		select {
		case err := <-exited:
			t.Fatalf("the workstation exited before the signal: %v\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := os.Stat(filepath.Join(data, "sohoa.db")); err != nil {
			continue
		}
		tree, _ := exec.Command("xwininfo", "-display", display, "-root", "-tree").Output()
		up = strings.Contains(string(tree), `"SoHoa"`)
	}
	if !up {
		t.Fatalf("the window never showed\n%s", out.String())
	}
	select {
	case err := <-exited:
		t.Fatalf("the workstation exited before the signal: %v\n%s", err, out.String())
	case <-time.After(2 * time.Second):
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("after SIGTERM: %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second): // a hang, not a speed limit
		cmd.Process.Kill()
		t.Fatalf("the workstation ignored SIGTERM\n%s", out.String())
	}
	// The store was closed cleanly: no write-ahead log left behind to replay.
	if _, err := os.Stat(filepath.Join(data, "sohoa.db-wal")); err == nil {
		if fi, _ := os.Stat(filepath.Join(data, "sohoa.db-wal")); fi.Size() > 0 {
			t.Errorf("the store was not closed: %d bytes of WAL left", fi.Size())
		}
	}
}

// startXvfb starts a virtual X display for the test and returns its name (":N").
func startXvfb(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Fatal("Xvfb is needed (Debian package xvfb; `make setup` installs it)")
	}
	for n := 90 + os.Getpid()%50; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		x := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", "1280x800x24", "-nolisten", "tcp")
		if err := x.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { x.Process.Kill(); x.Wait() })
		for i := 0; i < 100; i++ {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				return fmt.Sprintf(":%d", n)
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("Xvfb :%d did not start", n)
	}
	t.Fatal("no free X display number")
	return ""
}

// TestCommandStopsOnSIGINT: the real process, `sohoa watch` (it runs until stopped) on a fresh
// data folder: Ctrl+C (SIGINT) reaches the command through main's root context and it exits
// 130, saying it stopped with its work kept.
func TestCommandStopsOnSIGINT(t *testing.T) {
	data, in := t.TempDir(), t.TempDir()
	env := append(os.Environ(), "SOHOA_MAIN_CHILD=1", "SOHOA_DATA="+data, "SOHOA_USER=admin",
		"SOHOA_PASSWORD=mat-khau-quan-tri-1", "SOHOA_NEW_PASSWORD=mat-khau-quan-tri-1", "LANG=vi_VN.UTF-8", "SOHOA_LANG=")
	run := func(args string) string {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(env, "SOHOA_MAIN_ARGS="+args)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("sohoa %s: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	run("user add --username admin --name Quản_Trị --role admin,clerk")
	run("settings office HN-01")
	batch := run("batch new --type birth --name thu")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(env, "SOHOA_MAIN_ARGS=watch --batch "+batch+" "+in)
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// watch says on standard error that it is watching; then it is interrupted.
	var stderr strings.Builder
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stderrPipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l, ok := <-lines:
		if !ok {
			t.Fatal("watch ended without a word")
		}
		stderr.WriteString(l + "\n")
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("watch said nothing")
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() {
		for l := range lines {
			stderr.WriteString(l + "\n")
		}
		exited <- cmd.Wait()
	}()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 130 {
			t.Fatalf("watch after SIGINT: %v, want exit 130\n%s", err, stderr.String())
		}
		if !strings.Contains(stderr.String(), "đã dừng") {
			t.Fatalf("no word that it stopped: %q", stderr.String())
		}
	case <-time.After(60 * time.Second): // a hang, not a speed limit
		cmd.Process.Kill()
		t.Fatalf("watch ignored SIGINT\n%s", stderr.String())
	}
}
