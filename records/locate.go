package records

import (
	"strings"
	"unicode"
)

// roleWords are words of signer roles and agency names that are not a signer's name.
var roleWords = map[string]bool{"chu": true, "tich": true, "truong": true, "uy": true, "ban": true, "cong": true,
	"an": false, "tm": true, "kt": true, "pho": true, "giam": true, "doc": true, "nhan": true, "dan": true}

// locate finds a value printed without a label (OCRHints.Locate).
func locate(f Field, lines []line, occs []occurrence, widths map[int]int) (Extracted, bool) {
	labelled := map[int]bool{}
	for _, o := range occs {
		labelled[o.line] = true
	}
	for j := len(lines) - 1; j >= 0; j-- {
		l := lines[j]
		if l.busy || labelled[j] {
			continue
		}
		switch f.OCR.Locate {
		case "place_date":
			text := ""
			for _, w := range l.words {
				text += w.Text + " "
			}
			if !longDateRe.MatchString(text) || !strings.Contains(text, ",") {
				continue
			}
			for i, w := range l.words {
				if w.fold == "ngay" && i > 0 && strings.HasSuffix(l.words[i-1].Text, ",") {
					end := len(l.words)
					for k := i; k < len(l.words); k++ {
						if len(NormalizeDigits(l.words[k].Text)) == 4 && k > i+3 {
							end = k + 1
							break
						}
					}
					return makeExtracted(f, l.words[i:end], l.page, 1), true
				}
			}
		case "signer":
			if w := widths[l.page]; w > 0 && l.x0 < w*35/100 {
				continue
			}
			if len(l.words) < 2 || len(l.words) > 6 || !nameLike(l.words) {
				continue
			}
			return makeExtracted(f, l.words, l.page, 1), true
		}
	}
	return Extracted{}, false
}

// nameLike says whether words look like a personal name: 2-6 capitalised words of letters
// only, none of them a word of a role or agency title.
func nameLike(ws []word) bool {
	role := 0
	for _, w := range ws {
		rs := []rune(w.Text)
		if len(rs) == 0 || !unicode.IsUpper(rs[0]) {
			return false
		}
		for _, r := range rs {
			if !unicode.IsLetter(r) {
				return false
			}
		}
		if roleWords[w.fold] {
			role++
		}
	}
	return role*2 < len(ws)
}
