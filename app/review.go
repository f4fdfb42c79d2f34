package app

import (
	"bytes"
	"fmt"
	"image"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
	"github.com/sohoa/sohoa/workflow"
)

// Sampling modes of the review screen.
const (
	sampleMinPct     = 5
	sampleDefaultPct = 10
)

// reviewScreen is the supervisor's review: the batches waiting for review with their counts;
// for the chosen batch a sample (N% at random plus every problem document, or the problem
// documents only), shown one document at a time, page beside fields, read-only. A accepts,
// R returns with a comment, N/P move; the batch is approved when every sampled document is
// accepted, or returned with a comment. The core enforces the role and the four-eyes rule;
// its refusals are shown here in the user's language.
type reviewScreen struct {
	e      *env
	user   queue.User
	onBack func()
	onSign func(batchID string) // opens the sign screen on an approved batch (nil: no signing offered)
	seed   func() int64         // the sample's random seed (tests fix it)

	// the queue
	items    []queue.ReviewItem
	types    []queue.RecordType
	selected int
	list     *widget.List
	detail   *widget.Label
	warn     *widget.Label // four-eyes notice for the selected batch
	mode     *widget.RadioGroup
	pct      *widget.Entry
	startBtn *widget.Button
	retBtn   *widget.Button

	// the sampled documents of the batch under review
	batch    queue.Batch
	rt       *records.RecordType
	docs     []queue.ReviewDoc
	di       int
	loadSeq  int
	imgs     []image.Image
	pi       int
	page     *canvas.Image
	pageNote *widget.Label
	head     *widget.Label
	form     *fyne.Container
	values   []*widget.Label // per field of the record type: the current value
	infos    []*widget.Label // where it came from, who, when (or the validation problem)
	hists    []*widget.Label // the values it replaced, when corrected
	drawnMsg *widget.Label   // the queue panel: this round's sample is drawn already

	acceptBtn, returnDocBtn, approveBtn, returnBatchBtn, prevBtn, nextBtn *widget.Button

	status  *widget.Label
	body    *fyne.Container // the queue or the document view
	queueV  fyne.CanvasObject
	docV    fyne.CanvasObject
	inDocs  bool
	busy    bool
	content fyne.CanvasObject
}

