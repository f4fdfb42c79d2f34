package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Double-blind keying (optional per batch). Two different clerks key every document of the
// batch, each into a pass of their own (key_passes, key_values); neither can read the other's
// values. When the second pass is finished the two are compared in the same transaction:
// fields keyed alike become the current value with source double-keyed, the others become
// conflicts (key_conflicts) that a third person — neither of the two keyers — decides after
// seeing both values. The batch can be submitted for review only when every document has two
// finished passes and no open conflict. Audit events name documents, fields and counts, never
// a value.

// Errors of double-blind keying. Each matches one of these sentinels; the messages hold no
// personal values.
var (
	ErrNotDoubleBlind  = l10n.New("queue.dk.notDoubleBlind")
	ErrDoubleBlindOnly = l10n.New("queue.dk.doubleBlindOnly")
	ErrPassesTaken     = l10n.New("queue.dk.passesTaken")
	ErrPassDone        = l10n.New("queue.dk.passDone")
	ErrNoPass          = l10n.New("queue.dk.noPass")
	ErrNotThirdPerson  = l10n.New("queue.dk.notThirdPerson")
	ErrNoConflict      = l10n.New("queue.dk.noConflict")
	ErrDoubleKeyOpen   = l10n.New("queue.dk.open")
	ErrPassesStarted   = l10n.New("queue.dk.passesStarted")
)

// DoubleKeyError is a double-blind keying error: its sentinel (matched with errors.Is) and a
// detail with counts and field keys only.
type DoubleKeyError struct {
	Err    error
	detail *l10n.Error // nil when the sentinel says it all
}

func (e *DoubleKeyError) Error() string { return e.Localize(l10n.Vi) + " / " + e.Localize(l10n.En) }

// Localize is the message in lang.
func (e *DoubleKeyError) Localize(lang string) string {
	msg := l10n.Text(lang, e.Err)
	if e.detail != nil {
		msg += " (" + e.detail.Localize(lang) + ")"
	}
	return msg
}

func (e *DoubleKeyError) Unwrap() error { return e.Err }

// dkErr is sentinel with the detail key (and its values), "" for none.
func dkErr(sentinel error, detail string, args ...l10n.Args) error {
	e := &DoubleKeyError{Err: sentinel}
	if detail != "" {
		e.detail = l10n.New(detail, args...)
	}
	return e
}

// SetDoubleBlind turns double-blind keying on or off for a batch that is capturing or
// keying. It cannot be turned off once a clerk has started a pass.
func (s *Store) SetDoubleBlind(ctx context.Context, actor User, batchID string, on bool) error {
	if err := Require(actor, ActionCreateBatch); err != nil {
		return err
	}
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var state string
		var cur bool
		if err := tx.QueryRow(`SELECT state, double_blind FROM batches WHERE id = ?`, full).Scan(&state, &cur); err != nil {
			return err
		}
		if !State(state).Editable() {
			return lockedError(State(state))
		}
		if cur == on {
			return nil
		}
		if !on {
			var n int
			if err := tx.QueryRow(`SELECT count(*) FROM key_passes k JOIN documents d ON d.id = k.document_id WHERE d.batch_id = ?`, full).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return dkErr(ErrPassesStarted, "queue.dk.passes", l10n.Args{"N": n})
			}
		}
		if _, err := tx.Exec(`UPDATE batches SET double_blind = ?, updated_at = ? WHERE id = ?`, on, s.stamp(), full); err != nil {
			return err
		}
		detail := "off"
		if on {
			detail = "on"
		}
		return s.audit(tx, actor.Username, "batch.double_blind", "batch:"+full, detail)
	})
}

// BlindField is one field as a double-blind keyer may see it: their own keyed value, or else
// the OCR suggestion. It never carries the other pass's value.
type BlindField struct {
	Key        string
	Value      string
	Source     FieldSource // SourceKeyed: this clerk's own value; SourceOCR: a suggestion read by OCR
	Confidence float64
}

// PassInfo describes a clerk's pass of a document.
type PassInfo struct {
	Pass int  // 1 or 2; 0 when the clerk has no pass yet
	Done bool // finished: its values can no longer change
}

