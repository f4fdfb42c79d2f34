package app

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	_ "image/jpeg" // thumbnails of eSCL pages
	_ "image/png"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"golang.org/x/image/draw"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// thumbSize is the box a scanned page's thumbnail fits in.
var thumbSize = fyne.NewSize(90, 120)

// capturePanel scans pages into one batch: it picks a scanner (SANE devices, or an eSCL
// address typed by hand), the source, resolution, colour mode and pages per document, and
// runs workflow.Scan off the UI goroutine with a Cancel button. A thumbnail appears
// for each page once it is durable. On a scanner fault (jam, cover open, ...) a dialog shows
// the clerk what to do and offers to continue the same document or to stop.
type capturePanel struct {
	e     *env
	user  queue.User
	batch queue.Batch

	scanners *workflow.Scanners // SANE opened on first use, off the UI goroutine; eSCL addresses typed in

	devices []capture.Device
	caps    capture.Capabilities
	devSel  *widget.Select
	esclURL *textEntry
	addBtn  *widget.Button
	srcSel  *widget.Select
	resSel  *widget.Select
	modeSel *widget.Select
	ppd     *textEntry

	status *widget.Label
	thumbs *fyne.Container
	shown  []int64 // page IDs of the thumbnails, in order
	picker *thumbPicker
	picked int // index of the chosen thumbnail (re-scan), -1 for none

	scanBtn, cancelBtn, closeBtn, rescanBtn *widget.Button

	cancel  context.CancelFunc // of the running job
	running bool
	last    workflow.ScanInput // the last job's input and result, for Continue
	sum     workflow.ScanResult
	total   int           // pages stored since the panel opened
	fault   dialog.Dialog // the fault dialog on show

	afterPage func(n int) // called on the scan goroutine after each acknowledged page (tests)

	onChanged func() // pages were added (reload the batch list)
	onClose   func()
	content   fyne.CanvasObject
}

func sourceName(s capture.Source) string {
	switch s {
	case capture.SourceFlatbed:
		return tr("capture.src.flatbed")
	case capture.SourceADF:
		return tr("capture.src.adf")
	case capture.SourceADFDuplex:
		return tr("capture.src.duplex")
	}
	return string(s)
}

func modeName(m capture.ColorMode) string {
	switch m {
	case capture.ModeGray:
		return tr("capture.mode.gray")
	case capture.ModeColor:
		return tr("capture.mode.color")
	case capture.ModeLineart:
		return tr("capture.mode.lineart")
	}
	return string(m)
}

func newCapturePanel(e *env, user queue.User, b queue.Batch, onChanged func()) *capturePanel {
	p := &capturePanel{e: e, user: user, batch: b, onChanged: onChanged, picked: -1, scanners: workflow.NewScanners()}
	p.devSel = widget.NewSelect(nil, func(string) { p.deviceChosen() })
	p.devSel.PlaceHolder = tr("capture.scanner.hint")
	p.esclURL = newIdentEntry()
	p.esclURL.SetPlaceHolder(tr("capture.escl.hint"))
	p.esclURL.OnSubmitted = func(string) { p.addESCL() }
	p.addBtn = widget.NewButtonWithIcon(tr("capture.escl.add"), theme.ContentAddIcon(), p.addESCL)
	p.srcSel = widget.NewSelect(nil, nil)
	p.resSel = widget.NewSelect(nil, nil)
	p.modeSel = widget.NewSelect(nil, nil)
	p.ppd = newIdentEntry()
	p.ppd.SetPlaceHolder(tr("capture.ppd.hint"))

	p.status = widget.NewLabel(tr("capture.status.listing"))
	p.status.Wrapping = fyne.TextWrapWord
	p.thumbs = container.NewGridWrap(thumbSize)

	p.scanBtn = widget.NewButtonWithIcon(tr("capture.scan"), theme.MediaPhotoIcon(), func() { p.start(false) })
	p.scanBtn.Importance = widget.HighImportance
	p.cancelBtn = widget.NewButtonWithIcon(tr("btn.cancel"), theme.CancelIcon(), p.stop)
	p.closeBtn = widget.NewButtonWithIcon(tr("btn.close"), theme.WindowCloseIcon(), p.close)
	p.rescanBtn = widget.NewButtonWithIcon(tr("capture.rescan"), theme.ViewRefreshIcon(), p.rescan)
	p.picker = newThumbPicker(p)

	form := widget.NewForm(
		widget.NewFormItem(tr("capture.scanner"), p.devSel),
		widget.NewFormItem(tr("capture.escl"), container.NewBorder(nil, nil, nil, p.addBtn, p.esclURL)),
		widget.NewFormItem(tr("capture.source"), p.srcSel),
		widget.NewFormItem(tr("capture.resolution"), p.resSel),
		widget.NewFormItem(tr("capture.mode"), p.modeSel),
		widget.NewFormItem(tr("capture.ppd"), p.ppd),
	)
	buttons := container.NewHBox(p.rescanBtn, layout.NewSpacer(), p.closeBtn, p.cancelBtn, p.scanBtn)
	top := container.NewVBox(form, p.status)
	p.content = container.NewBorder(top, buttons, nil, nil, container.NewVScroll(container.NewStack(p.thumbs, p.picker)))
	p.updateButtons()
	p.listDevices()
	return p
}

