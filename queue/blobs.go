package queue

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/internal/durable"
)

// BlobStore keeps page images and other binary objects as files named by their SHA-256,
// fanned out by the first two hex digits. Every read and write of blob content goes through
// this type, so that encryption at rest (DESIGN.md §8) has one place to live.
//
// When the store is encrypted (docs/ENCRYPTION.md) new blobs are written as chunked
// AES-256-GCM under the store's data key (blobcrypt.go); the name stays the SHA-256 of the
// plaintext. Reads accept both forms, so that a store part-way through its conversion reads
// whole; the plaintext is checked against its name either way.
type BlobStore struct {
	dir string

	mu      sync.RWMutex
	encrypt bool      // new blobs are written encrypted
	key     *[32]byte // the data key while the store is unlocked; nil when locked
	// sealed: the store is encrypted and converted whole, so a blob file without the
	// encrypted header is damage (ErrBlobCorrupt), not an old plaintext blob.
	sealed bool
}

// setSealed says whether every blob file must be encrypted (the conversion has finished).
func (b *BlobStore) setSealed(v bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sealed = v
}

// plainRefused reports whether a blob file without the encrypted header is refused.
func (b *BlobStore) plainRefused() bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.sealed
}

// setKey sets (or with nil forgets) the data key and whether new blobs are encrypted.
func (b *BlobStore) setKey(key *[32]byte, encrypt bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.key != nil && b.key != key {
		clear(b.key[:])
	}
	b.key, b.encrypt = key, encrypt
}

// lockKey forgets the data key (new writes and encrypted reads fail with ErrStoreLocked).
func (b *BlobStore) lockKey() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.key != nil {
		clear(b.key[:])
	}
	b.key = nil
}

// keyState is the data key (nil when locked) and whether new blobs are encrypted.
func (b *BlobStore) keyState() (*[32]byte, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.key == nil {
		return nil, b.encrypt
	}
	k := *b.key
	return &k, b.encrypt
}

