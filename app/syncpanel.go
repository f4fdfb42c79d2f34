package app

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// syncPollEvery is how often the sender looks at the outbox when nothing wakes it.
const syncPollEvery = 30 * time.Second

// syncReceiptsShown is how many of the latest receipts the sync panel lists.
const syncReceiptsShown = 10

// syncSender runs the workflow's sync service (workflow.SyncService: the one sync loop of
// both faces) in the background while the app is open and a user is signed in: off the UI
// goroutine, stopped when the root context ends. Being offline is normal: a pass that cannot
// reach the server only says when it will try again. A workstation that is not enrolled yet
// is watched too: enrolling (the admin screen) takes effect at once, without a restart.
// Every report reaches the UI through env.do; the state it feeds (st) belongs to the UI
// goroutine.
type syncSender struct {
	e    *env
	poll time.Duration // syncPollEvery
	// minBackoff and maxBackoff bound the retry delays (0: the client's; tests shorten them).
	minBackoff, maxBackoff time.Duration

	mu      sync.Mutex
	svc     *workflow.SyncService // of the running loop
	running bool
	cancel  context.CancelFunc
	done    chan struct{} // closed when the current loop has returned
	paused  bool          // kept across restarts

	// UI goroutine only.
	st        syncState
	listeners []func()
}

// syncState is what the UI knows of the sender: the service's status as last reported.
type syncState struct {
	workflow.SyncStatus
}

func newSyncSender(e *env) *syncSender {
	return &syncSender{e: e, poll: syncPollEvery, st: syncState{workflow.SyncStatus{Batches: map[string]workflow.SyncProgress{}}}}
}

// start runs the sender for actor (named in the audit events of sent and held batches), or
// names actor in what the running one sends from now on. It returns at once.
func (s *syncSender) start(actor queue.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		s.svc.SetActor(actor)
		return
	}
	svc := s.e.flow().NewSyncService(actor)
	svc.Poll, svc.MinBackoff, svc.MaxBackoff = s.poll, s.minBackoff, s.maxBackoff
	svc.OnEvent = func(ev workflow.SyncEvent) {
		s.e.do(func() {
			s.st.SyncStatus = ev.Status
			s.changed()
		})
	}
	if s.paused {
		svc.Pause()
	}
	ctx, cancel := context.WithCancel(s.e.ctx)
	done := make(chan struct{})
	s.svc, s.cancel, s.done, s.running = svc, cancel, done, true
	go func() {
		defer close(done)
		_ = svc.Serve(ctx) // it reports what stops sending and goes on; nil when ctx ends
		s.mu.Lock()
		if s.done == done {
			s.running = false
		}
		s.mu.Unlock()
	}()
}

// stop cancels the sender and waits until it has returned (the store may then be closed).
func (s *syncSender) stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (s *syncSender) service() *workflow.SyncService {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.svc
}

// wake makes the sender look at the outbox now (a batch was just signed).
func (s *syncSender) wake() {
	if svc := s.service(); svc != nil {
		svc.Wake()
	}
}

// sendNow makes the next pass try every waiting batch at once, back-off or not.
func (s *syncSender) sendNow() {
	if svc := s.service(); svc != nil {
		svc.SendNow()
	}
}

// reload makes the sender read the sync settings again now (the workstation was enrolled).
func (s *syncSender) reload() {
	if svc := s.service(); svc != nil {
		svc.Reload()
	}
}

// setPaused pauses (the upload in flight is cut; it is redone from its manifest) or resumes.
// Called on the UI goroutine.
func (s *syncSender) setPaused(p bool) {
	s.mu.Lock()
	s.paused = p
	svc := s.svc
	s.mu.Unlock()
	if svc != nil {
		if p {
			svc.Pause()
		} else {
			svc.Resume()
		}
	}
	s.st.Paused = p
	s.changed()
}

func (s *syncSender) changed() {
	for _, f := range s.listeners {
		f()
	}
}

