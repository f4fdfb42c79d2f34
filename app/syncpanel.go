package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sort"
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
	"github.com/sohoa/sohoa/sync/client"
	"github.com/sohoa/sohoa/sync/wire"
)

// syncPollEvery is how often the sender looks at the outbox when nothing wakes it.
const syncPollEvery = 30 * time.Second

// syncReceiptsShown is how many of the latest receipts the sync panel lists.
const syncReceiptsShown = 10

// syncSender runs the sync client (sync/client) in the background while the app is open and
// the workstation is enrolled: off the UI goroutine, stopped when the root context ends.
// Being offline is normal: a pass that cannot reach the server only says when it will try
// again. Every report reaches the UI through env.do; the state it feeds (st) belongs to the UI
// goroutine.
type syncSender struct {
	e    *env
	poll time.Duration          // syncPollEvery
	tune func(c *client.Client) // tests: shorter back-off

	mu      sync.Mutex
	c       *client.Client // of the running loop
	running bool
	actorID int64
	cancel  context.CancelFunc
	done    chan struct{} // closed when the current loop has returned
	kick    chan struct{}
	now     bool // the next pass ignores the back-off schedule
	paused  bool // kept across restarts (another user signs in)

	// UI goroutine only.
	st        syncState
	listeners []func()
}

// syncState is what the UI knows of the sender.
type syncState struct {
	known    bool // the sender has read the settings
	enrolled bool
	server   string
	key      ed25519.PublicKey
	startErr error // the settings could not be read

	paused      bool
	sending     bool
	offline     bool
	retryAt     time.Time
	lastErr     string // the last failed attempt's reason (server or network), no personal data
	passErr     error  // a fault no retry mends (revoked, wrong certificate); the sender keeps polling
	batches     map[string]client.Progress
	sentBytes   int64 // bytes actually sent since the app started
	sentBatches int   // batches completed since the app started
	rounds      int   // loop rounds seen (a pass, or a wake-up while paused)
	// the last real contact with the server: a batch it answered (receipt or refusal), or an
	// attempt that did not reach it. A pass with nothing to send contacts nobody, so it
	// changes neither: the state shown is never "connected" without an answer behind it.
	contactAt time.Time
	contactOK bool
}

func newSyncSender(e *env) *syncSender {
	return &syncSender{e: e, poll: syncPollEvery, kick: make(chan struct{}, 1),
		st: syncState{batches: map[string]client.Progress{}}}
}

// start runs the sender for actor (named in the audit events of sent and held batches) unless
// it already runs for that user. It returns at once.
func (s *syncSender) start(actor queue.User) {
	s.mu.Lock()
	if s.running && s.actorID == actor.ID {
		s.mu.Unlock()
		return
	}
	prevCancel, prevDone := s.cancel, s.done
	ctx, cancel := context.WithCancel(s.e.ctx)
	done := make(chan struct{})
	s.cancel, s.done, s.actorID, s.running = cancel, done, actor.ID, true
	s.mu.Unlock()
	go func() {
		defer close(done)
		if prevCancel != nil {
			prevCancel()
			<-prevDone
		}
		s.run(ctx, actor)
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

// wake makes the sender look at the outbox now.
func (s *syncSender) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// sendNow makes the next pass try every waiting batch at once, back-off or not.
func (s *syncSender) sendNow() {
	s.mu.Lock()
	s.now = true
	s.mu.Unlock()
	s.wake()
}

// setPaused pauses (the upload in flight is cut; it is redone from its manifest) or resumes.
// Called on the UI goroutine.
func (s *syncSender) setPaused(p bool) {
	s.mu.Lock()
	s.paused = p
	c := s.c
	s.mu.Unlock()
	if c != nil {
		if p {
			c.Pause()
		} else {
			c.Resume()
		}
	}
	s.st.paused = p
	s.wake()
	s.changed()
}

// post runs fn on the UI goroutine against the state, then tells the listeners.
func (s *syncSender) post(fn func(st *syncState)) {
	s.e.do(func() {
		fn(&s.st)
		s.changed()
	})
}

func (s *syncSender) changed() {
	for _, f := range s.listeners {
		f()
	}
}

// run is the sender's loop: a pass over the due outbox entries, then a sleep until the next
// retry is due, the poll interval passes, or someone wakes it.
func (s *syncSender) run(ctx context.Context, actor queue.User) {
	c, err := client.FromStore(ctx, s.e.st, actor)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		s.post(func(st *syncState) {
			st.known, st.enrolled = true, false
			if !errors.Is(err, client.ErrNotEnrolled) {
				st.startErr = err
			}
		})
		return
	}
	if s.tune != nil {
		s.tune(c)
	}
	c.Progress = func(p client.Progress) { s.post(func(st *syncState) { st.progress(p) }) }
	s.mu.Lock()
	s.c = c
	if s.paused {
		c.Pause()
	}
	paused := s.paused
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.c == c {
			s.c = nil
		}
		s.mu.Unlock()
	}()
	s.post(func(st *syncState) {
		st.known, st.enrolled, st.startErr = true, true, nil
		st.server, st.key, st.paused = c.BaseURL, c.ReceiptKey, paused
	})
	for {
		if c.Paused() {
			s.post(func(st *syncState) { st.rounds++; st.sending = false })
			select {
			case <-ctx.Done():
				return
			case <-s.kick:
				continue
			}
		}
		s.mu.Lock()
		all := s.now
		s.now = false
		s.mu.Unlock()
		s.post(func(st *syncState) { st.sending = true })
		sum, err := c.RunPass(ctx, all)
		if ctx.Err() != nil {
			return
		}
		if c.Paused() {
			err = nil // the pass was cut by Pause
		}
		s.post(func(st *syncState) { st.passDone(sum, err) })
		wait := s.poll
		if !sum.NextDue.IsZero() {
			if d := time.Until(sum.NextDue); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-s.kick:
			t.Stop()
		}
	}
}

