package queue

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold turns Vietnamese text into its search form: decomposed, combining marks removed,
// đ/Đ mapped to d, lower case. "Nguyễn Văn Đức" becomes "nguyen van duc".
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			b.WriteByte('d')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
