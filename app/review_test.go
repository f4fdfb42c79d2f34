package app

import (
	"bytes"
	"context"
	imgpng "image/png"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
	"github.com/sohoa/sohoa/workflow"
)

// reviewSetup is a batch of generated birth certificates that a clerk imported and keyed and
// submitted for review, and a supervisor who took no part in it.
type reviewSetup struct {
	h          *harness
	clerk, sup queue.User
	admin      queue.User
	batch      queue.Batch
	docs       []queue.Document
	truth      []map[string]string // keyed values per document
	lowDoc     int                 // index of the document whose page has a low OCR confidence
}

// newReviewSetup builds and submits a batch of n documents. before runs after keying and
// before the submit (a supervisor keying a field, for the four-eyes test).
func newReviewSetup(t *testing.T, n int, before func(s *reviewSetup)) *reviewSetup {
	t.Helper()
	ctx := context.Background()
	h := newHarness(t, Services{})
	registerTypes(t, h)
	admin := h.admin()
	s := &reviewSetup{h: h, lowDoc: 1, admin: admin}
	var err error
	if s.clerk, err = h.e.st.CreateUser(ctx, &admin, "nhap.lieu", "Nguyễn Thị Nhập", "matkhau-nhap-1", []queue.Role{queue.RoleClerk}); err != nil {
		t.Fatal(err)
	}
	if s.sup, err = h.e.st.CreateUser(ctx, &admin, "kiem.soat", "Trần Văn Kiểm (Phó phòng)", "matkhau-duyet-1", []queue.Role{queue.RoleSupervisor}); err != nil {
		t.Fatal(err)
	}
	rt, _ := must(recordRegistryFor(h.e.st.Dir())).Get("birth")
	if s.batch, err = h.e.st.CreateBatch(ctx, s.clerk, queue.BatchSpec{Name: "Khai sinh xã An Bình 1995", Office: "HN-01", RecordType: "birth"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; len(s.docs) < n && i < 200; i++ {
		d, imgs, err := docgen.Generate(7, i, docgen.Options{DPI: 150})
		if err != nil || d.Type != "birth" || len(imgs) != 1 {
			continue
		}
		vals := map[string]string{}
		for _, f := range d.Fields {
			vals[f.Key] = f.Value
		}
		if records.HasErrors(records.Validate(rt, vals, time.Now())) {
			continue
		}
		var buf bytes.Buffer
		if err := docgen.EncodePNG(&buf, imgs[0]); err != nil {
			t.Fatal(err)
		}
		b := imgs[0].Bounds()
		doc, pages, err := h.e.st.AddDocument(ctx, s.clerk, queue.NewDocument{BatchID: s.batch.ID, Origin: d.ID + ".png",
			Pages: []queue.PageInput{{Data: buf.Bytes(), Format: "png", Width: b.Dx(), Height: b.Dy(), DPI: 150}}})
		if err != nil {
			t.Fatal(err)
		}
		conf := 91.0
		if len(s.docs) == s.lowDoc {
			conf = 41 // under queue.LowPageConfidence: always in the sample
		}
		if err := h.e.st.SaveOCR(ctx, pages[0].ID, queue.OCRResult{Text: d.Text, MeanConf: conf, Engine: "test", Model: "vie"}); err != nil {
			t.Fatal(err)
		}
		for _, f := range rt.Fields {
			if v := vals[f.Key]; v != "" {
				if err := h.e.st.SetField(ctx, s.clerk, doc.ID, f.Key, v, queue.SourceKeyed, 1); err != nil {
					t.Fatal(err)
				}
			}
		}
		s.docs = append(s.docs, doc)
		s.truth = append(s.truth, vals)
	}
	if len(s.docs) != n {
		t.Fatalf("generated %d birth certificates, want %d", len(s.docs), n)
	}
	if before != nil {
		before(s)
	}
	if _, err := h.e.st.Submit(ctx, s.clerk, s.batch.ID, records.Checker(h.e.st, rt, time.Now(), nil), true); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *reviewSetup) state(t *testing.T) queue.State {
	t.Helper()
	b, err := s.h.e.st.Batch(context.Background(), s.batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	return b.State
}

// openReview signs the supervisor in, opens the review screen from the batch list and
// selects the batch.
func (s *reviewSetup) openReview(t *testing.T, u queue.User) *reviewScreen {
	t.Helper()
	h := s.h
	h.login(u)
	test.Tap(h.button("Duyệt lô"))
	h.wait()
	r := h.sh.review
	if r == nil {
		t.Fatal("review screen not shown")
	}
	if len(r.items) != 1 || r.items[0].ID != s.batch.ID {
		t.Fatalf("review queue %+v", r.items)
	}
	h.mustShow("Khai sinh xã An Bình 1995 · ") // the queue line with its counts
	r.list.Select(0)
	h.wait()
	return r
}

// key presses a key on the canvas, where nothing has the focus (as on the review screen).
func (s *reviewSetup) key(name fyne.KeyName) {
	s.h.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: name})
	s.h.wait()
}

func (s *reviewSetup) decisions(t *testing.T) map[int64]queue.ReviewDoc {
	t.Helper()
	ds, err := s.h.e.st.ReviewDocuments(context.Background(), s.batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	m := map[int64]queue.ReviewDoc{}
	for _, d := range ds {
		m[d.DocumentID] = d
	}
	return m
}

// TestReviewKeyboardAcceptAllApprove: a supervisor draws a 50% sample (which always holds the
// low-confidence document), walks it with N/P, accepts every document with A and approves the
// batch; SQLite then has the batch approved by them.
func TestReviewKeyboardAcceptAllApprove(t *testing.T) {
	s := newReviewSetup(t, 4, nil)
	h := s.h
	r := s.openReview(t, s.sup)
	h.mustShow("4 hồ sơ · 0 cảnh báo")
	if r.warn.Text != "" {
		t.Fatalf("four-eyes notice for an uninvolved supervisor: %q", r.warn.Text)
	}
	r.seed = func() int64 { return 42 }
	r.pct.SetText("50")
	test.Tap(h.button("Bắt đầu duyệt"))
	h.wait()
	if !r.inDocs {
		t.Fatalf("sample not shown: %q", r.status.Text)
	}
	// ceil(4×50%) = 2 at random, plus the low-confidence document when not drawn
	if len(r.docs) < 2 || len(r.docs) > 3 {
		t.Fatalf("sample of %d documents", len(r.docs))
	}
	low := false
	for _, d := range r.docs {
		if d.DocumentID == s.docs[s.lowDoc].ID {
			low = d.Sampled == "problem"
		}
	}
	if !low {
		t.Fatalf("the low-confidence document is not in the sample as a problem: %+v", r.docs)
	}
	// the page beside the keyed values, read-only
	if r.page.Image == nil {
		t.Fatal("no page image shown")
	}
	first := s.truthOf(r.docs[0].DocumentID)
	if !h.shows(first["full_name"]) || first["full_name"] == "" {
		t.Fatalf("the child's name %q is not shown; labels %q", first["full_name"], h.texts())
	}
	// N and P move through the sample
	s.key(fyne.KeyN)
	if r.di != 1 {
		t.Fatalf("N: on sampled document %d", r.di)
	}
	s.key(fyne.KeyP)
	if r.di != 0 {
		t.Fatalf("P: on sampled document %d", r.di)
	}
	if !r.approveBtn.Disabled() {
		t.Fatal("approve enabled before the sample is accepted")
	}
	for range r.docs {
		s.key(fyne.KeyA)
	}
	for _, d := range r.docs {
		if got := s.decisions(t)[d.DocumentID]; got.Decision != "accepted" || got.DecidedBy != s.sup.Username {
			t.Fatalf("document %d: %+v", d.DocumentID, got)
		}
	}
	h.mustShow("Mọi hồ sơ trong mẫu đã được chấp nhận")
	if r.approveBtn.Disabled() {
		t.Fatal("approve still disabled")
	}
	test.Tap(r.approveBtn)
	h.wait()
	if st := s.state(t); st != queue.StateApproved {
		t.Fatalf("batch is %s, want approved; status %q", st, r.status.Text)
	}
	if ap, err := h.e.st.Approver(context.Background(), s.batch.ID); err != nil || ap.ID != s.sup.ID {
		t.Fatalf("approver %+v, %v", ap, err)
	}
	h.mustShow("Đã duyệt lô “Khai sinh xã An Bình 1995”")
	if len(r.items) != 0 {
		t.Fatalf("the approved batch still waits: %+v", r.items)
	}
	// The approver is offered to sign at once; "Ký ngay" opens the sign screen on the batch.
	h.mustShow("Đã duyệt lô “Khai sinh xã An Bình 1995”. Ký số lô này ngay bây giờ?")
	test.Tap(h.button("Ký ngay"))
	h.wait()
	sc := h.sh.signing
	if sc == nil || sc.selected < 0 || sc.batches[sc.selected].ID != s.batch.ID {
		t.Fatalf("the sign screen is not open on the approved batch: %+v", sc)
	}
	h.mustShow("Bạn là người đã duyệt lô này và có thể ký.")
}

func (s *reviewSetup) truthOf(docID int64) map[string]string {
	for i, d := range s.docs {
		if d.ID == docID {
			return s.truth[i]
		}
	}
	return nil
}

// TestReviewReturnWithComment: R asks for a comment (none: nothing happens), returns the
// document; "Return batch" with a comment puts the batch in "returned"; the clerk sees both
// comments from the batch list.
func TestReviewReturnWithComment(t *testing.T) {
	s := newReviewSetup(t, 2, nil)
	h := s.h
	r := s.openReview(t, s.sup)
	r.mode.SetSelected("Chỉ các hồ sơ bắt buộc phải xem")
	test.Tap(h.button("Bắt đầu duyệt"))
	h.wait()
	if len(r.docs) != 1 || r.docs[0].DocumentID != s.docs[s.lowDoc].ID {
		t.Fatalf("problems-only sample %+v", r.docs)
	}
	s.key(fyne.KeyR)
	const docComment = "Ngày đăng ký mờ, đối chiếu lại với sổ gốc"
	ent := h.entry("Cần sửa gì, ở đâu (bắt buộc)")
	test.Tap(h.button("Trả lại hồ sơ (R)")) // the dialog's button, with no comment
	h.wait()
	if d := s.decisions(t)[s.docs[s.lowDoc].ID]; d.Decision != "" {
		t.Fatalf("returned without a comment: %+v", d)
	}
	if len(h.win.Canvas().Overlays().List()) == 0 {
		test.Tap(r.returnDocBtn) // the dialog closed: ask again
		ent = h.entry("Cần sửa gì, ở đâu (bắt buộc)")
	}
	test.Type(ent, docComment)
	test.Tap(h.button("Trả lại hồ sơ (R)"))
	h.wait()
	if d := s.decisions(t)[s.docs[s.lowDoc].ID]; d.Decision != "returned" {
		t.Fatalf("document not returned: %+v (status %q)", d, r.status.Text)
	}
	if !r.approveBtn.Disabled() {
		t.Fatal("approve enabled with a returned document")
	}
	const batchComment = "Trả lại để sửa hồ sơ số 2"
	test.Tap(r.returnBatchBtn)
	test.Type(h.entry("Cần sửa gì, ở đâu (bắt buộc)"), batchComment)
	test.Tap(h.button("Trả lại lô"))
	h.wait()
	if st := s.state(t); st != queue.StateReturned {
		t.Fatalf("batch is %s, want returned; status %q", st, r.status.Text)
	}

	// the clerk sees why
	h.login(s.clerk)
	if h.shows("Lô chờ duyệt") {
		t.Fatal("review screen open for the clerk")
	}
	for _, b := range h.roots() {
		walk(b, func(o fyne.CanvasObject) {
			if b, ok := o.(*widget.Button); ok && b.Text == "Duyệt lô" {
				t.Fatal("the clerk has a review button")
			}
		})
	}
	h.sh.list.table.Select(widget.TableCellID{Row: 0, Col: 0})
	h.mustShow("bị trả lại")
	test.Tap(h.button("Nhận xét duyệt"))
	h.wait()
	h.mustShow(docComment)
	h.mustShow(batchComment)
	h.mustShow("hồ sơ số 2")
	h.mustShow("Trần Văn Kiểm (Phó phòng)")
}

// TestReviewFourEyesRefusal: a supervisor who corrected a field of the batch is told so when
// choosing it, and drawing the sample, accepting or approving is refused with the four-eyes message in the
// interface language; nothing is recorded.
func TestReviewFourEyesRefusal(t *testing.T) {
	s := newReviewSetup(t, 2, func(s *reviewSetup) {
		if err := s.h.e.st.SetField(context.Background(), s.sup, s.docs[0].ID, "full_name", s.truth[0]["full_name"]+" ", queue.SourceCorrected, 1); err != nil {
			t.Fatal(err)
		}
	})
	h := s.h
	r := s.openReview(t, s.sup)
	if !strings.Contains(r.warn.Text, "nguyên tắc bốn mắt") {
		t.Fatalf("no four-eyes notice: %q", r.warn.Text)
	}
	r.pct.SetText("100")
	// Drawing the sample is refused to them (it chooses what is looked at) ...
	test.Tap(h.button("Bắt đầu duyệt"))
	h.wait()
	if r.inDocs || !strings.Contains(r.status.Text, "nguyên tắc bốn mắt") {
		t.Fatalf("a keyer drew the sample: in documents %v, status %q", r.inDocs, r.status.Text)
	}
	h.win.Canvas().Overlays().Top().Hide()
	h.win.Canvas().Overlays().Remove(h.win.Canvas().Overlays().Top())
	other, err := h.e.st.CreateUser(context.Background(), &s.admin, "kiem.soat.hai", "Lê Thị Duyệt", "matkhau-123", []queue.Role{queue.RoleSupervisor})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.flow().Sample(context.Background(), other, workflow.SampleInput{Batch: s.batch.ID, Percent: 100, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	// ... and once another supervisor drew it, they may look at it but not accept it.
	test.Tap(h.button("Bắt đầu duyệt"))
	h.wait()
	if len(r.docs) != 2 {
		t.Fatalf("100%% sample of %d documents", len(r.docs))
	}
	s.key(fyne.KeyA)
	if !strings.Contains(r.status.Text, "nguyên tắc bốn mắt") || r.status.Importance != widget.DangerImportance {
		t.Fatalf("status %q", r.status.Text)
	}
	h.mustShow("Không thực hiện được") // the dialog
	if d := s.decisions(t)[r.docs[0].DocumentID]; d.Decision != "" {
		t.Fatalf("accepted despite four-eyes: %+v", d)
	}
	h.win.Canvas().Overlays().Top().Hide()
	h.win.Canvas().Overlays().Remove(h.win.Canvas().Overlays().Top())
	// the core refuses approval too, and in English when the interface speaks English
	applyLanguage("en")
	defer applyLanguage("vi")
	r.approve()
	h.wait()
	if !strings.Contains(r.status.Text, "four-eyes rule") || strings.Contains(r.status.Text, "bốn mắt") {
		t.Fatalf("status %q", r.status.Text)
	}
	if st := s.state(t); st != queue.StateReview {
		t.Fatalf("batch is %s", st)
	}
}

// TestReviewScreenRefusesClerk: the core refuses a clerk who reaches the screen anyway.
func TestReviewScreenRefusesClerk(t *testing.T) {
	s := newReviewSetup(t, 1, nil)
	h := s.h
	h.login(s.clerk)
	h.sh.showReview()
	h.wait()
	r := h.sh.review
	if r.status.Text == "" || !r.startBtn.Disabled() {
		t.Fatalf("clerk: status %q, start enabled %v", r.status.Text, !r.startBtn.Disabled())
	}
	if _, err := h.e.st.Sample(context.Background(), s.clerk, s.batch.ID, 50, 1); err == nil {
		t.Fatal("the core let a clerk sample")
	}
}

// TestReviewScreenCapture renders the review screen on a sampled document;
// SOHOA_SCREENSHOT_REVIEW=path.png (or SOHOA_SCREENSHOT with "keying" replaced by "review")
// writes the picture (docs/screenshots/review.png).
func TestReviewScreenCapture(t *testing.T) {
	s := newReviewSetup(t, 3, nil)
	h := s.h
	h.win.Resize(fyne.NewSize(1360, 900))
	r := s.openReview(t, s.sup)
	r.seed = func() int64 { return 7 }
	r.pct.SetText("34")
	test.Tap(h.button("Bắt đầu duyệt"))
	h.wait()
	s.key(fyne.KeyA)
	h.sh.outbox.refresh()
	h.wait()
	img := h.win.Canvas().Capture()
	if img.Bounds().Dx() < 1000 || r.page.Image == nil {
		t.Fatalf("capture %v, page %v", img.Bounds(), r.page.Image != nil)
	}
	path := os.Getenv("SOHOA_SCREENSHOT_REVIEW")
	if p := os.Getenv("SOHOA_SCREENSHOT"); path == "" && strings.Contains(p, "keying") {
		path = strings.Replace(p, "keying", "review", 1)
	}
	if path != "" {
		var buf bytes.Buffer
		if err := imgpng.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
