package queue

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
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

// audit appends an event inside tx, chained to the previous event's hash and sealed with the
// workstation's audit key (anchor.go). After the transaction commits, Store.write moves the
// anchor (the head file) to the new head.
func (s *Store) audit(tx *sql.Tx, actor, action, object, detail string) error {
	prev := genesisHash
	err := tx.QueryRow(`SELECT hash FROM audit ORDER BY id DESC LIMIT 1`).Scan(&prev)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("audit: %w", err)
	}
	at := s.stamp()
	hash := auditHash(prev, at, actor, action, object, detail)
	mac := ""
	if s.key != nil {
		mac = s.key.seal("audit", hash)
	}
	_, err = tx.Exec(`INSERT INTO audit(at, actor, action, object, detail, prev_hash, hash, mac) VALUES (?,?,?,?,?,?,?,?)`,
		at, actor, action, object, detail, prev, hash, mac)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	s.anchor.markAudited(tx)
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

// AuditReport is what CheckAudit found. Problems are signs of tampering or damage; Notes
// say what could not be checked and why (events older than the anchor, the crash window).
type AuditReport struct {
	Events     int64
	Head       AuditHead // the newest event in the database
	Anchored   AuditHead // the head file's event (zero when there is no readable head file)
	SealedFrom int64     // the first event sealed with the workstation key
	Unanchored int64     // events after the anchored one
	Batches    int       // signed batches whose manifest (and receipt) were checked
	Problems   []string
	Notes      []string
}

// Err is nil when no problem was found.
func (r AuditReport) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	return fmt.Errorf("audit log broken: %s", strings.Join(r.Problems, "; "))
}

const maxProblems = 50

func (r *AuditReport) problem(format string, args ...any) {
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	} else if len(r.Problems) == maxProblems {
		r.Problems = append(r.Problems, "… / …")
	}
}

func (r *AuditReport) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// VerifyAudit runs CheckAudit and returns its problems as one error.
func (s *Store) VerifyAudit(ctx context.Context) error {
	r, err := s.CheckAudit(ctx)
	if err != nil {
		return err
	}
	return r.Err()
}

