package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/store/storetest"
)

func newKeys(t *testing.T) *store.LocalKeys {
	t.Helper()
	k, _ := newKeysMaster(t)
	return k
}

func newKeysMaster(t *testing.T, old ...[]byte) (*store.LocalKeys, []byte) {
	t.Helper()
	m := make([]byte, 32)
	rand.Read(m)
	k, err := store.NewLocalKeys(m, old...)
	if err != nil {
		t.Fatal(err)
	}
	return k, m
}

// The blob-store suite on the encrypting decorator over a local folder.
func TestEncryptedBlobsSuite(t *testing.T) {
	storetest.RunBlobs(t, func(t *testing.T) storetest.Blobs {
		b, err := store.NewLocalBlobs(filepath.Join(t.TempDir(), "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		return storetest.Blobs{Store: store.NewEncryptedBlobs(b, newKeys(t)), Count: b.CountFiles}
	})
}

func TestSealedSize(t *testing.T) {
	for _, n := range []int64{0, 1, store.SealedChunkSize - 1, store.SealedChunkSize, store.SealedChunkSize + 1, 3*store.SealedChunkSize + 7, 512 << 20} {
		if got := store.PlainSizeForTest(store.SealedSize(n)); got != n {
			t.Fatalf("plain size of the sealed size of %d: %d", n, got)
		}
	}
}

// The folder holds no plaintext; a flipped byte anywhere in an object, a cut, an extension, an
// object moved under another name, or another key: Open never returns the bytes as data.
func TestEncryptedBlobsTamper(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "blobs")
	lb, err := store.NewLocalBlobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys, master := newKeysMaster(t)
	eb := store.NewEncryptedBlobs(lb, keys)
	marker := []byte("Nguyễn Văn An 001085012345 ")
	data := bytes.Repeat(marker, 3*store.SealedChunkSize/len(marker)+10)
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	if _, err := eb.Put(ctx, sum, bytes.NewReader(data), 1<<30); err != nil {
		t.Fatal(err)
	}
	other := []byte("trang khác")
	h2 := sha256.Sum256(other)
	sum2 := hex.EncodeToString(h2[:])
	if _, err := eb.Put(ctx, sum2, bytes.NewReader(other), 1<<30); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, sum[:2], sum)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("Nguyễn")) || bytes.Contains(raw, []byte("001085012345")) {
		t.Fatal("the sealed object holds plaintext")
	}
	readAll := func() ([]byte, error) {
		rc, err := eb.Open(ctx, sum)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	if got, err := readAll(); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back: %d bytes, %v", len(got), err)
	}
	check := func(what string, obj []byte) {
		t.Helper()
		if err := os.WriteFile(path, obj, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := readAll()
		if !errors.Is(err, store.ErrBlobIntegrity) {
			t.Fatalf("%s: read %d bytes, err %v; want ErrBlobIntegrity", what, len(got), err)
		}
	}
	for _, off := range []int{0, 9, 12, 30, store.SealedHeaderSize, store.SealedHeaderSize + 100, store.SealedHeaderSize + store.SealedChunkSize + 16 + 5, len(raw) - 1} {
		bad := bytes.Clone(raw)
		bad[off] ^= 0x20
		check("flipped byte", bad)
	}
	check("cut at a chunk boundary", raw[:store.SealedHeaderSize+store.SealedChunkSize+16])
	check("cut in a chunk", raw[:len(raw)-3])
	check("extended", append(bytes.Clone(raw), raw[store.SealedHeaderSize:store.SealedHeaderSize+store.SealedChunkSize+16]...))
	check("header only", raw[:store.SealedHeaderSize])
	moved, _ := os.ReadFile(filepath.Join(dir, sum2[:2], sum2))
	check("another blob's object", moved)
	os.WriteFile(path, raw, 0o600)
	if _, err := store.NewEncryptedBlobs(lb, newKeys(t)).Open(ctx, sum); !errors.Is(err, store.ErrBlobIntegrity) {
		t.Fatalf("another key: %v", err)
	}
	// After a rotation the old master key, kept as an old key, still opens it.
	rotated, _ := newKeysMaster(t, master)
	rc, err := store.NewEncryptedBlobs(lb, rotated).Open(ctx, sum)
	if err != nil {
		t.Fatalf("rotated keys: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("rotated keys read %d bytes, %v", len(got), err)
	}
}
