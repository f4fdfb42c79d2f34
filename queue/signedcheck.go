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

// Signed batches against the store: what was signed is the reference; the rows must agree.
//
// When a batch is signed, each document's PDF carries its field values (record.json, an
// embedded file) and the batch manifest, signed with the supervisor's certificate, names every
// PDF by its SHA-256. So the manifest signature vouches for the PDFs and the PDFs for the
// values. queue does not verify CMS signatures or read PDFs (that is the sign package's job);
// the caller that can plugs a SignatureChecker in (the CLI does, cli/signedcheck.go).

// SignedField is one field value as it was signed into a document's record.json.
type SignedField struct {
	Key    string
	Value  string
	Source FieldSource
}

// SignedBatch is what a signed batch manifest vouches for, once its signature verified.
type SignedBatch struct {
	Signer  string                  // the manifest signer's certificate common name
	Head    *AuditHead              // the audit head carried by the manifest (nil: a manifest older than the field)
	Records map[int64][]SignedField // by document id: the fields signed into that document's PDF
}

// ReceiptInfo is what a verified server receipt says.
type ReceiptInfo struct {
	BatchID        string
	ManifestSHA256 string
	Head           *AuditHead // the audit head the server copied from the manifest (nil: an older server)
}

// SignatureChecker verifies what queue cannot: a signed batch manifest with the PDFs it names,
// and a server's signed receipt. Errors say what failed, without personal values.
type SignatureChecker interface {
	SignedBatch(ctx context.Context, batchID string, manifest []byte, blobs *BlobStore) (SignedBatch, error)
	Receipt(ctx context.Context, receipt []byte) (ReceiptInfo, error)
}

// SetSignatureChecker plugs in the checker used by CheckAudit, CheckSignedFields and
// ExportBatch. Without one, a signed batch cannot be exported (ErrSignedUnchecked).
func (s *Store) SetSignatureChecker(c SignatureChecker) { s.checker = c }

// ErrSignedUnchecked: the batch is signed but no SignatureChecker is set to compare it.
var ErrSignedUnchecked = l10n.New("queue.signedUnchecked")

// ErrSignedMismatch is matched by a *SignedMismatchError.
var ErrSignedMismatch = l10n.New("queue.signedMismatch")

// SignedMismatchError lists how a signed batch's rows differ from what was signed. It names
// documents and field keys, never values.
type SignedMismatchError struct {
	BatchID  string
	Problems []string
}

func (e *SignedMismatchError) Error() string {
	return l10n.Both("queue.signedMismatch.batch", l10n.Args{"Batch": e.BatchID}) + ": " + strings.Join(e.Problems, "; ")
}

// Localize is the message in lang; the problems (document numbers and field keys, in
// English) follow it as they are.
func (e *SignedMismatchError) Localize(lang string) string {
	return l10n.T(lang, "queue.signedMismatch.batch", l10n.Args{"Batch": e.BatchID}) + ": " + strings.Join(e.Problems, "; ")
}

func (e *SignedMismatchError) Unwrap() error { return ErrSignedMismatch }

// isSignedState: the batch's values are fixed by its signed PDFs.
func isSignedState(st string) bool { return st == string(StateSigned) || st == string(StateSynced) }

// auditedState is the state the batch's last audited state change moved it to ("" when
// there was none).
func auditedStateTx(q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, ctx context.Context, batchID string) (string, error) {
	var detail string
	err := q.QueryRowContext(ctx, `SELECT detail FROM audit WHERE action = 'batch.state' AND object = ? ORDER BY id DESC LIMIT 1`, "batch:"+batchID).Scan(&detail)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	move, _, _ := strings.Cut(detail, " ")
	_, to, _ := strings.Cut(move, "→")
	return to, nil
}

// CheckSignedFields compares a signed (or synced) batch's current field values with the
// values signed into its PDFs, after the SignatureChecker verified the manifest. It returns a
// *SignedMismatchError listing the differences, nil when they agree or the batch is not
// signed (by its state and by its audit history).
func (s *Store) CheckSignedFields(ctx context.Context, batchID string) error {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return err
	}
	var state string
	if err := s.r.QueryRowContext(ctx, `SELECT state FROM batches WHERE id = ?`, full).Scan(&state); err != nil {
		return err
	}
	audited, err := auditedStateTx(s.r, ctx, full)
	if err != nil {
		return err
	}
	if audited == "" {
		audited = string(StateCapturing)
	}
	if audited != state {
		return &SignedMismatchError{BatchID: full, Problems: []string{fmt.Sprintf(
			"trạng thái %q khác trạng thái trong nhật ký %q / the state %q differs from the audited state %q", state, audited, state, audited)}}
	}
	if !isSignedState(state) {
		return nil
	}
	if s.checker == nil {
		return ErrSignedUnchecked
	}
	manifest, _, err := s.BatchManifest(ctx, full)
	if err != nil {
		return &SignedMismatchError{BatchID: full, Problems: []string{"không có bản kê đã ký / no signed manifest: " + err.Error()}}
	}
	sb, err := s.checker.SignedBatch(ctx, full, manifest, s.Blobs)
	if err != nil {
		return &SignedMismatchError{BatchID: full, Problems: []string{err.Error()}}
	}
	probs, err := s.compareSigned(ctx, full, sb.Records)
	if err != nil {
		return err
	}
	if len(probs) > 0 {
		return &SignedMismatchError{BatchID: full, Problems: probs}
	}
	return nil
}

