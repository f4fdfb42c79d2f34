package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/sohoa/sohoa/sync/store"
)

// Blobs is a blob store under test: Store, and Count, which reports the blobs it holds and
// what a failed Put might have left behind (temp files, incomplete multipart uploads).
type Blobs struct {
	Store store.BlobStore
	Count func() (blobs, leftovers int, err error)
	// Large is a size past the backend's single-write threshold (S3: more than one part), so
	// the suite's large cases cross it; 0: 3 MiB.
	Large int
}

// RunBlobs runs the blob-store suite that every BlobStore backend must pass (local folder,
// S3, the encrypting decorator over either); open returns a fresh, empty store.
func RunBlobs(t *testing.T, open func(t *testing.T) Blobs) {
	tests := []struct {
		name string
		fn   func(*testing.T, Blobs)
	}{
		{"RefusedPutsLeaveNothing", testBlobRefused},
		{"RoundTrip", testBlobRoundTrip},
		{"Large", testBlobLarge},
		{"PutTwice", testBlobPutTwice},
		{"Concurrent", testBlobConcurrent},
		{"Empty", testBlobEmpty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func sumOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// brokenReader gives n bytes of r, then err.
type brokenReader struct {
	r   io.Reader
	n   int
	err error
}

func (f *brokenReader) Read(p []byte) (int, error) {
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

func expectCount(t *testing.T, b Blobs, what string, blobs int) {
	t.Helper()
	n, left, err := b.Count()
	if err != nil || n != blobs || left != 0 {
		t.Fatalf("%s: %d blobs and %d leftovers (%v), want %d and none", what, n, left, err, blobs)
	}
}

func pseudoRandom(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(r.Uint32())
	}
	return out
}

// A broken body, a cancelled context, an oversize, a mismatch and a bad name store nothing
// and leave nothing; Has and Open then say "absent".
func testBlobRefused(t *testing.T, b Blobs) {
	ctx := context.Background()
	large := b.Large
	if large == 0 {
		large = 3 << 20
	}
	for _, data := range [][]byte{bytes.Repeat([]byte("trang hồ sơ "), 10000), pseudoRandom(large, 1)} {
		sum := sumOf(data)
		broken := errors.New("connection reset")
		if _, err := b.Store.Put(ctx, sum, &brokenReader{r: bytes.NewReader(data), n: len(data) - 1000, err: broken}, 1<<30); !errors.Is(err, broken) {
			t.Fatalf("broken body (%d bytes): %v", len(data), err)
		}
		expectCount(t, b, "broken body", 0)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := b.Store.Put(cctx, sum, bytes.NewReader(data), 1<<30); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled: %v", err)
		}
		expectCount(t, b, "cancelled", 0)
		if _, err := b.Store.Put(ctx, sum, bytes.NewReader(data), int64(len(data)-1)); !errors.Is(err, store.ErrTooLarge) {
			t.Fatalf("too large: %v", err)
		}
		expectCount(t, b, "too large", 0)
		bad := bytes.Clone(data)
		bad[len(bad)-1] ^= 1
		if _, err := b.Store.Put(ctx, sum, bytes.NewReader(bad), 1<<30); !errors.Is(err, store.ErrHashMismatch) {
			t.Fatalf("mismatch (last byte): %v", err)
		}
		if _, err := b.Store.Put(ctx, sum, bytes.NewReader(data[1:]), 1<<30); !errors.Is(err, store.ErrHashMismatch) {
			t.Fatalf("mismatch (short): %v", err)
		}
		expectCount(t, b, "mismatch", 0)
		if ok, err := b.Store.Has(ctx, sum); ok || err != nil {
			t.Fatalf("Has after refused puts: %v %v", ok, err)
		}
		if _, err := b.Store.Open(ctx, sum); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Open after refused puts: %v", err)
		}
		if _, err := b.Store.Size(ctx, sum); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Size after refused puts: %v", err)
		}
	}
	for _, name := range []string{"../../etc/passwd", "ABC", sumOf(nil)[:63], "blobs/../" + sumOf(nil)[:55]} {
		if _, err := b.Store.Put(ctx, name, bytes.NewReader(nil), 1<<20); err == nil {
			t.Fatalf("name %q accepted", name)
		}
	}
	expectCount(t, b, "bad names", 0)
}