// BlindFields returns what actor may see while keying a document of a double-blind batch:
// the values of their own pass and, for the other fields, the values OCR read. The other
// clerk's values and the keyed or double-keyed current values are never included, so the
// keying screen cannot leak them.
func (s *Store) BlindFields(ctx context.Context, actor User, documentID int64) ([]BlindField, PassInfo, error) {
	var info PassInfo
	var blind bool
	err := s.r.QueryRowContext(ctx, `SELECT b.double_blind FROM documents d JOIN batches b ON b.id = d.batch_id WHERE d.id = ?`, documentID).Scan(&blind)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, info, fmt.Errorf("document %d: %w", documentID, ErrNotFound)
	}
	if err != nil {
		return nil, info, err
	}
	if !blind {
		return nil, info, dkErr(ErrNotDoubleBlind, "")
	}
	var passID int64
	var done string
	err = s.r.QueryRowContext(ctx, `SELECT id, pass, done_at FROM key_passes WHERE document_id = ? AND user_id = ?`, documentID, actor.ID).Scan(&passID, &info.Pass, &done)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, info, err
	}
	info.Done = done != ""
	own := map[string]BlindField{}
	if passID != 0 {
		rows, err := s.r.QueryContext(ctx, `SELECT key, unseal('key_values.value', value) FROM key_values WHERE pass_id = ?`, passID)
		if err != nil {
			return nil, info, err
		}
		for rows.Next() {
			var f BlindField
			if err := rows.Scan(&f.Key, &f.Value); err != nil {
				rows.Close()
				return nil, info, err
			}
			f.Source, f.Confidence = SourceKeyed, 1
			own[f.Key] = f
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, info, err
		}
	}
	// OCR suggestions: the newest value OCR stored for each field, whatever became current since.
	rows, err := s.r.QueryContext(ctx, `SELECT key, unseal('field_values.value', value), confidence FROM field_values
		WHERE id IN (SELECT max(id) FROM field_values WHERE document_id = ? AND source = 'ocr' GROUP BY key)`, documentID)
	if err != nil {
		return nil, info, err
	}
	for rows.Next() {
		var f BlindField
		if err := rows.Scan(&f.Key, &f.Value, &f.Confidence); err != nil {
			rows.Close()
			return nil, info, err
		}
		if _, ok := own[f.Key]; !ok {
			f.Source = SourceOCR
			own[f.Key] = f
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, info, err
	}
	out := make([]BlindField, 0, len(own))
	for _, f := range own {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, info, nil
}

// blindDoc checks that a document is in a double-blind batch that is capturing or keying.
func blindDoc(tx *sql.Tx, documentID int64) (batchID string, err error) {
	var state string
	var blind bool
	err = tx.QueryRow(`SELECT d.batch_id, b.state, b.double_blind FROM documents d JOIN batches b ON b.id = d.batch_id WHERE d.id = ?`, documentID).
		Scan(&batchID, &state, &blind)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("document %d: %w", documentID, ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	if !blind {
		return "", dkErr(ErrNotDoubleBlind, "")
	}
	if !State(state).Editable() {
		return "", lockedError(State(state))
	}
	return batchID, nil
}

// KeyBlind stores values (field key → value) in actor's own pass of a document, in one
// transaction, durable when it returns. The first call claims a pass: pass 1 if free, else
// pass 2; a third clerk gets ErrPassesTaken. Values of a finished pass cannot change.
func (s *Store) KeyBlind(ctx context.Context, actor User, documentID int64, values map[string]string) (PassInfo, error) {
	var info PassInfo
	if err := Require(actor, ActionKey); err != nil {
		return info, err
	}
	for k := range values {
		if k == "" {
			return info, errors.New("field key is empty")
		}
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := blindDoc(tx, documentID); err != nil {
			return err
		}
		passID, pass, done, err := s.claimPass(tx, actor, documentID)
		if err != nil {
			return err
		}
		info.Pass = pass
		if done {
			return dkErr(ErrPassDone, "")
		}
		keys := make([]string, 0, len(values))
		for k := range values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		now := s.stamp()
		for _, k := range keys {
			if _, err := tx.Exec(`INSERT INTO key_values(pass_id, key, value, at) VALUES (?,?,seal('key_values.value', ?),?)
				ON CONFLICT(pass_id, key) DO UPDATE SET value = excluded.value, at = excluded.at`,
				passID, k, norm.NFC.String(strings.TrimSpace(values[k])), now); err != nil {
				return err
			}
		}
		return s.audit(tx, actor.Username, "doublekey.key", fmt.Sprintf("document:%d", documentID),
			fmt.Sprintf("pass=%d fields=%s", pass, strings.Join(keys, ",")))
	})
	return info, err
}

// claimPass returns actor's pass of the document, creating it when there is a free one.
func (s *Store) claimPass(tx *sql.Tx, actor User, documentID int64) (id int64, pass int, done bool, err error) {
	var doneAt string
	err = tx.QueryRow(`SELECT id, pass, done_at FROM key_passes WHERE document_id = ? AND user_id = ?`, documentID, actor.ID).Scan(&id, &pass, &doneAt)
	if err == nil {
		return id, pass, doneAt != "", nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, 0, false, err
	}
	var taken int
	if err := tx.QueryRow(`SELECT coalesce(sum(pass), 0) FROM key_passes WHERE document_id = ?`, documentID).Scan(&taken); err != nil {
		return 0, 0, false, err
	}
	switch taken {
	case 0, 2:
		pass = 1
	case 1:
		pass = 2
	default:
		return 0, 0, false, dkErr(ErrPassesTaken, "")
	}
	res, err := tx.Exec(`INSERT INTO key_passes(document_id, pass, user_id, started_at) VALUES (?,?,?,?)`, documentID, pass, actor.ID, s.stamp())
	if err != nil {
		return 0, 0, false, err
	}
	id, _ = res.LastInsertId()
	if err := s.audit(tx, actor.Username, "doublekey.claim", fmt.Sprintf("document:%d", documentID), fmt.Sprintf("pass=%d", pass)); err != nil {
		return 0, 0, false, err
	}
	return id, pass, false, nil
}

// Reconciliation is what comparing the two passes of a document gave.
type Reconciliation struct {
	Compared  bool     // both passes are finished and were compared
	Matched   int      // fields keyed alike, now current with source double-keyed
	Conflicts []string // keys of the fields keyed differently, for a third person to decide
}

// FinishBlind closes actor's pass of a document. When the other pass is already finished,
// the two are compared in the same transaction (see Reconciliation).
func (s *Store) FinishBlind(ctx context.Context, actor User, documentID int64) (Reconciliation, error) {
	var rec Reconciliation
	if err := Require(actor, ActionKey); err != nil {
		return rec, err
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		rec = Reconciliation{}
		if _, err := blindDoc(tx, documentID); err != nil {
			return err
		}
		var id int64
		var pass int
		var doneAt string
		err := tx.QueryRow(`SELECT id, pass, done_at FROM key_passes WHERE document_id = ? AND user_id = ?`, documentID, actor.ID).Scan(&id, &pass, &doneAt)
		if errors.Is(err, sql.ErrNoRows) {
			return dkErr(ErrNoPass, "")
		}
		if err != nil {
			return err
		}
		if doneAt != "" {
			return dkErr(ErrPassDone, "")
		}
		if _, err := tx.Exec(`UPDATE key_passes SET done_at = ? WHERE id = ?`, s.stamp(), id); err != nil {
			return err
		}
		if err := s.audit(tx, actor.Username, "doublekey.finish", fmt.Sprintf("document:%d", documentID), fmt.Sprintf("pass=%d", pass)); err != nil {
			return err
		}
		var finished int
		if err := tx.QueryRow(`SELECT count(*) FROM key_passes WHERE document_id = ? AND done_at <> ''`, documentID).Scan(&finished); err != nil {
			return err
		}
		if finished < 2 {
			return nil
		}
		rec, err = s.reconcile(tx, actor, documentID)
		return err
	})
	return rec, err
}

