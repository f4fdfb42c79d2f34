package docgen

import (
	"testing"
	"unicode/utf8"
)

// FuzzCER checks the metric's invariants on arbitrary text: never negative,
// zero against itself, symmetric edit distance, bounded by the longer text.
func FuzzCER(f *testing.F) {
	f.Add("Họ, chữ đệm, tên: NGUYỄN VĂN AN", "Ho, chữ đệm, tên: NGUYEN VAN AN")
	f.Add("", "abc")
	f.Add("a\n\nb", "a b")
	f.Fuzz(func(t *testing.T, truth, got string) {
		if !utf8.ValidString(truth) || !utf8.ValidString(got) {
			return
		}
		c := CER(truth, got)
		if c < 0 {
			t.Fatalf("negative CER %v", c)
		}
		if CER(truth, truth) != 0 {
			t.Fatal("CER of a text against itself is not 0")
		}
		a, b := []rune(normText(truth)), []rune(normText(got))
		d := levenshtein(a, b)
		if d != levenshtein(b, a) {
			t.Fatal("edit distance not symmetric")
		}
		if d > max(len(a), len(b)) {
			t.Fatalf("distance %d above max length", d)
		}
	})
}
