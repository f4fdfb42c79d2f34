package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
)

// Staging keeps the partial (resumable) uploads of the server: the bytes of a blob received
// so far, under a name the server makes (workstation id "." sha256). A ranged PUT appends to
// them; HEAD reports how many there are; the last chunk moves them into the blob store, which
// checks the hash. LocalStaging is a folder of one server; the S3 blob store's staging is
// shared by every server on the bucket, so an upload started on one resumes on another.
type Staging interface {
	// Staged returns the bytes staged under name (0 when none).
	Staged(ctx context.Context, name string) (int64, error)
	// Stage appends r's bytes to name, whose staged bytes must be off; what arrives is kept
	// even when r fails (the client resumes from there). It returns the bytes appended.
	Stage(ctx context.Context, name string, off int64, r io.Reader) (int64, error)
	// OpenStaged reads the staged bytes from the start.
	OpenStaged(ctx context.Context, name string) (io.ReadCloser, error)
	// Unstage deletes name's staged bytes.
	Unstage(ctx context.Context, name string) error
	// StagedBytes adds up the staged bytes of the names starting with prefix.
	StagedBytes(ctx context.Context, prefix string) (int64, error)
	// PruneStaged deletes the staged uploads not written to since before.
	PruneStaged(ctx context.Context, before time.Time) error
}

// ErrStagingFailed wraps the staging's own failures in Stage (a disk, the object store), as
// opposed to the reader's.
var ErrStagingFailed = errors.New("staging failed")

// ErrStagedOffset means a Stage did not start where the staged bytes end.
var ErrStagedOffset = errors.New("staged upload is at another offset")

// LocalStaging is a Staging in a local folder: one file per upload.
type LocalStaging struct{ dir string }

var _ Staging = (*LocalStaging)(nil)

// NewLocalStaging opens (creating) the folder.
func NewLocalStaging(dir string) (*LocalStaging, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("uploads folder: %w", err)
	}
	return &LocalStaging{dir: dir}, nil
}

// Path is the file of name's staged bytes (LocalBlobs.PutKeepPartial renames a broken whole
// upload there). name must be a plain file name.
func (l *LocalStaging) Path(name string) string { return filepath.Join(l.dir, filepath.Base(name)) }

