// Package vifold folds Vietnamese text for matching: lower case, every combining mark gone,
// đ as d ("Nơi nhận" → "noi nhan", "TỈNH" → "tinh").
package vifold

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold is s in lower case without diacritics, đ → d.
func Fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteRune('d')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
