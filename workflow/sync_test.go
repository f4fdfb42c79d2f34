package workflow_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/workflow"
)

// central is a real central server (synctest.Central) trusting its own test PKI.
type central struct {
	*synctest.Central
	t   *testing.T
	pki *synctest.PKI
	pin string
	hs  *httptest.Server
}

func newCentral(t *testing.T) *central {
	t.Helper()
	pki, err := synctest.NewPKI("Trần Văn Kiểm")
	if err != nil {
		t.Fatal(err)
	}
	c, err := synctest.NewCentral(context.Background(), t.TempDir(), pki.Roots())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &central{Central: c, t: t, pki: pki, pin: c.Pin, hs: c.Server}
}

func (c *central) code(office string) string {
	c.t.Helper()
	code, err := c.EnrollCode(context.Background(), office)
	if err != nil {
		c.t.Fatal(err)
	}
	return code
}

func (c *central) committed(id string) bool { return c.Committed(context.Background(), id) }

// until waits for cond, failing after a deadline (a hang, not a speed threshold).
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestEnrollThenSyncService: the sync service runs on a workstation that is not enrolled
// (it says so and keeps looking); an administrator enrolls through the workflow (others are
// refused, a non-https address is refused) and the running service picks the new server up
// without a restart; it sends the signed batches, holds the one the server refuses as a
// state (not an error), pauses and resumes.
func TestEnrollThenSyncService(t *testing.T) {
	c := newCentral(t)
	w := newWorld(t)
	good, err := w.ws.SignedBatch(w.ctx, c.pki, synctest.BatchSpec{Office: "HN-01", Documents: 2}, w.rng)
	if err != nil {
		t.Fatal(err)
	}
	svc := w.wf.NewSyncService(w.ws.Clerk)
	svc.Poll, svc.MinBackoff, svc.MaxBackoff = time.Hour, 10*time.Millisecond, 50*time.Millisecond
	events := make(chan workflow.SyncEvent, 1000)
	svc.OnEvent = func(ev workflow.SyncEvent) {
		select {
		case events <- ev:
		default:
		}
	}
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	until(t, "the service reads the settings", func() bool { s := svc.Status(); return s.Known && !s.Enrolled })
	if _, err := w.wf.SyncOnce(w.ctx, w.ws.Clerk, workflow.SyncInput{}, nil); !errors.Is(err, workflow.ErrNotEnrolled) {
		t.Fatalf("sync before enrolling: %v", err)
	}

	if _, err := w.wf.Enroll(w.ctx, w.ws.Supervisor, workflow.EnrollInput{Server: c.hs.URL, Code: c.code("HN-01"), Fingerprint: c.pin}, nil); !errors.Is(err, queue.ErrNotPermitted) {
		t.Fatalf("a supervisor enrolls: %v", err)
	}
	if _, err := w.wf.Enroll(w.ctx, w.ws.Admin, workflow.EnrollInput{Server: "http://x", Code: "c"}, nil); !errors.Is(err, workflow.ErrServerURL) {
		t.Fatalf("plain http: %v", err)
	}
	res, err := w.wf.Enroll(w.ctx, w.ws.Admin, workflow.EnrollInput{Server: c.hs.URL, Code: c.code("HN-01"), Fingerprint: c.pin}, nil)
	if err != nil || res.Office != "HN-01" || res.Fingerprint != c.pin {
		t.Fatalf("enroll: %+v, %v", res, err)
	}
	svc.Reload()
	until(t, "the batch is sent", func() bool { return svc.Status().SentBatches == 1 && c.committed(good) })
	if s := svc.Status(); !s.Enrolled || s.Server != c.hs.URL || s.PassErr != nil || s.Batches[good].Phase != workflow.SyncDone {
		t.Fatalf("status after sending: %+v", s)
	}

	// A batch signed by someone the server does not trust: held, with the reason; the pass
	// has no error.
	stranger, _ := synctest.NewPKI("Người Lạ")
	bad, err := w.ws.SignedBatch(w.ctx, stranger, synctest.BatchSpec{Office: "HN-01"}, w.rng)
	if err != nil {
		t.Fatal(err)
	}
	svc.Wake()
	until(t, "the refused batch is held", func() bool {
		s := svc.Status()
		return s.Batches[bad].Phase == workflow.SyncHeld && !s.Sending
	})
	if s := svc.Status(); s.PassErr != nil || s.Batches[bad].Err == "" || !s.ContactOK {
		t.Fatalf("status with a held batch: %+v", s)
	}
	if e, _ := w.ws.Store.OutboxEntryOf(w.ctx, bad); e.Status != queue.OutboxHeld {
		t.Fatalf("outbox entry %+v", e)
	}
	if r, err := w.wf.SyncOnce(w.ctx, w.ws.Clerk, workflow.SyncInput{}, nil); err != nil || r.Outbox.Held != 1 || r.Outbox.Done != 1 || r.Outbox.Pending != 0 {
		t.Fatalf("sync once with a held batch: %+v, %v", r, err)
	}

	// Paused: a new batch stays pending however often the service wakes; resumed: sent.
	svc.Pause()
	r0 := svc.Status().Rounds
	until(t, "the pause is seen", func() bool { return svc.Status().Rounds > r0 })
	third, err := w.ws.SignedBatch(w.ctx, c.pki, synctest.BatchSpec{Office: "HN-01"}, w.rng)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		r := svc.Status().Rounds
		svc.Wake()
		until(t, "a round while paused", func() bool { return svc.Status().Rounds > r })
	}
	if c.committed(third) {
		t.Fatal("sent while paused")
	}
	svc.Resume()
	until(t, "sent after resume", func() bool { return c.committed(third) && svc.Status().SentBatches == 2 })
	if len(events) == 0 {
		t.Fatal("no events")
	}
	ov, err := w.wf.Outbox(w.ctx, svc.Status().Key, 10)
	if err != nil || len(ov.Done) != 2 || ov.Done[0].Err != nil || ov.Done[0].Receipt.Office != "HN-01" || len(ov.Held) != 1 {
		t.Fatalf("outbox view %+v, %v", ov, err)
	}
}

// TestSyncOnceOffline: a server that does not answer leaves the batch pending with a retry
// time; SyncOnce reports it without an error.
func TestSyncOnceOffline(t *testing.T) {
	c := newCentral(t)
	w := newWorld(t)
	if _, err := w.wf.Enroll(w.ctx, w.ws.Admin, workflow.EnrollInput{Server: c.hs.URL, Code: c.code("HN-01"), Fingerprint: c.pin}, nil); err != nil {
		t.Fatal(err)
	}
	id, err := w.ws.SignedBatch(w.ctx, c.pki, synctest.BatchSpec{Office: "HN-01"}, w.rng)
	if err != nil {
		t.Fatal(err)
	}
	c.hs.Close()
	var phases []workflow.SyncPhase
	r, err := w.wf.SyncOnce(w.ctx, w.ws.Clerk, workflow.SyncInput{}, func(ev workflow.Event) {
		if p, ok := ev.Detail.(workflow.SyncProgress); ok {
			phases = append(phases, p.Phase)
		}
	})
	if err != nil || r.Retry != 1 || r.Outbox.Pending != 1 || r.NextDue.IsZero() {
		t.Fatalf("offline pass: %+v, %v", r, err)
	}
	if len(phases) == 0 || phases[len(phases)-1] != workflow.SyncRetry {
		t.Fatalf("phases %v", phases)
	}
	if e, _ := w.ws.Store.OutboxEntryOf(w.ctx, id); e.Status != queue.OutboxPending || e.Attempts != 1 {
		t.Fatalf("entry %+v", e)
	}
}
