package queue_test

import (
	"context"
	"errors"
	mrand "math/rand/v2"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/synctest"
)

// stateMoves lists a batch's audited state changes ("from→to"), oldest first.
func stateMoves(t *testing.T, st *queue.Store, batchID string) []string {
	t.Helper()
	ev, err := st.AuditLog(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(ev) - 1; i >= 0; i-- { // AuditLog is newest first
		if ev[i].Action == "batch.state" && ev[i].Object == "batch:"+batchID {
			move, _, _ := strings.Cut(ev[i].Detail, " ")
			out = append(out, move)
		}
	}
	return out
}

// TestBatchLifecycleThroughOneWriter follows batches through every step that changes a
// state — Transition, signing (MarkSigned), the outbox (sent, held by the server) — and finds
// each change audited once, in order, with the audit chain and the audited states intact;
// a change the state machine forbids is refused and changes nothing.
func TestBatchLifecycleThroughOneWriter(t *testing.T) {
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
	rng := mrand.New(mrand.NewPCG(3, 4))
	st := w.Store
	var ids []string
	for i := 0; i < 2; i++ {
		id, err := w.SignedBatch(ctx, pki, synctest.BatchSpec{Office: "HN-01", Documents: 1}, rng)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	signed := []string{"capturing→keying", "keying→review", "review→approved", "approved→signed"}
	for _, id := range ids {
		if got := stateMoves(t, st, id); strings.Join(got, " ") != strings.Join(signed, " ") {
			t.Fatalf("batch %s moves %v, want %v", id, got, signed)
		}
	}
	before, _ := st.Batch(ctx, ids[0])
	if err := st.OutboxComplete(ctx, w.Supervisor, ids[0], []byte(`{"receipt":{}}`)); err != nil {
		t.Fatal(err)
	}
	after, _ := st.Batch(ctx, ids[0])
	if after.State != queue.StateSynced || after.UpdatedAt <= before.UpdatedAt {
		t.Fatalf("after the receipt: %s, updated %s → %s", after.State, before.UpdatedAt, after.UpdatedAt)
	}
	if err := st.OutboxHold(ctx, w.Supervisor, ids[1], "wrong_office: sai đơn vị / wrong office"); err != nil {
		t.Fatal(err)
	}
	if got := stateMoves(t, st, ids[0]); got[len(got)-1] != "signed→synced" || len(got) != 5 {
		t.Fatalf("synced batch moves %v", got)
	}
	if got := stateMoves(t, st, ids[1]); got[len(got)-1] != "signed→returned" || len(got) != 5 {
		t.Fatalf("held batch moves %v", got)
	}
	// A synced batch goes nowhere; a returned one does not jump to approved.
	for _, c := range []struct {
		id string
		to queue.State
	}{{ids[0], queue.StateReturned}, {ids[0], queue.StateKeying}, {ids[1], queue.StateApproved}, {ids[1], queue.StateSigned}} {
		b0, _ := st.Batch(ctx, c.id)
		if err := st.Transition(ctx, w.Admin, c.id, c.to, ""); !errors.Is(err, queue.ErrBadTransition) {
			t.Errorf("%s → %s: %v, want ErrBadTransition", b0.State, c.to, err)
		}
		if b1, _ := st.Batch(ctx, c.id); b1.State != b0.State || b1.UpdatedAt != b0.UpdatedAt {
			t.Errorf("refused %s → %s changed the batch: %s %s", b0.State, c.to, b1.State, b1.UpdatedAt)
		}
	}
	if err := st.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}
