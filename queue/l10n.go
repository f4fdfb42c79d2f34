package queue

import "github.com/sohoa/sohoa/internal/l10n"

// Messages of the errors declared in files whose logic other changes are reworking
// (review.go, batches.go, documents.go, split.go, rotate.go, outbox.go, signing.go): their
// texts live in the catalogue (assets/l10n, keys "queue.*") and are attached here, so that
// those declarations stay untouched. The inline vi/en texts a ReviewError still carries are
// its fallback until they are deleted (TestReviewErrorTexts keeps the two alike meanwhile).

func init() {
	for err, key := range map[error]string{
		ErrBadTransition:   "queue.badTransition",
		ErrBatchLocked:     "queue.batchLocked",
		ErrNotFound:        "queue.notFound",
		ErrDuplicateFile:   "queue.duplicateFile",
		ErrBadEdit:         "queue.badEdit",
		ErrBadRotation:     "queue.badRotation",
		ErrOutboxState:     "queue.outboxState",
		ErrNotApproved:     "queue.notApproved",
		ErrNoMoreDocuments: "queue.noMoreDocuments",
		ErrEmptyQuery:      "queue.emptyQuery",
		ErrBlobMissing:     "queue.blobMissing",
		ErrBlobCorrupt:     "queue.blobCorrupt",
		ErrSweepAnchor:     "queue.sweepAnchor",
	} {
		l10n.RegisterSentinel(err, key)
	}
}

// reviewKeys names the catalogue entry of each ReviewError sentinel.
var reviewKeys = map[*ReviewError]string{
	ErrNotInReview:     "queue.review.notInReview",
	ErrCommentRequired: "queue.review.commentRequired",
	ErrCommentTooLong:  "queue.review.commentTooLong",
	ErrOCRPending:      "queue.review.ocrPending",
	ErrEmptyBatch:      "queue.review.emptyBatch",
	ErrSampleOpen:      "queue.review.sampleOpen",
	ErrDocReturned:     "queue.review.docReturned",
	ErrNotSubmittable:  "queue.review.notSubmittable",
	ErrDocsChanged:     "queue.review.docsChanged",
	ErrNotInBatch:      "queue.review.notInBatch",
}

// Localize is the message in lang.
func (e *ReviewError) Localize(lang string) string {
	if key, ok := reviewKeys[e]; ok {
		return l10n.T(lang, key, l10n.Args{"Max": MaxCommentRunes})
	}
	if l10n.Lang(lang) == l10n.En {
		return e.en
	}
	return e.vi
}

// Localize is the message in lang: how many errors in which documents.
func (e *ValidationError) Localize(lang string) string {
	return l10n.T(lang, "queue.submit.errors", l10n.Args{"N": e.Errors, "Docs": len(e.Documents), "IDs": idList(e.Documents)})
}

// Localize is the message in lang: how many warnings in which documents.
func (e *WarningsError) Localize(lang string) string {
	return l10n.T(lang, "queue.submit.warnings", l10n.Args{"N": e.Warnings, "Docs": len(e.Documents), "IDs": idList(e.Documents)})
}
