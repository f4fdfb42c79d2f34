package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"
)

// ErrNotFound is returned when a batch, document or page does not exist.
var ErrNotFound = errors.New("not found")

// Batch is a box of paper handled together.
type Batch struct {
	ID         string
	Name       string
	Office     string
	RecordType string
	State      State
	CreatedBy  string
	CreatedAt  string
	UpdatedAt  string
	Documents  int
	Pages      int
	PagesDone  int    // pages with OCR finished
	PagesFail  int    // pages whose OCR failed
	Cleanup    string // clean-up profile: "" default, "none", or the profile as JSON
	// DoubleBlind: every document is keyed by two clerks blind to each other (doublekey.go).
	DoubleBlind bool
}

// BatchSpec describes a new batch.
type BatchSpec struct {
	Name       string
	Office     string
	RecordType string // "generic" when empty
	Cleanup    string // clean-up profile: "" default, "none", or a JSON profile (the pipeline reads it)
	// DoubleBlind: every document is keyed by two clerks blind to each other (doublekey.go).
	DoubleBlind bool
}

// RecordType is a kind of record a batch holds.
type RecordType struct{ Key, NameVi, NameEn string }

// RecordTypes lists the known record types.
func (s *Store) RecordTypes(ctx context.Context) ([]RecordType, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, name_vi, name_en FROM record_types ORDER BY key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RecordType
	for rows.Next() {
		var t RecordType
		if err := rows.Scan(&t.Key, &t.NameVi, &t.NameEn); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// CreateBatch opens a new batch in state capturing. Its office is spec.Office (a valid office
// code; on an enrolled workstation, the enrolled office) or, when empty, the workstation's
// office (office.go).
func (s *Store) CreateBatch(ctx context.Context, actor User, spec BatchSpec) (Batch, error) {
	if err := Require(actor, ActionCreateBatch); err != nil {
		return Batch{}, err
	}
	if spec.RecordType == "" {
		spec.RecordType = "generic"
	}
	spec.Name = strings.TrimSpace(norm.NFC.String(spec.Name))
	spec.Office = strings.TrimSpace(norm.NFC.String(spec.Office))
	id, err := uuid.NewV7()
	if err != nil {
		return Batch{}, err
	}
	if spec.Name == "" {
		spec.Name = s.now().Local().Format("2006-01-02 15:04")
	}
	now := s.stamp()
	err = s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM record_types WHERE key = ?`, spec.RecordType).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("unknown record type %q (see sohoa types)", spec.RecordType)
		}
		// The office asked for, else the workstation's (office.go).
		office, err := resolveOffice(tx, spec.Name, spec.Office)
		if err != nil {
			return err
		}
		spec.Office = office
		if _, err := tx.Exec(`INSERT INTO batches(id, name, office, record_type, state, created_by, created_at, updated_at, cleanup, double_blind) VALUES (?,?,?,?,?,?,?,?,?,?)`,
			id.String(), spec.Name, spec.Office, spec.RecordType, StateCapturing, actor.ID, now, now, spec.Cleanup, spec.DoubleBlind); err != nil {
			return err
		}
		detail := "type=" + spec.RecordType
		if spec.Office != "" {
			detail += " office=" + spec.Office
		}
		if spec.DoubleBlind {
			detail += " double_blind=on"
		}
		return s.audit(tx, actor.Username, "batch.create", "batch:"+id.String(), detail)
	})
	if err != nil {
		return Batch{}, err
	}
	return s.Batch(ctx, id.String())
}

const batchSelect = `SELECT b.id, b.name, b.office, b.record_type, b.state, u.username, b.created_at, b.updated_at,
  (SELECT count(*) FROM documents d WHERE d.batch_id = b.id),
  (SELECT count(*) || ' ' || coalesce(sum(p.ocr_state = 'done'), 0) || ' ' || coalesce(sum(p.ocr_state = 'failed'), 0)
     FROM pages p JOIN documents d ON d.id = p.document_id WHERE d.batch_id = b.id),
  b.cleanup, b.double_blind
FROM batches b JOIN users u ON u.id = b.created_by`

func scanBatch(row interface{ Scan(...any) error }) (Batch, error) {
	var b Batch
	var st, pages string
	err := row.Scan(&b.ID, &b.Name, &b.Office, &b.RecordType, &st, &b.CreatedBy, &b.CreatedAt, &b.UpdatedAt,
		&b.Documents, &pages, &b.Cleanup, &b.DoubleBlind)
	if err != nil {
		return b, err
	}
	b.State = State(st)
	// One pass over a batch's pages counts them all, done and failed (the batch list stays fast
	// with 100,000 documents: BenchmarkScale100kBatchList).
	if _, err := fmt.Sscan(pages, &b.Pages, &b.PagesDone, &b.PagesFail); err != nil {
		return b, fmt.Errorf("batch %s page counts %q: %w", b.ID, pages, err)
	}
	return b, nil
}

// Batch returns one batch with its counts. A unique prefix of the ID is accepted.
func (s *Store) Batch(ctx context.Context, id string) (Batch, error) {
	full, err := s.resolveBatchID(ctx, id)
	if err != nil {
		return Batch{}, err
	}
	b, err := scanBatch(s.r.QueryRowContext(ctx, batchSelect+` WHERE b.id = ?`, full))
	if errors.Is(err, sql.ErrNoRows) {
		return Batch{}, fmt.Errorf("batch %s: %w", id, ErrNotFound)
	}
	return b, err
}

// batchReadTx resolves batchID (a unique prefix is enough) and runs fn with the full ID in
// a read-only transaction, so that the checks made before a batch is keyed, approved or
// signed all read one consistent state of the batch and never take the write lock.
func (s *Store) batchReadTx(ctx context.Context, batchID string, fn func(tx *sql.Tx, full string) error) error {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return err
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx, full)
}

func (s *Store) resolveBatchID(ctx context.Context, id string) (string, error) {
	id = strings.TrimSpace(strings.ToLower(id))
	if len(id) < 4 {
		return "", fmt.Errorf("batch %q: %w (give at least 4 characters of its ID)", id, ErrNotFound)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM batches WHERE id = ? OR substr(id, 1, ?) = ? LIMIT 2`, id, len(id), id)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return "", err
		}
		ids = append(ids, v)
	}
	switch {
	case len(ids) == 0:
		return "", fmt.Errorf("batch %s: %w", id, ErrNotFound)
	case len(ids) > 1:
		return "", fmt.Errorf("batch ID prefix %s is ambiguous: give more characters", id)
	}
	return ids[0], rows.Err()
}