// listDevices asks SANE for its devices off the UI goroutine; manual eSCL devices stay.
func (p *capturePanel) listDevices() {
	p.e.bg.Go(func() {
		devs, problems := p.scanners.Devices(p.e.ctx)
		var list []capture.Device
		for _, d := range devs {
			if d.Driver != "escl" { // the eSCL devices are the panel's own, typed in
				list = append(list, d)
			}
		}
		var err error
		for _, pr := range problems {
			var de *workflow.DriverError
			if errors.As(pr, &de) {
				err = de.Err
			}
		}
		p.e.do(func() {
			for _, d := range p.devices {
				if d.Driver == "escl" {
					list = append(list, d)
				}
			}
			p.devices = list
			p.devSel.Options = p.deviceLabels()
			p.devSel.Refresh()
			switch {
			case err != nil && len(list) == 0:
				p.status.SetText(tr("capture.status.noSane") + " " + errText(err))
			case len(list) == 0:
				p.status.SetText(tr("capture.status.none"))
			default:
				p.status.SetText(tr("capture.status.choose"))
				if p.devSel.SelectedIndex() < 0 {
					p.devSel.SetSelectedIndex(0)
				}
			}
		})
	})
}

func (p *capturePanel) deviceLabels() []string {
	out := make([]string, len(p.devices))
	for i, d := range p.devices {
		out[i] = d.Label
	}
	return out
}

// addESCL adds the eSCL address typed by the clerk and selects it.
func (p *capturePanel) addESCL() {
	dev, err := p.scanners.AddESCL(p.esclURL.Text)
	if err != nil {
		p.status.SetText(tr("capture.escl.bad"))
		return
	}
	i := slices.IndexFunc(p.devices, func(d capture.Device) bool { return d.ID == dev.ID })
	if i < 0 {
		p.devices = append(p.devices, dev)
		i = len(p.devices) - 1
	}
	p.devSel.Options = p.deviceLabels()
	p.esclURL.SetText("")
	p.devSel.SetSelectedIndex(i)
}

func (p *capturePanel) device() (capture.Device, bool) {
	i := p.devSel.SelectedIndex()
	if i < 0 || i >= len(p.devices) {
		return capture.Device{}, false
	}
	return p.devices[i], true
}

// deviceChosen reads the chosen device's capabilities off the UI goroutine and offers them.
func (p *capturePanel) deviceChosen() {
	dev, ok := p.device()
	if !ok {
		return
	}
	p.caps = capture.Capabilities{}
	p.updateButtons()
	p.status.SetText(tr("capture.status.reading"))
	p.e.bg.Go(func() {
		caps, err := p.scanners.Capabilities(p.e.ctx, dev.ID)
		p.e.do(func() {
			if cur, ok := p.device(); !ok || cur.ID != dev.ID {
				return // another device was chosen meanwhile
			}
			if err != nil {
				p.status.SetText(errText(err))
				return
			}
			p.setCaps(caps)
			p.status.SetText(tr("capture.status.ready"))
		})
	})
}

