package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/queue"
)

// charErrors is the edit distance of got against truth after whitespace normalisation, and
// the truth's length; text found on a blank page counts as errors.
func charErrors(truth, got string) (edits, n int) {
	n = len([]rune(strings.Join(strings.Fields(truth), " ")))
	if n == 0 {
		return len([]rune(strings.Join(strings.Fields(got), " "))), 0
	}
	return int(docgen.CER(truth, got)*float64(n) + 0.5), n
}

// TestEndToEndGeneratedDocuments is the foundation's acceptance test: 40 generated scanned
// documents (skewed, noisy, some upside down or with blank pages) are imported through the
// CLI, OCR'd by the worker pool, exported, and compared with their ground truth.
func TestEndToEndGeneratedDocuments(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end OCR of 40 documents: run without -short")
	}
	dir := t.TempDir()
	docs, err := docgen.WriteSet(dir, 2026, 40, docgen.Options{DPI: 300})
	if err != nil {
		t.Fatal(err)
	}
	truth := map[string]docgen.Page{} // "file#page" -> ground truth
	types := map[string]int{}
	for _, d := range docs {
		types[d.Type]++
		matches, _ := filepath.Glob(filepath.Join(dir, d.ID+".*"))
		for _, m := range matches {
			if strings.HasSuffix(m, ".json") {
				continue
			}
			for _, p := range d.Pages {
				truth[fmt.Sprintf("%s#%d", filepath.Base(m), p.Index+1)] = p
			}
		}
	}
	if len(types) < 4 {
		t.Fatalf("generated set covers %d record types, want at least 4: %v", len(types), types)
	}
	r := newRunner(t)
	r.withAdmin()
	var b jsonBatch
	json.Unmarshal([]byte(r.must("batch", "new", "--json").stdout), &b)
	res := r.must("import", "--batch", b.ID, dir)
	if !strings.Contains(res.stdout, "đã lưu 40 tài liệu") {
		t.Fatalf("import: %s", res.stdout)
	}
	r.must("ocr", "--batch", b.ID, "--workers", "2")
	var exp queue.BatchExport
	if err := json.Unmarshal([]byte(r.must("export", "--batch", b.ID).stdout), &exp); err != nil {
		t.Fatal(err)
	}
	var edits, total, pages, rotated int
	for _, d := range exp.Documents {
		for _, p := range d.Pages {
			gt, ok := truth[fmt.Sprintf("%s#%d", p.Origin.File, p.Origin.Page)]
			if !ok {
				t.Fatalf("page %s#%d has no ground truth", p.Origin.File, p.Origin.Page)
			}
			if p.OCRState != "done" || p.Engine == "" || p.Model == "" {
				t.Fatalf("page %s#%d: state %s engine %q model %q", p.Origin.File, p.Origin.Page, p.OCRState, p.Engine, p.Model)
			}
			e, n := charErrors(gt.Text, p.Text)
			edits += e
			total += n
			pages++
			if gt.Rotation != 0 {
				rotated++
			}
			if n > 0 && float64(e)/float64(n) > 0.10 {
				t.Logf("page %s#%d (rotation %d, skew %.1f°): CER %.1f%%", p.Origin.File, p.Origin.Page, gt.Rotation, gt.SkewDeg, 100*float64(e)/float64(n))
			}
		}
	}
	if pages != len(truth) {
		t.Fatalf("exported %d pages, generated %d", pages, len(truth))
	}
	cer := float64(edits) / float64(total)
	t.Logf("end-to-end CER over %d pages (%d upside down), %d characters: %.2f%%", pages, rotated, total, 100*cer)
	if cer >= 0.03 {
		t.Fatalf("character error rate %.2f%% is not below 3%%", 100*cer)
	}
	// Diacritic-insensitive search finds a generated person by name typed without accents.
	name := ""
	for _, f := range docs[0].Fields {
		if f.Key == "full_name" {
			name = f.Value
		}
	}
	if name != "" {
		var hits []map[string]any
		json.Unmarshal([]byte(r.must("search", queue.Fold(name), "--json").stdout), &hits)
		if len(hits) == 0 {
			t.Errorf("search for the first document's name (folded) found nothing")
		}
	}
}

// TestBadFilesInAFolder: every broken file is reported by name with a clear message,
// nothing of it is stored, and the good files of the same folder still import.
func TestBadFilesInAFolder(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "a-good.png")
	writePNG(t, good, 300, 200)
	data, _ := os.ReadFile(good)
	// A PNG header that claims 30000x30000 pixels (the CRC is computed so that only the size is wrong).
	huge := hugePNG(30000, 30000)
	bad := map[string][]byte{
		"b-truncated.png": data[:len(data)/2],
		"c-empty.jpg":     {},
		"d-truncated.jpg": truncatedJPEG(t),
		"e-truncated.tif": truncatedTIFF(t),
		"f-truncated.pdf": []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R"),
		"g-huge.png":      huge,
		"h-notes.png":     []byte("đây không phải là ảnh, chỉ là một tệp văn bản\n"),
	}
	for name, b := range bad {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writePNG(t, filepath.Join(dir, "z-good.png"), 250, 200)
	r := newRunner(t)
	r.withAdmin()
	var b jsonBatch
	json.Unmarshal([]byte(r.must("batch", "new", "--json").stdout), &b)
	res := r.run("", "import", "--batch", b.ID, dir)
	t.Logf("stderr of the import:\n%s", res.stderr)
	if res.code != 1 {
		t.Fatalf("import with bad files exited %d, want 1", res.code)
	}
	for name := range bad {
		if !strings.Contains(res.stderr, name) {
			t.Errorf("no error naming %s:\n%s", name, res.stderr)
		}
	}
	if !strings.Contains(res.stderr, "Tệp") || !strings.Contains(res.stdout, "đã lưu 2 tài liệu, 2 trang") || !strings.Contains(res.stdout, "lỗi 7") {
		t.Errorf("summary/messages:\nstdout: %s\nstderr: %s", res.stdout, res.stderr)
	}
	var bl []jsonBatch
	json.Unmarshal([]byte(r.must("list", "--json").stdout), &bl)
	if bl[0].Documents != 2 || bl[0].Pages != 2 {
		t.Fatalf("stored after bad import: %+v", bl[0])
	}
	// English on request, still naming the file.
	r.env["SOHOA_LANG"] = "en"
	res = r.run("", "import", "--batch", b.ID, filepath.Join(dir, "g-huge.png"))
	if res.code != 1 || !strings.Contains(res.stderr, "g-huge.png") || !strings.Contains(strings.ToLower(res.stderr), "large") {
		t.Fatalf("huge (en): %+v", res)
	}
	if res := r.run("", "import", "--batch", b.ID, filepath.Join(dir, "khong-ton-tai.png")); res.code != 1 || !strings.Contains(res.stderr, "khong-ton-tai.png") {
		t.Fatalf("missing file: %+v", res)
	}
}