// line is what the status line adds for the sender ("" when it is not running).
func (st *syncState) line() string {
	switch {
	case !st.Known || !st.Enrolled:
		return ""
	case st.Paused:
		return tr("sync.line.paused")
	case st.PassErr != nil:
		return tr("sync.line.stopped")
	case st.Offline:
		return tr("sync.line.offline", map[string]any{"Time": hhmm(st.RetryAt)})
	}
	for _, p := range st.Batches {
		if p.Phase.InFlight() {
			return tr("sync.line.sending", map[string]any{"Batch": p.BatchName, "Pct": pct(p.BytesDone, p.BytesTotal)})
		}
	}
	return st.contactText("sync.line")
}

// contactText tells the last real contact with the server (prefix "sync.line" or "sync.state").
func (st *syncState) contactText(prefix string) string {
	switch {
	case st.ContactAt.IsZero():
		return tr(prefix + ".noContact")
	case st.ContactOK:
		return tr(prefix+".lastContact", map[string]any{"Time": formatLocal(st.ContactAt)})
	}
	return tr(prefix+".lastFailed", map[string]any{"Time": formatLocal(st.ContactAt)})
}

// stateText is the panel's one-line state.
func (st *syncState) stateText() string {
	switch {
	case st.Paused:
		return tr("sync.state.paused")
	case st.PassErr != nil:
		return tr("sync.state.stopped", map[string]any{"Err": pickLanguage(errText(st.PassErr))})
	case st.Offline:
		return tr("sync.state.offline", map[string]any{"Time": hhmm(st.RetryAt)})
	case st.Sending:
		return tr("sync.state.sending")
	}
	return tr("sync.state.idle") + " " + st.contactText("sync.state")
}

func hhmm(t time.Time) string {
	if t.IsZero() {
		return "--:--"
	}
	return t.Local().Format("15:04")
}

func pct(done, total int64) int {
	if total <= 0 {
		return 0
	}
	return int(done * 100 / total)
}

// pickLanguage keeps the interface language's half of a bilingual message: the server's
// reasons read "code: tiếng Việt / English", the client's errors "tiếng Việt / English".
// The code stays, in brackets; anything else is shown whole.
func pickLanguage(s string) string {
	code := ""
	if i := strings.Index(s, ": "); i > 0 && !strings.ContainsAny(s[:i], " /") {
		code, s = s[:i], s[i+2:]
	}
	if vi, en, ok := strings.Cut(s, " / "); ok {
		s = en
		if currentLanguage() == "vi" {
			s = vi
		}
	}
	if code != "" {
		s += " (" + code + ")"
	}
	return s
}

// fmtBytes writes a byte count for people (decimal comma in Vietnamese).
func fmtBytes(n int64) string {
	var s string
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		s = fmt.Sprintf("%.1f KB", float64(n)/1e3)
	case n < 1000*1000*1000:
		s = fmt.Sprintf("%.1f MB", float64(n)/1e6)
	default:
		s = fmt.Sprintf("%.2f GB", float64(n)/1e9)
	}
	if currentLanguage() == "vi" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// syncData is what the panel reads from the store (off the UI goroutine).
type syncData struct {
	loaded bool
	err    error
	workflow.OutboxView
}

func readSyncData(ctx context.Context, w *workflow.Workflow, key ed25519.PublicKey) syncData {
	v, err := w.Outbox(ctx, key, syncReceiptsShown)
	return syncData{loaded: true, err: err, OutboxView: v}
}

// syncPanel is the dialog the upload status line opens: overall and per-batch progress, the
// latest receipts, the batches the server held back with its reason, Pause/Resume and Send
// now. It is rebuilt from the sender's state and the store's outbox as they change.
type syncPanel struct {
	s    *syncSender
	dlg  *dialog.CustomDialog
	body *fyne.Container
	data syncData

	loading, again bool
	pauseBtn       *widget.Button
	nowBtn         *widget.Button
}

func newSyncPanel(s *syncSender) *syncPanel {
	p := &syncPanel{s: s}
	s.listeners = append(s.listeners, p.stateChanged)
	return p
}

