package workflow

import (
	"testing"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// TestDeskWalkThrough drives the desk's half of the flow through the workflow alone, with
// real Tesseract and SQLite: import generated birth certificates, OCR (the pipeline extracts
// their fields), a clerk accepts the confident OCR values, keys what OCR missed or misread
// (the generator's truth) and finishes every document; submits; a supervisor draws the
// sample, accepts it and approves. TestClerkToCentral goes on to signing and sync.
func TestDeskWalkThrough(t *testing.T) {
	f := newFixture(t)
	b := f.batch(queue.BatchSpec{Name: "Khai sinh 2024", RecordType: "birth"})
	dir, truth := f.docs(3, "birth")
	if res, err := f.w.Import(f.ctx, f.clerk, ImportInput{Batch: b.ID, Paths: []string{dir}}, nil); err != nil || res.Documents != 3 {
		t.Fatalf("import: %+v %v", res, err)
	}
	if res, err := f.w.OCR(f.ctx, f.clerk, OCRInput{Batch: b.ID, Options: OCROptions{Workers: 2}}, nil); err != nil || res.Done != 3 {
		t.Fatalf("OCR: %+v %v", res, err)
	}
	docs, err := f.st.Documents(f.ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := f.w.RecordType("birth")
	accepted := 0
	for i, d := range docs {
		k, err := f.w.OpenDocument(f.ctx, f.clerk, d.ID)
		if err != nil || !hasOCRValues(k.Shown) {
			t.Fatalf("document %d opened with %+v (%v)", d.ID, k.Shown, err)
		}
		acc, err := f.w.AcceptConfident(f.ctx, f.clerk, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		accepted += len(acc.Accepted)
		// The clerk keys every printed value that is not stored as printed.
		cur := f.current(d.ID)
		for _, tf := range truth[i].Fields {
			fd, ok := rt.Field(tf.Key)
			if !ok || cur[tf.Key].Value == records.Normalize(fd, tf.Value) {
				continue
			}
			res, err := f.w.KeyField(f.ctx, f.clerk, KeyInput{Document: d.ID, Field: tf.Key, Value: tf.Value})
			if err != nil || res.Errors > 0 {
				t.Fatalf("key %s: %+v %v", tf.Key, res, err)
			}
		}
		fin, err := f.w.FinishDocument(f.ctx, f.clerk, FinishInput{Document: d.ID, ConfirmWarnings: true})
		if err != nil || !fin.Done {
			t.Fatalf("finish document %d: %+v %v", d.ID, fin, err)
		}
	}
	if accepted == 0 {
		t.Fatal("no OCR value was confident enough to accept")
	}
	sub, err := f.w.Submit(f.ctx, f.clerk, SubmitInput{Batch: b.ID, ConfirmWarnings: true}, nil)
	if err != nil || sub.Documents != 3 {
		t.Fatalf("submit: %+v %v", sub, err)
	}
	if _, err := f.w.Sample(f.ctx, f.sup, SampleInput{Batch: b.ID, Percent: 34, Seed: 2026}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.Decide(f.ctx, f.sup, DecideInput{Batch: b.ID, AllSampled: true, Decision: Accept}); err != nil {
		t.Fatal(err)
	}
	ab, err := f.w.Approve(f.ctx, f.sup, b.ID)
	if err != nil || ab.State != queue.StateApproved {
		t.Fatalf("approve: %+v %v", ab, err)
	}
	for i, d := range docs {
		cur := f.current(d.ID)
		for _, tf := range truth[i].Fields {
			if fd, ok := rt.Field(tf.Key); ok && cur[tf.Key].Value != records.Normalize(fd, tf.Value) {
				t.Errorf("document %d: %s stored %q, printed %q", d.ID, tf.Key, cur[tf.Key].Value, tf.Value)
			}
		}
	}
	if err := f.st.VerifyAudit(f.ctx); err != nil {
		t.Fatal(err)
	}
}
