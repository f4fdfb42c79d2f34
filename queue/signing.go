package queue

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// SignedDocument is the signed PDF of one document (a blob in the BlobStore).
type SignedDocument struct {
	DocumentID int64
	PDFSHA256  string
	PDFSize    int64
	Signer     string // certificate subject common name
}

// ManifestBuilder builds and signs the batch manifest once the batch's outbox sequence number
// is known. It runs inside the signing transaction, so it must not call the Store.
type ManifestBuilder func(seq int64) ([]byte, error)

// AnchoredManifestBuilder is a ManifestBuilder that is also given the audit chain's head at
// signing time (the newest event before the batch's approved → signed event), which the
// manifest carries so that the history up to it is anchored outside this workstation too.
type AnchoredManifestBuilder func(seq int64, head AuditHead) ([]byte, error)

// ErrNotApproved: only an approved batch can be signed.
var ErrNotApproved = errors.New("only an approved batch can be signed")

// approvedTx refuses, with ErrNotApproved naming the state it is in, a batch that is not
// approved: only an approved batch is signed.
func approvedTx(tx *sql.Tx, batchID string) error {
	var state string
	if err := tx.QueryRow(`SELECT state FROM batches WHERE id = ?`, batchID).Scan(&state); err != nil {
		return err
	}
	if State(state) != StateApproved {
		return fmt.Errorf("%w (batch is %s)", ErrNotApproved, state)
	}
	return nil
}

// signingChecksTx makes every check that must pass before actor signs the batch with key,
// in this order: the batch is approved, actor is the supervisor who approved it and took no
// part in it (four-eyes), it is of the office expected, and key is actor's own or an
// administrator's override (override is then true). CheckSigner runs it before any PDF is
// signed and MarkSigned again inside the signing transaction, so the two cannot disagree.
func signingChecksTx(tx *sql.Tx, actor User, batchID string, key SigningKey) (override bool, err error) {
	if err := approvedTx(tx, batchID); err != nil {
		return false, err
	}
	if err := authorizeSigningTx(tx, actor, batchID); err != nil { // the approving supervisor, four-eyes (review.go)
		return false, err
	}
	if err := officeCheckTx(tx, batchID); err != nil { // the office the server expects (office.go)
		return false, err
	}
	return checkSignerTx(tx, actor, key) // the approver's own key (certs.go)
}

// MarkSigned records a signed batch in one transaction: the batch must be approved, of the
// workstation's office (office.go), signed by its approver with a key bound to them or with
// an administrator's override (certs.go), and every one of its documents must have a signed
// PDF (whose blob is already durable); it assigns the next outbox sequence number, calls
// build for the signed manifest, stores the signed documents, the manifest and the outbox
// entry, and moves the batch approved → signed with an audit event. A batch signed again
// (after being returned) gets a new sequence number.
func (s *Store) MarkSigned(ctx context.Context, actor User, batchID string, key SigningKey, docs []SignedDocument, build ManifestBuilder) error {
	return s.MarkSignedAnchored(ctx, actor, batchID, key, docs, func(seq int64, _ AuditHead) ([]byte, error) { return build(seq) })
}

