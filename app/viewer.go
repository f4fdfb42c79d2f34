package app

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // stored page formats
	_ "image/png"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
)

// lowConf is the confidence (0-100) under which a word is marked for checking.
const lowConf = 60

// zoom limits and step
const (
	minZoom  = 0.05
	maxZoom  = 8
	zoomStep = 1.25
)

// lowConfFill is the translucent box drawn over a low-confidence word on the image.
var (
	lowConfFill   = color.NRGBA{R: 255, G: 140, B: 0, A: 70}
	lowConfStroke = color.NRGBA{R: 220, G: 40, B: 0, A: 200}
)

// batchView lists a batch's documents and shows one page: the image with low-confidence
// boxes beside the OCR text.
type batchView struct {
	e     *env
	batch queue.Batch

	docs  []queue.Document
	di    int // current document, -1 before loading
	pages []queue.Page
	pi    int // current page in pages

	docList   *widget.List
	docLabel  *widget.Label
	pageLabel *widget.Label
	zoomLabel *widget.Label
	status    *widget.Label

	img        *canvas.Image
	imgW, imgH float32
	zoom       float32
	fitPending bool
	lowWords   []queue.Word
	boxes      []*canvas.Rectangle
	stage      *fyne.Container
	scroll     *container.Scroll
	text       *widget.RichText

	seq     int // page loads started; older results are dropped
	onBack  func()
	content fyne.CanvasObject

	// page editing (pageedit.go)
	user       *queue.User // who edits; nil: editing is refused
	busy       bool        // an edit is running
	editBtns   []*widget.Button
	editStatus *widget.Label
}

