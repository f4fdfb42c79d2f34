package workflow

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/client"
	"github.com/sohoa/sohoa/sync/wire"
)

// Sending signed batches to the central server (sync/client does one pass; this is the one
// loop around it both faces run). Being offline is normal: a pass that cannot reach the
// server only says when it will try again. A batch the server refuses is held: a state to
// report (with the server's reason), not a failure of the run. What stops sending without
// any batch at fault (not enrolled, revoked, a server certificate that is not the pinned
// one) is reported as PassErr; the loop keeps looking at the settings, so enrolling again
// takes effect without a restart.

// SyncPhase is where a batch is in sending.
type SyncPhase string

// Phases of SyncProgress.
const (
	SyncManifest SyncPhase = SyncPhase(client.PhaseManifest)
	SyncUpload   SyncPhase = SyncPhase(client.PhaseUpload)
	SyncCommit   SyncPhase = SyncPhase(client.PhaseCommit)
	SyncDone     SyncPhase = SyncPhase(client.PhaseDone)
	SyncHeld     SyncPhase = SyncPhase(client.PhaseHeld) // refused by the server: held back, with its reason
	SyncRetry    SyncPhase = SyncPhase(client.PhaseRetry)
)

// InFlight tells whether the batch is being sent.
func (p SyncPhase) InFlight() bool { return p == SyncManifest || p == SyncUpload || p == SyncCommit }

// SyncProgress is one report about one batch. Bytes count the batch's blobs: those the
// server already held count as done; BytesSent is what this attempt actually sent.
type SyncProgress struct {
	BatchID, BatchName    string
	Seq                   int64
	Phase                 SyncPhase
	BlobsDone, BlobsTotal int
	BytesDone, BytesTotal int64
	BytesSent             int64
	Batches, BatchesDone  int // this pass, overall
	Err                   string
	NextAttempt           time.Time
	Receipt               *wire.Receipt
}

func syncProgress(p client.Progress) SyncProgress {
	return SyncProgress{BatchID: p.BatchID, BatchName: p.BatchName, Seq: p.Seq, Phase: SyncPhase(p.Phase),
		BlobsDone: p.BlobsDone, BlobsTotal: p.BlobsTotal, BytesDone: p.BytesDone, BytesTotal: p.BytesTotal,
		BytesSent: p.BytesSent, Batches: p.Batches, BatchesDone: p.BatchesDone, Err: p.Err, NextAttempt: p.NextAttempt,
		Receipt: p.Receipt}
}

// ErrNotEnrolled: the workstation has no sync settings yet (enroll first).
var ErrNotEnrolled = client.ErrNotEnrolled

// SyncInput tunes one SyncOnce pass.
type SyncInput struct {
	Server string // another server address for this pass ("" = the enrolled one)
	// Due only tries the entries whose back-off has passed (default: all, a person asked).
	Due bool
}

// SyncResult is what one pass did, and the outbox after it.
type SyncResult struct {
	Done, Held, Retry int
	Receipts          []wire.Receipt
	NextDue           time.Time
	Outbox            queue.OutboxCounts
}

// SyncOnce sends every pending batch once (`sohoa sync --once`), reporting each batch's
// progress (Detail: SyncProgress). Batches the server holds back are counted, not errors;
// the error is for what stops sending altogether (not enrolled, revoked, …).
func (w *Workflow) SyncOnce(ctx context.Context, actor queue.User, in SyncInput, progress Progress) (SyncResult, error) {
	var out SyncResult
	c, err := client.FromStore(ctx, w.Store, actor)
	if err != nil {
		return out, err
	}
	if in.Server != "" {
		if err := ValidServerURL(in.Server); err != nil {
			return out, err
		}
		c.BaseURL = in.Server
	}
	c.Progress = func(p client.Progress) {
		sp := syncProgress(p)
		progress.Report(Event{Op: "sync", Step: "blob", Done: p.BlobsDone, Total: p.BlobsTotal, Item: p.BatchID, Detail: sp})
	}
	sum, err := c.RunPass(ctx, !in.Due)
	out.Done, out.Held, out.Retry, out.Receipts, out.NextDue = sum.Done, sum.Held, sum.Retry, sum.Receipts, sum.NextDue
	if err != nil {
		return out, err
	}
	out.Outbox, err = w.Store.OutboxCounts(ctx)
	return out, err
}

