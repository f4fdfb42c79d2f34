package queue

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// State is where a batch is in its life.
type State string

const (
	StateCapturing State = "capturing"
	StateKeying    State = "keying"
	StateReview    State = "review"
	StateReturned  State = "returned"
	StateApproved  State = "approved"
	StateSigned    State = "signed"
	StateSynced    State = "synced"
)

// transitions is the batch state machine (DESIGN.md §3). setState enforces it, and setState
// is the only code that writes a batch's state (TestOneStateWriter).
var transitions = map[State][]State{
	StateCapturing: {StateKeying},
	StateKeying:    {StateReview, StateCapturing},
	StateReview:    {StateReturned, StateApproved},
	StateReturned:  {StateKeying},
	StateApproved:  {StateSigned, StateReturned},
	StateSigned:    {StateSynced, StateReturned},
	StateSynced:    nil,
}

// CanTransition reports whether a batch may move from one state to another.
func CanTransition(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Editable reports whether the pages and documents of a batch in this state may change
// (import, scan, re-scan, rotate, split, merge, move, delete; double-blind passes): only
// while it is captured or keyed. Under review, approved, signed or synced its pages are
// what the supervisor saw; a returned batch is corrected field by field (Keyable) and goes
// back to keying when it is submitted again.
func (s State) Editable() bool { return s == StateCapturing || s == StateKeying }

// Keyable reports whether the field values and document statuses of a batch in this state
// may change, and whether it may be submitted for review: while it is captured, keyed, or
// returned to its clerks. Values are fixed once it goes to review: what a supervisor
// approves and signs is what was submitted.
func (s State) Keyable() bool { return s.Editable() || s == StateReturned }

// keyableSQL is Keyable as an SQL list for `state IN (…)`.
func keyableSQL() string {
	var q []string
	for _, s := range []State{StateCapturing, StateKeying, StateReview, StateReturned, StateApproved, StateSigned, StateSynced} {
		if s.Keyable() {
			q = append(q, "'"+string(s)+"'")
		}
	}
	return strings.Join(q, ", ")
}

// ErrBadTransition is returned for a state change the state machine forbids.
var ErrBadTransition = errors.New("batch state change not allowed")

// ErrBatchLocked is returned for a change to pages or documents of a batch that has left
// capture and keying (under review, approved, signed or synced).
var ErrBatchLocked = errors.New("pages and documents can be changed only while capturing or keying")

// LockedError refuses a change to the pages or documents of a batch that is not Editable,
// naming its state; it matches ErrBatchLocked.
type LockedError struct{ State State }

func (e *LockedError) Error() string { return fmt.Sprintf("batch is %s: %v", e.State, ErrBatchLocked) }
func (e *LockedError) Unwrap() error { return ErrBatchLocked }

func lockedError(state State) error { return &LockedError{State: state} }

// setState is the one writer of batches.state. Inside tx it reads the batch's state,
// refuses a change the state machine forbids (ErrBadTransition) or that the new state's
// entry rules refuse — a double-blind batch goes to review only with its keying settled
// (doublekey.go), a batch is keyed and signed only with the workstation's office (office.go)
// — then writes the new state and updated_at and the audit event "from→to detail", all in
// the same transaction. It returns the state the batch left. Roles, the four-eyes rule and
// each step's own conditions (review.go, signing.go, outbox.go) are checked by its callers
// first.
func (s *Store) setState(tx *sql.Tx, actor User, batchID string, to State, detail string) (State, error) {
	var cur string
	if err := tx.QueryRow(`SELECT state FROM batches WHERE id = ?`, batchID).Scan(&cur); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("batch %s: %w", batchID, ErrNotFound)
		}
		return "", err
	}
	from := State(cur)
	if !CanTransition(from, to) {
		return from, fmt.Errorf("%w: %s → %s", ErrBadTransition, from, to)
	}
	switch to {
	case StateReview:
		if err := doubleKeyReady(tx, batchID); err != nil {
			return from, err
		}
	case StateKeying, StateSigned:
		if err := officeCheckTx(tx, batchID); err != nil {
			return from, err
		}
	}
	res, err := tx.Exec(`UPDATE batches SET state = ?, updated_at = ? WHERE id = ? AND state = ?`, to, s.stamp(), batchID, from)
	if err != nil {
		return from, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return from, fmt.Errorf("batch %s: state not changed (%d rows, %v)", batchID, n, err)
	}
	d := fmt.Sprintf("%s→%s", from, to)
	if detail != "" {
		d += " " + detail
	}
	return from, s.audit(tx, actor.Username, "batch.state", "batch:"+batchID, d)
}
