package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Sentinel errors every backend returns (wrapped or not; test with errors.Is).
var (
	ErrNotFound    = errors.New("not found")
	ErrCodeInvalid = errors.New("enrollment code unknown, used or expired")
	ErrRevoked     = errors.New("workstation revoked")
	ErrConflict    = errors.New("batch already exists with different contents or owner")
)

// Workstation is an enrolled workstation. Only the SHA-256 of its bearer token is stored.
type Workstation struct {
	ID        string
	Office    string
	Name      string
	TokenHash string
	CreatedAt time.Time
	RevokedAt *time.Time
	AckedSeq  int64 // highest sequence number acknowledged (committed) from this workstation
}

// Batch is a batch as the server knows it: its manifest (pending until committed) and, once
// committed, its receipt.
type Batch struct {
	ID            string
	WorkstationID string
	Office        string
	Seq           int64
	RecordType    string // the manifest's record_type, kept in a column for the read API
	// FileCode and Archive are the manifest's archive-file data (Circular 05/2025, its
	// "archive" object), kept in columns for the read API: the file code (mã hồ sơ, "" when
	// the batch is not an archive file) and the object's JSON (nil when absent).
	FileCode       string
	Archive        []byte
	Manifest       []byte // exact bytes the workstation sent
	ManifestSHA256 string
	Committed      bool
	CommittedAt    *time.Time
	Receipt        []byte // signed receipt bytes; nil until committed
}

// Document is one committed document with its blobs.
type Document struct {
	BatchID   string
	ID        string
	PDFSHA256 string
	PDFSize   int64
	Pages     []string // page blob hashes in order
	// Fields are the document's field values from its signed record.json, sealed by the server
	// (the store never sees a plaintext value): written by CommitBatch, read back by Documents
	// and DocumentRows.
	Fields []Field
	// Archive is what the document-level filters match of its archive data (the signed
	// manifest's documents[].archive), in DocArchiveKeys' form; zero when it has none.
	Archive DocArchive
}

// DocArchive is the part of a document's archive data (Circular 05/2025) the read API filters
// on, as DocArchiveKeys normalises it: its identifier (mã định danh: file code and order), its
// number (số) and symbol (ký hiệu) as issued, and its date (YYYY-MM-DD).
type DocArchive struct {
	Code, Number, Symbol, Date string
}

// DocArchiveKeys is the form the document-level filters compare: the identifier in Unicode
// NFC (as the file code), number and symbol NFC, trimmed, inner white space collapsed and
// lower-cased ("QĐ-UBND" and "qđ-ubnd" are one symbol), the date as given when it is a date
// YYYY-MM-DD and "" otherwise. The server stores and asks in this form, so do the migrations.
func DocArchiveKeys(code, number, symbol, date string) DocArchive {
	fold := func(v string) string { return strings.ToLower(strings.Join(strings.Fields(norm.NFC.String(v)), " ")) }
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		date = ""
	}
	return DocArchive{Code: norm.NFC.String(strings.TrimSpace(code)), Number: fold(number), Symbol: fold(symbol), Date: date}
}

// Field is one sealed field value of a committed document. The server encrypts Value and
// computes the blind indexes; the store only keeps and matches bytes.
type Field struct {
	Key    string // the record type's field key (a schema name, not personal data)
	Pos    int    // position in record.json (the document's field order)
	Value  []byte // ciphertext (AES-256-GCM, bound to batch, document and key)
	Exact  string // blind index of the normalised value; "" for a table (not searchable)
	Folded string // blind index of the diacritics-folded value; "" for a table
	// Dates are the blind indexes of the value read as a date (its day, month, year, decade,
	// century and millennium: sync/server dates.go); nil when the value is not a date. The
	// date filter matches them against the indexes of the periods that cover its range.
	Dates []string
}

// FieldRef names one stored field value.
type FieldRef struct{ BatchID, DocID, Key string }

// UndatedField is a stored scalar field value whose date indexes were never computed (stored
// before migration 7): the server opens it and sets them (SetFieldDates).
type UndatedField struct {
	FieldRef
	Value []byte // sealed
}

// FieldDates are the date indexes of one stored field value (none: it is not a date).
type FieldDates struct {
	FieldRef
	Dates []string
}

