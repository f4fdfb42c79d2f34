package app

import (
	"context"
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/sohoa/sohoa/queue"
)

// editFixture is a batch with document A (three pages of different sizes) and document B
// (one page), opened in the viewer through the shell with a signed-in clerk.
type editFixture struct {
	h    *harness
	u    queue.User
	b    queue.Batch
	a, c queue.Document
	pa   []queue.Page // A's pages as stored
	pc   []queue.Page
	v    *batchView
}

func newEditFixture(t *testing.T) *editFixture {
	t.Helper()
	h := newHarness(t, Services{})
	u := h.admin()
	ctx := context.Background()
	b, err := h.e.st.CreateBatch(ctx, u, queue.BatchSpec{Name: "Lô sửa trang"})
	if err != nil {
		t.Fatal(err)
	}
	f := &editFixture{h: h, u: u, b: b}
	f.a, f.pa = storeDoc(t, h.e.st, u, b.ID, "hoso-a.png", [2]int{600, 400}, [2]int{500, 300}, [2]int{320, 200})
	f.c, f.pc = storeDoc(t, h.e.st, u, b.ID, "hoso-b.png", [2]int{240, 160})
	h.sh.user = &u
	h.sh.openViewer(b, 0, 0)
	h.wait()
	f.v = h.sh.viewer
	if f.v == nil || f.v.user == nil || f.v.user.ID != u.ID {
		t.Fatal("viewer not open with the signed-in user")
	}
	return f
}

