package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sohoa/sohoa/internal/archive"
)

// Archive metadata (Circular 05/2025/TT-BNV; the fields and their sources: internal/archive).
// Defaults per office and record type are an administrator's; a batch's own data (the batch
// as an archive file) and its documents' are entered with the keying permission while the
// batch is not signed: what is signed is in the manifest and the PDFs and no longer changes.
// Every change is audited (which batch or document, never a value).

// SetArchiveDefaults stores the archive defaults of office and recordType ("" for either:
// every office, every record type). An empty File removes them.
func (s *Store) SetArchiveDefaults(ctx context.Context, actor User, office, recordType string, f archive.File) error {
	if err := Require(actor, ActionManageTypes); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		if string(raw) == "{}" {
			if _, err := tx.Exec(`DELETE FROM archive_defaults WHERE office = ? AND record_type = ?`, office, recordType); err != nil {
				return err
			}
		} else if _, err := tx.Exec(`INSERT INTO archive_defaults (office, record_type, meta, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (office, record_type) DO UPDATE SET meta = excluded.meta, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			office, recordType, string(raw), actor.ID, s.stamp()); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "archive.defaults", "office:"+office+" type:"+recordType, "")
	})
}

// ArchiveDefaults is the merged default of office and recordType: the defaults for every
// office and type, then for the type, then for the office, then for both.
func (s *Store) ArchiveDefaults(ctx context.Context, office, recordType string) (archive.File, error) {
	var out archive.File
	for _, k := range [][2]string{{"", ""}, {"", recordType}, {office, ""}, {office, recordType}} {
		var raw string
		err := s.r.QueryRowContext(ctx, `SELECT meta FROM archive_defaults WHERE office = ? AND record_type = ?`, k[0], k[1]).Scan(&raw)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return out, err
		}
		var f archive.File
		if err := json.Unmarshal([]byte(raw), &f); err != nil {
			return out, fmt.Errorf("archive defaults: %w", err)
		}
		out = archive.Merge(out, f)
	}
	return out, nil
}

// archiveEditable refuses a batch whose archive data is signed already.
func archiveEditable(tx *sql.Tx, batchID string) error {
	var st State
	if err := tx.QueryRow(`SELECT state FROM batches WHERE id = ?`, batchID).Scan(&st); errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	if st == StateSigned || st == StateSynced {
		return &LockedError{State: st}
	}
	return nil
}

// SetBatchArchive stores a batch's own archive data (over the defaults). An empty File
// removes it.
func (s *Store) SetBatchArchive(ctx context.Context, actor User, batchID string, f archive.File) error {
	if err := Require(actor, ActionKey); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if batchID, err = s.resolveBatchID(ctx, batchID); err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := archiveEditable(tx, batchID); err != nil {
			return err
		}
		if string(raw) == "{}" {
			if _, err := tx.Exec(`DELETE FROM batch_archive WHERE batch_id = ?`, batchID); err != nil {
				return err
			}
		} else if _, err := tx.Exec(`INSERT INTO batch_archive (batch_id, meta, updated_by, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (batch_id) DO UPDATE SET meta = excluded.meta, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			batchID, string(raw), actor.ID, s.stamp()); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "archive.batch", batchID, "")
	})
}

// BatchArchive is the batch's archive data: the defaults of its office and record type with
// the batch's own values over them, and whether the batch has values of its own (is an
// archive file).
func (s *Store) BatchArchive(ctx context.Context, batchID string) (archive.File, bool, error) {
	b, err := s.Batch(ctx, batchID)
	if err != nil {
		return archive.File{}, false, err
	}
	f, err := s.ArchiveDefaults(ctx, b.Office, b.RecordType)
	if err != nil {
		return f, false, err
	}
	var raw string
	err = s.r.QueryRowContext(ctx, `SELECT meta FROM batch_archive WHERE batch_id = ?`, b.ID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return f, false, nil
	}
	if err != nil {
		return f, false, err
	}
	var own archive.File
	if err := json.Unmarshal([]byte(raw), &own); err != nil {
		return f, false, fmt.Errorf("batch archive data: %w", err)
	}
	return archive.Merge(f, own), true, nil
}

// SetDocumentArchive stores a document's archive data. An empty Document removes it.
func (s *Store) SetDocumentArchive(ctx context.Context, actor User, documentID int64, d archive.Document) error {
	if err := Require(actor, ActionKey); err != nil {
		return err
	}
	d.ID, d.Seq, d.Pages = "", 0, 0 // derived, never stored
	if err := d.Validate(); err != nil {
		return err
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var batchID string
		if err := tx.QueryRow(`SELECT batch_id FROM documents WHERE id = ?`, documentID).Scan(&batchID); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		if err := archiveEditable(tx, batchID); err != nil {
			return err
		}
		if string(raw) == "{}" {
			if _, err := tx.Exec(`DELETE FROM document_archive WHERE document_id = ?`, documentID); err != nil {
				return err
			}
		} else if _, err := tx.Exec(`INSERT INTO document_archive (document_id, meta, updated_by, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (document_id) DO UPDATE SET meta = excluded.meta, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			documentID, string(raw), actor.ID, s.stamp()); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "archive.document", fmt.Sprintf("document:%d", documentID), "")
	})
}

// DocumentArchive is a document's own archive data (zero when it has none).
func (s *Store) DocumentArchive(ctx context.Context, documentID int64) (archive.Document, error) {
	var d archive.Document
	var raw string
	err := s.r.QueryRowContext(ctx, `SELECT meta FROM document_archive WHERE document_id = ?`, documentID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil
	}
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return d, fmt.Errorf("document archive data: %w", err)
	}
	return d, nil
}