// open shows the panel and reads the outbox.
func (p *syncPanel) open() {
	p.body = container.NewVBox()
	p.pauseBtn = widget.NewButtonWithIcon("", theme.MediaPauseIcon(), func() { p.s.setPaused(!p.s.st.Paused) })
	p.nowBtn = widget.NewButtonWithIcon(tr("sync.btn.now"), theme.UploadIcon(), func() {
		p.s.sendNow()
		p.reload()
	})
	p.nowBtn.Importance = widget.HighImportance
	var dlg *dialog.CustomDialog
	closeBtn := widget.NewButton(tr("btn.close"), func() { dlg.Hide() })
	sc := container.NewVScroll(p.body)
	sc.SetMinSize(fyne.NewSize(680, 560))
	content := container.NewBorder(nil, container.NewHBox(p.pauseBtn, p.nowBtn, layout.NewSpacer(), closeBtn), nil, nil, sc)
	dlg = dialog.NewCustomWithoutButtons(tr("sync.title"), content, p.s.e.win)
	dlg.SetOnClosed(func() {
		if p.dlg == dlg {
			p.dlg = nil
		}
	})
	p.dlg = dlg
	p.render()
	dlg.Show()
	p.reload()
}

// reload reads the outbox in the background and renders it; reloads asked for meanwhile are
// merged into one more.
func (p *syncPanel) reload() {
	if p.loading {
		p.again = true
		return
	}
	p.loading = true
	key := p.s.st.Key
	e := p.s.e
	e.bg.Go(func() {
		d := readSyncData(e.ctx, e.flow(), key)
		if e.ctx.Err() != nil {
			return
		}
		e.do(func() {
			p.data, p.loading = d, false
			p.render()
			if p.again {
				p.again = false
				p.reload()
			}
		})
	})
}

// stateChanged follows the sender (UI goroutine): a finished or held batch, or the end of a
// pass, changes the outbox, so it is read again.
func (p *syncPanel) stateChanged() {
	if p.dlg == nil {
		return
	}
	p.render()
	if !p.s.st.Sending {
		p.reload()
	}
}

// render rebuilds the panel's body from the state and the data read last.
func (p *syncPanel) render() {
	if p.body == nil {
		return
	}
	st, d := &p.s.st, p.data
	bold := fyne.TextStyle{Bold: true}
	label := func(s string, imp widget.Importance) *widget.Label {
		l := widget.NewLabel(s)
		l.Wrapping = fyne.TextWrapWord
		l.Importance = imp
		return l
	}
	heading := func(s string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, bold)
	}
	var objs []fyne.CanvasObject
	switch {
	case !st.Known:
		objs = append(objs, label(tr("sync.starting"), widget.MediumImportance))
	case st.StartErr != nil:
		objs = append(objs, label(tr("sync.settingsErr", map[string]any{"Err": errText(st.StartErr)}), widget.DangerImportance))
	case !st.Enrolled:
		objs = append(objs, label(tr("sync.notEnrolled"), widget.WarningImportance))
	default:
		objs = append(objs, label(tr("sync.server", map[string]any{"URL": st.Server}), widget.MediumImportance))
		imp := widget.SuccessImportance
		if st.Offline || st.Paused {
			imp = widget.WarningImportance
		}
		if st.PassErr != nil {
			imp = widget.DangerImportance
		}
		objs = append(objs, label(st.stateText(), imp))
		if st.Offline && st.LastErr != "" {
			objs = append(objs, label(tr("sync.lastErr", map[string]any{"Err": pickLanguage(st.LastErr)}), widget.LowImportance))
		}
	}
	p.pauseBtn.Disable()
	p.nowBtn.Disable()
	if st.Known && st.Enrolled {
		p.pauseBtn.Enable()
		if !st.Paused {
			p.nowBtn.Enable()
		}
	}
	if st.Paused {
		p.pauseBtn.SetText(tr("sync.btn.resume"))
		p.pauseBtn.SetIcon(theme.MediaPlayIcon())
	} else {
		p.pauseBtn.SetText(tr("sync.btn.pause"))
		p.pauseBtn.SetIcon(theme.MediaPauseIcon())
	}

	switch {
	case !d.loaded:
		objs = append(objs, label(tr("outbox.loading"), widget.MediumImportance))
	case d.err != nil:
		objs = append(objs, label(tr("outbox.err", map[string]any{"Err": errText(d.err)}), widget.DangerImportance))
	default:
		objs = append(objs, p.renderData(st, d, label, heading)...)
	}
	p.body.Objects = objs
	p.body.Refresh()
}

