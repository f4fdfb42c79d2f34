package cleanup

import (
	"context"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n/l10ntest"
)

func TestErrorsTranslated(t *testing.T) {
	errs := map[string]error{}
	for _, err := range []error{ErrEmptyImage, ErrBadImage, ErrImageSize, ErrBadProfile, ErrUnsupported, ErrNoOSD, errLept} {
		errs[err.Error()] = err
	}
	if _, err := Process(context.Background(), []byte("\x89PNG\r\n\x1a\nbroken"), DefaultProfile()); err == nil {
		t.Fatal("a broken PNG was processed")
	} else {
		errs["broken PNG"] = err
	}
	for name, err := range errs {
		l10ntest.Translated(t, name, err)
	}
}