// passValues returns the values of both passes of a document: [0] pass 1, [1] pass 2, and
// the users who keyed them.
func passValues(tx *sql.Tx, documentID int64) (vals [2]map[string]string, users [2]int64, err error) {
	vals[0], vals[1] = map[string]string{}, map[string]string{}
	rows, err := tx.Query(`SELECT k.pass, k.user_id, v.key, unseal('key_values.value', v.value) FROM key_passes k LEFT JOIN key_values v ON v.pass_id = k.id WHERE k.document_id = ?`, documentID)
	if err != nil {
		return vals, users, err
	}
	defer rows.Close()
	for rows.Next() {
		var pass int
		var uid int64
		var key, value sql.NullString
		if err := rows.Scan(&pass, &uid, &key, &value); err != nil {
			return vals, users, err
		}
		users[pass-1] = uid
		if key.Valid {
			vals[pass-1][key.String] = value.String
		}
	}
	return vals, users, rows.Err()
}

// reconcile compares the two finished passes of a document inside tx.
func (s *Store) reconcile(tx *sql.Tx, actor User, documentID int64) (Reconciliation, error) {
	rec := Reconciliation{Compared: true}
	vals, users, err := passValues(tx, documentID)
	if err != nil {
		return rec, err
	}
	keys := map[string]bool{}
	for _, m := range vals {
		for k := range m {
			keys[k] = true
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		a, okA := vals[0][k]
		b, okB := vals[1][k]
		if okA && okB && a == b {
			// The second finisher is recorded as the author; both keyers are in key_passes.
			if err := s.setFieldTx(tx, users[1], documentID, k, a, SourceDoubleKeyed, 1); err != nil {
				return rec, err
			}
			rec.Matched++
			continue
		}
		if _, err := tx.Exec(`INSERT INTO key_conflicts(document_id, key) VALUES (?, ?)
			ON CONFLICT(document_id, key) DO UPDATE SET resolved_by = NULL, resolved_at = ''`, documentID, k); err != nil {
			return rec, err
		}
		rec.Conflicts = append(rec.Conflicts, k)
	}
	err = s.audit(tx, actor.Username, "doublekey.compare", fmt.Sprintf("document:%d", documentID),
		fmt.Sprintf("matched=%d conflicts=%d", rec.Matched, len(rec.Conflicts)))
	return rec, err
}

// setFieldTx is SetField's write inside an open transaction (no audit event: the caller writes one).
func (s *Store) setFieldTx(tx *sql.Tx, userID int64, documentID int64, key, value string, src FieldSource, conf float64) error {
	value = norm.NFC.String(value)
	if _, err := tx.Exec(`UPDATE field_values SET current = 0 WHERE document_id = ? AND key = ? AND current = 1`, documentID, key); err != nil {
		return err
	}
	var uid any
	if userID != 0 {
		uid = userID
	}
	if _, err := tx.Exec(`INSERT INTO field_values(document_id, key, value, source, confidence, user_id, created_at) VALUES (?,?,seal('field_values.value', ?),?,?,?,?)`,
		documentID, key, value, src, conf, uid, s.stamp()); err != nil {
		return err
	}
	body, err := s.ftsBody(value)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM search_fts WHERE document_id = ? AND field = ?`, documentID, key); err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO search_fts(body, document_id, page_id, field) VALUES (?,?,0,?)`, body, documentID, key)
	return err
}

