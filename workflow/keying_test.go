package workflow

import (
	"errors"
	"slices"
	"sort"
	"testing"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// a complete and valid generic record
var genericOK = map[string]string{"document_number": "12/QĐ-UBND", "issuing_agency": "Ủy ban nhân dân phường Ba Đình",
	"issue_date": "12/03/2020", "subject": "Về việc cấp phép xây dựng", "signer_name": "Nguyễn Văn An"}

// keyDoc is a generic batch with one document (one page, no OCR yet).
func (f *fixture) keyDoc(spec queue.BatchSpec) (queue.Batch, queue.Document) {
	f.t.Helper()
	b := f.batch(spec)
	d, _, err := f.st.AddDocument(f.ctx, f.clerk, queue.NewDocument{BatchID: b.ID, Origin: "a.png", Pages: []queue.PageInput{pngPage(f.t, 40, 40, 200)}})
	if err != nil {
		f.t.Fatal(err)
	}
	return b, d
}

// ocrValues stores values as extraction does (source ocr, the pipeline's actor).
func (f *fixture) ocrValues(doc int64, conf float64, kv map[string]string) {
	f.t.Helper()
	var vs []queue.FieldValue
	for k, v := range kv {
		vs = append(vs, queue.FieldValue{Key: k, Value: v, Source: queue.SourceOCR, Confidence: conf})
	}
	if err := f.st.SetFields(f.ctx, queue.User{}, doc, vs); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) current(doc int64) map[string]queue.FieldValue {
	f.t.Helper()
	fs, err := f.st.Fields(f.ctx, doc)
	if err != nil {
		f.t.Fatal(err)
	}
	m := map[string]queue.FieldValue{}
	for _, v := range fs {
		m[v.Key] = v
	}
	return m
}

func TestLeaveSource(t *testing.T) {
	ocr := queue.FieldValue{Value: "An", Source: queue.SourceOCR, Confidence: 0.7}
	keyed := queue.FieldValue{Value: "An", Source: queue.SourceKeyed, Confidence: 1}
	for _, c := range []struct {
		cur     queue.FieldValue
		has     bool
		value   string
		confirm bool
		src     queue.FieldSource
		conf    float64
		save    bool
	}{
		{has: false, value: "", save: false},
		{has: false, value: "Bình", src: queue.SourceKeyed, conf: 1, save: true},
		{cur: ocr, has: true, value: "Ân", src: queue.SourceCorrected, conf: 1, save: true},
		{cur: ocr, has: true, value: "An", confirm: true, src: queue.SourceOCRAccepted, conf: 0.7, save: true},
		{cur: ocr, has: true, value: "An", confirm: false, save: false}, // a mouse click away is no confirmation
		{cur: keyed, has: true, value: "An", confirm: true, save: false},
		{cur: keyed, has: true, value: "", src: queue.SourceCorrected, conf: 1, save: true}, // emptied
	} {
		src, conf, save := LeaveSource(c.cur, c.has, c.value, c.confirm)
		if src != c.src || conf != c.conf || save != c.save {
			t.Errorf("%+v: got %s %v %v", c, src, conf, save)
		}
	}
}

// TestFinishDocument: a document is finished on its stored values: not while a value shown is
// not stored, not with a hard error, with a warning only once confirmed; then it is keyed
// and the confirmed warning is counted in the audit.
func TestFinishDocument(t *testing.T) {
	f := newFixture(t)
	_, d := f.keyDoc(queue.BatchSpec{})
	vals := map[string]string{}
	for k, v := range genericOK {
		vals[k] = v
	}
	vals["signer_name"] = "Nguyễn Văn 4n" // a digit in a name: a warning
	delete(vals, "subject")               // required: an error
	for k, v := range vals {
		if err := f.w.SaveField(f.ctx, f.clerk, FieldInput{Document: d.ID, Key: k, Value: v, Source: queue.SourceKeyed, Confidence: 1}); err != nil {
			t.Fatal(err)
		}
	}
	keys := []string{"document_number", "issuing_agency", "issue_date", "subject", "signer_name"}
	shown := map[string]string{"subject": "Về việc khác"}
	for k, v := range vals {
		shown[k] = v
	}
	res, err := f.w.FinishDocument(f.ctx, f.clerk, FinishInput{Document: d.ID, Shown: shown, Keys: keys})
	if err != nil || res.Done || !slices.Equal(res.Differ, []string{"subject"}) {
		t.Fatalf("finish with a value not stored: %+v %v", res, err)
	}
	delete(shown, "subject")
	res, err = f.w.FinishDocument(f.ctx, f.clerk, FinishInput{Document: d.ID, Shown: shown, Keys: keys, ConfirmWarnings: true})
	if err != nil || res.Done || res.Errors != 1 || res.Warnings != 1 {
		t.Fatalf("finish with an error: %+v %v", res, err)
	}
	if err := f.w.SaveField(f.ctx, f.clerk, FieldInput{Document: d.ID, Key: "subject", Value: genericOK["subject"], Source: queue.SourceKeyed, Confidence: 1}); err != nil {
		t.Fatal(err)
	}
	shown["subject"] = genericOK["subject"]
	res, err = f.w.FinishDocument(f.ctx, f.clerk, FinishInput{Document: d.ID, Shown: shown, Keys: keys})
	if err != nil || res.Done || res.Errors != 0 || res.Warnings != 1 {
		t.Fatalf("finish with an unconfirmed warning: %+v %v", res, err)
	}
	if got, _ := f.st.Document(f.ctx, d.ID); got.Status != queue.DocNew {
		t.Fatalf("status %s before the warning was confirmed", got.Status)
	}
	res, err = f.w.FinishDocument(f.ctx, f.clerk, FinishInput{Document: d.ID, Shown: shown, Keys: keys, ConfirmWarnings: true})
	if err != nil || !res.Done {
		t.Fatalf("finish with the warning confirmed: %+v %v", res, err)
	}
	if got, _ := f.st.Document(f.ctx, d.ID); got.Status != queue.DocKeyed {
		t.Fatalf("status %s", got.Status)
	}
	ev, _ := f.st.AuditLog(f.ctx, 1)
	if ev[0].Action != "document.status" || ev[0].Detail != "new→keyed warnings_confirmed=1" {
		t.Fatalf("audit %+v", ev[0])
	}
}

// TestAcceptConfident: Ctrl+Enter's rule on the stored values — confident OCR values without
// a problem are accepted (ocr-accepted, confidence kept); an unconfident one, a suspicious
// one and a keyed one are not.
func TestAcceptConfident(t *testing.T) {
	f := newFixture(t)
	_, d := f.keyDoc(queue.BatchSpec{})
	f.ocrValues(d.ID, 0.93, map[string]string{"document_number": "12/QĐ-UBND", "issue_date": "12/03/2020", "signer_name": "Nguyễn Văn 4n"})
	f.ocrValues(d.ID, queue.LowFieldConfidence-0.01, map[string]string{"subject": "Về việc cấp phép"})
	if err := f.w.SaveField(f.ctx, f.clerk, FieldInput{Document: d.ID, Key: "issuing_agency", Value: "UBND", Source: queue.SourceKeyed, Confidence: 1}); err != nil {
		t.Fatal(err)
	}
	res, err := f.w.AcceptConfident(f.ctx, f.clerk, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(res.Accepted)
	if !slices.Equal(res.Accepted, []string{"document_number", "issue_date"}) {
		t.Fatalf("accepted %v", res.Accepted)
	}
	cur := f.current(d.ID)
	for _, k := range res.Accepted {
		if v := cur[k]; v.Source != queue.SourceOCRAccepted || v.Confidence != 0.93 || v.By != f.clerk.Username {
			t.Fatalf("%s: %+v", k, v)
		}
	}
	if cur["subject"].Source != queue.SourceOCR || cur["signer_name"].Source != queue.SourceOCR || cur["issuing_agency"].Source != queue.SourceKeyed {
		t.Fatalf("values not accepted changed: %+v", cur)
	}
	// The screen's form of the rule: a value changed on screen is not accepted.
	shown := map[string]string{"subject": "x", "signer_name": "Nguyễn Văn 4n", "document_number": "12/QĐ-UBND"}
	current := map[string]queue.FieldValue{"document_number": {Value: "12/QĐ-UBND", Source: queue.SourceOCR, Confidence: 0.9},
		"subject": {Value: "y", Source: queue.SourceOCR, Confidence: 0.99}}
	if got := Acceptable([]string{"subject", "document_number"}, current, shown, nil); !slices.Equal(got, []string{"document_number"}) {
		t.Fatalf("acceptable %v", got)
	}
	cross := []records.Problem{{Key: "a", Keys: []string{"a", "document_number"}, Severity: records.SeverityWarning}}
	if got := Acceptable([]string{"document_number"}, current, shown, cross); len(got) != 0 {
		t.Fatalf("a value with a cross-field problem was acceptable: %v", got)
	}
}

// TestKeyField: a value given as text is normalised for its field and stored keyed (a field
// without a value), corrected (one with another value) or accepted (the OCR value given
// again); the field's own problems come back; an unknown field is refused.
func TestKeyField(t *testing.T) {
	f := newFixture(t)
	_, d := f.keyDoc(queue.BatchSpec{})
	f.ocrValues(d.ID, 0.5, map[string]string{"document_number": "12/QĐ-UBND", "subject": "Về việc"})
	res, err := f.w.KeyField(f.ctx, f.clerk, KeyInput{Document: d.ID, Field: "signer_name", Value: "  NGUYỄN   văn an "})
	if err != nil || !res.Stored || res.Value != "Nguyễn Văn An" || res.Errors != 0 {
		t.Fatalf("key a name: %+v %v", res, err)
	}
	res, err = f.w.KeyField(f.ctx, f.clerk, KeyInput{Document: d.ID, Field: "issue_date", Value: "31/02/2020"})
	if err != nil || !res.Stored || res.Errors != 1 || len(res.Problems) != 1 {
		t.Fatalf("key a bad date: %+v %v", res, err)
	}
	if _, err := f.w.KeyField(f.ctx, f.clerk, KeyInput{Document: d.ID, Field: "subject", Value: "Về việc cấp phép"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.KeyField(f.ctx, f.clerk, KeyInput{Document: d.ID, Field: "document_number", Value: "12/QĐ-UBND"}); err != nil {
		t.Fatal(err)
	}
	cur := f.current(d.ID)
	if cur["signer_name"].Source != queue.SourceKeyed || cur["subject"].Source != queue.SourceCorrected ||
		cur["document_number"].Source != queue.SourceOCRAccepted || cur["document_number"].Confidence != 0.5 {
		t.Fatalf("sources %+v", cur)
	}
	if _, err := f.w.KeyField(f.ctx, f.clerk, KeyInput{Document: d.ID, Field: "no_such_field", Value: "x"}); !errors.Is(err, ErrUnknownField) {
		t.Fatalf("unknown field: %v", err)
	}
}

// TestDoubleBlindKeying: in a double-blind batch a save goes into the clerk's own pass, what a
// clerk sees holds nothing of the other's, and finishing both passes compares them.
func TestDoubleBlindKeying(t *testing.T) {
	f := newFixture(t)
	_, d := f.keyDoc(queue.BatchSpec{DoubleBlind: true})
	f.ocrValues(d.ID, 0.9, map[string]string{"document_number": "12/QĐ-UBND"})
	save := func(u queue.User, kv map[string]string) {
		t.Helper()
		for k, v := range kv {
			if err := f.w.SaveField(f.ctx, u, FieldInput{Document: d.ID, Key: k, Value: v, Source: queue.SourceKeyed, Confidence: 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	save(f.clerk, genericOK)
	other := map[string]string{}
	for k, v := range genericOK {
		other[k] = v
	}
	other["subject"] = "Về việc cấp phép sửa chữa"
	save(f.lan, other)
	if cur := f.current(d.ID); cur["subject"].Value != "" || cur["document_number"].Source != queue.SourceOCR {
		t.Fatalf("a blind save touched the current values: %+v", cur)
	}
	seen, err := f.w.DocumentValues(f.ctx, f.lan, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range seen {
		if v.Key == "subject" && v.Value != other["subject"] {
			t.Fatalf("lan sees %q", v.Value)
		}
	}
	// Keying a current value around the passes is refused; into one's pass it goes.
	if _, err := f.w.KeyField(f.ctx, f.lan, KeyInput{Document: d.ID, Field: "subject", Value: "x"}); !errors.Is(err, queue.ErrDoubleBlindOnly) {
		t.Fatalf("plain key in a double-blind batch: %v", err)
	}
	kr, err := f.w.KeyField(f.ctx, f.lan, KeyInput{Document: d.ID, Field: "signer_name", Value: "NGUYỄN VĂN AN", Pass: true})
	if err != nil || kr.Pass.Pass != 2 || kr.Value != "Nguyễn Văn An" {
		t.Fatalf("key into the pass: %+v %v", kr, err)
	}
	res, err := f.w.FinishDocument(f.ctx, f.clerk, FinishInput{Document: d.ID})
	if err != nil || !res.Done || res.Reconciliation.Compared {
		t.Fatalf("first pass finished: %+v %v", res, err)
	}
	res, err = f.w.FinishDocument(f.ctx, f.lan, FinishInput{Document: d.ID})
	if err != nil || !res.Done || !res.Reconciliation.Compared || !slices.Equal(res.Reconciliation.Conflicts, []string{"subject"}) {
		t.Fatalf("second pass finished: %+v %v", res, err)
	}
	if cur := f.current(d.ID); cur["signer_name"].Source != queue.SourceDoubleKeyed {
		t.Fatalf("after the comparison %+v", cur)
	}
}

// TestOpenDocumentPrefills: a document whose OCR ran but whose values were never extracted
// is extracted when it is opened for keying (real Tesseract), and opening it again changes
// nothing.
func TestOpenDocumentPrefills(t *testing.T) {
	f := newFixture(t)
	b := f.batch(queue.BatchSpec{RecordType: "birth"})
	dir, _ := f.docs(1, "birth")
	f.importDir(b, dir)
	if _, err := f.w.OCR(f.ctx, f.clerk, OCRInput{Batch: b.ID, Options: OCROptions{Workers: 1}}, nil); err != nil {
		t.Fatal(err)
	}
	// A second document with the same page and its OCR result but no value (OCR by an older
	// version, or a run without extraction).
	pages, _ := f.st.BatchPages(f.ctx, b.ID)
	res, err := f.st.OCR(f.ctx, pages[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	img, err := f.st.PageImage(pages[0])
	if err != nil {
		t.Fatal(err)
	}
	d, np, err := f.st.AddDocument(f.ctx, f.clerk, queue.NewDocument{BatchID: b.ID, Origin: "bản sao", Pages: []queue.PageInput{{Data: img,
		Format: pages[0].Format, Width: pages[0].Width, Height: pages[0].Height, DPI: pages[0].DPI}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SaveOCR(f.ctx, np[0].ID, res); err != nil {
		t.Fatal(err)
	}
	if n := len(f.current(d.ID)); n != 0 {
		t.Fatalf("%d values before opening", n)
	}
	k, err := f.w.OpenDocument(f.ctx, f.clerk, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Pages) != 1 || len(k.Words) != 1 || len(k.Found) == 0 || !hasOCRValues(k.Shown) || k.Type.Key != "birth" {
		t.Fatalf("opened %d pages, %d with words, %d found, values %+v", len(k.Pages), len(k.Words), len(k.Found), k.Shown)
	}
	n := len(f.current(d.ID))
	if _, err := f.w.OpenDocument(f.ctx, f.clerk, d.ID); err != nil || len(f.current(d.ID)) != n {
		t.Fatalf("opening again: %v", err)
	}
}
