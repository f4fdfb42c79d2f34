package app

import (
	"context"
	"errors"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// importRow is one line of the per-file result list.
type importRow struct {
	text string
	bad  bool
}

// importPanel chooses files and folders, imports them into one batch off the UI goroutine
// with a progress bar, a per-file status list and a Cancel button.
type importPanel struct {
	e     *env
	user  queue.User
	batch queue.Batch

	paths    []string
	pathList *widget.List
	addFile  *widget.Button
	addDir   *widget.Button
	clear    *widget.Button

	bar     *widget.ProgressBar
	current *widget.Label
	rows    []importRow
	rowList *widget.List
	summary *widget.Label

	start, cancelBtn, closeBtn *widget.Button

	cancel  context.CancelFunc // of the running import
	running bool
	done    chan struct{} // closed when the running import has returned (tests)
	// afterFile is called on the import goroutine after each file is reported (tests)
	afterFile func()

	onChanged func() // documents were added (reload the batch list)
	onClose   func()
	content   fyne.CanvasObject
}

func newImportPanel(e *env, user queue.User, b queue.Batch, onChanged func()) *importPanel {
	p := &importPanel{e: e, user: user, batch: b, onChanged: onChanged}
	p.pathList = widget.NewList(
		func() int { return len(p.paths) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(p.paths[i]) },
	)
	p.addFile = widget.NewButtonWithIcon(tr("import.addFile"), theme.FileImageIcon(), p.chooseFile)
	p.addDir = widget.NewButtonWithIcon(tr("import.addFolder"), theme.FolderIcon(), p.chooseFolder)
	p.clear = widget.NewButtonWithIcon(tr("import.clear"), theme.DeleteIcon(), func() {
		p.paths = nil
		p.pathList.Refresh()
		p.updateButtons()
	})

	p.bar = widget.NewProgressBar()
	p.bar.Hide()
	p.current = widget.NewLabel(tr("import.choose"))
	p.current.Truncation = fyne.TextTruncateEllipsis
	p.rowList = widget.NewList(
		func() int { return len(p.rows) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			l.Importance = widget.MediumImportance
			if p.rows[i].bad {
				l.Importance = widget.DangerImportance
			}
			l.SetText(p.rows[i].text)
		},
	)
	p.summary = widget.NewLabel("")
	p.summary.Wrapping = fyne.TextWrapWord

	p.start = widget.NewButtonWithIcon(tr("import.start"), theme.UploadIcon(), p.run)
	p.start.Importance = widget.HighImportance
	p.cancelBtn = widget.NewButtonWithIcon(tr("btn.cancel"), theme.CancelIcon(), p.stop)
	p.cancelBtn.Importance = widget.DangerImportance
	p.cancelBtn.Hide()
	p.closeBtn = widget.NewButton(tr("btn.close"), func() {
		if p.onClose != nil {
			p.onClose()
		}
	})
	p.updateButtons()

	chooser := container.NewBorder(
		container.NewHBox(p.addFile, p.addDir, p.clear), nil, nil, nil, p.pathList)
	results := container.NewBorder(container.NewVBox(p.current, p.bar), p.summary, nil, nil, p.rowList)
	split := container.NewVSplit(chooser, results)
	split.Offset = 0.35
	buttons := container.NewHBox(layout.NewSpacer(), p.cancelBtn, p.closeBtn, p.start)
	p.content = container.NewBorder(nil, buttons, nil, nil, split)
	return p
}

// imageFilter lists what the importer reads.
var importExtensions = []string{".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf", ".PNG", ".JPG", ".JPEG", ".TIF", ".TIFF", ".PDF"}

func (p *importPanel) chooseFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		_ = r.Close()
		p.addPath(path)
	}, p.e.win)
	d.SetFilter(storage.NewExtensionFileFilter(importExtensions))
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

func (p *importPanel) chooseFolder() {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil || u == nil {
			return
		}
		p.addPath(u.Path())
	}, p.e.win)
	d.Resize(fyne.NewSize(800, 560))
	d.Show()
}

