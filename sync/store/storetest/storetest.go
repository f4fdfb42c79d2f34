package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
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
		{"Readers", testReaders},
		{"OfficeBlobs", testOfficeBlobs},
		{"CommittedBatches", testCommittedBatches},
		{"DocumentRows", testDocumentRows},
		{"DocumentRead", testDocumentRead},
		{"Fields", testFields},
		{"Dates", testDates},
		{"ArchiveFile", testArchiveFile},
		{"RateBuckets", testRateBuckets},
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

func testReaders(t *testing.T, s store.Store) {
	ctx := context.Background()
	r := store.Reader{ID: "rd-1", Name: "Cổng dữ liệu tỉnh", Offices: []string{"HN-01", "HCM-02"}, RecordTypes: []string{"khai-sinh"},
		TokenHash: hash("rtok1"), CreatedAt: t0}
	if err := s.CreateReader(ctx, r); err != nil {
		t.Fatal(err)
	}
	for _, dup := range []store.Reader{
		{ID: "rd-1", Name: "other", TokenHash: hash("x1"), CreatedAt: t0},
		{ID: "rd-2", Name: "other", TokenHash: hash("rtok1"), CreatedAt: t0},
		{ID: "rd-3", Name: "Cổng dữ liệu tỉnh", TokenHash: hash("x3"), CreatedAt: t0},
	} {
		if err := s.CreateReader(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate reader %+v: %v, want ErrConflict", dup, err)
		}
	}
	got, err := s.ReaderByToken(ctx, hash("rtok1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "rd-1" || got.Name != r.Name || fmt.Sprint(got.Offices) != "[HCM-02 HN-01]" || fmt.Sprint(got.RecordTypes) != "[khai-sinh]" || !got.CreatedAt.Equal(t0) || got.RevokedAt != nil {
		t.Fatalf("reader read back = %+v", got)
	}
	// A workstation token is not a reader token, and the other way round.
	enroll(t, s, "ws-a", "HN-01")
	if _, err := s.ReaderByToken(ctx, hash("token-ws-a")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("workstation token found as a reader: %v", err)
	}
	if _, err := s.WorkstationByToken(ctx, hash("rtok1")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("reader token found as a workstation: %v", err)
	}
	if err := s.RevokeReader(ctx, "rd-1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeReader(ctx, "rd-1", t0.Add(time.Hour)); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if err := s.RevokeReader(ctx, "rd-zzz", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown reader: %v", err)
	}
	got, _ = s.ReaderByToken(ctx, hash("rtok1"))
	if got.RevokedAt == nil || !got.RevokedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("revoked_at = %v", got.RevokedAt)
	}
	// The name is free again once its reader is revoked.
	if err := s.CreateReader(ctx, store.Reader{ID: "rd-4", Name: r.Name, TokenHash: hash("rtok4"), CreatedAt: t0.Add(time.Second)}); err != nil {
		t.Fatalf("name of a revoked reader: %v", err)
	}
	all, err := s.Readers(ctx)
	if err != nil || len(all) != 2 || all[0].ID != "rd-1" || all[1].ID != "rd-4" || len(all[0].Offices) != 2 || all[1].Offices != nil || all[1].RecordTypes != nil {
		t.Fatalf("readers = %+v (%v)", all, err)
	}
}