// Commit is everything written by CommitBatch in one transaction.
type Commit struct {
	BatchID       string
	WorkstationID string
	Seq           int64
	Documents     []Document
	Receipt       []byte // signed receipt, built by the server before the call
	CommittedAt   time.Time
}

// Store is the central database. Every method is safe for concurrent use and every write is
// idempotent where the protocol needs it.
type Store interface {
	// CreateEnrollCode records a one-time enrollment code (by its hash) for an office.
	CreateEnrollCode(ctx context.Context, codeHash, office string, expires time.Time) error
	// Enroll consumes the code (once; ErrCodeInvalid otherwise) and creates ws in the code's
	// office, in one transaction. It returns the stored workstation.
	Enroll(ctx context.Context, codeHash string, ws Workstation, now time.Time) (Workstation, error)
	// WorkstationByToken finds a workstation by token hash (ErrNotFound). Revoked ones are
	// returned with RevokedAt set; the caller refuses them.
	WorkstationByToken(ctx context.Context, tokenHash string) (Workstation, error)
	// Workstation finds one by id (ErrNotFound).
	Workstation(ctx context.Context, id string) (Workstation, error)
	// Workstations lists all, oldest first.
	Workstations(ctx context.Context) ([]Workstation, error)
	// Revoke marks a workstation revoked (idempotent; ErrNotFound if unknown).
	Revoke(ctx context.Context, id string, now time.Time) error

	// PutManifest stores a pending batch. The same manifest again is a no-op; a different one
	// for a pending batch of the same workstation replaces it; anything for a committed batch
	// with other bytes, or for another workstation's batch, is ErrConflict.
	PutManifest(ctx context.Context, b Batch) error
	// Batch reads a batch (ErrNotFound).
	Batch(ctx context.Context, id string) (Batch, error)
	// CommitBatch writes documents (with their sealed fields), receipt, committed state and
	// the workstation's acknowledged sequence in one transaction. If the batch is already committed it writes nothing and
	// returns the stored receipt, so committing twice yields the same bytes. first tells which.
	CommitBatch(ctx context.Context, c Commit) (receipt []byte, first bool, err error)
	// Documents lists a committed batch's documents in id order.
	Documents(ctx context.Context, batchID string) ([]Document, error)

	// Blobs by office (sync/PROTOCOL.md "Blobs belong to offices"). A blob is stored once
	// whoever sends it, but an office holds it only once one of its workstations has sent every
	// byte of it and the server checked the hash: what one office holds is never visible to,
	// nor committable by, another.

	// AddOfficeBlob records that office holds blob sum (idempotent). Call it only once the
	// blob is durable in the BlobStore (blob, then row).
	AddOfficeBlob(ctx context.Context, office, sum string) error
	// OfficeBlobs returns which of sums office holds (a set; sums it does not hold are absent).
	OfficeBlobs(ctx context.Context, office string, sums []string) (map[string]bool, error)

	// Read side (the data-sharing platforms; sync/PROTOCOL.md "Read API"). Only committed
	// batches are ever returned.

	// CreateReader stores a read-only credential (by its token hash). ErrConflict if the id, the
	// token hash, or the name of a reader not revoked is taken.
	CreateReader(ctx context.Context, r Reader) error
	// ReaderByToken finds a reader by token hash (ErrNotFound); revoked ones come back with
	// RevokedAt set and the caller refuses them.
	ReaderByToken(ctx context.Context, tokenHash string) (Reader, error)
	// Readers lists all readers, oldest first.
	Readers(ctx context.Context) ([]Reader, error)
	// RevokeReader marks a reader revoked (idempotent; ErrNotFound if unknown).
	RevokeReader(ctx context.Context, id string, now time.Time) error
	// CommittedBatches lists committed batches matching f, newest first (committed time, then
	// id, descending), at most limit, starting after the batch with id after ("" = from the
	// newest; ErrNotFound if after is not a committed batch).
	CommittedBatches(ctx context.Context, f BatchFilter, after string, limit int) ([]BatchSummary, error)
	// Document reads one committed document with its pages (ErrNotFound).
	Document(ctx context.Context, batchID, docID string) (Document, error)
	// DocumentRows lists documents of committed batches matching f, one row each, ordered by
	// (committed time, batch id, document id), ascending or (desc) descending, at most limit,
	// starting after the row named by after (nil = from the start; ErrNotFound if its batch
	// is not committed). Callers page through large results so no query stays open while a
	// slow client reads.
	DocumentRows(ctx context.Context, f DocumentFilter, after *DocCursor, desc bool, limit int) ([]DocumentRow, error)
	// FieldKeys lists the field keys of the documents of committed batches matching f, each
	// once, in a stable order: by the first position any document gives it, then by key.
	FieldKeys(ctx context.Context, f BatchFilter) ([]string, error)

	// UndatedFields lists up to limit scalar field values stored without their date indexes
	// (see migration 7), in (batch, document, key) order after after (nil: from the first).
	UndatedFields(ctx context.Context, after *FieldRef, limit int) ([]UndatedField, error)
	// SetFieldDates stores the date indexes of those values (an empty Dates too: the value
	// is not a date) and marks them done, in one transaction; idempotent.
	SetFieldDates(ctx context.Context, fs []FieldDates) error

	// TakeToken takes a token from a rate-limit bucket shared by every server on this store
	// (false and the wait until one is there when it is empty); SweepRateBuckets forgets
	// buckets idle since before.
	TakeToken(ctx context.Context, bucket string, rate float64, burst int, now time.Time) (bool, time.Duration, error)
	SweepRateBuckets(ctx context.Context, before time.Time) error

	Close() error
}

