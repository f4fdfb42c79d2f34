package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/sync/synctest"
)

// TestSampleAndCheck: sohoa sample writes the generator's documents (no checkout needed: the
// generator is in the binary) and they import; sohoa check lists the machine's parts with
// what installs a missing one.
func TestSampleAndCheck(t *testing.T) {
	r := newRunner(t)
	out := filepath.Join(t.TempDir(), "mau")
	res := r.must("sample", "--out", out, "--count", "2", "--seed", "3")
	if !strings.Contains(res.stdout, "đã ghi 2 tài liệu mẫu") {
		t.Fatalf("sample: %+v", res)
	}
	var m struct {
		Count     int `json:"count"`
		Documents []struct {
			Image string `json:"image"`
		} `json:"documents"`
	}
	raw, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil || json.Unmarshal(raw, &m) != nil || m.Count != 2 || len(m.Documents) != 2 {
		t.Fatalf("manifest: %s %v", raw, err)
	}
	for _, d := range m.Documents {
		if fi, err := os.Stat(filepath.Join(out, d.Image)); err != nil || fi.Size() < 10000 {
			t.Fatalf("sample image %s: %v", d.Image, err)
		}
	}
	if res := r.run("", "sample"); res.code != 2 || !strings.Contains(res.stderr, "--out") {
		t.Fatalf("sample without --out: %+v", res)
	}
	if res := r.run("", "sample", "--out", out, "--count", "0"); res.code != 2 {
		t.Fatalf("sample --count 0: %+v", res)
	}
	r.withAdmin()
	b := strings.TrimSpace(r.must("batch", "new", "--name", "Lô mẫu").stdout)
	if res := r.must("import", "--batch", b, out); !strings.Contains(res.stdout, "2 tệp: đã lưu 2 tài liệu") {
		t.Fatalf("import of the sample: %+v", res)
	}

	res = r.run("", "check", "--no-scanners")
	if res.code != 0 || !strings.Contains(res.stdout, "✓ Tesseract (nhận dạng chữ): tesseract 5") ||
		!strings.Contains(res.stdout, "✓ Dữ liệu tiếng Việt cho Tesseract: có") || strings.Contains(res.stdout, "máy quét") {
		t.Fatalf("check: %+v", res)
	}
	// A tessdata folder without the Vietnamese data: exit 1, the package named.
	t.Setenv("TESSDATA_PREFIX", t.TempDir())
	r.env["SOHOA_LANG"] = "en"
	res = r.run("", "check", "--no-scanners")
	if res.code != 1 || !strings.Contains(res.stdout, "✗ Vietnamese data for Tesseract is missing") ||
		!strings.Contains(res.stdout, "install: sudo apt install tesseract-ocr-vie") {
		t.Fatalf("check without vie: %+v", res)
	}
}

// TestEnrollSelfSignedFingerprint: enroll without --fingerprint with a self-signed server
// fails with the certificate's SHA-256, --fingerprint and sohoa-central status in the message
// (exit 1, nothing sent); on a terminal, answering "có" after comparing enrolls and pins it.
func TestEnrollSelfSignedFingerprint(t *testing.T) {
	ctx := context.Background()
	pki, err := synctest.NewPKI("Người Ký")
	if err != nil {
		t.Fatal(err)
	}
	central, err := synctest.NewCentral(ctx, t.TempDir(), pki.Roots())
	if err != nil {
		t.Fatal(err)
	}
	defer central.Close()
	code, err := central.EnrollCode(ctx, "HN-01")
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(t)
	r.withAdmin()
	res := r.run("", "enroll", "--server", central.URL(), "--code", code)
	if res.code != 1 || !strings.Contains(res.stderr, central.Pin) || !strings.Contains(res.stderr, "--fingerprint "+central.Pin) ||
		!strings.Contains(res.stderr, "sohoa-central status") {
		t.Fatalf("enroll with a self-signed server: %+v", res)
	}
	// On a terminal: the fingerprint is shown and confirmed, then pinned.
	var out, errb bytes.Buffer
	rc := Run(ctx, []string{"enroll", "--server", central.URL(), "--code", code, "--data", r.data},
		Env{Stdin: strings.NewReader("có\n"), Stdout: &out, Stderr: &errb, IsTerminal: true, Getenv: func(k string) string { return r.env[k] }})
	if rc != 0 || !strings.Contains(errb.String(), central.Pin) || !strings.Contains(out.String(), central.Pin) {
		t.Fatalf("enroll after confirming: exit %d\n%s\n%s", rc, out.String(), errb.String())
	}
	// Answering no leaves it as it was.
	code2, _ := central.EnrollCode(ctx, "HN-01")
	out.Reset()
	errb.Reset()
	rc = Run(ctx, []string{"enroll", "--server", central.URL(), "--code", code2, "--data", r.data},
		Env{Stdin: strings.NewReader("không\n"), Stdout: &out, Stderr: &errb, IsTerminal: true, Getenv: func(k string) string { return r.env[k] }})
	if rc != 1 {
		t.Fatalf("enroll refused at the question: exit %d\n%s", rc, errb.String())
	}
}