// SyncStatus is what is known of the sender, for the faces to show.
type SyncStatus struct {
	Known    bool // the settings have been read
	Enrolled bool
	Server   string
	Key      ed25519.PublicKey // the server's receipt key pinned at enrollment
	StartErr error             // the settings could not be used (a client certificate file is gone, …)

	Paused  bool
	Sending bool
	Offline bool
	RetryAt time.Time
	LastErr string // the last failed attempt's reason (server or network), no personal data
	PassErr error  // a fault no retry mends (revoked, wrong certificate); the loop keeps polling
	// Batches is the latest report of every batch seen since the service started.
	Batches     map[string]SyncProgress
	SentBytes   int64 // bytes actually sent since the service started
	SentBatches int   // batches completed since the service started
	Rounds      int   // loop rounds (a pass, a wake-up while paused or not enrolled)
	// The last real contact with the server: a batch it answered (receipt or refusal), or an
	// attempt that did not reach it. A pass with nothing to send contacts nobody, so it
	// changes neither: the state shown is never "connected" without an answer behind it.
	ContactAt time.Time
	ContactOK bool
}

// SyncEvent tells a face that the status changed, and why.
type SyncEvent struct {
	Status   SyncStatus    // a copy: the face may keep it
	Progress *SyncProgress // the batch report behind the change, if any
	PassEnd  bool          // a pass has just ended
}

// SyncService is the background sender: a Serve loop that sends the due outbox entries, then
// sleeps until the next retry is due, the poll interval passes or someone wakes it. Pause,
// Resume, SendNow, Wake, Reload and SetActor may be called from any goroutine.
type SyncService struct {
	w *Workflow
	// Poll is how often the outbox is looked at when nothing wakes the loop (30 s).
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the retry delays (0: the client's defaults).
	MinBackoff, MaxBackoff time.Duration
	// StopOnFatal makes Serve return a fault no retry mends instead of reporting it and
	// polling on (the command line; the window keeps going).
	StopOnFatal bool
	// OnEvent, when set, receives every status change, on the loop's goroutine.
	OnEvent func(SyncEvent)
	// Server, when set, overrides the enrolled server address.
	Server string

	mu     sync.Mutex
	actor  queue.User
	c      *client.Client
	cfg    string // the settings c was made from
	paused bool
	now    bool
	kick   chan struct{}
	status SyncStatus
}

// NewSyncService makes the sender for actor (named in the audit events of what it sends
// and holds).
func (w *Workflow) NewSyncService(actor queue.User) *SyncService {
	return &SyncService{w: w, Poll: client.DefaultPollInterval, actor: actor, kick: make(chan struct{}, 1),
		status: SyncStatus{Batches: map[string]SyncProgress{}}}
}

// SetActor names another signed-in user in what is sent from the next pass on.
func (s *SyncService) SetActor(u queue.User) {
	s.mu.Lock()
	s.actor = u
	s.mu.Unlock()
}

// Wake makes the loop look at the outbox now (a batch was just signed).
func (s *SyncService) Wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// SendNow makes the next pass try every waiting batch at once, back-off or not.
func (s *SyncService) SendNow() {
	s.mu.Lock()
	s.now = true
	s.mu.Unlock()
	s.Wake()
}

// Reload makes the loop read the sync settings again now (after enrolling).
func (s *SyncService) Reload() {
	s.mu.Lock()
	s.cfg = ""
	s.mu.Unlock()
	s.Wake()
}

// Pause stops sending at once (the upload in flight is cut; it is redone from its manifest).
func (s *SyncService) Pause() { s.setPaused(true) }

// Resume undoes Pause.
func (s *SyncService) Resume() { s.setPaused(false) }

func (s *SyncService) setPaused(p bool) {
	s.mu.Lock()
	s.paused = p
	s.status.Paused = p
	c := s.c
	s.mu.Unlock()
	if c != nil {
		if p {
			c.Pause()
		} else {
			c.Resume()
		}
	}
	s.emit(nil, false)
	s.Wake()
}

// Paused tells whether sending is paused.
func (s *SyncService) Paused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}

// Status is a copy of the current status.
func (s *SyncService) Status() SyncStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshot()
}

func (s *SyncService) snapshot() SyncStatus {
	st := s.status
	st.Batches = maps.Clone(s.status.Batches)
	return st
}

