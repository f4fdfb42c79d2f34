package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/client"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
)

type env struct {
	t     *testing.T
	st    store.Store
	blobs *store.LocalBlobs
	srv   *server.Server
	hs    *httptest.Server
	fp    string
	pki   *synctest.PKI
	ws    *synctest.Workstation
	c     *client.Client
	rng   *mrand.Rand
	// fault, when set, answers instead of the server.
	fault atomic.Pointer[func(http.ResponseWriter, *http.Request) bool]
}

// newEnv starts a real server (SQLite, signature verification trusting pki) over TLS and a
// workstation store enrolled with it.
func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	e := &env{t: t, rng: mrand.New(mrand.NewPCG(7, 7))}
	var err error
	if e.pki, err = synctest.NewPKI("Người Ký Thử"); err != nil {
		t.Fatal(err)
	}
	if e.st, err = store.OpenSQLite(ctx, filepath.Join(dir, "central.db")); err != nil {
		t.Fatal(err)
	}
	if e.blobs, err = store.NewLocalBlobs(filepath.Join(dir, "blobs")); err != nil {
		t.Fatal(err)
	}
	key, err := server.LoadOrCreateReceiptKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	e.srv, err = server.New(server.Config{DataDir: dir, Store: e.st, Blobs: e.blobs, Key: key, Rate: -1,
		Verifier: server.SignatureVerifier{Roots: e.pki.Roots()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.hs = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := e.fault.Load(); f != nil && (*f)(w, r) {
			return
		}
		e.srv.Handler().ServeHTTP(w, r)
	}))
	sum := sha256.Sum256(e.hs.Certificate().Raw)
	e.fp = hex.EncodeToString(sum[:])
	if e.ws, err = synctest.NewWorkstation(ctx, filepath.Join(dir, "ws")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.hs.Close(); e.st.Close(); e.ws.Store.Close() })
	code, err := server.NewEnrollCode(ctx, e.st, "HN-01", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := &client.Client{Store: e.ws.Store, Actor: e.ws.Admin, TLSFingerprint: e.fp, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	res, err := c.Enroll(ctx, e.hs.URL, code)
	if err != nil {
		t.Fatal(err)
	}
	own, _ := e.ws.Store.WorkstationID(ctx)
	if res.WorkstationID != own || res.PreviousID != "" || res.Office != "HN-01" || res.Fingerprint != e.fp {
		t.Fatalf("enroll = %+v, own id %s", res, own)
	}
	if e.c, err = client.FromStore(ctx, e.ws.Store, e.ws.Supervisor); err != nil {
		t.Fatal(err)
	}
	e.c.MinBackoff, e.c.MaxBackoff = 10*time.Millisecond, 50*time.Millisecond
	return e
}

func (e *env) batch(spec synctest.BatchSpec) string {
	e.t.Helper()
	if spec.Office == "" {
		spec.Office = "HN-01"
	}
	id, err := e.ws.SignedBatch(context.Background(), e.pki, spec, e.rng)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// checkCommitted asserts the central store holds the batch with every blob intact and that
// the local receipt is the server's and verifies.
func (e *env) checkCommitted(id string) {
	e.t.Helper()
	ctx := context.Background()
	b, err := e.st.Batch(ctx, id)
	if err != nil || !b.Committed {
		e.t.Fatalf("batch %s on the server: %+v, %v", id, b.Committed, err)
	}
	ent, err := e.ws.Store.OutboxEntryOf(ctx, id)
	if err != nil || ent.Status != queue.OutboxDone || !bytes.Equal(ent.Receipt, b.Receipt) {
		e.t.Fatalf("local entry %+v, %v", ent.Status, err)
	}
	if _, err := wire.VerifyReceipt(e.srv.PublicKey(), ent.Receipt); err != nil {
		e.t.Fatal(err)
	}
	m, _, _ := wire.DecodeManifest(bytes.NewReader(b.Manifest))
	for _, h := range m.Blobs() {
		rc, err := e.blobs.Open(ctx, h)
		if err != nil {
			e.t.Fatalf("blob %s: %v", h, err)
		}
		hs := sha256.New()
		buf := new(bytes.Buffer)
		buf.ReadFrom(rc)
		rc.Close()
		hs.Write(buf.Bytes())
		if hex.EncodeToString(hs.Sum(nil)) != h {
			e.t.Fatalf("blob %s damaged", h)
		}
	}
	if lb, _ := e.ws.Store.Batch(ctx, id); lb.State != queue.StateSynced {
		e.t.Fatalf("local batch state %s", lb.State)
	}
}

func TestEnrollAndSync(t *testing.T) {
	e := newEnv(t)
	ids := []string{e.batch(synctest.BatchSpec{Documents: 2, Pages: 2, SharedPageAt: 1}), e.batch(synctest.BatchSpec{}), e.batch(synctest.BatchSpec{Documents: 3})}
	var last map[string]client.Progress = map[string]client.Progress{}
	e.c.Progress = func(p client.Progress) {
		if prev, ok := last[p.BatchID]; ok && (p.BytesDone < prev.BytesDone || p.BlobsDone < prev.BlobsDone) {
			t.Errorf("progress went back: %+v after %+v", p, prev)
		}
		last[p.BatchID] = p
	}
	sum, err := e.c.RunOnce(context.Background())
	if err != nil || sum.Done != 3 || sum.Held != 0 || sum.Retry != 0 || len(sum.Receipts) != 3 {
		t.Fatalf("RunOnce = %+v, %v", sum, err)
	}
	for i, id := range ids {
		e.checkCommitted(id)
		p := last[id]
		if p.Phase != client.PhaseDone || p.BlobsDone != p.BlobsTotal || p.BytesDone != p.BytesTotal || p.BytesSent != p.BytesTotal || p.Receipt == nil {
			t.Errorf("batch %d final progress %+v", i, p)
		}
	}
	// Shared page: batch 0 has 2 PDFs + 3 distinct pages.
	if p := last[ids[0]]; p.BlobsTotal != 5 {
		t.Errorf("blobs of batch 0 = %d, want 5", p.BlobsTotal)
	}
	sum, err = e.c.RunOnce(context.Background())
	if err != nil || sum.Done+sum.Held+sum.Retry != 0 {
		t.Fatalf("second pass = %+v, %v", sum, err)
	}
	if c, _ := e.ws.Store.OutboxCounts(context.Background()); c.Pending != 0 || c.Done != 3 {
		t.Fatalf("counts %+v", c)
	}
}

// Blobs the server already holds for the office are not sent again, even after the entry is
// redone. A blob the server holds only for another office is sent all the same (the server
// does not tell one office what another holds; sync/PROTOCOL.md "Blobs belong to offices").
func TestOnlyMissingBlobsSent(t *testing.T) {
	e := newEnv(t)
	id := e.batch(synctest.BatchSpec{Documents: 2, Pages: 2})
	ctx := context.Background()
	raw, _, _ := e.ws.Store.BatchManifest(ctx, id)
	m, _, _ := wire.DecodeManifest(bytes.NewReader(raw))
	pre, other := m.Documents[0].PDFSHA256, m.Documents[1].PDFSHA256
	data, _ := e.ws.Store.Blobs.Get(pre)
	otherData, _ := e.ws.Store.Blobs.Get(other)
	for _, b := range []struct {
		sum    string
		data   []byte
		office string
	}{{pre, data, "HN-01"}, {other, otherData, "HCM-02"}} {
		if _, err := e.blobs.Put(ctx, b.sum, bytes.NewReader(b.data), 1<<30); err != nil {
			t.Fatal(err)
		}
		if err := e.st.AddOfficeBlob(ctx, b.office, b.sum); err != nil {
			t.Fatal(err)
		}
	}
	var final client.Progress
	e.c.Progress = func(p client.Progress) { final = p }
	if sum, err := e.c.RunOnce(ctx); err != nil || sum.Done != 1 {
		t.Fatalf("%+v %v", sum, err)
	}
	if final.BytesSent != final.BytesTotal-int64(len(data)) {
		t.Fatalf("sent %d of %d bytes; %d were already on the server for this office (and %d for another office, to be sent)",
			final.BytesSent, final.BytesTotal, len(data), len(otherData))
	}
	e.checkCommitted(id)
}

// A batch the server refuses for good is held and goes back to review with the reason.
func TestRefusedBatchHeld(t *testing.T) {
	e := newEnv(t)
	good := e.batch(synctest.BatchSpec{})
	stranger, err := synctest.NewPKI("Người Lạ")
	if err != nil {
		t.Fatal(err)
	}
	bad, err := e.ws.SignedBatch(context.Background(), stranger, synctest.BatchSpec{Office: "HN-01"}, e.rng)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := e.c.RunOnce(context.Background())
	if err != nil || sum.Done != 1 || sum.Held != 1 {
		t.Fatalf("%+v %v", sum, err)
	}
	e.checkCommitted(good)
	ent, _ := e.ws.Store.OutboxEntryOf(context.Background(), bad)
	if ent.Status != queue.OutboxHeld || !strings.HasPrefix(ent.LastError, "verification_failed: ") || !strings.Contains(ent.LastError, "trust store") {
		t.Fatalf("held entry %+v", ent)
	}
	if b, _ := e.ws.Store.Batch(context.Background(), bad); b.State != queue.StateReturned {
		t.Fatalf("refused batch state %s", b.State)
	}
	if _, err := e.st.Batch(context.Background(), bad); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused batch stored on the server: %v", err)
	}
}

// Temporary faults are retried later with backoff, honouring Retry-After; nothing is held.
func TestRetryAfterAndBackoff(t *testing.T) {
	e := newEnv(t)
	id := e.batch(synctest.BatchSpec{})
	var calls atomic.Int32
	f := func(w http.ResponseWriter, r *http.Request) bool {
		calls.Add(1)
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(503)
		fmt.Fprint(w, `{"code":"unavailable","message_vi":"bận","message_en":"busy"}`)
		return true
	}
	e.fault.Store(&f)
	before := time.Now()
	sum, err := e.c.RunOnce(context.Background())
	if err != nil || sum.Retry != 1 || sum.Held != 0 {
		t.Fatalf("%+v %v", sum, err)
	}
	ent, _ := e.ws.Store.OutboxEntryOf(context.Background(), id)
	if ent.Status != queue.OutboxPending || ent.Attempts != 1 || ent.NextAttempt.Sub(before) < 7*time.Second || !strings.HasPrefix(ent.LastError, "unavailable") {
		t.Fatalf("entry after 503: %+v", ent)
	}
	// Not due yet: RunOnce leaves it alone.
	n := calls.Load()
	if sum, _ := e.c.RunOnce(context.Background()); sum.Retry+sum.Done != 0 || calls.Load() != n {
		t.Fatalf("not-due entry was tried: %+v", sum)
	}
	e.fault.Store(nil)
	if sum, err := e.c.RunPass(context.Background(), true); err != nil || sum.Done != 1 {
		t.Fatalf("forced pass: %+v %v", sum, err)
	}
	e.checkCommitted(id)
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	e := newEnv(t)
	id := e.batch(synctest.BatchSpec{})
	e.hs.Close() // server gone: transport errors
	e.c.MinBackoff, e.c.MaxBackoff = time.Second, 5*time.Minute
	var prevMax time.Duration
	for i := 0; i < 12; i++ {
		start := time.Now()
		if _, err := e.c.RunPass(context.Background(), true); err != nil {
			t.Fatal(err)
		}
		ent, _ := e.ws.Store.OutboxEntryOf(context.Background(), id)
		d := ent.NextAttempt.Sub(start)
		hi := min(time.Second<<i, 5*time.Minute)
		if ent.Attempts != i+1 || d < hi/2-time.Second || d > hi+time.Second {
			t.Fatalf("attempt %d: delay %v, want in [%v, %v]", i+1, d, hi/2, hi)
		}
		prevMax = hi
	}
	if prevMax != 5*time.Minute {
		t.Fatalf("backoff did not reach its cap: %v", prevMax)
	}
}

func TestWrongFingerprintStops(t *testing.T) {
	e := newEnv(t)
	id := e.batch(synctest.BatchSpec{})
	cl, err := client.FromStore(context.Background(), e.ws.Store, e.ws.Supervisor)
	if err != nil {
		t.Fatal(err)
	}
	cl.TLSFingerprint = strings.Repeat("0", 64)
	_, err = cl.RunOnce(context.Background())
	if !errors.Is(err, client.ErrFingerprint) {
		t.Fatalf("RunOnce with a wrong pin: %v", err)
	}
	if ent, _ := e.ws.Store.OutboxEntryOf(context.Background(), id); ent.Status != queue.OutboxPending {
		t.Fatalf("entry %+v", ent)
	}
	if _, err := e.st.Batch(context.Background(), id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("sent despite the wrong pin: %v", err)
	}
}

// Large blobs go in chunks and resume from what the server holds.
func TestChunkedResume(t *testing.T) {
	e := newEnv(t)
	id := e.batch(synctest.BatchSpec{ImageSize: 64})
	ctx := context.Background()
	raw, _, _ := e.ws.Store.BatchManifest(ctx, id)
	m, _, _ := wire.DecodeManifest(bytes.NewReader(raw))
	pdfHash := m.Documents[0].PDFSHA256
	pdf, _ := e.ws.Store.Blobs.Get(pdfHash)
	e.c.ChunkThreshold, e.c.ChunkSize = 1000, 777
	// A first chunk arrived before a crash.
	var chunks atomic.Int32
	f := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == "PUT" && strings.Contains(r.URL.Path, pdfHash) {
			chunks.Add(1)
		}
		return false
	}
	e.fault.Store(&f)
	rq, _ := http.NewRequest("PUT", e.hs.URL+"/v1/blobs/"+pdfHash, bytes.NewReader(pdf[:500]))
	rq.Header.Set("Authorization", "Bearer "+e.c.Token)
	rq.Header.Set("Content-Range", fmt.Sprintf("bytes 0-499/%d", len(pdf)))
	resp, err := e.hs.Client().Do(rq)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("first chunk: %v %v", resp, err)
	}
	resp.Body.Close()
	chunks.Store(0)
	var final client.Progress
	e.c.Progress = func(p client.Progress) { final = p }
	if sum, err := e.c.RunOnce(ctx); err != nil || sum.Done != 1 {
		t.Fatalf("%+v %v", sum, err)
	}
	want := int32((len(pdf) - 500 + 776) / 777)
	if chunks.Load() != want {
		t.Fatalf("%d chunks sent for %d remaining bytes, want %d", chunks.Load(), len(pdf)-500, want)
	}
	if final.BytesSent != final.BytesTotal-500 {
		t.Fatalf("sent %d, want %d", final.BytesSent, final.BytesTotal-500)
	}
	e.checkCommitted(id)
}