// setCaps fills the source, resolution and mode choices, keeping the clerk's earlier choice
// where the device offers it, else choosing the feeder, 300 dpi (or the nearest) and grey.
func (p *capturePanel) setCaps(c capture.Capabilities) {
	p.caps = c
	keep := func(sel *widget.Select, opts []string, def string) {
		prev := sel.Selected
		sel.Options = opts
		switch {
		case slices.Contains(opts, prev):
			sel.SetSelected(prev)
		case slices.Contains(opts, def):
			sel.SetSelected(def)
		case len(opts) > 0:
			sel.SetSelectedIndex(0)
		default:
			sel.ClearSelected()
		}
		sel.Refresh()
	}
	def := workflow.DefaultSettings(c)
	var srcs []string
	for _, s := range workflow.ScanSources {
		if slices.Contains(c.Sources, s) {
			srcs = append(srcs, sourceName(s))
		}
	}
	keep(p.srcSel, srcs, sourceName(def.Source))
	var res []string
	for _, r := range c.Resolutions {
		res = append(res, strconv.Itoa(r))
	}
	keep(p.resSel, res, strconv.Itoa(def.Resolution))
	var modes []string
	for _, m := range workflow.ScanModes {
		if slices.Contains(c.Modes, m) {
			modes = append(modes, modeName(m))
		}
	}
	keep(p.modeSel, modes, modeName(def.Mode))
	p.updateButtons()
}

// settings reads the form; ok is false (with the reason shown) when something is missing.
func (p *capturePanel) settings() (workflow.ScanInput, bool) {
	dev, ok := p.device()
	if !ok {
		p.status.SetText(tr("capture.status.choose"))
		return workflow.ScanInput{}, false
	}
	var s capture.JobSettings
	for _, src := range workflow.ScanSources {
		if sourceName(src) == p.srcSel.Selected {
			s.Source = src
		}
	}
	for _, m := range workflow.ScanModes {
		if modeName(m) == p.modeSel.Selected {
			s.Mode = m
		}
	}
	s.Resolution, _ = strconv.Atoi(p.resSel.Selected)
	if s.Source == "" || s.Mode == "" || s.Resolution <= 0 {
		p.status.SetText(tr("capture.status.settings"))
		return workflow.ScanInput{}, false
	}
	ppd := 0
	if t := strings.TrimSpace(p.ppd.Text); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > 10000 {
			p.status.SetText(tr("capture.ppd.bad"))
			return workflow.ScanInput{}, false
		}
		ppd = n
	}
	return workflow.ScanInput{Scanners: p.scanners, Batch: p.batch.ID, Device: dev.ID, Settings: s, PagesPerDocument: ppd}, true
}

func (p *capturePanel) updateButtons() {
	_, devOK := p.device()
	if ready := devOK && len(p.caps.Sources) > 0; p.running || !ready || p.picked < 0 || p.picked >= len(p.shown) {
		p.rescanBtn.Disable()
	} else {
		p.rescanBtn.Enable()
	}
	if p.running {
		p.scanBtn.Disable()
		p.cancelBtn.Enable()
		p.closeBtn.Disable()
		p.devSel.Disable()
		p.addBtn.Disable()
		return
	}
	p.cancelBtn.Disable()
	p.closeBtn.Enable()
	p.devSel.Enable()
	p.addBtn.Enable()
	if _, ok := p.device(); ok && len(p.caps.Sources) > 0 {
		p.scanBtn.Enable()
	} else {
		p.scanBtn.Disable()
	}
}

// start runs a scan job; cont continues the last job's document from its next sheet.
func (p *capturePanel) start(cont bool) {
	if p.running {
		return
	}
	opts := p.last
	if !cont {
		var ok bool
		if opts, ok = p.settings(); !ok {
			return
		}
	} else if p.sum.LastDocument != 0 {
		opts.Document, opts.StartSheet = p.sum.LastDocument, p.sum.NextSheet
	}
	ctx, cancel := context.WithCancel(p.e.ctx)
	p.cancel, p.running, p.last = cancel, true, opts
	p.status.SetText(tr("capture.status.scanning"))
	p.updateButtons()
	p.e.bg.Go(func() {
		defer cancel()
		sum, err := p.e.flow().Scan(ctx, p.user, opts, func(e workflow.Event) {
			ev := e.Detail.(workflow.ScanPage)
			if ev.Separator {
				return
			}
			thumb := p.thumbnail(ev.Page)
			p.e.do(func() { p.addThumb(ev, thumb) })
			if p.afterPage != nil {
				p.afterPage(ev.Pages)
			}
		})
		p.e.do(func() { p.finished(opts, sum, err) })
	})
}

