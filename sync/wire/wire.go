package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/sohoa/sohoa/internal/archive"
)

// Version is the protocol version; it is the first path segment (/v1/...).
const Version = 1

// Limits on what a peer may send. The server refuses anything larger with a clear error.
const (
	MaxManifestBytes = 8 << 20 // a manifest body
	MaxDocuments     = 10000   // documents in one batch
	MaxPagesPerDoc   = 2000    // pages in one document
	MaxSmallBody     = 64 << 10
	MaxIDLen         = 64 // document ids, office codes, record types
)

// Manifest lists one batch: its documents, the SHA-256 of every page image and of every signed
// PDF. The workstation signs it (sign package); Signature is opaque to this package and checked
// by the server's Verifier.
type Manifest struct {
	Version       int        `json:"version"`
	BatchID       string     `json:"batch_id"`
	WorkstationID string     `json:"workstation_id"`
	Office        string     `json:"office"`
	Seq           int64      `json:"seq"`
	RecordType    string     `json:"record_type"`
	CreatedAt     time.Time  `json:"created_at"`
	Documents     []Document `json:"documents"`
	AuditHead     *AuditHead `json:"audit_head,omitempty"` // optional: see AuditHead
	// Archive is the batch's archive-file data (Circular 05/2025/TT-BNV, internal/archive),
	// when the batch is an archive file; absent otherwise (and in manifests signed before it
	// existed, whose signed bytes it does not change).
	Archive   *archive.File   `json:"archive,omitempty"`
	Signature json.RawMessage `json:"signature,omitempty"`
}

// AuditHead names one event of a workstation's hash-chained audit log: its sequence number
// and its SHA-256 chain hash (hex). A manifest carries the head at signing time and the
// server's receipt copies it, which anchors the workstation's history outside the
// workstation: a log shortened or rewritten before that event no longer contains it. It is
// optional: manifests signed before it existed have none, and their signed bytes (and so
// their signatures) are unchanged by its addition.
type AuditHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// Validate checks the head's shape.
func (h *AuditHead) Validate() error {
	if h.Seq <= 0 {
		return errors.New("audit_head: seq must be positive")
	}
	if _, err := ParseBlobName(h.Hash); err != nil {
		return errors.New("audit_head: hash must be 64 lowercase hexadecimal characters")
	}
	return nil
}

// Document is one record of the batch: its signed PDF and its page images, all content-addressed.
type Document struct {
	ID        string `json:"id"`
	PDFSHA256 string `json:"pdf_sha256"`
	PDFSize   int64  `json:"pdf_size"`
	Pages     []Page `json:"pages"`
	// Archive is the document's archive data when the batch is an archive file.
	Archive *archive.Document `json:"archive,omitempty"`
}

// Page is one page image blob.
type Page struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Blobs returns every distinct blob hash the manifest names, PDFs first, in manifest order.
func (m *Manifest) Blobs() []string {
	seen := map[string]bool{}
	var out []string
	add := func(h string) {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	for _, d := range m.Documents {
		add(d.PDFSHA256)
	}
	for _, d := range m.Documents {
		for _, p := range d.Pages {
			add(p.SHA256)
		}
	}
	return out
}

// ErrBadBlobName is returned by ParseBlobName.
var ErrBadBlobName = errors.New("blob name must be 64 lowercase hexadecimal characters (SHA-256)")

// ParseBlobName accepts exactly 64 lowercase hex characters, so a blob name can never be a path.
func ParseBlobName(s string) (string, error) {
	if len(s) != 64 {
		return "", ErrBadBlobName
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", ErrBadBlobName
		}
	}
	return s, nil
}

// ParseBatchID accepts a UUID in its canonical lowercase form (the local queue uses UUIDv7).
func ParseBatchID(s string) (string, error) {
	u, err := uuid.Parse(s)
	if err != nil || u.String() != s {
		return "", errors.New("batch id must be a lowercase canonical UUID")
	}
	return s, nil
}

func validToken(s string) bool {
	if s == "" || len(s) > MaxIDLen {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// DecodeManifest reads and validates a manifest: strict JSON (unknown fields refused, one value
// only), size limited, every hash well formed, no duplicate document ids, limits respected.
func DecodeManifest(r io.Reader) (*Manifest, []byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxManifestBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read manifest: %w", err)
	}
	if len(raw) > MaxManifestBytes {
		return nil, nil, fmt.Errorf("manifest larger than %d bytes", MaxManifestBytes)
	}
	var m Manifest
	if err := DecodeStrict(raw, &m); err != nil {
		return nil, nil, fmt.Errorf("manifest: %w", err)
	}
	if err := m.Validate(); err != nil {
		return nil, nil, err
	}
	return &m, raw, nil
}

// DecodeStrict unmarshals exactly one JSON value, refusing unknown fields and trailing data.
func DecodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("malformed JSON: data after the value")
	}
	return nil
}