// progress takes one report of the client.
func (st *syncState) progress(p client.Progress) {
	prev, had := st.batches[p.BatchID]
	switch p.Phase {
	case client.PhaseRetry, client.PhaseHeld:
		// these reports carry no blob counts: keep the last ones
		if had {
			prev.Phase, prev.Err, prev.NextAttempt = p.Phase, p.Err, p.NextAttempt
			p = prev
		}
		if p.Phase == client.PhaseRetry {
			st.offline, st.retryAt, st.lastErr = true, p.NextAttempt, p.Err
			st.contactAt, st.contactOK = time.Now(), false
		} else {
			st.contactAt, st.contactOK = time.Now(), true // the server answered: it refused the batch
		}
	default:
		if p.Phase != client.PhaseManifest && had && p.BytesSent >= prev.BytesSent {
			st.sentBytes += p.BytesSent - prev.BytesSent
		} else {
			st.sentBytes += p.BytesSent
		}
		if p.Phase == client.PhaseDone {
			st.sentBatches++
			st.offline, st.lastErr = false, ""
			st.contactAt, st.contactOK = time.Now(), true
		}
	}
	st.batches[p.BatchID] = p
}

// passDone takes the outcome of one pass.
func (st *syncState) passDone(sum client.Summary, err error) {
	st.sending = false
	st.rounds++
	st.passErr = err
	switch {
	case sum.Retry > 0 && sum.Done == 0:
		st.offline, st.retryAt = true, sum.NextDue
	case err == nil && (sum.Done > 0 || sum.Held > 0):
		st.offline, st.lastErr = false, ""
	case err == nil && !sum.NextDue.IsZero() && st.offline:
		st.retryAt = sum.NextDue // still waiting to retry: offline until an attempt gets through
	case err == nil && sum.NextDue.IsZero():
		st.offline = false // nothing waits; the last contact tells how the server was
	}
}

// line is what the status line adds for the sender ("" when it is not running).
func (st *syncState) line() string {
	switch {
	case !st.known || !st.enrolled:
		return ""
	case st.paused:
		return tr("sync.line.paused")
	case st.passErr != nil:
		return tr("sync.line.stopped")
	case st.offline:
		return tr("sync.line.offline", map[string]any{"Time": hhmm(st.retryAt)})
	}
	for _, p := range st.batches {
		if p.Phase == client.PhaseManifest || p.Phase == client.PhaseUpload || p.Phase == client.PhaseCommit {
			return tr("sync.line.sending", map[string]any{"Batch": p.BatchName, "Pct": pct(p.BytesDone, p.BytesTotal)})
		}
	}
	return st.contactText("sync.line")
}

