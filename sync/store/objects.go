package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
)

// ObjectStore is the byte side of a blob store: named objects kept durably, with no check of
// what they hold. LocalBlobs and S3Blobs are both; their Put is PutObject behind a reader that
// checks the SHA-256 while streaming, and EncryptedBlobs puts ciphertext through PutObject
// under the plaintext's name. Names are 64 lowercase hex digits (wire.ParseBlobName).
//
// PutObject stores r's bytes under name only once r has reached io.EOF with no error (any
// error of r, a cancelled ctx or more than maxSize bytes stores nothing: ErrTooLarge) and the
// object is durable before it returns. An object already stored is replaced.
type ObjectStore interface {
	PutObject(ctx context.Context, name string, r io.Reader, maxSize int64) (int64, error)
	Has(ctx context.Context, name string) (bool, error)
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	Size(ctx context.Context, name string) (int64, error)
}

// hashCheck passes r through and, at its end, answers ErrHashMismatch instead of io.EOF when
// the bytes do not hash to sum: a reader that ends in an error is never stored, so a
// mismatched upload leaves nothing, whatever the backend.
type hashCheck struct {
	r   io.Reader
	h   hash.Hash
	sum string
}

func checkSum(r io.Reader, sum string) *hashCheck { return &hashCheck{r: r, h: sha256.New(), sum: sum} }

func (c *hashCheck) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF && hex.EncodeToString(c.h.Sum(nil)) != c.sum {
		return n, ErrHashMismatch
	}
	return n, err
}

// sizeCap fails with ErrTooLarge once more than max bytes came through.
type sizeCap struct {
	r   io.Reader
	n   int64
	max int64
}

func (c *sizeCap) Read(p []byte) (int, error) {
	if c.n > c.max {
		return 0, ErrTooLarge
	}
	if rest := c.max + 1 - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return n, ErrTooLarge
	}
	return n, err
}

// Blob formats, as the FORMAT marker of a blob store names them.
const (
	FormatPlain    = "plain"     // blobs stored as sent (data folders from before encryption)
	FormatSealedV1 = "sealed-v1" // EncryptedBlobs
)

// FormatMarker is the one small object beside the blobs that says how they are stored, so
// that every server sharing a store reads it the same way.
type FormatMarker interface {
	// Format returns the marker ("" when there is none yet) and whether any blob is stored.
	Format(ctx context.Context) (format string, blobs bool, err error)
	SetFormat(ctx context.Context, format string) error
}
