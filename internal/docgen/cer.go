package docgen

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// CER is the character error rate of got against truth: the Levenshtein
// distance between the two texts, after NFC normalisation and collapsing
// every run of whitespace (including newlines) to one space, divided by the
// length of the normalised truth in runes. An empty truth gives 0 when got
// is empty too and 1 otherwise.
func CER(truth, got string) float64 {
	edits, n := CERCounts(truth, got)
	if n == 0 {
		if edits == 0 {
			return 0
		}
		return 1
	}
	return float64(edits) / float64(n)
}

// CERCounts returns the two numbers behind CER: the edit distance between the normalised
// texts and the length of the normalised truth in runes. A CER pooled over many pages is
// the sum of the edits over the sum of the lengths.
func CERCounts(truth, got string) (edits, truthLen int) {
	t := []rune(normText(truth))
	g := []rune(normText(got))
	return levenshtein(t, g), len(t)
}

func normText(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

func levenshtein(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
