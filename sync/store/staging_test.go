package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/store"
)

// testStaging is the Staging contract: appends at the staged offset only, a broken body keeps
// what arrived, the staged bytes read back in order, sizes add up by prefix, unstage and prune
// delete.
func testStaging(t *testing.T, s store.Staging, piece int) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789abcdef"), (piece+piece/2)/16+1000) // more than one piece
	name := "ws-1." + sumHex(data)
	if n, err := s.Staged(ctx, name); err != nil || n != 0 {
		t.Fatalf("nothing staged: %d %v", n, err)
	}
	first := len(data) / 3
	if n, err := s.Stage(ctx, name, 0, bytes.NewReader(data[:first])); err != nil || n != int64(first) {
		t.Fatalf("stage: %d %v", n, err)
	}
	if _, err := s.Stage(ctx, name, 5, bytes.NewReader(data[5:10])); !errors.Is(err, store.ErrStagedOffset) {
		t.Fatalf("stage at another offset: %v", err)
	}
	broken := errors.New("connection reset")
	got := 1000
	n, err := s.Stage(ctx, name, int64(first), &brokenBody{r: bytes.NewReader(data[first:]), n: piece + got, err: broken})
	if !errors.Is(err, broken) || n != int64(piece+got) {
		t.Fatalf("broken body: %d %v, want %d bytes kept", n, err, piece+got)
	}
	at := int64(first + piece + got)
	if n, err := s.Staged(ctx, name); err != nil || n != at {
		t.Fatalf("staged after the break: %d %v, want %d", n, err, at)
	}
	if n, err := s.Stage(ctx, name, at, bytes.NewReader(data[at:])); err != nil || n != int64(len(data))-at {
		t.Fatalf("rest: %d %v", n, err)
	}
	rc, err := s.OpenStaged(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(back, data) {
		t.Fatalf("staged bytes read back: %d (%v), want %d equal", len(back), err, len(data))
	}
	other := "ws-2." + sumHex([]byte("x"))
	s.Stage(ctx, other, 0, bytes.NewReader([]byte("xyz")))
	if n, err := s.StagedBytes(ctx, "ws-1."); err != nil || n != int64(len(data)) {
		t.Fatalf("ws-1's staged bytes: %d %v", n, err)
	}
	if err := s.Unstage(ctx, name); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Staged(ctx, name); err != nil || n != 0 {
		t.Fatalf("after unstage: %d %v", n, err)
	}
	if err := s.PruneStaged(ctx, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Staged(ctx, other); n != 3 {
		t.Fatalf("a fresh upload was pruned: %d", n)
	}
	if err := s.PruneStaged(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.StagedBytes(ctx, ""); err != nil || n != 0 {
		t.Fatalf("after pruning everything: %d %v", n, err)
	}
}

type brokenBody struct {
	r   io.Reader
	n   int
	err error
}

func (b *brokenBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, b.err
	}
	if len(p) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= n
	return n, err
}

func TestLocalStaging(t *testing.T) {
	s, err := store.NewLocalStaging(filepath.Join(t.TempDir(), "uploads"))
	if err != nil {
		t.Fatal(err)
	}
	testStaging(t, s, 64<<10)
}

// On the bucket the upload is pieces of the part size; a piece PUT twice (a chunk sent again)
// overlapping the earlier ones counts from where they end.
func TestS3Staging(t *testing.T) {
	b := newS3(t, nil)
	testStaging(t, b.Staging(), partSize)
	ctx := context.Background()
	s := b.Staging()
	data := bytes.Repeat([]byte("trang "), 300000)
	name := "ws-3." + sumHex(data)
	if _, err := s.Stage(ctx, name, 0, bytes.NewReader(data[:1000])); err != nil {
		t.Fatal(err)
	}
	// Another server, racing, staged the same bytes from 500 on (its own view was stale).
	if err := b.PutStagedPieceForTest(ctx, name, 500, data[500:3000]); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Staged(ctx, name); err != nil || n != 3000 {
		t.Fatalf("overlapping pieces: staged %d %v, want 3000", n, err)
	}
	if _, err := s.Stage(ctx, name, 3000, bytes.NewReader(data[3000:])); err != nil {
		t.Fatal(err)
	}
	rc, err := s.OpenStaged(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	back, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(back, data) {
		t.Fatalf("overlapping pieces read back %d bytes, want %d equal", len(back), len(data))
	}
	// A gap: pieces after it do not count.
	gap := "ws-4." + sumHex(data)
	s.Stage(ctx, gap, 0, bytes.NewReader(data[:100]))
	b.PutStagedPieceForTest(ctx, gap, 200, data[200:300])
	if n, _ := s.Staged(ctx, gap); n != 100 {
		t.Fatalf("past a gap: staged %d, want 100", n)
	}
}