// Validate checks the manifest's shape (not its signature).
func (m *Manifest) Validate() error {
	if m.Version != Version {
		return fmt.Errorf("manifest version %d not supported (want %d)", m.Version, Version)
	}
	if _, err := ParseBatchID(m.BatchID); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if !validToken(m.WorkstationID) || !validToken(m.Office) || !validToken(m.RecordType) {
		return errors.New("manifest: workstation_id, office and record_type must be 1-64 of [A-Za-z0-9._-]")
	}
	if m.Seq <= 0 {
		return errors.New("manifest: seq must be positive")
	}
	if m.AuditHead != nil {
		if err := m.AuditHead.Validate(); err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
	}
	if m.Archive != nil {
		if err := m.Archive.Complete(); err != nil {
			return fmt.Errorf("manifest: archive: %w", err)
		}
	}
	if len(m.Documents) == 0 || len(m.Documents) > MaxDocuments {
		return fmt.Errorf("manifest: between 1 and %d documents required", MaxDocuments)
	}
	ids := map[string]bool{}
	for i, d := range m.Documents {
		if !validToken(d.ID) {
			return fmt.Errorf("manifest: document %d: bad id", i)
		}
		if ids[d.ID] {
			return fmt.Errorf("manifest: document %d: duplicate id", i)
		}
		ids[d.ID] = true
		if d.Archive != nil {
			if err := d.Archive.Validate(); err != nil {
				return fmt.Errorf("manifest: document %d: archive: %w", i, err)
			}
		}
		if _, err := ParseBlobName(d.PDFSHA256); err != nil {
			return fmt.Errorf("manifest: document %d: pdf_sha256: %w", i, err)
		}
		if d.PDFSize <= 0 {
			return fmt.Errorf("manifest: document %d: pdf_size must be positive", i)
		}
		if len(d.Pages) == 0 || len(d.Pages) > MaxPagesPerDoc {
			return fmt.Errorf("manifest: document %d: between 1 and %d pages required", i, MaxPagesPerDoc)
		}
		for j, p := range d.Pages {
			if _, err := ParseBlobName(p.SHA256); err != nil {
				return fmt.Errorf("manifest: document %d page %d: %w", i, j, err)
			}
			if p.Size <= 0 {
				return fmt.Errorf("manifest: document %d page %d: size must be positive", i, j)
			}
		}
	}
	return nil
}

// ManifestAnswer is the reply to PUT /v1/batches/{id}.
type ManifestAnswer struct {
	BatchID   string   `json:"batch_id"`
	Missing   []string `json:"missing"`
	Committed bool     `json:"committed"`
}

// EnrollRequest is the body of POST /v1/enroll.
type EnrollRequest struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// WorkstationID is the identity the workstation made for itself ("ws-" + lowercase UUID)
	// and already put into manifests it signed offline. Optional: the server keeps it when it
	// is well formed and not yet enrolled, else assigns a new one (see EnrollAnswer).
	WorkstationID string `json:"workstation_id,omitempty"`
}

// ValidWorkstationID reports whether id is "ws-" followed by a lowercase canonical UUID.
func ValidWorkstationID(id string) bool {
	rest, ok := strings.CutPrefix(id, "ws-")
	if !ok {
		return false
	}
	_, err := ParseBatchID(rest)
	return err == nil
}

// EnrollAnswer returns the workstation credential, shown once.
type EnrollAnswer struct {
	WorkstationID string `json:"workstation_id"`
	Office        string `json:"office"`
	Token         string `json:"token"`
	ReceiptKey    string `json:"receipt_key"` // base64 ed25519 public key that signs receipts
}

// Error is the JSON body of every error answer.
type Error struct {
	Status    int    `json:"-"`
	Code      string `json:"code"`
	MessageVI string `json:"message_vi"`
	MessageEN string `json:"message_en"`
	// Missing lists blob hashes the server still needs (code "missing_blobs").
	Missing []string `json:"missing,omitempty"`
}

func (e *Error) Error() string { return e.Code + ": " + e.MessageEN }

// Error codes a client must treat as temporary (retry, after doing what the code says).
// Every other 4xx code is permanent: retrying the same request cannot succeed.
const (
	CodeMissingBlobs = "missing_blobs" // upload the listed blobs, then commit again
	CodeUploadOffset = "upload_offset" // resume the upload at the Upload-Offset header
	CodeUploadBusy   = "upload_busy"   // the same upload is running on another connection
	CodeRateLimited  = "rate_limited"  // wait Retry-After seconds
	CodeUnavailable  = "unavailable"   // server shutting down or database unreachable
)

// IsPermanent tells a client whether retrying can succeed: 5xx and the temporary codes above
// are retried with backoff; any other 4xx is permanent and goes to a person.
func (e *Error) IsPermanent() bool {
	switch e.Code {
	case CodeMissingBlobs, CodeUploadOffset, CodeUploadBusy, CodeRateLimited, CodeUnavailable:
		return false
	}
	return e.Status >= 400 && e.Status < 500
}

// DecodeError reads an error body; a body that is not one gives a generic error with the status.
func DecodeError(status int, body []byte) *Error {
	var e Error
	if err := json.Unmarshal(body, &e); err != nil || e.Code == "" {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return &Error{Status: status, Code: "http_" + fmt.Sprint(status), MessageVI: "Lỗi máy chủ", MessageEN: msg}
	}
	e.Status = status
	return &e
}

// BlobAnswer is the reply to PUT /v1/blobs/{sha256}: 201 stored, 200 already held, 202 chunk
// accepted (Offset bytes held so far, also in the Upload-Offset header).
type BlobAnswer struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size,omitempty"`
	Offset int64  `json:"offset,omitempty"`
	Stored bool   `json:"stored"`
}
