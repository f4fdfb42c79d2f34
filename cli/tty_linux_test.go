package cli

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal and returns its terminal side.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pts.Close() })
	return pts
}

// TestBinaryToTerminalRefused: `separator-sheet --out -` on a terminal writes no PNG bytes
// there; it says why in Vietnamese and exits 2.
func TestBinaryToTerminalRefused(t *testing.T) {
	r := newRunner(t)
	tty := openPTY(t)
	var errb bytes.Buffer
	code := Run(t.Context(), []string{"separator-sheet", "--out", "-", "--data", r.data},
		Env{Stdin: strings.NewReader(""), Stdout: tty, Stderr: &errb, Getenv: func(k string) string { return r.env[k] }})
	if code != exitUsage || !strings.Contains(errb.String(), "sohoa separator-sheet: không ghi dữ liệu nhị phân ra màn hình") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if !(&cmdCtx{env: Env{Stdout: tty}}).stdoutIsTerminal() {
		t.Fatal("the pseudo-terminal is not seen as a terminal")
	}
}
