package cli

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/capture/separate"
)

func TestWatchFolderImportsDroppedFiles(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	b := strings.TrimSpace(r.must("batch", "new").stdout)
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "scan0001.png"), 300, 200)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int)
	go func() {
		done <- Run(ctx, []string{"watch", "--batch", b, dir, "--stable-for", "100ms", "--data", r.data},
			Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return r.env[k] }})
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, ".sohoa-done", "scan0001.png")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("file not imported; stdout %q stderr %q", out.String(), errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel() // as main does on Ctrl+C: the watch stops, says so, exit 130
	if code := <-done; code != exitCancelled || !strings.Contains(errb.String(), "sohoa watch: đã dừng") {
		t.Fatalf("watch exited %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "scan0001.png: tài liệu") {
		t.Fatalf("watch output: %q", out.String())
	}
	res := r.must("list", "--batch", b)
	if !strings.Contains(res.stdout, "scan0001.png") {
		t.Fatalf("document not listed: %s", res.stdout)
	}
}

func TestSeparatorSheetCommand(t *testing.T) {
	r := newRunner(t)
	out := filepath.Join(t.TempDir(), "to-phan-tach.png")
	r.must("separator-sheet", "--out", out, "--label", "Hộp 17", "--dpi", "150")
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	label, ok := separate.DetectSeparator(img)
	if !ok || label != "Hộp 17" {
		t.Fatalf("printed sheet not recognised: %q %v", label, ok)
	}
	if res := r.run("", "separator-sheet"); res.code != 2 {
		t.Fatalf("missing --out: %+v", res)
	}
}