func newBatchView(e *env, b queue.Batch, onBack func()) *batchView {
	v := &batchView{e: e, batch: b, di: -1, zoom: 1, onBack: onBack}

	v.docList = widget.NewList(
		func() int { return len(v.docs) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(v.docText(i)) },
	)
	v.docList.OnSelected = func(i widget.ListItemID) {
		if i != v.di {
			v.selectDoc(i, 0, false)
		}
		if v.e.win != nil {
			v.e.win.Canvas().Unfocus() // let PageUp/PageDown reach the viewer
		}
	}
	back := widget.NewButtonWithIcon(tr("viewer.back"), theme.NavigateBackIcon(), func() {
		if v.onBack != nil {
			v.onBack()
		}
	})
	head := widget.NewLabelWithStyle(b.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	head.Truncation = fyne.TextTruncateEllipsis
	left := container.NewBorder(container.NewVBox(back, head, widget.NewLabel(tr("viewer.documents"))), nil, nil, nil, v.docList)

	v.img = canvas.NewImageFromImage(nil)
	v.img.FillMode = canvas.ImageFillStretch
	v.img.ScaleMode = canvas.ImageScaleSmooth
	v.stage = container.New(&stageLayout{v: v}, v.img)
	v.scroll = container.NewScroll(newPanSurface(v.stage, func(d fyne.Delta) {
		v.scroll.ScrollToOffset(fyne.NewPos(v.scroll.Offset.X-d.DX, v.scroll.Offset.Y-d.DY))
	}))

	v.text = widget.NewRichText()
	v.text.Wrapping = fyne.TextWrapWord
	textPane := container.NewBorder(widget.NewLabelWithStyle(tr("viewer.ocrText"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		nil, nil, nil, container.NewVScroll(v.text))

	v.docLabel = widget.NewLabel("")
	v.pageLabel = widget.NewLabel("")
	v.zoomLabel = widget.NewLabel("")
	btn := func(icon fyne.Resource, tip string, f func()) *widget.Button {
		b := widget.NewButtonWithIcon("", icon, func() {
			f()
			if v.e.win != nil {
				v.e.win.Canvas().Unfocus()
			}
		})
		_ = tip
		return b
	}
	tools := container.NewHBox(
		btn(theme.MediaSkipPreviousIcon(), "viewer.prevDoc", v.prevDoc),
		btn(theme.NavigateBackIcon(), "viewer.prevPage", v.prevPage),
		v.docLabel, v.pageLabel,
		btn(theme.NavigateNextIcon(), "viewer.nextPage", v.nextPage),
		btn(theme.MediaSkipNextIcon(), "viewer.nextDoc", v.nextDoc),
		widget.NewSeparator(),
		btn(theme.ZoomOutIcon(), "viewer.zoomOut", v.zoomOut),
		v.zoomLabel,
		btn(theme.ZoomInIcon(), "viewer.zoomIn", v.zoomIn),
		widget.NewButtonWithIcon(tr("viewer.fit"), theme.ZoomFitIcon(), v.fit),
	)
	v.status = widget.NewLabel("")
	v.status.Truncation = fyne.TextTruncateEllipsis
	keys := widget.NewLabel(tr("viewer.keys"))
	keys.Importance = widget.LowImportance
	keys.Truncation = fyne.TextTruncateEllipsis

	pane := container.NewHSplit(v.scroll, textPane)
	pane.Offset = 0.6
	v.editStatus = widget.NewLabel("") // the last page edit's outcome
	v.editStatus.Truncation = fyne.TextTruncateEllipsis
	right := container.NewBorder(container.NewVBox(tools, v.editBar()), container.NewVBox(v.editStatus, v.status, keys), nil, nil, pane)
	outer := container.NewHSplit(left, right)
	outer.Offset = 0.18
	v.content = outer
	v.updateLabels()
	return v
}

func (v *batchView) docText(i int) string {
	if i < 0 || i >= len(v.docs) {
		return ""
	}
	d := v.docs[i]
	return tr("viewer.docRow", map[string]any{"Seq": d.Seq, "Origin": d.Origin, "Pages": d.Pages})
}

// open loads the batch's documents and shows docID/pageID (0: the first).
func (v *batchView) open(docID, pageID int64) {
	v.status.SetText(tr("viewer.loading"))
	v.e.bg.Go(func() {
		docs, err := v.e.st.Documents(v.e.ctx, v.batch.ID)
		v.e.do(func() {
			if err != nil {
				v.status.SetText(errText(err))
				return
			}
			v.docs = docs
			v.docList.Refresh()
			if len(docs) == 0 {
				v.status.SetText(tr("viewer.empty"))
				return
			}
			i := 0
			for k, d := range docs {
				if d.ID == docID {
					i = k
				}
			}
			v.selectDoc(i, pageID, false)
		})
	})
}

// selectDoc shows document i at pageID (0: its first page, or its last when fromEnd).
func (v *batchView) selectDoc(i int, pageID int64, fromEnd bool) {
	if i < 0 || i >= len(v.docs) {
		return
	}
	v.di = i
	v.docList.Select(i)
	v.docList.ScrollTo(i)
	doc := v.docs[i]
	v.e.bg.Go(func() {
		pages, err := v.e.st.Pages(v.e.ctx, doc.ID)
		v.e.do(func() {
			if v.di != i {
				return // another document was chosen meanwhile
			}
			if err != nil {
				v.status.SetText(errText(err))
				return
			}
			v.pages = pages
			pi := 0
			if fromEnd {
				pi = len(pages) - 1
			}
			for k, p := range pages {
				if p.ID == pageID {
					pi = k
				}
			}
			v.showPage(pi)
		})
	})
}

// showPage loads page i of the current document: image and OCR, off the UI goroutine.
func (v *batchView) showPage(i int) {
	if i < 0 || i >= len(v.pages) {
		return
	}
	v.pi = i
	v.seq++
	seq := v.seq
	pg := v.pages[i]
	v.updateLabels()
	v.status.SetText(tr("viewer.loading"))
	v.e.bg.Go(func() {
		var img image.Image
		data, err := v.e.st.PageImage(pg)
		if err == nil {
			img, _, err = image.Decode(bytes.NewReader(data))
		}
		var res queue.OCRResult
		var ocrErr error
		fresh := pg
		if err == nil {
			res, ocrErr = v.e.st.OCR(v.e.ctx, pg.ID)
			if p, e := v.e.st.Page(v.e.ctx, pg.ID); e == nil {
				fresh = p
			}
		}
		v.e.do(func() {
			if seq != v.seq {
				return
			}
			if err != nil {
				v.status.SetText(tr("viewer.imageErr", map[string]any{"Err": errText(err)}))
				return
			}
			v.pages[i] = fresh
			v.setImage(img)
			v.setOCR(fresh, res, ocrErr)
		})
	})
}

// reloadOCR reads the current page's OCR again (it finished in the background).
func (v *batchView) reloadOCR() {
	if v.pi < 0 || v.pi >= len(v.pages) {
		return
	}
	seq := v.seq
	pg := v.pages[v.pi]
	v.e.bg.Go(func() {
		res, ocrErr := v.e.st.OCR(v.e.ctx, pg.ID)
		fresh, err := v.e.st.Page(v.e.ctx, pg.ID)
		if err != nil {
			fresh = pg
		}
		v.e.do(func() {
			if seq == v.seq {
				v.pages[v.pi] = fresh
				v.setOCR(fresh, res, ocrErr)
			}
		})
	})
}

// ocrProgress is called on the UI goroutine for each background OCR report.
func (v *batchView) ocrProgress(p OCRProgress) {
	if v.pi >= 0 && v.pi < len(v.pages) && p.PageID == v.pages[v.pi].ID {
		v.reloadOCR()
	}
}

func (v *batchView) setImage(img image.Image) {
	b := img.Bounds()
	first := v.imgW == 0
	v.img.Image = img
	v.imgW, v.imgH = float32(b.Dx()), float32(b.Dy())
	v.img.Refresh()
	if first {
		v.fit()
	} else {
		v.layoutStage()
	}
}

// setOCR shows a page's OCR text, marks low-confidence words in it and boxes them on the image.
func (v *batchView) setOCR(pg queue.Page, res queue.OCRResult, err error) {
	var low []queue.Word
	var boxes []*canvas.Rectangle
	objs := []fyne.CanvasObject{v.img}
	switch {
	case errors.Is(err, queue.ErrNotFound) && pg.OCRState == "failed":
		v.text.Segments = nil
		v.status.SetText(tr("viewer.ocrFailed", map[string]any{"Err": pg.OCRError}))
	case errors.Is(err, queue.ErrNotFound):
		v.text.Segments = nil
		v.status.SetText(tr("viewer.ocrPending"))
	case err != nil:
		v.text.Segments = nil
		v.status.SetText(errText(err))
	default:
		v.text.Segments = ocrSegments(res)
		for _, w := range res.Words {
			if w.Conf < lowConf {
				r := canvas.NewRectangle(lowConfFill)
				r.StrokeColor = lowConfStroke
				r.StrokeWidth = 1
				low = append(low, w)
				boxes = append(boxes, r)
				objs = append(objs, r)
			}
		}
		v.status.SetText(tr("viewer.ocrDone", map[string]any{"Mean": fmt.Sprintf("%.0f", res.MeanConf), "Low": len(low)}))
	}
	v.lowWords, v.boxes = low, boxes
	v.stage.Objects = objs
	v.text.Refresh()
	v.layoutStage()
}

// ocrSegments turns OCR words into rich text: one line per OCR line, a blank line between
// paragraphs, low-confidence words in the error colour, bold and underlined.
func ocrSegments(res queue.OCRResult) []widget.RichTextSegment {
	if len(res.Words) == 0 {
		if res.Text == "" {
			return []widget.RichTextSegment{&widget.TextSegment{Style: widget.RichTextStyleParagraph, Text: tr("viewer.noText")}}
		}
		return []widget.RichTextSegment{&widget.TextSegment{Style: widget.RichTextStyleParagraph, Text: res.Text}}
	}
	low := widget.RichTextStyle{Inline: true, ColorName: theme.ColorNameError, SizeName: theme.SizeNameText,
		TextStyle: fyne.TextStyle{Bold: true, Underline: true}}
	// Runs of ordinary words share one segment so that lines wrap between words, not inside
	// them; each low-confidence word is a segment of its own.
	var segs []widget.RichTextSegment
	var run strings.Builder
	flush := func(inline bool) {
		st := widget.RichTextStyleInline
		if !inline {
			st = widget.RichTextStyleParagraph
		}
		if run.Len() > 0 || !inline {
			segs = append(segs, &widget.TextSegment{Style: st, Text: run.String()})
		}
		run.Reset()
	}
	for i, w := range res.Words {
		if w.Conf < lowConf {
			flush(true)
			segs = append(segs, &widget.TextSegment{Style: low, Text: w.Text})
		} else {
			run.WriteString(w.Text)
		}
		switch {
		case i == len(res.Words)-1:
			flush(false)
		case res.Words[i+1].Block != w.Block || res.Words[i+1].Par != w.Par || res.Words[i+1].Line != w.Line:
			flush(false) // end of the OCR line
		default:
			run.WriteString(" ")
		}
	}
	return segs
}

func (v *batchView) updateLabels() {
	if v.di >= 0 && v.di < len(v.docs) {
		v.docLabel.SetText(tr("viewer.docOf", map[string]any{"N": v.di + 1, "Total": len(v.docs)}))
	} else {
		v.docLabel.SetText("")
	}
	if len(v.pages) > 0 {
		v.pageLabel.SetText(tr("viewer.pageOf", map[string]any{"N": v.pi + 1, "Total": len(v.pages)}))
	} else {
		v.pageLabel.SetText("")
	}
	v.zoomLabel.SetText(fmt.Sprintf("%.0f%%", v.zoom*100))
}

func (v *batchView) nextPage() {
	if v.pi+1 < len(v.pages) {
		v.showPage(v.pi + 1)
	} else {
		v.nextDoc()
	}
}

func (v *batchView) prevPage() {
	if v.pi > 0 {
		v.showPage(v.pi - 1)
	} else if v.di > 0 {
		v.selectDoc(v.di-1, 0, true)
	}
}

func (v *batchView) nextDoc() {
	if v.di+1 < len(v.docs) {
		v.selectDoc(v.di+1, 0, false)
	}
}

func (v *batchView) prevDoc() {
	if v.di > 0 {
		v.selectDoc(v.di-1, 0, false)
	}
}

func (v *batchView) setZoom(z float32) {
	v.zoom = min(max(z, minZoom), maxZoom)
	v.layoutStage()
	v.updateLabels()
}

func (v *batchView) zoomIn()  { v.setZoom(v.zoom * zoomStep) }
func (v *batchView) zoomOut() { v.setZoom(v.zoom / zoomStep) }

// fit zooms so that the whole page shows in the viewport.
func (v *batchView) fit() {
	sz := v.scroll.Size()
	if v.imgW == 0 || sz.Width <= 0 || sz.Height <= 0 {
		v.fitPending = true
		return
	}
	v.fitPending = false
	v.setZoom(min(sz.Width/v.imgW, sz.Height/v.imgH))
}

func (v *batchView) layoutStage() {
	v.stage.Refresh()
	v.scroll.Refresh()
}

// viewerShortcut is a keyboard shortcut of the viewer.
type viewerShortcut struct {
	sc fyne.Shortcut
	fn func(fyne.Shortcut)
}

func (v *batchView) shortcuts() []viewerShortcut {
	ctrl := fyne.KeyModifierShortcutDefault
	return append([]viewerShortcut{
		{&desktop.CustomShortcut{KeyName: fyne.KeyEqual, Modifier: ctrl}, func(fyne.Shortcut) { v.zoomIn() }},
		{&desktop.CustomShortcut{KeyName: fyne.KeyPlus, Modifier: ctrl}, func(fyne.Shortcut) { v.zoomIn() }},
		{&desktop.CustomShortcut{KeyName: fyne.KeyMinus, Modifier: ctrl}, func(fyne.Shortcut) { v.zoomOut() }},
		{&desktop.CustomShortcut{KeyName: fyne.Key0, Modifier: ctrl}, func(fyne.Shortcut) { v.fit() }},
		{&desktop.CustomShortcut{KeyName: fyne.KeyPageDown, Modifier: ctrl}, func(fyne.Shortcut) { v.nextDoc() }},
		{&desktop.CustomShortcut{KeyName: fyne.KeyPageUp, Modifier: ctrl}, func(fyne.Shortcut) { v.prevDoc() }},
	}, v.editShortcuts()...)
}

// typedKey handles keys no focused widget took: PageDown/PageUp turn pages.
func (v *batchView) typedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyPageDown:
		v.nextPage()
	case fyne.KeyPageUp:
		v.prevPage()
	}
}

// stageLayout sizes the page image by the zoom and puts each low-confidence box over its
// word (word boxes are in image pixels; one pixel is one unit at 100 %).
type stageLayout struct{ v *batchView }

func (l *stageLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(l.v.imgW*l.v.zoom, l.v.imgH*l.v.zoom)
}

func (l *stageLayout) Layout(_ []fyne.CanvasObject, _ fyne.Size) {
	v := l.v
	if v.fitPending {
		v.fit()
	}
	z := v.zoom
	v.img.Move(fyne.NewPos(0, 0))
	v.img.Resize(fyne.NewSize(v.imgW*z, v.imgH*z))
	for i, r := range v.boxes {
		w := v.lowWords[i]
		r.Move(fyne.NewPos(float32(w.X0)*z, float32(w.Y0)*z))
		r.Resize(fyne.NewSize(float32(w.X1-w.X0)*z, float32(w.Y1-w.Y0)*z))
	}
}

// panSurface lets the mouse drag the page around inside its scroll container.
type panSurface struct {
	widget.BaseWidget
	content fyne.CanvasObject
	pan     func(fyne.Delta)
}

func newPanSurface(content fyne.CanvasObject, pan func(fyne.Delta)) *panSurface {
	p := &panSurface{content: content, pan: pan}
	p.ExtendBaseWidget(p)
	return p
}

func (p *panSurface) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(p.content) }

func (p *panSurface) Dragged(e *fyne.DragEvent) { p.pan(e.Dragged) }

func (p *panSurface) DragEnd() {}

func (p *panSurface) Cursor() desktop.Cursor { return desktop.PointerCursor }
