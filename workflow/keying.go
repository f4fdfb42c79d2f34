package workflow

import (
	"context"
	"fmt"
	"time"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// Keying: what a clerk sees of a document, saving a field (into the clerk's own pass in a
// double-blind batch), accepting confident OCR values, finishing a document. The rules here
// are the same for the keying screen and the command line: which source a saved value gets,
// what a confident OCR value is (queue.LowFieldConfidence), when a document is finished (its stored
// values, validated: hard errors block, warnings need confirming).

// now is the clock validation judges dates by.
func (w *Workflow) now() time.Time { return time.Now() }

// docBatch returns a document, its batch and the batch's record type.
func (w *Workflow) docBatch(ctx context.Context, docID int64) (queue.Document, queue.Batch, *records.RecordType, error) {
	d, err := w.Store.Document(ctx, docID)
	if err != nil {
		return d, queue.Batch{}, nil, err
	}
	b, err := w.Store.Batch(ctx, d.BatchID)
	if err != nil {
		return d, b, nil, err
	}
	rt, err := w.RecordType(b.RecordType)
	return d, b, rt, err
}

// KeyingDoc is what keying a document shows: its pages with their OCR words, where each
// field was read (the source boxes), and the values the clerk works on.
type KeyingDoc struct {
	Pages []queue.Page
	Words []records.PageWords // the OCR words of the pages that have them (Page: the page's index)
	Found []records.Extracted // where each field's value was read
	Shown []queue.FieldValue  // the values this clerk works on (DocumentValues)
	Type  *records.RecordType // the batch's record type
	Batch queue.Batch         // the document's batch
	Doc   queue.Document      // the document
	Pass  queue.PassInfo      // in a double-blind batch, this clerk's pass
}

// OpenDocument reads what keying a document shows. A document whose OCR ran but whose
// values were never extracted (OCR before extraction joined the pipeline, an OCR run without
// it) is extracted first, where nothing is stored yet: the clerk starts from the OCR values.
func (w *Workflow) OpenDocument(ctx context.Context, actor queue.User, docID int64) (KeyingDoc, error) {
	var k KeyingDoc
	d, b, rt, err := w.docBatch(ctx, docID)
	if err != nil {
		return k, err
	}
	k.Doc, k.Batch, k.Type = d, b, rt
	if k.Pages, err = w.Store.Pages(ctx, docID); err != nil {
		return k, err
	}
	for n, p := range k.Pages {
		if res, oerr := w.Store.OCR(ctx, p.ID); oerr == nil {
			k.Words = append(k.Words, records.PageWords{Page: n, Width: p.Width, Height: p.Height, Words: res.Words})
		}
	}
	k.Found = records.ExtractPages(rt, k.Words)
	if k.Shown, k.Pass, err = w.documentValues(ctx, actor, b, docID); err != nil {
		return k, err
	}
	if len(k.Words) > 0 && !hasOCRValues(k.Shown) {
		// Extraction by the pipeline's own actor, as if OCR had just finished.
		if _, xerr := records.ExtractMissing(ctx, w.Store, queue.User{}, rt, docID); xerr == nil {
			k.Shown, k.Pass, err = w.documentValues(ctx, actor, b, docID)
		}
	}
	return k, err
}

func hasOCRValues(fs []queue.FieldValue) bool {
	for _, f := range fs {
		if f.Source == queue.SourceOCR || f.Source == queue.SourceOCRAccepted {
			return true
		}
	}
	return false
}

// DocumentValues are the values actor works on in a document: its current values, or in a
// double-blind batch actor's own pass and the OCR suggestions — never the other clerk's.
func (w *Workflow) DocumentValues(ctx context.Context, actor queue.User, docID int64) ([]queue.FieldValue, error) {
	d, err := w.Store.Document(ctx, docID)
	if err != nil {
		return nil, err
	}
	b, err := w.Store.Batch(ctx, d.BatchID)
	if err != nil {
		return nil, err
	}
	vals, _, err := w.documentValues(ctx, actor, b, docID)
	return vals, err
}

func (w *Workflow) documentValues(ctx context.Context, actor queue.User, b queue.Batch, docID int64) ([]queue.FieldValue, queue.PassInfo, error) {
	if !b.DoubleBlind {
		fs, err := w.Store.Fields(ctx, docID)
		return fs, queue.PassInfo{}, err
	}
	bf, info, err := w.Store.BlindFields(ctx, actor, docID)
	if err != nil {
		return nil, info, err
	}
	out := make([]queue.FieldValue, len(bf))
	for i, f := range bf {
		out[i] = queue.FieldValue{Key: f.Key, Value: f.Value, Source: f.Source, Confidence: f.Confidence, Current: true}
		if f.Source == queue.SourceKeyed {
			out[i].By = actor.Username
		}
	}
	return out, info, nil
}

// FieldInput is one field value to store.
type FieldInput struct {
	Document   int64
	Key        string // a field of the record type, or a table cell ("table.row.column")
	Value      string
	Source     queue.FieldSource // what LeaveSource gives
	Confidence float64
}

// SaveField stores one field value durably (committed when it returns): in a double-blind
// batch into actor's own pass (queue.Store.KeyBlind), else as the field's current value
// with its source (queue.Store.SetField; the earlier value stays in the history).
func (w *Workflow) SaveField(ctx context.Context, actor queue.User, in FieldInput) error {
	d, err := w.Store.Document(ctx, in.Document)
	if err != nil {
		return err
	}
	b, err := w.Store.Batch(ctx, d.BatchID)
	if err != nil {
		return err
	}
	if b.DoubleBlind {
		_, err = w.Store.KeyBlind(ctx, actor, in.Document, map[string]string{in.Key: in.Value})
		return err
	}
	return w.Store.SetField(ctx, actor, in.Document, in.Key, in.Value, in.Source, in.Confidence)
}

// LeaveSource is what leaving a field records, given its current value (has: it has one) and
// the value now in it: a value typed where there was none is keyed; a changed value is
// corrected; an OCR value left unchanged and confirmed (Tab, Enter, Ctrl+D, or given again
// on the command line) is accepted by the clerk, keeping its OCR confidence. Anything else
// records nothing (save false).
func LeaveSource(cur queue.FieldValue, has bool, value string, confirm bool) (src queue.FieldSource, conf float64, save bool) {
	switch {
	case !has && value == "":
		return "", 0, false
	case !has:
		return queue.SourceKeyed, 1, true
	case value != cur.Value:
		return queue.SourceCorrected, 1, true
	case confirm && cur.Source == queue.SourceOCR && value != "":
		return queue.SourceOCRAccepted, cur.Confidence, true
	}
	return "", 0, false
}

// Unconfident reports whether a value is an OCR value nobody has looked at yet that is under
// the confidence threshold (queue.LowFieldConfidence): the keying screen marks it for a look.
func Unconfident(fv queue.FieldValue) bool {
	return fv.Source == queue.SourceOCR && queue.LowConfidence(fv.Confidence)
}

// LowConfidence reports whether a stored value was read by OCR under the threshold, accepted
// by a clerk or not (review marks it).
func LowConfidence(v queue.ValueRecord) bool {
	switch v.Source {
	case queue.SourceOCR:
		return queue.LowConfidence(v.Confidence)
	case queue.SourceOCRAccepted:
		return queue.LowConfidence(v.OCRConfidence)
	}
	return false
}

// Acceptable lists, in keys' order, the fields whose value a clerk may accept at once
// (Ctrl+Enter): an OCR value, confident (queue.LowFieldConfidence or more), not empty, shown
// unchanged, and without any problem among problems (a suspicious value has a warning).
func Acceptable(keys []string, current map[string]queue.FieldValue, shown map[string]string, problems []records.Problem) []string {
	bad := map[string]bool{}
	for _, p := range problems {
		bad[p.Key] = true
		for _, k := range p.Keys {
			bad[k] = true
		}
	}
	var out []string
	for _, key := range keys {
		fv, ok := current[key]
		if !ok || fv.Source != queue.SourceOCR || queue.LowConfidence(fv.Confidence) || fv.Value == "" || fv.Value != shown[key] || bad[key] {
			continue
		}
		out = append(out, key)
	}
	return out
}

// AcceptResult is what AcceptConfident stored.
type AcceptResult struct{ Accepted []string }

// AcceptConfident records every confident OCR value of a document without a problem
// (Acceptable, judged on the stored values) as accepted by actor, in one transaction.
func (w *Workflow) AcceptConfident(ctx context.Context, actor queue.User, docID int64) (AcceptResult, error) {
	var res AcceptResult
	_, b, rt, err := w.docBatch(ctx, docID)
	if err != nil {
		return res, err
	}
	vals, _, err := w.documentValues(ctx, actor, b, docID)
	if err != nil {
		return res, err
	}
	cur, shown := map[string]queue.FieldValue{}, map[string]string{}
	var keys []string
	for _, v := range vals {
		cur[v.Key], shown[v.Key] = v, v.Value
		keys = append(keys, v.Key)
	}
	res.Accepted = Acceptable(keys, cur, shown, records.Validate(rt, shown, w.now()))
	if len(res.Accepted) == 0 {
		return res, nil
	}
	if b.DoubleBlind {
		m := map[string]string{}
		for _, k := range res.Accepted {
			m[k] = cur[k].Value
		}
		_, err = w.Store.KeyBlind(ctx, actor, docID, m)
		return res, err
	}
	var set []queue.FieldValue
	for _, k := range res.Accepted {
		set = append(set, queue.FieldValue{Key: k, Value: cur[k].Value, Source: queue.SourceOCRAccepted, Confidence: cur[k].Confidence})
	}
	return res, w.Store.SetFields(ctx, actor, docID, set)
}

// KeyInput is a value keyed on the command line.
type KeyInput struct {
	Document int64
	Field    string
	Value    string
	// Pass keys into actor's own pass of a double-blind document (queue.Store.KeyBlind).
	// Without it the value becomes the field's current value, which a double-blind document
	// refuses until its two passes are settled.
	Pass bool
}

// KeyResult is what keying a value stored, and the field's own problems (cross-field ones
// come with Validate).
type KeyResult struct {
	Key      string // the field's key as the record type spells it
	Value    string // the value as stored, normalised for the field's type
	Stored   bool   // false: the field already had this value
	Problems []records.Problem
	Errors   int            // hard errors among Problems: the batch cannot be submitted until corrected
	Pass     queue.PassInfo // with KeyInput.Pass: actor's pass of the document
}

// ErrUnknownField: the record type has no such field.
var ErrUnknownField = l10n.New("workflow.noSuchField")

// KeyField stores a value given as text (the command line): normalised for the field's type,
// with the source LeaveSource gives (confirmed: the person gave the value), and reports the
// field's own problems. The value is stored even with a problem, as the keying screen keeps
// what the clerk typed.
func (w *Workflow) KeyField(ctx context.Context, actor queue.User, in KeyInput) (KeyResult, error) {
	var res KeyResult
	rt, f, err := w.fieldOf(ctx, in.Document, in.Field)
	if err != nil {
		return res, err
	}
	res.Key, res.Value = f.Key, records.Normalize(f, in.Value)
	if in.Pass {
		if res.Pass, err = w.Store.KeyBlind(ctx, actor, in.Document, map[string]string{f.Key: res.Value}); err != nil {
			return res, err
		}
		res.Stored = true
	} else {
		vals, err := w.Store.Fields(ctx, in.Document)
		if err != nil {
			return res, err
		}
		var cur queue.FieldValue
		has := false
		for _, v := range vals {
			if v.Key == f.Key {
				cur, has = v, true
			}
		}
		if src, conf, save := LeaveSource(cur, has, res.Value, true); save {
			if err := w.Store.SetField(ctx, actor, in.Document, f.Key, res.Value, src, conf); err != nil {
				return res, err
			}
			res.Stored = true
		}
	}
	for _, p := range records.Validate(rt, map[string]string{f.Key: res.Value}, w.now()) {
		if p.Key == f.Key && len(p.Keys) == 1 {
			res.Problems = append(res.Problems, p)
			if p.Severity == records.SeverityError {
				res.Errors++
			}
		}
	}
	return res, nil
}

// fieldOf is a field of a document's record type (ErrUnknownField when it has none).
func (w *Workflow) fieldOf(ctx context.Context, docID int64, key string) (*records.RecordType, records.Field, error) {
	_, _, rt, err := w.docBatch(ctx, docID)
	if err != nil {
		return nil, records.Field{}, err
	}
	f, ok := rt.Field(key)
	if !ok {
		return rt, f, &l10n.Error{Key: "workflow.unknownField", Args: l10n.Args{"Key": key}, Kind: ErrUnknownField}
	}
	return rt, f, nil
}

// ResolveConflict decides a field the two passes of a double-blind document keyed
// differently (a third person, neither keyer, after seeing both), the value normalised for
// its field.
func (w *Workflow) ResolveConflict(ctx context.Context, actor queue.User, in KeyInput) (KeyResult, error) {
	_, f, err := w.fieldOf(ctx, in.Document, in.Field)
	if err != nil {
		return KeyResult{}, err
	}
	res := KeyResult{Key: f.Key, Value: records.Normalize(f, in.Value)}
	if err := w.Store.ResolveConflict(ctx, actor, in.Document, f.Key, res.Value); err != nil {
		return res, err
	}
	res.Stored = true
	return res, nil
}

// FinishInput finishes a document.
type FinishInput struct {
	Document int64
	// Shown, when set, holds the values the clerk sees, by key (the empty cells of a table
	// row that has a value as ""); each key of Keys must be stored with that value, else
	// nothing is finished (Differ). Nil: the stored values are judged as they are.
	Shown map[string]string
	Keys  []string
	// ConfirmWarnings: the clerk saw the warnings and finishes anyway.
	ConfirmWarnings bool
}

// FinishResult is how finishing went. Done is false when it did not finish: Differ (the
// stored values are not those shown: a save is missing), Errors (hard errors block), or
// Warnings not confirmed.
type FinishResult struct {
	Differ   []string
	Problems []records.Problem // of the stored values
	Errors   int
	Warnings int
	Done     bool
	// Reconciliation is the comparison of the two passes, in a double-blind batch whose
	// other pass was finished already.
	Reconciliation queue.Reconciliation
}

// FinishDocument finishes a document: its stored values must be the ones shown, then they
// are validated as stored (with the empty cells of a started table row as empty); with no
// hard error, and warnings confirmed, the document is marked keyed (queue.DocKeyed, the
// confirmed warnings counted in the audit) or, in a double-blind batch, actor's pass is
// finished (and compared with the other one when that is finished too).
func (w *Workflow) FinishDocument(ctx context.Context, actor queue.User, in FinishInput) (FinishResult, error) {
	var res FinishResult
	_, b, rt, err := w.docBatch(ctx, in.Document)
	if err != nil {
		return res, err
	}
	fields, _, err := w.documentValues(ctx, actor, b, in.Document)
	if err != nil {
		return res, err
	}
	stored := map[string]string{}
	for _, fv := range fields {
		stored[fv.Key] = fv.Value
	}
	if in.Shown != nil {
		for _, key := range in.Keys {
			if stored[key] != in.Shown[key] {
				res.Differ = append(res.Differ, key)
			}
		}
		if len(res.Differ) > 0 {
			return res, nil
		}
		for key, v := range in.Shown { // the empty cells of a started table row are checked as empty
			if _, ok := stored[key]; !ok {
				stored[key] = v
			}
		}
	}
	res.Problems = records.Validate(rt, stored, w.now())
	for _, p := range res.Problems {
		if p.Severity == records.SeverityError {
			res.Errors++
		} else {
			res.Warnings++
		}
	}
	if res.Errors > 0 || (res.Warnings > 0 && !in.ConfirmWarnings) {
		return res, nil
	}
	if b.DoubleBlind {
		res.Reconciliation, err = w.Store.FinishBlind(ctx, actor, in.Document)
	} else {
		err = w.Store.SetDocumentStatus(ctx, actor, in.Document, queue.DocKeyed, res.Warnings)
	}
	res.Done = err == nil
	return res, err
}

// DocProblem is one problem of one document's values.
type DocProblem struct {
	Document int64
	records.Problem
}

// ValidateResult is what validating a batch found.
type ValidateResult struct {
	Documents        int
	Problems         []DocProblem
	Errors, Warnings int
}

// Validate checks the current values of every document of a batch with its record type's
// rules (dates judged as of now).
func (w *Workflow) Validate(ctx context.Context, batchID string, progress Progress) (ValidateResult, error) {
	var res ValidateResult
	_, rt, docs, err := w.batchDocuments(ctx, batchID)
	if err != nil {
		return res, err
	}
	now := w.now()
	for i, d := range docs {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		ps, err := records.ValidateDocument(ctx, w.Store, rt, d.ID, now)
		if err != nil {
			return res, err
		}
		res.Documents++
		for _, p := range ps {
			res.Problems = append(res.Problems, DocProblem{Document: d.ID, Problem: p})
			if p.Severity == records.SeverityError {
				res.Errors++
			} else {
				res.Warnings++
			}
		}
		progress.Report(Event{Op: "validate", Step: "document", Done: i + 1, Total: len(docs), Item: fmt.Sprintf("document %d", d.ID)})
	}
	return res, nil
}
