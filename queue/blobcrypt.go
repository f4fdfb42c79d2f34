package queue

// Encrypted blobs (docs/ENCRYPTION.md). A blob file of an encrypted store is
//
//	header: magic "SOHOAEB1" (8) | chunk size, uint32 big-endian (4) | salt (32)
//	chunks: AES-256-GCM(subkey, nonce_i, chunk_i, aad_i) for i = 0..n-1, each chunk
//	        chunkSize plaintext bytes except the last, which may be shorter (or empty)
//
// subkey  = HKDF-SHA256(data key, salt, "sohoa blob v1")          one key per blob file
// nonce_i = i as uint64 big-endian (8) | 0 0 0 (3) | last (1)     last = 1 on the final chunk
// aad_i   = header (44) | hex SHA-256 of the whole plaintext (64)
//
// The salt is random for every write, so a subkey never encrypts two files and the nonce
// counter never repeats under one key. The chunk index in the nonce detects reordered or
// dropped chunks, the last flag a truncated file (the final chunk read must carry it and nothing
// may follow it), the subkey a chunk moved from another blob, and the plaintext hash in the
// AAD a whole blob file moved under another name. After decryption the plaintext is hashed
// again and compared with the name.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"

	"github.com/sohoa/sohoa/internal/l10n"
)

const (
	blobMagic     = "SOHOAEB1"
	blobChunk     = 64 << 10
	blobSaltLen   = 32
	blobHeaderLen = len(blobMagic) + 4 + blobSaltLen
	blobTagLen    = 16
	blobMaxChunk  = 16 << 20
)

// ErrStoreLocked means the store is encrypted and no user has unlocked it (signed in) in this
// process, or the user who did has signed out or the screen locked.
var ErrStoreLocked = l10n.New("queue.storeLocked")

// isEncryptedBlob reports whether the first bytes of a blob file are the encrypted header.
func isEncryptedBlob(head []byte) bool {
	return len(head) >= len(blobMagic) && string(head[:len(blobMagic)]) == blobMagic
}

// encryptedSize is the file size of an encrypted blob of n plaintext bytes.
func encryptedSize(n int64) int64 {
	chunks := n / blobChunk
	if n%blobChunk != 0 || n == 0 {
		chunks++
	}
	return int64(blobHeaderLen) + n + chunks*blobTagLen
}

func blobAEAD(key *[32]byte, salt []byte) (cipher.AEAD, error) {
	sub, err := hkdf.Key(sha256.New, key[:], salt, "sohoa blob v1", 32)
	if err != nil {
		return nil, err
	}
	blk, err := aes.NewCipher(sub)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(blk)
}

func blobNonce(i uint64, last bool) []byte {
	n := make([]byte, 12)
	binary.BigEndian.PutUint64(n, i)
	if last {
		n[11] = 1
	}
	return n
}

// encryptBlob writes the encrypted form of data (whose hex SHA-256 is h) to w.
func encryptBlob(w io.Writer, key *[32]byte, h string, data []byte) error {
	hdr := make([]byte, blobHeaderLen)
	copy(hdr, blobMagic)
	binary.BigEndian.PutUint32(hdr[len(blobMagic):], blobChunk)
	if _, err := rand.Read(hdr[len(blobMagic)+4:]); err != nil {
		return err
	}
	aead, err := blobAEAD(key, hdr[len(blobMagic)+4:])
	if err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	aad := append(append([]byte{}, hdr...), h...)
	buf := make([]byte, 0, blobChunk+blobTagLen)
	for i := uint64(0); ; i++ {
		n := min(len(data), blobChunk)
		last := n == len(data)
		buf = aead.Seal(buf[:0], blobNonce(i, last), data[:n], aad)
		if _, err := w.Write(buf); err != nil {
			return err
		}
		data = data[n:]
		if last {
			return nil
		}
	}
}