func testBlobRoundTrip(t *testing.T, b Blobs) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("trang hồ sơ "), 10000)
	sum := sumOf(data)
	if ok, err := b.Store.Has(ctx, sum); ok || err != nil {
		t.Fatalf("Has before Put: %v %v", ok, err)
	}
	if n, err := b.Store.Put(ctx, sum, bytes.NewReader(data), int64(len(data))); err != nil || n != int64(len(data)) {
		t.Fatalf("put: %d %v", n, err)
	}
	if ok, err := b.Store.Has(ctx, sum); !ok || err != nil {
		t.Fatalf("Has after Put: %v %v", ok, err)
	}
	if n, err := b.Store.Size(ctx, sum); err != nil || n != int64(len(data)) {
		t.Fatalf("size %d %v", n, err)
	}
	readBack(t, b.Store, sum, data)
	if _, err := b.Store.Open(ctx, sumOf([]byte("absent"))); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("open missing: %v", err)
	}
	expectCount(t, b, "one blob", 1)
}

func readBack(t *testing.T, s store.BlobStore, sum string, want []byte) {
	t.Helper()
	rc, err := s.Open(context.Background(), sum)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes (%v), want %d equal bytes", len(got), err, len(want))
	}
}

// A blob past the single-write threshold (several multipart parts on S3) streams in and out.
func testBlobLarge(t *testing.T, b Blobs) {
	ctx := context.Background()
	n := b.Large
	if n == 0 {
		n = 3 << 20
	}
	data := pseudoRandom(2*n+12345, 2)
	sum := sumOf(data)
	// An io.Reader that is not a bytes.Reader: the store cannot learn the size beforehand.
	if got, err := b.Store.Put(ctx, sum, io.MultiReader(bytes.NewReader(data[:n/3]), bytes.NewReader(data[n/3:])), int64(len(data))); err != nil || got != int64(len(data)) {
		t.Fatalf("put large: %d %v", got, err)
	}
	if got, err := b.Store.Size(ctx, sum); err != nil || got != int64(len(data)) {
		t.Fatalf("size %d %v", got, err)
	}
	readBack(t, b.Store, sum, data)
	expectCount(t, b, "large blob", 1)
}

// A Put of a stored blob reads the whole body, checks it and succeeds, leaving one copy; a
// mismatched second Put leaves the stored blob intact.
func testBlobPutTwice(t *testing.T, b Blobs) {
	ctx := context.Background()
	data := []byte("một trang")
	sum := sumOf(data)
	for i := 0; i < 2; i++ {
		r := bytes.NewReader(data)
		if n, err := b.Store.Put(ctx, sum, r, 1<<20); err != nil || n != int64(len(data)) {
			t.Fatalf("put %d: %d %v", i, n, err)
		}
		if r.Len() != 0 {
			t.Fatalf("put %d left %d bytes unread", i, r.Len())
		}
	}
	if _, err := b.Store.Put(ctx, sum, bytes.NewReader([]byte("một trang khác")), 1<<20); !errors.Is(err, store.ErrHashMismatch) {
		t.Fatalf("mismatch over a stored blob: %v", err)
	}
	readBack(t, b.Store, sum, data)
	expectCount(t, b, "put twice", 1)
}

// Writers of the same name and of different names at once: each blob whole, once.
func testBlobConcurrent(t *testing.T, b Blobs) {
	ctx := context.Background()
	blobs := [][]byte{pseudoRandom(200<<10, 3), pseudoRandom(300<<10, 4), []byte("nhỏ")}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(blobs))
	for i := 0; i < 4; i++ {
		for _, d := range blobs {
			wg.Add(1)
			go func(d []byte) {
				defer wg.Done()
				if _, err := b.Store.Put(ctx, sumOf(d), bytes.NewReader(d), 1<<20); err != nil {
					errs <- err
				}
			}(d)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, d := range blobs {
		readBack(t, b.Store, sumOf(d), d)
	}
	expectCount(t, b, "concurrent", len(blobs))
}

func testBlobEmpty(t *testing.T, b Blobs) {
	ctx := context.Background()
	sum := sumOf(nil)
	if n, err := b.Store.Put(ctx, sum, bytes.NewReader(nil), 1<<20); err != nil || n != 0 {
		t.Fatalf("put empty: %d %v", n, err)
	}
	if n, err := b.Store.Size(ctx, sum); err != nil || n != 0 {
		t.Fatalf("size of empty: %d %v", n, err)
	}
	readBack(t, b.Store, sum, nil)
	expectCount(t, b, "empty", 1)
}
