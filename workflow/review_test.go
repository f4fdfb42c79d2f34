package workflow

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sohoa/sohoa/queue"
)

// reviewBatch is a generic batch of n documents keyed valid (pages OCR'd with a stand-in
// result: review reads values, not pages), the last one with a low-confidence OCR value.
func (f *fixture) reviewBatch(n int) (queue.Batch, []queue.Document) {
	f.t.Helper()
	b := f.batch(queue.BatchSpec{Name: "Lô duyệt"})
	var docs []queue.Document
	for i := 0; i < n; i++ {
		d, pages, err := f.st.AddDocument(f.ctx, f.clerk, queue.NewDocument{BatchID: b.ID, Origin: fmt.Sprintf("hs-%d.png", i),
			Pages: []queue.PageInput{pngPage(f.t, 40, 40, uint8(100+i))}})
		if err != nil {
			f.t.Fatal(err)
		}
		if err := f.st.SaveOCR(f.ctx, pages[0].ID, queue.OCRResult{Text: "Quyết định", MeanConf: 91, Engine: "tesseract", Model: "vie"}); err != nil {
			f.t.Fatal(err)
		}
		for k, v := range genericOK {
			if k == "subject" && i == n-1 {
				continue
			}
			if err := f.w.SaveField(f.ctx, f.clerk, FieldInput{Document: d.ID, Key: k, Value: v, Source: queue.SourceKeyed, Confidence: 1}); err != nil {
				f.t.Fatal(err)
			}
		}
		docs = append(docs, d)
	}
	f.ocrValues(docs[n-1].ID, 0.5, map[string]string{"subject": genericOK["subject"]})
	return b, docs
}

