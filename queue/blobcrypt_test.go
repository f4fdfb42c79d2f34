package queue

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"testing"
)

func testKey(t *testing.T) *[32]byte {
	t.Helper()
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		t.Fatal(err)
	}
	return &k
}

func encryptedBlobs(t *testing.T) *BlobStore {
	t.Helper()
	b, err := NewBlobStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b.setKey(testKey(t), true)
	b.setSealed(true)
	return b
}

// marked is n bytes that repeat a recognisable personal-looking value.
func marked(n int) []byte {
	m := []byte("NGUYEN VAN AN 001203004567 ")
	out := bytes.Repeat(m, n/len(m)+1)[:n]
	return out
}

func readAllAt(t *testing.T, f BlobFile, size int64) ([]byte, error) {
	t.Helper()
	return io.ReadAll(io.NewSectionReader(f, 0, size))
}

func TestEncryptedBlobRoundTrip(t *testing.T) {
	b := encryptedBlobs(t)
	for _, n := range []int{0, 1, blobChunk - 1, blobChunk, blobChunk + 1, 3*blobChunk + 5} {
		data := marked(n)
		h, err := b.Put(data)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(b.Path(h))
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(raw)) != encryptedSize(int64(n)) {
			t.Fatalf("size %d: file %d bytes, want %d", n, len(raw), encryptedSize(int64(n)))
		}
		if n >= 13 && bytes.Contains(raw, data[:13]) {
			t.Fatalf("size %d: plaintext visible in the blob file", n)
		}
		got, err := b.Get(h)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("size %d: Get = %d bytes, %v", n, len(got), err)
		}
		if err := b.Verify(h); err != nil {
			t.Fatalf("size %d: Verify: %v", n, err)
		}
		f, size, err := b.OpenBlob(h)
		if err != nil || size != int64(n) {
			t.Fatalf("size %d: OpenBlob size %d, %v", n, size, err)
		}
		all, err := readAllAt(t, f, size)
		if err != nil || !bytes.Equal(all, data) {
			t.Fatalf("size %d: OpenBlob read %d bytes, %v", n, len(all), err)
		}
		// Ranges across chunk boundaries, as a resumed upload reads them.
		for _, r := range [][2]int{{0, 1}, {blobChunk - 3, 7}, {n / 2, n / 3}, {n - 1, 1}} {
			if r[0] < 0 || r[0]+r[1] > n || r[1] <= 0 {
				continue
			}
			p := make([]byte, r[1])
			if _, err := f.ReadAt(p, int64(r[0])); err != nil && !(errors.Is(err, io.EOF) && r[0]+r[1] == n) {
				t.Fatalf("size %d: ReadAt %v: %v", n, r, err)
			}
			if !bytes.Equal(p, data[r[0]:r[0]+r[1]]) {
				t.Fatalf("size %d: ReadAt %v differs", n, r)
			}
		}
		f.Close()
		// The same content again keeps the file (dedup by plaintext hash).
		if h2, err := b.Put(data); err != nil || h2 != h {
			t.Fatalf("size %d: second Put %s, %v", n, h2, err)
		}
	}
}

// every way of reading the blob must refuse it
func assertRefused(t *testing.T, b *BlobStore, h, what string) {
	t.Helper()
	if got, err := b.Get(h); !errors.Is(err, ErrBlobCorrupt) {
		t.Fatalf("%s: Get = %d bytes, %v; want ErrBlobCorrupt", what, len(got), err)
	}
	if err := b.Verify(h); !errors.Is(err, ErrBlobCorrupt) {
		t.Fatalf("%s: Verify = %v; want ErrBlobCorrupt", what, err)
	}
	if _, err := b.ReadUnchecked(h); !errors.Is(err, ErrBlobCorrupt) {
		t.Fatalf("%s: ReadUnchecked = %v; want ErrBlobCorrupt", what, err)
	}
	f, size, err := b.OpenBlob(h)
	if err == nil {
		_, err = readAllAt(t, f, size)
		f.Close()
	}
	if !errors.Is(err, ErrBlobCorrupt) {
		t.Fatalf("%s: OpenBlob read = %v; want ErrBlobCorrupt", what, err)
	}
}

