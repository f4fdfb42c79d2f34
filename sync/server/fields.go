package server

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/sync/store"
)

// Field values at rest (sync/PROTOCOL.md "Field values"). Every committed document's field
// values, read from the record.json of its signed PDF, are kept in the central database
// sealed: each value is encrypted with AES-256-GCM under the server's data key, with the
// batch id, the document id and the field key as additional data, so a value moved to another
// row, document or key does not decrypt. For exact search each scalar value also gets two
// blind indexes, HMAC-SHA256 under an index key derived from the data key: one of the
// normalised value, one of the value with its Vietnamese diacritics folded. The database
// holds no plaintext value; whoever has it without the data key learns only which documents
// share a value of the same field.

// DataKeyFile is the data key's file name inside the data folder (Config.FieldKey nil).
const DataKeyFile = "data-key.pem"

// dataKeyPEM is the PEM block type of the data key file.
const dataKeyPEM = "SOHOA FIELD DATA KEY"

// sealVersion starts every sealed value (the format: version, 12-byte nonce, ciphertext).
const sealVersion = 1

// ErrFieldIntegrity: a stored field value does not decrypt under its batch, document and key
// (moved or changed in the database, or sealed under another data key).
var ErrFieldIntegrity = errors.New("stored field value fails its integrity check")

// FieldKey seals field values and computes their blind indexes.
type FieldKey struct {
	aead  cipher.AEAD
	index []byte // HMAC-SHA256 key of the blind indexes
	blobs []byte // master key of the blobs' data keys (BlobKeys)
}

// NewFieldKey makes a FieldKey from a 32-byte data key.
func NewFieldKey(dataKey []byte) (*FieldKey, error) {
	if len(dataKey) != 32 {
		return nil, fmt.Errorf("data key: %d bytes, want 32", len(dataKey))
	}
	blk, err := aes.NewCipher(dataKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, dataKey)
	m.Write([]byte("sohoa field blind index key v1"))
	b := hmac.New(sha256.New, dataKey)
	b.Write([]byte("sohoa blob master key v1"))
	return &FieldKey{aead: aead, index: m.Sum(nil), blobs: b.Sum(nil)}, nil
}

// BlobKeys is the KeyProvider of the blobs at rest (store.EncryptedBlobs), derived from the
// same data key: one key file to keep and back up for field values and blobs.
func (k *FieldKey) BlobKeys() store.KeyProvider {
	lk, err := store.NewLocalKeys(k.blobs)
	if err != nil {
		panic(err) // 32 bytes by construction
	}
	return lk
}

// LoadOrCreateDataKey reads the data key from path (PEM), creating it (mode 0600, 256 random
// bits) when the file does not exist. Losing it loses every stored field value: back it up
// with the database, but not in the same place.
func LoadOrCreateDataKey(path string) (*FieldKey, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		if err := writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: dataKeyPEM, Bytes: k}), 0o600); err != nil {
			return nil, fmt.Errorf("save data key: %w", err)
		}
		return NewFieldKey(k)
	}
	if err != nil {
		return nil, fmt.Errorf("read data key: %w", err)
	}
	blk, _ := pem.Decode(raw)
	if blk == nil || blk.Type != dataKeyPEM {
		return nil, fmt.Errorf("data key %s: not a %q PEM block", path, dataKeyPEM)
	}
	fk, err := NewFieldKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("data key %s: %w", path, err)
	}
	return fk, nil
}

// fieldAD is the additional data a value is sealed with: it names its row.
func fieldAD(batch, doc, key string) []byte {
	return []byte("sohoa field v1\x00" + batch + "\x00" + doc + "\x00" + key)
}

// Seal encrypts one value of field key of document doc in batch.
func (k *FieldKey) Seal(batch, doc, key string, value []byte) ([]byte, error) {
	out := make([]byte, 1+k.aead.NonceSize(), 1+k.aead.NonceSize()+len(value)+k.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return k.aead.Seal(out, out[1:], value, fieldAD(batch, doc, key)), nil
}

// Open decrypts a sealed value; ErrFieldIntegrity if it was not sealed for this row under
// this key, or was changed.
func (k *FieldKey) Open(batch, doc, key string, sealed []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < 1+n+k.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrFieldIntegrity
	}
	v, err := k.aead.Open(nil, sealed[1:1+n], sealed[1+n:], fieldAD(batch, doc, key))
	if err != nil {
		return nil, ErrFieldIntegrity
	}
	return v, nil
}

// Index is the blind index of value for field key: of its normalised form, or with folded of
// its diacritics-folded form. It is "" for a value that is empty once normalised.
func (k *FieldKey) Index(key, value string, folded bool) string {
	v, kind := NormalizeValue(value), "exact"
	if folded {
		v, kind = FoldVietnamese(v), "folded"
	}
	if v == "" {
		return ""
	}
	m := hmac.New(sha256.New, k.index)
	m.Write([]byte(kind + "\x00" + key + "\x00" + v))
	return hex.EncodeToString(m.Sum(nil))
}

// NormalizeValue is the form exact search compares: Unicode NFC, trimmed, inner runs of white
// space collapsed to one space, lower-cased.
func NormalizeValue(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(norm.NFC.String(s)), " "))
}

// FoldVietnamese removes Vietnamese diacritics: tone marks and the marks of â ă ê ô ơ ư go
// (their base letter stays) and đ becomes d, so "nguyễn văn an" folds to "nguyen van an". The
// result is NFC.
func FoldVietnamese(s string) string {
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	for _, r := range d {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ':
			r = 'd'
		case r == 'Đ':
			r = 'D'
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}
