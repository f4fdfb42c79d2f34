package queue

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
)

// AuditEvent is one row of the append-only audit log. It says who did what to which object
// and when; it never holds a personal field value.
type AuditEvent struct {
	ID       int64
	At       string
	Actor    string
	Action   string
	Object   string
	Detail   string
	PrevHash string
	Hash     string
}

const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

func auditHash(prev, at, actor, action, object, detail string) string {
	h := sha256.New()
	for _, f := range []string{prev, at, actor, action, object, detail} {
		fmt.Fprintf(h, "%d:%s|", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// audit appends an event inside tx, chained to the previous event's hash.
func (s *Store) audit(tx *sql.Tx, actor, action, object, detail string) error {
	prev := genesisHash
	err := tx.QueryRow(`SELECT hash FROM audit ORDER BY id DESC LIMIT 1`).Scan(&prev)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("audit: %w", err)
	}
	at := s.stamp()
	_, err = tx.Exec(`INSERT INTO audit(at, actor, action, object, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?)`,
		at, actor, action, object, detail, prev, auditHash(prev, at, actor, action, object, detail))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditLog returns the newest events first, at most limit (0 = all).
func (s *Store) AuditLog(ctx context.Context, limit int) ([]AuditEvent, error) {
	q := `SELECT id, at, actor, action, object, detail, prev_hash, hash FROM audit ORDER BY id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := s.r.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Object, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// VerifyAudit walks the whole chain and reports the first row that was edited, removed or
// inserted out of order.
func (s *Store) VerifyAudit(ctx context.Context) error {
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, actor, action, object, detail, prev_hash, hash FROM audit ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	prev := genesisHash
	var problems []string
	for rows.Next() {
		var e AuditEvent
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Object, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return err
		}
		if e.PrevHash != prev {
			problems = append(problems, fmt.Sprintf("event %d does not follow the previous one (a row was removed or inserted)", e.ID))
		}
		if auditHash(e.PrevHash, e.At, e.Actor, e.Action, e.Object, e.Detail) != e.Hash {
			problems = append(problems, fmt.Sprintf("event %d was altered", e.ID))
		}
		prev = e.Hash
		if len(problems) > 10 {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("audit log broken: %s", strings.Join(problems, "; "))
	}
	return nil
}