// addPath adds a file or folder to import (once).
func (p *importPanel) addPath(path string) {
	for _, q := range p.paths {
		if q == path {
			return
		}
	}
	p.paths = append(p.paths, path)
	p.pathList.Refresh()
	p.updateButtons()
}

func (p *importPanel) updateButtons() {
	if p.running {
		p.start.Disable()
		p.addFile.Disable()
		p.addDir.Disable()
		p.clear.Disable()
		p.closeBtn.Hide()
		p.cancelBtn.Show()
		return
	}
	p.addFile.Enable()
	p.addDir.Enable()
	p.clear.Enable()
	p.cancelBtn.Hide()
	p.closeBtn.Show()
	if len(p.paths) > 0 {
		p.start.Enable()
	} else {
		p.start.Disable()
	}
}

// run starts the import of the chosen paths.
func (p *importPanel) run() {
	if p.running || len(p.paths) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(p.e.ctx)
	p.cancel = cancel
	p.running = true
	p.done = make(chan struct{})
	p.rows = nil
	p.rowList.Refresh()
	p.summary.SetText("")
	p.bar.SetValue(0)
	p.bar.Show()
	p.current.SetText(tr("import.scanning"))
	p.updateButtons()

	paths := append([]string(nil), p.paths...)
	user, batchID, done, after := p.user, p.batch.ID, p.done, p.afterFile
	p.e.bg.Go(func() {
		defer close(done)
		defer cancel()
		sum, err := p.e.flow().Import(ctx, user, workflow.ImportInput{Batch: batchID, Paths: paths}, func(ev workflow.Event) {
			f := ev.Detail.(workflow.ImportFile)
			p.e.do(func() { p.progress(f) })
			if after != nil {
				after()
			}
		})
		// Cancelled only when the import was stopped before it ended: ctx is cancelled anyway
		// once this function returns (defer cancel), which is no cancellation.
		cancelled := ctx.Err() != nil
		p.e.do(func() { p.finished(sum, err, cancelled) })
	})
}

// progress shows one finished file (UI goroutine).
func (p *importPanel) progress(ev workflow.ImportFile) {
	name := filepath.Base(ev.File)
	if ev.Total > 0 {
		p.bar.Max = float64(ev.Total)
		p.bar.SetValue(float64(ev.Index))
	}
	p.current.SetText(tr("import.file", map[string]any{"N": ev.Index, "Total": ev.Total, "File": name}))
	var r importRow
	switch {
	case ev.Err != nil:
		r = importRow{text: "✗ " + errText(ev.Err), bad: true}
		var de *capture.DecodeError // names the file (and page) itself
		if !errors.As(ev.Err, &de) {
			r.text = "✗ " + name + ": " + errText(ev.Err)
		}
	case ev.Skipped:
		r = importRow{text: "↷ " + tr("import.row.skipped", map[string]any{"File": name})}
	default:
		r = importRow{text: "✓ " + tr("import.row.ok", map[string]any{"File": name, "Pages": ev.Pages})}
	}
	p.rows = append(p.rows, r)
	p.rowList.Refresh()
	p.rowList.ScrollToBottom()
}

// finished shows the summary (UI goroutine).
func (p *importPanel) finished(sum workflow.ImportResult, err error, cancelled bool) {
	p.running = false
	p.cancel = nil
	p.updateButtons()
	p.current.SetText("")
	text := tr("import.summary", map[string]any{"Docs": sum.Documents, "Pages": sum.Pages, "Skipped": sum.Skipped, "Failed": sum.Failed})
	switch {
	case cancelled:
		text = tr("import.cancelled") + " " + text
	case err != nil:
		text = errText(err) + "\n" + text
	}
	p.summary.SetText(text)
	if sum.Documents > 0 {
		p.paths = nil
		p.pathList.Refresh()
		p.updateButtons()
	}
	if p.onChanged != nil {
		p.onChanged()
	}
}

// stop cancels the running import; files already stored stay stored.
func (p *importPanel) stop() {
	if p.cancel != nil {
		p.cancel()
		p.current.SetText(tr("import.cancelling"))
	}
}
