package workflow

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// Review: a clerk submits a batch (every document validated: hard errors block, warnings
// need confirming), a supervisor draws the round's sample (once, stored), accepts or returns
// documents, and approves the batch or returns it to its clerks with a comment. The roles and
// the four-eyes rule are the store's (queue/review.go, queue/roles.go).

// SubmitInput sends a batch to review.
type SubmitInput struct {
	Batch           string
	ConfirmWarnings bool // the clerk saw the warnings and submits anyway
}

// SubmitResult is what the submit recorded; Problems lists what validation found (field and
// message, never a value), also when the submit was refused for them (*queue.ValidationError,
// *queue.WarningsError).
type SubmitResult struct {
	queue.SubmitResult
	Problems []DocProblem
}

// Submit validates every document of the batch with its record type (as of now) and sends
// it to review in one transaction (queue.Store.Submit), reporting one "document" event per
// document validated.
func (w *Workflow) Submit(ctx context.Context, actor queue.User, in SubmitInput, progress Progress) (SubmitResult, error) {
	var res SubmitResult
	b, err := w.Store.Batch(ctx, in.Batch)
	if err != nil {
		return res, err
	}
	rt, err := w.RecordType(b.RecordType)
	if err != nil {
		return res, err
	}
	n := 0
	check := records.Checker(w.Store, rt, w.now(), func(doc int64, p records.Problem) {
		res.Problems = append(res.Problems, DocProblem{Document: doc, Problem: p})
	})
	counted := func(ctx context.Context, id int64) (queue.DocProblems, error) {
		dp, err := check(ctx, id)
		n++
		progress.Report(Event{Op: "submit", Step: "document", Done: n, Total: b.Documents, Item: fmt.Sprintf("document %d", id)})
		return dp, err
	}
	res.SubmitResult, err = w.Store.Submit(ctx, actor, b.ID, counted, in.ConfirmWarnings)
	return res, err
}

// SampleInput draws the random part of a round's review sample.
type SampleInput struct {
	Batch   string
	Percent int   // 0..100 of the batch at random, on top of the documents to be seen anyway
	Seed    int64 // 0: from the clock; the same seed draws the same documents
}

// SampleResult is the round's stored sample.
type SampleResult struct {
	Round        queue.ReviewRound // as it was before this call
	AlreadyDrawn bool              // drawn earlier this round: the stored sample is kept
	Seed         int64             // the seed drawn with (when not AlreadyDrawn)
	Documents    []queue.ReviewDoc // the sample, in batch order
}

// Sample draws the round's sample once (percent at random plus every document returned,
// corrected, accepted from low-confidence OCR, with warnings or low confidence); once drawn,
// a later call from either face returns the stored sample unchanged.
func (w *Workflow) Sample(ctx context.Context, actor queue.User, in SampleInput) (SampleResult, error) {
	var res SampleResult
	round, err := w.Store.CurrentReviewRound(ctx, in.Batch)
	if err != nil {
		return res, err
	}
	res.Round, res.AlreadyDrawn, res.Seed = round, round.SampleDrawn(), in.Seed
	if res.Seed == 0 {
		res.Seed = time.Now().UnixNano()
	}
	res.Documents, err = w.Store.Sample(ctx, actor, in.Batch, in.Percent, res.Seed)
	return res, err
}

// Decision is a supervisor's decision on a document.
type Decision string

const (
	Accept Decision = "accepted"
	Return Decision = "returned" // to be corrected: a comment is required
)

// DecideInput decides documents of the batch under review.
type DecideInput struct {
	Batch      string
	Documents  []int64
	AllSampled bool // also every document of the sample not decided yet
	Decision   Decision
	Comment    string // required to return
}

// DecideResult lists the documents decided, in order.
type DecideResult struct{ Decided []int64 }

// Decide accepts or returns documents of the current round, one transaction each (the
// four-eyes rule applies to accepting). It stops at the first refusal; those decided before
// stay decided.
func (w *Workflow) Decide(ctx context.Context, actor queue.User, in DecideInput) (DecideResult, error) {
	var res DecideResult
	ids := append([]int64(nil), in.Documents...)
	if in.AllSampled {
		docs, err := w.Store.ReviewDocuments(ctx, in.Batch)
		if err != nil {
			return res, err
		}
		for _, d := range docs {
			if d.Sampled != "" && d.Decision == "" {
				ids = append(ids, d.DocumentID)
			}
		}
	}
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var err error
		switch in.Decision {
		case Accept:
			err = w.Store.AcceptDocument(ctx, actor, in.Batch, id, in.Comment)
		case Return:
			err = w.Store.ReturnDocument(ctx, actor, in.Batch, id, in.Comment)
		default:
			err = l10n.New("workflow.badDecision", l10n.Args{"Decision": string(in.Decision)})
		}
		if err != nil {
			return res, err
		}
		res.Decided = append(res.Decided, id)
	}
	return res, nil
}

// ReturnInput sends a batch back to its clerks.
type ReturnInput struct {
	Batch   string
	Comment string // required: what to correct
}

// ReturnBatch sends a batch under review (or approved) back to its clerks with a comment
// they will see (Comments).
func (w *Workflow) ReturnBatch(ctx context.Context, actor queue.User, in ReturnInput) (queue.Batch, error) {
	if strings.TrimSpace(in.Comment) == "" {
		return queue.Batch{}, queue.ErrCommentRequired
	}
	if err := w.Store.Return(ctx, actor, in.Batch, in.Comment); err != nil {
		return queue.Batch{}, err
	}
	return w.Store.Batch(ctx, in.Batch)
}

// Approve approves a reviewed batch: refused by the store while a document of the sample is
// not accepted or one is returned, and to anyone the four-eyes rule stops.
func (w *Workflow) Approve(ctx context.Context, actor queue.User, batchID string) (queue.Batch, error) {
	if err := w.Store.Approve(ctx, actor, batchID); err != nil {
		return queue.Batch{}, err
	}
	return w.Store.Batch(ctx, batchID)
}

// ReviewedDocument returns a document's fields with their provenance (source, who, when, the
// values a correction replaced), for a supervisor reviewing it: only a document of the
// batch's current review round.
func (w *Workflow) ReviewedDocument(ctx context.Context, batchID string, docID int64) ([]queue.FieldProvenance, error) {
	docs, err := w.Store.ReviewDocuments(ctx, batchID)
	if err != nil {
		return nil, err
	}
	in := false
	for _, d := range docs {
		in = in || d.DocumentID == docID
	}
	if !in {
		return nil, fmt.Errorf("%w (%d)", queue.ErrNotInBatch, docID)
	}
	return w.Store.DocumentProvenance(ctx, docID)
}

// Comments are a batch's review comments, oldest first, and the documents' positions in the
// batch (by ID) to name them.
func (w *Workflow) Comments(ctx context.Context, batchID string) ([]queue.ReviewComment, map[int64]int, error) {
	cs, err := w.Store.Comments(ctx, batchID)
	if err != nil {
		return nil, nil, err
	}
	docs, err := w.Store.Documents(ctx, batchID)
	if err != nil {
		return nil, nil, err
	}
	seqs := map[int64]int{}
	for _, d := range docs {
		seqs[d.ID] = d.Seq
	}
	return cs, seqs, nil
}
