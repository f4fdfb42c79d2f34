package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/records"
)

// TestExtractKeyValidate: a generated birth certificate is imported, OCR'd with real
// Tesseract, its fields extracted and validated; a keyed ID with a wrong province code makes
// validate fail with exit 1 without printing the value.
func TestExtractKeyValidate(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	// The bundled record types are registered whenever the CLI opens the store.
	if res := r.must("types"); !strings.Contains(res.stdout, "birth") {
		t.Fatalf("types: %s", res.stdout)
	}
	res := r.must("batch", "new", "--type", "birth", "--json")
	var b jsonBatch
	if err := json.Unmarshal([]byte(res.stdout), &b); err != nil {
		t.Fatal(err)
	}
	var doc docgen.Document
	dir := t.TempDir()
	for i := 0; ; i++ {
		d, imgs, err := docgen.Generate(5, i, docgen.Options{DPI: 300, Clean: true})
		if err != nil || d.Type != "birth" {
			continue
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, imgs[0]); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "ks.png"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		doc = d
		break
	}
	r.must("import", "--batch", b.ID, dir)
	r.must("ocr", "--batch", b.ID, "--workers", "1")
	// OCR extracted the fields already (the pipeline's step after OCR): extract finds them
	// stored and stores nothing again.
	res = r.must("extract", "--batch", b.ID, "--json")
	var ev struct {
		Document int64 `json:"document"`
		Stored   int   `json:"stored"`
		Missing  int   `json:"missing"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(res.stdout)), &ev); err != nil {
		t.Fatalf("extract output %q: %v", res.stdout, err)
	}
	if ev.Stored != 0 {
		t.Errorf("extract after OCR stored %d values again", ev.Stored)
	}
	reg, err := records.LoadAll("")
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := reg.Get("birth")
	if found := len(rt.Fields) - ev.Missing; found < len(doc.Fields)*8/10 {
		t.Errorf("found %d values of %d printed fields", found, len(doc.Fields))
	}
	// The values OCR read pass validation (no blocking error) unless OCR misread them; on a
	// clean page the ID and dates are read right.
	res = r.run("", "validate", "--batch", b.ID)
	if res.code != 0 {
		t.Errorf("validate on a clean page: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	docArg := fmt.Sprint(ev.Document)
	if res := r.run("", "key", "--doc", docArg, "--field", "khong_co", "--value", "x"); res.code == 0 {
		t.Errorf("unknown field accepted")
	}
	bad := "003" + strings.Repeat("4", 9)
	// a value with a hard error is stored, and the exit status says it is not acceptable
	if res := r.run("", "key", "--doc", docArg, "--field", "personal_id", "--value", bad); res.code != 1 ||
		!strings.Contains(res.stderr, "mã tỉnh") || !strings.Contains(res.stderr, "đã lưu") {
		t.Fatalf("key with a bad ID: exit %d\n%s", res.code, res.stderr)
	}
	// The same with --json: one document naming the field and its problem, not the value.
	res = r.run("", "key", "--doc", docArg, "--field", "personal_id", "--value", bad, "--json")
	var kj struct {
		Field    string
		Errors   int
		Problems []struct{ Field, Code, Message string }
	}
	if err := json.Unmarshal([]byte(res.stdout), &kj); res.code != 1 || err != nil || kj.Field != "personal_id" || kj.Errors == 0 ||
		len(kj.Problems) == 0 || !strings.Contains(kj.Problems[0].Message, "mã tỉnh") || strings.Contains(res.stdout, bad) {
		t.Fatalf("key --json with a bad ID: exit %d %q (%v)", res.code, res.stdout, err)
	}
	res = r.run("", "validate", "--batch", b.ID)
	if res.code != 1 || !strings.Contains(res.stdout, "personal_id") || !strings.Contains(res.stdout, "mã tỉnh") {
		t.Fatalf("validate after a bad ID: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	if strings.Contains(res.stdout+res.stderr, bad) {
		t.Errorf("validate printed the personal value")
	}
	// The keyed value is kept by a new extraction.
	res = r.must("extract", "--batch", b.ID, "--json")
	if !strings.Contains(res.stdout, `"kept":1`) {
		t.Errorf("keyed value not kept: %s", res.stdout)
	}

	// Finishing the document follows the keying screen's rule: the hard error blocks it
	// (listed by field, never by value); once corrected it is finished, warnings confirmed.
	if res := r.run("", "key", "--doc", docArg, "--finish"); res.code != 1 || !strings.Contains(res.stderr, "personal_id") || strings.Contains(res.stderr, bad) {
		t.Fatalf("finish with a bad ID: exit %d\n%s", res.code, res.stderr)
	}
	if res := r.run("", "key", "--doc", docArg, "--finish", "--json"); res.code != 1 || !strings.Contains(res.stdout, `"finished": false`) ||
		!strings.Contains(res.stdout, `"field": "personal_id"`) || strings.Contains(res.stdout, bad) {
		t.Fatalf("finish --json with a bad ID: exit %d\n%s", res.code, res.stdout)
	}
	if res := r.run("", "key", "--doc", docArg, "--field", "personal_id", "--finish"); res.code != 2 {
		t.Fatalf("--field with --finish: exit %d", res.code)
	}
	var id string
	for _, f := range doc.Fields {
		if f.Key == "personal_id" {
			id = f.Value
		}
	}
	r.must("key", "--doc", docArg, "--field", "personal_id", "--value", id)
	// Ctrl+Enter's rule: the confident OCR values without a problem are accepted.
	res = r.must("key", "--doc", docArg, "--accept-confident", "--json")
	var acc struct{ Accepted []string }
	if err := json.Unmarshal([]byte(res.stdout), &acc); err != nil || len(acc.Accepted) == 0 {
		t.Fatalf("accept-confident: %s (%v)", res.stdout, err)
	}
	res = r.run("", "key", "--doc", docArg, "--finish")
	if res.code == 1 && strings.Contains(res.stderr, "--confirm-warnings") {
		res = r.run("", "key", "--doc", docArg, "--finish", "--confirm-warnings")
	}
	if res.code != 0 {
		t.Fatalf("finish: exit %d\n%s", res.code, res.stderr)
	}
	if res := r.must("list", "--batch", b.ID, "--json"); !strings.Contains(res.stdout, `"status": "keyed"`) {
		t.Fatalf("the document is not keyed: %s", res.stdout)
	}
}
