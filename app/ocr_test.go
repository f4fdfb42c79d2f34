package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/queue"
)

// TestImportThenBackgroundOCRUpdatesLive imports a generated Vietnamese page through the
// import panel, lets the real background OCR service (Tesseract workers) recognise it, and
// checks that the batch list and the viewer update from its progress reports.
func TestImportThenBackgroundOCRUpdatesLive(t *testing.T) {
	h := newHarness(t, DefaultServices())
	o, err := h.e.svc.NewOCR(h.e.flow())
	if err != nil {
		t.Fatal(err)
	}
	h.e.ocr = o
	served := make(chan error, 1)
	go func() { served <- o.Serve(h.e.ctx) }()
	go h.sh.followOCR(h.e.ctx)

	u := h.admin()
	ctx := context.Background()
	b, _ := h.e.st.CreateBatch(ctx, u, queue.BatchSpec{Name: "Lô OCR"})
	doc, imgs, err := docgen.Generate(7, 0, docgen.Options{DPI: 200, Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := docgen.EncodePNG(&buf, imgs[0]); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "giay-khai-sinh.png")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
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
	h.mustShow("Đã nhập 1 hồ sơ (1 trang)")

	// Wait (bounded) for the OCR report to reach the list through the UI queue.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		h.wait()
		if len(list.batches) == 1 && list.batches[0].PagesDone == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("OCR never showed as done; batches %+v, status %q", list.batches, list.status.Text)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := list.cell(0, colOCRDone); got != "1" {
		t.Fatalf("OCR done cell = %q", got)
	}
	if !strings.Contains(list.status.Text, "1 trang xong") {
		t.Fatalf("status %q", list.status.Text)
	}

	// The viewer shows the recognised text and one box per low-confidence word.
	h.sh.openViewer(b, 0, 0)
	h.wait()
	v := h.sh.viewer
	pages, _ := h.e.st.BatchPages(ctx, b.ID)
	res, err := h.e.st.OCR(ctx, pages[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	low := 0
	for _, w := range res.Words {
		if w.Conf < lowConf {
			low++
		}
	}
	if len(res.Words) < 10 || len(v.boxes) != low {
		t.Fatalf("%d words, %d low, %d boxes", len(res.Words), low, len(v.boxes))
	}
	if !strings.Contains(v.status.Text, "Đã nhận dạng") {
		t.Fatalf("viewer status %q", v.status.Text)
	}
	// The printed field label is read back (diacritics included).
	first := doc.Pages[0].Lines[0].Text
	if !strings.Contains(v.text.String(), strings.Fields(first)[0]) {
		t.Fatalf("first printed word of %q not in the OCR text %q", first, v.text.String())
	}
	t.Logf("OCR: %d words, %d low-confidence, mean %.0f", len(res.Words), low, res.MeanConf)

}

func (h *harness) findImportPanel(t *testing.T) *importPanel {
	t.Helper()
	if h.sh.list == nil || h.sh.list.dlg == nil {
		t.Fatal("no import dialog")
	}
	return h.sh.list.imp
}
