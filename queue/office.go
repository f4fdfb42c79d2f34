package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sohoa/sohoa/internal/l10n"
)

// The office of a batch (DESIGN.md §3) is the code of the archive office whose records it
// holds: the code the central server assigns at enrollment (sohoa-central enroll-code
// --office) and checks in every manifest. A batch gets its office when it is created (by
// default the workstation's), must have the workstation's enrolled office before it goes to
// keying and before it is signed, and an administrator can change it until it is signed.
// Signing writes the batch's office, and only it, into record.json, the manifest and the
// signature's location, so the three always agree with the receipt.

// Settings naming the workstation's office.
const (
	// SettingEnrolledOffice is the office the central server gave at enrollment
	// (sync/client.SettingOffice): when set, every batch must be of this office.
	SettingEnrolledOffice = "sync.office"
	// SettingOffice is the office an administrator set by hand (sohoa settings office): the
	// default for new batches on a workstation not enrolled yet.
	SettingOffice = "office"
)

// MaxOfficeLen bounds an office code (as the wire format does).
const MaxOfficeLen = 64

// ValidOfficeCode reports whether code has the shape of an office code: 1-64 of
// [A-Za-z0-9._-], the shape the sync protocol accepts in manifests (sync/wire); e.g.
// "HN-01". An office is not an administrative-unit name: "UBND xã An Bình" is refused.
func ValidOfficeCode(code string) bool {
	if code == "" || len(code) > MaxOfficeLen {
		return false
	}
	for _, c := range code {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// OfficeError says why a batch's office stops it (no personal data: office codes only).
type OfficeError struct {
	Batch  string // batch name
	Office string // the batch's office ("" when none)
	Want   string // the workstation's enrolled office ("" when not enrolled)
	Reason string // "missing", "invalid" or "other"
}

func (e *OfficeError) Error() string { return e.Localize(l10n.Vi) + " / " + e.Localize(l10n.En) }

// Localize is the message in lang: what stops the batch and how an administrator fixes it.
func (e *OfficeError) Localize(lang string) string {
	key := "queue.office.missing"
	switch {
	case e.Reason == "invalid" || e.Reason == "other":
		key = "queue.office." + e.Reason
	case e.Want == "":
		key = "queue.office.missingNoDefault"
	}
	return l10n.T(lang, key, l10n.Args{"Batch": e.Batch, "Office": e.Office, "Want": e.Want, "Fix": l10n.T(lang, "queue.office.fix")})
}

// ErrBadOffice refuses an office code that does not have the right shape.
var ErrBadOffice = l10n.New("queue.office.bad")

// ErrOfficeSigned refuses an office change of a signed or synced batch.
var ErrOfficeSigned = l10n.New("queue.office.signed")

func settingTx(q queryer, key string) (string, error) {
	var v string
	err := q.QueryRow(`SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// workstationOffice is the enrolled office, else the office set by hand, else "".
func workstationOffice(q queryer) (office string, enrolled bool, err error) {
	if office, err = settingTx(q, SettingEnrolledOffice); err != nil || office != "" {
		return office, office != "", err
	}
	office, err = settingTx(q, SettingOffice)
	return office, false, err
}

// WorkstationOffice is this workstation's office: the one it is enrolled for (enrolled is
// then true), else the one an administrator set by hand, else "".
func (s *Store) WorkstationOffice(ctx context.Context) (office string, enrolled bool, err error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return "", false, err
	}
	defer tx.Rollback()
	return workstationOffice(tx)
}

// KnownOffices lists the offices to choose from when creating a batch: the workstation's
// office first, then every other office a batch of this store has, sorted. An enrolled
// workstation offers only its own office.
func (s *Store) KnownOffices(ctx context.Context) ([]string, error) {
	ws, enrolled, err := s.WorkstationOffice(ctx)
	if err != nil {
		return nil, err
	}
	if enrolled {
		return []string{ws}, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT office FROM batches WHERE office <> ''`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var others []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, err
		}
		if o != ws && ValidOfficeCode(o) {
			others = append(others, o)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Strings(others)
	if ws != "" {
		return append([]string{ws}, others...), nil
	}
	return others, nil
}

// resolveOffice is the office a new batch gets: the one asked for (checked), else the
// workstation's. On an enrolled workstation it must be the enrolled office.
func resolveOffice(q queryer, name, asked string) (string, error) {
	ws, enrolled, err := workstationOffice(q)
	if err != nil {
		return "", err
	}
	if asked == "" {
		return ws, nil
	}
	if !ValidOfficeCode(asked) {
		return "", ErrBadOffice
	}
	if enrolled && asked != ws {
		return "", &OfficeError{Batch: name, Office: asked, Want: ws, Reason: "other"}
	}
	return asked, nil
}

// officeCheckTx refuses a batch whose office is missing, malformed or not the workstation's
// enrolled office: such a batch may not go to keying nor be signed (the server would refuse
// its manifest with wrong_office).
func officeCheckTx(q queryer, batchID string) error {
	var name, office string
	if err := q.QueryRow(`SELECT name, office FROM batches WHERE id = ?`, batchID).Scan(&name, &office); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("batch %s: %w", batchID, ErrNotFound)
		}
		return err
	}
	ws, enrolled, err := workstationOffice(q)
	if err != nil {
		return err
	}
	want := ""
	if enrolled {
		want = ws
	}
	switch {
	case office == "":
		return &OfficeError{Batch: name, Want: ws, Reason: "missing"}
	case !ValidOfficeCode(office):
		return &OfficeError{Batch: name, Office: office, Want: want, Reason: "invalid"}
	case enrolled && office != ws:
		return &OfficeError{Batch: name, Office: office, Want: ws, Reason: "other"}
	}
	return nil
}

// CheckBatchOffice reports (as an *OfficeError) whether the batch's office stops it from
// going to keying or being signed.
func (s *Store) CheckBatchOffice(ctx context.Context, batchID string) error {
	return s.batchReadTx(ctx, batchID, func(tx *sql.Tx, full string) error {
		return officeCheckTx(tx, full)
	})
}

// documentOfficeTx is officeCheckTx for the batch of a document, where a workstation office
// is known (keying a field): a batch of another office than the enrolled one, or without an
// office on a workstation that has one, is not keyed.
func documentOfficeTx(q queryer, documentID int64) error {
	var batchID string
	if err := q.QueryRow(`SELECT batch_id FROM documents WHERE id = ?`, documentID).Scan(&batchID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("document %d: %w", documentID, ErrNotFound)
		}
		return err
	}
	ws, _, err := workstationOffice(q)
	if err != nil || ws == "" {
		return err
	}
	return officeCheckTx(q, batchID)
}

