package ocr

import (
	"testing"

	"github.com/sohoa/sohoa/internal/l10n/l10ntest"
)

func TestErrorsTranslated(t *testing.T) {
	for _, err := range []error{ErrEmptyImage, ErrBadImage, ErrZoneOutside, ErrWorkerCrashed, ErrClosed, ErrBadOrientation} {
		l10ntest.Translated(t, err.Error(), err)
	}
}
