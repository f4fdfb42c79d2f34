package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"strings"
	"sync"
	"time"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// confidentAt is the extraction confidence (0..1) from which Ctrl+Enter accepts a value.
const confidentAt = 0.8

var (
	regMu  sync.Mutex
	regDir string
	reg    *records.Registry
)

// recordRegistryFor is the record types of the store in dataDir: bundled and local ones
// (records.LoadAll), loaded once per data folder.
func recordRegistryFor(dataDir string) (*records.Registry, error) {
	regMu.Lock()
	defer regMu.Unlock()
	if reg != nil && regDir == dataDir {
		return reg, nil
	}
	r, err := records.LoadAll(dataDir)
	if err != nil {
		return nil, err
	}
	reg, regDir = r, dataDir
	return reg, nil
}

// highlight colours of the focused field's source box
var (
	boxFill   = color.NRGBA{R: 30, G: 120, B: 255, A: 50}
	boxStroke = color.NRGBA{R: 20, G: 90, B: 230, A: 230}
)

// keyRow is one field of the form, or one cell of a table (keying_table.go).
type keyRow struct {
	f     records.Field // for a cell, the column with Key set to the cell's stored key
	label *widget.Label
	entry *keyEntry
	info  *widget.Label     // source and confidence, or the validation problem
	cell  fyne.CanvasObject // entry and info as placed in the form

	tbl *records.Table // the table of a cell; nil for a field
	ti  int            // index of tbl in the record type's tables
	n   int            // a cell's row number (the printed STT)
}

// keyingScreen keys the documents of one batch: the page with the focused field's source
// box on the left, the record's form on the right. Every key action has a shortcut; saving a
// field commits it (queue.SetField) off the UI goroutine, in the order the clerk left fields.
type keyingScreen struct {
	e     *env
	user  queue.User
	batch queue.Batch
	rt    *records.RecordType
	now   func() time.Time

	docs []queue.Document
	di   int

	// the current document
	docID   int64
	stored  map[string]queue.FieldValue // the values as saved (updated when a save is queued)
	saved   map[string]bool             // keys whose last save has committed
	found   map[string]records.Extracted
	imgs    []image.Image // page images, by page index
	problem map[string]records.Problem
	warnOK  bool // the clerk confirmed the warnings of this document
	loadSeq int

	rows      []*keyRow // in keying order: the fields, then each table's cells row by row
	fieldRows []*keyRow // the record type's fields
	trows     [][]int   // the row numbers shown of each table (keying_table.go)
	focus     int
	telex     bool

	form     *fyne.Container
	formBox  *container.Scroll
	head     *widget.Label
	telexLbl *widget.Label
	status   *widget.Label
	suggest  *widget.Label
	sugg     []string
	suggSel  int
	page     *canvas.Image
	stage    *fyne.Container
	box      *canvas.Rectangle
	zoom     *canvas.Image
	zoomNote *widget.Label
	pageIdx  int
	hl       records.Box
	hasBox   bool

	// saves are committed one at a time in the order they were made
	saveMu   sync.Mutex
	pending  []saveJob
	draining bool

	onBack  func()
	content fyne.CanvasObject
	// startField is focused when the first document opens ("" = the first field)
	startField string
	startPage  int64
}

type saveJob struct {
	doc   int64
	key   string
	value string
	src   queue.FieldSource
	conf  float64

	// status, when set, is a document status change (queued after the field saves, so it
	// commits after them); warnings is the number of warnings the clerk confirmed.
	status   string
	warnings int
}

func newKeyingScreen(e *env, user queue.User, b queue.Batch, onBack func()) (*keyingScreen, error) {
	r, err := recordRegistryFor(e.st.Dir())
	if err != nil {
		return nil, err
	}
	rt, ok := r.Get(b.RecordType)
	if !ok {
		return nil, fmt.Errorf("record type %q: %w", b.RecordType, queue.ErrNotFound)
	}
	k := &keyingScreen{e: e, user: user, batch: b, rt: rt, now: time.Now, di: -1, telex: true, onBack: onBack, pageIdx: -1}
	k.build()
	return k, nil
}