func newReviewScreen(e *env, user queue.User, onBack func()) *reviewScreen {
	r := &reviewScreen{e: e, user: user, onBack: onBack, selected: -1,
		seed: func() int64 { return time.Now().UnixNano() }}
	r.status = widget.NewLabel("")
	r.status.Wrapping = fyne.TextWrapWord
	r.buildQueue()
	r.buildDocs()
	r.body = container.NewStack(r.queueV)
	back := widget.NewButtonWithIcon(tr("viewer.back"), theme.NavigateBackIcon(), r.back)
	refresh := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), r.reload)
	title := widget.NewLabelWithStyle(tr("review.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	top := container.NewBorder(nil, nil, container.NewHBox(back, title), refresh)
	r.content = container.NewBorder(top, r.status, nil, nil, r.body)
	if !user.Can(queue.ActionReview) {
		r.status.SetText(errText(queue.Require(user, queue.ActionReview)))
	}
	r.reload()
	return r
}

// back leaves the document view for the queue, or the screen.
func (r *reviewScreen) back() {
	if r.inDocs {
		r.showQueue()
		r.reload()
		return
	}
	if r.onBack != nil {
		r.onBack()
	}
}

func (r *reviewScreen) buildQueue() {
	r.list = widget.NewList(
		func() int { return len(r.items) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(r.itemText(i)) },
	)
	r.list.OnSelected = func(i widget.ListItemID) { r.selectItem(i) }
	r.detail = widget.NewLabel(tr("review.pick"))
	r.detail.Wrapping = fyne.TextWrapWord
	r.warn = widget.NewLabel("")
	r.warn.Wrapping = fyne.TextWrapWord
	r.warn.Importance = widget.DangerImportance
	r.pct = widget.NewEntry()
	r.pct.SetText(strconv.Itoa(sampleDefaultPct))
	r.pct.SetPlaceHolder(tr("review.pct.hint"))
	r.mode = widget.NewRadioGroup([]string{tr("review.mode.percent"), tr("review.mode.problems")}, func(v string) {
		if v == tr("review.mode.problems") {
			r.pct.Disable()
		} else {
			r.pct.Enable()
		}
	})
	r.mode.Required = true
	r.mode.SetSelected(tr("review.mode.percent"))
	r.startBtn = widget.NewButtonWithIcon(tr("review.start"), theme.MediaPlayIcon(), r.start)
	r.startBtn.Importance = widget.HighImportance
	r.retBtn = widget.NewButtonWithIcon(tr("review.returnBatch"), theme.MailReplyIcon(), r.returnBatch)
	r.startBtn.Disable()
	r.retBtn.Disable()
	pctRow := container.NewBorder(nil, nil, widget.NewLabel(tr("review.pct")), widget.NewLabel("%"), r.pct)
	r.drawnMsg = widget.NewLabel("")
	r.drawnMsg.Wrapping = fyne.TextWrapWord
	panel := container.NewVBox(
		widget.NewLabelWithStyle(tr("review.batch"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		r.detail, r.warn, widget.NewSeparator(),
		widget.NewLabelWithStyle(tr("review.mode"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		r.mode, pctRow, r.drawnMsg, container.NewHBox(r.startBtn, r.retBtn),
	)
	head := widget.NewLabelWithStyle(tr("review.waiting"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	split := container.NewHSplit(container.NewBorder(head, nil, nil, nil, r.list), container.NewVScroll(panel))
	split.Offset = 0.55
	r.queueV = split
}

// itemText is one line of the queue: name, type and what needs a look.
func (r *reviewScreen) itemText(i int) string {
	if i < 0 || i >= len(r.items) {
		return ""
	}
	it := r.items[i]
	return tr("review.item", map[string]any{"Name": it.Name, "Type": recordTypeName(r.types, it.RecordType),
		"Docs": it.Documents, "Warn": it.Warnings, "Low": it.LowFields + it.LowPages, "Prob": it.Sampled})
}

// reload reads the review queue off the UI goroutine.
func (r *reviewScreen) reload() {
	r.e.bg.Go(func() {
		items, err := r.e.st.ReviewQueue(r.e.ctx)
		var ts []queue.RecordType
		if err == nil {
			ts, err = r.e.st.RecordTypes(r.e.ctx)
		}
		r.e.do(func() {
			if err != nil {
				r.setStatus(errText(err), widget.DangerImportance)
				return
			}
			var sel string
			if r.selected >= 0 && r.selected < len(r.items) {
				sel = r.items[r.selected].ID
			}
			r.items, r.types = items, ts
			r.selected = -1
			r.list.UnselectAll()
			r.list.Refresh()
			if len(items) == 0 {
				r.detail.SetText(tr("review.none"))
			}
			for i, it := range items {
				if it.ID == sel {
					r.list.Select(i)
				}
			}
			if r.selected < 0 {
				r.startBtn.Disable()
				r.retBtn.Disable()
				r.warn.SetText("")
			}
		})
	})
}

// selectItem shows a batch's counts and whether the four-eyes rule lets this user approve it.
func (r *reviewScreen) selectItem(i int) {
	if i < 0 || i >= len(r.items) {
		return
	}
	r.selected = i
	it := r.items[i]
	r.detail.SetText(tr("review.detail", map[string]any{"Name": it.Name, "Type": recordTypeName(r.types, it.RecordType),
		"Docs": it.Documents, "Warn": it.Warnings, "LowF": it.LowFields, "LowP": it.LowPages, "Prob": it.Sampled,
		"Round": it.Round, "By": it.SubmittedBy, "At": localTime(it.SubmittedAt)}))
	// The round's sample is drawn once and stored: once drawn, starting shows that sample.
	switch {
	case it.SamplePct >= 0:
		r.drawnMsg.SetText(tr("review.drawn", map[string]any{"Pct": it.SamplePct, "N": it.Sampled}))
		r.pct.SetText(strconv.Itoa(it.SamplePct))
		r.mode.Disable()
		r.pct.Disable()
	default:
		r.drawnMsg.SetText(tr("review.mustSee", map[string]any{"N": it.Sampled}))
		r.mode.Enable()
		if r.mode.Selected != tr("review.mode.problems") {
			r.pct.Enable()
		}
	}
	r.warn.SetText("")
	if r.user.Can(queue.ActionReview) {
		r.startBtn.Enable()
		r.retBtn.Enable()
	}
	id := it.ID
	r.e.bg.Go(func() {
		err := r.e.st.CheckFourEyes(r.e.ctx, r.user, id)
		r.e.do(func() {
			if r.selected >= 0 && r.selected < len(r.items) && r.items[r.selected].ID == id && err != nil {
				r.warn.SetText(errText(err))
			}
		})
	})
}

func (r *reviewScreen) current() (queue.ReviewItem, bool) {
	if r.selected < 0 || r.selected >= len(r.items) {
		return queue.ReviewItem{}, false
	}
	return r.items[r.selected], true
}

// samplePercent is the chosen sampling: a percentage (5–100), or 0 for the problem documents only.
func (r *reviewScreen) samplePercent() (int, bool) {
	if r.mode.Selected == tr("review.mode.problems") {
		return 0, true
	}
	p, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(r.pct.Text), "%")))
	if err != nil || p < sampleMinPct || p > 100 {
		return 0, false
	}
	return p, true
}

// start draws the round's sample (once; later it opens the stored one) and shows its first
// document.
func (r *reviewScreen) start() {
	it, ok := r.current()
	if !ok || r.busy {
		return
	}
	pct, ok := r.samplePercent()
	if it.SamplePct >= 0 { // drawn already: the core returns the stored sample
		pct, ok = it.SamplePct, true
	}
	if !ok {
		r.setStatus(tr("review.err.pct"), widget.DangerImportance)
		return
	}
	rt, _ := r.e.flow().RecordType(it.RecordType) // nil: fields are shown by key
	r.busy = true
	seed := r.seed()
	r.setStatus(tr("viewer.loading"), widget.MediumImportance)
	r.e.bg.Go(func() {
		res, err := r.e.flow().Sample(r.e.ctx, r.user, workflow.SampleInput{Batch: it.ID, Percent: pct, Seed: seed})
		r.e.do(func() {
			r.busy = false
			if err != nil {
				r.refused(err)
				return
			}
			r.batch, r.rt, r.docs = it.Batch, rt, res.Documents
			r.setStatus("", widget.MediumImportance)
			r.showDocs()
		})
	})
}

func (r *reviewScreen) buildDocs() {
	r.page = canvas.NewImageFromImage(nil)
	r.page.FillMode = canvas.ImageFillContain
	r.page.SetMinSize(fyne.NewSize(300, 400))
	r.pageNote = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	r.pageNote.Importance = widget.LowImportance
	prevPage := widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { r.showPage(r.pi - 1) })
	nextPage := widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { r.showPage(r.pi + 1) })
	left := container.NewBorder(container.NewBorder(nil, nil, prevPage, nextPage, r.pageNote), nil, nil, nil, r.page)

	r.head = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	r.head.Wrapping = fyne.TextWrapWord
	r.form = container.New(layout.NewFormLayout())
	r.acceptBtn = widget.NewButtonWithIcon(tr("review.accept"), theme.ConfirmIcon(), r.accept)
	r.acceptBtn.Importance = widget.SuccessImportance
	r.returnDocBtn = widget.NewButtonWithIcon(tr("review.returnDoc"), theme.CancelIcon(), r.returnDoc)
	r.prevBtn = widget.NewButtonWithIcon(tr("review.prev"), theme.NavigateBackIcon(), func() { r.move(-1) })
	r.nextBtn = widget.NewButtonWithIcon(tr("review.next"), theme.NavigateNextIcon(), func() { r.move(1) })
	r.approveBtn = widget.NewButtonWithIcon(tr("review.approve"), theme.DocumentSaveIcon(), r.approve)
	r.approveBtn.Importance = widget.HighImportance
	r.returnBatchBtn = widget.NewButtonWithIcon(tr("review.returnBatch"), theme.MailReplyIcon(), r.returnBatch)
	keys := widget.NewLabel(tr("review.keys"))
	keys.Importance = widget.LowImportance
	keys.Wrapping = fyne.TextWrapWord
	actions := container.NewVBox(
		container.NewHBox(r.acceptBtn, r.returnDocBtn, r.prevBtn, r.nextBtn),
		container.NewHBox(r.approveBtn, r.returnBatchBtn),
		keys,
	)
	right := container.NewBorder(r.head, actions, nil, nil, container.NewVScroll(r.form))
	split := container.NewHSplit(left, right)
	split.Offset = 0.5
	r.docV = split
}

func (r *reviewScreen) showQueue() {
	r.inDocs = false
	r.body.Objects = []fyne.CanvasObject{r.queueV}
	r.body.Refresh()
	r.setStatus("", widget.MediumImportance)
}

// showDocs switches to the sampled documents, on the first one not yet decided.
func (r *reviewScreen) showDocs() {
	r.inDocs = true
	r.body.Objects = []fyne.CanvasObject{r.docV}
	r.body.Refresh()
	r.form.Objects = nil
	r.values, r.infos, r.hists = nil, nil, nil
	if r.rt != nil {
		for _, f := range r.rt.Fields {
			l := f.LabelEn
			if currentLanguage() == "vi" {
				l = f.LabelVi
			}
			v := widget.NewLabel("")
			v.TextStyle.Bold = true
			v.Wrapping = fyne.TextWrapWord
			// Under the value: where it came from, who gave it and when; then what it replaced.
			info := widget.NewLabel("")
			info.Wrapping = fyne.TextWrapWord
			info.SizeName = theme.SizeNameCaptionText
			hist := widget.NewLabel("")
			hist.Wrapping = fyne.TextWrapWord
			hist.SizeName = theme.SizeNameCaptionText
			hist.Hide()
			r.form.Add(widget.NewLabel(l))
			// tight: the provenance lines belong to the value above them
			r.form.Add(container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), v, info, hist))
			r.values = append(r.values, v)
			r.infos = append(r.infos, info)
			r.hists = append(r.hists, hist)
		}
	}
	r.form.Refresh()
	if len(r.docs) == 0 {
		r.head.SetText(tr("review.emptySample", map[string]any{"Batch": r.batch.Name}))
		r.page.Image = nil
		r.page.Refresh()
		r.updateButtons()
		return
	}
	r.di = 0
	if n := r.nextOpen(-1); n >= 0 {
		r.di = n
	}
	r.loadDoc(r.di)
}

