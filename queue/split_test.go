package queue

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// splitFixture makes a batch with documents of the given page counts; every page has a
// distinct image.
func splitFixture(t *testing.T, counts ...int) (*Store, User, Batch, []Document) {
	t.Helper()
	s, admin := openTest(t)
	ctx := context.Background()
	b, err := s.CreateBatch(ctx, admin, BatchSpec{Office: "HN-01"})
	if err != nil {
		t.Fatal(err)
	}
	shade := 0
	for _, n := range counts {
		var in []PageInput
		for i := 0; i < n; i++ {
			in = append(in, pngPage(t, 8, 8, uint8(shade)))
			shade++
		}
		if _, _, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "scan", Pages: in}); err != nil {
			t.Fatal(err)
		}
	}
	docs, err := s.Documents(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	return s, admin, b, docs
}

func pageIDs(t *testing.T, s *Store, docID int64) []int64 {
	t.Helper()
	ps, err := s.Pages(context.Background(), docID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, p := range ps {
		if p.Seq != i+1 {
			t.Fatalf("document %d: page %d has seq %d (want 1..n without gaps)", docID, p.ID, p.Seq)
		}
		ids = append(ids, p.ID)
	}
	return ids
}

// checkDocSeqs asserts the batch's documents are exactly ids, in order, with seq 1..n.
func checkDocSeqs(t *testing.T, s *Store, batchID string, ids ...int64) {
	t.Helper()
	docs, err := s.Documents(context.Background(), batchID)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != len(ids) {
		t.Fatalf("batch has %d documents, want %d", len(docs), len(ids))
	}
	for i, d := range docs {
		if d.ID != ids[i] || d.Seq != i+1 {
			t.Fatalf("document #%d is %d seq %d; want %d seq %d", i, d.ID, d.Seq, ids[i], i+1)
		}
	}
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

func lastAudit(t *testing.T, s *Store) AuditEvent {
	t.Helper()
	ev, err := s.AuditLog(context.Background(), 1)
	if err != nil || len(ev) != 1 {
		t.Fatalf("audit: %v", err)
	}
	return ev[0]
}

func searchDoc(t *testing.T, s *Store, q string) []int64 {
	t.Helper()
	hits, err := s.Search(context.Background(), q, 10)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, h := range hits {
		out = append(out, h.DocumentID)
	}
	return out
}

func TestSplitAndMergeDocuments(t *testing.T) {
	s, admin, b, docs := splitFixture(t, 4, 2, 1)
	ctx := context.Background()
	a, bDoc, c := docs[0], docs[1], docs[2]
	aPages := pageIDs(t, s, a.ID)
	if err := s.SaveOCR(ctx, aPages[2], OCRResult{Text: "Trang thứ ba của hồ sơ", Engine: "t", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetField(ctx, admin, a.ID, "so_hieu", "12/2026", SourceKeyed, 100); err != nil {
		t.Fatal(err)
	}

	newID, err := s.SplitDocument(ctx, admin, a.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	checkDocSeqs(t, s, b.ID, a.ID, newID, bDoc.ID, c.ID)
	if got := pageIDs(t, s, a.ID); !sameIDs(got, aPages[:2]) {
		t.Fatalf("first part pages %v, want %v", got, aPages[:2])
	}
	if got := pageIDs(t, s, newID); !sameIDs(got, aPages[2:]) {
		t.Fatalf("second part pages %v, want %v", got, aPages[2:])
	}
	if got := searchDoc(t, s, "trang thu ba"); len(got) != 1 || got[0] != newID {
		t.Fatalf("page text search after split finds documents %v, want [%d]", got, newID)
	}
	if got := searchDoc(t, s, "12 2026"); len(got) != 1 || got[0] != a.ID {
		t.Fatalf("fields stay with the first part: search finds %v", got)
	}
	if ev := lastAudit(t, s); ev.Action != "document.split" || strings.Contains(ev.Detail, "2026") {
		t.Fatalf("audit event %+v", ev)
	}

	// Split errors: at page 1 or past the end, unknown document.
	for _, at := range []int{1, 0, 3} {
		if _, err := s.SplitDocument(ctx, admin, a.ID, at); !errors.Is(err, ErrBadEdit) {
			t.Errorf("split at %d: %v", at, err)
		}
	}
	if _, err := s.SplitDocument(ctx, admin, 9999, 2); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown document: %v", err)
	}

	// Merge back: pages in the original order, later documents move up.
	if err := s.SetField(ctx, admin, newID, "so_hieu", "99/2026", SourceKeyed, 100); err != nil {
		t.Fatal(err)
	}
	if err := s.SetField(ctx, admin, newID, "ngay", "01/02/2026", SourceKeyed, 100); err != nil {
		t.Fatal(err)
	}
	if err := s.MergeDocuments(ctx, admin, newID, a.ID); !errors.Is(err, ErrBadEdit) {
		t.Errorf("merge in reverse order: %v", err)
	}
	if err := s.MergeDocuments(ctx, admin, a.ID, bDoc.ID); !errors.Is(err, ErrBadEdit) {
		t.Errorf("merge of non-neighbours: %v", err)
	}
	if err := s.MergeDocuments(ctx, admin, a.ID, a.ID); !errors.Is(err, ErrBadEdit) {
		t.Errorf("merge with itself: %v", err)
	}
	if err := s.MergeDocuments(ctx, admin, a.ID, newID); err != nil {
		t.Fatal(err)
	}
	checkDocSeqs(t, s, b.ID, a.ID, bDoc.ID, c.ID)
	if got := pageIDs(t, s, a.ID); !sameIDs(got, aPages) {
		t.Fatalf("merged pages %v, want %v", got, aPages)
	}
	if _, err := s.Document(ctx, newID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second document still there: %v", err)
	}
	fields, _ := s.Fields(ctx, a.ID)
	if len(fields) != 2 || fields[0].Key != "ngay" || fields[1].Key != "so_hieu" || fields[1].Value != "12/2026" {
		t.Fatalf("fields after merge: %+v", fields)
	}
	if hist, _ := s.FieldHistory(ctx, a.ID, "so_hieu"); len(hist) != 2 {
		t.Fatalf("the second document's value is kept as history: %+v", hist)
	}
	if got := searchDoc(t, s, "trang thu ba"); len(got) != 1 || got[0] != a.ID {
		t.Fatalf("page text search after merge: %v", got)
	}
	if got := searchDoc(t, s, "01 02 2026"); len(got) != 1 || got[0] != a.ID {
		t.Fatalf("moved field search after merge: %v", got)
	}
	if got := searchDoc(t, s, "99 2026"); len(got) != 0 {
		t.Fatalf("superseded field still indexed: %v", got)
	}
	if ev := lastAudit(t, s); ev.Action != "document.merge" || strings.Contains(ev.Detail, "2026") {
		t.Fatalf("audit event %+v", ev)
	}
	if err := s.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestMergeAcrossBatchesRefused(t *testing.T) {
	s, admin, _, docs := splitFixture(t, 1)
	ctx := context.Background()
	b2, _ := s.CreateBatch(ctx, admin, BatchSpec{})
	d2, _, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b2.ID, Origin: "x", Pages: []PageInput{pngPage(t, 8, 8, 200)}})
	if err != nil {
		t.Fatal(err)
	}
	// Both have seq 1, so "neighbours" by seq would be wrong anyway; the batch check refuses.
	if err := s.MergeDocuments(ctx, admin, docs[0].ID, d2.ID); !errors.Is(err, ErrBadEdit) {
		t.Fatalf("cross-batch merge: %v", err)
	}
}

func TestMoveAndDeletePage(t *testing.T) {
	s, admin, _, docs := splitFixture(t, 4)
	ctx := context.Background()
	d := docs[0]
	p := pageIDs(t, s, d.ID)
	if err := s.MovePage(ctx, admin, p[0], 4); err != nil {
		t.Fatal(err)
	}
	if got, want := pageIDs(t, s, d.ID), []int64{p[1], p[2], p[3], p[0]}; !sameIDs(got, want) {
		t.Fatalf("after move 1→4: %v, want %v", got, want)
	}
	if err := s.MovePage(ctx, admin, p[3], 1); err != nil {
		t.Fatal(err)
	}
	if got, want := pageIDs(t, s, d.ID), []int64{p[3], p[1], p[2], p[0]}; !sameIDs(got, want) {
		t.Fatalf("after move 3→1: %v, want %v", got, want)
	}
	if err := s.MovePage(ctx, admin, p[1], 2); err != nil { // no-op
		t.Fatal(err)
	}
	for _, to := range []int{0, 5} {
		if err := s.MovePage(ctx, admin, p[0], to); !errors.Is(err, ErrBadEdit) {
			t.Errorf("move to %d: %v", to, err)
		}
	}
	if err := s.MovePage(ctx, admin, 9999, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown page: %v", err)
	}
	if ev := lastAudit(t, s); ev.Action != "page.move" {
		t.Fatalf("audit %+v", ev)
	}

	if err := s.SaveOCR(ctx, p[1], OCRResult{Text: "trang bị quét hai lần", Engine: "t", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePage(ctx, admin, p[1]); err != nil {
		t.Fatal(err)
	}
	if got, want := pageIDs(t, s, d.ID), []int64{p[3], p[2], p[0]}; !sameIDs(got, want) {
		t.Fatalf("after delete: %v, want %v", got, want)
	}
	if got := searchDoc(t, s, "quet hai lan"); len(got) != 0 {
		t.Fatalf("deleted page still searchable: %v", got)
	}
	if _, err := s.Page(ctx, p[1]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted page: %v", err)
	}
	s2, admin2, _, docs2 := splitFixture(t, 1)
	only := pageIDs(t, s2, docs2[0].ID)
	if err := s2.DeletePage(ctx, admin2, only[0]); !errors.Is(err, ErrBadEdit) {
		t.Fatalf("deleting the only page: %v", err)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestEditsOnlyWhileCapturingOrKeying(t *testing.T) {
	s, admin, b, docs := splitFixture(t, 2, 1)
	ctx := context.Background()
	if err := s.Transition(ctx, admin, b.ID, StateKeying, ""); err != nil {
		t.Fatal(err)
	}
	p := pageIDs(t, s, docs[0].ID)
	if err := s.MovePage(ctx, admin, p[1], 1); err != nil {
		t.Fatalf("keying: move refused: %v", err)
	}
	if err := s.Transition(ctx, admin, b.ID, StateReview, ""); err != nil {
		t.Fatal(err)
	}
	before, _ := s.AuditLog(ctx, 0)
	if _, err := s.SplitDocument(ctx, admin, docs[0].ID, 2); err == nil || !strings.Contains(err.Error(), "review") {
		t.Errorf("split in review: %v", err)
	}
	if err := s.MergeDocuments(ctx, admin, docs[0].ID, docs[1].ID); err == nil {
		t.Error("merge in review accepted")
	}
	if err := s.MovePage(ctx, admin, p[0], 2); err == nil {
		t.Error("move in review accepted")
	}
	if err := s.DeletePage(ctx, admin, p[0]); err == nil {
		t.Error("delete in review accepted")
	}
	after, _ := s.AuditLog(ctx, 0)
	if len(after) != len(before) {
		t.Errorf("refused edits wrote %d audit events", len(after)-len(before))
	}
	if got := pageIDs(t, s, docs[0].ID); !sameIDs(got, []int64{p[1], p[0]}) {
		t.Errorf("pages changed in review: %v", got)
	}
}