func (k *keyingScreen) label(f records.Field) string {
	l := f.LabelEn
	if currentLanguage() == "vi" {
		l = f.LabelVi
	}
	if f.Required {
		l += " *"
	}
	return l
}

// newRow makes the label, entry and info of one field or table cell.
func (k *keyingScreen) newRow(f records.Field) *keyRow {
	r := &keyRow{f: f, label: widget.NewLabel(k.label(f)), info: widget.NewLabel("")}
	r.entry = newKeyEntry(k, 0)
	r.info.Truncation = fyne.TextTruncateEllipsis
	info := container.NewGridWrap(fyne.NewSize(230, r.entry.MinSize().Height), r.info)
	r.cell = container.NewBorder(nil, nil, nil, info, r.entry)
	return r
}

func (k *keyingScreen) build() {
	k.form = container.New(layout.NewFormLayout())
	k.formBox = container.NewVScroll(k.form)
	k.rows, k.fieldRows = nil, nil
	for _, f := range k.rt.Fields {
		k.fieldRows = append(k.fieldRows, k.newRow(f))
	}
	k.setTableRows(nil)

	k.head = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	k.head.Truncation = fyne.TextTruncateEllipsis
	k.telexLbl = widget.NewLabel("")
	k.status = widget.NewLabel("")
	k.status.Wrapping = fyne.TextWrapWord
	k.suggest = widget.NewLabel("")
	k.suggest.Truncation = fyne.TextTruncateEllipsis
	keys := widget.NewLabel(tr("keying.keys"))
	keys.Importance = widget.LowImportance
	keys.Wrapping = fyne.TextWrapWord

	back := widget.NewButtonWithIcon(tr("viewer.back"), theme.NavigateBackIcon(), func() {
		k.leave(false)
		if k.onBack != nil {
			k.onBack()
		}
	})
	done := widget.NewButtonWithIcon(tr("keying.done"), theme.ConfirmIcon(), k.done)
	done.Importance = widget.HighImportance
	top := container.NewBorder(nil, nil, back, container.NewHBox(k.telexLbl, done), k.head)
	right := container.NewBorder(top, container.NewVBox(k.suggest, k.status, keys), nil, nil, k.formBox)

	k.page = canvas.NewImageFromImage(nil)
	k.page.FillMode = canvas.ImageFillStretch
	k.box = canvas.NewRectangle(boxFill)
	k.box.StrokeColor = boxStroke
	k.box.StrokeWidth = 2
	k.box.Hide()
	k.stage = container.New(&fitLayout{k: k}, k.page, k.box)
	k.zoom = canvas.NewImageFromImage(nil)
	k.zoom.FillMode = canvas.ImageFillContain
	k.zoom.SetMinSize(fyne.NewSize(300, 150))
	k.zoomNote = widget.NewLabel("")
	k.zoomNote.Importance = widget.LowImportance
	zoomPane := container.NewBorder(k.zoomNote, widget.NewSeparator(), nil, nil, k.zoom)
	left := container.NewBorder(zoomPane, nil, nil, nil, k.stage)

	split := container.NewHSplit(left, right)
	split.Offset = 0.45
	k.content = split
	k.showTelex()
}

func (k *keyingScreen) showTelex() {
	if k.telex {
		k.telexLbl.SetText(tr("keying.telexOn"))
	} else {
		k.telexLbl.SetText(tr("keying.telexOff"))
	}
}

// open loads the batch's documents and shows docID (0: the first).
func (k *keyingScreen) open(docID int64) {
	k.status.SetText(tr("viewer.loading"))
	k.e.bg.Go(func() {
		docs, err := k.e.st.Documents(k.e.ctx, k.batch.ID)
		k.e.do(func() {
			if err != nil {
				k.status.SetText(errText(err))
				return
			}
			k.docs = docs
			if len(docs) == 0 {
				k.status.SetText(tr("viewer.empty"))
				return
			}
			i := 0
			for n, d := range docs {
				if d.ID == docID {
					i = n
				}
			}
			k.loadDoc(i)
		})
	})
}

// docData is what loading a document reads off the UI goroutine.
type docData struct {
	pages  []queue.Page
	imgs   []image.Image
	fields []queue.FieldValue
	found  []records.Extracted
}

