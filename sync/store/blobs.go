package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sohoa/sohoa/internal/durable"
	"github.com/sohoa/sohoa/sync/wire"
)

// ErrHashMismatch means the bytes received do not hash to the name they were sent under.
var ErrHashMismatch = errors.New("content does not match its SHA-256 name")

// BlobStore keeps content-addressed blobs. Put must store nothing unless the content hashes to
// sum, and must make the blob durable before returning. A Put of a blob already stored reads
// and checks the whole body all the same and succeeds, leaving one copy (the server relies on
// it: an office proves it holds a blob another office sent by sending every byte of it, and
// must not be able to tell that the blob was there, so the two Puts must look alike).
//
// S3Blobs implements the same four methods on an S3-compatible store (Put streams through the
// hash check into one PUT or a multipart upload that is completed only if the check passes;
// Has and Size are HEAD; Open is GET) and EncryptedBlobs seals either. Because names are
// hashes, no locking is needed: two writers of one name write the same bytes.
type BlobStore interface {
	Put(ctx context.Context, sum string, r io.Reader, maxSize int64) (size int64, err error)
	Has(ctx context.Context, sum string) (bool, error)
	Open(ctx context.Context, sum string) (io.ReadCloser, error)
	Size(ctx context.Context, sum string) (int64, error)
}

var (
	_ BlobStore   = (*LocalBlobs)(nil)
	_ ObjectStore = (*LocalBlobs)(nil)
)

// LocalBlobs is a BlobStore in a local folder: <dir>/<2 hex>/<64 hex>, temp files in <dir>/tmp.
type LocalBlobs struct{ dir string }

// ErrTooLarge means a blob exceeds the allowed size.
var ErrTooLarge = errors.New("blob too large")

// StaleTempAge is the age after which NewLocalBlobs deletes temp files left by a crash (not
// sooner: another server sharing the folder may still be writing them).
const StaleTempAge = 24 * time.Hour

// NewLocalBlobs opens (creating) a blob folder and deletes stale temp files.
func NewLocalBlobs(dir string) (*LocalBlobs, error) {
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("create blob folder: %w", err)
	}
	if ents, err := os.ReadDir(tmp); err == nil {
		for _, e := range ents {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > StaleTempAge {
				os.Remove(filepath.Join(tmp, e.Name()))
			}
		}
	}
	return &LocalBlobs{dir: dir}, nil
}

func (b *LocalBlobs) path(sum string) (string, error) {
	if _, err := wire.ParseBlobName(sum); err != nil {
		return "", err
	}
	return filepath.Join(b.dir, sum[:2], sum), nil
}

// PartialKeeper is implemented by blob stores that, when the reader of a Put breaks off, can
// hand the bytes received over as a partial upload (the server's file partial) instead of
// deleting them, without copying them on the way. The bytes are never a blob: the upload that
// completes the partial goes through Put, which checks the hash.
type PartialKeeper interface {
	PutKeepPartial(ctx context.Context, sum string, r io.Reader, maxSize int64, partial string) (int64, error)
}

var _ PartialKeeper = (*LocalBlobs)(nil)

// Put streams r to a temp file while hashing, refuses a mismatch (removing the temp file),
// fsyncs, renames into place and fsyncs the directory. A blob already stored is replaced by
// the same bytes (an open reader keeps reading the old file).
func (b *LocalBlobs) Put(ctx context.Context, sum string, r io.Reader, maxSize int64) (int64, error) {
	return b.put(ctx, sum, r, maxSize, "", true)
}

// PutKeepPartial is Put, except that when reading r fails (the body broke off, ctx ended) the
// bytes read so far are fsynced and renamed to partial (replacing it) and its folder fsynced.
// partial must be on the blob folder's file system; if the rename fails they are deleted.
func (b *LocalBlobs) PutKeepPartial(ctx context.Context, sum string, r io.Reader, maxSize int64, partial string) (int64, error) {
	return b.put(ctx, sum, r, maxSize, partial, true)
}

