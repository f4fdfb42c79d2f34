package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// sampledIDs is the set of documents the review screen shows as its sample.
func sampledIDs(r *reviewScreen) map[int64]bool {
	m := map[int64]bool{}
	for _, d := range r.docs {
		m[d.DocumentID] = true
	}
	return m
}

// showDoc moves through the sample with N until document id shows; false when it is not in
// the sample.
func (s *reviewSetup) showDoc(r *reviewScreen, id int64) bool {
	for range r.docs {
		if r.docs[r.di].DocumentID == id {
			return true
		}
		s.key(fyne.KeyN)
	}
	return len(r.docs) > 0 && r.docs[r.di].DocumentID == id
}

// returnDocument returns the shown document with a comment, through the R key and the dialog.
func (s *reviewSetup) returnDocument(t *testing.T, comment string) {
	t.Helper()
	s.key(fyne.KeyR)
	test.Type(s.h.entry("Cần sửa gì, ở đâu (bắt buộc)"), comment)
	test.Tap(s.h.button("Trả lại hồ sơ (R)"))
	s.h.wait()
}

// TestReviewRound2SampleHoldsReturnedDocument (finding 6): in round 1 the supervisor returns
// one document (drawn at random) and the batch; the clerk corrects another document and
// submits again. In round 2 the supervisor asks for the problem documents only: the sample
// holds the document returned in round 1 and the one corrected since, besides the
// low-confidence one; the screen says why. Drawing again (another mode, another seed) shows
// the same stored sample, and approval waits for every one of them.
func TestReviewRound2SampleHoldsReturnedDocument(t *testing.T) {
	ctx := context.Background()
	s := newReviewSetup(t, 4, nil)
	h := s.h
	r := s.openReview(t, s.sup)
	r.pct.SetText("100")
	test.Tap(h.button("Bắt đầu duyệt"))
	h.wait()
	if len(r.docs) != 4 {
		t.Fatalf("100%% sample of %d documents", len(r.docs))
	}
	// return the first document that is not the low-confidence one
	returned := s.docs[0].ID
	if !s.showDoc(r, returned) {
		t.Fatal("document not in the 100% sample")
	}
	s.returnDocument(t, "Số định danh chưa khớp bản gốc")
	if d := s.decisions(t)[returned]; d.Decision != "returned" {
		t.Fatalf("not returned: %+v (status %q)", d, r.status.Text)
	}
	test.Tap(r.returnBatchBtn)
	test.Type(h.entry("Cần sửa gì, ở đâu (bắt buộc)"), "Sửa hồ sơ số 1")
	test.Tap(h.button("Trả lại lô"))
	h.wait()
	if st := s.state(t); st != queue.StateReturned {
		t.Fatalf("batch is %s", st)
	}

	// Between the rounds the clerk corrects document 3 (index 2), and submits again.
	corrected := s.docs[2].ID
	if err := h.e.st.SetField(ctx, s.clerk, corrected, "full_name", s.truth[2]["full_name"]+" Anh", queue.SourceCorrected, 1); err != nil {
		t.Fatal(err)
	}
	rt, _ := must(recordRegistryFor(h.e.st.Dir())).Get("birth")
	if _, err := h.e.st.Submit(ctx, s.clerk, s.batch.ID, records.Checker(h.e.st, rt, time.Now(), nil), true); err != nil {
		t.Fatal(err)
	}

	r = s.openReview(t, s.sup)
	r.mode.SetSelected("Chỉ các hồ sơ bắt buộc phải xem")
	test.Tap(h.button("Bắt đầu duyệt"))
	h.wait()
	got := sampledIDs(r)
	for name, id := range map[string]int64{"returned in round 1": returned, "corrected since round 1": corrected,
		"low confidence": s.docs[s.lowDoc].ID} {
		if !got[id] {
			t.Errorf("round 2 sample lacks the document %s (%d): %+v", name, id, r.docs)
		}
	}
	if len(got) != 3 {
		t.Errorf("round 2 sample %+v, want exactly those three", r.docs)
	}
	// the head says why the shown document is there
	if !s.showDoc(r, returned) {
		t.Fatalf("round 2 sample lacks the returned document: %+v", r.docs)
	}
	h.mustShow("trả lại ở lần duyệt trước")

	// Draw again, differently: the stored sample comes back unchanged.
	s.h.sh.showReview()
	h.wait()
	r = h.sh.review
	r.list.Select(0)
	h.wait()
	r.seed = func() int64 { return 99 }
	r.mode.SetSelected("Một tỉ lệ ngẫu nhiên và mọi hồ sơ bắt buộc phải xem")
	r.pct.SetText("100")
	test.Tap(h.button("Bắt đầu duyệt"))
	h.wait()
	if again := sampledIDs(r); len(again) != len(got) {
		t.Fatalf("second draw in the same round: %+v, first %v", r.docs, got)
	}
	for id := range got {
		if !sampledIDs(r)[id] {
			t.Fatalf("second draw lost document %d", id)
		}
	}
	// The core refuses approval until every sampled document is accepted.
	if err := h.e.st.Approve(ctx, s.sup, s.batch.ID); err == nil {
		t.Fatal("approved with an open sample")
	}
	for range r.docs {
		s.key(fyne.KeyA)
	}
	test.Tap(r.approveBtn)
	h.wait()
	if st := s.state(t); st != queue.StateApproved {
		t.Fatalf("batch is %s; status %q", st, r.status.Text)
	}
}