func (p *syncPanel) renderData(st *syncState, d syncData, label func(string, widget.Importance) *widget.Label,
	heading func(string) fyne.CanvasObject) []fyne.CanvasObject {
	var objs []fyne.CanvasObject
	// overall
	var waiting int64
	for _, e := range d.Pending {
		waiting += d.Sizes[e.BatchID]
		if pr, ok := st.Batches[e.BatchID]; ok && pr.Phase.InFlight() {
			waiting -= min(pr.BytesDone, d.Sizes[e.BatchID])
		}
	}
	objs = append(objs, widget.NewSeparator(), heading(tr("sync.overall")))
	objs = append(objs, label(tr("sync.overallText", map[string]any{"Pending": len(d.Pending), "Waiting": fmtBytes(waiting),
		"Sent": st.SentBatches, "SentBytes": fmtBytes(st.SentBytes), "Done": d.DoneN}), widget.MediumImportance))
	bar := widget.NewProgressBar()
	if total := waiting + st.SentBytes; total > 0 {
		bar.SetValue(float64(st.SentBytes) / float64(total))
	} else if len(d.Pending) == 0 {
		bar.SetValue(1)
	}
	objs = append(objs, bar)

	// per batch
	objs = append(objs, widget.NewSeparator(), heading(tr("outbox.pending", map[string]any{"N": len(d.Pending)})))
	for _, e := range d.Pending {
		pr, ok := st.Batches[e.BatchID]
		total, blobs := d.Sizes[e.BatchID], d.BlobsOf[e.BatchID]
		var done int64
		var blobsDone int
		phase := tr("sync.phase.waiting")
		if ok {
			if pr.BytesTotal > 0 {
				total, blobs = pr.BytesTotal, pr.BlobsTotal
			}
			done, blobsDone = pr.BytesDone, pr.BlobsDone
			phase = phaseText(pr.Phase)
			if pr.Phase == workflow.SyncRetry {
				phase = tr("sync.phase.retry", map[string]any{"Time": hhmm(pr.NextAttempt)})
			}
		} else if e.Attempts > 0 && !e.NextAttempt.IsZero() {
			phase = tr("sync.phase.retry", map[string]any{"Time": hhmm(e.NextAttempt)})
		}
		objs = append(objs, label(tr("sync.batchLine", map[string]any{"Batch": e.BatchName, "Seq": e.Seq, "Phase": phase,
			"BlobsDone": blobsDone, "Blobs": blobs, "Done": fmtBytes(done), "Total": fmtBytes(total)}), widget.MediumImportance))
		b := widget.NewProgressBar()
		if total > 0 {
			b.SetValue(float64(done) / float64(total))
		}
		objs = append(objs, b)
	}

	// held
	objs = append(objs, widget.NewSeparator(), heading(tr("outbox.held", map[string]any{"N": len(d.Held)})))
	for _, h := range d.Held {
		objs = append(objs, label(tr("outbox.heldItem", map[string]any{"Batch": fmt.Sprintf("%s #%d", h.BatchName, h.Seq),
			"Reason": pickLanguage(h.LastError)}),
			widget.WarningImportance))
	}

	// receipts
	objs = append(objs, widget.NewSeparator(), heading(tr("sync.receipts", map[string]any{"N": d.DoneN})))
	for _, r := range d.Done {
		if r.Err != nil {
			objs = append(objs, label(tr("sync.receiptBad", map[string]any{"Batch": r.Entry.BatchName, "Seq": r.Entry.Seq}), widget.DangerImportance))
			continue
		}
		objs = append(objs, label(tr("sync.receiptLine", map[string]any{"Batch": r.Entry.BatchName, "Seq": r.Entry.Seq,
			"Time": formatLocal(r.Receipt.CommittedAt), "Key": r.Receipt.KeyID, "Docs": r.Receipt.Documents,
			"Office": r.Receipt.Office}), widget.MediumImportance))
	}
	return objs
}

// phaseText names a phase of sending for people.
func phaseText(ph workflow.SyncPhase) string {
	switch ph {
	case workflow.SyncManifest:
		return tr("sync.phase.manifest")
	case workflow.SyncUpload:
		return tr("sync.phase.upload")
	case workflow.SyncCommit:
		return tr("sync.phase.commit")
	case workflow.SyncDone:
		return tr("sync.phase.done")
	case workflow.SyncHeld:
		return tr("sync.phase.held")
	}
	return tr("sync.phase.waiting")
}