func (k *keyingScreen) loadDoc(i int) {
	if i < 0 || i >= len(k.docs) {
		return
	}
	k.di = i
	k.loadSeq++
	seq := k.loadSeq
	doc := k.docs[i]
	k.head.SetText(tr("keying.head", map[string]any{"Batch": k.batch.Name, "Type": k.typeName(), "N": i + 1, "Total": len(k.docs)}))
	k.status.SetText(tr("viewer.loading"))
	for _, r := range k.rows {
		r.entry.Disable()
	}
	k.e.bg.Go(func() {
		var d docData
		pages, err := k.e.st.Pages(k.e.ctx, doc.ID)
		if err == nil {
			d.pages = pages
			var pw []records.PageWords
			for n, p := range pages {
				var img image.Image
				if data, gerr := k.e.st.PageImage(p); gerr == nil {
					img, _, _ = image.Decode(bytes.NewReader(data))
				}
				d.imgs = append(d.imgs, img)
				if res, oerr := k.e.st.OCR(k.e.ctx, p.ID); oerr == nil {
					pw = append(pw, records.PageWords{Page: n, Width: p.Width, Height: p.Height, Words: res.Words})
				}
			}
			d.found = records.ExtractPages(k.rt, pw)
			if k.batch.DoubleBlind {
				d.fields, err = k.blindFields(doc.ID)
			} else {
				d.fields, err = k.e.st.Fields(k.e.ctx, doc.ID)
			}
		}
		k.e.do(func() {
			if seq != k.loadSeq {
				return
			}
			if err != nil {
				k.status.SetText(errText(err))
				return
			}
			k.setDoc(doc.ID, d)
		})
	})
}

// blindFields is what this clerk may see of a double-blind document: their own pass and the
// OCR suggestions, never the other clerk's values (queue.BlindFields).
func (k *keyingScreen) blindFields(docID int64) ([]queue.FieldValue, error) {
	bf, _, err := k.e.st.BlindFields(k.e.ctx, k.user, docID)
	if err != nil {
		return nil, err
	}
	out := make([]queue.FieldValue, len(bf))
	for i, f := range bf {
		out[i] = queue.FieldValue{Key: f.Key, Value: f.Value, Source: f.Source, Confidence: f.Confidence, Current: true}
	}
	return out, nil
}

func (k *keyingScreen) typeName() string {
	if currentLanguage() == "vi" {
		return k.rt.NameVi
	}
	return k.rt.NameEn
}

func (k *keyingScreen) setDoc(id int64, d docData) {
	k.docID = id
	k.imgs = d.imgs
	k.stored = map[string]queue.FieldValue{}
	k.saved = map[string]bool{}
	k.found = map[string]records.Extracted{}
	k.warnOK = false
	k.pageIdx = -1
	for _, f := range d.fields {
		k.stored[f.Key] = f
		k.saved[f.Key] = true
	}
	for _, x := range d.found {
		k.found[x.Key] = x
	}
	k.setTableRows(k.docTableRows())
	for _, r := range k.rows {
		r.entry.Enable()
		r.entry.SetText(k.stored[r.f.Key].Value)
	}
	k.validate()
	k.status.SetText("")
	start := 0
	if k.startField != "" {
		for i, r := range k.rows {
			if r.f.Key == k.startField {
				start = i
			}
		}
		k.startField = ""
	} else if k.startPage != 0 {
		for n, p := range d.pages {
			if p.ID == k.startPage {
				k.showPage(n)
			}
		}
	}
	k.startPage = 0
	k.focusRow(start)
}

// value is the entry's text as it would be saved.
func (r *keyRow) value() string { return norm.NFC.String(strings.TrimSpace(r.entry.Text)) }

// values are the form's current values (what validation sees). The empty cells of a table
// row that has a value are there too, as "", so that a required column left empty is
// reported.
func (k *keyingScreen) values() map[string]string {
	m := map[string]string{}
	started := map[[2]int]bool{}
	for _, r := range k.rows {
		if v := r.value(); v != "" {
			m[r.f.Key] = v
			if r.tbl != nil {
				started[[2]int{r.ti, r.n}] = true
			}
		}
	}
	for _, r := range k.rows {
		if _, ok := m[r.f.Key]; !ok && r.tbl != nil && started[[2]int{r.ti, r.n}] {
			m[r.f.Key] = ""
		}
	}
	return m
}

