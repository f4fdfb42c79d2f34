package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("submit", "--batch ID [--confirm-warnings]", defSubmit)
	register("review", "[--batch ID [--sample PERCENT] [--seed N] [--accept DOC,…|all-sampled] [--return-doc DOC --comment TEXT] [--doc DOC]]", defReview)
	register("approve", "--batch ID", defApprove)
	register("return", "--batch ID --comment TEXT", defReturn)
	register("comments", "--batch ID", defComments)
}

func defSubmit(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	confirm := fs.Bool("confirm-warnings", false, "")
	return func(ctx context.Context, args []string) error {
		u, w, err := c.batchDesk(ctx, *batch)
		if err != nil {
			return err
		}
		res, err := w.Submit(ctx, u, workflow.SubmitInput{Batch: *batch, ConfirmWarnings: *confirm}, nil)
		var ve *queue.ValidationError
		var we *queue.WarningsError
		if errors.As(err, &ve) || errors.As(err, &we) {
			// What was found (field and message, never the value).
			for _, p := range res.Problems {
				fmt.Fprintf(c.env.Stderr, "  %s %d\t%-8s %-24s %s\n", c.tr("cli.common.document"), p.Document,
					c.severity(p.Severity), p.Key, p.Localize(c.lang))
			}
			if we != nil {
				fmt.Fprintln(c.env.Stderr, c.tr("cli.review.checkWarningsThenSubmit"))
			}
		}
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(map[string]any{"round": res.Round, "documents": res.Documents, "warnings": res.Warnings,
				"low_confidence_fields": res.LowFields, "low_confidence_pages": res.LowPages})
		}
		fmt.Fprintf(c.env.Stdout, c.tr("cli.review.sentToReviewRound"),
			res.Round, res.Documents, res.Warnings, res.LowFields, res.LowPages)
		return nil
	}
}

func defApprove(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	return func(ctx context.Context, args []string) error {
		u, w, err := c.batchDesk(ctx, *batch)
		if err != nil {
			return err
		}
		b, err := w.Approve(ctx, u, *batch)
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(batchJSON(b))
		}
		fmt.Fprintf(c.env.Stdout, c.tr("cli.review.batchApprovedBy"), b.ID, u.FullName)
		return nil
	}
}

func defReturn(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	comment := fs.String("comment", "", "")
	return func(ctx context.Context, args []string) error {
		if *batch == "" || strings.TrimSpace(*comment) == "" {
			return usageError{c.tr("cli.review.batchAndCommentAre")}
		}
		u, w, err := c.desk(ctx)
		if err != nil {
			return err
		}
		if _, err := w.ReturnBatch(ctx, u, workflow.ReturnInput{Batch: *batch, Comment: *comment}); err != nil {
			return err
		}
		if c.json {
			return c.printJSON(map[string]string{"batch": *batch, "state": string(queue.StateReturned)})
		}
		fmt.Fprintln(c.env.Stdout, c.tr("cli.review.batchReturnedToIts"))
		return nil
	}
}

type jsonComment struct {
	Round    int    `json:"round"`
	Document int64  `json:"document,omitempty"`
	Author   string `json:"author"`
	Name     string `json:"author_name"`
	At       string `json:"at"`
	Comment  string `json:"comment"`
}

func defComments(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	return func(ctx context.Context, args []string) error {
		_, w, err := c.batchDesk(ctx, *batch)
		if err != nil {
			return err
		}
		cs, _, err := w.Comments(ctx, *batch)
		if err != nil {
			return err
		}
		if c.json {
			out := []jsonComment{}
			for _, x := range cs {
				out = append(out, jsonComment{x.Round, x.DocumentID, x.Author, x.AuthorName, x.At, x.Body})
			}
			return c.printJSON(out)
		}
		if len(cs) == 0 {
			fmt.Fprintln(c.env.Stdout, c.tr("cli.review.noComments"))
		}
		for _, x := range cs {
			about := c.tr("cli.review.wholeBatch")
			if x.DocumentID != 0 {
				about = fmt.Sprintf("%s %d", c.tr("cli.common.document"), x.DocumentID)
			}
			fmt.Fprintf(c.env.Stdout, "[%s %d] %s (%s), %s — %s:\n  %s\n", c.tr("cli.review.round"), x.Round, x.AuthorName, x.Author, c.localTime(x.At), about, x.Body)
		}
		return nil
	}
}

