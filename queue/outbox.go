package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The outbox (migration 0004): one entry per signed batch, worked through by the sync client
// (sync/client) in sequence order. An entry is pending until the server's signed receipt is
// stored (done, and the batch signed → synced in the same transaction), or held when the
// server refused the batch for good (the batch goes back to review: signed → returned).

// Outbox entry statuses.
const (
	OutboxPending = "pending"
	OutboxHeld    = "held"
	OutboxDone    = "done"
)

// OutboxEntry is one signed batch waiting for (or done with) upload.
type OutboxEntry struct {
	BatchID     string
	BatchName   string
	Seq         int64
	Status      string
	Attempts    int
	LastError   string    // code and bilingual message from the server; never personal data
	NextAttempt time.Time // zero: at once
	Receipt     []byte    // the server's signed receipt (done entries)
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ErrOutboxState is returned for an outbox change the entry's status does not allow.
var ErrOutboxState = errors.New("outbox entry is not pending")

const outboxSelect = `SELECT o.batch_id, b.name, o.seq, o.status, o.attempts, o.last_error, o.next_attempt,
	o.receipt, o.created_at, o.updated_at FROM outbox o JOIN batches b ON b.id = o.batch_id`

func scanOutbox(row interface{ Scan(...any) error }) (OutboxEntry, error) {
	var e OutboxEntry
	var next, created, updated string
	err := row.Scan(&e.BatchID, &e.BatchName, &e.Seq, &e.Status, &e.Attempts, &e.LastError, &next, &e.Receipt, &created, &updated)
	if next != "" {
		e.NextAttempt = parseStamp(next)
	}
	e.CreatedAt, e.UpdatedAt = parseStamp(created), parseStamp(updated)
	return e, err
}

// Outbox lists the entries with the given status ("" for all), in sequence order.
func (s *Store) Outbox(ctx context.Context, status string) ([]OutboxEntry, error) {
	q := outboxSelect + ` WHERE ? = '' OR o.status = ? ORDER BY o.seq`
	rows, err := s.r.QueryContext(ctx, q, status, status)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OutboxEntry
	for rows.Next() {
		e, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// DueOutbox lists the pending entries whose next attempt is due at now, in sequence order.
func (s *Store) DueOutbox(ctx context.Context, now time.Time) ([]OutboxEntry, error) {
	all, err := s.Outbox(ctx, OutboxPending)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, e := range all {
		if !e.NextAttempt.After(now) {
			out = append(out, e)
		}
	}
	return out, nil
}

// OutboxEntryOf returns the outbox entry of a batch (ErrNotFound when it has none).
func (s *Store) OutboxEntryOf(ctx context.Context, batchID string) (OutboxEntry, error) {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return OutboxEntry{}, err
	}
	e, err := scanOutbox(s.r.QueryRowContext(ctx, outboxSelect+` WHERE o.batch_id = ?`, full))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("outbox entry of batch %s: %w", full, ErrNotFound)
	}
	return e, err
}

// OutboxAttempt records a failed attempt that will be retried: attempts+1, the error (code and
// message, no personal data) and when to try again. It writes no audit event (a retry changes
// nothing anyone decided); the outcome (done or held) is audited.
func (s *Store) OutboxAttempt(ctx context.Context, batchID, lastError string, next time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.Exec(`UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt = ?, updated_at = ?
			WHERE batch_id = ? AND status = 'pending'`, lastError, next.UTC().Format(time.RFC3339Nano), s.stamp(), batchID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w (batch %s)", ErrOutboxState, batchID)
		}
		return nil
	})
}

