package queue_test

import (
	"context"
	"errors"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/synctest"
)

func TestOutboxLifecycle(t *testing.T) {
	ctx := context.Background()
	w, err := synctest.NewWorkstation(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Store.Close()
	pki, err := synctest.NewPKI("Người Ký")
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	var ids []string
	for i := 0; i < 3; i++ {
		id, err := w.SignedBatch(ctx, pki, synctest.BatchSpec{Office: "HN-01", Documents: 2}, rng)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	st := w.Store
	pend, err := st.Outbox(ctx, queue.OutboxPending)
	if err != nil || len(pend) != 3 {
		t.Fatalf("pending = %d, %v", len(pend), err)
	}
	for i, e := range pend {
		if e.BatchID != ids[i] || (i > 0 && e.Seq <= pend[i-1].Seq) {
			t.Fatalf("entry %d = %+v, want batch %s in seq order", i, e, ids[i])
		}
	}

	// A failed attempt postpones the entry; it is not due before its time.
	now := time.Now()
	if err := st.OutboxAttempt(ctx, ids[0], "unavailable: down", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	due, _ := st.DueOutbox(ctx, now)
	if len(due) != 2 || due[0].BatchID != ids[1] {
		t.Fatalf("due now = %+v", due)
	}
	due, _ = st.DueOutbox(ctx, now.Add(2*time.Minute))
	if len(due) != 3 || due[0].Attempts != 1 || due[0].LastError != "unavailable: down" {
		t.Fatalf("due later = %+v", due)
	}

	// Complete: receipt stored, batch synced; again with the same receipt: no-op.
	rec := []byte(`{"receipt":{},"signature":"x"}`)
	for i := 0; i < 2; i++ {
		if err := st.OutboxComplete(ctx, w.Supervisor, ids[0], rec); err != nil {
			t.Fatalf("complete %d: %v", i, err)
		}
	}
	if err := st.OutboxComplete(ctx, w.Supervisor, ids[0], []byte("other")); !errors.Is(err, queue.ErrOutboxState) {
		t.Fatalf("complete with another receipt: %v", err)
	}
	e, err := st.OutboxEntryOf(ctx, ids[0])
	if err != nil || e.Status != queue.OutboxDone || string(e.Receipt) != string(rec) {
		t.Fatalf("entry = %+v, %v", e, err)
	}
	if b, _ := st.Batch(ctx, ids[0]); b.State != queue.StateSynced {
		t.Fatalf("batch state %s, want synced", b.State)
	}
	if err := st.OutboxAttempt(ctx, ids[0], "x", now); !errors.Is(err, queue.ErrOutboxState) {
		t.Fatalf("attempt on done entry: %v", err)
	}

	// Hold: the batch goes back to review with the reason on the entry.
	reason := "verification_failed: Chữ ký không hợp lệ / signature does not verify"
	if err := st.OutboxHold(ctx, w.Supervisor, ids[1], reason); err != nil {
		t.Fatal(err)
	}
	if b, _ := st.Batch(ctx, ids[1]); b.State != queue.StateReturned {
		t.Fatalf("held batch state %s, want returned", b.State)
	}
	// The clerks see the server's reason with the review comments.
	if cs, err := st.Comments(ctx, ids[1]); err != nil || len(cs) != 1 || !strings.Contains(cs[0].Body, reason) {
		t.Fatalf("comments of the held batch: %+v, %v", cs, err)
	}
	if err := st.OutboxComplete(ctx, w.Supervisor, ids[1], rec); !errors.Is(err, queue.ErrOutboxState) {
		t.Fatalf("complete a held entry: %v", err)
	}
	e, _ = st.OutboxEntryOf(ctx, ids[1])
	if e.Status != queue.OutboxHeld || e.LastError != reason {
		t.Fatalf("held entry = %+v", e)
	}
	c, err := st.OutboxCounts(ctx)
	if err != nil || c != (queue.OutboxCounts{Pending: 1, Held: 1, Done: 1}) {
		t.Fatalf("counts = %+v, %v", c, err)
	}
	if err := st.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}

	// Settings in one transaction.
	if err := st.SetSettings(ctx, w.Admin, map[string]string{"a": "1", "b": "2"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Setting(ctx, "b"); v != "2" {
		t.Fatalf("setting b = %q", v)
	}
	f, n, err := st.Blobs.OpenBlob(queue.HashBytes(nil))
	if !errors.Is(err, queue.ErrBlobMissing) {
		t.Fatalf("open missing blob: %v %v %d", f, err, n)
	}
}