func TestEncryptedBlobTamper(t *testing.T) {
	b := encryptedBlobs(t)
	data := marked(3*blobChunk + 100)
	h, err := b.Put(data)
	if err != nil {
		t.Fatal(err)
	}
	path := b.Path(h)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	write := func(c []byte) {
		t.Helper()
		if err := os.WriteFile(path, c, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A flipped bit anywhere: every header byte, both sides of every chunk boundary, and
	// a spread of bytes inside the chunks.
	var at []int
	for i := range blobHeaderLen + 2 {
		at = append(at, i)
	}
	step := blobChunk + blobTagLen
	for c := 1; c <= 3; c++ {
		at = append(at, blobHeaderLen+c*step-1, blobHeaderLen+c*step)
	}
	for i := blobHeaderLen; i < len(orig); i += 997 {
		at = append(at, i)
	}
	at = append(at, len(orig)-1)
	for _, i := range at {
		c := bytes.Clone(orig)
		c[i] ^= 0x01
		write(c)
		assertRefused(t, b, h, "flipped byte")
	}
	// Truncated: the last chunk dropped (the file ends on a chunk boundary), and cut mid-chunk.
	write(orig[:blobHeaderLen+3*step])
	assertRefused(t, b, h, "last chunk dropped")
	write(orig[:len(orig)-5])
	assertRefused(t, b, h, "cut short")
	write(append(bytes.Clone(orig), 0))
	assertRefused(t, b, h, "byte appended")
	// Two chunks swapped.
	c := bytes.Clone(orig)
	copy(c[blobHeaderLen:], orig[blobHeaderLen+step:blobHeaderLen+2*step])
	copy(c[blobHeaderLen+step:], orig[blobHeaderLen:blobHeaderLen+step])
	write(c)
	assertRefused(t, b, h, "chunks swapped")
	// A chunk from another blob of the same shape, and another blob's whole file.
	other := bytes.Clone(data)
	other[5] = 'X'
	h2, err := b.Put(other)
	if err != nil {
		t.Fatal(err)
	}
	o, err := os.ReadFile(b.Path(h2))
	if err != nil {
		t.Fatal(err)
	}
	c = bytes.Clone(orig)
	copy(c[blobHeaderLen+step:], o[blobHeaderLen+step:blobHeaderLen+2*step])
	write(c)
	assertRefused(t, b, h, "chunk from another blob")
	write(o)
	assertRefused(t, b, h, "another blob's file")
	// Put repairs it (wrong size is rewritten).
	write(orig[:100])
	if _, err := b.Put(data); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(h); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after repair: %v", err)
	}
}

func TestEncryptedBlobKeys(t *testing.T) {
	b := encryptedBlobs(t)
	data := marked(1000)
	h, err := b.Put(data)
	if err != nil {
		t.Fatal(err)
	}
	// Locked: nothing reads, nothing writes.
	b.lockKey()
	if _, err := b.Get(h); !errors.Is(err, ErrStoreLocked) {
		t.Fatalf("locked Get: %v", err)
	}
	if _, err := b.Put([]byte("x")); !errors.Is(err, ErrStoreLocked) {
		t.Fatalf("locked Put: %v", err)
	}
	if _, _, err := b.OpenBlob(h); !errors.Is(err, ErrStoreLocked) {
		t.Fatalf("locked OpenBlob: %v", err)
	}
	// The wrong key decrypts nothing.
	b.setKey(testKey(t), true)
	assertRefused(t, b, h, "wrong key")
	// A plaintext blob of an older store still reads while the conversion runs, and is
	// refused once it has finished.
	b.setSealed(false)
	plain := []byte("trang 1 ban ro")
	ph := HashBytes(plain)
	os.MkdirAll(b.Path(ph)[:len(b.Path(ph))-65], 0o700)
	if err := os.WriteFile(b.Path(ph), plain, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Get(ph); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("plaintext blob in an encrypted store: %q %v", got, err)
	}
	b.setSealed(true)
	assertRefused(t, b, ph, "plaintext blob in a converted store")
}

// BenchmarkBlobCrypt: encrypting and decrypting a 1 MiB page image in memory (no disk), the
// cost the encrypted store adds to each Put and Get.
func BenchmarkBlobCrypt(b *testing.B) {
	var key [32]byte
	data := marked(1 << 20)
	h := HashBytes(data)
	var buf bytes.Buffer
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		buf.Reset()
		if err := encryptBlob(&buf, &key, h, data); err != nil {
			b.Fatal(err)
		}
		if _, err := decryptBlob(buf.Bytes(), &key, h); err != nil {
			b.Fatal(err)
		}
	}
}