type jsonReviewDoc struct {
	Document  int64    `json:"document"`
	Seq       int      `json:"seq"`
	Warnings  int      `json:"warnings"`
	LowFields int      `json:"low_confidence_fields"`
	LowPages  int      `json:"low_confidence_pages"`
	Sampled   string   `json:"sampled,omitempty"`
	Reasons   []string `json:"reasons,omitempty"`
	Decision  string   `json:"decision,omitempty"`
	DecidedBy string   `json:"decided_by,omitempty"`
}

// localTime shows a stored time stamp (RFC 3339, UTC) in the local time zone, in the
// language's date style (dd/mm/yyyy in Vietnamese).
func (c *cmdCtx) localTime(stamp string) string {
	t, err := time.Parse(time.RFC3339Nano, stamp)
	if err != nil {
		return stamp
	}
	return t.Local().Format(c.tr("cli.review.2006010215"))
}

// reasonText says why a document is in the review sample.
func (c *cmdCtx) reasonText(r string) string {
	switch r {
	case queue.ReasonRandom:
		return c.tr("cli.review.drawnAtRandom")
	case queue.ReasonReturned:
		return c.tr("cli.review.returnedInPreviousRound")
	case queue.ReasonCorrected:
		return c.tr("cli.review.fieldsCorrected")
	case queue.ReasonOCRAcceptedLow:
		return c.tr("cli.review.lowConfidenceOcrAccepted")
	case queue.ReasonWarnings:
		return c.tr("cli.review.warnings")
	case queue.ReasonLowConfidence:
		return c.tr("cli.review.lowConfidence")
	}
	return r
}

// sourceText says where a stored value came from and who gave it.
func (c *cmdCtx) sourceText(v queue.ValueRecord) string {
	who := v.ByName
	if v.By != "" {
		who = fmt.Sprintf("%s (%s)", v.ByName, v.By)
	}
	var src string
	switch v.Source {
	case queue.SourceOCR:
		src = fmt.Sprintf("OCR %.0f%%", v.Confidence*100)
	case queue.SourceOCRAccepted:
		src = fmt.Sprintf(c.tr("cli.review.ocr0fAcceptedBy"), v.OCRConfidence*100, who)
	case queue.SourceKeyed:
		src = c.tr("cli.review.keyedBy") + who
	case queue.SourceCorrected:
		src = c.tr("cli.review.correctedBy") + who
	case queue.SourceDoubleKeyed:
		src = c.tr("cli.review.doubleKeyedSettledBy") + who
	default:
		src = string(v.Source)
	}
	if workflow.LowConfidence(v) { // under the one threshold the keying screen and review use
		src += c.tr("cli.review.lowConfidence2")
	}
	return src + " · " + c.localTime(v.At)
}

// printProvenance lists a document's fields: value, where it came from, who and when, and
// the values it replaced.
func (c *cmdCtx) printProvenance(fields []queue.FieldProvenance) error {
	if c.json {
		type jv struct {
			Value         string  `json:"value"`
			Source        string  `json:"source"`
			Confidence    float64 `json:"confidence"`
			OCRConfidence float64 `json:"ocr_confidence,omitempty"`
			By            string  `json:"by,omitempty"`
			At            string  `json:"at"`
			LowConfidence bool    `json:"low_confidence,omitempty"`
		}
		type jf struct {
			Key     string `json:"key"`
			Current jv     `json:"current"`
			Earlier []jv   `json:"earlier,omitempty"`
		}
		conv := func(v queue.ValueRecord) jv {
			o := jv{v.Value, string(v.Source), v.Confidence, 0, v.By, v.At, workflow.LowConfidence(v)}
			if v.Source == queue.SourceOCRAccepted {
				o.OCRConfidence = v.OCRConfidence
			}
			return o
		}
		out := []jf{}
		for _, f := range fields {
			x := jf{Key: f.Key, Current: conv(f.Current)}
			for _, e := range f.Earlier {
				x.Earlier = append(x.Earlier, conv(e))
			}
			out = append(out, x)
		}
		return c.printJSON(out)
	}
	if len(fields) == 0 {
		fmt.Fprintln(c.env.Stdout, c.tr("cli.review.noFieldValues"))
	}
	for _, f := range fields {
		fmt.Fprintf(c.env.Stdout, "%-22s %s\n    %s\n", f.Key, f.Current.Value, c.sourceText(f.Current))
		for _, e := range f.Earlier { // what a corrected value replaced (an accepted OCR value replaced nothing)
			if e.Value != f.Current.Value || f.Current.Source == queue.SourceCorrected {
				fmt.Fprintf(c.env.Stdout, "    %s «%s» %s\n", c.tr("cli.review.before"), e.Value, c.sourceText(e))
			}
		}
	}
	return nil
}

