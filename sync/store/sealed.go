package store

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Blobs at rest, encrypted (issue 14 item 5; sync/PROTOCOL.md "Blobs at rest"). EncryptedBlobs
// is a BlobStore over any ObjectStore (a local folder, an S3 bucket) that keeps every blob
// sealed: the content address stays the SHA-256 of the plaintext (what workstations send and
// manifests name), checked while streaming exactly as the plain stores do, and the object
// stored under that name is
//
//	header (SealedHeaderSize bytes): "SOHOAB1\n", 2-byte length, the wrapped data key, zeros
//	chunks: AES-256-GCM of SealedChunkSize plaintext bytes each (the last one shorter, or
//	        empty for an empty blob), nonce = 11-byte chunk number ‖ 1 if the last chunk else 0,
//	        additional data = "sohoa blob v1" ‖ the blob's name
//
// Every blob has its own random 256-bit data key, wrapped by a KeyProvider (envelope
// encryption: a KMS implements the same two calls). The chunk number and last-chunk flag in
// the nonce make a reordered, dropped, truncated or extended object fail, and the name in the
// additional data makes an object moved under another name fail: Open returns only bytes
// that were authenticated, and ErrBlobIntegrity for anything else. Size is the plaintext size,
// computed from the object's size (the header has a fixed length).

// ErrBlobIntegrity means a stored blob fails its authentication: changed, cut, moved, or
// sealed under a key the provider does not have.
var ErrBlobIntegrity = errors.New("stored blob fails its integrity check")

// KeyProvider makes and unwraps per-blob data keys. The local provider wraps them with AES-GCM
// under a key from the data key file; a KMS provider would call GenerateDataKey and Decrypt.
type KeyProvider interface {
	// NewDataKey returns a fresh 32-byte data key and its wrapped form, stored in the blob's
	// header (at most SealedHeaderSize-10 bytes).
	NewDataKey(ctx context.Context) (key, wrapped []byte, err error)
	// UnwrapDataKey returns the data key of a wrapped form (ErrBlobIntegrity if it is not one
	// of this provider's).
	UnwrapDataKey(ctx context.Context, wrapped []byte) ([]byte, error)
}

const (
	// SealedChunkSize is the plaintext bytes per AEAD chunk.
	SealedChunkSize = 64 << 10
	// SealedHeaderSize is the fixed length of a sealed object's header.
	SealedHeaderSize = 512
	sealedMagic      = "SOHOAB1\n"
	sealedTag        = 16
)

// SealedSize is the object size of a sealed blob of n plaintext bytes.
func SealedSize(n int64) int64 {
	chunks := (n + SealedChunkSize - 1) / SealedChunkSize
	if chunks == 0 {
		chunks = 1
	}
	return SealedHeaderSize + n + chunks*sealedTag
}

// plainSize inverts SealedSize (false: no sealed object has that size).
func plainSize(obj int64) (int64, bool) {
	body := obj - SealedHeaderSize
	if body < sealedTag {
		return 0, false
	}
	full, rem := body/(SealedChunkSize+sealedTag), body%(SealedChunkSize+sealedTag)
	switch {
	case rem == 0:
		return full * SealedChunkSize, true
	case rem < sealedTag:
		return 0, false
	default:
		return full*SealedChunkSize + rem - sealedTag, true
	}
}

// EncryptedBlobs is the encrypting BlobStore decorator (see above).
type EncryptedBlobs struct {
	inner ObjectStore
	keys  KeyProvider
}

var _ BlobStore = (*EncryptedBlobs)(nil)

// NewEncryptedBlobs seals the blobs kept in inner with data keys from keys.
func NewEncryptedBlobs(inner ObjectStore, keys KeyProvider) *EncryptedBlobs {
	return &EncryptedBlobs{inner: inner, keys: keys}
}

func chunkNonce(i uint64, last bool) []byte {
	n := make([]byte, 12)
	binary.BigEndian.PutUint64(n[3:11], i)
	if last {
		n[11] = 1
	}
	return n
}

func blobAEAD(key []byte) (cipher.AEAD, error) {
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(blk)
}