func TestPauseResume(t *testing.T) {
	e := newEnv(t)
	id := e.batch(synctest.BatchSpec{})
	e.c.Pause()
	e.c.ExitWhenIdle = true
	done := make(chan error, 1)
	go func() { done <- e.c.Run(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Run returned while paused: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := e.st.Batch(context.Background(), id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("sent while paused: %v", err)
	}
	e.c.Resume()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	e.checkCommitted(id)
}

// A workstation id already enrolled is never given to another code.
func TestEnrollTakenID(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other, err := synctest.NewWorkstation(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Store.Close()
	mine, _ := e.ws.Store.WorkstationID(ctx)
	if err := other.Store.SetSettings(ctx, other.Admin, map[string]string{client.SettingWSID: mine}); err != nil {
		t.Fatal(err)
	}
	code, _ := server.NewEnrollCode(ctx, e.st, "HN-01", time.Hour, time.Now())
	c := &client.Client{Store: other.Store, Actor: other.Admin, TLSFingerprint: e.fp}
	res, err := c.Enroll(ctx, e.hs.URL, code)
	if err != nil {
		t.Fatal(err)
	}
	if res.WorkstationID == mine || res.PreviousID != mine {
		t.Fatalf("enroll with a taken id: %+v", res)
	}
	if now, _ := other.Store.WorkstationID(ctx); now != res.WorkstationID {
		t.Fatalf("local id %s, server's %s", now, res.WorkstationID)
	}
}
