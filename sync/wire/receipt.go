package wire

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Receipt is what the server promises after a commit: the batch is stored, durable, with these
// contents. The workstation keeps the signed receipt as proof and may then mark the batch synced.
type Receipt struct {
	Version        int        `json:"version"`
	BatchID        string     `json:"batch_id"`
	WorkstationID  string     `json:"workstation_id"`
	Office         string     `json:"office"`
	Seq            int64      `json:"seq"`
	ManifestSHA256 string     `json:"manifest_sha256"`
	Documents      int        `json:"documents"`
	Blobs          int        `json:"blobs"`
	CommittedAt    time.Time  `json:"committed_at"`
	KeyID          string     `json:"key_id"`
	AuditHead      *AuditHead `json:"audit_head,omitempty"` // the manifest's, copied (none when it has none)
}

// SignedReceipt is the body of a commit answer: the receipt's exact JSON bytes and an ed25519
// signature over those bytes.
type SignedReceipt struct {
	Receipt   json.RawMessage `json:"receipt"`
	Signature string          `json:"signature"` // base64 (std) ed25519 signature of Receipt
}

// KeyID names a receipt key: the first 16 hex digits of the SHA-256 of the public key.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// SignReceipt signs r with key and returns the signed receipt's JSON bytes.
func SignReceipt(key ed25519.PrivateKey, r Receipt) ([]byte, error) {
	r.KeyID = KeyID(key.Public().(ed25519.PublicKey))
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	sig := ed25519.Sign(key, body)
	return json.Marshal(SignedReceipt{Receipt: body, Signature: base64.StdEncoding.EncodeToString(sig)})
}

// ErrReceiptSignature is returned by VerifyReceipt when the signature does not match.
var ErrReceiptSignature = errors.New("receipt signature does not verify")

// VerifyReceipt checks a signed receipt (as returned by the commit call) against the server's
// public key and returns its contents.
func VerifyReceipt(pub ed25519.PublicKey, signed []byte) (Receipt, error) {
	var sr SignedReceipt
	if err := DecodeStrict(signed, &sr); err != nil {
		return Receipt{}, fmt.Errorf("receipt: %w", err)
	}
	sig, err := base64.StdEncoding.DecodeString(sr.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Receipt{}, fmt.Errorf("receipt: bad signature encoding")
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, sr.Receipt, sig) {
		return Receipt{}, ErrReceiptSignature
	}
	var r Receipt
	if err := DecodeStrict(sr.Receipt, &r); err != nil {
		return Receipt{}, fmt.Errorf("receipt: %w", err)
	}
	if r.KeyID != KeyID(pub) {
		return Receipt{}, ErrReceiptSignature
	}
	return r, nil
}