// thumbnail decodes a stored page and scales it into thumbSize (nil if it cannot be read).
func (p *capturePanel) thumbnail(pg queue.Page) image.Image {
	data, err := p.e.st.PageImage(pg)
	if err != nil {
		return nil
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil
	}
	scale := min(float64(thumbSize.Width)/float64(b.Dx()), float64(thumbSize.Height)/float64(b.Dy()), 1)
	w, h := max(1, int(float64(b.Dx())*scale)), max(1, int(float64(b.Dy())*scale))
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// addThumb shows one acknowledged page (UI goroutine).
func (p *capturePanel) addThumb(ev capture.ScanEvent, thumb image.Image) {
	var o fyne.CanvasObject
	if thumb != nil {
		ci := canvas.NewImageFromImage(thumb)
		ci.FillMode = canvas.ImageFillContain
		o = ci
	} else {
		o = widget.NewIcon(theme.FileImageIcon())
	}
	p.shown = append(p.shown, ev.Page.ID)
	p.thumbs.Add(o)
	p.total++
	p.status.SetText(tr("capture.status.page", map[string]any{"N": p.total, "Sheet": ev.Sheet, "Doc": ev.DocumentID}))
}

// finished ends a job (UI goroutine): a fault opens the continue-or-stop dialog.
func (p *capturePanel) finished(opts workflow.ScanInput, sum workflow.ScanResult, err error) {
	p.running, p.cancel, p.sum = false, nil, sum
	p.updateButtons()
	if sum.Pages > 0 && p.onChanged != nil {
		p.onChanged()
	}
	var f *capture.Fault
	switch {
	case err == nil:
		p.status.SetText(tr("capture.status.done", map[string]any{"N": sum.Pages, "Total": p.total}))
	case errors.Is(err, context.Canceled):
		p.status.SetText(tr("capture.status.cancelled", map[string]any{"N": sum.Pages}))
	case errors.As(err, &f):
		p.status.SetText(tr("capture.status.fault", map[string]any{"N": sum.Pages}) + " " + errText(f))
		p.showFault(f, sum)
	default:
		p.status.SetText(tr("capture.status.failed", map[string]any{"N": sum.Pages}) + " " + errText(err))
	}
}

// showFault tells the clerk what happened and offers Continue (same document, next sheet)
// or Stop.
func (p *capturePanel) showFault(f *capture.Fault, sum workflow.ScanResult) {
	msg := widget.NewLabel(errText(f))
	msg.Wrapping = fyne.TextWrapWord
	kept := widget.NewLabel(tr("capture.fault.kept", map[string]any{"N": sum.Pages, "Sheet": sum.NextSheet}))
	kept.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(tr("capture.fault.title"), tr("capture.continue"), tr("capture.stop"),
		container.NewVBox(msg, kept), func(cont bool) {
			p.fault = nil
			if cont {
				p.start(true)
			} else {
				p.status.SetText(tr("capture.status.stopped", map[string]any{"Total": p.total}))
			}
		}, p.e.win)
	d.Resize(fyne.NewSize(520, 0))
	p.fault = d
	d.Show()
}

// stop cancels the running job; pages already acknowledged stay stored.
func (p *capturePanel) stop() {
	if p.cancel != nil {
		p.cancel()
	}
}

// close cancels any job, releases the scanners off the UI goroutine and closes the panel.
func (p *capturePanel) close() {
	p.stop()
	scs := p.scanners
	p.e.bg.Go(func() { scs.Close() }) // waits for the cancelled job to leave the device
	if p.onClose != nil {
		p.onClose()
	}
}

// showCapture opens the scan panel for the selected batch in a dialog.
func (s *batchesScreen) showCapture() {
	b, ok := s.current()
	if !ok {
		return
	}
	p := newCapturePanel(s.e, s.user, b, s.reload)
	p.onClose = s.closeDialog
	s.dlg = dialog.NewCustomWithoutButtons(tr("capture.title", map[string]any{"Batch": b.Name}), p.content, s.e.win)
	s.dlg.Resize(fyne.NewSize(860, 620))
	s.dlg.Show()
}

// thumbPicker lies over the thumbnails: a tap chooses the thumbnail under it (for re-scan)
// and a frame marks the chosen one. The thumbnails themselves stay plain images.
type thumbPicker struct {
	widget.BaseWidget
	p    *capturePanel
	mark *canvas.Rectangle
}

func newThumbPicker(p *capturePanel) *thumbPicker {
	t := &thumbPicker{p: p, mark: canvas.NewRectangle(color.Transparent)}
	t.mark.StrokeColor = theme.Color(theme.ColorNamePrimary)
	t.mark.StrokeWidth = 3
	t.mark.Hide()
	t.ExtendBaseWidget(t)
	return t
}

func (t *thumbPicker) CreateRenderer() fyne.WidgetRenderer { return &pickerRenderer{t: t} }

// Tapped chooses the thumbnail under the tap.
func (t *thumbPicker) Tapped(ev *fyne.PointEvent) {
	for i, o := range t.p.thumbs.Objects {
		pos, sz := o.Position(), o.Size()
		if ev.Position.X >= pos.X && ev.Position.X < pos.X+sz.Width && ev.Position.Y >= pos.Y && ev.Position.Y < pos.Y+sz.Height {
			t.p.pick(i)
			return
		}
	}
}

// place puts the frame around the chosen thumbnail (or hides it).
func (t *thumbPicker) place() {
	i := t.p.picked
	if i < 0 || i >= len(t.p.thumbs.Objects) {
		t.mark.Hide()
		return
	}
	o := t.p.thumbs.Objects[i]
	t.mark.Move(o.Position().Subtract(fyne.NewPos(2, 2)))
	t.mark.Resize(o.Size().Add(fyne.NewSize(4, 4)))
	t.mark.Show()
	t.mark.Refresh()
}

type pickerRenderer struct{ t *thumbPicker }

func (r *pickerRenderer) Layout(fyne.Size)             { r.t.place() }
func (r *pickerRenderer) MinSize() fyne.Size           { return fyne.NewSize(0, 0) }
func (r *pickerRenderer) Refresh()                     { r.t.place() }
func (r *pickerRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.t.mark} }
func (r *pickerRenderer) Destroy()                     {}

