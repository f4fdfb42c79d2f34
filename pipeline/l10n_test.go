package pipeline

import (
	"testing"

	"github.com/sohoa/sohoa/internal/l10n/l10ntest"
)

func TestErrorsTranslated(t *testing.T) {
	_, err := ParseCleanup("{not json", nil)
	l10ntest.Translated(t, "bad clean-up profile", err)
}