// nextOpen is the first sampled document after index from that is not accepted, wrapping
// round; -1 when all are.
func (r *reviewScreen) nextOpen(from int) int {
	for d := 1; d <= len(r.docs); d++ {
		i := (from + d + len(r.docs)) % len(r.docs)
		if r.docs[i].Decision != "accepted" {
			return i
		}
	}
	return -1
}

// allAccepted reports whether every sampled document is accepted.
func (r *reviewScreen) allAccepted() bool {
	for _, d := range r.docs {
		if d.Decision != "accepted" {
			return false
		}
	}
	return true
}

func (r *reviewScreen) updateButtons() {
	has := r.di >= 0 && r.di < len(r.docs)
	for _, b := range []*widget.Button{r.acceptBtn, r.returnDocBtn} {
		if has && !r.busy {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if has && r.di > 0 {
		r.prevBtn.Enable()
	} else {
		r.prevBtn.Disable()
	}
	if has && r.di+1 < len(r.docs) {
		r.nextBtn.Enable()
	} else {
		r.nextBtn.Disable()
	}
	if r.allAccepted() && !r.busy {
		r.approveBtn.Enable()
	} else {
		r.approveBtn.Disable()
	}
	if r.busy {
		r.returnBatchBtn.Disable()
	} else {
		r.returnBatchBtn.Enable()
	}
}

// reviewDocData is what showing a document reads off the UI goroutine.
type reviewDocData struct {
	imgs   []image.Image
	fields []queue.FieldProvenance
}

func (r *reviewScreen) loadDoc(i int) {
	if i < 0 || i >= len(r.docs) {
		return
	}
	r.di = i
	r.loadSeq++
	seq := r.loadSeq
	d := r.docs[i]
	r.showHead()
	r.updateButtons()
	r.e.bg.Go(func() {
		var data reviewDocData
		pages, err := r.e.st.Pages(r.e.ctx, d.DocumentID)
		for _, p := range pages {
			var img image.Image
			if b, gerr := r.e.st.PageImage(p); gerr == nil {
				img, _, _ = image.Decode(bytes.NewReader(b))
			}
			data.imgs = append(data.imgs, img)
		}
		if err == nil {
			data.fields, err = r.e.flow().ReviewedDocument(r.e.ctx, r.batch.ID, d.DocumentID)
		}
		r.e.do(func() {
			if seq != r.loadSeq {
				return
			}
			if err != nil {
				r.setStatus(errText(err), widget.DangerImportance)
				return
			}
			r.setDoc(data)
		})
	})
}

// showHead says which sampled document shows, why it was drawn and what was decided.
func (r *reviewScreen) showHead() {
	d := r.docs[r.di]
	var whys []string
	for _, reason := range d.Reasons {
		whys = append(whys, reasonText(reason, d))
	}
	why := strings.Join(whys, "; ")
	if why == "" {
		why = tr("review.why.random")
	}
	dec := tr("review.dec.none")
	switch d.Decision {
	case "accepted":
		dec = tr("review.dec.accepted")
	case "returned":
		dec = tr("review.dec.returned")
	}
	r.head.SetText(tr("review.head", map[string]any{"Batch": r.batch.Name, "N": r.di + 1, "Total": len(r.docs),
		"Seq": d.Seq, "Why": why, "Dec": dec}))
}

func (r *reviewScreen) setDoc(d reviewDocData) {
	r.imgs = d.imgs
	r.pi = -1
	r.showPage(0)
	vals := map[string]queue.FieldProvenance{}
	plain := map[string]string{}
	for _, f := range d.fields {
		vals[f.Key] = f
		plain[f.Key] = f.Current.Value
	}
	if r.rt == nil {
		return
	}
	problems := map[string]records.Problem{}
	for _, p := range records.Validate(r.rt, plain, time.Now()) {
		if old, ok := problems[p.Key]; !ok || (old.Severity == records.SeverityWarning && p.Severity == records.SeverityError) {
			problems[p.Key] = p
		}
	}
	for i, f := range r.rt.Fields {
		fp, ok := vals[f.Key]
		r.values[i].SetText(fp.Current.Value)
		info, hist := r.infos[i], r.hists[i]
		info.Importance = widget.MediumImportance
		text := ""
		if ok {
			text = provenanceText(fp.Current)
			if workflow.LowConfidence(fp.Current) {
				info.Importance = widget.WarningImportance
			}
		}
		if p, bad := problems[f.Key]; bad {
			info.Importance = widget.WarningImportance
			if p.Severity == records.SeverityError {
				info.Importance = widget.DangerImportance
			}
			text = problemText(p) + "\n" + text
		}
		info.SetText(strings.TrimSpace(text))
		// What a corrected value replaced (an accepted OCR value replaced nothing).
		var before []string
		for _, e := range fp.Earlier {
			if e.Value != fp.Current.Value || fp.Current.Source == queue.SourceCorrected {
				before = append(before, tr("review.prov.before", map[string]any{"Value": e.Value, "Src": provenanceText(e)}))
			}
		}
		hist.SetText(strings.Join(before, "\n"))
		if len(before) > 0 {
			hist.Show()
		} else {
			hist.Hide()
		}
		info.Refresh()
	}
	r.form.Refresh() // wrapped values change the rows' heights
}

func (r *reviewScreen) showPage(n int) {
	if n < 0 || n >= len(r.imgs) {
		if len(r.imgs) == 0 {
			r.page.Image = nil
			r.page.Refresh()
			r.pageNote.SetText("")
		}
		return
	}
	r.pi = n
	r.page.Image = r.imgs[n]
	r.page.Refresh()
	r.pageNote.SetText(tr("review.page", map[string]any{"N": n + 1, "Total": len(r.imgs)}))
}

func (r *reviewScreen) move(dir int) {
	if n := r.di + dir; n >= 0 && n < len(r.docs) {
		r.loadDoc(n)
	}
}

// accept records that the supervisor accepts the shown document, then shows the next one
// still open.
func (r *reviewScreen) accept() {
	if r.busy || r.di < 0 || r.di >= len(r.docs) {
		return
	}
	i, doc := r.di, r.docs[r.di]
	r.decide(func() error {
		_, err := r.e.flow().Decide(r.e.ctx, r.user, workflow.DecideInput{Batch: r.batch.ID, Documents: []int64{doc.DocumentID}, Decision: workflow.Accept})
		return err
	}, func() {
		r.docs[i].Decision = "accepted"
		if n := r.nextOpen(i); n >= 0 {
			r.setStatus(tr("review.accepted", map[string]any{"Seq": doc.Seq}), widget.SuccessImportance)
			r.loadDoc(n)
			return
		}
		r.showHead()
		r.setStatus(tr("review.allAccepted"), widget.SuccessImportance)
	})
}

// returnDoc asks for a comment and records that the shown document must be corrected.
func (r *reviewScreen) returnDoc() {
	if r.busy || r.di < 0 || r.di >= len(r.docs) {
		return
	}
	i, doc := r.di, r.docs[r.di]
	askComment(r.e.win, tr("review.returnDoc.title", map[string]any{"Seq": doc.Seq}), tr("review.returnDoc"), func(c string) {
		r.decide(func() error {
			_, err := r.e.flow().Decide(r.e.ctx, r.user, workflow.DecideInput{Batch: r.batch.ID, Documents: []int64{doc.DocumentID}, Decision: workflow.Return, Comment: c})
			return err
		}, func() {
			r.docs[i].Decision = "returned"
			r.showHead()
			r.setStatus(tr("review.docReturned", map[string]any{"Seq": doc.Seq}), widget.WarningImportance)
			if n := r.nextOpen(i); n >= 0 && r.docs[n].Decision == "" {
				r.loadDoc(n)
			}
		})
	})
}

// decide runs a store write off the UI goroutine; ok runs on the UI goroutine when it
// committed, a refusal is shown.
func (r *reviewScreen) decide(write func() error, ok func()) {
	r.busy = true
	r.updateButtons()
	r.e.bg.Go(func() {
		err := write()
		r.e.do(func() {
			r.busy = false
			if err != nil {
				r.refused(err)
			} else {
				ok()
			}
			r.updateButtons()
		})
	})
}

// approve approves the batch; the four-eyes rule and open samples are refused by the core.
func (r *reviewScreen) approve() {
	if r.busy || !r.inDocs {
		return
	}
	b := r.batch
	r.decide(func() error { _, err := r.e.flow().Approve(r.e.ctx, r.user, b.ID); return err }, func() {
		r.showQueue()
		r.setStatus(tr("review.approved", map[string]any{"Batch": b.Name}), widget.SuccessImportance)
		r.reload()
		r.offerSigning(b)
	})
}

// offerSigning asks a supervisor who may sign whether to sign the batch just approved now,
// which opens the sign screen on it; "later" leaves it in the batch list, approved.
func (r *reviewScreen) offerSigning(b queue.Batch) {
	if r.onSign == nil || r.e.win == nil || !r.user.Can(queue.ActionSign) {
		return
	}
	d := dialog.NewConfirm(tr("review.signNow.title"), tr("review.signNow", map[string]any{"Batch": b.Name}), func(now bool) {
		if now {
			r.onSign(b.ID)
		}
	}, r.e.win)
	d.SetConfirmText(tr("review.signNow.yes"))
	d.SetDismissText(tr("review.signNow.later"))
	d.Show()
}

// returnBatch asks for a comment and sends the batch back to its clerks.
func (r *reviewScreen) returnBatch() {
	b := r.batch
	if !r.inDocs {
		it, ok := r.current()
		if !ok {
			return
		}
		b = it.Batch
	}
	if r.busy {
		return
	}
	askComment(r.e.win, tr("review.returnBatch.title", map[string]any{"Batch": b.Name}), tr("review.returnBatch"), func(c string) {
		r.decide(func() error {
			_, err := r.e.flow().ReturnBatch(r.e.ctx, r.user, workflow.ReturnInput{Batch: b.ID, Comment: c})
			return err
		}, func() {
			r.showQueue()
			r.setStatus(tr("review.returned", map[string]any{"Batch": b.Name}), widget.WarningImportance)
			r.reload()
		})
	})
}

// refused shows a core refusal (role, four-eyes, open sample) in the status line and a dialog.
func (r *reviewScreen) refused(err error) {
	msg := errText(err)
	r.setStatus(msg, widget.DangerImportance)
	if r.e.win != nil {
		showMessage(r.e.win, tr("review.refused"), msg)
	}
}

func (r *reviewScreen) setStatus(msg string, imp widget.Importance) {
	r.status.Importance = imp
	r.status.SetText(msg)
}

// typedKey is the review keyboard: A accept, R return, N next, P previous. Keys are ignored
// while a dialog is open (the comment entry has them then).
func (r *reviewScreen) typedKey(ev *fyne.KeyEvent) {
	if !r.inDocs || (r.e.win != nil && r.e.win.Canvas().Overlays().Top() != nil) {
		return
	}
	switch ev.Name {
	case fyne.KeyA:
		r.accept()
	case fyne.KeyR:
		r.returnDoc()
	case fyne.KeyN, fyne.KeyPageDown:
		r.move(1)
	case fyne.KeyP, fyne.KeyPageUp:
		r.move(-1)
	}
}

// askComment asks for a required comment; onOK gets it, trimmed, when confirmed.
func askComment(w fyne.Window, title, confirm string, onOK func(string)) {
	e := newMultiLineTextEntry()
	e.SetPlaceHolder(tr("review.comment.hint"))
	e.SetMinRowsVisible(4)
	e.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("%s", tr("review.comment.required"))
		}
		return nil
	}
	d := dialog.NewForm(title, confirm, tr("btn.cancel"), []*widget.FormItem{widget.NewFormItem(tr("review.comment"), e)},
		func(ok bool) {
			if c := strings.TrimSpace(e.Text); ok && c != "" {
				onOK(c)
			}
		}, w)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
	w.Canvas().Focus(e)
}

