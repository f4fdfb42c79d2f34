// Package l10ntest holds the check every package's tests run on their translatable errors.
package l10ntest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n"
)

// vietnamese holds letters only Vietnamese text has (diacritics and đ).
const vietnamese = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"

// Translated checks that err reads in Vietnamese and in English, each different, with no
// template left unfilled, and that wrapped twice with fmt.Errorf it still does: the wrapping
// words stay and the error's part reads in the language asked, errors.Is still finds it. The
// English text may name values in Vietnamese (batch names), so only the Vietnamese one is
// checked for Vietnamese letters: give err ASCII values.
func Translated(t testing.TB, name string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: nil error", name)
		return
	}
	if !l10n.Translatable(err) {
		t.Errorf("%s: %T %q is not translatable", name, err, err)
		return
	}
	vi, en := l10n.Text(l10n.Vi, err), l10n.Text(l10n.En, err)
	switch {
	case vi == en:
		t.Errorf("%s: the same text in both languages: %q", name, vi)
	case !strings.ContainsAny(strings.ToLower(vi), vietnamese):
		t.Errorf("%s: Vietnamese text without Vietnamese letters: %q", name, vi)
	case strings.ContainsAny(strings.ToLower(en), vietnamese):
		t.Errorf("%s: English text with Vietnamese letters: %q", name, en)
	}
	for _, s := range []string{vi, en, err.Error()} {
		if strings.Contains(s, "{{") || strings.Contains(s, "<no value>") || strings.Contains(s, "%!") {
			t.Errorf("%s: unfilled message %q", name, s)
		}
	}
	wrapped := fmt.Errorf("outer: %w", fmt.Errorf("step %d: %w", 7, err))
	for lang, want := range map[string]string{l10n.Vi: vi, l10n.En: en} {
		if got := l10n.Text(lang, wrapped); got != "outer: step 7: "+want {
			t.Errorf("%s wrapped, %s: %q, want %q", name, lang, got, "outer: step 7: "+want)
		}
	}
	if !errors.Is(wrapped, err) {
		t.Errorf("%s: errors.Is does not find it through the wrapping", name)
	}
}