// Put checks the plaintext's SHA-256 while sealing it on the way to the object store; a
// mismatch, an oversize or a broken body stores nothing (the object store sees a reader
// that fails).
func (e *EncryptedBlobs) Put(ctx context.Context, sum string, r io.Reader, maxSize int64) (int64, error) {
	key, wrapped, err := e.keys.NewDataKey(ctx)
	if err != nil {
		return 0, fmt.Errorf("blob data key: %w", err)
	}
	if len(wrapped) > SealedHeaderSize-len(sealedMagic)-2 {
		return 0, errors.New("blob data key: wrapped key too long for the header")
	}
	aead, err := blobAEAD(key)
	if err != nil {
		return 0, err
	}
	hdr := make([]byte, SealedHeaderSize)
	copy(hdr, sealedMagic)
	binary.BigEndian.PutUint16(hdr[len(sealedMagic):], uint16(len(wrapped)))
	copy(hdr[len(sealedMagic)+2:], wrapped)
	plain := checkSum(&sizeCap{r: &ctxReader{ctx: ctx, r: r}, max: maxSize}, sum)
	s := &sealer{src: plain, aead: aead, ad: []byte("sohoa blob v1" + sum), chunks: chunks{out: hdr},
		buf: make([]byte, SealedChunkSize+1)}
	n, err := e.inner.PutObject(ctx, sum, s, SealedSize(maxSize))
	if err != nil {
		return 0, err
	}
	p, ok := plainSize(n)
	if !ok || p != s.plain {
		return 0, fmt.Errorf("sealed blob stored with %d bytes, want %d", n, SealedSize(s.plain))
	}
	return p, nil
}

// chunks is the reading side that sealer and opener share: both turn their source into
// output one chunk at a time, and hand it out as the caller reads.
type chunks struct {
	out  []byte // output not yet read
	done bool   // the last chunk's output is in out
}

// read hands out what out holds; once it is drained it calls next to make the following
// chunk's output, and answers io.EOF after the last chunk.
func (c *chunks) read(p []byte, next func() error) (int, error) {
	for len(c.out) == 0 {
		if c.done {
			return 0, io.EOF
		}
		if err := next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// fill reads r into buf after the have bytes already there, until buf is full or r ends, and
// returns how many bytes buf then holds and whether r ended. buf is one chunk and one byte of
// look-ahead, so a full buf tells that another chunk follows.
func fill(r io.Reader, buf []byte, have int) (n int, last bool, err error) {
	n, err = io.ReadFull(r, buf[have:])
	n += have
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return n, true, nil
	}
	return n, false, err
}

// sealer is the sealed object as a reader: the header, then each chunk once its plaintext
// (and whether it is the last) is known.
type sealer struct {
	chunks // out: sealed bytes not yet read, the header first
	src    io.Reader
	aead   cipher.AEAD
	ad     []byte
	sealed []byte // the last sealed chunk (out's buffer after the header)
	buf    []byte // SealedChunkSize plaintext bytes + one byte of look-ahead
	have   int    // bytes in buf (a look-ahead byte carried over sits at buf[0])
	i      uint64
	plain  int64
}

func (s *sealer) Read(p []byte) (int, error) { return s.read(p, s.next) }

// next seals one chunk: it reads up to SealedChunkSize+1 bytes, the extra byte telling that
// more follow.
func (s *sealer) next() error {
	n, last, err := fill(s.src, s.buf, s.have)
	if err != nil {
		return err
	}
	chunk := s.buf[:min(n, SealedChunkSize)]
	// s.out is drained before next is called: its buffer is reused.
	s.sealed = s.aead.Seal(s.sealed[:0], chunkNonce(s.i, last), chunk, s.ad)
	s.out = s.sealed
	s.plain += int64(len(chunk))
	s.i++
	if last {
		s.done = true
		return nil
	}
	s.buf[0] = s.buf[SealedChunkSize]
	s.have = 1
	return nil
}

// Has reports whether the blob is stored.
func (e *EncryptedBlobs) Has(ctx context.Context, sum string) (bool, error) {
	return e.inner.Has(ctx, sum)
}

// Size returns the blob's plaintext size (ErrNotFound; ErrBlobIntegrity when the object has
// a size no sealed blob has).
func (e *EncryptedBlobs) Size(ctx context.Context, sum string) (int64, error) {
	n, err := e.inner.Size(ctx, sum)
	if err != nil {
		return 0, err
	}
	p, ok := plainSize(n)
	if !ok {
		return 0, ErrBlobIntegrity
	}
	return p, nil
}

// Open returns a reader of the plaintext that hands out only authenticated chunks; a failing
// chunk is ErrBlobIntegrity (ErrNotFound when absent).
func (e *EncryptedBlobs) Open(ctx context.Context, sum string) (io.ReadCloser, error) {
	rc, err := e.inner.Open(ctx, sum)
	if err != nil {
		return nil, err
	}
	hdr := make([]byte, SealedHeaderSize)
	if _, err := io.ReadFull(rc, hdr); err != nil {
		rc.Close()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrBlobIntegrity
		}
		return nil, err
	}
	wl := int(binary.BigEndian.Uint16(hdr[len(sealedMagic):]))
	if string(hdr[:len(sealedMagic)]) != sealedMagic || wl > SealedHeaderSize-len(sealedMagic)-2 {
		rc.Close()
		return nil, ErrBlobIntegrity
	}
	key, err := e.keys.UnwrapDataKey(ctx, hdr[len(sealedMagic)+2:len(sealedMagic)+2+wl])
	if err != nil {
		rc.Close()
		return nil, err
	}
	aead, err := blobAEAD(key)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return &opener{rc: rc, aead: aead, ad: []byte("sohoa blob v1" + sum), buf: make([]byte, SealedChunkSize+sealedTag+1)}, nil
}

