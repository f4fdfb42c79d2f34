package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/queue"
)

// TestKeyingPrefilledGUIOnly: import a generated birth certificate through the import dialog,
// let the app's own background OCR (real Tesseract workers) recognise it, open keying: the
// fields are pre-filled with OCR values, with no `sohoa extract` anywhere. The pipeline stored
// them after OCR; opening a document whose values were never extracted extracts them too.
func TestKeyingPrefilledGUIOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Tesseract")
	}
	h := newHarness(t, DefaultServices())
	registerTypes(t, h)
	o, err := h.e.svc.NewOCR(h.e.flow())
	if err != nil {
		t.Fatal(err)
	}
	h.e.ocr = o
	go func() { _ = o.Serve(h.e.ctx) }()
	go h.sh.followOCR(h.e.ctx)

	u := h.admin()
	ctx := context.Background()
	b, err := h.e.st.CreateBatch(ctx, u, queue.BatchSpec{Name: "Lô khai sinh", RecordType: "birth"})
	if err != nil {
		t.Fatal(err)
	}
	var png []byte
	for i := 0; i < 40 && png == nil; i++ {
		d, imgs, err := docgen.Generate(5, i, docgen.Options{DPI: 200, Clean: true})
		if err != nil || d.Type != "birth" || len(imgs) != 1 {
			continue
		}
		var buf bytes.Buffer
		if err := docgen.EncodePNG(&buf, imgs[0]); err != nil {
			t.Fatal(err)
		}
		png = buf.Bytes()
	}
	if png == nil {
		t.Fatal("no single-page birth certificate generated")
	}
	path := filepath.Join(t.TempDir(), "khai-sinh.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	h.login(u)
	list := h.sh.list
	list.selected = 0
	list.updateButtons()
	list.showImport()
	p := h.findImportPanel(t)
	p.addPath(path)
	p.run()
	h.wait()
	deadline := time.Now().Add(3 * time.Minute)
	var docs []queue.Document
	for {
		h.wait()
		docs, _ = h.e.st.Documents(ctx, b.ID)
		if len(docs) == 1 && len(storedFields(t, h, docs[0].ID)) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no field values stored after the app's OCR (documents %d)", len(docs))
		}
		time.Sleep(100 * time.Millisecond)
	}
	st := storedFields(t, h, docs[0].ID)
	for key, f := range st {
		if f.Source != queue.SourceOCR {
			t.Errorf("pipeline stored %s with source %s", key, f.Source)
		}
	}
	if len(st) < 10 {
		t.Fatalf("only %d fields extracted after OCR", len(st))
	}

	b, _ = h.e.st.Batch(ctx, b.ID)
	h.sh.openKeying(b, 0, 0, "")
	h.wait()
	k := h.sh.keying
	filled := 0
	for _, r := range k.rows {
		if r.value() != "" {
			filled++
			if r.value() != st[r.f.Key].Value {
				t.Errorf("%s shows %q, store %q", r.f.Key, r.value(), st[r.f.Key].Value)
			}
		}
	}
	if filled < 10 {
		t.Fatalf("keying opened with %d pre-filled fields", filled)
	}
	t.Logf("%d fields extracted by the pipeline, %d pre-filled on the form", len(st), filled)
}

// TestKeyingExtractsOnOpen: a document with OCR results but no field values (OCR done before
// this version, or by a CLI without extraction) is extracted when keying opens it.
func TestKeyingExtractsOnOpen(t *testing.T) {
	h := newHarness(t, Services{})
	registerTypes(t, h)
	u := h.admin()
	h.login(u)
	b, docs := keyingBatch(t, h, u, "generic", pagePNG(t, 800, 1100))
	pages, _ := h.e.st.Pages(context.Background(), docs[0].ID)
	words := []queue.Word{}
	x := 40
	for _, w := range []string{"Số:", "125/2019/QĐ-UBND"} {
		words = append(words, queue.Word{Text: w, X0: x, Y0: 100, X1: x + 15*len(w), Y1: 130, Conf: 95, Line: 1})
		x += 15*len(w) + 20
	}
	if err := h.e.st.SaveOCR(context.Background(), pages[0].ID, queue.OCRResult{Text: "Số: 125/2019/QĐ-UBND", Words: words, MeanConf: 95}); err != nil {
		t.Fatal(err)
	}
	h.sh.openKeying(b, 0, 0, "")
	h.wait()
	k := h.sh.keying
	st := storedFields(t, h, docs[0].ID)
	if st["document_number"].Value != "125/2019/QĐ-UBND" || st["document_number"].Source != queue.SourceOCR {
		t.Fatalf("stored after opening: %+v", st)
	}
	if got := k.rows[k.rowIndex("document_number")].value(); got != "125/2019/QĐ-UBND" {
		t.Fatalf("form shows %q", got)
	}
}