// Conflict is a field the two passes keyed differently, as the third person sees it.
type Conflict struct {
	DocumentID int64
	Seq        int // the document's place in its batch
	Key        string
	Pass1      string // "" when the clerk left the field empty
	Pass2      string
	Keyer1     string // user names of the two keyers
	Keyer2     string
}

// Conflicts lists the open conflicts of a batch that actor may decide: those of documents
// actor did not key. Only a third person sees both values.
func (s *Store) Conflicts(ctx context.Context, actor User, batchID string) ([]Conflict, error) {
	if err := Require(actor, ActionKey); err != nil {
		return nil, err
	}
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT c.document_id, d.seq, c.key,
		coalesce((SELECT unseal('key_values.value', v.value) FROM key_passes k JOIN key_values v ON v.pass_id = k.id WHERE k.document_id = c.document_id AND k.pass = 1 AND v.key = c.key), ''),
		coalesce((SELECT unseal('key_values.value', v.value) FROM key_passes k JOIN key_values v ON v.pass_id = k.id WHERE k.document_id = c.document_id AND k.pass = 2 AND v.key = c.key), ''),
		(SELECT u.username FROM key_passes k JOIN users u ON u.id = k.user_id WHERE k.document_id = c.document_id AND k.pass = 1),
		(SELECT u.username FROM key_passes k JOIN users u ON u.id = k.user_id WHERE k.document_id = c.document_id AND k.pass = 2)
		FROM key_conflicts c JOIN documents d ON d.id = c.document_id
		WHERE d.batch_id = ? AND c.resolved_by IS NULL
		  AND NOT EXISTS (SELECT 1 FROM key_passes k WHERE k.document_id = c.document_id AND k.user_id = ?)
		ORDER BY d.seq, c.key`, full, actor.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Conflict
	for rows.Next() {
		var c Conflict
		if err := rows.Scan(&c.DocumentID, &c.Seq, &c.Key, &c.Pass1, &c.Pass2, &c.Keyer1, &c.Keyer2); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ResolveConflict decides a conflict: value (one of the two passes' values, or a third one)
// becomes the current value with source corrected, authored by actor. actor must not be one
// of the document's two keyers.
func (s *Store) ResolveConflict(ctx context.Context, actor User, documentID int64, key, value string) error {
	if err := Require(actor, ActionKey); err != nil {
		return err
	}
	value = norm.NFC.String(strings.TrimSpace(value))
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := blindDoc(tx, documentID); err != nil {
			return err
		}
		var mine int
		if err := tx.QueryRow(`SELECT count(*) FROM key_passes WHERE document_id = ? AND user_id = ?`, documentID, actor.ID).Scan(&mine); err != nil {
			return err
		}
		if mine > 0 {
			return dkErr(ErrNotThirdPerson, "")
		}
		var open int
		if err := tx.QueryRow(`SELECT count(*) FROM key_conflicts WHERE document_id = ? AND key = ? AND resolved_by IS NULL`, documentID, key).Scan(&open); err != nil {
			return err
		}
		if open == 0 {
			return dkErr(ErrNoConflict, "queue.dk.field", l10n.Args{"Field": key})
		}
		vals, _, err := passValues(tx, documentID)
		if err != nil {
			return err
		}
		choice := "other"
		switch value {
		case vals[0][key]:
			choice = "pass1"
		case vals[1][key]:
			choice = "pass2"
		}
		if err := s.setFieldTx(tx, actor.ID, documentID, key, value, SourceCorrected, 1); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE key_conflicts SET resolved_by = ?, resolved_at = ? WHERE document_id = ? AND key = ?`, actor.ID, s.stamp(), documentID, key); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "doublekey.resolve", fmt.Sprintf("document:%d", documentID), "field="+key+" choice="+choice)
	})
}

