package queue

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/internal/l10n/l10ntest"
)

// TestErrorsTranslated: every error type and sentinel of the store reads in Vietnamese and in
// English through l10n.Text, also when wrapped.
func TestErrorsTranslated(t *testing.T) {
	errs := map[string]error{
		"PermissionError":      &PermissionError{User: "lan", Action: ActionSign},
		"FourEyesError":        &FourEyesError{User: "lan", Reason: "keyed"},
		"FourEyesError docs":   &FourEyesError{User: "lan", Reason: "documents"},
		"FourEyesError signer": &FourEyesError{User: "lan", Reason: "not_approver"},
		"DoubleKeyError":       dkErr(ErrDoubleKeyOpen, "queue.dk.status", l10n.Args{"Done": 1, "Docs": 2, "Open": 3}),
		"DoubleKeyError plain": dkErr(ErrPassDone, ""),
		"OfficeError":          &OfficeError{Batch: "B1", Office: "HCM-02", Want: "HN-01", Reason: "other"},
		"OfficeError invalid":  &OfficeError{Batch: "B1", Office: "x y", Reason: "invalid"},
		"OfficeError missing":  &OfficeError{Batch: "B1", Want: "HN-01", Reason: "missing"},
		"OfficeError none":     &OfficeError{Batch: "B1", Reason: "missing"},
		"SignerError":          &SignerError{User: "lan", Owner: "minh", Key: "0123456789abcdef0123", Reason: "other_user"},
		"SignerError unbound":  &SignerError{User: "lan", Key: "0123456789abcdef0123"},
		"SignerError reason":   &SignerError{User: "lan", Reason: "override_reason"},
		"CertTakenError":       &CertTakenError{Owner: "minh"},
		"LoginLockedError":     &LoginLockedError{Wait: 90 * time.Second},
		"LoginLockedError min": &LoginLockedError{Wait: 10 * time.Minute},
		"SignedMismatchError":  &SignedMismatchError{BatchID: "b1", Problems: []string{"document 3: field so"}},
		"ValidationError":      &ValidationError{Documents: []int64{3, 4}, Errors: 5},
		"WarningsError":        &WarningsError{Documents: []int64{3}, Warnings: 1},
		"audit truncated":      l10n.New("queue.audit.truncated", l10n.Args{"Last": 3, "Seq": 5, "N": 2}),
	}
	for _, e := range []error{ErrFourEyes, ErrSignerCert, ErrLoginLocked, ErrFieldsLocked, ErrSignedUnchecked,
		ErrSignedMismatch, ErrAuditKeyMissing, ErrBadOffice, ErrOfficeSigned,
		ErrBadLogin, ErrUserExists, ErrWeakPassword, ErrBadUsername, ErrNotPermitted, ErrNoUsers, ErrUserNotFound,
		ErrUserDisabled, ErrUserTampered, ErrLastAdmin,
		ErrNotDoubleBlind, ErrDoubleBlindOnly, ErrPassesTaken, ErrPassDone, ErrNoPass, ErrNotThirdPerson,
		ErrNoConflict, ErrDoubleKeyOpen, ErrPassesStarted,
		ErrBadTransition, ErrBatchLocked, ErrNotFound, ErrDuplicateFile, ErrBadEdit, ErrBadRotation, ErrOutboxState,
		ErrNotApproved, ErrNoMoreDocuments, ErrEmptyQuery, ErrBlobMissing, ErrBlobCorrupt, ErrSweepAnchor} {
		errs[fmt.Sprintf("sentinel %q", e)] = e
	}
	for _, e := range reviewErrors {
		errs[fmt.Sprintf("review %q", e)] = e
	}
	for name, err := range errs {
		l10ntest.Translated(t, name, err)
	}
	for _, a := range Actions {
		if vi, en := a.Localize(l10n.Vi), a.Localize(l10n.En); vi == en || vi == "queue.action."+string(a) {
			t.Errorf("action %s: %q / %q", a, vi, en)
		}
	}
}

// TestReviewErrorTexts: review.go's errors say their catalogue messages; Error is the two
// languages.
func TestReviewErrorTexts(t *testing.T) {
	type loc interface {
		error
		Localize(string) string
	}
	errs := []loc{&ValidationError{Documents: []int64{1, 2}, Errors: 3}, &WarningsError{Documents: []int64{1}, Warnings: 2}}
	for _, e := range reviewErrors {
		errs = append(errs, e)
	}
	for _, e := range errs {
		vi, en := e.Localize(l10n.Vi), e.Localize(l10n.En)
		if vi == en || strings.HasPrefix(vi, "queue.") || e.Error() != vi+" / "+en {
			t.Errorf("%T: vi %q, en %q, Error %q", e, vi, en, e.Error())
		}
	}
	if !strings.Contains(ErrCommentTooLong.Localize(l10n.En), fmt.Sprint(MaxCommentRunes)) {
		t.Errorf("comment limit not said: %q", ErrCommentTooLong.Localize(l10n.En))
	}
}
