package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Review of a batch (DESIGN.md §1, "supervisor review"). A clerk submits a batch (Submit:
// keying → review), which opens a review round with each document's validation warnings and
// low-confidence counts. A supervisor may draw a sample (Sample), accepts or returns single
// documents with a comment (AcceptDocument, ReturnDocument), and then approves the batch
// (Approve: review → approved) or returns it to its clerks with a comment (Return: → returned).
// The clerks read the comments (Comments) and submit again, which opens the next round.
// Approving and signing obey the four-eyes rule (roles.go). Comment texts live in
// review_comments; the audit log records only their length.

// LowFieldConfidence is the one confidence threshold of field values read by OCR (0..1),
// used by both faces and by review alike: a value read at LowFieldConfidence or more is
// confident (the keying screen's Ctrl+Enter accepts it and does not mark it); one under it
// is low confidence — the keying screen marks it for a look, review counts it (Submit's
// LowFields, whether a clerk accepted it or not) and always samples the document of one a
// clerk accepted untyped since the last round (ReasonOCRAcceptedLow).
//
// LowPageConfidence is the threshold of a page's mean OCR word confidence (0..100, as
// Tesseract gives it): a page under it counts as low confidence for review. It measures the
// whole page's text, not one field's value.
const (
	LowFieldConfidence = 0.8
	LowPageConfidence  = 60
)

// LowConfidence reports whether an OCR confidence (0..1) is under LowFieldConfidence.
func LowConfidence(conf float64) bool { return conf < LowFieldConfidence }

// MaxCommentRunes bounds a review comment.
const MaxCommentRunes = 4000

// DocProblems is what validation found in one document.
type DocProblems struct{ Errors, Warnings int }

// DocChecker validates one document's current field values (records.ValidateDocument). The
// queue does not know the record types, so the caller supplies it.
type DocChecker func(ctx context.Context, documentID int64) (DocProblems, error)

// ValidationError refuses a submit: some documents have errors that must be fixed first.
type ValidationError struct {
	Documents []int64 // documents with errors
	Errors    int
}

func (e *ValidationError) args() l10n.Args {
	return l10n.Args{"N": e.Errors, "Docs": len(e.Documents), "IDs": idList(e.Documents)}
}

func (e *ValidationError) Error() string { return l10n.Both("queue.submit.errors", e.args()) }

// Localize is the message in lang: how many errors in which documents.
func (e *ValidationError) Localize(lang string) string {
	return l10n.T(lang, "queue.submit.errors", e.args())
}

// WarningsError refuses a submit with unconfirmed warnings.
type WarningsError struct {
	Documents []int64
	Warnings  int
}

func (e *WarningsError) args() l10n.Args {
	return l10n.Args{"N": e.Warnings, "Docs": len(e.Documents), "IDs": idList(e.Documents)}
}

func (e *WarningsError) Error() string { return l10n.Both("queue.submit.warnings", e.args()) }

// Localize is the message in lang: how many warnings in which documents.
func (e *WarningsError) Localize(lang string) string {
	return l10n.T(lang, "queue.submit.warnings", e.args())
}

func idList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i == 10 {
			fmt.Fprintf(&b, ", …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, id)
	}
	return b.String()
}

// ReviewError is a review step refused for a reason a person can act on: a catalogue
// message (assets/l10n, keys "queue.review.*").
type ReviewError struct{ key string }

func (e *ReviewError) args() l10n.Args { return l10n.Args{"Max": MaxCommentRunes} }

func (e *ReviewError) Error() string { return l10n.Both(e.key, e.args()) }

// Localize is the message in lang.
func (e *ReviewError) Localize(lang string) string { return l10n.T(lang, e.key, e.args()) }

// Sentinel review errors.
var (
	ErrNotInReview     = &ReviewError{"queue.review.notInReview"}
	ErrCommentRequired = &ReviewError{"queue.review.commentRequired"}
	ErrCommentTooLong  = &ReviewError{"queue.review.commentTooLong"}
	ErrOCRPending      = &ReviewError{"queue.review.ocrPending"}
	ErrEmptyBatch      = &ReviewError{"queue.review.emptyBatch"}
	ErrSampleOpen      = &ReviewError{"queue.review.sampleOpen"}
	ErrDocReturned     = &ReviewError{"queue.review.docReturned"}
	ErrNotSubmittable  = &ReviewError{"queue.review.notSubmittable"}
	ErrDocsChanged     = &ReviewError{"queue.review.docsChanged"}
	ErrNotInBatch      = &ReviewError{"queue.review.notInBatch"}
	ErrSamplePercent   = &ReviewError{"queue.review.samplePercent"}
)

// reviewErrors are the ReviewError sentinels (for the tests).
var reviewErrors = []*ReviewError{ErrNotInReview, ErrCommentRequired, ErrCommentTooLong, ErrOCRPending, ErrEmptyBatch,
	ErrSampleOpen, ErrDocReturned, ErrNotSubmittable, ErrDocsChanged, ErrNotInBatch, ErrSamplePercent}

// SubmitResult tells what a submit recorded.
type SubmitResult struct {
	Round, Documents, Warnings, LowFields, LowPages int
	Sampled                                         int // documents the supervisor must see (the sample before its random part)
}

// Submit checks every document of a batch and sends it to review (capturing/keying/returned →
// keying → review) in one transaction with its audit events. Any validation error refuses it;
// warnings refuse it unless confirmWarnings. Pages still waiting for OCR refuse it too.
func (s *Store) Submit(ctx context.Context, actor User, batchID string, check DocChecker, confirmWarnings bool) (SubmitResult, error) {
	var res SubmitResult
	if err := Require(actor, ActionSubmit); err != nil {
		return res, err
	}
	if check == nil {
		return res, errors.New("submit: no validator given")
	}
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return res, err
	}
	if err := s.CheckBatchOffice(ctx, full); err != nil { // first, before validating every document
		return res, err
	}
	docs, err := s.Documents(ctx, full)
	if err != nil {
		return res, err
	}
	if len(docs) == 0 {
		return res, ErrEmptyBatch
	}
	probs := map[int64]DocProblems{}
	var errDocs, warnDocs []int64
	nErr := 0
	for _, d := range docs {
		p, err := check(ctx, d.ID)
		if err != nil {
			return res, fmt.Errorf("validate document %d: %w", d.ID, err)
		}
		probs[d.ID] = p
		if p.Errors > 0 {
			errDocs = append(errDocs, d.ID)
			nErr += p.Errors
		}
		if p.Warnings > 0 {
			warnDocs = append(warnDocs, d.ID)
			res.Warnings += p.Warnings
		}
	}
	if len(errDocs) > 0 {
		return res, &ValidationError{Documents: errDocs, Errors: nErr}
	}
	if res.Warnings > 0 && !confirmWarnings {
		return res, &WarningsError{Documents: warnDocs, Warnings: res.Warnings}
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var state string
		if err := tx.QueryRow(`SELECT state FROM batches WHERE id = ?`, full).Scan(&state); err != nil {
			return err
		}
		if !State(state).Keyable() {
			return fmt.Errorf("%w (%s)", ErrNotSubmittable, state)
		}
		var pending int
		if err := tx.QueryRow(`SELECT count(*) FROM pages p JOIN documents d ON d.id = p.document_id WHERE d.batch_id = ? AND p.ocr_state = 'pending'`, full).Scan(&pending); err != nil {
			return err
		}
		if pending > 0 {
			return ErrOCRPending
		}
		if err := officeCheckTx(tx, full); err != nil {
			return err
		}
		if err := doubleKeyReady(tx, full); err != nil {
			return err
		}
		ids, err := batchDocIDs(tx, full)
		if err != nil {
			return err
		}
		if len(ids) != len(docs) {
			return ErrDocsChanged
		}
		for _, id := range ids {
			if _, ok := probs[id]; !ok {
				return ErrDocsChanged
			}
		}
		res.Documents = len(ids)
		// What the previous round left (its number and how far field values went then),
		// read before this round replaces it.
		var prevRound, prevMark int64
		if err := tx.QueryRow(`SELECT round, field_mark FROM batch_reviews WHERE batch_id = ?`, full).Scan(&prevRound, &prevMark); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if State(state) != StateKeying {
			if _, err := s.setState(tx, actor, full, StateKeying, ""); err != nil {
				return err
			}
		}
		var mark int64 // field values up to here belong to this round (fields are locked in review)
		if err := tx.QueryRow(`SELECT coalesce(max(id), 0) FROM field_values`).Scan(&mark); err != nil {
			return err
		}
		if err := tx.QueryRow(`INSERT INTO batch_reviews(batch_id, round, submitted_by, submitted_at, field_mark) VALUES (?, 1, ?, ?, ?)
			ON CONFLICT(batch_id) DO UPDATE SET round = round + 1, submitted_by = excluded.submitted_by,
				submitted_at = excluded.submitted_at, sample_pct = -1, sample_seed = 0, approved_by = NULL, approved_at = '',
				field_mark = excluded.field_mark
			RETURNING round`, full, actor.ID, s.stamp(), mark).Scan(&res.Round); err != nil {
			return err
		}
		for _, id := range ids {
			// lowF counts every low-confidence OCR value, accepted or not; unseen only those
			// nobody looked at. A value accepted untyped since the last round has its own reason
			// (ReasonOCRAcceptedLow, mustSee); one accepted in an earlier round was seen then.
			var lowF, unseen, lowP int
			if err := tx.QueryRow(`SELECT
				(SELECT count(*) FROM field_values WHERE document_id = ?1 AND current = 1 AND source IN ('ocr', 'ocr-accepted') AND confidence < ?2),
				(SELECT count(*) FROM field_values WHERE document_id = ?1 AND current = 1 AND source = 'ocr' AND confidence < ?2),
				(SELECT count(*) FROM pages p JOIN ocr_results o ON o.page_id = p.id WHERE p.document_id = ?1 AND o.mean_conf < ?3)`,
				id, LowFieldConfidence, LowPageConfidence).Scan(&lowF, &unseen, &lowP); err != nil {
				return err
			}
			res.LowFields += lowF
			res.LowPages += lowP
			if _, err := tx.Exec(`INSERT INTO review_documents(batch_id, round, document_id, warnings, low_fields, low_pages) VALUES (?,?,?,?,?,?)`,
				full, res.Round, id, probs[id].Warnings, lowF, lowP); err != nil {
				return err
			}
			if probs[id].Warnings > 0 {
				if err := addSampled(tx, full, res.Round, id, ReasonWarnings); err != nil {
					return err
				}
			}
			if unseen > 0 || lowP > 0 {
				if err := addSampled(tx, full, res.Round, id, ReasonLowConfidence); err != nil {
					return err
				}
			}
		}
		if res.Sampled, err = mustSee(tx, full, res.Round, prevRound, prevMark, ids); err != nil {
			return err
		}
		return s.toState(tx, actor, full, StateReview, fmt.Sprintf("round=%d documents=%d warnings=%d low_fields=%d low_pages=%d must_see=%d warnings_confirmed=%t",
			res.Round, res.Documents, res.Warnings, res.LowFields, res.LowPages, res.Sampled, confirmWarnings && res.Warnings > 0))
	})
	return res, err
}

