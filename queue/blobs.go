package queue

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
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

// NewBlobStore opens (creating) a blob folder. The folder, its tmp folder and its fan-out
// folders are made 0700 whatever they were; the files of a fan-out folder that was not
// private are made 0600 on the way (the daily sweep checks every file's mode too).
func NewBlobStore(dir string) (*BlobStore, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("create blob folder: %w", err)
	}
	if err := fixMode(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blob folder: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("blob folder: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || (e.Name() != "tmp" && !isFanOut(e.Name())) {
			continue
		}
		sub := filepath.Join(dir, e.Name())
		info, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("blob folder: %w", err)
		}
		if info.Mode().Perm() == 0o700 || runtime.GOOS == "windows" {
			continue
		}
		if err := fixMode(sub, 0o700); err != nil {
			return nil, fmt.Errorf("blob folder: %w", err)
		}
		files, err := os.ReadDir(sub)
		if err != nil {
			return nil, fmt.Errorf("blob folder: %w", err)
		}
		for _, f := range files {
			if f.Type().IsRegular() {
				if err := fixMode(filepath.Join(sub, f.Name()), 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
					return nil, fmt.Errorf("blob file: %w", err)
				}
			}
		}
	}
	return &BlobStore{dir: dir}, nil
}

// isFanOut: a fan-out folder is named by two lower-case hex digits.
func isFanOut(name string) bool { return len(name) == 2 && validHash(name+strings.Repeat("0", 62)) }

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
func (b *BlobStore) Put(data []byte) (string, error) { return b.put(data, nil) }

// put is Put; with dirs it does not fsync the fan-out folder but adds it to dirs, for a
// caller storing many blobs (backup, restore) that fsyncs each folder once at the end
// (syncDirs) before it counts any of them as stored.
func (b *BlobStore) put(data []byte, dirs map[string]bool) (string, error) {
	h := HashBytes(data)
	final := b.Path(h)
	if st, err := os.Stat(final); err == nil && st.Size() == int64(len(data)) {
		// The same bytes are stored already, perhaps as an orphan the sweep would remove
		// once it is older than the grace period: touch it, so the row about to name it
		// is committed long before the sweep could consider it again.
		now := time.Now()
		if err := os.Chtimes(final, now, now); err == nil {
			return h, nil
		}
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
	if dirs != nil {
		dirs[sub] = true
		return h, nil
	}
	if err := syncDir(sub); err != nil {
		return "", err
	}
	return h, nil
}

// syncDirs fsyncs every folder of dirs.
func syncDirs(dirs map[string]bool) error {
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
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
