package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
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

func (e *OfficeError) Error() string { return e.Vi() + " / " + e.En() }

// Vi is the Vietnamese message alone.
func (e *OfficeError) Vi() string {
	fix := "quản trị viên đặt mã đơn vị cho lô: sohoa batch office --batch LÔ MÃ (hoặc “Đổi đơn vị” trong danh sách lô)"
	switch e.Reason {
	case "invalid":
		return fmt.Sprintf("mã đơn vị %q của lô “%s” không hợp lệ (1-64 ký tự A-Z, 0-9, '.', '-', '_'): %s", e.Office, e.Batch, fix)
	case "other":
		return fmt.Sprintf("lô “%s” thuộc đơn vị %s, máy trạm đã đăng ký cho đơn vị %s nên lô không được nhập liệu hay ký: %s", e.Batch, e.Office, e.Want, fix)
	}
	if e.Want != "" {
		return fmt.Sprintf("lô “%s” chưa có mã đơn vị (máy trạm thuộc đơn vị %s): %s", e.Batch, e.Want, fix)
	}
	return fmt.Sprintf("lô “%s” chưa có mã đơn vị: %s; hoặc đặt đơn vị mặc định: sohoa settings office MÃ", e.Batch, fix)
}

// En is the English message alone.
func (e *OfficeError) En() string {
	fix := "an administrator sets the batch's office: sohoa batch office --batch BATCH CODE (or “Change office” in the batch list)"
	switch e.Reason {
	case "invalid":
		return fmt.Sprintf("office code %q of batch “%s” is not valid (1-64 of A-Z, 0-9, '.', '-', '_'): %s", e.Office, e.Batch, fix)
	case "other":
		return fmt.Sprintf("batch “%s” belongs to office %s but this workstation is enrolled for office %s, so it cannot be keyed or signed: %s", e.Batch, e.Office, e.Want, fix)
	}
	if e.Want != "" {
		return fmt.Sprintf("batch “%s” has no office code (this workstation is office %s): %s", e.Batch, e.Want, fix)
	}
	return fmt.Sprintf("batch “%s” has no office code: %s; or set the default office: sohoa settings office CODE", e.Batch, fix)
}

// ErrBadOffice refuses an office code that does not have the right shape.
var ErrBadOffice = &ReviewError{"mã đơn vị không hợp lệ: dùng 1-64 ký tự A-Z, a-z, 0-9, '.', '-', '_' (ví dụ HN-01)",
	"invalid office code: use 1-64 of A-Z, a-z, 0-9, '.', '-', '_' (e.g. HN-01)"}

// ErrOfficeSigned refuses an office change of a signed or synced batch.
var ErrOfficeSigned = &ReviewError{"lô đã ký: không đổi được mã đơn vị nữa (trả lại lô để ký lại)",
	"the batch is signed: its office can no longer change (return it to sign again)"}

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
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return err
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return officeCheckTx(tx, full)
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