func defReview(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	sample := fs.Int("sample", -1, "")
	seed := fs.Int64("seed", 0, "")
	accept := fs.String("accept", "", "")
	returnDoc := fs.Int64("return-doc", 0, "")
	comment := fs.String("comment", "", "")
	showDoc := fs.Int64("doc", 0, "")
	return func(ctx context.Context, args []string) error {
		u, w, err := c.desk(ctx)
		if err != nil {
			return err
		}
		if *batch == "" {
			return c.printReviewQueue(ctx)
		}
		if *showDoc != 0 {
			fields, err := w.ReviewedDocument(ctx, *batch, *showDoc)
			if err != nil {
				return err
			}
			return c.printProvenance(fields)
		}
		if *sample >= 0 {
			res, err := w.Sample(ctx, u, workflow.SampleInput{Batch: *batch, Percent: *sample, Seed: *seed})
			if err != nil {
				return err
			}
			switch {
			case c.json:
			case res.AlreadyDrawn:
				fmt.Fprintf(c.env.Stdout, c.tr("cli.review.thisRoundSampleWas"), res.Round.SamplePct, res.Round.SampleSeed)
			default:
				fmt.Fprintf(c.env.Stdout, c.tr("cli.review.sampleDrawnAtRandom"), *sample, res.Seed)
			}
		}
		if *accept != "" {
			in := workflow.DecideInput{Batch: *batch, Decision: workflow.Accept, AllSampled: *accept == "all-sampled"}
			if !in.AllSampled {
				for _, f := range strings.Split(*accept, ",") {
					id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
					if err != nil {
						return usageError{c.tr("cli.review.acceptTakesDocumentNumbers")}
					}
					in.Documents = append(in.Documents, id)
				}
			}
			if _, err := w.Decide(ctx, u, in); err != nil {
				return err
			}
		}
		if *returnDoc != 0 {
			if _, err := w.Decide(ctx, u, workflow.DecideInput{Batch: *batch, Documents: []int64{*returnDoc}, Decision: workflow.Return, Comment: *comment}); err != nil {
				return err
			}
		}
		docs, err := c.store.ReviewDocuments(ctx, *batch)
		if err != nil {
			return err
		}
		if c.json {
			out := []jsonReviewDoc{}
			for _, d := range docs {
				out = append(out, jsonReviewDoc{d.DocumentID, d.Seq, d.Warnings, d.LowFields, d.LowPages, d.Sampled, d.Reasons, d.Decision, d.DecidedBy})
			}
			return c.printJSON(out)
		}
		for _, d := range docs {
			mark, why := " ", ""
			if d.Sampled != "" {
				mark = "*"
				var rs []string
				for _, r := range d.Reasons {
					rs = append(rs, c.reasonText(r))
				}
				why = "[" + strings.Join(rs, ", ") + "]"
			}
			fmt.Fprintf(c.env.Stdout, "%s %s %-6d %s %d, %s %d/%d  %s %s\n", mark, c.tr("cli.common.document"), d.DocumentID,
				c.tr("cli.review.warnings2"), d.Warnings, c.tr("cli.review.lowConfidence3"), d.LowFields, d.LowPages, why, c.decisionText(d.Decision))
		}
		return nil
	}
}

func (c *cmdCtx) printReviewQueue(ctx context.Context) error {
	q, err := c.store.ReviewQueue(ctx)
	if err != nil {
		return err
	}
	if c.json {
		out := []map[string]any{}
		for _, it := range q {
			out = append(out, map[string]any{"batch": it.ID, "name": it.Name, "record_type": it.RecordType, "round": it.Round,
				"submitted_by": it.SubmittedBy, "submitted_at": it.SubmittedAt, "documents": it.Documents, "pages": it.Pages,
				"warnings": it.Warnings, "low_confidence_fields": it.LowFields, "low_confidence_pages": it.LowPages,
				"problem_documents": it.ProblemDocs, "sampled": it.Sampled, "accepted": it.Accepted, "returned": it.Returned})
		}
		return c.printJSON(out)
	}
	if len(q) == 0 {
		fmt.Fprintln(c.env.Stdout, c.tr("cli.review.noBatchIsWaiting"))
	}
	for _, it := range q {
		fmt.Fprintf(c.env.Stdout, c.tr("cli.review.roundByDocumentsWarnings"),
			it.ID, it.Name, it.Round, it.SubmittedBy, it.Documents, it.Warnings, it.LowFields, it.ProblemDocs)
	}
	return nil
}

// decisionText is a review decision in the run's language.
func (c *cmdCtx) decisionText(d string) string {
	switch d {
	case "accepted":
		return c.tr("cli.review.accepted")
	case "returned":
		return c.tr("cli.review.returned")
	}
	return ""
}