// showReviewComments lists a batch's review comments (what the supervisors asked to fix),
// oldest first, for its clerks.
func showReviewComments(e *env, b queue.Batch) {
	e.bg.Go(func() {
		cs, seqs, err := e.flow().Comments(e.ctx, b.ID)
		e.do(func() {
			if err != nil {
				showError(e.win, err)
				return
			}
			box := container.NewVBox()
			if len(cs) == 0 {
				box.Add(widget.NewLabel(tr("comments.none")))
			}
			for _, c := range cs {
				where := tr("comments.batch")
				if c.DocumentID != 0 {
					where = tr("comments.doc", map[string]any{"Seq": seqs[c.DocumentID]})
				}
				h := widget.NewLabelWithStyle(tr("comments.head", map[string]any{"Round": c.Round, "Where": where,
					"Who": c.AuthorName, "At": localTime(c.At)}), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
				body := widget.NewLabel(c.Body)
				body.Wrapping = fyne.TextWrapWord
				box.Add(h)
				box.Add(body)
			}
			sc := container.NewVScroll(box)
			sc.SetMinSize(fyne.NewSize(560, 320))
			d := dialog.NewCustom(tr("comments.title", map[string]any{"Batch": b.Name}), tr("btn.close"), sc, e.win)
			d.Show()
		})
	})
}

// reasonText says, in the interface language, why document d is in the review sample.
func reasonText(reason string, d queue.ReviewDoc) string {
	switch reason {
	case queue.ReasonRandom:
		return tr("review.why.random")
	case queue.ReasonReturned:
		return tr("review.why.returned")
	case queue.ReasonCorrected:
		return tr("review.why.corrected")
	case queue.ReasonOCRAcceptedLow:
		return tr("review.why.acceptedLow")
	case queue.ReasonWarnings:
		return tr("review.why.warnings", map[string]any{"Warn": d.Warnings})
	case queue.ReasonLowConfidence:
		return tr("review.why.low", map[string]any{"LowF": d.LowFields, "LowP": d.LowPages})
	}
	return reason
}

// provenanceText says where a stored value came from, who gave it and when (local time):
// "OCR 87% · 03/12/2026 19:20", "OCR 93%, chấp nhận bởi Nguyễn Thị Nhập · …", "đã sửa ·
// Nguyễn Thị Nhập · …".
func provenanceText(v queue.ValueRecord) string {
	who := v.ByName
	if who == "" {
		who = v.By
	}
	pct := func(c float64) string { return fmt.Sprintf("%.0f", c*100) }
	var src string
	switch v.Source {
	case queue.SourceOCR:
		src = tr("review.prov.ocr", map[string]any{"Conf": pct(v.Confidence)})
	case queue.SourceOCRAccepted:
		src = tr("review.prov.accepted", map[string]any{"Conf": pct(v.OCRConfidence), "Who": who})
	case queue.SourceKeyed:
		src = tr("review.prov.keyed", map[string]any{"Who": who})
	case queue.SourceCorrected:
		src = tr("review.prov.corrected", map[string]any{"Who": who})
	case queue.SourceDoubleKeyed:
		src = tr("review.prov.doubleKeyed", map[string]any{"Who": who})
	default:
		src = string(v.Source)
	}
	return src + " · " + localTime(v.At)
}