// Reader is a data-sharing platform's read-only credential. It can read committed batches and
// never upload; only the SHA-256 of its bearer token is stored. Office, when set, limits it to
// that office's batches; "" reads every office.
type Reader struct {
	ID   string
	Name string
	// Offices and RecordTypes limit what the reader reads: batches of one of Offices and of
	// one of RecordTypes; an empty list does not limit (every office, every record type).
	Offices     []string
	RecordTypes []string
	TokenHash   string
	CreatedAt   time.Time
	RevokedAt   *time.Time
}

// BatchFilter narrows the read API's lists. Empty fields and zero times do not filter; From is
// inclusive and To exclusive, both on the commit time. FileCode keeps the batches that are the
// archive file with that code.
type BatchFilter struct {
	Office     string
	RecordType string
	FileCode   string
	From, To   time.Time
	// Offices and RecordTypes, when not empty, keep the batches of one of them (a reader's
	// scope, set by the server).
	Offices     []string
	RecordTypes []string
}

// DocumentFilter is a BatchFilter plus Query, a case-insensitive substring matched against the
// batch id, workstation id, office, record type, document id and PDF hash, and Field, an exact
// match on one field's blind index.
type DocumentFilter struct {
	BatchFilter
	Query string
	Field *FieldMatch
	Date  *DateMatch
	// Doc keeps the documents whose archive data match every one of its non-empty members
	// (DocArchiveKeys' form); DocDateFrom and DocDateTo (YYYY-MM-DD, both included) bound the
	// document's date.
	Doc                    DocArchive
	DocDateFrom, DocDateTo string
}

// DateMatch keeps the documents whose field Key has one of Indexes among its date indexes
// (Field.Dates): the server gives the indexes of the periods that cover the asked range.
type DateMatch struct {
	Key     string
	Indexes []string
}

// FieldMatch keeps the documents whose field Key has the blind index Index: the exact one
// (Field.Exact) or, with Folded, the diacritics-folded one (Field.Folded).
type FieldMatch struct {
	Key    string
	Index  string
	Folded bool
}

// BatchSummary is one committed batch in a list.
type BatchSummary struct {
	ID            string
	WorkstationID string
	Office        string
	RecordType    string
	Seq           int64
	CommittedAt   time.Time
	Documents     int
	FileCode      string
	Archive       []byte // the manifest's archive object (JSON), nil when absent
}

// DocumentRow is one committed document with its batch's facts (search and export).
type DocumentRow struct {
	BatchID       string
	WorkstationID string
	Office        string
	RecordType    string
	Seq           int64
	CommittedAt   time.Time
	DocID         string
	PDFSHA256     string
	PDFSize       int64
	Pages         int
	Fields        []Field // sealed, in record.json order
	FileCode      string  // the batch's archive file code, "" when it is not an archive file
	Archive       []byte  // the batch's archive object (JSON), nil when absent
}

// DocCursor names the last row of a page of DocumentRows.
type DocCursor struct{ BatchID, DocID string }