// MarkSignedAnchored is MarkSigned with a builder that puts the audit head into the manifest.
func (s *Store) MarkSignedAnchored(ctx context.Context, actor User, batchID string, key SigningKey, docs []SignedDocument, build AnchoredManifestBuilder) error {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if err := s.Blobs.Verify(d.PDFSHA256); err != nil {
			return fmt.Errorf("signed PDF of document %d: %w", d.DocumentID, err)
		}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		override, err := signingChecksTx(tx, actor, full, key)
		if err != nil {
			return err
		}
		if override {
			if err := s.recordOverrideTx(tx, actor, full, key); err != nil {
				return err
			}
		}
		want := map[int64]bool{}
		rows, err := tx.Query(`SELECT id FROM documents WHERE batch_id = ?`, full)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			want[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(docs) != len(want) {
			return fmt.Errorf("batch has %d documents, %d signed PDFs given", len(want), len(docs))
		}
		for _, d := range docs {
			if !want[d.DocumentID] {
				return fmt.Errorf("document %d is not in batch %s", d.DocumentID, full)
			}
		}
		var seq int64
		if err := tx.QueryRow(`SELECT COALESCE(MAX(seq), 0) + 1 FROM (SELECT seq FROM outbox UNION ALL SELECT seq FROM batch_manifests)`).Scan(&seq); err != nil {
			return err
		}
		head, err := auditHeadTx(tx)
		if err != nil {
			return err
		}
		manifest, err := build(seq, head)
		if err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		now := s.stamp()
		if _, err := tx.Exec(`DELETE FROM signed_documents WHERE batch_id = ?`, full); err != nil {
			return err
		}
		for _, d := range docs {
			if _, err := tx.Exec(`INSERT INTO signed_documents(document_id, batch_id, pdf_sha256, pdf_size, signer, signed_by, signed_at) VALUES (?,?,?,?,?,?,?)`,
				d.DocumentID, full, d.PDFSHA256, d.PDFSize, d.Signer, actor.ID, now); err != nil {
				return err
			}
		}
		sum := sha256.Sum256(manifest)
		if _, err := tx.Exec(`INSERT OR REPLACE INTO batch_manifests(batch_id, manifest, sha256, seq, created_at) VALUES (?,?,?,?,?)`,
			full, manifest, hex.EncodeToString(sum[:]), seq, now); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT OR REPLACE INTO outbox(batch_id, seq, status, created_at, updated_at) VALUES (?,?,'pending',?,?)`,
			full, seq, now, now); err != nil {
			return err
		}
		_, err = s.setState(tx, actor, full, StateSigned, // approved→signed (state.go)
			fmt.Sprintf("documents=%d seq=%d manifest=%s", len(docs), seq, hex.EncodeToString(sum[:8])))
		return err
	})
}

// SignedDocuments lists the signed PDFs of a batch, in document order.
func (s *Store) SignedDocuments(ctx context.Context, batchID string) ([]SignedDocument, error) {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT sd.document_id, sd.pdf_sha256, sd.pdf_size, sd.signer
		FROM signed_documents sd JOIN documents d ON d.id = sd.document_id
		WHERE sd.batch_id = ? ORDER BY d.seq`, full)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SignedDocument
	for rows.Next() {
		var d SignedDocument
		if err := rows.Scan(&d.DocumentID, &d.PDFSHA256, &d.PDFSize, &d.Signer); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// BatchManifest returns the signed manifest of a signed (or synced) batch, byte for byte, and
// its outbox sequence number.
func (s *Store) BatchManifest(ctx context.Context, batchID string) ([]byte, int64, error) {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return nil, 0, err
	}
	var m []byte
	var seq int64
	err = s.r.QueryRowContext(ctx, `SELECT manifest, seq FROM batch_manifests WHERE batch_id = ?`, full).Scan(&m, &seq)
	if err == sql.ErrNoRows {
		return nil, 0, fmt.Errorf("manifest of batch %s: %w", full, ErrNotFound)
	}
	return m, seq, err
}

// Setting returns a workstation setting ("" when unset).
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return s.openSetting(key, v) // a secret setting of an encrypted store (keys.go)
}

// SetSetting (administrators only) stores a workstation setting (with an audit event naming the key, not the value).
func (s *Store) SetSetting(ctx context.Context, actor User, key, value string) error {
	if err := Require(actor, ActionManageSettings); err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		value, err := s.sealSettingTx(tx, key, value)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "setting.set", "setting:"+key, "")
	})
}

// WorkstationID returns this workstation's identity ("ws-" + UUIDv7), made on first use and
// kept in the settings. It goes into every batch manifest and is sent when enrolling.
func (s *Store) WorkstationID(ctx context.Context) (string, error) {
	if v, err := s.Setting(ctx, "workstation_id"); err != nil || v != "" {
		return v, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	ws := "ws-" + strings.ToLower(id.String())
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO settings(key, value) VALUES ('workstation_id', ?) ON CONFLICT(key) DO NOTHING`, ws)
		return err
	})
	if err != nil {
		return "", err
	}
	return s.Setting(ctx, "workstation_id")
}
