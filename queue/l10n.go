package queue

import "github.com/sohoa/sohoa/internal/l10n"

// Messages of the errors declared in files whose logic other changes are reworking
// (review.go, batches.go, documents.go, split.go, rotate.go, outbox.go, signing.go): their
// texts live in the catalogue (assets/l10n, keys "queue.*") and are attached here, so that
// those declarations stay untouched. review.go's errors (ReviewError, ValidationError,
// WarningsError) carry their catalogue keys themselves.

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