// blobReader decrypts an encrypted blob file chunk by chunk; it returns ErrBlobCorrupt for
// any chunk that does not authenticate, a missing final chunk, or bytes after it, and checks
// the plaintext against the name at the end.
type blobReader struct {
	src    io.Reader
	h      string
	aead   cipher.AEAD
	aad    []byte
	chunk  int
	i      uint64
	in     []byte // one sealed chunk plus one byte of look-ahead
	have   int    // bytes of in that are filled
	plain  []byte // decryption buffer
	out    []byte // decrypted bytes not yet returned (a tail of plain)
	sum    hash.Hash
	done   bool
	err    error
	closer io.Closer
}

func newBlobReader(src io.Reader, key *[32]byte, h string) (*blobReader, error) {
	hdr := make([]byte, blobHeaderLen)
	if _, err := io.ReadFull(src, hdr); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrBlobCorrupt, h)
	}
	if !isEncryptedBlob(hdr) {
		return nil, fmt.Errorf("%w: %s", ErrBlobCorrupt, h)
	}
	chunk := int(binary.BigEndian.Uint32(hdr[len(blobMagic):]))
	if chunk <= 0 || chunk > blobMaxChunk {
		return nil, fmt.Errorf("%w: %s", ErrBlobCorrupt, h)
	}
	aead, err := blobAEAD(key, hdr[len(blobMagic)+4:])
	if err != nil {
		return nil, err
	}
	return &blobReader{
		src: src, h: h, aead: aead, chunk: chunk,
		aad: append(hdr, h...), in: make([]byte, chunk+blobTagLen+1), plain: make([]byte, 0, chunk), sum: sha256.New(),
	}, nil
}

func (r *blobReader) corrupt() error {
	r.err = fmt.Errorf("%w: %s", ErrBlobCorrupt, r.h)
	return r.err
}

// next decrypts the next chunk into r.out.
func (r *blobReader) next() error {
	n, err := io.ReadFull(r.src, r.in[r.have:])
	r.have += n
	full := len(r.in)
	switch {
	case err == nil: // a full chunk and one more byte: not the last chunk
		sealed := r.in[:full-1]
		out, oerr := r.aead.Open(r.plain[:0], blobNonce(r.i, false), sealed, r.aad)
		if oerr != nil {
			return r.corrupt()
		}
		r.out = out
		r.in[0] = r.in[full-1]
		r.have = 1
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		if r.have < blobTagLen {
			return r.corrupt()
		}
		out, oerr := r.aead.Open(r.plain[:0], blobNonce(r.i, true), r.in[:r.have], r.aad)
		if oerr != nil {
			return r.corrupt()
		}
		r.out = out
		r.done = true
	default:
		r.err = err
		return err
	}
	r.i++
	r.sum.Write(r.out)
	if r.done && hex.EncodeToString(r.sum.Sum(nil)) != r.h {
		return r.corrupt()
	}
	return nil
}