// validate runs the record type's rules over the form and shows each field's first problem.
func (k *keyingScreen) validate() []records.Problem {
	ps := records.Validate(k.rt, k.values(), k.now())
	k.problem = map[string]records.Problem{}
	for _, p := range ps {
		if old, ok := k.problem[p.Key]; !ok || (old.Severity == records.SeverityWarning && p.Severity == records.SeverityError) {
			k.problem[p.Key] = p
		}
	}
	for _, r := range k.rows {
		k.showInfo(r)
	}
	return ps
}

func problemText(p records.Problem) string {
	if currentLanguage() == "vi" {
		return p.Vi
	}
	return p.En
}

// showInfo shows a field's problem, or else where its value came from.
func (k *keyingScreen) showInfo(r *keyRow) {
	if p, ok := k.problem[r.f.Key]; ok {
		r.info.SetText(problemText(p))
		if p.Severity == records.SeverityError {
			r.info.Importance = widget.DangerImportance
		} else {
			r.info.Importance = widget.WarningImportance
		}
		r.info.Refresh()
		return
	}
	fv, ok := k.stored[r.f.Key]
	r.info.Importance = widget.LowImportance
	switch {
	case !ok:
		r.info.SetText("")
	case fv.Source == queue.SourceOCR:
		r.info.SetText(tr("keying.ocr", map[string]any{"Conf": fmt.Sprintf("%.0f", fv.Confidence*100)}))
		if fv.Confidence < confidentAt {
			r.info.Importance = widget.WarningImportance
		}
	case !k.saved[r.f.Key]:
		r.info.SetText(tr("keying.saving"))
	default:
		r.info.SetText(fieldSourceName(fv.Source))
		r.info.Importance = widget.SuccessImportance
	}
	r.info.Refresh()
}

// fieldSourceName says in the interface language who gave a value.
func fieldSourceName(src queue.FieldSource) string {
	switch src {
	case queue.SourceKeyed:
		return tr("keying.src.keyed")
	case queue.SourceCorrected:
		return tr("keying.src.corrected")
	case queue.SourceDoubleKeyed:
		return tr("keying.src.double-keyed")
	}
	return tr("keying.src.ocr")
}

// needsLook reports whether row i still needs the clerk: a problem, or an OCR value that is
// not confident.
func (k *keyingScreen) needsLook(i int) bool {
	r := k.rows[i]
	if p, ok := k.problem[r.f.Key]; ok && (p.Severity == records.SeverityError || !k.warnOK) {
		return true
	}
	fv, ok := k.stored[r.f.Key]
	return ok && fv.Source == queue.SourceOCR && fv.Confidence < confidentAt && fv.Value == r.value()
}

func (k *keyingScreen) focusRow(i int) {
	if len(k.rows) == 0 {
		return
	}
	i = min(max(i, 0), len(k.rows)-1)
	k.focus = i
	if k.e.win != nil {
		k.e.win.Canvas().Focus(k.rows[i].entry)
	}
	k.focused(i)
}

// focused is called when row i takes the focus: highlight and zoom its source box, offer
// suggestions, select the value so that typing replaces it.
func (k *keyingScreen) focused(i int) {
	k.focus = i
	r := k.rows[i]
	if y, h := r.cell.Position().Y, r.cell.Size().Height; h > 0 {
		vis := k.formBox.Size().Height
		if y < k.formBox.Offset.Y || y+h > k.formBox.Offset.Y+vis {
			k.formBox.ScrollToOffset(fyne.NewPos(0, max(0, y-vis/3)))
		}
	}
	k.updateSuggest(r)
	x, ok := k.found[r.f.Key]
	if !ok || len(x.Boxes) == 0 || x.Page >= len(k.imgs) || k.imgs[x.Page] == nil {
		k.hasBox = false
		k.box.Hide()
		k.zoom.Image = nil
		k.zoom.Refresh()
		k.zoomNote.SetText(tr("keying.noBox", map[string]any{"Field": k.rowName(r)}))
		if k.pageIdx < 0 {
			k.showPage(0)
		}
		return
	}
	u := x.Boxes[0]
	for _, b := range x.Boxes[1:] {
		u.X0, u.Y0, u.X1, u.Y1 = min(u.X0, b.X0), min(u.Y0, b.Y0), max(u.X1, b.X1), max(u.Y1, b.Y1)
	}
	k.hl, k.hasBox = u, true
	k.showPage(x.Page)
	k.box.Show()
	img := k.imgs[x.Page]
	pad := max(u.Y1-u.Y0, 20)
	rect := image.Rect(u.X0-2*pad, u.Y0-pad, u.X1+2*pad, u.Y1+pad).Intersect(img.Bounds())
	if si, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		k.zoom.Image = si.SubImage(rect)
	}
	k.zoom.Refresh()
	k.zoomNote.SetText(tr("keying.source", map[string]any{"Field": k.rowName(r), "Page": x.Page + 1}))
	k.stage.Refresh()
}