func batchDocIDs(tx *sql.Tx, batchID string) ([]int64, error) {
	rows, err := tx.Query(`SELECT id FROM documents WHERE batch_id = ? ORDER BY seq`, batchID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// toState is setState for the review steps, which only need its error.
func (s *Store) toState(tx *sql.Tx, actor User, batchID string, to State, detail string) error {
	_, err := s.setState(tx, actor, batchID, to, detail)
	return err
}

// reviewRules checks a state change made through Transition against the roles and the
// four-eyes rule, and keeps the review record (who submitted, who approved) up to date.
func (s *Store) reviewRules(tx *sql.Tx, actor User, batchID string, from, to State) error {
	switch to {
	case StateCapturing, StateKeying:
		return Require(actor, ActionKey)
	case StateReview:
		if err := Require(actor, ActionSubmit); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO batch_reviews(batch_id, round, submitted_by, submitted_at, field_mark)
			VALUES (?, 1, ?, ?, (SELECT coalesce(max(id), 0) FROM field_values))
			ON CONFLICT(batch_id) DO UPDATE SET round = round + 1, submitted_by = excluded.submitted_by,
				submitted_at = excluded.submitted_at, sample_pct = -1, sample_seed = 0, approved_by = NULL, approved_at = '',
				field_mark = excluded.field_mark`,
			batchID, actor.ID, s.stamp())
		return err
	case StateReturned:
		if err := Require(actor, ActionReview); err != nil {
			return err
		}
		_, err := tx.Exec(`UPDATE batch_reviews SET approved_by = NULL, approved_at = '' WHERE batch_id = ?`, batchID)
		return err
	case StateApproved:
		if err := Require(actor, ActionReview); err != nil {
			return err
		}
		if err := fourEyes(tx, actor, batchID); err != nil {
			return err
		}
		var round int
		if err := tx.QueryRow(`SELECT round FROM batch_reviews WHERE batch_id = ?`, batchID).Scan(&round); err == nil {
			if _, _, err := approvalReady(tx, batchID, round); err != nil {
				return err
			}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err := tx.Exec(`INSERT INTO batch_reviews(batch_id, round, submitted_by, submitted_at, approved_by, approved_at) VALUES (?, 1, ?, ?, ?, ?)
			ON CONFLICT(batch_id) DO UPDATE SET approved_by = excluded.approved_by, approved_at = excluded.approved_at`,
			batchID, actor.ID, s.stamp(), actor.ID, s.stamp())
		return err
	case StateSigned:
		return authorizeSigningTx(tx, actor, batchID)
	case StateSynced:
		return Require(actor, ActionSync)
	}
	return nil
}

// AuthorizeSigning says whether actor may sign an approved batch: a supervisor who approved
// it and took no part in its capture or keying.
func (s *Store) AuthorizeSigning(ctx context.Context, actor User, batchID string) error {
	return s.batchReadTx(ctx, batchID, func(tx *sql.Tx, full string) error {
		if err := approvedTx(tx, full); err != nil {
			return err
		}
		return authorizeSigningTx(tx, actor, full)
	})
}

func authorizeSigningTx(tx *sql.Tx, actor User, batchID string) error {
	if err := Require(actor, ActionSign); err != nil {
		return err
	}
	var approver sql.NullInt64
	err := tx.QueryRow(`SELECT approved_by FROM batch_reviews WHERE batch_id = ?`, batchID).Scan(&approver)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if !approver.Valid || approver.Int64 != actor.ID {
		return &FourEyesError{User: actor.Username, Reason: "not_approver"}
	}
	return fourEyes(tx, actor, batchID)
}

// ReviewItem is a batch waiting for review, with what the reviewer should look at.
type ReviewItem struct {
	Batch
	Round       int
	SubmittedBy string
	SubmittedAt string
	Warnings    int // validation warnings (confirmed by the clerk)
	LowFields   int // OCR field values under LowFieldConfidence, accepted by a clerk or not
	LowPages    int // pages under LowPageConfidence
	ProblemDocs int // documents with warnings or low confidence
	Sampled     int // documents in the sample (to be seen anyway, plus the random part once drawn)
	SamplePct   int // the random part's percentage; -1 while not drawn
	Accepted    int
	Returned    int
}

// ReviewQueue lists the batches waiting for review, oldest submission first.
func (s *Store) ReviewQueue(ctx context.Context) ([]ReviewItem, error) {
	batches, err := s.ListBatches(ctx, BatchFilter{State: StateReview})
	if err != nil {
		return nil, err
	}
	out := make([]ReviewItem, 0, len(batches))
	for _, b := range batches {
		it := ReviewItem{Batch: b, SamplePct: -1}
		err := s.r.QueryRowContext(ctx, `SELECT r.round, coalesce(u.username, ''), r.submitted_at, r.sample_pct,
			coalesce(sum(d.warnings), 0), coalesce(sum(d.low_fields), 0), coalesce(sum(d.low_pages), 0),
			coalesce(sum(d.warnings > 0 OR d.low_fields > 0 OR d.low_pages > 0), 0),
			coalesce(sum(d.sampled <> ''), 0), coalesce(sum(d.decision = 'accepted'), 0), coalesce(sum(d.decision = 'returned'), 0)
			FROM batch_reviews r LEFT JOIN users u ON u.id = r.submitted_by
			LEFT JOIN review_documents d ON d.batch_id = r.batch_id AND d.round = r.round
			WHERE r.batch_id = ? GROUP BY r.batch_id`, b.ID).Scan(&it.Round, &it.SubmittedBy, &it.SubmittedAt, &it.SamplePct,
			&it.Warnings, &it.LowFields, &it.LowPages, &it.ProblemDocs, &it.Sampled, &it.Accepted, &it.Returned)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		out = append(out, it)
	}
	for i := 1; i < len(out); i++ { // oldest submission first (insertion sort: short lists)
		for j := i; j > 0 && out[j].SubmittedAt < out[j-1].SubmittedAt; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// ReviewDoc is one document of the current review round.
type ReviewDoc struct {
	DocumentID int64
	Seq        int
	Warnings   int
	LowFields  int
	LowPages   int
	Sampled    string   // "", "random" or "problem" (in the sample for a reason of its own)
	Reasons    []string // why it is in the sample (Reason*), in reasonOrder
	Decision   string   // "", "accepted" or "returned"
	DecidedBy  string
}

// Problem reports whether the document has warnings or low-confidence values.
func (d ReviewDoc) Problem() bool { return d.Warnings > 0 || d.LowFields > 0 || d.LowPages > 0 }

// ReviewDocuments lists the documents of a batch's current review round, in batch order.
func (s *Store) ReviewDocuments(ctx context.Context, batchID string) ([]ReviewDoc, error) {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT rd.document_id, coalesce(d.seq, 0), rd.warnings, rd.low_fields, rd.low_pages, rd.decision, coalesce(u.username, ''),
		coalesce((SELECT group_concat(s.reason) FROM review_sample s WHERE s.batch_id = rd.batch_id AND s.round = rd.round AND s.document_id = rd.document_id), '')
		FROM review_documents rd JOIN batch_reviews r ON r.batch_id = rd.batch_id AND r.round = rd.round
		LEFT JOIN documents d ON d.id = rd.document_id LEFT JOIN users u ON u.id = rd.decided_by
		WHERE rd.batch_id = ? ORDER BY d.seq`, full)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReviewDoc
	for rows.Next() {
		var d ReviewDoc
		var reasons string
		if err := rows.Scan(&d.DocumentID, &d.Seq, &d.Warnings, &d.LowFields, &d.LowPages, &d.Decision, &d.DecidedBy, &reasons); err != nil {
			return nil, err
		}
		got := strings.Split(reasons, ",")
		for _, r := range reasonOrder {
			if slices.Contains(got, r) {
				d.Reasons = append(d.Reasons, r)
			}
		}
		switch {
		case len(d.Reasons) == 0:
		case len(d.Reasons) == 1 && d.Reasons[0] == ReasonRandom:
			d.Sampled = "random"
		default:
			d.Sampled = "problem"
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// reviewRound returns the batch's state and current review round inside tx, refusing a batch
// that is not under review.
func reviewRound(tx *sql.Tx, batchID string) (int, error) {
	var state string
	var round sql.NullInt64
	if err := tx.QueryRow(`SELECT b.state, r.round FROM batches b LEFT JOIN batch_reviews r ON r.batch_id = b.id WHERE b.id = ?`, batchID).Scan(&state, &round); err != nil {
		return 0, err
	}
	if State(state) != StateReview || !round.Valid {
		return 0, ErrNotInReview
	}
	return int(round.Int64), nil
}

// Reasons a document is in a round's review sample (review_sample.reason).
const (
	ReasonRandom         = "random"           // drawn at random by the supervisor's percentage
	ReasonReturned       = "returned"         // returned by the supervisor in the previous round
	ReasonCorrected      = "corrected"        // a field value corrected since the previous round
	ReasonOCRAcceptedLow = "ocr-accepted-low" // an OCR value under LowFieldConfidence accepted untyped since then
	ReasonWarnings       = "warnings"         // validation warnings confirmed at submit
	ReasonLowConfidence  = "low-confidence"   // OCR values nobody looked at under LowFieldConfidence, or pages under LowPageConfidence
)

// reasonOrder is the order reasons are listed in.
var reasonOrder = []string{ReasonReturned, ReasonCorrected, ReasonOCRAcceptedLow, ReasonWarnings, ReasonLowConfidence, ReasonRandom}

// addSampled puts a document into a round's sample for reason (once).
func addSampled(tx *sql.Tx, batchID string, round int, documentID int64, reason string) error {
	_, err := tx.Exec(`INSERT OR IGNORE INTO review_sample(batch_id, round, document_id, reason) VALUES (?,?,?,?)`, batchID, round, documentID, reason)
	return err
}

// syncSampled keeps review_documents.sampled ("problem", "random" or "") in step with the
// round's review_sample rows.
func syncSampled(tx *sql.Tx, batchID string, round int) error {
	_, err := tx.Exec(`UPDATE review_documents SET sampled = CASE
		WHEN EXISTS (SELECT 1 FROM review_sample s WHERE s.batch_id = review_documents.batch_id AND s.round = review_documents.round
			AND s.document_id = review_documents.document_id AND s.reason <> 'random') THEN 'problem'
		WHEN EXISTS (SELECT 1 FROM review_sample s WHERE s.batch_id = review_documents.batch_id AND s.round = review_documents.round
			AND s.document_id = review_documents.document_id) THEN 'random'
		ELSE '' END
		WHERE batch_id = ? AND round = ?`, batchID, round)
	return err
}

// mustSee stores, when a round opens, the documents the supervisor must see besides those
// with warnings or low confidence: every document returned in the previous round, and every
// one with a field value corrected, or accepted from low-confidence OCR, since the previous
// round was submitted (field_values ids above prevMark; in round 1, since the start). It
// returns how many documents the round's sample then holds.
func mustSee(tx *sql.Tx, batchID string, round int, prevRound, prevMark int64, ids []int64) (int, error) {
	inBatch := map[int64]bool{}
	for _, id := range ids {
		inBatch[id] = true
	}
	add := func(reason, query string, args ...any) error {
		rows, err := tx.Query(query, args...)
		if err != nil {
			return err
		}
		var found []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			found = append(found, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range found {
			if inBatch[id] { // a returned document may have been merged away meanwhile
				if err := addSampled(tx, batchID, round, id, reason); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if prevRound > 0 {
		if err := add(ReasonReturned, `SELECT document_id FROM review_documents WHERE batch_id = ? AND round = ? AND decision = 'returned'`,
			batchID, prevRound); err != nil {
			return 0, err
		}
	}
	if err := add(ReasonCorrected, `SELECT DISTINCT f.document_id FROM field_values f JOIN documents d ON d.id = f.document_id
		WHERE d.batch_id = ? AND f.id > ? AND f.source = 'corrected'`, batchID, prevMark); err != nil {
		return 0, err
	}
	// The OCR confidence of an accepted value is that of the OCR value it accepted (the
	// latest one before it), or the accepted row's own when there is none.
	if err := add(ReasonOCRAcceptedLow, `SELECT DISTINCT f.document_id FROM field_values f JOIN documents d ON d.id = f.document_id
		WHERE d.batch_id = ? AND f.id > ? AND f.source = 'ocr-accepted'
		AND coalesce((SELECT o.confidence FROM field_values o WHERE o.document_id = f.document_id AND o.key = f.key
			AND o.source = 'ocr' AND o.id < f.id ORDER BY o.id DESC LIMIT 1), f.confidence) < ?`,
		batchID, prevMark, LowFieldConfidence); err != nil {
		return 0, err
	}
	if err := syncSampled(tx, batchID, round); err != nil {
		return 0, err
	}
	var n int
	err := tx.QueryRow(`SELECT count(DISTINCT document_id) FROM review_sample WHERE batch_id = ? AND round = ?`, batchID, round).Scan(&n)
	return n, err
}

// randomPick is the percent of ids (rounded up) drawn at random with seed: the same ids,
// percent and seed always give the same documents.
func randomPick(ids []int64, percent int, seed int64) []int64 {
	ids = append([]int64(nil), ids...)
	k := (len(ids)*percent + 99) / 100
	rng := rand.New(rand.NewPCG(uint64(seed), 0x736f686f61))
	rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids[:k]
}

// ReviewRound is where a batch's current review round stands.
type ReviewRound struct {
	Round       int
	SubmittedBy string
	SubmittedAt string
	SamplePct   int // the random part drawn this round; -1 when not drawn yet
	SampleSeed  int64
}

// SampleDrawn reports whether the round's random part was drawn.
func (r ReviewRound) SampleDrawn() bool { return r.SamplePct >= 0 }

// CurrentReviewRound returns the batch's current (or last) review round.
func (s *Store) CurrentReviewRound(ctx context.Context, batchID string) (ReviewRound, error) {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return ReviewRound{}, err
	}
	var r ReviewRound
	err = s.r.QueryRowContext(ctx, `SELECT r.round, coalesce(u.username, ''), r.submitted_at, r.sample_pct, r.sample_seed
		FROM batch_reviews r LEFT JOIN users u ON u.id = r.submitted_by WHERE r.batch_id = ?`, full).
		Scan(&r.Round, &r.SubmittedBy, &r.SubmittedAt, &r.SamplePct, &r.SampleSeed)
	if errors.Is(err, sql.ErrNoRows) {
		return ReviewRound{SamplePct: -1}, ErrNotInReview
	}
	return r, err
}

// Sample draws the random part of the round's review sample: percent of the batch at random
// (rounded up; the same seed draws the same documents), added to the documents the
// supervisor must see anyway (stored when the round opened: returned, corrected or accepted
// from low-confidence OCR since the previous round, warnings, low confidence). The sample is
// drawn once per round and stored: a later call, from the command line or the app, whatever
// its percent and seed, returns the stored sample unchanged. Decisions stay.
func (s *Store) Sample(ctx context.Context, actor User, batchID string, percent int, seed int64) ([]ReviewDoc, error) {
	if err := Require(actor, ActionReview); err != nil {
		return nil, err
	}
	if percent < 0 || percent > 100 {
		return nil, ErrSamplePercent
	}
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return nil, err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		round, err := reviewRound(tx, full)
		if err != nil {
			return err
		}
		var drawn int
		if err := tx.QueryRow(`SELECT sample_pct FROM batch_reviews WHERE batch_id = ?`, full).Scan(&drawn); err != nil {
			return err
		}
		if drawn >= 0 {
			return nil // drawn once per round
		}
		// Who draws the sample chooses what is looked at: never someone who captured or keyed
		// the batch (four-eyes), as for deciding and approving. (Once drawn, the stored sample
		// may be looked at by anyone who may review.)
		if err := fourEyes(tx, actor, full); err != nil {
			return err
		}
		ids, err := batchDocIDs(tx, full) // batch order, so a seed is reproducible
		if err != nil {
			return err
		}
		for _, id := range ids { // a round opened without Submit (Transition) has no rows yet
			if _, err := tx.Exec(`INSERT OR IGNORE INTO review_documents(batch_id, round, document_id) VALUES (?,?,?)`, full, round, id); err != nil {
				return err
			}
		}
		for _, id := range randomPick(ids, percent, seed) {
			var n int
			if err := tx.QueryRow(`SELECT count(*) FROM review_sample WHERE batch_id = ? AND round = ? AND document_id = ?`, full, round, id).Scan(&n); err != nil {
				return err
			}
			if n == 0 { // already there for a reason of its own
				if err := addSampled(tx, full, round, id, ReasonRandom); err != nil {
					return err
				}
			}
		}
		if err := syncSampled(tx, full, round); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE batch_reviews SET sample_pct = ?, sample_seed = ? WHERE batch_id = ?`, percent, seed, full); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(`SELECT count(DISTINCT document_id) FROM review_sample WHERE batch_id = ? AND round = ?`, full, round).Scan(&n); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "review.sample", "batch:"+full, fmt.Sprintf("round=%d percent=%d seed=%d sampled=%d", round, percent, seed, n))
	})
	if err != nil {
		return nil, err
	}
	return s.SampledDocuments(ctx, full)
}

// SampledDocuments lists the documents of the current round's stored sample, in batch order.
func (s *Store) SampledDocuments(ctx context.Context, batchID string) ([]ReviewDoc, error) {
	all, err := s.ReviewDocuments(ctx, batchID)
	if err != nil {
		return nil, err
	}
	var out []ReviewDoc
	for _, d := range all {
		if d.Sampled != "" {
			out = append(out, d)
		}
	}
	return out, nil
}

// approvalCounts says, for a round, how many documents were returned, are in the sample but
// not accepted, are in the sample, and were accepted.
func approvalCounts(tx *sql.Tx, batchID string, round int) (returned, open, sampled, accepted int, err error) {
	err = tx.QueryRow(`SELECT
		(SELECT count(*) FROM review_documents WHERE batch_id = ?1 AND round = ?2 AND decision = 'returned'),
		(SELECT count(DISTINCT s.document_id) FROM review_sample s LEFT JOIN review_documents d
			ON d.batch_id = s.batch_id AND d.round = s.round AND d.document_id = s.document_id
			WHERE s.batch_id = ?1 AND s.round = ?2 AND coalesce(d.decision, '') <> 'accepted'),
		(SELECT count(DISTINCT document_id) FROM review_sample WHERE batch_id = ?1 AND round = ?2),
		(SELECT count(*) FROM review_documents WHERE batch_id = ?1 AND round = ?2 AND decision = 'accepted')`,
		batchID, round).Scan(&returned, &open, &sampled, &accepted)
	return
}

// approvalReady refuses approval while a document of the round is returned or a sampled
// document (drawn or to be seen anyway) is not accepted.
func approvalReady(tx *sql.Tx, batchID string, round int) (sampled, accepted int, err error) {
	returned, open, sampled, accepted, err := approvalCounts(tx, batchID, round)
	switch {
	case err != nil:
	case returned > 0:
		err = ErrDocReturned
	case open > 0:
		err = fmt.Errorf("%w (%d)", ErrSampleOpen, open)
	}
	return sampled, accepted, err
}

func cleanComment(c string) (string, error) {
	c = strings.TrimSpace(norm.NFC.String(c))
	if utf8.RuneCountInString(c) > MaxCommentRunes {
		return "", ErrCommentTooLong
	}
	return c, nil
}

// AcceptDocument records that the supervisor checked a document and accepts it (an optional
// comment is kept). Four-eyes applies.
func (s *Store) AcceptDocument(ctx context.Context, actor User, batchID string, documentID int64, comment string) error {
	return s.decide(ctx, actor, batchID, documentID, "accepted", comment)
}

// ReturnDocument records that a document must be corrected, with a comment for the clerks.
// The batch itself goes back with Return.
func (s *Store) ReturnDocument(ctx context.Context, actor User, batchID string, documentID int64, comment string) error {
	return s.decide(ctx, actor, batchID, documentID, "returned", comment)
}

func (s *Store) decide(ctx context.Context, actor User, batchID string, documentID int64, decision, comment string) error {
	if err := Require(actor, ActionReview); err != nil {
		return err
	}
	comment, err := cleanComment(comment)
	if err != nil {
		return err
	}
	if decision == "returned" && comment == "" {
		return ErrCommentRequired
	}
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		round, err := reviewRound(tx, full)
		if err != nil {
			return err
		}
		if decision == "accepted" {
			if err := fourEyes(tx, actor, full); err != nil {
				return err
			}
		}
		res, err := tx.Exec(`UPDATE review_documents SET decision = ?, decided_by = ?, decided_at = ? WHERE batch_id = ? AND round = ? AND document_id = ?`,
			decision, actor.ID, s.stamp(), full, round, documentID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w (%d)", ErrNotInBatch, documentID)
		}
		if comment != "" {
			if _, err := tx.Exec(`INSERT INTO review_comments(batch_id, round, document_id, author, body, created_at) VALUES (?,?,?,?,?,?)`,
				full, round, documentID, actor.ID, comment, s.stamp()); err != nil {
				return err
			}
		}
		action := "review.accept"
		if decision == "returned" {
			action = "review.return_document"
		}
		return s.audit(tx, actor.Username, action, fmt.Sprintf("document:%d", documentID),
			fmt.Sprintf("batch=%s round=%d comment_len=%d", full, round, utf8.RuneCountInString(comment)))
	})
}

// Approve moves a batch review → approved. The supervisor must pass the four-eyes rule; every
// document of the round's sample must be accepted (the documents to be seen anyway are in it
// from the submit on, drawn or not), and no document may be returned.
func (s *Store) Approve(ctx context.Context, actor User, batchID string) error {
	if err := Require(actor, ActionReview); err != nil {
		return err
	}
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		round, err := reviewRound(tx, full)
		if err != nil {
			return err
		}
		if err := fourEyes(tx, actor, full); err != nil {
			return err
		}
		sampled, accepted, err := approvalReady(tx, full, round)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE batch_reviews SET approved_by = ?, approved_at = ? WHERE batch_id = ?`, actor.ID, s.stamp(), full); err != nil {
			return err
		}
		return s.toState(tx, actor, full, StateApproved, fmt.Sprintf("round=%d sampled=%d accepted=%d", round, sampled, accepted))
	})
}

// Return sends a batch back to its clerks (review or approved → returned) with a comment they
// will see (Comments). The comment text is kept in the review record; the audit event holds
// only its length.
func (s *Store) Return(ctx context.Context, actor User, batchID, comment string) error {
	if err := Require(actor, ActionReview); err != nil {
		return err
	}
	comment, err := cleanComment(comment)
	if err != nil {
		return err
	}
	if comment == "" {
		return ErrCommentRequired
	}
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var state string
		var round sql.NullInt64
		if err := tx.QueryRow(`SELECT b.state, r.round FROM batches b LEFT JOIN batch_reviews r ON r.batch_id = b.id WHERE b.id = ?`, full).Scan(&state, &round); err != nil {
			return err
		}
		if State(state) != StateReview && State(state) != StateApproved {
			return ErrNotInReview
		}
		var docsReturned int
		if err := tx.QueryRow(`SELECT count(*) FROM review_documents WHERE batch_id = ? AND round = ? AND decision = 'returned'`, full, round.Int64).Scan(&docsReturned); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO review_comments(batch_id, round, document_id, author, body, created_at) VALUES (?,?,NULL,?,?,?)`,
			full, round.Int64, actor.ID, comment, s.stamp()); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE batch_reviews SET approved_by = NULL, approved_at = '' WHERE batch_id = ?`, full); err != nil {
			return err
		}
		return s.toState(tx, actor, full, StateReturned, fmt.Sprintf("round=%d documents_returned=%d comment_len=%d",
			round.Int64, docsReturned, utf8.RuneCountInString(comment)))
	})
}

// ReviewComment is a supervisor's remark on a batch (DocumentID 0) or on one document.
type ReviewComment struct {
	Round      int
	DocumentID int64
	Author     string // user name
	AuthorName string // full name
	Body       string
	At         string
}

// Comments returns every review comment of a batch, oldest first, so that clerks see why a
// batch or a document came back.
func (s *Store) Comments(ctx context.Context, batchID string) ([]ReviewComment, error) {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT c.round, coalesce(c.document_id, 0), u.username, u.full_name, c.body, c.created_at
		FROM review_comments c JOIN users u ON u.id = c.author WHERE c.batch_id = ? ORDER BY c.id`, full)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReviewComment
	for rows.Next() {
		var c ReviewComment
		if err := rows.Scan(&c.Round, &c.DocumentID, &c.Author, &c.AuthorName, &c.Body, &c.At); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Approver returns the user who approved the batch (ErrNotFound when nobody has).
func (s *Store) Approver(ctx context.Context, batchID string) (User, error) {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return User{}, err
	}
	var id sql.NullInt64
	err = s.r.QueryRowContext(ctx, `SELECT approved_by FROM batch_reviews WHERE batch_id = ?`, full).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !id.Valid) {
		return User{}, fmt.Errorf("approver of batch %s: %w", full, ErrNotFound)
	}
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, id.Int64)
}