// testOfficeBlobs: an office holds exactly the blobs recorded for it, never another office's;
// recording twice is harmless; a query of more hashes than one IN list holds is answered whole.
func testOfficeBlobs(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b, shared := hash("a"), hash("b"), hash("shared")
	for _, r := range []struct{ office, sum string }{{"HN-01", a}, {"HN-01", shared}, {"HCM-02", b}, {"HCM-02", shared}, {"HN-01", a}} {
		if err := s.AddOfficeBlob(ctx, r.office, r.sum); err != nil {
			t.Fatalf("add %s %s: %v", r.office, r.sum[:8], err)
		}
	}
	got, err := s.OfficeBlobs(ctx, "HN-01", []string{a, b, shared, hash("none")})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[a] || !got[shared] || got[b] {
		t.Fatalf("HN-01 holds %v, want a and shared only", got)
	}
	if got, err := s.OfficeBlobs(ctx, "HN-0", []string{a}); err != nil || len(got) != 0 {
		t.Fatalf("office HN-0 (a prefix of HN-01) holds %v (%v)", got, err)
	}
	var many []string
	for i := 0; i < 1234; i++ {
		h := hash(fmt.Sprint("many", i))
		many = append(many, h)
		if i%3 == 0 {
			if err := s.AddOfficeBlob(ctx, "HN-01", h); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err = s.OfficeBlobs(ctx, "HN-01", many)
	if err != nil || len(got) != 412 {
		t.Fatalf("1234 hashes asked, %d held (%v), want 412", len(got), err)
	}
	if got, err := s.OfficeBlobs(ctx, "HN-01", nil); err != nil || len(got) != 0 {
		t.Fatalf("no hashes asked: %v (%v)", got, err)
	}
}

// readFixture stores five committed batches and one pending one:
//
//	b1 HN-01  khai-sinh  t0+1m  3 docs    b4 HCM-02 khai-sinh t0+4m 3 docs
//	b2 HN-01  ket-hon    t0+2m  3 docs    b5 HN-01  khai-sinh t0+4m 3 docs (same time as b4)
//	b3 HN-01  khai-sinh  t0+3m  3 docs    b6 HN-01  khai-sinh pending
func readFixture(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	enroll(t, s, "ws-a", "HN-01")
	enroll(t, s, "ws-b", "HCM-02")
	type spec struct {
		id, ws, office, rt string
		seq                int64
		at                 time.Duration
	}
	specs := []spec{
		{b1, "ws-a", "HN-01", "khai-sinh", 1, 1},
		{b2, "ws-a", "HN-01", "ket-hon", 2, 2},
		{b3, "ws-a", "HN-01", "khai-sinh", 3, 3},
		{b4, "ws-b", "HCM-02", "khai-sinh", 1, 4},
		{b5, "ws-a", "HN-01", "khai-sinh", 4, 4},
		{b6, "ws-a", "HN-01", "khai-sinh", 5, 0},
	}
	for _, sp := range specs {
		b := batch(sp.id, sp.ws, sp.seq, "manifest "+sp.id)
		b.Office, b.RecordType = sp.office, sp.rt
		if err := s.PutManifest(ctx, b); err != nil {
			t.Fatal(err)
		}
		if sp.at == 0 {
			continue
		}
		c := commit(sp.id, sp.ws, sp.seq, "receipt "+sp.id)
		c.CommittedAt = t0.Add(sp.at * time.Minute)
		if _, _, err := s.CommitBatch(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
}

const (
	b4 = "01900000-0000-7000-8000-000000000004"
	b5 = "01900000-0000-7000-8000-000000000005"
	b6 = "01900000-0000-7000-8000-000000000006"
)

func batchIDs(bs []store.BatchSummary) string {
	var ids []string
	for _, b := range bs {
		ids = append(ids, b.ID[len(b.ID)-1:])
	}
	return strings.Join(ids, ",")
}

func testCommittedBatches(t *testing.T, s store.Store) {
	ctx := context.Background()
	readFixture(t, s)
	if b, err := s.Batch(ctx, b2); err != nil || b.RecordType != "ket-hon" {
		t.Fatalf("record type stored = %q (%v)", b.RecordType, err)
	}
	all, err := s.CommittedBatches(ctx, store.BatchFilter{}, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	// Newest first; b4 and b5 share a commit time and are ordered by id, descending.
	if got := batchIDs(all); got != "5,4,3,2,1" {
		t.Fatalf("all committed batches = %s, want 5,4,3,2,1 (the pending b6 never listed)", got)
	}
	if a := all[1]; a.Office != "HCM-02" || a.WorkstationID != "ws-b" || a.RecordType != "khai-sinh" || a.Seq != 1 ||
		a.Documents != 3 || !a.CommittedAt.Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("summary of b4 = %+v", a)
	}
	// Paging: two at a time, each page starting after the last id of the previous one.
	var paged []store.BatchSummary
	after := ""
	for i := 0; i < 5; i++ {
		page, err := s.CommittedBatches(ctx, store.BatchFilter{}, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].ID
	}
	if got := batchIDs(paged); got != "5,4,3,2,1" {
		t.Fatalf("paged = %s, want 5,4,3,2,1", got)
	}
	if _, err := s.CommittedBatches(ctx, store.BatchFilter{}, b6, 2); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after a pending batch: %v, want ErrNotFound", err)
	}
	for _, c := range []struct {
		f    store.BatchFilter
		want string
	}{
		{store.BatchFilter{Office: "HN-01"}, "5,3,2,1"},
		{store.BatchFilter{RecordType: "khai-sinh"}, "5,4,3,1"},
		{store.BatchFilter{Office: "HN-01", RecordType: "ket-hon"}, "2"},
		{store.BatchFilter{From: t0.Add(2 * time.Minute), To: t0.Add(4 * time.Minute)}, "3,2"},
		{store.BatchFilter{From: t0.Add(4 * time.Minute)}, "5,4"},
		{store.BatchFilter{Office: "nowhere"}, ""},
	} {
		got, err := s.CommittedBatches(ctx, c.f, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		if batchIDs(got) != c.want {
			t.Fatalf("filter %+v = %s, want %s", c.f, batchIDs(got), c.want)
		}
	}
}

func rowKeys(rows []store.DocumentRow) string {
	var out []string
	for _, r := range rows {
		out = append(out, r.BatchID[len(r.BatchID)-1:]+"/"+r.DocID)
	}
	return strings.Join(out, ",")
}

func testDocumentRows(t *testing.T, s store.Store) {
	ctx := context.Background()
	readFixture(t, s)
	all, err := s.DocumentRows(ctx, store.DocumentFilter{}, nil, false, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 15 {
		t.Fatalf("%d rows, want 15 (5 committed batches of 3 documents)", len(all))
	}
	want := "1/d00,1/d01,1/d02,2/d00,2/d01,2/d02,3/d00,3/d01,3/d02,4/d00,4/d01,4/d02,5/d00,5/d01,5/d02"
	if got := rowKeys(all); got != want {
		t.Fatalf("ascending = %s", got)
	}
	r := all[9]
	wantDoc := docs(3, b4)[0]
	if r.BatchID != b4 || r.Office != "HCM-02" || r.WorkstationID != "ws-b" || r.RecordType != "khai-sinh" || r.Seq != 1 ||
		!r.CommittedAt.Equal(t0.Add(4*time.Minute)) || r.PDFSHA256 != wantDoc.PDFSHA256 || r.PDFSize != wantDoc.PDFSize || r.Pages != 2 {
		t.Fatalf("row = %+v", r)
	}
	// Paging in both directions gives the same rows as one query.
	for _, desc := range []bool{false, true} {
		one, err := s.DocumentRows(ctx, store.DocumentFilter{}, nil, desc, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var paged []store.DocumentRow
		var after *store.DocCursor
		for i := 0; i < 20; i++ {
			page, err := s.DocumentRows(ctx, store.DocumentFilter{}, after, desc, 4)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			paged = append(paged, page...)
			last := page[len(page)-1]
			after = &store.DocCursor{BatchID: last.BatchID, DocID: last.DocID}
		}
		if rowKeys(paged) != rowKeys(one) {
			t.Fatalf("desc=%v: paged %s, want %s", desc, rowKeys(paged), rowKeys(one))
		}
		if desc && !strings.HasPrefix(rowKeys(one), "5/d02,5/d01") {
			t.Fatalf("descending starts %s", rowKeys(one))
		}
	}
	if _, err := s.DocumentRows(ctx, store.DocumentFilter{}, &store.DocCursor{BatchID: b6, DocID: "d00"}, false, 4); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cursor on a pending batch: %v, want ErrNotFound", err)
	}
	for _, c := range []struct {
		f    store.DocumentFilter
		want int
	}{
		{store.DocumentFilter{BatchFilter: store.BatchFilter{Office: "HCM-02"}}, 3},
		{store.DocumentFilter{BatchFilter: store.BatchFilter{Office: "HN-01", From: t0.Add(2 * time.Minute), To: t0.Add(3 * time.Minute)}}, 3},
		{store.DocumentFilter{Query: "hcm"}, 3},                  // office, case-insensitive
		{store.DocumentFilter{Query: "KET-HON"}, 3},              // record type
		{store.DocumentFilter{Query: "d01"}, 5},                  // document id
		{store.DocumentFilter{Query: b3[30:]}, 3},                // part of a batch id
		{store.DocumentFilter{Query: "ws-b"}, 3},                 // workstation
		{store.DocumentFilter{Query: wantDoc.PDFSHA256[:20]}, 1}, // PDF hash
		{store.DocumentFilter{Query: "%"}, 0},                    // LIKE wildcards are literal
		{store.DocumentFilter{Query: "_"}, 0},
		{store.DocumentFilter{Query: "d01", BatchFilter: store.BatchFilter{Office: "HN-01"}}, 4},
	} {
		got, err := s.DocumentRows(ctx, c.f, nil, true, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != c.want {
			t.Fatalf("filter %+v: %d rows (%s), want %d", c.f, len(got), rowKeys(got), c.want)
		}
	}
}

func testDocumentRead(t *testing.T, s store.Store) {
	ctx := context.Background()
	readFixture(t, s)
	want := docs(3, b2)[1]
	d, err := s.Document(ctx, b2, want.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.BatchID != b2 || d.PDFSHA256 != want.PDFSHA256 || d.PDFSize != want.PDFSize || strings.Join(d.Pages, ",") != strings.Join(want.Pages, ",") {
		t.Fatalf("document = %+v, want %+v", d, want)
	}
	for _, c := range [][2]string{{b2, "d99"}, {b6, "d00"}, {"nope", "d00"}} {
		if _, err := s.Document(ctx, c[0], c[1]); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("document %v: %v, want ErrNotFound", c, err)
		}
	}
}

// testRateBuckets: a shared token bucket hands out burst tokens, then one per 1/rate seconds;
// racing takers never get more than it holds; a clock behind refills nothing; sweeping
// forgets idle buckets (full again).
func testRateBuckets(t *testing.T, s store.Store) {
	ctx := context.Background()
	take := func(key string, at time.Time) (bool, time.Duration) {
		t.Helper()
		ok, wait, err := s.TakeToken(ctx, key, 2, 3, at)
		if err != nil {
			t.Fatal(err)
		}
		return ok, wait
	}
	for i := 0; i < 3; i++ {
		if ok, _ := take("ws-1", t0); !ok {
			t.Fatalf("token %d of the burst refused", i+1)
		}
	}
	if ok, wait := take("ws-1", t0); ok || wait < 499*time.Millisecond || wait > 501*time.Millisecond {
		t.Fatalf("past the burst: %v, wait %v (want 0.5 s)", ok, wait)
	}
	if ok, _ := take("ws-2", t0); !ok {
		t.Fatal("another bucket is not independent")
	}
	if ok, _ := take("ws-1", t0.Add(-time.Minute)); ok {
		t.Fatal("a clock behind refilled the bucket")
	}
	if ok, _ := take("ws-1", t0.Add(750*time.Millisecond)); !ok {
		t.Fatal("refill after 0.75 s (1.5 tokens) refused")
	}
	if ok, wait := take("ws-1", t0.Add(750*time.Millisecond)); ok || wait < 249*time.Millisecond || wait > 251*time.Millisecond {
		t.Fatalf("after the refilled token: %v, wait %v (want 0.25 s)", ok, wait)
	}
	// Racing takers on a fresh bucket: exactly the burst.
	var mu sync.Mutex
	var wg sync.WaitGroup
	granted := 0
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, _, err := s.TakeToken(ctx, "ws-race", 0.001, 5, t0)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				granted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if granted != 5 {
		t.Fatalf("%d tokens granted to 12 racing takers of a bucket of 5", granted)
	}
	if err := s.SweepRateBuckets(ctx, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := s.TakeToken(ctx, "ws-race", 0.001, 5, t0.Add(2*time.Second)); !ok {
		t.Fatal("a swept bucket is not full again")
	}
}

// testArchiveFile: a batch's file code and archive object are stored with its manifest,
// replaced with a pending manifest, read back with the batch, in lists and in rows, and
// filtered on.
func testArchiveFile(t *testing.T, s store.Store) {
	ctx := context.Background()
	enroll(t, s, "ws-a", "HN-01")
	const arch = `{"file_code":"KS-2026-ĐN01","title":"Hồ sơ khai sinh tháng 3"}`
	b := batch(b1, "ws-a", 1, `{"v":1}`)
	b.FileCode, b.Archive = "OLD", []byte(`{"file_code":"OLD"}`)
	if err := s.PutManifest(ctx, b); err != nil {
		t.Fatal(err)
	}
	b = batch(b1, "ws-a", 1, `{"v":2}`) // the pending manifest replaced
	b.FileCode, b.Archive = "KS-2026-ĐN01", []byte(arch)
	if err := s.PutManifest(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.PutManifest(ctx, batch(b2, "ws-a", 2, `{"v":3}`)); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{b1, b2} {
		if _, _, err := s.CommitBatch(ctx, commit(id, "ws-a", int64(i+1), "r")); err != nil {
			t.Fatal(err)
		}
	}
	sameJSON := func(got []byte, want string) bool {
		var g, w any
		return json.Unmarshal(got, &g) == nil && json.Unmarshal([]byte(want), &w) == nil && reflect.DeepEqual(g, w)
	}
	got, err := s.Batch(ctx, b1)
	if err != nil || got.FileCode != "KS-2026-ĐN01" || !sameJSON(got.Archive, arch) {
		t.Fatalf("batch = %q %s (%v)", got.FileCode, got.Archive, err)
	}
	if got, _ := s.Batch(ctx, b2); got.FileCode != "" || got.Archive != nil {
		t.Fatalf("batch without archive = %q %q", got.FileCode, got.Archive)
	}
	list, err := s.CommittedBatches(ctx, store.BatchFilter{FileCode: "KS-2026-ĐN01"}, "", 10)
	if err != nil || len(list) != 1 || list[0].ID != b1 || list[0].FileCode != "KS-2026-ĐN01" || !sameJSON(list[0].Archive, arch) {
		t.Fatalf("batches by file code = %+v (%v)", list, err)
	}
	if list, _ := s.CommittedBatches(ctx, store.BatchFilter{FileCode: "OLD"}, "", 10); len(list) != 0 {
		t.Fatalf("the replaced file code still matches: %+v", list)
	}
	rows, err := s.DocumentRows(ctx, store.DocumentFilter{BatchFilter: store.BatchFilter{FileCode: "KS-2026-ĐN01"}}, nil, false, 10)
	if err != nil || len(rows) != 3 || rows[0].FileCode != "KS-2026-ĐN01" || !sameJSON(rows[2].Archive, arch) {
		t.Fatalf("rows by file code = %+v (%v)", rows, err)
	}
	rows, _ = s.DocumentRows(ctx, store.DocumentFilter{}, nil, false, 10)
	if len(rows) != 6 || rows[5].FileCode != "" || rows[5].Archive != nil {
		t.Fatalf("rows of a batch without archive: %+v", rows)
	}
}