func (k *keyingScreen) showPage(n int) {
	if n < 0 || n >= len(k.imgs) {
		return
	}
	if n != k.pageIdx {
		k.pageIdx = n
		k.page.Image = k.imgs[n]
		k.page.Refresh()
	}
	k.stage.Refresh()
}

// leave saves the focused field if its value changed. confirm also records an unchanged OCR
// value as keyed: the clerk looked at it and moved on with Tab or Enter.
func (k *keyingScreen) leave(confirm bool) {
	if k.focus < 0 || k.focus >= len(k.rows) || k.docID == 0 {
		return
	}
	r := k.rows[k.focus]
	if confirm {
		k.acceptSuggestion(r)
	}
	v := r.value()
	cur, ok := k.stored[r.f.Key]
	switch {
	case !ok && v == "":
	case !ok:
		k.save(r.f.Key, v, queue.SourceKeyed, 1)
	case v != cur.Value:
		k.save(r.f.Key, v, queue.SourceCorrected, 1)
	case confirm && cur.Source == queue.SourceOCR:
		k.save(r.f.Key, v, queue.SourceKeyed, 1)
	}
	k.validate()
}

// save queues a field value for a durable save; the form shows it as saving until the
// transaction has committed.
func (k *keyingScreen) save(key, value string, src queue.FieldSource, conf float64) {
	k.stored[key] = queue.FieldValue{Key: key, Value: value, Source: src, Confidence: conf}
	k.saved[key] = false
	job := saveJob{doc: k.docID, key: key, value: value, src: src, conf: conf}
	k.saveMu.Lock()
	k.pending = append(k.pending, job)
	start := !k.draining
	k.draining = true
	k.saveMu.Unlock()
	if start {
		k.e.bg.Go(k.drain)
	}
}

// drain commits queued saves in order. A save outlives the window: it does not follow the
// root context's cancellation.
func (k *keyingScreen) drain() {
	ctx := context.WithoutCancel(k.e.ctx)
	for {
		k.saveMu.Lock()
		if len(k.pending) == 0 {
			k.draining = false
			k.saveMu.Unlock()
			return
		}
		job := k.pending[0]
		k.pending = k.pending[1:]
		k.saveMu.Unlock()
		var err error
		switch {
		case job.status != "" && k.batch.DoubleBlind:
			// This clerk's pass is finished; the two passes are compared when both are in.
			_, err = k.e.st.FinishBlind(ctx, k.user, job.doc)
		case job.status != "":
			err = k.e.st.SetDocumentStatus(ctx, k.user, job.doc, job.status, job.warnings)
		case k.batch.DoubleBlind:
			_, err = k.e.st.KeyBlind(ctx, k.user, job.doc, map[string]string{job.key: job.value})
		default:
			err = k.e.st.SetField(ctx, k.user, job.doc, job.key, job.value, job.src, job.conf)
		}
		k.e.do(func() { k.savedOne(job, err) })
	}
}

func (k *keyingScreen) savedOne(job saveJob, err error) {
	if job.status != "" {
		if err != nil {
			k.status.SetText(tr("keying.saveErr", map[string]any{"Err": errText(err)}))
		}
		return
	}
	if job.doc != k.docID {
		if err != nil {
			k.status.SetText(tr("keying.saveErr", map[string]any{"Err": errText(err)}))
		}
		return
	}
	for _, r := range k.rows {
		if r.f.Key != job.key {
			continue
		}
		if err != nil {
			// The value stays in the field; the clerk can leave it again to retry.
			delete(k.stored, job.key)
			k.status.SetText(tr("keying.saveErr", map[string]any{"Err": errText(err)}))
		} else if k.stored[job.key].Value == job.value {
			k.saved[job.key] = true
		}
		k.showInfo(r)
	}
}