// compareSigned lists the differences between the batch's current field values and signed.
func (s *Store) compareSigned(ctx context.Context, batchID string, signed map[int64][]SignedField) ([]string, error) {
	docs, err := s.Documents(ctx, batchID)
	if err != nil {
		return nil, err
	}
	var probs []string
	seen := map[int64]bool{}
	for _, d := range docs {
		seen[d.ID] = true
		want, ok := signed[d.ID]
		if !ok {
			probs = append(probs, fmt.Sprintf("hồ sơ %d không có trong bản đã ký / document %d is not in the signed records", d.ID, d.ID))
			continue
		}
		cur, err := s.Fields(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		have := map[string]FieldValue{}
		for _, f := range cur {
			have[f.Key] = f
		}
		for _, w := range want {
			f, ok := have[w.Key]
			switch {
			case !ok:
				probs = append(probs, fmt.Sprintf("hồ sơ %d: trường %q bị xóa sau khi ký / document %d: field %q was removed after signing", d.ID, w.Key, d.ID, w.Key))
			case f.Value != w.Value:
				probs = append(probs, fmt.Sprintf("hồ sơ %d: giá trị trường %q khác bản đã ký / document %d: field %q differs from the signed value", d.ID, w.Key, d.ID, w.Key))
			case f.Source != w.Source:
				probs = append(probs, fmt.Sprintf("hồ sơ %d: nguồn của trường %q khác bản đã ký / document %d: the source of field %q differs from the signed one", d.ID, w.Key, d.ID, w.Key))
			}
			delete(have, w.Key)
		}
		var extra []string
		for k := range have {
			extra = append(extra, k)
		}
		sort.Strings(extra)
		for _, k := range extra {
			probs = append(probs, fmt.Sprintf("hồ sơ %d: trường %q được thêm sau khi ký / document %d: field %q was added after signing", d.ID, k, d.ID, k))
		}
	}
	var gone []int64
	for id := range signed {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i] < gone[j] })
	for _, id := range gone {
		probs = append(probs, fmt.Sprintf("hồ sơ đã ký %d không còn trong lô / signed document %d is no longer in the batch", id, id))
	}
	return probs, nil
}

type signedBatchRow struct {
	id, sha, state string
	manifest       []byte
	receipt        []byte
}

// checkSignedBatches verifies every stored manifest and receipt through the SignatureChecker:
// the signature, the audit heads they carry, and the field values of signed batches.
func (s *Store) checkSignedBatches(ctx context.Context, r *AuditReport) error {
	rows, err := s.r.QueryContext(ctx, `SELECT bm.batch_id, bm.sha256, b.state, bm.manifest, o.receipt
		FROM batch_manifests bm JOIN batches b ON b.id = bm.batch_id LEFT JOIN outbox o ON o.batch_id = bm.batch_id
		ORDER BY bm.seq`)
	if err != nil {
		return err
	}
	var list []signedBatchRow
	for rows.Next() {
		var b signedBatchRow
		if err := rows.Scan(&b.id, &b.sha, &b.state, &b.manifest, &b.receipt); err != nil {
			rows.Close()
			return err
		}
		list = append(list, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(list) == 0 {
		return nil
	}
	if s.checker == nil {
		r.note("%d lô đã ký: chữ ký chưa được kiểm tra / %d signed batches: signatures not checked here", len(list), len(list))
		return nil
	}
	var noHead, noReceiptHead int
	for _, b := range list {
		r.Batches++
		sb, err := s.checker.SignedBatch(ctx, b.id, b.manifest, s.Blobs)
		var signed *SignedBatch
		if err != nil {
			r.problem("lô %s / batch %s: %v", b.id, b.id, err)
		} else {
			signed = &sb
			if sb.Head == nil {
				noHead++
			} else if err := s.CheckAuditHead(ctx, *sb.Head); err != nil {
				r.problem("lô %s: mốc nhật ký trong bản kê đã ký / batch %s: the audit head in its signed manifest: %v", b.id, b.id, err)
			}
			if isSignedState(b.state) {
				probs, err := s.compareSigned(ctx, b.id, sb.Records)
				if err != nil {
					return err
				}
				for _, p := range probs {
					r.problem("lô %s / batch %s: %s", b.id, b.id, p)
				}
			}
		}
		if b.receipt == nil {
			if b.state == string(StateSynced) {
				r.problem("lô %s đã đồng bộ nhưng không có biên nhận / batch %s is synced but has no receipt", b.id, b.id)
			}
			continue
		}
		ri, err := s.checker.Receipt(ctx, b.receipt)
		if err != nil {
			r.problem("lô %s: biên nhận / batch %s: receipt: %v", b.id, b.id, err)
			continue
		}
		if ri.BatchID != b.id || ri.ManifestSHA256 != b.sha {
			r.problem("biên nhận của lô %s ghi bản kê khác / the receipt of batch %s names another manifest", b.id, b.id)
		}
		switch {
		case ri.Head == nil:
			if signed != nil && signed.Head != nil {
				noReceiptHead++
			}
		case signed != nil && signed.Head != nil && *ri.Head != *signed.Head:
			r.problem("mốc nhật ký trong biên nhận của lô %s khác bản kê / the audit head in the receipt of batch %s differs from its manifest's", b.id, b.id)
		default:
			if err := s.CheckAuditHead(ctx, *ri.Head); err != nil {
				r.problem("lô %s: mốc nhật ký trong biên nhận của máy chủ / batch %s: the audit head in the server's receipt: %v", b.id, b.id, err)
			}
		}
	}
	if noHead > 0 {
		r.note("%d bản kê cũ không mang mốc nhật ký / %d older manifests carry no audit head", noHead, noHead)
	}
	if noReceiptHead > 0 {
		r.note("%d biên nhận không mang mốc nhật ký (máy chủ cũ) / %d receipts carry no audit head (an older server)", noReceiptHead, noReceiptHead)
	}
	return nil
}
