package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"slices"
	"strings"
	"sync"
	"time"

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
	"github.com/sohoa/sohoa/workflow"
)

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
	info  *widget.Label     // provenance: source, confidence, who; or the save state
	mark  *widget.Icon      // inside the entry: the value has a problem or looks suspicious
	prob  *widget.Label     // the field's problem, under the entry, wrapped
	cell  fyne.CanvasObject // entry, info and problem as placed in the form

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
	stored  map[string]queue.FieldValue // the values as committed in the store
	queued  map[string]queue.FieldValue // values queued for a save that has not committed yet
	failed  map[string]error            // keys whose last save failed
	found   map[string]records.Extracted
	imgs    []image.Image // page images, by page index
	problem map[string]records.Problem
	warnOK  bool // the clerk confirmed the warnings of this document
	loadSeq int

	rows      []*keyRow // in keying order: the fields, then each table's cells row by row
	fieldRows []*keyRow // the record type's fields
	trows     [][]int   // the row numbers shown of each table (keying_table.go)
	focus     int

	form      *fyne.Container
	formBox   *container.Scroll
	head      *widget.Label
	telexLbl  *widget.Label
	status    *widget.Label
	suggest   *widget.Label
	suggBox   *fyne.Container // the suggestions, each a button
	suggLine  *fyne.Container // the suggestions' line, hidden while there are none
	sugg      []string
	suggSel   int  // the suggestion chosen with Down/Up; -1: none
	suggRow   int  // the row the suggestions are for
	infoUnder bool // the form is narrow: the provenance is under each entry (entryInfoLayout)

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
	moving   int // finish and flush jobs queued: a move waits for the saves

	// visible reports whether the screen is the one the clerk sees (nil: always); a save
	// error then takes the focus back to its field.
	visible func() bool

	onBack  func()
	content fyne.CanvasObject
	// startField is focused when the first document opens ("" = the first field)
	startField string
	startPage  int64
}

// saveJob is one step of the save queue: a field value; or finish, which judges the
// document's stored values once the saves before it have committed; or after, which runs on
// the UI goroutine once they have.
type saveJob struct {
	doc   int64
	key   string
	value string
	src   queue.FieldSource
	conf  float64

	finish *finishJob
	after  func()
}

// finishJob finishes a document (Ctrl+D) by the workflow's rule (workflow.FinishDocument):
// the stored values must be those the clerk saw, then they are validated as stored; with no
// error, and warnings confirmed, the document is marked keyed (or the double-blind pass
// finished).
type finishJob struct {
	in  workflow.FinishInput
	res workflow.FinishResult // filled by the save goroutine
}

func newKeyingScreen(e *env, user queue.User, b queue.Batch, onBack func()) (*keyingScreen, error) {
	rt, err := e.flow().RecordType(b.RecordType)
	if err != nil {
		return nil, err
	}
	k := &keyingScreen{e: e, user: user, batch: b, rt: rt, now: time.Now, di: -1, onBack: onBack, pageIdx: -1, suggSel: -1}
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
	r.mark = widget.NewIcon(theme.NewWarningThemedResource(theme.WarningIcon()))
	r.mark.Hide()
	r.entry.ActionItem = r.mark
	r.info.Truncation = fyne.TextTruncateEllipsis
	r.prob = widget.NewLabel("")
	r.prob.Wrapping = fyne.TextWrapWord
	r.prob.Hide()
	r.cell = container.NewVBox(container.New(&entryInfoLayout{k: k}, r.entry, r.info), r.prob)
	if k.infoUnder {
		r.info.SizeName = theme.SizeNameCaptionText
	}
	return r
}

// Layout of the form at any width (1024×768 and up, any FYNE_SCALE): each entry keeps room
// for a 40-character name (layoutName). The provenance goes beside the entry where there is
// room for both, else under it in small print (the focused field's is shown whole above its
// source box either way).
const (
	layoutName = "Nguyễn Thị Phương Thảo Hoàng Lê Minh Thư" // 40 characters
	infoWidth  = 160                                        // the provenance beside an entry
)

// entryNeed is the width an entry needs to show layoutName whole, with its mark.
func entryNeed() float32 {
	return fyne.MeasureText(layoutName, theme.TextSize(), fyne.TextStyle{}).Width + 2*theme.InnerPadding() + theme.IconInlineSize() + 2*theme.Padding()
}

