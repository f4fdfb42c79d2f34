package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeMarker marks the README's command block that TestReadmeCommands runs.
const readmeMarker = "<!-- readme-test -->"

// readmeBlock returns the lines of the fenced block after the marker.
func readmeBlock(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	state := 0 // 0: before the marker, 1: before the fence, 2: inside
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case state == 0 && strings.TrimSpace(l) == readmeMarker:
			state = 1
		case state == 1 && strings.HasPrefix(l, "```"):
			state = 2
		case state == 1 && strings.TrimSpace(l) != "":
			t.Fatalf("README: %s is not followed by a fenced block: %q", readmeMarker, l)
		case state == 2 && strings.HasPrefix(l, "```"):
			return lines
		case state == 2:
			lines = append(lines, l)
		}
	}
	t.Fatalf("README.md has no complete block after %s", readmeMarker)
	return nil
}

// buildBinaries builds sohoa and sohoa-central (as make build does) into dir/bin.
func buildBinaries(t *testing.T, dir string) {
	t.Helper()
	goBin := "/usr/local/go/bin/go" // the README's Go, when go is not on PATH
	if p, err := exec.LookPath("go"); err == nil {
		goBin = p
	}
	for pkg, name := range map[string]string{".": "sohoa", "./cmd/sohoa-central": "sohoa-central"} {
		cmd := exec.Command(goBin, "build", "-tags", "sqlite_fts5", "-o", filepath.Join(dir, "bin", name), pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
}

// TestReadmeCommands runs the README's marked command block line by line, as written, with the
// built binaries, on a fresh data folder: each line must exit 0 (the line that failed is named),
// and what the block claims shows in its output — the documents imported and read, the batch
// signed, verified and trusted, enrollment pinning the fingerprint `sohoa-central status`
// printed, the upload receipted, the audit chain intact.
func TestReadmeCommands(t *testing.T) {
	lines := readmeBlock(t)
	if len(lines) < 20 {
		t.Fatalf("the README block has %d lines", len(lines))
	}
	// The block's server listens on 127.0.0.1:8443, as written: it must be free.
	if l, err := net.Listen("tcp", "127.0.0.1:8443"); err != nil {
		t.Fatalf("port 8443 is taken, the README block cannot run its central server: %v", err)
	} else {
		l.Close()
	}
	dir := t.TempDir()
	buildBinaries(t, dir)

	var script strings.Builder
	script.WriteString("set -o pipefail\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		if strings.HasSuffix(strings.TrimSpace(l), "\\") {
			t.Fatalf("README block line %d continues on the next line: write each command on one line", i+1)
		}
		fmt.Fprintf(&script, "printf '%%s\\n' %s >&2\n%s\nrc=$?; if [ $rc -ne 0 ]; then echo \"README block line %d failed (exit $rc)\" >&2; exit 1; fi\n",
			shellQuote("+ "+l), l, i+1)
	}
	path := filepath.Join(dir, "readme.sh")
	if err := os.WriteFile(path, []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	home, tmp := filepath.Join(dir, "home"), filepath.Join(dir, "tmp")
	for _, d := range []string{home, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", path)
	cmd.Dir = dir // the block's first line puts $PWD/bin on PATH: the binaries just built
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SOHOA_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "TMPDIR=") &&
			!strings.HasPrefix(kv, "LANG=") && !strings.HasPrefix(kv, "LC_") && !strings.HasPrefix(kv, "LANGUAGE=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HOME="+home, "TMPDIR="+tmp, "LANG=C.UTF-8")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Whatever happens, nothing the block started (the central server) outlives the test.
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the README block failed: %v\n%s", err, out.String())
		}
	case <-time.After(10 * time.Minute): // a hang, not a speed limit
		t.Fatalf("the README block hung\n%s", out.String())
	}
	s := out.String()
	for _, want := range []string{
		"✓ Tesseract",
		"3 tệp: đã lưu 3 tài liệu",                         // import
		"OCR: 4 trang xong, 0 lỗi, 0 chờ",                  // ocr
		"đã gửi duyệt (lượt 1): 3 hồ sơ",                   // submit
		"đã được Lê Thị Bình phê duyệt",                    // approve
		"đã được Lê Thị Bình ký: 3 hồ sơ",                  // sign
		"người ký được tin cậy",                            // verify --trust
		"hàng đợi gửi: 0 đang chờ, 0 bị giữ lại, 1 đã gửi", // sync --once
		"nhật ký nguyên vẹn",                               // audit --verify
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the README block's output lacks %q", want)
		}
	}
	// The fingerprint enroll pinned is the one status printed.
	status := regexp.MustCompile(`TLS SHA-256 fingerprint\s+([0-9a-f]{64})`).FindStringSubmatch(s)
	pinned := regexp.MustCompile(`SHA-256 chứng thư máy chủ: ([0-9a-f]{64})`).FindStringSubmatch(s)
	if status == nil || pinned == nil || status[1] != pinned[1] {
		t.Errorf("status printed %v, enroll pinned %v", status, pinned)
	}
	if t.Failed() {
		t.Logf("output:\n%s", s)
	}
	var csv []string
	filepath.Walk(tmp, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Name() == "lo01.csv" {
			csv = append(csv, p)
		}
		return nil
	})
	if len(csv) != 1 {
		t.Errorf("export wrote %d lo01.csv files", len(csv))
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