// readErr remembers the error of the reader, to tell a broken body from a failing disk.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// PutObject stores r's bytes under name with no content check (ObjectStore; EncryptedBlobs
// uses it for ciphertext): temp file, fsync, rename, fsync of the folder.
func (b *LocalBlobs) PutObject(ctx context.Context, name string, r io.Reader, maxSize int64) (int64, error) {
	return b.put(ctx, name, r, maxSize, "", false)
}

func (b *LocalBlobs) put(ctx context.Context, sum string, r io.Reader, maxSize int64, partial string, check bool) (int64, error) {
	dst, err := b.path(sum)
	if err != nil {
		return 0, err
	}
	f, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), "up-*")
	if err != nil {
		return 0, fmt.Errorf("blob temp file: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	body := &readErr{r: r}
	var src io.Reader = &sizeCap{r: &ctxReader{ctx: ctx, r: body}, max: maxSize}
	if check {
		src = checkSum(src, sum)
	}
	n, err := io.Copy(f, src)
	if err != nil {
		if partial != "" && body.err != nil && n > 0 && keepPartial(f, partial) == nil {
			ok = true
		}
		if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrHashMismatch) {
			return 0, err
		}
		return 0, fmt.Errorf("receive blob: %w", err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("fsync blob: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("close blob: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return 0, fmt.Errorf("blob folder: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return 0, fmt.Errorf("rename blob: %w", err)
	}
	ok = true
	if err := durable.SyncDir(filepath.Dir(dst)); err != nil {
		return 0, err
	}
	return n, nil
}

// keepPartial makes the temp file f the partial upload at path: fsync, close, rename, fsync
// the folder.
func keepPartial(f *os.File, path string) error {
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return durable.SyncDir(filepath.Dir(path))
}

// Has reports whether the blob is stored.
func (b *LocalBlobs) Has(_ context.Context, sum string) (bool, error) {
	p, err := b.path(sum)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Size returns the stored size (ErrNotFound).
func (b *LocalBlobs) Size(_ context.Context, sum string) (int64, error) {
	p, err := b.path(sum)
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Open reads a blob (ErrNotFound).
func (b *LocalBlobs) Open(_ context.Context, sum string) (io.ReadCloser, error) {
	p, err := b.path(sum)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

// CountFiles counts stored blobs and leftover temp files (for tests and health checks).
func (b *LocalBlobs) CountFiles() (blobs, temps int, err error) {
	err = filepath.WalkDir(b.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if filepath.Base(filepath.Dir(p)) == "tmp" {
			temps++
		} else {
			blobs++
		}
		return nil
	})
	return
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

var _ FormatMarker = (*LocalBlobs)(nil)

// Format reads <dir>/FORMAT and says whether the folder holds any blob.
func (b *LocalBlobs) Format(context.Context) (string, bool, error) {
	raw, err := os.ReadFile(filepath.Join(b.dir, "FORMAT"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", false, err
	}
	ents, err := os.ReadDir(b.dir)
	if err != nil {
		return "", false, err
	}
	any := false
	for _, e := range ents {
		if e.IsDir() && len(e.Name()) == 2 {
			if sub, _ := os.ReadDir(filepath.Join(b.dir, e.Name())); len(sub) > 0 {
				any = true
				break
			}
		}
	}
	return strings.TrimSpace(string(raw)), any, nil
}

// SetFormat writes <dir>/FORMAT durably.
func (b *LocalBlobs) SetFormat(_ context.Context, format string) error {
	p := filepath.Join(b.dir, "FORMAT")
	f, err := os.CreateTemp(filepath.Join(b.dir, "tmp"), "format-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(format + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return err
	}
	return durable.SyncDir(b.dir)
}

// OpenLocalBlobsReadOnly opens a blob folder for reading only: nothing is created or removed
// in it (a backup's blobs, on the backup medium).
func OpenLocalBlobsReadOnly(dir string) *LocalBlobs { return &LocalBlobs{dir: dir} }