// pick chooses thumbnail i (UI goroutine).
func (p *capturePanel) pick(i int) {
	if i < 0 || i >= len(p.shown) {
		return
	}
	p.picked = i
	p.picker.place()
	p.updateButtons()
}

// rescan scans one sheet again for the chosen thumbnail's page: the new page takes the old
// one's place in its document in one transaction (workflow.Rescan); a fault or a cancel
// leaves the old page.
func (p *capturePanel) rescan() {
	if p.running || p.picked < 0 || p.picked >= len(p.shown) {
		return
	}
	opts, ok := p.settings()
	if !ok {
		return
	}
	idx, oldID := p.picked, p.shown[p.picked]
	ctx, cancel := context.WithCancel(p.e.ctx)
	p.cancel, p.running = cancel, true
	p.status.SetText(tr("capture.status.scanning"))
	p.updateButtons()
	p.e.bg.Go(func() {
		defer cancel()
		res, err := p.e.flow().Rescan(ctx, p.user, workflow.RescanInput{Scanners: p.scanners, Page: oldID, Device: opts.Device, Settings: opts.Settings}, nil)
		var thumb image.Image
		if err == nil {
			thumb = p.thumbnail(res.Page)
		}
		p.e.do(func() {
			p.running, p.cancel = false, nil
			if err != nil {
				p.status.SetText(editErrText(err))
			} else {
				p.replaceThumb(idx, oldID, res.Page.ID, thumb)
				p.status.SetText(tr("capture.rescan.done", map[string]any{"N": res.Seq}))
				if p.onChanged != nil {
					p.onChanged()
				}
			}
			p.updateButtons()
		})
	})
}

// replaceThumb shows the re-scanned page in place of the old one (UI goroutine).
func (p *capturePanel) replaceThumb(idx int, oldID, newID int64, thumb image.Image) {
	if idx < 0 || idx >= len(p.shown) || p.shown[idx] != oldID {
		idx = slices.Index(p.shown, oldID)
		if idx < 0 {
			return
		}
	}
	var o fyne.CanvasObject = widget.NewIcon(theme.FileImageIcon())
	if thumb != nil {
		ci := canvas.NewImageFromImage(thumb)
		ci.FillMode = canvas.ImageFillContain
		o = ci
	}
	p.shown[idx] = newID
	p.thumbs.Objects[idx] = o
	p.thumbs.Refresh()
	p.picker.place()
}
