package queue

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// BlobStore keeps page images and other binary objects as files named by their SHA-256,
// fanned out by the first two hex digits. Every read and write of blob content goes through
// this type, so that encryption at rest (DESIGN.md §8) has one place to live.
type BlobStore struct {
	dir string
}

// ErrBlobMissing means no blob with that hash is stored.
var ErrBlobMissing = errors.New("blob missing")

// ErrBlobCorrupt means the stored bytes no longer match their hash.
var ErrBlobCorrupt = errors.New("blob corrupt: content does not match its hash")

// NewBlobStore opens (creating) a blob folder.
func NewBlobStore(dir string) (*BlobStore, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("create blob folder: %w", err)
	}
	return &BlobStore{dir: dir}, nil
}

// HashBytes returns the lower-case hex SHA-256 of b.
func HashBytes(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Path is where the blob with hash h lives.
func (b *BlobStore) Path(h string) string {
	return filepath.Join(b.dir, h[:2], h)
}

// Put stores data durably and returns its hash. When Put returns nil the bytes are on disk:
// written to a temporary file, fsynced, renamed into place, and the directory fsynced.
// Storing the same content twice is a no-op.
func (b *BlobStore) Put(data []byte) (string, error) {
	h := HashBytes(data)
	final := b.Path(h)
	if st, err := os.Stat(final); err == nil && st.Size() == int64(len(data)) {
		return h, nil
	}
	sub := filepath.Dir(final)
	if err := os.MkdirAll(sub, 0o700); err != nil {
		return "", fmt.Errorf("blob folder: %w", err)
	}
	f, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), h[:8]+"-*")
	if err != nil {
		return "", fmt.Errorf("blob temp file: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return "", fmt.Errorf("write blob: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("sync blob: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("close blob: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("place blob: %w", err)
	}
	ok = true
	if err := syncDir(sub); err != nil {
		return "", err
	}
	return h, nil
}

// Get reads a blob and checks it against its hash.
func (b *BlobStore) Get(h string) ([]byte, error) {
	if !validHash(h) {
		return nil, fmt.Errorf("invalid blob name %q", h)
	}
	data, err := os.ReadFile(b.Path(h))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrBlobMissing, h)
	}
	if err != nil {
		return nil, err
	}
	if HashBytes(data) != h {
		return nil, fmt.Errorf("%w: %s", ErrBlobCorrupt, h)
	}
	return data, nil
}

// Verify checks that blob h exists and matches its hash without keeping it in memory.
func (b *BlobStore) Verify(h string) error {
	if !validHash(h) {
		return fmt.Errorf("invalid blob name %q", h)
	}
	f, err := os.Open(b.Path(h))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrBlobMissing, h)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return err
	}
	if hex.EncodeToString(sum.Sum(nil)) != h {
		return fmt.Errorf("%w: %s", ErrBlobCorrupt, h)
	}
	return nil
}

// CleanTemp removes leftovers of interrupted writes older than age (a writer in another
// process may still be filling a younger one).
func (b *BlobStore) CleanTemp(age time.Duration) error {
	entries, err := os.ReadDir(filepath.Join(b.dir, "tmp"))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > age {
			os.Remove(filepath.Join(b.dir, "tmp", e.Name()))
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open folder for sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	return nil
}