// move leaves the focused field (confirming it) and focuses the one dir rows away.
func (k *keyingScreen) move(dir int) {
	k.leave(true)
	n := k.focus + dir
	if n >= len(k.rows) {
		n = len(k.rows) - 1
		if k.rows[n].tbl != nil {
			k.status.SetText(tr("keying.lastCell"))
		} else {
			k.status.SetText(tr("keying.lastField"))
		}
	}
	k.focusRow(n)
}

// nextProblem focuses the next field after the focused one that needs a look.
func (k *keyingScreen) nextProblem() {
	k.leave(false)
	for d := 1; d <= len(k.rows); d++ {
		i := (k.focus + d) % len(k.rows)
		if k.needsLook(i) {
			k.focusRow(i)
			return
		}
	}
	k.status.SetText(tr("keying.noProblem"))
}

// acceptConfident records every confident OCR value without a problem as keyed, then goes
// to the first field that needs a look.
func (k *keyingScreen) acceptConfident() {
	k.leave(false)
	n := 0
	for _, r := range k.rows {
		fv, ok := k.stored[r.f.Key]
		if !ok || fv.Source != queue.SourceOCR || fv.Confidence < confidentAt || fv.Value != r.value() {
			continue
		}
		if _, bad := k.problem[r.f.Key]; bad {
			continue
		}
		k.save(r.f.Key, fv.Value, queue.SourceKeyed, 1)
		n++
	}
	k.validate()
	k.status.SetText(tr("keying.accepted", map[string]any{"N": n}))
	for i := range k.rows {
		if k.needsLook(i) {
			k.focusRow(i)
			return
		}
	}
}

// done finishes the document: hard errors block, warnings need a second Ctrl+D, then the
// next document opens.
func (k *keyingScreen) done() {
	k.leave(true)
	ps := k.validate()
	nErr, nWarn := 0, 0
	first := -1
	for i, r := range k.rows {
		p, ok := k.problem[r.f.Key]
		if !ok {
			continue
		}
		if p.Severity == records.SeverityError {
			if nErr == 0 {
				first = i
			}
		}
	}
	for _, p := range ps {
		if p.Severity == records.SeverityError {
			nErr++
		} else {
			nWarn++
		}
	}
	switch {
	case nErr > 0:
		k.status.SetText(tr("keying.blocked", map[string]any{"N": nErr}))
		k.status.Importance = widget.DangerImportance
		k.status.Refresh()
		if first >= 0 {
			k.focusRow(first)
		}
		return
	case nWarn > 0 && !k.warnOK:
		k.warnOK = true
		k.status.SetText(tr("keying.confirmWarn", map[string]any{"N": nWarn}))
		k.status.Importance = widget.WarningImportance
		k.status.Refresh()
		return
	}
	k.status.Importance = widget.MediumImportance
	k.queueStatus(queue.DocKeyed, nWarn)
	if k.di+1 < len(k.docs) {
		k.status.SetText(tr("keying.finished"))
		k.loadDoc(k.di + 1)
	} else {
		k.status.SetText(tr("keying.finishedAll"))
		k.status.Refresh()
	}
}

// queueStatus records the current document's status after its pending field saves.
func (k *keyingScreen) queueStatus(status string, warnings int) {
	k.saveMu.Lock()
	k.pending = append(k.pending, saveJob{doc: k.docID, status: status, warnings: warnings})
	start := !k.draining
	k.draining = true
	k.saveMu.Unlock()
	if start {
		k.e.bg.Go(k.drain)
	}
}

func (k *keyingScreen) nextDoc() {
	k.leave(false)
	if k.di+1 < len(k.docs) {
		k.loadDoc(k.di + 1)
	}
}

func (k *keyingScreen) prevDoc() {
	k.leave(false)
	if k.di > 0 {
		k.loadDoc(k.di - 1)
	}
}