// Encrypted reports whether new blobs are written encrypted.
func (b *BlobStore) Encrypted() bool {
	_, enc := b.keyState()
	return enc
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
func (b *BlobStore) Put(data []byte) (string, error) { return b.putData(data, nil) }

// put is Put; with dirs it does not fsync the fan-out folder but adds it to dirs, for a
// caller storing many blobs (backup, restore) that fsyncs each folder once at the end
// (syncDirs) before it counts any of them as stored.
func (b *BlobStore) putData(data []byte, dirs map[string]bool) (string, error) {
	h := HashBytes(data)
	key, enc := b.keyState()
	if enc && key == nil {
		return "", ErrStoreLocked
	}
	return h, b.put(h, data, key, enc, dirs)
}

// put writes the blob h (content data) in the store's current form: encrypted under key when
// enc, plain otherwise. A file of the expected size is kept as it is (touched).
//
// With dirs the fan-out folder is not fsynced but added to dirs (see putData).
func (b *BlobStore) put(h string, data []byte, key *[32]byte, enc bool, dirs map[string]bool) error {
	final := b.Path(h)
	want := int64(len(data))
	if enc {
		want = encryptedSize(want)
	}
	if st, err := os.Stat(final); err == nil && st.Size() == want {
		// The same bytes are stored already, perhaps as an orphan the sweep would remove
		// once it is older than the grace period: touch it, so the row about to name it
		// is committed long before the sweep could consider it again.
		now := time.Now()
		if err := os.Chtimes(final, now, now); err == nil {
			return nil
		}
	}
	sub := filepath.Dir(final)
	if err := os.MkdirAll(sub, 0o700); err != nil {
		return fmt.Errorf("blob folder: %w", err)
	}
	f, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), h[:8]+"-*")
	if err != nil {
		return fmt.Errorf("blob temp file: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if enc {
		bw := bufio.NewWriterSize(f, 256<<10)
		err = encryptBlob(bw, key, h, data)
		if err == nil {
			err = bw.Flush()
		}
	} else {
		_, err = f.Write(data)
	}
	if err != nil {
		return fmt.Errorf("write blob: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync blob: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close blob: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("place blob: %w", err)
	}
	ok = true
	if dirs != nil {
		dirs[sub] = true
		return nil
	}
	return durable.SyncDir(sub)
}

// putStored writes raw, blob h exactly as another store of the same key stored it (an
// encrypted store's backup and restore copy ciphertext): temporary file, fsync, rename; the
// fan-out folder goes into dirs.
func (b *BlobStore) putStored(h string, raw []byte, dirs map[string]bool) error {
	if !validHash(h) {
		return fmt.Errorf("invalid blob name %q", h)
	}
	final := b.Path(h)
	sub := filepath.Dir(final)
	if err := os.MkdirAll(sub, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), h[:8]+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(raw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write blob: %w", err)
	}
	dirs[sub] = true
	return nil
}

// openBlobFile opens the file of blob h as stored, refusing a name that is not a blob hash
// and telling a missing file as ErrBlobMissing; the caller closes it.
func (b *BlobStore) openBlobFile(h string) (*os.File, error) { return blobFile(b, h, os.Open) }

// readBlobFile is openBlobFile for the whole file at once: blob h's bytes as stored
// (ciphertext in an encrypted store), with the same refusals.
func (b *BlobStore) readBlobFile(h string) ([]byte, error) { return blobFile(b, h, os.ReadFile) }

// blobFile hands the path of blob h to open (os.Open, os.ReadFile) once h is a blob hash,
// and tells a missing file as ErrBlobMissing.
func blobFile[T any](b *BlobStore, h string, open func(string) (T, error)) (T, error) {
	var none T
	if !validHash(h) {
		return none, fmt.Errorf("invalid blob name %q", h)
	}
	v, err := open(b.Path(h))
	if errors.Is(err, os.ErrNotExist) {
		return none, fmt.Errorf("%w: %s", ErrBlobMissing, h)
	}
	return v, err
}

// verifyStoredForm checks, without the data key, that blob h is present and in the encrypted
// form (a restored copy before anyone signed in).
func (b *BlobStore) verifyStoredForm(h string) error {
	f, err := b.openBlobFile(h)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(blobMagic))
	if _, err := io.ReadFull(f, head); err != nil || !isEncryptedBlob(head) {
		return fmt.Errorf("%w: %s", ErrBlobCorrupt, h)
	}
	return nil
}

// syncDirs fsyncs every folder of dirs.
func syncDirs(dirs map[string]bool) error {
	for d := range dirs {
		if err := durable.SyncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// Get reads a blob and checks it against its hash.
func (b *BlobStore) Get(h string) ([]byte, error) {
	data, err := b.readBlobFile(h)
	if err != nil {
		return nil, err
	}
	if isEncryptedBlob(data) {
		key, _ := b.keyState()
		if key == nil {
			return nil, ErrStoreLocked
		}
		return decryptBlob(data, key, h)
	}
	if HashBytes(data) != h || b.plainRefused() {
		return nil, fmt.Errorf("%w: %s", ErrBlobCorrupt, h)
	}
	return data, nil
}

// Verify checks that blob h exists and matches its hash without keeping it in memory.
func (b *BlobStore) Verify(h string) error {
	f, err := b.openBlobFile(h)
	if err != nil {
		return err
	}
	defer f.Close()
	var src io.Reader = bufio.NewReaderSize(f, 256<<10)
	head, _ := src.(*bufio.Reader).Peek(len(blobMagic))
	if isEncryptedBlob(head) {
		key, _ := b.keyState()
		if key == nil {
			return ErrStoreLocked
		}
		r, err := newBlobReader(src, key, h)
		if err != nil {
			return err
		}
		src = r
	} else if b.plainRefused() {
		return fmt.Errorf("%w: %s", ErrBlobCorrupt, h)
	}
	sum := sha256.New()
	if _, err := io.Copy(sum, src); err != nil {
		return err
	}
	if hex.EncodeToString(sum.Sum(nil)) != h {
		return fmt.Errorf("%w: %s", ErrBlobCorrupt, h)
	}
	return nil
}