// CheckAudit verifies everything the store can tell about its own history:
//   - the hash chain, row by row (an edited, removed or inserted row);
//   - the workstation's seal on every event since the anchor was made (rows added with SQL);
//   - the signed head file (the newest events deleted: the anchored event is missing, beyond
//     the end of the log, or has another hash);
//   - every user record's seal, and its roles and disabled flag against the audit history;
//   - every batch's state against its last audited state change;
//   - with a SignatureChecker (SetSignatureChecker): every signed batch's manifest signature,
//     the audit heads carried by manifests and server receipts, and each signed or synced
//     batch's current field values against the values signed into its PDFs.
func (s *Store) CheckAudit(ctx context.Context) (AuditReport, error) {
	var r AuditReport
	s.anchor.flush()
	var head headRecord
	herr := errNoHeadFile
	if s.key != nil {
		if head, herr = s.key.readHead(s.dir); herr == nil {
			r.SealedFrom = head.SealedFrom
		}
	}
	if r.SealedFrom == 0 {
		if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM audit WHERE action = 'audit.anchor.init'`).Scan(&r.SealedFrom); err != nil {
			return r, err
		}
	}
	if err := s.checkChain(ctx, &r); err != nil {
		return r, err
	}
	switch {
	case herr == nil:
		r.Anchored = AuditHead{Seq: head.Seq, Hash: head.Hash}
		if err := s.CheckAuditHead(ctx, r.Anchored); err != nil {
			r.problem("%s: %v", AuditHeadFile, err)
		} else if r.Unanchored = r.Head.Seq - head.Seq; r.Unanchored > 0 {
			r.note("%d sự kiện sau mốc %d chưa được ghi mốc (giao dịch cuối trước khi máy tắt đột ngột) / %d events after the anchored event %d are not anchored yet (the last transaction before a crash)",
				r.Unanchored, head.Seq, r.Unanchored, head.Seq)
		}
	case errors.Is(herr, errNoHeadFile):
		if r.Head.Seq > r.SealedFrom && r.SealedFrom > 0 {
			r.problem("thiếu tệp đầu chuỗi %s dù đã có sự kiện sau khi ghi mốc / the head file %s is missing although events were anchored", AuditHeadFile, AuditHeadFile)
		} else {
			r.note("chưa có tệp đầu chuỗi %s / no head file %s yet", AuditHeadFile, AuditHeadFile)
		}
	default:
		r.problem("%v", herr)
	}
	if err := s.anchor.failure(); err != nil {
		r.note("mốc chưa được cập nhật / the anchor was not advanced: %v", err)
	}
	if r.SealedFrom > 1 {
		r.note("sự kiện 1-%d có trước khi có khóa niêm phong: chỉ được kiểm tra bằng chuỗi băm / events 1-%d predate the seal key: checked by the hash chain only",
			r.SealedFrom-1, r.SealedFrom-1)
	}
	if err := s.checkUsers(ctx, &r); err != nil {
		return r, err
	}
	if err := s.checkBatchStates(ctx, &r); err != nil {
		return r, err
	}
	if err := s.checkSignedBatches(ctx, &r); err != nil {
		return r, err
	}
	return r, nil
}

// checkChain walks the whole chain: links, hashes and seals.
func (s *Store) checkChain(ctx context.Context, r *AuditReport) error {
	rows, err := s.r.QueryContext(ctx, `SELECT id, at, actor, action, object, detail, prev_hash, hash, mac FROM audit ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	prev := genesisHash
	var inits []string
	for rows.Next() {
		var e AuditEvent
		var mac string
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Object, &e.Detail, &e.PrevHash, &e.Hash, &mac); err != nil {
			return err
		}
		r.Events++
		r.Head = AuditHead{Seq: e.ID, Hash: e.Hash}
		if e.PrevHash != prev {
			r.problem("event %d does not follow the previous one (a row was removed or inserted) / sự kiện %d không nối tiếp sự kiện trước (có dòng bị xóa hoặc chèn)", e.ID, e.ID)
		}
		if auditHash(e.PrevHash, e.At, e.Actor, e.Action, e.Object, e.Detail) != e.Hash {
			r.problem("event %d was altered / sự kiện %d đã bị sửa", e.ID, e.ID)
		}
		if s.key != nil && r.SealedFrom > 0 && e.ID >= r.SealedFrom && !s.key.sealOK(mac, "audit", e.Hash) {
			r.problem("event %d carries no valid workstation seal: it was written outside SoHoa / sự kiện %d không có dấu niêm phong hợp lệ của trạm: được ghi ngoài SoHoa", e.ID, e.ID)
		}
		if e.Action == "audit.anchor.init" {
			inits = append(inits, fmt.Sprint(e.ID))
		}
		prev = e.Hash
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(inits) > 1 {
		r.problem("the anchor was created %d times (events %s): the log was emptied or the key replaced / mốc được tạo %d lần (sự kiện %s): nhật ký đã bị xóa hoặc khóa bị thay",
			len(inits), strings.Join(inits, ", "), len(inits), strings.Join(inits, ", "))
	}
	return nil
}

// checkBatchStates compares every batch's state with its last audited state change ("from→to
// …"); a batch without one must still be capturing.
func (s *Store) checkBatchStates(ctx context.Context, r *AuditReport) error {
	last := map[string]string{}
	rows, err := s.r.QueryContext(ctx, `SELECT object, detail FROM audit WHERE action = 'batch.state' ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var obj, detail string
		if err := rows.Scan(&obj, &detail); err != nil {
			rows.Close()
			return err
		}
		move, _, _ := strings.Cut(detail, " ")
		if _, to, ok := strings.Cut(move, "→"); ok {
			last[strings.TrimPrefix(obj, "batch:")] = to
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.r.QueryContext(ctx, `SELECT id, state FROM batches ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, state string
		if err := rows.Scan(&id, &state); err != nil {
			return err
		}
		want, ok := last[id]
		if !ok {
			want = string(StateCapturing)
		}
		if state != want {
			r.problem("batch %s is %q but its audited state is %q: the state was changed outside SoHoa / lô %s đang ở trạng thái %q nhưng nhật ký ghi %q: trạng thái bị sửa ngoài SoHoa",
				id, state, want, id, state, want)
		}
	}
	return rows.Err()
}