// entryInfoLayout places a field's entry and its provenance (objects: entry, info).
type entryInfoLayout struct{ k *keyingScreen }

func (l *entryInfoLayout) MinSize(o []fyne.CanvasObject) fyne.Size {
	e, i := o[0].MinSize(), o[1].MinSize()
	if l.k.infoUnder {
		return fyne.NewSize(max(e.Width, i.Width), e.Height+i.Height)
	}
	return fyne.NewSize(e.Width+theme.Padding()+infoWidth, max(e.Height, i.Height))
}

func (l *entryInfoLayout) Layout(o []fyne.CanvasObject, size fyne.Size) {
	e := o[0].MinSize()
	if l.k.infoUnder {
		o[0].Move(fyne.NewPos(0, 0))
		o[0].Resize(fyne.NewSize(size.Width, e.Height))
		o[1].Move(fyne.NewPos(0, e.Height))
		o[1].Resize(fyne.NewSize(size.Width, size.Height-e.Height))
		return
	}
	o[0].Move(fyne.NewPos(0, 0))
	o[0].Resize(fyne.NewSize(size.Width-theme.Padding()-infoWidth, size.Height))
	o[1].Move(fyne.NewPos(size.Width-infoWidth, 0))
	o[1].Resize(fyne.NewSize(infoWidth, size.Height))
}

// formPaneLayout lays out the scrolled form (its one object), first choosing from the width it
// gets whether the provenance fits beside the entries.
type formPaneLayout struct{ k *keyingScreen }

func (l *formPaneLayout) MinSize(o []fyne.CanvasObject) fyne.Size { return o[0].MinSize() }

func (l *formPaneLayout) Layout(o []fyne.CanvasObject, size fyne.Size) {
	switched := l.k.setInfoUnder(size.Width < l.k.sideBySideWidth())
	o[0].Move(fyne.NewPos(0, 0))
	o[0].Resize(size)
	if switched { // the rows' heights changed at the same width
		l.k.form.Refresh()
		o[0].Refresh()
	}
}

// sideBySideWidth is the form width from which an entry and its provenance both fit beside
// the longest label.
func (k *keyingScreen) sideBySideWidth() float32 {
	var label float32
	for _, r := range k.rows {
		label = max(label, r.label.MinSize().Width)
	}
	return label + theme.Padding() + entryNeed() + theme.Padding() + infoWidth + theme.ScrollBarSize() + 2*theme.Padding()
}

// setInfoUnder switches where the provenance goes; false when it was there already.
func (k *keyingScreen) setInfoUnder(under bool) bool {
	if under == k.infoUnder {
		return false
	}
	k.infoUnder = under
	size := theme.SizeNameText
	if under {
		size = theme.SizeNameCaptionText
	}
	for _, r := range k.rows {
		r.info.SizeName = size
		r.info.Refresh()
	}
	return true
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
	k.head.Wrapping = fyne.TextWrapWord // batch, type and the document's place, whole at 1024 too
	k.telexLbl = widget.NewLabel("")
	k.status = widget.NewLabel("")
	k.status.Wrapping = fyne.TextWrapWord
	k.suggest = widget.NewLabel("")
	k.suggest.Truncation = fyne.TextTruncateEllipsis
	k.suggBox = container.NewHBox()
	keys := widget.NewLabel(tr("keying.keys"))
	keys.Importance = widget.LowImportance
	keys.Wrapping = fyne.TextWrapWord

	back := widget.NewButtonWithIcon(tr("viewer.back"), theme.NavigateBackIcon(), func() {
		k.flush(func(ok bool) {
			if ok && k.onBack != nil {
				k.onBack()
			}
		})
	})
	done := widget.NewButtonWithIcon(tr("keying.done"), theme.ConfirmIcon(), k.done)
	done.Importance = widget.HighImportance
	// The buttons, then the document's place on a line of its own (whole at 1024 pixels).
	top := container.NewVBox(container.NewBorder(nil, nil, back, container.NewHBox(k.telexLbl, done)), k.head)
	k.suggLine = container.NewBorder(nil, nil, k.suggest, nil, container.NewHScroll(k.suggBox))
	k.suggLine.Hide()
	right := container.NewBorder(top, container.NewVBox(k.suggLine, k.status, keys), nil, nil,
		container.New(&formPaneLayout{k: k}, k.formBox))

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
	k.zoomNote.Wrapping = fyne.TextWrapWord // the focused field's full provenance
	zoomPane := container.NewBorder(k.zoomNote, widget.NewSeparator(), nil, nil, k.zoom)
	left := container.NewBorder(zoomPane, nil, nil, nil, k.stage)

	split := container.NewHSplit(left, right)
	split.Offset = 0.4
	k.content = split
	k.showTelex()
}