// TestSubmitReviewApprove drives a batch through review: a hard error refuses the submit
// (listed, never with its value), a warning needs confirming; the sample is drawn once and
// holds the low-confidence document; the clerk may not approve, nor may a supervisor before
// the sample is accepted; a returned document blocks approval until the batch goes back,
// is corrected and submitted again; then it is approved.
func TestSubmitReviewApprove(t *testing.T) {
	f := newFixture(t)
	b, docs := f.reviewBatch(4)
	if err := f.w.SaveField(f.ctx, f.clerk, FieldInput{Document: docs[0].ID, Key: "issue_date", Value: "31/02/2020", Source: queue.SourceCorrected, Confidence: 1}); err != nil {
		t.Fatal(err)
	}
	res, err := f.w.Submit(f.ctx, f.clerk, SubmitInput{Batch: b.ID}, f.progress)
	var ve *queue.ValidationError
	if !errors.As(err, &ve) || len(res.Problems) != 1 || res.Problems[0].Document != docs[0].ID || res.Problems[0].Key != "issue_date" {
		t.Fatalf("submit with an error: %+v %v", res, err)
	}
	if evs := f.got(); len(evs) != 4 || evs[3].Done != 4 || evs[3].Total != 4 {
		t.Fatalf("submit events %+v", evs)
	}
	if _, err := f.w.KeyField(f.ctx, f.clerk, KeyInput{Document: docs[0].ID, Field: "issue_date", Value: "28/02/2020"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.KeyField(f.ctx, f.clerk, KeyInput{Document: docs[1].ID, Field: "signer_name", Value: "Nguyễn Văn 4n"}); err != nil {
		t.Fatal(err)
	}
	var we *queue.WarningsError
	if _, err := f.w.Submit(f.ctx, f.clerk, SubmitInput{Batch: b.ID}, nil); !errors.As(err, &we) || we.Warnings != 1 {
		t.Fatalf("submit with a warning: %v", err)
	}
	res, err = f.w.Submit(f.ctx, f.clerk, SubmitInput{Batch: b.ID, ConfirmWarnings: true}, nil)
	if err != nil || res.Round != 1 || res.Documents != 4 || res.LowFields != 1 || res.Warnings != 1 {
		t.Fatalf("submit: %+v %v", res, err)
	}
	// The clerk who keyed cannot review; the supervisor draws the sample once.
	if _, err := f.w.Sample(f.ctx, f.clerk, SampleInput{Batch: b.ID, Percent: 10}); !errors.Is(err, queue.ErrNotPermitted) {
		t.Fatalf("clerk samples: %v", err)
	}
	s1, err := f.w.Sample(f.ctx, f.sup, SampleInput{Batch: b.ID, Percent: 0, Seed: 7})
	if err != nil || s1.AlreadyDrawn {
		t.Fatalf("sample: %+v %v", s1, err)
	}
	inSample := map[int64]bool{}
	for _, d := range s1.Documents {
		inSample[d.DocumentID] = true
	}
	// corrected (0), warnings (1), low confidence (3)
	if len(s1.Documents) != 3 || !inSample[docs[0].ID] || !inSample[docs[1].ID] || !inSample[docs[3].ID] {
		t.Fatalf("sample %+v", s1.Documents)
	}
	s2, err := f.w.Sample(f.ctx, f.sup2, SampleInput{Batch: b.ID, Percent: 100})
	if err != nil || !s2.AlreadyDrawn || len(s2.Documents) != 3 {
		t.Fatalf("second draw: %+v %v", s2, err)
	}
	if _, err := f.w.Approve(f.ctx, f.sup, b.ID); !errors.Is(err, queue.ErrSampleOpen) {
		t.Fatalf("approve with the sample open: %v", err)
	}
	prov, err := f.w.ReviewedDocument(f.ctx, b.ID, docs[3].ID)
	if err != nil {
		t.Fatal(err)
	}
	low := 0
	for _, fp := range prov {
		if LowConfidence(fp.Current) {
			low++
		}
	}
	if low != 1 {
		t.Fatalf("%d low-confidence values in %+v", low, prov)
	}
	if _, err := f.w.ReviewedDocument(f.ctx, b.ID, 999999); !errors.Is(err, queue.ErrNotInBatch) {
		t.Fatalf("a document not in the round: %v", err)
	}
	// Return one document: approval waits for the batch to come back.
	if _, err := f.w.Decide(f.ctx, f.sup, DecideInput{Batch: b.ID, Documents: []int64{docs[1].ID}, Decision: Return}); !errors.Is(err, queue.ErrCommentRequired) {
		t.Fatalf("return without a comment: %v", err)
	}
	if _, err := f.w.Decide(f.ctx, f.sup, DecideInput{Batch: b.ID, Documents: []int64{docs[1].ID}, Decision: Return, Comment: "Tên người ký sai"}); err != nil {
		t.Fatal(err)
	}
	dec, err := f.w.Decide(f.ctx, f.sup, DecideInput{Batch: b.ID, AllSampled: true, Decision: Accept})
	if err != nil || len(dec.Decided) != 2 {
		t.Fatalf("accept the rest of the sample: %+v %v", dec, err)
	}
	if _, err := f.w.Approve(f.ctx, f.sup, b.ID); !errors.Is(err, queue.ErrDocReturned) {
		t.Fatalf("approve with a document returned: %v", err)
	}
	if _, err := f.w.ReturnBatch(f.ctx, f.sup, ReturnInput{Batch: b.ID, Comment: " "}); !errors.Is(err, queue.ErrCommentRequired) {
		t.Fatalf("return a batch without a comment: %v", err)
	}
	rb, err := f.w.ReturnBatch(f.ctx, f.sup, ReturnInput{Batch: b.ID, Comment: "Sửa hồ sơ 2"})
	if err != nil || rb.State != queue.StateReturned {
		t.Fatalf("return: %+v %v", rb, err)
	}
	cs, seqs, err := f.w.Comments(f.ctx, b.ID)
	if err != nil || len(cs) != 2 || cs[0].DocumentID != docs[1].ID || seqs[docs[1].ID] != 2 || cs[1].DocumentID != 0 {
		t.Fatalf("comments %+v %v %v", cs, seqs, err)
	}
	// Round 2: corrected and submitted; the returned and corrected document is in the sample.
	if _, err := f.w.KeyField(f.ctx, f.clerk, KeyInput{Document: docs[1].ID, Field: "signer_name", Value: "Nguyễn Văn An"}); err != nil {
		t.Fatal(err)
	}
	if res, err = f.w.Submit(f.ctx, f.clerk, SubmitInput{Batch: b.ID}, nil); err != nil || res.Round != 2 {
		t.Fatalf("resubmit: %+v %v", res, err)
	}
	s3, err := f.w.Sample(f.ctx, f.sup, SampleInput{Batch: b.ID, Percent: 0, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.Decide(f.ctx, f.clerk, DecideInput{Batch: b.ID, AllSampled: true, Decision: Accept}); !errors.Is(err, queue.ErrNotPermitted) {
		t.Fatalf("clerk accepts: %v", err)
	}
	if _, err := f.w.Decide(f.ctx, f.sup, DecideInput{Batch: b.ID, AllSampled: true, Decision: Accept}); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range s3.Documents {
		found = found || d.DocumentID == docs[1].ID
	}
	if !found {
		t.Fatalf("round 2 sample %+v lacks the returned document", s3.Documents)
	}
	ab, err := f.w.Approve(f.ctx, f.sup, b.ID)
	if err != nil || ab.State != queue.StateApproved {
		t.Fatalf("approve: %+v %v", ab, err)
	}
	if err := f.st.VerifyAudit(f.ctx); err != nil {
		t.Fatal(err)
	}
}

// TestReviewFourEyes: a supervisor who keyed a value of the batch may not draw its sample,
// accept nor approve it (the store's rule, whichever face asks).
func TestReviewFourEyes(t *testing.T) {
	f := newFixture(t)
	b, docs := f.reviewBatch(2)
	both, err := f.st.CreateUser(f.ctx, &f.admin, "ca.hai", "Vũ Văn Hai", "mật-khẩu-dài", []queue.Role{queue.RoleClerk, queue.RoleSupervisor})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.KeyField(f.ctx, both, KeyInput{Document: docs[0].ID, Field: "subject", Value: "Về việc khác"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.Submit(f.ctx, f.clerk, SubmitInput{Batch: b.ID}, nil); err != nil {
		t.Fatal(err)
	}
	// Drawing the sample chooses what is looked at: refused to a keyer too.
	var fe *queue.FourEyesError
	if _, err := f.w.Sample(f.ctx, both, SampleInput{Batch: b.ID, Percent: 1, Seed: 3}); !errors.As(err, &fe) {
		t.Fatalf("sample drawn by a keyer: %v", err)
	}
	if res, err := f.w.Sample(f.ctx, f.sup, SampleInput{Batch: b.ID, Percent: 100, Seed: 3}); err != nil || len(res.Documents) != 2 {
		t.Fatalf("sample by an uninvolved supervisor: %+v %v (the keyer's attempt must not have drawn one)", res, err)
	}
	if _, err := f.w.Decide(f.ctx, both, DecideInput{Batch: b.ID, AllSampled: true, Decision: Accept}); !errors.As(err, &fe) {
		t.Fatalf("accept by a keyer: %v", err)
	}
	if _, err := f.w.Approve(f.ctx, both, b.ID); !errors.As(err, &fe) {
		t.Fatalf("approve by a keyer: %v", err)
	}
}