// SetBatchOffice (administrators only) changes a batch's office, until the batch is signed,
// with an audit event naming the old and the new code. On an enrolled workstation the new
// office must be the enrolled one.
func (s *Store) SetBatchOffice(ctx context.Context, actor User, batchID, office string) error {
	if err := Require(actor, ActionManageSettings); err != nil {
		return err
	}
	office = strings.TrimSpace(office)
	if !ValidOfficeCode(office) {
		return ErrBadOffice
	}
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var state, old, name string
		if err := tx.QueryRow(`SELECT state, office, name FROM batches WHERE id = ?`, full).Scan(&state, &old, &name); err != nil {
			return err
		}
		if State(state) == StateSigned || State(state) == StateSynced {
			return ErrOfficeSigned
		}
		if ws, enrolled, err := workstationOffice(tx); err != nil {
			return err
		} else if enrolled && office != ws {
			return &OfficeError{Batch: name, Office: office, Want: ws, Reason: "other"}
		}
		if old == office {
			return nil
		}
		if _, err := tx.Exec(`UPDATE batches SET office = ?, updated_at = ? WHERE id = ?`, office, s.stamp(), full); err != nil {
			return err
		}
		from := old
		if from == "" {
			from = "-"
		}
		return s.audit(tx, actor.Username, "batch.office", "batch:"+full, from+"→"+office)
	})
}