// TestReviewShowsProvenance: for each field the review screen says where the value came
// from (OCR with its confidence, OCR accepted by whom, keyed, corrected), who gave it and
// when (local time), and the earlier values of a corrected field.
func TestReviewShowsProvenance(t *testing.T) {
	ctx := context.Background()
	var ocrAt time.Time
	s := newReviewSetup(t, 1, func(s *reviewSetup) {
		st, d := s.h.e.st, s.docs[0].ID
		ocrAt = time.Now()
		// the father's name: OCR read it without its tone marks, the clerk corrected it
		if err := st.SetField(ctx, queue.User{}, d, "father_full_name", "Nguyen Van Binh", queue.SourceOCR, 0.55); err != nil {
			t.Fatal(err)
		}
		if err := st.SetField(ctx, s.clerk, d, "father_full_name", "Nguyễn Văn Bình", queue.SourceCorrected, 1); err != nil {
			t.Fatal(err)
		}
		// the place of birth: OCR value accepted as it was
		if err := st.SetField(ctx, queue.User{}, d, "place_of_birth", "Hà Nội", queue.SourceOCR, 0.93); err != nil {
			t.Fatal(err)
		}
		if err := st.SetField(ctx, s.clerk, d, "place_of_birth", "Hà Nội", queue.SourceOCRAccepted, 0.93); err != nil {
			t.Fatal(err)
		}
	})
	h := s.h
	r := s.openReview(t, s.sup)
	r.pct.SetText("100")
	test.Tap(h.button("Bắt đầu duyệt"))
	h.wait()
	row := func(key string) string {
		t.Helper()
		for i, f := range r.rt.Fields {
			if f.Key == key {
				return r.values[i].Text + " | " + r.infos[i].Text + " | " + r.hists[i].Text
			}
		}
		t.Fatalf("no row %s", key)
		return ""
	}
	when := formatLocal(ocrAt)[:10] // the day, in the user's zone (dd/mm/yyyy)
	for key, want := range map[string][]string{
		"father_full_name": {"Nguyễn Văn Bình", "đã sửa", "Nguyễn Thị Nhập", when, "Nguyen Van Binh", "OCR 55%"},
		"place_of_birth":   {"Hà Nội", "OCR 93%", "chấp nhận", "Nguyễn Thị Nhập"},
		"full_name":        {s.truth[0]["full_name"], "đã nhập", "Nguyễn Thị Nhập"},
	} {
		got := row(key)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", key, got, w)
			}
		}
	}
	if got := row("full_name"); strings.Contains(got, "T") && strings.Contains(got, "Z") && strings.Contains(got, ":") && strings.Contains(got, "000") {
		t.Errorf("raw UTC time stamp shown: %q", got)
	}
}
