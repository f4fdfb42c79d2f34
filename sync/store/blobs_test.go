package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/store/storetest"
)

type failingReader struct {
	r   io.Reader
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func TestLocalBlobs(t *testing.T) {
	ctx := context.Background()
	b, err := store.NewLocalBlobs(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("trang hồ sơ "), 10000)
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	empty := func(what string) {
		t.Helper()
		n, tmp, err := b.CountFiles()
		if err != nil || n != 0 || tmp != 0 {
			t.Fatalf("%s: %d blobs, %d temp files (%v), want none", what, n, tmp, err)
		}
	}
	// A connection that breaks mid-way stores nothing and leaves no temp file.
	_, err = b.Put(ctx, sum, &failingReader{r: bytes.NewReader(data), n: 5000, err: io.ErrUnexpectedEOF}, 1<<20)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("broken reader: %v", err)
	}
	empty("broken reader")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.Put(cctx, sum, bytes.NewReader(data), 1<<20); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	empty("cancelled")
	if _, err := b.Put(ctx, sum, bytes.NewReader(data), int64(len(data)-1)); !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	empty("too large")
	if _, err := b.Put(ctx, sum, bytes.NewReader(data[1:]), 1<<20); !errors.Is(err, store.ErrHashMismatch) {
		t.Fatalf("mismatch: %v", err)
	}
	empty("mismatch")
	if _, err := b.Put(ctx, "../../etc/passwd", bytes.NewReader(data), 1<<20); err == nil {
		t.Fatal("path name accepted")
	}
	if ok, _ := b.Has(ctx, sum); ok {
		t.Fatal("Has before Put")
	}
	if n, err := b.Put(ctx, sum, bytes.NewReader(data), int64(len(data))); err != nil || n != int64(len(data)) {
		t.Fatalf("put: %d %v", n, err)
	}
	if ok, _ := b.Has(ctx, sum); !ok {
		t.Fatal("Has after Put")
	}
	if n, err := b.Size(ctx, sum); err != nil || n != int64(len(data)) {
		t.Fatalf("size %d %v", n, err)
	}
	rc, err := b.Open(ctx, sum)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("read back differs")
	}
	if _, err := b.Open(ctx, hex.EncodeToString(make([]byte, 32))); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("open missing: %v", err)
	}
	if n, tmp, _ := b.CountFiles(); n != 1 || tmp != 0 {
		t.Fatalf("%d blobs %d temps", n, tmp)
	}
}

func TestLocalBlobsStaleTemps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "blobs")
	if _, err := store.NewLocalBlobs(dir); err != nil {
		t.Fatal(err)
	}
	old, fresh := filepath.Join(dir, "tmp", "up-old"), filepath.Join(dir, "tmp", "up-fresh")
	os.WriteFile(old, []byte("x"), 0o600)
	os.WriteFile(fresh, []byte("x"), 0o600)
	then := time.Now().Add(-store.StaleTempAge - time.Hour)
	os.Chtimes(old, then, then)
	if _, err := store.NewLocalBlobs(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatal("stale temp file kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatal("fresh temp file removed (another server may be writing it)")
	}
}

// PutKeepPartial keeps the bytes of a broken reader as the partial file (never as the blob);
// a mismatch, an oversize or a stored blob leaves no partial.
func TestLocalBlobsKeepPartial(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := store.NewLocalBlobs(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("trang hồ sơ "), 1000)
	s := sha256.Sum256(data)
	sum := hex.EncodeToString(s[:])
	partial := filepath.Join(dir, "partial")
	broken := errors.New("connection reset")
	_, err = b.PutKeepPartial(ctx, sum, &failingReader{r: bytes.NewReader(data), n: 5000, err: broken}, 1<<20, partial)
	if !errors.Is(err, broken) {
		t.Fatalf("broken reader: %v", err)
	}
	got, err := os.ReadFile(partial)
	if err != nil || !bytes.Equal(got, data[:5000]) {
		t.Fatalf("partial holds %d bytes (%v), want the first 5000", len(got), err)
	}
	if ok, _ := b.Has(ctx, sum); ok {
		t.Fatal("a broken upload was stored as a blob")
	}
	if blobs, temps, _ := b.CountFiles(); blobs != 0 || temps != 0 {
		t.Fatalf("%d blobs, %d temp files after a broken upload", blobs, temps)
	}
	os.Remove(partial)
	for _, c := range []struct {
		name string
		body []byte
		max  int64
	}{{"mismatch", []byte("khác"), 1 << 20}, {"too large", data, 100}} {
		if _, err := b.PutKeepPartial(ctx, sum, bytes.NewReader(c.body), c.max, partial); err == nil {
			t.Fatalf("%s accepted", c.name)
		}
		if _, err := os.Stat(partial); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s left a partial file (%v)", c.name, err)
		}
	}
	if n, err := b.PutKeepPartial(ctx, sum, bytes.NewReader(data), 1<<20, partial); err != nil || n != int64(len(data)) {
		t.Fatalf("whole body: %d, %v", n, err)
	}
	if _, err := os.Stat(partial); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a stored blob left a partial file (%v)", err)
	}
}

// The blob-store suite on a local folder.
func TestLocalBlobsSuite(t *testing.T) {
	storetest.RunBlobs(t, func(t *testing.T) storetest.Blobs {
		b, err := store.NewLocalBlobs(filepath.Join(t.TempDir(), "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		return storetest.Blobs{Store: b, Count: b.CountFiles}
	})
}