type opener struct {
	chunks // out: plaintext not yet read
	rc     io.ReadCloser
	aead   cipher.AEAD
	ad     []byte
	buf    []byte
	have   int
	plain  []byte // out's buffer, reused once out is drained
	i      uint64
}

func (o *opener) Read(p []byte) (int, error) { return o.read(p, o.next) }

func (o *opener) next() error {
	n, last, err := fill(o.rc, o.buf, o.have)
	if err != nil {
		return err
	}
	chunk := o.buf[:min(n, SealedChunkSize+sealedTag)]
	plain, err := o.aead.Open(o.plain[:0], chunkNonce(o.i, last), chunk, o.ad)
	if err != nil {
		return ErrBlobIntegrity
	}
	o.out, o.plain = plain, plain
	o.i++
	if last {
		o.done = true
		return nil
	}
	o.buf[0] = o.buf[SealedChunkSize+sealedTag]
	o.have = 1
	return nil
}

func (o *opener) Close() error { return o.rc.Close() }

// LocalKeys is the KeyProvider of a key held by the server (from the data key file or the
// environment): data keys are wrapped with AES-256-GCM under a key-wrapping key derived
// from it, and tagged with that key's id so a rotated-out key can still unwrap (Old).
type LocalKeys struct {
	kek map[[8]byte]cipher.AEAD
	cur [8]byte
}

// NewLocalKeys derives the key-wrapping key from a 32-byte master key; old master keys, if
// any, still unwrap the blobs they sealed.
func NewLocalKeys(master []byte, old ...[]byte) (*LocalKeys, error) {
	k := &LocalKeys{kek: map[[8]byte]cipher.AEAD{}}
	for i, m := range append([][]byte{master}, old...) {
		if len(m) != 32 {
			return nil, fmt.Errorf("blob master key: %d bytes, want 32", len(m))
		}
		mac := hmac.New(sha256.New, m)
		mac.Write([]byte("sohoa blob key wrapping v1"))
		kek := mac.Sum(nil)
		id := sha256.Sum256(append([]byte("sohoa blob key id v1"), kek...))
		aead, err := blobAEAD(kek)
		if err != nil {
			return nil, err
		}
		var kid [8]byte
		copy(kid[:], id[:8])
		k.kek[kid] = aead
		if i == 0 {
			k.cur = kid
		}
	}
	return k, nil
}

var wrapAD = []byte("sohoa blob data key v1")

// NewDataKey: 32 random bytes; wrapped = key id (8) ‖ nonce (12) ‖ AES-GCM(key).
func (k *LocalKeys) NewDataKey(context.Context) ([]byte, []byte, error) {
	key := make([]byte, 32)
	nonce := make([]byte, 12)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, err
	}
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, err
	}
	w := append(append(bytes.Clone(k.cur[:]), nonce...), k.kek[k.cur].Seal(nil, nonce, key, wrapAD)...)
	return key, w, nil
}

// UnwrapDataKey opens a wrapped data key under the key its id names.
func (k *LocalKeys) UnwrapDataKey(_ context.Context, w []byte) ([]byte, error) {
	if len(w) < 8+12+sealedTag {
		return nil, ErrBlobIntegrity
	}
	var kid [8]byte
	copy(kid[:], w[:8])
	aead, ok := k.kek[kid]
	if !ok {
		return nil, fmt.Errorf("%w: sealed under a key this server does not have", ErrBlobIntegrity)
	}
	key, err := aead.Open(nil, w[8:20], w[20:], wrapAD)
	if err != nil || len(key) != 32 {
		return nil, ErrBlobIntegrity
	}
	return key, nil
}
