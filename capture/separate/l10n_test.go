package separate

import (
	"testing"

	"github.com/sohoa/sohoa/internal/l10n/l10ntest"
)

func TestErrorsTranslated(t *testing.T) {
	_, empty := decode(nil)
	_, bad := decode([]byte("not an image"))
	errs := map[string]error{"ErrBadRule": ErrBadRule, "ErrBadLabel": ErrBadLabel, "ErrBadDPI": ErrBadDPI, "empty page": empty, "bad page": bad}
	if _, err := SeparatorSheetPNG(50, "A"); err == nil {
		t.Fatal("50 dpi sheet made")
	} else {
		errs["sheet at 50 dpi"] = err
	}
	for name, err := range errs {
		l10ntest.Translated(t, name, err)
	}
}
