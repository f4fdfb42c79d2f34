package ocr

import (
	"strings"
	"unicode"

	"github.com/sohoa/sohoa/internal/vifold"
)

// Reading a page with Vietnamese alone, and with all the languages only when
// that reading is not Vietnamese (Options.MixLanguages off): on the real pages
// of corpus/ocr-vi, 80-93 % of the words of a Vietnamese page carry a
// Vietnamese letter (ă â đ ê ô ơ ư) or a tone mark, read even from 70-dpi
// scans; the English pages of corpus/ocr-en, read as Vietnamese, 0-15 %
// (TestLanguagePerPage).
const (
	// vietnameseShare is the share of marked words at and above which a
	// reading is Vietnamese.
	vietnameseShare = 0.4
	// vietnameseMinWords: a reading with fewer words (a form's few labels,
	// a near-blank page) is taken as Vietnamese: too few to tell, and the
	// Vietnamese model reads Latin letters too.
	vietnameseMinWords = 20
)

// readLanguages are the languages a page is read with first: Vietnamese
// alone when it comes first among several and mix is off, else all of langs.
func readLanguages(langs []string, mix bool) []string {
	if len(langs) > 1 && langs[0] == "vie" && !mix {
		return langs[:1]
	}
	return langs
}

// VietnameseReading tells whether words read with the Vietnamese model are
// Vietnamese text: at least vietnameseShare of the words of two or more
// letters carry a Vietnamese letter or a mark, or there are too few such
// words to tell.
func VietnameseReading(words []Word) bool {
	n, marked := 0, 0
	for _, w := range words {
		letters := 0
		for _, r := range w.Text {
			if unicode.IsLetter(r) {
				letters++
			}
		}
		if letters < 2 {
			continue
		}
		n++
		// A mark or đ is what folding takes away.
		if vifold.Fold(w.Text) != strings.ToLower(w.Text) {
			marked++
		}
	}
	return n < vietnameseMinWords || float64(marked) >= vietnameseShare*float64(n)
}