func (k *keyingScreen) toggleTelex() {
	k.telex = !k.telex
	k.showTelex()
}

// keyShortcut is a keyboard shortcut of the keying screen.
type keyShortcut struct {
	sc fyne.Shortcut
	fn func()
}

func (k *keyingScreen) shortcuts() []keyShortcut {
	ctrl := fyne.KeyModifierShortcutDefault
	alt := fyne.KeyModifierAlt
	cs := func(key fyne.KeyName, m fyne.KeyModifier) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: key, Modifier: m}
	}
	return []keyShortcut{
		{cs(fyne.KeyPageDown, ctrl), k.nextDoc},
		{cs(fyne.KeyPageUp, ctrl), k.prevDoc},
		{cs(fyne.KeyN, alt), k.nextDoc},
		{cs(fyne.KeyP, alt), k.prevDoc},
		{cs(fyne.KeyReturn, ctrl), k.acceptConfident},
		{cs(fyne.KeyEnter, ctrl), k.acceptConfident},
		{cs(fyne.KeyJ, ctrl), k.nextProblem},
		{cs(fyne.KeyS, ctrl), func() { k.leave(true) }},
		{cs(fyne.KeyD, ctrl), k.done},
		{cs(fyne.KeyT, ctrl|fyne.KeyModifierShift), k.toggleTelex},
		{cs(fyne.KeyTab, fyne.KeyModifierShift), func() { k.move(-1) }},
		// Ctrl+Insert is Copy and Shift+Insert Paste in Fyne: rows go with Alt
		{cs(fyne.KeyInsert, alt), k.addRow},
		{cs(fyne.KeyDelete, alt), k.deleteRow},
	}
}

// runShortcut runs the screen's action for s; false when s is not one of them.
func (k *keyingScreen) runShortcut(s fyne.Shortcut) bool {
	for _, ks := range k.shortcuts() {
		if ks.sc.ShortcutName() == s.ShortcutName() {
			ks.fn()
			return true
		}
	}
	return false
}

// typedKey handles keys no entry took.
func (k *keyingScreen) typedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyF8 {
		k.nextProblem()
	}
}

// suggestions for catalogue and administrative-unit fields

func (k *keyingScreen) updateSuggest(r *keyRow) {
	k.sugg, k.suggSel = suggestions(r.f, r.value()), 0
	k.showSuggest()
}

func (k *keyingScreen) showSuggest() {
	if len(k.sugg) == 0 {
		k.suggest.SetText("")
		return
	}
	parts := make([]string, len(k.sugg))
	for i, s := range k.sugg {
		if i == k.suggSel {
			s = "[" + s + "]"
		}
		parts[i] = s
	}
	k.suggest.SetText(tr("keying.suggest", map[string]any{"List": strings.Join(parts, " · ")}))
}

// acceptSuggestion replaces a partial catalogue value by the chosen suggestion.
func (k *keyingScreen) acceptSuggestion(r *keyRow) {
	if len(k.sugg) == 0 || k.rows[k.focus] != r {
		return
	}
	v := r.value()
	if v == "" || v == k.sugg[k.suggSel] {
		return
	}
	r.entry.SetText(k.sugg[k.suggSel])
}

// suggestions are catalogue values that complete v (diacritics and case ignored); for an
// address, completions of its last part with a province of the 2025 catalogue. None when v
// is empty or already a catalogue value.
func suggestions(f records.Field, v string) []string {
	if v == "" {
		return nil
	}
	var list []string
	prefix := ""
	part := v
	switch f.Type {
	case records.TypeCatalog:
		list = records.List(f.Catalog)
	case records.TypeAdminUnit:
		au, err := records.Catalog()
		if err != nil {
			return nil
		}
		if i := strings.LastIndex(v, ","); i >= 0 {
			prefix, part = v[:i+1]+" ", strings.TrimSpace(v[i+1:])
		}
		for _, p := range au.Provinces {
			if p.Name == part {
				return nil
			}
			list = append(list, p.FullName())
		}
	default:
		return nil
	}
	fp := records.Fold(part)
	if fp == "" {
		return nil
	}
	var out []string
	for _, s := range list {
		if s == part {
			return nil // already a catalogue value as printed
		}
	}
	for _, s := range list {
		fs := records.Fold(s)
		name := fs
		for _, kind := range []string{"tinh ", "thanh pho "} {
			name = strings.TrimPrefix(name, kind)
		}
		if fs == fp || name == fp { // the value without its diacritics: offer it first
			out = append([]string{prefix + s}, out...)
		} else if strings.HasPrefix(fs, fp) || strings.HasPrefix(name, fp) {
			out = append(out, prefix+s)
		}
	}
	if len(out) > 6 {
		out = out[:6]
	}
	return out
}

