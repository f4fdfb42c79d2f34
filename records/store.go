package records

import (
	"context"
	"fmt"
	"time"

	"github.com/sohoa/sohoa/queue"
)

// DocStore is what extraction and validation need of the store (implemented by *queue.Store).
type DocStore interface {
	Pages(ctx context.Context, documentID int64) ([]queue.Page, error)
	OCR(ctx context.Context, pageID int64) (queue.OCRResult, error)
	Fields(ctx context.Context, documentID int64) ([]queue.FieldValue, error)
	SetField(ctx context.Context, actor queue.User, documentID int64, key, value string, src queue.FieldSource, conf float64) error
	SetFields(ctx context.Context, actor queue.User, documentID int64, values []queue.FieldValue) error
}

var _ DocStore = (*queue.Store)(nil)

// ExtractResult counts what ExtractDocument did.
type ExtractResult struct {
	Stored  int // values stored with source ocr
	Kept    int // fields left alone because a person keyed or corrected them
	Missing int // fields of the type not found on the pages
	NoOCR   int // pages without an OCR result
}

// ExtractDocument runs extraction on the OCR'd pages of a document and stores the values
// with source ocr. A value a person keyed or corrected is never overwritten, and an
// unchanged OCR value is not stored again.
func ExtractDocument(ctx context.Context, st DocStore, actor queue.User, rt *RecordType, documentID int64) (ExtractResult, error) {
	return extractDocument(ctx, st, actor, rt, documentID, false)
}

// ExtractMissing is ExtractDocument that stores a value only where the field has none yet,
// of any source (an earlier OCR value stays too). It is what the OCR pipeline and the keying
// screen run: idempotent, so running it again after a crash or on every open changes nothing.
func ExtractMissing(ctx context.Context, st DocStore, actor queue.User, rt *RecordType, documentID int64) (ExtractResult, error) {
	return extractDocument(ctx, st, actor, rt, documentID, true)
}

func extractDocument(ctx context.Context, st DocStore, actor queue.User, rt *RecordType, documentID int64, onlyMissing bool) (ExtractResult, error) {
	var res ExtractResult
	pages, err := st.Pages(ctx, documentID)
	if err != nil {
		return res, err
	}
	var pw []PageWords
	for i, p := range pages {
		r, err := st.OCR(ctx, p.ID)
		if err != nil {
			res.NoOCR++
			continue
		}
		pw = append(pw, PageWords{Page: i, Width: p.Width, Height: p.Height, Words: r.Words})
	}
	cur, err := st.Fields(ctx, documentID)
	if err != nil {
		return res, err
	}
	have := map[string]queue.FieldValue{}
	for _, f := range cur {
		have[f.Key] = f
	}
	got := ExtractPages(rt, pw)
	var store []queue.FieldValue
	for _, e := range got {
		if old, ok := have[e.Key]; ok {
			if onlyMissing {
				if old.Source != queue.SourceOCR {
					res.Kept++
				}
				continue
			}
			if old.Source != queue.SourceOCR {
				res.Kept++
				continue
			}
			if old.Value == e.Value {
				continue
			}
		}
		store = append(store, queue.FieldValue{Key: e.Key, Value: e.Value, Source: queue.SourceOCR, Confidence: e.Confidence})
	}
	// one transaction: a crash leaves all of the document's values or none
	if err := st.SetFields(ctx, actor, documentID, store); err != nil {
		return res, fmt.Errorf("document %d: store extracted values: %w", documentID, err)
	}
	res.Stored = len(store)
	found := map[string]bool{}
	for _, e := range got {
		found[e.Key] = true
	}
	for _, f := range rt.Fields {
		if !found[f.Key] {
			res.Missing++
		}
	}
	return res, nil
}

// ValidateDocument validates the current field values of a document.
func ValidateDocument(ctx context.Context, st DocStore, rt *RecordType, documentID int64, now time.Time) ([]Problem, error) {
	cur, err := st.Fields(ctx, documentID)
	if err != nil {
		return nil, err
	}
	vals := map[string]string{}
	for _, f := range cur {
		vals[f.Key] = f.Value
	}
	return Validate(rt, vals, now), nil
}

// Checker is the queue.DocChecker that Store.Submit needs: it validates one document's current
// values with rt (ValidateDocument, as of now) and counts hard errors and warnings. report,
// when set, receives every problem (the CLI lists them).
func Checker(st DocStore, rt *RecordType, now time.Time, report func(doc int64, p Problem)) queue.DocChecker {
	return func(ctx context.Context, id int64) (queue.DocProblems, error) {
		ps, err := ValidateDocument(ctx, st, rt, id, now)
		if err != nil {
			return queue.DocProblems{}, err
		}
		var dp queue.DocProblems
		for _, p := range ps {
			if p.Severity == SeverityError {
				dp.Errors++
			} else {
				dp.Warnings++
			}
			if report != nil {
				report(id, p)
			}
		}
		return dp, nil
	}
}