// contactText tells the last real contact with the server (prefix "sync.line" or "sync.state").
func (st *syncState) contactText(prefix string) string {
	switch {
	case st.contactAt.IsZero():
		return tr(prefix + ".noContact")
	case st.contactOK:
		return tr(prefix+".lastContact", map[string]any{"Time": formatLocal(st.contactAt)})
	}
	return tr(prefix+".lastFailed", map[string]any{"Time": formatLocal(st.contactAt)})
}

// stateText is the panel's one-line state.
func (st *syncState) stateText() string {
	switch {
	case st.paused:
		return tr("sync.state.paused")
	case st.passErr != nil:
		return tr("sync.state.stopped", map[string]any{"Err": pickLanguage(errText(st.passErr))})
	case st.offline:
		return tr("sync.state.offline", map[string]any{"Time": hhmm(st.retryAt)})
	case st.sending:
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
	loaded  bool
	err     error
	pending []queue.OutboxEntry
	held    []queue.OutboxEntry
	done    []syncReceipt    // newest first, at most syncReceiptsShown
	doneN   int              // every done entry
	sizes   map[string]int64 // bytes of each pending batch's blobs
	blobsOf map[string]int   // blobs of each pending batch
}

type syncReceipt struct {
	e   queue.OutboxEntry
	r   wire.Receipt
	err error // the stored receipt does not verify with the pinned key
}

func readSyncData(ctx context.Context, st *queue.Store, key ed25519.PublicKey) syncData {
	d := syncData{loaded: true, sizes: map[string]int64{}, blobsOf: map[string]int{}}
	if d.pending, d.err = st.Outbox(ctx, queue.OutboxPending); d.err != nil {
		return d
	}
	if d.held, d.err = st.Outbox(ctx, queue.OutboxHeld); d.err != nil {
		return d
	}
	var done []queue.OutboxEntry
	if done, d.err = st.Outbox(ctx, queue.OutboxDone); d.err != nil {
		return d
	}
	d.doneN = len(done)
	sort.SliceStable(done, func(i, j int) bool { return done[i].Seq > done[j].Seq })
	for _, e := range done[:min(len(done), syncReceiptsShown)] {
		r := syncReceipt{e: e}
		if len(key) == ed25519.PublicKeySize {
			r.r, r.err = wire.VerifyReceipt(key, e.Receipt)
		} else {
			r.err = client.ErrNotEnrolled
		}
		d.done = append(d.done, r)
	}
	for _, e := range d.pending {
		raw, _, err := st.BatchManifest(ctx, e.BatchID)
		if err != nil {
			continue
		}
		m, _, err := wire.DecodeManifest(bytes.NewReader(raw))
		if err != nil {
			continue
		}
		seen := map[string]bool{}
		for _, doc := range m.Documents {
			if !seen[doc.PDFSHA256] {
				seen[doc.PDFSHA256] = true
				d.sizes[e.BatchID] += doc.PDFSize
			}
			for _, p := range doc.Pages {
				if !seen[p.SHA256] {
					seen[p.SHA256] = true
					d.sizes[e.BatchID] += p.Size
				}
			}
		}
		d.blobsOf[e.BatchID] = len(seen)
	}
	return d
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
	p.pauseBtn = widget.NewButtonWithIcon("", theme.MediaPauseIcon(), func() { p.s.setPaused(!p.s.st.paused) })
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
	key := p.s.st.key
	e := p.s.e
	e.bg.Go(func() {
		d := readSyncData(e.ctx, e.st, key)
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
	if !p.s.st.sending {
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
	case !st.known:
		objs = append(objs, label(tr("sync.starting"), widget.MediumImportance))
	case st.startErr != nil:
		objs = append(objs, label(tr("sync.settingsErr", map[string]any{"Err": errText(st.startErr)}), widget.DangerImportance))
	case !st.enrolled:
		objs = append(objs, label(tr("sync.notEnrolled"), widget.WarningImportance))
	default:
		objs = append(objs, label(tr("sync.server", map[string]any{"URL": st.server}), widget.MediumImportance))
		imp := widget.SuccessImportance
		if st.offline || st.paused {
			imp = widget.WarningImportance
		}
		if st.passErr != nil {
			imp = widget.DangerImportance
		}
		objs = append(objs, label(st.stateText(), imp))
		if st.offline && st.lastErr != "" {
			objs = append(objs, label(tr("sync.lastErr", map[string]any{"Err": pickLanguage(st.lastErr)}), widget.LowImportance))
		}
	}
	p.pauseBtn.Disable()
	p.nowBtn.Disable()
	if st.known && st.enrolled {
		p.pauseBtn.Enable()
		if !st.paused {
			p.nowBtn.Enable()
		}
	}
	if st.paused {
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
	for _, e := range d.pending {
		waiting += d.sizes[e.BatchID]
		if pr, ok := st.batches[e.BatchID]; ok && inFlight(pr.Phase) {
			waiting -= min(pr.BytesDone, d.sizes[e.BatchID])
		}
	}
	objs = append(objs, widget.NewSeparator(), heading(tr("sync.overall")))
	objs = append(objs, label(tr("sync.overallText", map[string]any{"Pending": len(d.pending), "Waiting": fmtBytes(waiting),
		"Sent": st.sentBatches, "SentBytes": fmtBytes(st.sentBytes), "Done": d.doneN}), widget.MediumImportance))
	bar := widget.NewProgressBar()
	if total := waiting + st.sentBytes; total > 0 {
		bar.SetValue(float64(st.sentBytes) / float64(total))
	} else if len(d.pending) == 0 {
		bar.SetValue(1)
	}
	objs = append(objs, bar)

	// per batch
	objs = append(objs, widget.NewSeparator(), heading(tr("outbox.pending", map[string]any{"N": len(d.pending)})))
	for _, e := range d.pending {
		pr, ok := st.batches[e.BatchID]
		total, blobs := d.sizes[e.BatchID], d.blobsOf[e.BatchID]
		var done int64
		var blobsDone int
		phase := tr("sync.phase.waiting")
		if ok {
			if pr.BytesTotal > 0 {
				total, blobs = pr.BytesTotal, pr.BlobsTotal
			}
			done, blobsDone = pr.BytesDone, pr.BlobsDone
			phase = phaseText(pr.Phase)
			if pr.Phase == client.PhaseRetry {
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
	objs = append(objs, widget.NewSeparator(), heading(tr("outbox.held", map[string]any{"N": len(d.held)})))
	for _, h := range d.held {
		objs = append(objs, label(tr("outbox.heldItem", map[string]any{"Batch": fmt.Sprintf("%s #%d", h.BatchName, h.Seq),
			"Reason": pickLanguage(h.LastError)}),
			widget.WarningImportance))
	}

	// receipts
	objs = append(objs, widget.NewSeparator(), heading(tr("sync.receipts", map[string]any{"N": d.doneN})))
	for _, r := range d.done {
		if r.err != nil {
			objs = append(objs, label(tr("sync.receiptBad", map[string]any{"Batch": r.e.BatchName, "Seq": r.e.Seq}), widget.DangerImportance))
			continue
		}
		objs = append(objs, label(tr("sync.receiptLine", map[string]any{"Batch": r.e.BatchName, "Seq": r.e.Seq,
			"Time": formatLocal(r.r.CommittedAt), "Key": r.r.KeyID, "Docs": r.r.Documents,
			"Office": r.r.Office}), widget.MediumImportance))
	}
	return objs
}

// phaseText names a phase of the client for people.
func phaseText(ph client.Phase) string {
	switch ph {
	case client.PhaseManifest:
		return tr("sync.phase.manifest")
	case client.PhaseUpload:
		return tr("sync.phase.upload")
	case client.PhaseCommit:
		return tr("sync.phase.commit")
	case client.PhaseDone:
		return tr("sync.phase.done")
	case client.PhaseHeld:
		return tr("sync.phase.held")
	}
	return tr("sync.phase.waiting")
}

func inFlight(ph client.Phase) bool {
	return ph == client.PhaseManifest || ph == client.PhaseUpload || ph == client.PhaseCommit
}