func (r *blobReader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

func (r *blobReader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// decryptBlob decrypts a whole encrypted blob held in memory.
func decryptBlob(ct []byte, key *[32]byte, h string) ([]byte, error) {
	r, err := newBlobReader(bytes.NewReader(ct), key, h)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, max(0, len(ct)-blobHeaderLen))
	buf := bytes.NewBuffer(out)
	if _, err := io.Copy(buf, r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// BlobFile is an open blob: its plaintext read at any offset (resumable uploads read ranges).
type BlobFile interface {
	io.ReaderAt
	io.Closer
}

// OpenBlob opens a stored blob for streaming (large uploads) and returns its plaintext size.
// Reads stay in the blob store type (DESIGN.md §8): an encrypted blob is decrypted chunk by
// chunk as it is read, each chunk authenticated (a damaged one reads as ErrBlobCorrupt).
func (b *BlobStore) OpenBlob(h string) (BlobFile, int64, error) {
	f, err := b.openBlobFile(h)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	head := make([]byte, blobHeaderLen)
	if n, _ := f.ReadAt(head, 0); !isEncryptedBlob(head[:n]) {
		if b.plainRefused() {
			f.Close()
			return nil, 0, fmt.Errorf("%w: %s", ErrBlobCorrupt, h)
		}
		return f, st.Size(), nil
	}
	key, _ := b.keyState()
	if key == nil {
		f.Close()
		return nil, 0, ErrStoreLocked
	}
	ef, err := openEncryptedFile(f, st.Size(), key, h, head)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return ef, ef.size, nil
}

// OpenRaw opens the blob file exactly as stored (ciphertext in an encrypted store), for
// backups that copy the store as it is; the caller closes it.
func (b *BlobStore) OpenRaw(h string) (*os.File, error) { return b.openBlobFile(h) }

// encryptedFile reads the plaintext of an encrypted blob file at any offset.
type encryptedFile struct {
	f      *os.File
	h      string
	aead   cipher.AEAD
	aad    []byte
	chunk  int64
	chunks int64
	size   int64 // plaintext
	mu     sync.Mutex
	cached int64 // index of the chunk in plain, -1 for none
	sealed []byte
	plain  []byte
}

func openEncryptedFile(f *os.File, fileSize int64, key *[32]byte, h string, hdr []byte) (*encryptedFile, error) {
	bad := fmt.Errorf("%w: %s", ErrBlobCorrupt, h)
	if fileSize < int64(blobHeaderLen+blobTagLen) {
		return nil, bad
	}
	chunk := int64(binary.BigEndian.Uint32(hdr[len(blobMagic):]))
	if chunk <= 0 || chunk > blobMaxChunk {
		return nil, bad
	}
	body := fileSize - int64(blobHeaderLen)
	chunks := (body + chunk + blobTagLen - 1) / (chunk + blobTagLen)
	if last := body - (chunks-1)*(chunk+blobTagLen); last < blobTagLen {
		return nil, bad
	}
	aead, err := blobAEAD(key, hdr[len(blobMagic)+4:])
	if err != nil {
		return nil, err
	}
	return &encryptedFile{f: f, h: h, aead: aead, aad: append(append([]byte{}, hdr...), h...), chunk: chunk,
		chunks: chunks, size: body - chunks*blobTagLen, cached: -1,
		sealed: make([]byte, chunk+blobTagLen), plain: make([]byte, 0, chunk)}, nil
}

// load decrypts chunk i into e.plain.
func (e *encryptedFile) load(i int64) error {
	if e.cached == i {
		return nil
	}
	e.cached = -1
	off := int64(blobHeaderLen) + i*(e.chunk+blobTagLen)
	n := e.chunk + blobTagLen
	if i == e.chunks-1 {
		n = int64(blobHeaderLen) + e.size + e.chunks*blobTagLen - off
	}
	if _, err := e.f.ReadAt(e.sealed[:n], off); err != nil {
		return fmt.Errorf("%w: %s", ErrBlobCorrupt, e.h)
	}
	out, err := e.aead.Open(e.plain[:0], blobNonce(uint64(i), i == e.chunks-1), e.sealed[:n], e.aad)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlobCorrupt, e.h)
	}
	e.plain, e.cached = out, i
	return nil
}

func (e *encryptedFile) ReadAt(p []byte, off int64) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	n := 0
	for len(p) > 0 {
		if off >= e.size {
			return n, io.EOF
		}
		i := off / e.chunk
		if err := e.load(i); err != nil {
			return n, err
		}
		c := copy(p, e.plain[off-i*e.chunk:])
		n += c
		p = p[c:]
		off += int64(c)
	}
	return n, nil
}

func (e *encryptedFile) Close() error { return e.f.Close() }

// ReadUnchecked reads blob h without comparing a plaintext file with its name, for the
// verifier that reports a changed file and still looks inside it. An encrypted blob is
// authenticated all the same: a changed one is ErrBlobCorrupt, never data.
func (b *BlobStore) ReadUnchecked(h string) ([]byte, error) {
	data, err := b.readBlobFile(h)
	if err != nil {
		return nil, err
	}
	if !isEncryptedBlob(data) {
		if b.plainRefused() {
			return nil, fmt.Errorf("%w: %s", ErrBlobCorrupt, h)
		}
		return data, nil
	}
	key, _ := b.keyState()
	if key == nil {
		return nil, ErrStoreLocked
	}
	return decryptBlob(data, key, h)
}
