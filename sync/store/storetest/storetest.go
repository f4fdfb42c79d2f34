package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/store"
)

// Run runs every test of the suite; open must return a fresh, empty store (closed by the suite).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"EnrollOneTime", testEnrollOneTime},
		{"EnrollExpired", testEnrollExpired},
		{"Revoke", testRevoke},
		{"PutManifest", testPutManifest},
		{"CommitIdempotent", testCommitIdempotent},
		{"CommitOutOfOrder", testCommitOutOfOrder},
		{"CommitConcurrent", testCommitConcurrent},
		{"CommitRefused", testCommitRefused},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

func hash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func enroll(t *testing.T, s store.Store, id, office string) store.Workstation {
	t.Helper()
	ctx := context.Background()
	code := hash("code-" + id)
	if err := s.CreateEnrollCode(ctx, code, office, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ws, err := s.Enroll(ctx, code, store.Workstation{ID: id, Name: "máy " + id, TokenHash: hash("token-" + id)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func testEnrollOneTime(t *testing.T, s store.Store) {
	ctx := context.Background()
	code := hash("c1")
	if err := s.CreateEnrollCode(ctx, code, "HN-01", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ws, err := s.Enroll(ctx, code, store.Workstation{ID: "ws-1", Name: "Máy 1", TokenHash: hash("tok1"), Office: "IGNORED"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if ws.Office != "HN-01" {
		t.Fatalf("office = %q, want the code's office HN-01", ws.Office)
	}
	if _, err := s.Enroll(ctx, code, store.Workstation{ID: "ws-2", Name: "x", TokenHash: hash("tok2")}, t0); !errors.Is(err, store.ErrCodeInvalid) {
		t.Fatalf("second use of a code: %v, want ErrCodeInvalid", err)
	}
	if _, err := s.Enroll(ctx, hash("nope"), store.Workstation{ID: "ws-3", Name: "x", TokenHash: hash("tok3")}, t0); !errors.Is(err, store.ErrCodeInvalid) {
		t.Fatalf("unknown code: %v, want ErrCodeInvalid", err)
	}
	if _, err := s.Workstation(ctx, "ws-2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused enrollment created a workstation: %v", err)
	}
	got, err := s.WorkstationByToken(ctx, hash("tok1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "ws-1" || got.Name != "Máy 1" || got.Office != "HN-01" || got.RevokedAt != nil || !got.CreatedAt.Equal(t0) {
		t.Fatalf("workstation read back = %+v", got)
	}
	if _, err := s.WorkstationByToken(ctx, hash("tok2")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown token: %v, want ErrNotFound", err)
	}
}

func testEnrollExpired(t *testing.T, s store.Store) {
	ctx := context.Background()
	code := hash("old")
	if err := s.CreateEnrollCode(ctx, code, "HN-01", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enroll(ctx, code, store.Workstation{ID: "ws-1", Name: "x", TokenHash: hash("t")}, t0.Add(time.Second)); !errors.Is(err, store.ErrCodeInvalid) {
		t.Fatalf("expired code: %v, want ErrCodeInvalid", err)
	}
}

func testRevoke(t *testing.T, s store.Store) {
	ctx := context.Background()
	enroll(t, s, "ws-a", "HN-01")
	enroll(t, s, "ws-b", "HN-02")
	if err := s.Revoke(ctx, "ws-a", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, "ws-a", t0.Add(time.Hour)); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if err := s.Revoke(ctx, "ws-zzz", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v, want ErrNotFound", err)
	}
	a, err := s.WorkstationByToken(ctx, hash("token-ws-a"))
	if err != nil {
		t.Fatal(err)
	}
	if a.RevokedAt == nil || !a.RevokedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("revoked_at = %v, want the first revocation time", a.RevokedAt)
	}
	all, err := s.Workstations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[1].RevokedAt != nil {
		t.Fatalf("workstations = %+v", all)
	}
}

func batch(id, ws string, seq int64, manifest string) store.Batch {
	return store.Batch{ID: id, WorkstationID: ws, Office: "HN-01", Seq: seq, Manifest: []byte(manifest), ManifestSHA256: hash(manifest)}
}

const (
	b1 = "01900000-0000-7000-8000-000000000001"
	b2 = "01900000-0000-7000-8000-000000000002"
	b3 = "01900000-0000-7000-8000-000000000003"
)

func testPutManifest(t *testing.T, s store.Store) {
	ctx := context.Background()
	enroll(t, s, "ws-a", "HN-01")
	enroll(t, s, "ws-b", "HN-01")
	if _, err := s.Batch(ctx, b1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown batch: %v", err)
	}
	if err := s.PutManifest(ctx, batch(b1, "ws-a", 1, `{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutManifest(ctx, batch(b1, "ws-a", 1, `{"v":1}`)); err != nil {
		t.Fatalf("same manifest again: %v", err)
	}
	if err := s.PutManifest(ctx, batch(b1, "ws-a", 2, `{"v":2}`)); err != nil {
		t.Fatalf("replacing a pending manifest: %v", err)
	}
	if err := s.PutManifest(ctx, batch(b1, "ws-b", 1, `{"v":2}`)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("another workstation's batch: %v, want ErrConflict", err)
	}
	b, err := s.Batch(ctx, b1)
	if err != nil {
		t.Fatal(err)
	}
	if string(b.Manifest) != `{"v":2}` || b.Seq != 2 || b.Committed || b.Receipt != nil || b.WorkstationID != "ws-a" {
		t.Fatalf("batch = %+v", b)
	}
}

func docs(n int, tag string) []store.Document {
	var out []store.Document
	for i := 0; i < n; i++ {
		out = append(out, store.Document{ID: fmt.Sprintf("d%02d", i), PDFSHA256: hash(fmt.Sprint(tag, "pdf", i)), PDFSize: int64(100 + i),
			Pages: []string{hash(fmt.Sprint(tag, "p", i, 0)), hash(fmt.Sprint(tag, "p", i, 1))}})
	}
	return out
}

func commit(id, ws string, seq int64, receipt string) store.Commit {
	return store.Commit{BatchID: id, WorkstationID: ws, Seq: seq, Documents: docs(3, id), Receipt: []byte(receipt), CommittedAt: t0.Add(time.Duration(seq) * time.Minute)}
}

func testCommitIdempotent(t *testing.T, s store.Store) {
	ctx := context.Background()
	enroll(t, s, "ws-a", "HN-01")
	if err := s.PutManifest(ctx, batch(b1, "ws-a", 1, `{"m":1}`)); err != nil {
		t.Fatal(err)
	}
	r1, first, err := s.CommitBatch(ctx, commit(b1, "ws-a", 1, "receipt-one"))
	if err != nil || !first || string(r1) != "receipt-one" {
		t.Fatalf("first commit: %q %v %v", r1, first, err)
	}
	r2, first, err := s.CommitBatch(ctx, commit(b1, "ws-a", 1, "receipt-two"))
	if err != nil || first || string(r2) != "receipt-one" {
		t.Fatalf("second commit: %q first=%v err=%v, want the first receipt", r2, first, err)
	}
	got, err := s.Documents(ctx, b1)
	if err != nil {
		t.Fatal(err)
	}
	want := docs(3, b1)
	if len(got) != len(want) {
		t.Fatalf("%d documents stored, want %d (exactly once)", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].PDFSHA256 != want[i].PDFSHA256 || got[i].PDFSize != want[i].PDFSize ||
			len(got[i].Pages) != 2 || got[i].Pages[0] != want[i].Pages[0] || got[i].Pages[1] != want[i].Pages[1] {
			t.Fatalf("document %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	b, err := s.Batch(ctx, b1)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Committed || string(b.Receipt) != "receipt-one" || b.CommittedAt == nil || !b.CommittedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("batch after commit = %+v", b)
	}
	if err := s.PutManifest(ctx, batch(b1, "ws-a", 1, `{"m":1}`)); err != nil {
		t.Fatalf("same manifest after commit: %v", err)
	}
	if err := s.PutManifest(ctx, batch(b1, "ws-a", 1, `{"m":"changed"}`)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("changed manifest after commit: %v, want ErrConflict", err)
	}
}

func testCommitOutOfOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	enroll(t, s, "ws-a", "HN-01")
	for i, id := range []string{b1, b2, b3} {
		if err := s.PutManifest(ctx, batch(id, "ws-a", int64(i+1), id)); err != nil {
			t.Fatal(err)
		}
	}
	// Sequence 3 arrives first, then 1, then 3 again, then 2.
	for _, c := range []store.Commit{commit(b3, "ws-a", 3, "r3"), commit(b1, "ws-a", 1, "r1"), commit(b3, "ws-a", 3, "r3-again"), commit(b2, "ws-a", 2, "r2")} {
		if _, _, err := s.CommitBatch(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	ws, err := s.Workstation(ctx, "ws-a")
	if err != nil {
		t.Fatal(err)
	}
	if ws.AckedSeq != 3 {
		t.Fatalf("acknowledged sequence = %d, want 3 (the highest)", ws.AckedSeq)
	}
	for _, id := range []string{b1, b2, b3} {
		d, err := s.Documents(ctx, id)
		if err != nil || len(d) != 3 {
			t.Fatalf("batch %s: %d documents (%v), want 3", id, len(d), err)
		}
	}
	b, _ := s.Batch(ctx, b3)
	if string(b.Receipt) != "r3" {
		t.Fatalf("receipt of b3 = %q, want r3", b.Receipt)
	}
}

func testCommitConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	enroll(t, s, "ws-a", "HN-01")
	if err := s.PutManifest(ctx, batch(b1, "ws-a", 7, "m")); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	receipts := make([]string, n)
	firsts := make([]bool, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, f, err := s.CommitBatch(ctx, commit(b1, "ws-a", 7, fmt.Sprint("receipt-", i)))
			receipts[i], firsts[i], errs[i] = string(r), f, err
		}(i)
	}
	wg.Wait()
	nfirst := 0
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("commit %d: %v", i, errs[i])
		}
		if firsts[i] {
			nfirst++
		}
		if receipts[i] != receipts[0] {
			t.Fatalf("commit %d got receipt %q, commit 0 got %q", i, receipts[i], receipts[0])
		}
	}
	if nfirst != 1 {
		t.Fatalf("%d commits claimed to be first, want exactly 1", nfirst)
	}
	d, err := s.Documents(ctx, b1)
	if err != nil || len(d) != 3 {
		t.Fatalf("%d documents (%v), want 3", len(d), err)
	}
}

func testCommitRefused(t *testing.T, s store.Store) {
	ctx := context.Background()
	enroll(t, s, "ws-a", "HN-01")
	enroll(t, s, "ws-b", "HN-01")
	if _, _, err := s.CommitBatch(ctx, commit(b1, "ws-a", 1, "r")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("commit without manifest: %v, want ErrNotFound", err)
	}
	if err := s.PutManifest(ctx, batch(b1, "ws-a", 1, "m")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CommitBatch(ctx, commit(b1, "ws-b", 1, "r")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("commit by another workstation: %v, want ErrConflict", err)
	}
	if d, _ := s.Documents(ctx, b1); len(d) != 0 {
		t.Fatalf("refused commit stored %d documents", len(d))
	}
	ws, _ := s.Workstation(ctx, "ws-b")
	if ws.AckedSeq != 0 {
		t.Fatalf("refused commit moved the acknowledged sequence to %d", ws.AckedSeq)
	}
}