// BatchFilter narrows ListBatches.
type BatchFilter struct {
	State State // "" = any
	Limit int   // 0 = 1000
}

// ListBatches lists batches, newest first.
func (s *Store) ListBatches(ctx context.Context, f BatchFilter) ([]Batch, error) {
	q := batchSelect
	var args []any
	if f.State != "" {
		q += ` WHERE b.state = ?`
		args = append(args, f.State)
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	q += fmt.Sprintf(` ORDER BY b.id DESC LIMIT %d`, f.Limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Transition moves a batch to another state, with an audit event in the same transaction.
// Roles and the four-eyes rule apply (reviewRules); Submit, Approve and Return are the review
// steps with their own checks and records (review.go).
func (s *Store) Transition(ctx context.Context, actor User, batchID string, to State, comment string) error {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var from string
		if err := tx.QueryRow(`SELECT state FROM batches WHERE id = ?`, full).Scan(&from); err != nil {
			return err
		}
		if !CanTransition(State(from), to) {
			return fmt.Errorf("%w: %s → %s", ErrBadTransition, from, to)
		}
		if err := s.reviewRules(tx, actor, full, State(from), to); err != nil { // roles and four-eyes (review.go)
			return err
		}
		detail := ""
		if comment != "" {
			detail = "comment_len=" + fmt.Sprint(len([]rune(comment)))
		}
		_, err := s.setState(tx, actor, full, to, detail) // the state machine's entry rules, the audit event (state.go)
		return err
	})
}