// DoubleKeyStatus counts where a double-blind batch stands.
type DoubleKeyStatus struct {
	DoubleBlind   bool
	Documents     int
	BothDone      int // documents whose two passes are finished and compared
	OpenConflicts int // fields still waiting for a third person
}

// Ready reports whether the batch may be submitted for review.
func (st DoubleKeyStatus) Ready() bool {
	return !st.DoubleBlind || (st.BothDone == st.Documents && st.OpenConflicts == 0)
}

type queryer interface {
	QueryRow(query string, args ...any) *sql.Row
}

func doubleKeyStatus(q queryer, batchID string) (DoubleKeyStatus, error) {
	var st DoubleKeyStatus
	err := q.QueryRow(`SELECT b.double_blind,
		(SELECT count(*) FROM documents d WHERE d.batch_id = b.id),
		(SELECT count(*) FROM documents d WHERE d.batch_id = b.id
			AND (SELECT count(*) FROM key_passes k WHERE k.document_id = d.id AND k.done_at <> '') = 2),
		(SELECT count(*) FROM key_conflicts c JOIN documents d ON d.id = c.document_id WHERE d.batch_id = b.id AND c.resolved_by IS NULL)
		FROM batches b WHERE b.id = ?`, batchID).Scan(&st.DoubleBlind, &st.Documents, &st.BothDone, &st.OpenConflicts)
	if errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("batch %s: %w", batchID, ErrNotFound)
	}
	return st, err
}

// DoubleKeyStatus reports how far double-blind keying of a batch has come.
func (s *Store) DoubleKeyStatus(ctx context.Context, batchID string) (DoubleKeyStatus, error) {
	var st DoubleKeyStatus
	err := s.batchReadTx(ctx, batchID, func(tx *sql.Tx, full string) (err error) {
		st, err = doubleKeyStatus(tx, full)
		return err
	})
	return st, err
}

// doubleKeyReady refuses to submit a double-blind batch whose keying is not settled. Every
// path that moves a batch to review calls it inside its transaction.
func doubleKeyReady(tx *sql.Tx, batchID string) error {
	st, err := doubleKeyStatus(tx, batchID)
	if err != nil {
		return err
	}
	if st.Ready() {
		return nil
	}
	return dkErr(ErrDoubleKeyOpen, "queue.dk.status",
		l10n.Args{"Done": st.BothDone, "Docs": st.Documents, "Open": st.OpenConflicts})
}

// guardBlindSet refuses a keyed or corrected value written straight into the current values
// of a double-blind document that is not settled yet: it would show to the other keyer.
func guardBlindSet(tx *sql.Tx, documentID int64, src FieldSource) error {
	if src == SourceOCR || src == SourceDoubleKeyed {
		return nil
	}
	var blind bool
	var settled int
	err := tx.QueryRow(`SELECT b.double_blind,
		(SELECT count(*) FROM key_passes k WHERE k.document_id = d.id AND k.done_at <> '') = 2
		AND NOT EXISTS (SELECT 1 FROM key_conflicts c WHERE c.document_id = d.id AND c.resolved_by IS NULL)
		FROM documents d JOIN batches b ON b.id = d.batch_id WHERE d.id = ?`, documentID).Scan(&blind, &settled)
	if err != nil || !blind || settled == 1 {
		return err
	}
	return dkErr(ErrDoubleBlindOnly, "")
}