// Staged is the file's size.
func (l *LocalStaging) Staged(_ context.Context, name string) (int64, error) {
	st, err := os.Stat(l.Path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Stage appends to the file and fsyncs it, whatever r did.
func (l *LocalStaging) Stage(_ context.Context, name string, off int64, r io.Reader) (int64, error) {
	f, err := os.OpenFile(l.Path(name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, fmt.Errorf("%w: staging file: %w", ErrStagingFailed, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("%w: staging file: %w", ErrStagingFailed, err)
	}
	if st.Size() != off {
		return 0, ErrStagedOffset
	}
	n, copyErr := io.Copy(f, r)
	if err := f.Sync(); err != nil {
		return n, fmt.Errorf("%w: fsync: %w", ErrStagingFailed, err)
	}
	return n, copyErr
}

// OpenStaged opens the file.
func (l *LocalStaging) OpenStaged(_ context.Context, name string) (io.ReadCloser, error) {
	return os.Open(l.Path(name))
}

// Unstage removes the file.
func (l *LocalStaging) Unstage(_ context.Context, name string) error {
	err := os.Remove(l.Path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// StagedBytes adds up the sizes of the files starting with prefix.
func (l *LocalStaging) StagedBytes(_ context.Context, prefix string) (int64, error) {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if info, err := e.Info(); err == nil {
			n += info.Size()
		}
	}
	return n, nil
}

// PruneStaged removes files not modified since before.
func (l *LocalStaging) PruneStaged(_ context.Context, before time.Time) error {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.ModTime().Before(before) {
			os.Remove(filepath.Join(l.dir, e.Name()))
		}
	}
	return nil
}

// S3Staging is the Staging of an S3 bucket: an upload is a series of pieces, the objects
// <prefix>uploads/<name>/<offset, 20 digits>, each PUT whole (an object exists only
// complete), so a server killed mid-chunk loses at most the piece it was receiving and every
// server of the bucket sees the same staged bytes. Pieces overlapping an earlier one (a
// chunk sent again by a client that missed an answer) count from where the earlier ends.
type S3Staging struct {
	b     *S3Blobs
	piece int
}

var _ Staging = (*S3Staging)(nil)

// Staging is the bucket's staging, in pieces of up to the part size.
func (b *S3Blobs) Staging() *S3Staging { return &S3Staging{b: b, piece: int(b.part)} }

func (s *S3Staging) dir(name string) string { return s.b.prefix + "uploads/" + name + "/" }

// segment is one piece of a staged upload and how many of its first bytes an earlier piece
// already covers.
type segment struct {
	key        string
	skip, size int64
}

// segments walks the pieces in offset order: the contiguous bytes from 0.
func (s *S3Staging) segments(ctx context.Context, name string) ([]segment, int64, error) {
	var segs []segment
	var end int64
	for o := range s.b.c.ListObjects(ctx, s.b.bucket, minio.ListObjectsOptions{Prefix: s.dir(name), Recursive: true}) {
		if o.Err != nil {
			return nil, 0, fmt.Errorf("S3 staging: %w", o.Err)
		}
		off, err := strconv.ParseInt(strings.TrimPrefix(o.Key, s.dir(name)), 10, 64)
		if err != nil || off > end {
			break // a gap: bytes after it are of no use until it is filled
		}
		if off+o.Size <= end {
			continue
		}
		segs = append(segs, segment{key: o.Key, skip: end - off, size: o.Size})
		end = off + o.Size
	}
	return segs, end, nil
}

// Staged is where the contiguous pieces end.
func (s *S3Staging) Staged(ctx context.Context, name string) (int64, error) {
	_, end, err := s.segments(ctx, name)
	return end, err
}

// Stage PUTs r's bytes as pieces; when r fails, the bytes read since the last piece become
// one more piece.
func (s *S3Staging) Stage(ctx context.Context, name string, off int64, r io.Reader) (int64, error) {
	end, err := s.Staged(ctx, name)
	if err != nil {
		return 0, err
	}
	if end != off {
		return 0, ErrStagedOffset
	}
	var n int64
	for {
		// A piece is grown as bytes arrive, up to the part size.
		var buf bytes.Buffer
		k, rerr := buf.ReadFrom(io.LimitReader(r, int64(s.piece)))
		if k > 0 {
			key := fmt.Sprintf("%s%020d", s.dir(name), off+n)
			// A broken body must not lose the bytes that arrived: put them with a context
			// the request's end does not cancel.
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			_, err := s.b.c.PutObject(pctx, s.b.bucket, key, bytes.NewReader(buf.Bytes()), k,
				minio.PutObjectOptions{ContentType: "application/octet-stream", ServerSideEncryption: s.b.sse})
			cancel()
			if err != nil {
				return n, fmt.Errorf("%w: S3 put: %w", ErrStagingFailed, err)
			}
			n += k
		}
		switch {
		case rerr != nil:
			return n, rerr
		case k < int64(s.piece): // the body's end
			return n, nil
		}
	}
}

// OpenStaged reads the pieces one after another.
func (s *S3Staging) OpenStaged(ctx context.Context, name string) (io.ReadCloser, error) {
	segs, _, err := s.segments(ctx, name)
	if err != nil {
		return nil, err
	}
	return &pieceReader{ctx: ctx, s: s, segs: segs}, nil
}

type pieceReader struct {
	ctx  context.Context
	s    *S3Staging
	segs []segment
	cur  io.ReadCloser
}

func (p *pieceReader) Read(b []byte) (int, error) {
	for {
		if p.cur == nil {
			if len(p.segs) == 0 {
				return 0, io.EOF
			}
			seg := p.segs[0]
			p.segs = p.segs[1:]
			opts := minio.GetObjectOptions{}
			if seg.skip > 0 {
				opts.SetRange(seg.skip, 0)
			}
			obj, err := p.s.b.c.GetObject(p.ctx, p.s.b.bucket, seg.key, opts)
			if err != nil {
				return 0, err
			}
			p.cur = obj
		}
		n, err := p.cur.Read(b)
		if err == io.EOF {
			p.cur.Close()
			p.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (p *pieceReader) Close() error {
	if p.cur != nil {
		return p.cur.Close()
	}
	return nil
}

// Unstage deletes every piece.
func (s *S3Staging) Unstage(ctx context.Context, name string) error {
	for o := range s.b.c.ListObjects(ctx, s.b.bucket, minio.ListObjectsOptions{Prefix: s.dir(name), Recursive: true}) {
		if o.Err != nil {
			return o.Err
		}
		if err := s.b.c.RemoveObject(ctx, s.b.bucket, o.Key, minio.RemoveObjectOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// StagedBytes adds up the pieces of the uploads whose names start with prefix.
func (s *S3Staging) StagedBytes(ctx context.Context, prefix string) (int64, error) {
	var n int64
	for o := range s.b.c.ListObjects(ctx, s.b.bucket, minio.ListObjectsOptions{Prefix: s.b.prefix + "uploads/" + prefix, Recursive: true}) {
		if o.Err != nil {
			return 0, o.Err
		}
		n += o.Size
	}
	return n, nil
}

// PruneStaged deletes the uploads whose newest piece is older than before.
func (s *S3Staging) PruneStaged(ctx context.Context, before time.Time) error {
	newest := map[string]time.Time{}
	var keys = map[string][]string{}
	root := s.b.prefix + "uploads/"
	for o := range s.b.c.ListObjects(ctx, s.b.bucket, minio.ListObjectsOptions{Prefix: root, Recursive: true}) {
		if o.Err != nil {
			return o.Err
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(o.Key, root), "/")
		if o.LastModified.After(newest[name]) {
			newest[name] = o.LastModified
		}
		keys[name] = append(keys[name], o.Key)
	}
	for name, t := range newest {
		if t.Before(before) {
			for _, k := range keys[name] {
				s.b.c.RemoveObject(ctx, s.b.bucket, k, minio.RemoveObjectOptions{})
			}
		}
	}
	return nil
}