func (s *SyncService) emit(p *SyncProgress, passEnd bool) {
	s.mu.Lock()
	ev := SyncEvent{Status: s.snapshot(), Progress: p, PassEnd: passEnd}
	s.mu.Unlock()
	if s.OnEvent != nil {
		s.OnEvent(ev)
	}
}

// update changes the status under the lock, then tells OnEvent.
func (s *SyncService) update(fn func(st *SyncStatus), p *SyncProgress, passEnd bool) {
	s.mu.Lock()
	fn(&s.status)
	s.mu.Unlock()
	s.emit(p, passEnd)
}

// settingsKey is what the client is made from: when it changes, the client is made again.
func (s *SyncService) settingsKey(ctx context.Context) (string, error) {
	k := ""
	for _, name := range []string{client.SettingServer, client.SettingToken, client.SettingReceiptKey, client.SettingTLSPin,
		client.SettingClientCert, client.SettingClientKey} {
		v, err := s.w.Store.Setting(ctx, name)
		if err != nil {
			return "", err
		}
		k += name + "=" + v + "\n"
	}
	return k, nil
}

// client is the client for the current settings (made again when they changed).
func (s *SyncService) client(ctx context.Context) (*client.Client, error) {
	key, err := s.settingsKey(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	c, cfg, actor := s.c, s.cfg, s.actor
	s.mu.Unlock()
	if c != nil && cfg == key {
		return c, nil
	}
	c, err = client.FromStore(ctx, s.w.Store, actor)
	if err != nil {
		s.mu.Lock()
		s.c, s.cfg = nil, ""
		s.mu.Unlock()
		return nil, err
	}
	if s.Server != "" {
		c.BaseURL = s.Server
	}
	if s.MinBackoff > 0 {
		c.MinBackoff = s.MinBackoff
	}
	if s.MaxBackoff > 0 {
		c.MaxBackoff = s.MaxBackoff
	}
	c.Progress = func(p client.Progress) {
		sp := syncProgress(p)
		s.update(func(st *SyncStatus) { st.progress(sp) }, &sp, false)
	}
	s.mu.Lock()
	if s.paused {
		c.Pause()
	}
	s.c, s.cfg = c, key
	s.mu.Unlock()
	return c, nil
}

// Serve runs the loop until ctx ends (nil), or, with StopOnFatal, until a fault no retry
// mends (that error).
func (s *SyncService) Serve(ctx context.Context) error {
	if s.Poll <= 0 {
		s.Poll = client.DefaultPollInterval
	}
	for {
		c, err := s.client(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			s.update(func(st *SyncStatus) {
				st.Known, st.Enrolled, st.StartErr, st.Sending = true, false, nil, false
				st.Rounds++
				if !errors.Is(err, ErrNotEnrolled) {
					st.StartErr = err
				}
			}, nil, false)
			if s.StopOnFatal {
				return err
			}
			if !s.sleep(ctx, s.Poll) {
				return nil
			}
			continue
		}
		s.update(func(st *SyncStatus) {
			st.Known, st.Enrolled, st.StartErr = true, true, nil
			st.Server, st.Key = c.BaseURL, c.ReceiptKey
		}, nil, false)
		if c.Paused() {
			s.update(func(st *SyncStatus) { st.Rounds++; st.Sending = false }, nil, false)
			select {
			case <-ctx.Done():
				return nil
			case <-s.kick:
				continue
			}
		}
		s.mu.Lock()
		all := s.now
		s.now = false
		c.Actor = s.actor // the client is used by this goroutine only
		s.mu.Unlock()
		s.update(func(st *SyncStatus) { st.Sending = true }, nil, false)
		sum, err := c.RunPass(ctx, all)
		if ctx.Err() != nil {
			return nil
		}
		if c.Paused() {
			err = nil // the pass was cut by Pause
		}
		s.update(func(st *SyncStatus) { st.passDone(sum, err) }, nil, true)
		if err != nil && s.StopOnFatal {
			return err
		}
		wait := s.Poll
		if !sum.NextDue.IsZero() {
			if d := time.Until(sum.NextDue); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		if !s.sleep(ctx, wait) {
			return nil
		}
	}
}

// sleep waits for d, a wake-up or the end of ctx (false).
func (s *SyncService) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-s.kick:
	}
	return true
}

