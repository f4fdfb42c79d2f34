package app

import (
	"context"
	"slices"
	"testing"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/internal/sanetest"
	"github.com/sohoa/sohoa/queue"
)

// SANE reads SANE_CONFIG_DIR at its first initialisation in the process.
var _ = sanetest.Configure("app", sanetest.SmallBed)

// newCaptureHarness opens the capture panel on a fresh batch, with the SANE test device
// listed and chosen, at 75 dpi.
func newCaptureHarness(t *testing.T) (*harness, *capturePanel, queue.Batch) {
	t.Helper()
	h := newHarness(t, Services{})
	u, err := h.e.st.CreateUser(context.Background(), nil, "quantri", "Nguyễn Văn Quản", "matkhau-123", []queue.Role{queue.RoleAdmin, queue.RoleClerk})
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.e.st.CreateBatch(context.Background(), u, queue.BatchSpec{Name: "Lô quét thử"})
	if err != nil {
		t.Fatal(err)
	}
	p := newCapturePanel(h.e, u, b, nil)
	h.win.SetContent(p.content)
	t.Cleanup(func() {
		p.close()
		h.wait()
	})
	h.wait() // devices listed, the first chosen, its capabilities read
	if len(p.devices) != 1 || p.devices[0].ID != "sane:test:0" || p.devSel.SelectedIndex() != 0 {
		t.Fatalf("devices %+v, selected %d; want the SANE test device chosen", p.devices, p.devSel.SelectedIndex())
	}
	if p.srcSel.Selected != tr("capture.src.adf") || p.modeSel.Selected != tr("capture.mode.gray") || p.resSel.Selected != "300" ||
		!slices.Contains(p.resSel.Options, "75") || !slices.Contains(p.srcSel.Options, tr("capture.src.flatbed")) {
		t.Fatalf("defaults source %q mode %q resolution %q (options %v)", p.srcSel.Selected, p.modeSel.Selected, p.resSel.Selected, p.resSel.Options)
	}
	h.mustShow("Sẵn sàng")
	p.resSel.SetSelected("75")
	return h, p, b
}

// thumbImages counts the thumbnails that show a decoded page image.
func thumbImages(p *capturePanel) int {
	n := 0
	for _, o := range p.thumbs.Objects {
		if ci, ok := o.(*canvas.Image); ok && ci.Image != nil && ci.Image.Bounds().Dx() > 0 {
			n++
		}
	}
	return n
}

// TestCaptureADFJob scans the test backend's 10-sheet feeder at 75 dpi, two pages per
// document: one thumbnail per stored page.
func TestCaptureADFJob(t *testing.T) {
	h, p, b := newCaptureHarness(t)
	p.ppd.SetText("2")
	test.Tap(h.button("Quét"))
	h.wait()
	pages, err := h.e.st.BatchPages(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 10 || len(p.thumbs.Objects) != len(pages) || thumbImages(p) != len(pages) {
		t.Fatalf("%d pages stored, %d thumbnails (%d with images); want 10 and 10", len(pages), len(p.thumbs.Objects), thumbImages(p))
	}
	for i, pg := range pages {
		if pg.ID != p.shown[i] || pg.Width != 177 || pg.Height != 177 || pg.DPI != 75 {
			t.Errorf("page %d: %+v (thumbnail of page %d)", i, pg, p.shown[i])
		}
	}
	docs := map[int64]int{}
	for _, pg := range pages {
		docs[pg.DocumentID]++
	}
	if len(docs) != 5 {
		t.Errorf("%d documents, want 5 of 2 pages", len(docs))
	}
	h.mustShow("Xong: lượt này đã lưu 10 trang")
	if p.running || p.scanBtn.Disabled() || !p.cancelBtn.Disabled() {
		t.Error("buttons not back to idle after the job")
	}
}

// TestCaptureJamDialog: sheet 4 jams; the dialog shows the Vietnamese message with the three
// pages kept; Tiếp tục continues the same document from sheet 4.
func TestCaptureJamDialog(t *testing.T) {
	h, p, b := newCaptureHarness(t)
	drv := p.scanners
	drv.SetSANEOption("select-fd", "yes")
	p.afterPage = func(n int) {
		if n == 3 {
			drv.SetSANEOption("read-return-value", "SANE_STATUS_JAMMED")
		}
	}
	test.Tap(h.button("Quét"))
	h.wait()
	jam := (&capture.Fault{Kind: capture.FaultJammed}).Localize(l10n.Vi)
	h.mustShow(jam)
	h.mustShow("3 trang đã quét được giữ lại")
	if len(p.thumbs.Objects) != 3 || p.fault == nil {
		t.Fatalf("%d thumbnails after the jam, dialog %v; want 3 and the fault dialog", len(p.thumbs.Objects), p.fault)
	}
	// The clerk clears the jam (the backend refills its feeder) and presses Tiếp tục.
	p.afterPage = nil
	drv.SetSANEOption("read-return-value", "Default")
	test.Tap(h.button("Tiếp tục"))
	h.wait()
	pages, err := h.e.st.BatchPages(context.Background(), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 13 || len(p.thumbs.Objects) != 13 || thumbImages(p) != 13 {
		t.Fatalf("%d pages, %d thumbnails after continuing; want 13", len(pages), len(p.thumbs.Objects))
	}
	for i, pg := range pages {
		if pg.DocumentID != pages[0].DocumentID || pg.Seq != i+1 || pg.Origin.Sheet != i+1 {
			t.Errorf("page %d: document %d seq %d sheet %d; want one document, sheets 1..13", i, pg.DocumentID, pg.Seq, pg.Origin.Sheet)
		}
	}
	h.mustShow("tổng 13 trang")
}

// TestCaptureJamStop: a jam on the first sheet, and Dừng: nothing stored, no new job.
func TestCaptureJamStop(t *testing.T) {
	h, p, b := newCaptureHarness(t)
	drv := p.scanners
	drv.SetSANEOption("select-fd", "yes")
	drv.SetSANEOption("read-return-value", "SANE_STATUS_COVER_OPEN")
	defer drv.SetSANEOption("read-return-value", "Default")
	test.Tap(h.button("Quét"))
	h.wait()
	h.mustShow((&capture.Fault{Kind: capture.FaultCoverOpen}).Localize(l10n.Vi))
	test.Tap(h.button("Dừng"))
	h.wait()
	h.mustShow("Đã dừng")
	if pages, _ := h.e.st.BatchPages(context.Background(), b.ID); len(pages) != 0 || len(p.thumbs.Objects) != 0 || p.running {
		t.Fatalf("%d pages, %d thumbnails, running %v after stopping", len(pages), len(p.thumbs.Objects), p.running)
	}
}

func TestCaptureBadESCLAddress(t *testing.T) {
	h, p, _ := newCaptureHarness(t)
	p.esclURL.SetText("ftp://")
	test.Tap(h.button("Thêm"))
	h.mustShow("Địa chỉ máy quét không hợp lệ")
	if len(p.devices) != 1 {
		t.Errorf("a bad address was added: %+v", p.devices)
	}
}
