package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/internal/l10n"
)

// FieldSource says how a value came to be.
type FieldSource string

const (
	SourceOCR FieldSource = "ocr"
	// SourceOCRAccepted is an OCR value a clerk accepted as it was, without typing it; the
	// value's By names who accepted it.
	SourceOCRAccepted FieldSource = "ocr-accepted"
	SourceKeyed       FieldSource = "keyed"
	SourceCorrected   FieldSource = "corrected"
	SourceDoubleKeyed FieldSource = "double-keyed"
)

// FieldValue is the current (or a past) value of one field of a document.
type FieldValue struct {
	Key        string
	Value      string
	Source     FieldSource
	Confidence float64
	By         string // user name; "" for OCR
	At         string
	Current    bool
}

// ErrFieldsLocked: field values change only while the batch is capturing, keying or returned.
var ErrFieldsLocked = l10n.New("queue.fieldsLocked")

// SetField records a new value for a field; the previous value stays in the history.
// The audit event names the field, never its value. It refuses (ErrFieldsLocked) once the
// batch has gone to review.
func (s *Store) SetField(ctx context.Context, actor User, documentID int64, key, value string, src FieldSource, conf float64) error {
	return s.SetFields(ctx, actor, documentID, []FieldValue{{Key: key, Value: value, Source: src, Confidence: conf}})
}

// SetFields records several values of one document in one transaction (all or none), as
// SetField does each: extraction stores a document's values this way, so that a crash
// leaves either all of them or none.
func (s *Store) SetFields(ctx context.Context, actor User, documentID int64, values []FieldValue) error {
	for i := range values {
		values[i].Value = norm.NFC.String(values[i].Value)
		switch values[i].Source {
		case SourceOCR, SourceOCRAccepted, SourceKeyed, SourceCorrected, SourceDoubleKeyed:
		default:
			return fmt.Errorf("unknown field source %q", values[i].Source)
		}
		if values[i].Key == "" {
			return errors.New("field key is empty")
		}
	}
	if len(values) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRow(`SELECT b.state FROM documents d JOIN batches b ON b.id = d.batch_id WHERE d.id = ?`, documentID).Scan(&state)
		if err == sql.ErrNoRows {
			return fmt.Errorf("document %d: %w", documentID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		// Values are fixed once the batch goes to review: what a supervisor approves and signs
		// is what was submitted.
		if !State(state).Keyable() {
			return ErrFieldsLocked
		}
		// A person keys only a batch of this workstation's office (office.go).
		for _, v := range values {
			if v.Source != SourceOCR {
				if err := documentOfficeTx(tx, documentID); err != nil {
					return err
				}
				break
			}
		}
		var uid any
		if actor.ID != 0 {
			uid = actor.ID
		}
		for _, v := range values {
			if err := guardBlindSet(tx, documentID, v.Source); err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE field_values SET current = 0 WHERE document_id = ? AND key = ? AND current = 1`, documentID, v.Key); err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO field_values(document_id, key, value, source, confidence, user_id, created_at) VALUES (?,?,seal('field_values.value', ?),?,?,?,?)`,
				documentID, v.Key, v.Value, v.Source, v.Confidence, uid, s.stamp()); err != nil {
				return err
			}
			if _, err := tx.Exec(`DELETE FROM search_fts WHERE document_id = ? AND field = ?`, documentID, v.Key); err != nil {
				return err
			}
			body, err := s.ftsBody(v.Value)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO search_fts(body, document_id, page_id, field) VALUES (?,?,0,?)`, body, documentID, v.Key); err != nil {
				return err
			}
			if err := s.audit(tx, actor.Username, "field.set", fmt.Sprintf("document:%d", documentID), "field="+v.Key+" source="+string(v.Source)); err != nil {
				return err
			}
		}
		return nil
	})
}

// Fields returns the current values of a document's fields, by key order.
func (s *Store) Fields(ctx context.Context, documentID int64) ([]FieldValue, error) {
	return s.fieldRows(ctx, `WHERE f.document_id = ? AND f.current = 1 ORDER BY f.key`, documentID)
}

// FieldHistory returns every value a field has had, oldest first.
func (s *Store) FieldHistory(ctx context.Context, documentID int64, key string) ([]FieldValue, error) {
	return s.fieldRows(ctx, `WHERE f.document_id = ? AND f.key = ? ORDER BY f.id`, documentID, key)
}

func (s *Store) fieldRows(ctx context.Context, where string, args ...any) ([]FieldValue, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT f.key, unseal('field_values.value', f.value), f.source, f.confidence, coalesce(u.username, ''), f.created_at, f.current
		FROM field_values f LEFT JOIN users u ON u.id = f.user_id `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FieldValue
	for rows.Next() {
		var f FieldValue
		var cur int
		var src string
		if err := rows.Scan(&f.Key, &f.Value, &src, &f.Confidence, &f.By, &f.At, &cur); err != nil {
			return nil, err
		}
		f.Source = FieldSource(src)
		f.Current = cur == 1
		out = append(out, f)
	}
	return out, rows.Err()
}

// DocumentsToExtract lists the documents, in batches whose values may still change, that
// have pages, none of them waiting for OCR, and no field value at all: those whose values
// extraction has not stored yet (the OCR pipeline extracts them on start).
func (s *Store) DocumentsToExtract(ctx context.Context) ([]Document, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT d.id, d.batch_id, d.seq FROM documents d JOIN batches b ON b.id = d.batch_id
		WHERE b.state IN (`+keyableSQL()+`)
		  AND EXISTS (SELECT 1 FROM pages p WHERE p.document_id = d.id)
		  AND NOT EXISTS (SELECT 1 FROM pages p WHERE p.document_id = d.id AND p.ocr_state = 'pending')
		  AND NOT EXISTS (SELECT 1 FROM field_values f WHERE f.document_id = d.id)
		ORDER BY d.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		var d Document
		if err := rows.Scan(&d.ID, &d.BatchID, &d.Seq); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