// progress takes one report of the client.
func (st *SyncStatus) progress(p SyncProgress) {
	prev, had := st.Batches[p.BatchID]
	switch p.Phase {
	case SyncRetry, SyncHeld:
		// these reports carry no blob counts: keep the last ones
		if had {
			prev.Phase, prev.Err, prev.NextAttempt = p.Phase, p.Err, p.NextAttempt
			p = prev
		}
		if p.Phase == SyncRetry {
			st.Offline, st.RetryAt, st.LastErr = true, p.NextAttempt, p.Err
			st.ContactAt, st.ContactOK = time.Now(), false
		} else {
			st.ContactAt, st.ContactOK = time.Now(), true // the server answered: it refused the batch
		}
	default:
		if p.Phase != SyncManifest && had && p.BytesSent >= prev.BytesSent {
			st.SentBytes += p.BytesSent - prev.BytesSent
		} else {
			st.SentBytes += p.BytesSent
		}
		if p.Phase == SyncDone {
			st.SentBatches++
			st.Offline, st.LastErr = false, ""
			st.ContactAt, st.ContactOK = time.Now(), true
		}
	}
	st.Batches[p.BatchID] = p
}

// passDone takes the outcome of one pass.
func (st *SyncStatus) passDone(sum client.Summary, err error) {
	st.Sending = false
	st.Rounds++
	st.PassErr = err
	switch {
	case sum.Retry > 0 && sum.Done == 0:
		st.Offline, st.RetryAt = true, sum.NextDue
	case err == nil && (sum.Done > 0 || sum.Held > 0):
		st.Offline, st.LastErr = false, ""
	case err == nil && !sum.NextDue.IsZero() && st.Offline:
		st.RetryAt = sum.NextDue // still waiting to retry: offline until an attempt gets through
	case err == nil && sum.NextDue.IsZero():
		st.Offline = false // nothing waits; the last contact tells how the server was
	}
}

// OutboxView is the outbox as the sync panel shows it.
type OutboxView struct {
	Pending []queue.OutboxEntry
	Held    []queue.OutboxEntry
	Done    []SyncReceipt    // newest first, at most the number asked for
	DoneN   int              // every done entry
	Sizes   map[string]int64 // bytes of each pending batch's blobs
	BlobsOf map[string]int   // blobs of each pending batch
}

// SyncReceipt is a synced batch with the server's receipt, checked with the pinned key.
type SyncReceipt struct {
	Entry   queue.OutboxEntry
	Receipt wire.Receipt
	Err     error // the stored receipt does not verify with the pinned key
}

// Outbox reads the outbox: pending batches with their sizes, held ones with the server's
// reasons, and the latest receipts (at most receipts), each verified with key (the receipt
// key pinned at enrollment; nil: not enrolled).
func (w *Workflow) Outbox(ctx context.Context, key ed25519.PublicKey, receipts int) (OutboxView, error) {
	st := w.Store
	d := OutboxView{Sizes: map[string]int64{}, BlobsOf: map[string]int{}}
	var err error
	if d.Pending, err = st.Outbox(ctx, queue.OutboxPending); err != nil {
		return d, err
	}
	if d.Held, err = st.Outbox(ctx, queue.OutboxHeld); err != nil {
		return d, err
	}
	done, err := st.Outbox(ctx, queue.OutboxDone)
	if err != nil {
		return d, err
	}
	d.DoneN = len(done)
	sort.SliceStable(done, func(i, j int) bool { return done[i].Seq > done[j].Seq })
	for _, e := range done[:min(len(done), receipts)] {
		r := SyncReceipt{Entry: e}
		if len(key) == ed25519.PublicKeySize {
			r.Receipt, r.Err = wire.VerifyReceipt(key, e.Receipt)
		} else {
			r.Err = ErrNotEnrolled
		}
		d.Done = append(d.Done, r)
	}
	for _, e := range d.Pending {
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
				d.Sizes[e.BatchID] += doc.PDFSize
			}
			for _, p := range doc.Pages {
				if !seen[p.SHA256] {
					seen[p.SHA256] = true
					d.Sizes[e.BatchID] += p.Size
				}
			}
		}
		d.BlobsOf[e.BatchID] = len(seen)
	}
	return d, nil
}
