package queue

import (
	"context"
	"database/sql"
	"fmt"
)

// Document statuses a clerk sets while keying. "new" is the initial status.
const (
	DocNew   = "new"
	DocKeyed = "keyed" // the clerk finished the document: no hard error left, warnings confirmed
)

// SetDocumentStatus records a document's keying status with an audit event. A document whose
// batch is no longer in capturing or keying cannot change (ErrBatchLocked); confirmedWarnings
// is the number of validation warnings the clerk confirmed (kept in the audit detail, the
// warnings themselves hold personal values and are not logged).
func (s *Store) SetDocumentStatus(ctx context.Context, actor User, docID int64, status string, confirmedWarnings int) error {
	if status != DocNew && status != DocKeyed {
		return fmt.Errorf("document status %q: unknown", status)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var batch, state, old string
		err := tx.QueryRow(`SELECT d.batch_id, b.state, d.status FROM documents d JOIN batches b ON b.id = d.batch_id WHERE d.id = ?`, docID).
			Scan(&batch, &state, &old)
		if err == sql.ErrNoRows {
			return fmt.Errorf("document %d: %w", docID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if !State(state).Keyable() {
			return ErrBatchLocked
		}
		if old == status {
			return nil
		}
		if _, err := tx.Exec(`UPDATE documents SET status = ? WHERE id = ?`, status, docID); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "document.status", fmt.Sprintf("document:%d", docID),
			fmt.Sprintf("%s→%s warnings_confirmed=%d", old, status, confirmedWarnings))
	})
}