// OutboxHold puts a pending entry on hold after the server refused the batch for good, and
// sends the batch back (signed → returned) in the same transaction, with an audit event. The
// reason (the server's code and bilingual message) stays on the entry for the supervisor.
func (s *Store) OutboxHold(ctx context.Context, actor User, batchID, reason string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var status, state string
		err := tx.QueryRow(`SELECT o.status, b.state FROM outbox o JOIN batches b ON b.id = o.batch_id WHERE o.batch_id = ?`,
			batchID).Scan(&status, &state)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("outbox entry of batch %s: %w", batchID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if status != OutboxPending {
			return fmt.Errorf("%w (batch %s is %s)", ErrOutboxState, batchID, status)
		}
		now := s.stamp()
		if _, err := tx.Exec(`UPDATE outbox SET status = 'held', attempts = attempts + 1, last_error = ?, next_attempt = '', updated_at = ?
			WHERE batch_id = ?`, reason, now, batchID); err != nil {
			return err
		}
		if State(state) == StateSigned {
			if _, err := s.setState(tx, actor, batchID, StateReturned, // signed→returned (state.go)
				fmt.Sprintf("by=server comment_len=%d", len([]rune(reason)))); err != nil {
				return err
			}
			// The server's reason reaches the batch's clerks and supervisors with the review
			// comments (Store.Comments), as a comment on the whole batch.
			if actor.ID != 0 {
				var round int
				if err := tx.QueryRow(`SELECT COALESCE((SELECT round FROM batch_reviews WHERE batch_id = ?), 0)`, batchID).Scan(&round); err != nil {
					return err
				}
				if _, err := tx.Exec(`INSERT INTO review_comments(batch_id, round, document_id, author, body, created_at) VALUES (?,?,NULL,?,?,?)`,
					batchID, round, actor.ID, "Máy chủ trung tâm từ chối lô / The central server refused the batch: "+reason, now); err != nil {
					return err
				}
			}
		}
		return s.audit(tx, actor.Username, "outbox.held", "batch:"+batchID, "")
	})
}

// OutboxComplete stores the server's signed receipt (the caller has verified it), marks the
// entry done and the batch synced, with an audit event, in one transaction. Completing an
// entry that is already done with the same receipt is a no-op (two senders raced).
func (s *Store) OutboxComplete(ctx context.Context, actor User, batchID string, receipt []byte) error {
	if len(receipt) == 0 {
		return errors.New("outbox: empty receipt")
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var status, state string
		var seq int64
		var old []byte
		err := tx.QueryRow(`SELECT o.status, o.seq, o.receipt, b.state FROM outbox o JOIN batches b ON b.id = o.batch_id WHERE o.batch_id = ?`,
			batchID).Scan(&status, &seq, &old, &state)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("outbox entry of batch %s: %w", batchID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if status == OutboxDone && string(old) == string(receipt) {
			return nil
		}
		if status != OutboxPending || State(state) != StateSigned {
			return fmt.Errorf("%w (batch %s is %s, %s)", ErrOutboxState, batchID, status, state)
		}
		now := s.stamp()
		if _, err := tx.Exec(`UPDATE outbox SET status = 'done', receipt = ?, last_error = '', next_attempt = '', updated_at = ? WHERE batch_id = ?`,
			receipt, now, batchID); err != nil {
			return err
		}
		_, err = s.setState(tx, actor, batchID, StateSynced, fmt.Sprintf("seq=%d receipt=%d", seq, len(receipt))) // signed→synced (state.go)
		return err
	})
}

// OutboxCounts is what the UI shows of the outbox.
type OutboxCounts struct {
	Pending, Held, Done int
}

// OutboxCounts counts the entries by status.
func (s *Store) OutboxCounts(ctx context.Context) (OutboxCounts, error) {
	var c OutboxCounts
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(sum(status = 'pending'), 0), coalesce(sum(status = 'held'), 0),
		coalesce(sum(status = 'done'), 0) FROM outbox`).Scan(&c.Pending, &c.Held, &c.Done)
	return c, err
}

// SetSettings (administrators only) stores several workstation settings in one transaction (one audit event per key,
// naming the key, never the value), so a configuration is never half written.
func (s *Store) SetSettings(ctx context.Context, actor User, kv map[string]string) error {
	if err := Require(actor, ActionManageSettings); err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		for k, v := range kv {
			v, err := s.sealSettingTx(tx, k, v)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
				return err
			}
			if err := s.audit(tx, actor.Username, "setting.set", "setting:"+k, ""); err != nil {
				return err
			}
		}
		return nil
	})
}
