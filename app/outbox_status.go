package app

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
)

// outboxEvery is how often the upload status line reads the outbox.
const outboxEvery = 5 * time.Second

// outboxStatus is the main window's upload status line: how many signed batches wait for
// upload and how many the server held back. A click lists them, with the held batches'
// reasons. The counts are read off the UI goroutine.
type outboxStatus struct {
	e      *env
	btn    *widget.Button
	counts queue.OutboxCounts
	err    error
	loaded bool
}

func newOutboxStatus(e *env) *outboxStatus {
	o := &outboxStatus{e: e}
	o.btn = widget.NewButtonWithIcon("", theme.UploadIcon(), o.showDetails)
	o.btn.Importance = widget.LowImportance
	o.btn.Alignment = widget.ButtonAlignLeading
	o.show()
	return o
}

// text is the status line for the counts read last.
func (o *outboxStatus) text() string {
	switch {
	case o.err != nil:
		return tr("outbox.err", map[string]any{"Err": errText(o.err)})
	case !o.loaded:
		return tr("outbox.loading")
	}
	return tr("outbox.status", map[string]any{"Pending": o.counts.Pending, "Held": o.counts.Held})
}

func (o *outboxStatus) show() {
	o.btn.SetText(o.text())
	imp := widget.LowImportance
	if o.err != nil || o.counts.Held > 0 {
		imp = widget.WarningImportance
	}
	if o.btn.Importance != imp {
		o.btn.Importance = imp
		o.btn.Refresh()
	}
}

// read reads the counts (off the UI goroutine) and shows them (on it).
func (o *outboxStatus) read(ctx context.Context) {
	c, err := o.e.st.OutboxCounts(ctx)
	if ctx.Err() != nil {
		return
	}
	o.e.do(func() {
		o.counts, o.err, o.loaded = c, err, true
		o.show()
	})
}

// refresh reads the counts now, as a background job.
func (o *outboxStatus) refresh() { o.e.bg.Go(func() { o.read(o.e.ctx) }) }

// serve refreshes the line every interval until ctx ends.
func (o *outboxStatus) serve(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		o.read(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// showDetails lists the batches waiting for upload and those held back, with the reason the
// server gave.
func (o *outboxStatus) showDetails() {
	o.e.bg.Go(func() {
		pending, err := o.e.st.Outbox(o.e.ctx, queue.OutboxPending)
		var held []queue.OutboxEntry
		if err == nil {
			held, err = o.e.st.Outbox(o.e.ctx, queue.OutboxHeld)
		}
		o.e.do(func() {
			if err != nil {
				showError(o.e.win, err)
				return
			}
			box := container.NewVBox()
			bold := fyne.TextStyle{Bold: true}
			box.Add(widget.NewLabelWithStyle(tr("outbox.held", map[string]any{"N": len(held)}), fyne.TextAlignLeading, bold))
			for _, h := range held {
				l := widget.NewLabel(tr("outbox.heldItem", map[string]any{"Batch": h.BatchName, "Reason": h.LastError}))
				l.Wrapping = fyne.TextWrapWord
				l.Importance = widget.WarningImportance
				box.Add(l)
			}
			box.Add(widget.NewSeparator())
			box.Add(widget.NewLabelWithStyle(tr("outbox.pending", map[string]any{"N": len(pending)}), fyne.TextAlignLeading, bold))
			for _, p := range pending {
				txt := tr("outbox.pendingItem", map[string]any{"Batch": p.BatchName, "Tries": p.Attempts})
				if p.LastError != "" {
					txt += " — " + p.LastError
				}
				l := widget.NewLabel(txt)
				l.Wrapping = fyne.TextWrapWord
				box.Add(l)
			}
			sc := container.NewVScroll(box)
			sc.SetMinSize(fyne.NewSize(560, 300))
			dialog.NewCustom(tr("outbox.title"), tr("btn.close"), sc, o.e.win).Show()
		})
	})
}