// keyEntry is a form field: Tab and Enter move on, Shift+Tab back, F8 to the next problem,
// Down cycles suggestions, the screen's shortcuts work while it has the focus, and in Telex
// mode letters are composed into Vietnamese ones.
type keyEntry struct {
	widget.Entry
	k   *keyingScreen
	row int
}

func newKeyEntry(k *keyingScreen, row int) *keyEntry {
	e := &keyEntry{k: k, row: row}
	e.ExtendBaseWidget(e)
	e.OnChanged = func(string) {
		if k.focus == e.row && e.row < len(k.rows) && k.rows[e.row].entry == e {
			k.updateSuggest(k.rows[e.row])
		}
	}
	return e
}

// AcceptsTab keeps Tab for the form's own order (with saving).
func (e *keyEntry) AcceptsTab() bool { return true }

func (e *keyEntry) FocusGained() {
	e.Entry.FocusGained()
	if e.k.focus != e.row {
		e.k.focused(e.row)
	}
	if e.Text != "" {
		e.Entry.TypedShortcut(&fyne.ShortcutSelectAll{})
	}
}

func (e *keyEntry) TypedRune(r rune) {
	if e.k.telex && e.SelectedText() == "" && e.CursorRow == 0 {
		rs := []rune(e.Text)
		col := min(e.CursorColumn, len(rs))
		start := col
		for start > 0 && unicode.IsLetter(rs[start-1]) {
			start--
		}
		if nw, ok := TelexKey(string(rs[start:col]), r); ok {
			nr := []rune(nw)
			out := append(append(append([]rune{}, rs[:start]...), nr...), rs[col:]...)
			e.SetText(string(out))
			e.CursorColumn = start + len(nr)
			e.Refresh()
			return
		}
	}
	e.Entry.TypedRune(r)
}

func (e *keyEntry) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyTab, fyne.KeyReturn, fyne.KeyEnter:
		e.k.move(1)
	case fyne.KeyF8:
		e.k.nextProblem()
	case fyne.KeyDown:
		if len(e.k.sugg) > 0 {
			e.k.suggSel = (e.k.suggSel + 1) % len(e.k.sugg)
			e.k.showSuggest()
		}
	case fyne.KeyUp:
		if len(e.k.sugg) > 0 {
			e.k.suggSel = (e.k.suggSel + len(e.k.sugg) - 1) % len(e.k.sugg)
			e.k.showSuggest()
		}
	default:
		e.Entry.TypedKey(ev)
	}
}

func (e *keyEntry) TypedShortcut(s fyne.Shortcut) {
	if e.k.runShortcut(s) {
		return
	}
	e.Entry.TypedShortcut(s)
}

// fitLayout fits the page image into the space (keeping its aspect) and puts the highlight
// over the focused field's source box.
type fitLayout struct{ k *keyingScreen }

func (l *fitLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(200, 200) }

func (l *fitLayout) Layout(_ []fyne.CanvasObject, sz fyne.Size) {
	k := l.k
	img := k.page.Image
	if img == nil {
		return
	}
	b := img.Bounds()
	w, h := float32(b.Dx()), float32(b.Dy())
	z := min(sz.Width/w, sz.Height/h)
	k.page.Move(fyne.NewPos(0, 0))
	k.page.Resize(fyne.NewSize(w*z, h*z))
	if k.hasBox {
		u := k.hl
		k.box.Move(fyne.NewPos(float32(u.X0-b.Min.X)*z-3, float32(u.Y0-b.Min.Y)*z-3))
		k.box.Resize(fyne.NewSize(float32(u.X1-u.X0)*z+6, float32(u.Y1-u.Y0)*z+6))
	}
}