// pageIDs is a document's page IDs in order, from the store.
func (f *editFixture) pageIDs(docID int64) []int64 {
	f.h.t.Helper()
	ps, err := f.h.e.st.Pages(context.Background(), docID)
	if err != nil {
		f.h.t.Fatal(err)
	}
	var out []int64
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// shortcut presses a viewer shortcut through the window, as the keyboard would.
func (f *editFixture) shortcut(key fyne.KeyName, mod fyne.KeyModifier) {
	f.h.t.Helper()
	for _, sc := range f.h.sh.shortcuts {
		if cs, ok := sc.(*desktop.CustomShortcut); ok && cs.KeyName == key && cs.Modifier == mod {
			f.h.win.Canvas().(fyne.Shortcutable).TypedShortcut(cs)
			f.h.wait()
			return
		}
	}
	f.h.t.Fatalf("no shortcut %v+%v registered", mod, key)
}

func (f *editFixture) imageSize() (int, int) {
	if f.v.img.Image == nil {
		return 0, 0
	}
	b := f.v.img.Image.Bounds()
	return b.Dx(), b.Dy()
}

// TestViewerRotatePage: the Xoay phải button and Ctrl+Shift+R turn the page on show; the
// displayed image changes size, the stored turn is remembered and the page's OCR is queued again.
func TestViewerRotatePage(t *testing.T) {
	f := newEditFixture(t)
	ctx := context.Background()
	if err := f.h.e.st.SaveOCR(ctx, f.pa[0].ID, queue.OCRResult{Text: "Giấy khai sinh"}); err != nil {
		t.Fatal(err)
	}
	if w, h := f.imageSize(); w != 600 || h != 400 {
		t.Fatalf("first page shows %dx%d, want 600x400", w, h)
	}
	test.Tap(f.h.button("Xoay phải"))
	f.h.wait()
	if w, h := f.imageSize(); w != 400 || h != 600 {
		t.Fatalf("after Xoay phải the page shows %dx%d, want 400x600", w, h)
	}
	p, err := f.h.e.st.Page(ctx, f.pa[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.UserRotation != 90 || p.Width != 400 || p.Height != 600 || p.OCRState != "pending" {
		t.Fatalf("stored page after rotate right: rotation %d size %dx%d OCR %s", p.UserRotation, p.Width, p.Height, p.OCRState)
	}
	f.h.mustShow("Đã xoay trang")
	f.h.mustShow("Trang 1/3")

	// Ctrl+R twice more, then Ctrl+Shift+R: 90+90+90-90 = 180.
	ctrl := fyne.KeyModifierShortcutDefault
	f.shortcut(fyne.KeyR, ctrl)
	f.shortcut(fyne.KeyR, ctrl)
	if p, _ := f.h.e.st.Page(ctx, f.pa[0].ID); p.UserRotation != 270 {
		t.Fatalf("after three right turns the rotation is %d, want 270", p.UserRotation)
	}
	f.shortcut(fyne.KeyR, ctrl|fyne.KeyModifierShift)
	p, _ = f.h.e.st.Page(ctx, f.pa[0].ID)
	if w, h := f.imageSize(); p.UserRotation != 180 || w != 600 || h != 400 {
		t.Fatalf("after Ctrl+Shift+R: rotation %d, shown %dx%d; want 180 and 600x400", p.UserRotation, w, h)
	}
	// The original stays as captured.
	if p.Original == "" || p.Original == p.Blob {
		t.Fatalf("original image not kept apart from the working image: %q / %q", p.Original, p.Blob)
	}
}

// TestViewerMoveAndDeletePage: move later / earlier reorder the document; delete asks first
// and then removes the page, the next page showing.
func TestViewerMoveAndDeletePage(t *testing.T) {
	f := newEditFixture(t)
	p1, p2, p3 := f.pa[0].ID, f.pa[1].ID, f.pa[2].ID
	test.Tap(f.h.button("Xuống sau"))
	f.h.wait()
	if got := f.pageIDs(f.a.ID); !sameIDs(got, []int64{p2, p1, p3}) {
		t.Fatalf("after Xuống sau the order is %v, want %v", got, []int64{p2, p1, p3})
	}
	if _, pg, _ := f.v.currentPage(); pg.ID != p1 {
		t.Fatalf("the moved page is not on show (page %d)", pg.ID)
	}
	f.h.mustShow("Trang 2/3")
	test.Tap(f.h.button("Xuống sau"))
	f.h.wait()
	test.Tap(f.h.button("Lên trước"))
	f.h.wait()
	if got := f.pageIDs(f.a.ID); !sameIDs(got, []int64{p2, p1, p3}) {
		t.Fatalf("after later+earlier the order is %v, want %v", got, []int64{p2, p1, p3})
	}
	// First page cannot go earlier: nothing changes, the clerk is told.
	f.v.showPage(0)
	f.h.wait()
	test.Tap(f.h.button("Lên trước"))
	f.h.wait()
	f.h.mustShow("Trang đã ở đầu hoặc cuối tài liệu")

	// Delete page 2 (p1): a confirmation first; Hủy keeps it.
	f.v.showPage(1)
	f.h.wait()
	test.Tap(f.h.button("Xóa trang"))
	f.h.mustShow("Xóa trang 2/3 khỏi tài liệu này?")
	test.Tap(f.h.button("Hủy"))
	f.h.wait()
	if got := f.pageIDs(f.a.ID); len(got) != 3 {
		t.Fatalf("Hủy deleted a page: %v", got)
	}
	test.Tap(f.h.button("Xóa trang"))
	test.Tap(f.h.button("Xóa"))
	f.h.wait()
	if got := f.pageIDs(f.a.ID); !sameIDs(got, []int64{p2, p3}) {
		t.Fatalf("after delete the pages are %v, want %v", got, []int64{p2, p3})
	}
	if _, pg, _ := f.v.currentPage(); pg.ID != p3 {
		t.Fatalf("after delete page %d shows, want the next one %d", pg.ID, p3)
	}
	f.h.mustShow("Trang 2/2")
	f.h.mustShow("Đã xóa trang")
	if _, err := f.h.e.st.Page(context.Background(), p1); err == nil {
		t.Fatal("the deleted page is still stored")
	}
}

// TestViewerSplitAndMerge: Ctrl+T at page 2 makes a new document that shows in the list;
// Gộp với tài liệu sau joins it back.
func TestViewerSplitAndMerge(t *testing.T) {
	f := newEditFixture(t)
	ctx := context.Background()
	// Splitting at the first page is refused with a Vietnamese message.
	test.Tap(f.h.button("Tách tài liệu từ trang này"))
	f.h.wait()
	f.h.mustShow("Không làm được thao tác này")
	f.h.drainDialogs()

	f.v.showPage(1)
	f.h.wait()
	f.shortcut(fyne.KeyT, fyne.KeyModifierShortcutDefault)
	docs, err := f.h.e.st.Documents(ctx, f.b.ID)
	if err != nil || len(docs) != 3 {
		t.Fatalf("%d documents after the split (%v), want 3", len(docs), err)
	}
	if docs[0].ID != f.a.ID || docs[0].Pages != 1 || docs[1].Pages != 2 || docs[2].ID != f.c.ID {
		t.Fatalf("documents after the split: %+v", docs)
	}
	if got := f.pageIDs(docs[1].ID); !sameIDs(got, []int64{f.pa[1].ID, f.pa[2].ID}) {
		t.Fatalf("new document pages %v", got)
	}
	if f.v.docList.Length() != 3 || !strings.Contains(f.v.docText(1), "(2 tr.)") {
		t.Fatalf("document list shows %d rows, row 2 %q", f.v.docList.Length(), f.v.docText(1))
	}
	if d, pg, _ := f.v.currentPage(); d.ID != docs[1].ID || pg.ID != f.pa[1].ID {
		t.Fatalf("after the split document %d page %d show; want the new document at its first page", d.ID, pg.ID)
	}
	f.h.mustShow("Hồ sơ 2/3")
	f.h.mustShow("Trang 1/2")

	// Back to the first document and merge the new one into it.
	f.v.selectDoc(0, 0, false)
	f.h.wait()
	test.Tap(f.h.button("Gộp với tài liệu sau"))
	f.h.wait()
	docs, _ = f.h.e.st.Documents(ctx, f.b.ID)
	if len(docs) != 2 || docs[0].ID != f.a.ID || docs[0].Pages != 3 || docs[1].ID != f.c.ID {
		t.Fatalf("documents after the merge: %+v", docs)
	}
	if got := f.pageIDs(f.a.ID); !sameIDs(got, []int64{f.pa[0].ID, f.pa[1].ID, f.pa[2].ID}) {
		t.Fatalf("merged pages %v", got)
	}
	if f.v.docList.Length() != 2 {
		t.Fatalf("document list shows %d rows after the merge", f.v.docList.Length())
	}
	f.h.mustShow("Đã gộp với tài liệu sau")
	f.h.mustShow("Trang 1/3")

	// The last document has nothing after it.
	f.v.selectDoc(1, 0, false)
	f.h.wait()
	test.Tap(f.h.button("Gộp với tài liệu sau"))
	f.h.wait()
	f.h.mustShow("Không làm được thao tác này")
	if docs, _ := f.h.e.st.Documents(ctx, f.b.ID); len(docs) != 2 {
		t.Fatalf("%d documents after a refused merge", len(docs))
	}
}

// TestViewerEditRefusedUnderReview: once the batch is under review every edit is refused
// with the Vietnamese explanation, and nothing changes.
func TestViewerEditRefusedUnderReview(t *testing.T) {
	f := newEditFixture(t)
	ctx := context.Background()
	for _, to := range []queue.State{queue.StateKeying, queue.StateReview} {
		if err := f.h.e.st.Transition(ctx, f.u, f.b.ID, to, ""); err != nil {
			t.Fatal(err)
		}
	}
	want := "Không sửa được: lô đang ở trạng thái “Chờ duyệt”"
	test.Tap(f.h.button("Xoay phải"))
	f.h.wait()
	f.h.mustShow(want)
	f.h.drainDialogs()
	f.v.showPage(1)
	f.h.wait()
	test.Tap(f.h.button("Tách tài liệu từ trang này"))
	f.h.wait()
	f.h.mustShow(want)
	f.h.drainDialogs()
	test.Tap(f.h.button("Xóa trang"))
	test.Tap(f.h.button("Xóa"))
	f.h.wait()
	f.h.mustShow(want)
	if p, _ := f.h.e.st.Page(ctx, f.pa[0].ID); p.UserRotation != 0 || p.Width != 600 {
		t.Fatalf("page changed under review: rotation %d width %d", p.UserRotation, p.Width)
	}
	if docs, _ := f.h.e.st.Documents(ctx, f.b.ID); len(docs) != 2 || docs[0].Pages != 3 {
		t.Fatalf("documents changed under review: %+v", docs)
	}
	// The store's own refusal (the batch moved on after the viewer's check) reads the same way.
	_, err := f.h.e.st.RotatePage(ctx, f.u, f.pa[0].ID, 90)
	if err == nil {
		t.Fatal("the store rotated a page under review")
	}
	if msg := editErrText(err); !strings.HasPrefix(msg, "Không sửa được") {
		t.Fatalf("store refusal shows %q", msg)
	}
}

// TestViewerEditButtonsDisabledPastKeying: a batch opened after it left keying (here signed
// off for review) shows the edit buttons disabled with the reason, so a click asks nothing
// and changes nothing (the shell found a mouse click on Xóa trang asking "delete?" and only
// then refusing).
func TestViewerEditButtonsDisabledPastKeying(t *testing.T) {
	f := newEditFixture(t)
	ctx := context.Background()
	for _, to := range []queue.State{queue.StateKeying, queue.StateReview} {
		if err := f.h.e.st.Transition(ctx, f.u, f.b.ID, to, ""); err != nil {
			t.Fatal(err)
		}
	}
	b, err := f.h.e.st.Batch(ctx, f.b.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.h.sh.openViewer(b, 0, 0)
	f.h.wait()
	v := f.h.sh.viewer
	if len(v.editBtns) != 7 {
		t.Fatalf("%d edit buttons", len(v.editBtns))
	}
	for _, btn := range v.editBtns {
		if !btn.Disabled() {
			t.Errorf("%q enabled under review", btn.Text)
		}
	}
	if want := "Không sửa được: lô đang ở trạng thái “Chờ duyệt”"; !strings.HasPrefix(v.editStatus.Text, want) {
		t.Errorf("status %q, want the reason %q", v.editStatus.Text, want)
	}
	test.Tap(f.h.button("Xóa trang"))
	f.h.wait()
	if n := len(f.h.win.Canvas().Overlays().List()); n != 0 {
		t.Errorf("a disabled button opened %d dialogs", n)
	}
	if docs, _ := f.h.e.st.Documents(ctx, f.b.ID); len(docs) != 2 || docs[0].Pages != 3 {
		t.Fatalf("documents changed under review: %+v", docs)
	}
	// The delete question is not asked either when the call comes another way.
	v.confirmDelete()
	f.h.mustShow("Không sửa được")
	f.h.drainDialogs()

	// A batch in capture (newEditFixture) has them enabled: the other viewer tests tap them.
	if g := newEditFixture(t); g.v.editBtns[0].Disabled() || g.v.editStatus.Text != "" {
		t.Errorf("capturing: button disabled %v, status %q", g.v.editBtns[0].Disabled(), g.v.editStatus.Text)
	}
}

// drainDialogs closes the dialogs on show (the error message boxes).
func (h *harness) drainDialogs() {
	for {
		list := h.win.Canvas().Overlays().List()
		if len(list) == 0 {
			return
		}
		h.win.Canvas().Overlays().Remove(list[len(list)-1])
	}
}

// TestCaptureRescanPage scans ten sheets from the SANE test backend's feeder into one
// document, chooses the fourth thumbnail and re-scans it: the new page takes the old one's
// place (same document, position 4), the old page is gone, the other pages are untouched.
func TestCaptureRescanPage(t *testing.T) {
	h, p, b := newCaptureHarness(t)
	ctx := context.Background()
	test.Tap(h.button("Quét"))
	h.wait()
	before, err := h.e.st.BatchPages(ctx, b.ID)
	if err != nil || len(before) != 10 {
		t.Fatalf("%d pages after the first job (%v), want 10", len(before), err)
	}
	if !p.rescanBtn.Disabled() {
		t.Fatal("re-scan offered with no thumbnail chosen")
	}
	o := p.thumbs.Objects[3]
	p.picker.Tapped(&fyne.PointEvent{Position: o.Position().Add(fyne.NewPos(5, 5))})
	if p.picked != 3 || p.rescanBtn.Disabled() || !p.picker.mark.Visible() || p.picker.mark.Position().X != o.Position().X-2 {
		t.Fatalf("tap on thumbnail 4 chose %d (button disabled %v, frame at %v)", p.picked, p.rescanBtn.Disabled(), p.picker.mark.Position())
	}
	test.Tap(h.button("Quét lại trang này"))
	h.wait()
	h.mustShow("Đã quét lại trang 4")
	after, err := h.e.st.BatchPages(ctx, b.ID)
	if err != nil || len(after) != 10 {
		t.Fatalf("%d pages after the re-scan (%v), want 10", len(after), err)
	}
	for i := range after {
		if after[i].DocumentID != before[0].DocumentID || after[i].Seq != i+1 {
			t.Fatalf("page %d: document %d seq %d", i, after[i].DocumentID, after[i].Seq)
		}
		if i != 3 && after[i].ID != before[i].ID {
			t.Errorf("page %d changed: %d, was %d", i+1, after[i].ID, before[i].ID)
		}
	}
	if after[3].ID == before[3].ID || after[3].Origin.Sheet != 4 || after[3].Width != 177 {
		t.Fatalf("page 4 after the re-scan: %+v (old page %d)", after[3], before[3].ID)
	}
	if _, err := h.e.st.Page(ctx, before[3].ID); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("the replaced page is still stored (%v)", err)
	}
	if p.shown[3] != after[3].ID || len(p.thumbs.Objects) != 10 || thumbImages(p) != 10 {
		t.Fatalf("thumbnails %v (%d with images) after the re-scan", p.shown, thumbImages(p))
	}
	if p.running || p.scanBtn.Disabled() {
		t.Fatal("panel not back to idle")
	}

	// Under review the re-scan is refused before the scanner runs.
	for _, to := range []queue.State{queue.StateKeying, queue.StateReview} {
		if err := h.e.st.Transition(ctx, p.user, b.ID, to, ""); err != nil {
			t.Fatal(err)
		}
	}
	test.Tap(h.button("Quét lại trang này"))
	h.wait()
	h.mustShow("Không sửa được: lô đang ở trạng thái “Chờ duyệt”")
	if n, _ := h.e.st.BatchPages(ctx, b.ID); len(n) != 10 || n[3].ID != after[3].ID {
		t.Fatalf("pages changed by a refused re-scan: %d", len(n))
	}
}
