package app

import (
	"context"
	"time"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
)

// outboxEvery is how often the upload status line reads the outbox.
const outboxEvery = 5 * time.Second

// outboxStatus is the main window's upload status line: how many signed batches wait for
// upload, how many the server held back and what the background sender is doing (sending,
// offline until HH:MM, paused). A click opens the sync panel. The counts are read off the UI
// goroutine.
type outboxStatus struct {
	e      *env
	btn    *widget.Button
	counts queue.OutboxCounts
	err    error
	loaded bool
	sync   *syncSender // adds the sender's state to the line (nil: none)
	panel  *syncPanel
}

func newOutboxStatus(e *env, s *syncSender) *outboxStatus {
	o := &outboxStatus{e: e, sync: s}
	if s != nil {
		o.panel = newSyncPanel(s)
		s.listeners = append(s.listeners, o.syncChanged)
	}
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
	t := tr("outbox.status", map[string]any{"Pending": o.counts.Pending, "Held": o.counts.Held})
	if o.sync != nil {
		if l := o.sync.st.line(); l != "" {
			t += " · " + l
		}
	}
	return t
}

// syncChanged follows the sender (UI goroutine); the counts are read again after each pass.
func (o *outboxStatus) syncChanged() {
	o.show()
	if o.sync.st.Enrolled && !o.sync.st.Sending {
		o.refresh()
	}
}

func (o *outboxStatus) show() {
	o.btn.SetText(o.text())
	imp := widget.LowImportance
	if o.err != nil || o.counts.Held > 0 || (o.sync != nil && o.sync.st.PassErr != nil) {
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

// showDetails opens the sync panel: progress, receipts, held batches and their reasons,
// Pause/Resume and Send now.
func (o *outboxStatus) showDetails() {
	if o.panel != nil {
		o.panel.open()
	}
}