func (k *keyingScreen) showTelex() {
	if telexFree.on {
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
	workflow.KeyingDoc
	imgs []image.Image
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
		var err error
		// The workflow reads the pages, their words and the values the clerk works on, and
		// pre-fills a document whose values were never extracted.
		d.KeyingDoc, err = k.e.flow().OpenDocument(k.e.ctx, k.user, doc.ID)
		for _, p := range d.Pages {
			var img image.Image
			if data, gerr := k.e.st.PageImage(p); gerr == nil {
				img, _, _ = image.Decode(bytes.NewReader(data))
			}
			d.imgs = append(d.imgs, img)
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
	k.queued = map[string]queue.FieldValue{}
	k.failed = map[string]error{}
	k.found = map[string]records.Extracted{}
	k.warnOK = false
	k.pageIdx = -1
	for _, f := range d.Shown {
		k.stored[f.Key] = f
	}
	for _, x := range d.Found {
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
		for n, p := range d.Pages {
			if p.ID == k.startPage {
				k.showPage(n)
			}
		}
	}
	k.startPage = 0
	k.focusRow(start)
}

// current is a field's value as the form last gave it: queued for a save, else committed.
func (k *keyingScreen) current(key string) (queue.FieldValue, bool) {
	if fv, ok := k.queued[key]; ok {
		return fv, true
	}
	fv, ok := k.stored[key]
	return fv, ok
}

// value is the entry's text as it would be saved.
func (r *keyRow) value() string { return norm.NFC.String(strings.TrimSpace(r.entry.Text)) }

// problemText is the problem shown under the field ("" when none).
func (r *keyRow) problemText() string {
	if !r.prob.Visible() {
		return ""
	}
	return r.prob.Text
}

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

// validate runs the record type's rules over the form and shows each field's first problem:
// a cross-field problem beside every field it involves.
func (k *keyingScreen) validate() []records.Problem {
	ps := records.Validate(k.rt, k.values(), k.now())
	k.setProblems(ps)
	return ps
}

func (k *keyingScreen) setProblems(ps []records.Problem) {
	k.problem = map[string]records.Problem{}
	for _, p := range ps {
		keys := p.Keys
		if len(keys) == 0 {
			keys = []string{p.Key}
		}
		for _, key := range keys {
			if old, ok := k.problem[key]; !ok || (old.Severity == records.SeverityWarning && p.Severity == records.SeverityError) {
				k.problem[key] = p
			}
		}
	}
	for _, r := range k.rows {
		k.showInfo(r)
	}
	// a problem shown or gone changes the rows' heights
	k.form.Refresh()
}

func problemText(p records.Problem) string {
	if currentLanguage() == "vi" {
		return p.Vi
	}
	return p.En
}

// showInfo shows where a field's value came from beside it, its problem (or a failed save)
// under it, and the mark inside it.
func (k *keyingScreen) showInfo(r *keyRow) {
	key := r.f.Key
	msg, imp := "", widget.MediumImportance
	if err, bad := k.failed[key]; bad {
		msg, imp = tr("keying.saveErrField", map[string]any{"Err": errText(err)}), widget.DangerImportance
	} else if p, ok := k.problem[key]; ok {
		msg, imp = problemText(p), widget.WarningImportance
		if p.Severity == records.SeverityError {
			imp = widget.DangerImportance
		}
		if strings.HasPrefix(p.Code, "suspicious.") {
			msg += suspiciousParts(r.f, r.value())
		}
	}
	if msg == "" {
		r.prob.Hide()
		r.mark.Hide()
	} else {
		r.prob.SetText(msg)
		r.prob.Importance = imp
		r.prob.Refresh()
		r.prob.Show()
		if imp == widget.DangerImportance {
			r.mark.SetResource(theme.NewErrorThemedResource(theme.ErrorIcon()))
		} else {
			r.mark.SetResource(theme.NewWarningThemedResource(theme.WarningIcon()))
		}
		r.mark.Show()
	}

	fv, ok := k.current(key)
	_, pending := k.queued[key]
	_, failed := k.failed[key]
	r.info.Importance = widget.LowImportance
	switch {
	case failed:
		r.info.SetText(tr("keying.notSaved"))
		r.info.Importance = widget.DangerImportance
	case !ok:
		r.info.SetText("")
	case pending:
		r.info.SetText(tr("keying.saving"))
	default:
		r.info.SetText(fieldProvenance(fv))
		if k.focus >= 0 && k.focus < len(k.rows) && k.rows[k.focus] == r {
			k.note(r)
		}
		switch {
		case workflow.Unconfident(fv):
			r.info.Importance = widget.WarningImportance
		case fv.Source != queue.SourceOCR:
			r.info.Importance = widget.SuccessImportance
		}
	}
	r.info.Refresh()
}

// suspiciousParts quotes the suspicious parts of v for the clerk ("": none): on screen only,
// never in a log or an error (records.Suspicious gives their places).
func suspiciousParts(f records.Field, v string) string {
	rs := []rune(norm.NFC.String(v))
	var parts []string
	for _, s := range records.Suspicious(f, v) {
		if s.Start >= 0 && s.End <= len(rs) && s.Start < s.End {
			if p := "«" + string(rs[s.Start:s.End]) + "»"; !slices.Contains(parts, p) {
				parts = append(parts, p)
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, ", ")
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
	case queue.SourceOCRAccepted:
		return tr("keying.src.ocr-accepted")
	}
	return tr("keying.src.ocr")
}

// fieldProvenance is a value's provenance as the form shows it: OCR with its confidence, OCR
// accepted by whom, keyed, corrected or double-keyed by whom.
func fieldProvenance(fv queue.FieldValue) string {
	pct := fmt.Sprintf("%.0f", fv.Confidence*100)
	switch fv.Source {
	case queue.SourceOCR:
		return tr("keying.ocr", map[string]any{"Conf": pct})
	case queue.SourceOCRAccepted:
		return tr("keying.src.acceptedBy", map[string]any{"Conf": pct, "By": fv.By})
	}
	if fv.By == "" {
		return fieldSourceName(fv.Source)
	}
	return fieldSourceName(fv.Source) + " · " + fv.By
}

// fieldProvenanceFull is fieldProvenance in full words (the column beside the field may cut
// it; the focused field's is shown whole above its source box).
func fieldProvenanceFull(fv queue.FieldValue, pending bool) string {
	if pending {
		return tr("keying.saving")
	}
	if fv.Source == queue.SourceOCRAccepted {
		return tr("keying.src.acceptedByFull", map[string]any{"Conf": fmt.Sprintf("%.0f", fv.Confidence*100), "By": fv.By})
	}
	return fieldProvenance(fv)
}

// needsLook reports whether row i still needs the clerk: a problem (a suspicious value among
// them), a value that could not be saved, or an OCR value that is not confident.
func (k *keyingScreen) needsLook(i int) bool {
	r := k.rows[i]
	if _, bad := k.failed[r.f.Key]; bad {
		return true
	}
	if p, ok := k.problem[r.f.Key]; ok && (p.Severity == records.SeverityError || !k.warnOK) {
		return true
	}
	fv, ok := k.current(r.f.Key)
	return ok && workflow.Unconfident(fv) && fv.Value == r.value()
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
		k.note(r)
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
	k.note(r)
	k.stage.Refresh()
}

// note names the focused field above its zoomed source box, with its full provenance.
func (k *keyingScreen) note(r *keyRow) {
	data := map[string]any{"Field": k.rowName(r)}
	key := "keying.noBox"
	if x, ok := k.found[r.f.Key]; ok && k.hasBox {
		key, data["Page"] = "keying.source", x.Page+1
	}
	if fv, ok := k.current(r.f.Key); ok {
		_, pending := k.queued[r.f.Key]
		data["Prov"] = fieldProvenanceFull(fv, pending)
		if key == "keying.noBox" {
			key = "keying.noBoxWith"
		} else {
			key = "keying.sourceWith"
		}
	}
	k.zoomNote.SetText(tr(key, data))
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

// leave saves the focused field if its value changed (leaveRow).
func (k *keyingScreen) leave(confirm bool) {
	if k.focus < 0 || k.focus >= len(k.rows) {
		return
	}
	k.leaveRow(k.rows[k.focus], confirm)
}

// leaveRow queues a durable save of row r when its value differs from the form's last one,
// or when its last save failed (a retry). confirm (Tab, Enter, Ctrl+D) also records an
// unchanged OCR value as accepted by the clerk (ocr-accepted, its confidence kept). Every
// way of leaving a field comes here: keys, a mouse click elsewhere (FocusLost), another
// document, the Back button, closing the window, the auto-lock.
func (k *keyingScreen) leaveRow(r *keyRow, confirm bool) {
	if k.docID == 0 || r.entry.Disabled() {
		return
	}
	key := r.f.Key
	v := r.value()
	cur, ok := k.current(key)
	_, retry := k.failed[key]
	if retry && ok && v == cur.Value {
		k.save(key, v, cur.Source, cur.Confidence) // the same save again
	} else if src, conf, save := workflow.LeaveSource(cur, ok, v, confirm); save {
		k.save(key, v, src, conf)
	}
	k.validate()
}

// save queues a field value for a durable save; the form shows it as saving until the
// transaction has committed.
func (k *keyingScreen) save(key, value string, src queue.FieldSource, conf float64) {
	k.queued[key] = queue.FieldValue{Key: key, Value: value, Source: src, Confidence: conf, By: k.user.Username, Current: true}
	delete(k.failed, key)
	k.enqueue(saveJob{doc: k.docID, key: key, value: value, src: src, conf: conf})
}

func (k *keyingScreen) enqueue(job saveJob) {
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
		case job.after != nil:
			k.e.do(job.after)
			continue
		case job.finish != nil:
			job.finish.res, err = k.e.flow().FinishDocument(ctx, k.user, job.finish.in)
		default:
			err = k.e.flow().SaveField(ctx, k.user, workflow.FieldInput{Document: job.doc, Key: job.key, Value: job.value, Source: job.src, Confidence: job.conf})
		}
		k.e.do(func() { k.savedOne(job, err) })
	}
}

// savedOne shows the outcome of one job of the save queue (UI goroutine).
func (k *keyingScreen) savedOne(job saveJob, err error) {
	if job.finish != nil {
		k.finished(job, err)
		return
	}
	if job.doc != k.docID {
		if err != nil {
			k.setStatus(tr("keying.saveErr", map[string]any{"Err": errText(err)}), widget.DangerImportance)
		}
		return
	}
	key := job.key
	if err != nil {
		// The value stays in the field and the field keeps the focus: the clerk can leave it
		// again to retry; no other document or screen opens until it is saved.
		k.failed[key] = err
		k.setStatus(tr("keying.saveErr", map[string]any{"Err": errText(err)}), widget.DangerImportance)
		if i := k.rowIndex(key); i >= 0 {
			k.showInfo(k.rows[i])
			k.form.Refresh()
			if k.visible == nil || k.visible() {
				k.focusRow(i)
			}
		}
		return
	}
	committed := queue.FieldValue{Key: key, Value: job.value, Source: job.src, Confidence: job.conf, By: k.user.Username, Current: true}
	k.stored[key] = committed
	if q, ok := k.queued[key]; ok && q.Value == job.value && q.Source == job.src {
		delete(k.queued, key)
	}
	if i := k.rowIndex(key); i >= 0 {
		k.showInfo(k.rows[i])
	}
}

func (k *keyingScreen) setStatus(text string, imp widget.Importance) {
	k.status.SetText(text)
	k.status.Importance = imp
	k.status.Refresh()
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

// acceptConfident records every confident OCR value without a problem (a suspicious one has
// a warning) as accepted by the clerk, then goes to the first field that needs a look.
func (k *keyingScreen) acceptConfident() {
	k.leave(false)
	keys := make([]string, len(k.rows))
	cur := map[string]queue.FieldValue{}
	for i, r := range k.rows {
		keys[i] = r.f.Key
		if fv, ok := k.current(r.f.Key); ok {
			cur[r.f.Key] = fv
		}
	}
	accepted := workflow.Acceptable(keys, cur, k.values(), k.validate())
	for _, key := range accepted {
		k.save(key, cur[key].Value, queue.SourceOCRAccepted, cur[key].Confidence)
	}
	k.validate()
	k.status.SetText(tr("keying.accepted", map[string]any{"N": len(accepted)}))
	for i := range k.rows {
		if k.needsLook(i) {
			k.focusRow(i)
			return
		}
	}
}

// done finishes the document (Ctrl+D): the focused field is saved, then a finish job queued
// behind every pending save judges the values as stored — hard errors block, warnings need a
// second Ctrl+D — and reports back (finished). The UI goroutine never waits on the store.
func (k *keyingScreen) done() {
	if k.docID == 0 || k.moving > 0 {
		return // finishing or moving already
	}
	k.leave(true)
	k.validate()
	keys := make([]string, len(k.rows))
	for i, r := range k.rows {
		keys[i] = r.f.Key
	}
	k.moving++
	k.setStatus(tr("keying.finishing"), widget.MediumImportance)
	k.enqueue(saveJob{doc: k.docID, finish: &finishJob{in: workflow.FinishInput{Document: k.docID, Keys: keys, Shown: k.values(), ConfirmWarnings: k.warnOK}}})
}

// finished shows what finishing a document gave (UI goroutine).
func (k *keyingScreen) finished(job saveJob, err error) {
	k.moving--
	f := job.finish.res
	if job.doc != k.docID {
		return
	}
	switch {
	case err != nil:
		k.setStatus(tr("keying.saveErr", map[string]any{"Err": errText(err)}), widget.DangerImportance)
		return
	case len(f.Differ) > 0 || len(k.failed) > 0:
		k.setStatus(tr("keying.notStored", map[string]any{"N": max(len(f.Differ), len(k.failed))}), widget.DangerImportance)
		for i, r := range k.rows {
			if _, bad := k.failed[r.f.Key]; bad || slices.Contains(f.Differ, r.f.Key) {
				k.focusRow(i)
				return
			}
		}
		return
	case f.Errors > 0:
		k.setProblems(f.Problems)
		k.setStatus(tr("keying.blocked", map[string]any{"N": f.Errors}), widget.DangerImportance)
		for i, r := range k.rows {
			if p, ok := k.problem[r.f.Key]; ok && p.Severity == records.SeverityError {
				k.focusRow(i)
				return
			}
		}
		return
	case !f.Done:
		k.setProblems(f.Problems)
		k.warnOK = true
		k.setStatus(tr("keying.confirmWarn", map[string]any{"N": f.Warnings}), widget.WarningImportance)
		return
	}
	k.status.Importance = widget.MediumImportance
	if k.di+1 < len(k.docs) {
		k.loadDoc(k.di + 1)
		k.status.SetText(tr("keying.finished"))
	} else {
		k.setStatus(tr("keying.finishedAll"), widget.MediumImportance)
	}
}

// flush saves the focused field and calls then(true) on the UI goroutine once every save
// queued so far has committed; then(false) when one of them failed (the failed field gets the
// focus back and says why). Moves to another document or screen go through it.
func (k *keyingScreen) flush(then func(ok bool)) {
	if k.docID == 0 {
		then(true)
		return
	}
	k.leave(false)
	k.moving++
	for _, r := range k.rows {
		r.entry.Disable() // nothing typed is lost while the saves finish
	}
	doc := k.docID
	k.enqueue(saveJob{doc: doc, after: func() {
		k.moving--
		if k.moving == 0 && k.docID == doc {
			for _, r := range k.rows {
				r.entry.Enable()
			}
		}
		if k.docID == doc && len(k.failed) > 0 {
			k.setStatus(tr("keying.notStored", map[string]any{"N": len(k.failed)}), widget.DangerImportance)
			for i, r := range k.rows {
				if _, bad := k.failed[r.f.Key]; bad {
					k.focusRow(i)
					break
				}
			}
			then(false)
			return
		}
		then(true)
	}})
}

func (k *keyingScreen) nextDoc() {
	if k.di+1 >= len(k.docs) {
		k.leave(false)
		return
	}
	k.flush(func(ok bool) {
		if ok {
			k.loadDoc(k.di + 1)
		}
	})
}

func (k *keyingScreen) prevDoc() {
	if k.di <= 0 {
		k.leave(false)
		return
	}
	k.flush(func(ok bool) {
		if ok {
			k.loadDoc(k.di - 1)
		}
	})
}

func (k *keyingScreen) toggleTelex() {
	telexFree.on = !telexFree.on
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

// suggestions for catalogue and administrative-unit fields: shown while the field has the
// focus, chosen with Down/Up then Enter or with a click; never applied otherwise.

func (k *keyingScreen) updateSuggest(r *keyRow) {
	k.sugg, k.suggSel, k.suggRow = suggestions(r.f, r.value()), -1, r.entry.row
	k.showSuggest()
}

func (k *keyingScreen) showSuggest() {
	k.suggBox.Objects = nil
	if len(k.sugg) == 0 {
		k.suggest.SetText("")
		k.suggBox.Refresh()
		k.suggLine.Hide()
		return
	}
	k.suggLine.Show()
	k.suggest.SetText(tr("keying.suggest"))
	for i, s := range k.sugg {
		b := widget.NewButton(s, func() { k.chooseSuggestion(i) })
		b.Importance = widget.LowImportance
		if i == k.suggSel {
			b.Importance = widget.HighImportance
		}
		k.suggBox.Objects = append(k.suggBox.Objects, b)
	}
	k.suggBox.Refresh()
}

// chooseSuggestion applies suggestion i to the row the suggestions are for (a click), saves
// it and goes on to the next field.
func (k *keyingScreen) chooseSuggestion(i int) {
	if i < 0 || i >= len(k.sugg) || k.suggRow < 0 || k.suggRow >= len(k.rows) || k.moving > 0 {
		return
	}
	r := k.rows[k.suggRow]
	r.entry.SetText(k.sugg[i])
	k.focus = k.suggRow
	k.move(1)
}

// applyChosen replaces the focused field's text by the suggestion chosen with Down/Up; false
// when none is chosen.
func (k *keyingScreen) applyChosen() bool {
	if k.suggSel < 0 || k.suggSel >= len(k.sugg) || k.suggRow != k.focus {
		return false
	}
	k.rows[k.focus].entry.SetText(k.sugg[k.suggSel])
	return true
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
		if c, ok := au.Check(v); ok && c.Suggestion != "" {
			// A pre-2025 address whose commune the 2025 catalogue has once: its new form.
			return []string{c.Suggestion}
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

// keyEntry is a form field: Tab and Enter move on, Shift+Tab back (every move saves the
// field first, and so does losing the focus to a mouse click), F8 to the next problem,
// Down/Up choose a suggestion that Enter applies, the screen's shortcuts work while it has
// the focus, and in Telex mode letters are composed into Vietnamese ones (textEntry).
type keyEntry struct {
	textEntry
	k   *keyingScreen
	row int
}

func newKeyEntry(k *keyingScreen, row int) *keyEntry {
	e := &keyEntry{k: k, row: row}
	e.telex = telexFree
	e.ExtendBaseWidget(e)
	e.OnChanged = func(string) {
		if k.focus == e.row && e.row < len(k.rows) && k.rows[e.row].entry == e {
			k.updateSuggest(k.rows[e.row])
		}
	}
	return e
}

// AcceptsTab keeps Tab for the form's own order (with saving); Shift+Tab arrives here too.
func (e *keyEntry) AcceptsTab() bool { return true }

// myRow is the form row of this entry, or nil when the entry is no longer in the form.
func (e *keyEntry) myRow() *keyRow {
	if e.row < 0 || e.row >= len(e.k.rows) || e.k.rows[e.row].entry != e {
		return nil
	}
	return e.k.rows[e.row]
}

func (e *keyEntry) FocusGained() {
	e.textEntry.FocusGained()
	if e.k.focus != e.row {
		e.k.focused(e.row)
	}
	if e.Text != "" {
		e.Entry.TypedShortcut(&fyne.ShortcutSelectAll{})
	}
}

// FocusLost saves the field: the focus went to another field with the mouse, a button, or
// away from the window.
func (e *keyEntry) FocusLost() {
	e.textEntry.FocusLost()
	if r := e.myRow(); r != nil {
		e.k.leaveRow(r, false)
	}
}

func (e *keyEntry) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyTab:
		if shiftHeld() {
			e.k.move(-1)
		} else {
			e.k.move(1)
		}
	case fyne.KeyReturn, fyne.KeyEnter:
		e.k.applyChosen()
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
			if e.k.suggSel < 0 {
				e.k.suggSel = 0
			}
			e.k.suggSel = (e.k.suggSel + len(e.k.sugg) - 1) % len(e.k.sugg)
			e.k.showSuggest()
		}
	default:
		e.textEntry.TypedKey(ev)
	}
}

func (e *keyEntry) TypedShortcut(s fyne.Shortcut) {
	if e.k.runShortcut(s) {
		return
	}
	e.textEntry.TypedShortcut(s)
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
