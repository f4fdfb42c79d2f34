package vicorrect

import (
	"math"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/ocr"
)

// Corrector proposes, for words Tesseract is unsure of, the Vietnamese syllable that differs
// from what was read only in its diacritics (tone marks, ă â ê ô ơ ư, đ) and that the model
// finds most likely between its neighbours. It never touches a word with a digit (numbers,
// dates, ID numbers, document numbers), a word with inner punctuation ("UBND-KT", "V/v") or a
// word Tesseract is sure of.
type Corrector struct {
	Model *Model
	// MaxConf: only words whose confidence is below it are corrected (0-100).
	MaxConf float64
	// KnownMaxConf is the bound for a word that is already a syllable the model knows
	// ("THÙY" may be right, "quôc" cannot be): such a word is changed only below it.
	KnownMaxConf float64
	// EditCost is the log-probability a candidate pays per changed mark; a low-confidence
	// word pays less (the cost scales with conf/MaxConf between MinEditCost and EditCost).
	EditCost, MinEditCost float64
	// Phrases, when set, restores the marks of whole runs of lexicon phrases first
	// (phrase.go), on words whose confidence is below PhraseMaxConf.
	Phrases       *Phrases
	PhraseMaxConf float64
}

var (
	defOnce      sync.Once
	defCorrector *Corrector
)

// Default is the corrector with the bundled model and the settings measured on the real pages
// (bench/REPORT-ocr-vi.md). It is safe for concurrent use (it is only read); a program that
// changes its settings does so before using it.
func Default() *Corrector {
	defOnce.Do(func() {
		defCorrector = &Corrector{Model: DefaultModel(), MaxConf: 95, KnownMaxConf: 90, EditCost: 4, MinEditCost: 2,
			Phrases: DefaultPhrases(), PhraseMaxConf: 97}
	})
	return defCorrector
}

// Words returns a copy of words with the unsure ones corrected. Neighbours are the words of
// the same line (Block, Par, Line) in the order given.
func (c *Corrector) Words(words []ocr.Word) []ocr.Word {
	out := make([]ocr.Word, len(words))
	copy(out, words)
	same := func(i, j int) bool {
		return j >= 0 && j < len(out) && out[i].Block == out[j].Block && out[i].Par == out[j].Par && out[i].Line == out[j].Line
	}
	// Runs of lexicon phrases first; their words are then left as they are.
	done := c.phrases(out, same)
	// Two passes: the second sees the neighbours the first corrected ("Tô quôc": "quôc"
	// becomes "quốc" first, then "Tô" has a neighbour to pair with).
	for pass := 0; pass < 2; pass++ {
		for i := range out {
			if out[i].Conf >= c.MaxConf || done[i] {
				continue
			}
			prev, next := "", ""
			if same(i, i-1) {
				prev = out[i-1].Text
			}
			if same(i, i+1) {
				next = out[i+1].Text
			}
			if t, ok := c.Word(prev, words[i].Text, next, out[i].Conf); ok {
				out[i].Text = t
			}
		}
	}
	return out
}

// phrases restores the runs of words of one line that spell a phrase of c.Phrases without
// its marks, longest run first, and says which words such a run holds (restored or right as
// read). A run is restored only when every word it changes is below PhraseMaxConf, holds
// letters only and lost marks (or, below MaxConf, had one tone read for another, when
// another word of the run was read right).
func (c *Corrector) phrases(out []ocr.Word, same func(i, j int) bool) []bool {
	done := make([]bool, len(out))
	if c.Phrases == nil {
		return done
	}
	type part struct{ lead, core, trail string }
	for i := 0; i < len(out); {
		matched := 0
		for n := phraseLen; n >= 2 && matched == 0; n-- {
			if i+n > len(out) || !same(i, i+n-1) {
				continue
			}
			parts := make([]part, n)
			cores := make([]string, n)
			ok := true
			for k := 0; k < n && ok; k++ {
				l, cr, tr := trimPunct(norm.NFC.String(out[i+k].Text))
				parts[k], cores[k] = part{l, cr, tr}, cr
				// a run does not cross a word that is not a syllable, nor punctuation inside it
				ok = cr != "" && lettersOnly(cr) && (k == 0 || l == "") && (k == n-1 || !strings.ContainsAny(tr, ".:;()"))
			}
			if !ok {
				continue
			}
			spell, found := c.Phrases.Lookup(cores)
			if !found {
				continue
			}
			for k := 0; k < n && ok; k++ {
				if Key(cores[k]) != Key(spell[k]) && (out[i+k].Conf >= c.PhraseMaxConf || !lostOnly(cores[k], spell[k])) &&
					!(out[i+k].Conf < c.MaxConf && toneOnly(cores[k], spell[k])) {
					ok = false // Tesseract is sure of a word the phrase would change, or read other marks
				}
			}
			changed, retoned := 0, 0
			for k := 0; k < n; k++ {
				if Key(cores[k]) != Key(spell[k]) {
					changed++
					if !lostOnly(cores[k], spell[k]) {
						retoned++
					}
				}
			}
			// a tone read for another needs a word of the run read right to anchor the
			// phrase ("PHƯƠNG TIỆN PHÒNG" is not Phường Tiền Phong; "DAU TU" is ĐẦU TƯ)
			if !ok || (retoned > 0 && changed == n) {
				continue
			}
			for k := 0; k < n; k++ {
				if Key(cores[k]) != Key(spell[k]) {
					out[i+k].Text = parts[k].lead + matchCase(cores[k], spell[k]) + parts[k].trail
				}
				done[i+k] = true
			}
			matched = n
		}
		if matched > 0 {
			i += matched
		} else {
			i++
		}
	}
	return done
}

// Word corrects one word read with confidence conf between its neighbours (their text as
// read; "" at a line end). ok is false when the word stays as it is.
func (c *Corrector) Word(prev, word, next string, conf float64) (string, bool) {
	if conf >= c.MaxConf {
		return word, false
	}
	lead, core, trail := trimPunct(norm.NFC.String(word))
	if core == "" || !lettersOnly(core) {
		return word, false
	}
	lower := strings.ToLower(core)
	base, tone, _ := Split(lower)
	m := c.Model
	pk, nk := ctxKey(prev), ctxKey(next)
	cost := c.MinEditCost + (c.EditCost-c.MinEditCost)*math.Max(0, conf)/math.Max(c.MaxConf, 1)
	score := func(k string) float64 {
		s := m.logP(pk, k)
		if nk != "" {
			s += m.logP(k, nk)
		}
		return s
	}
	origKey := base + string(rune('0'+tone))
	best, bestScore := "", math.Inf(-1)
	known := Valid(lower) && m.Known(origKey)
	// a capitalised word may be a name: as read, it is kept unless a neighbour speaks for
	// another (below)
	capital := unicode.IsUpper([]rune(core)[0])
	if known {
		if conf >= c.KnownMaxConf {
			return word, false
		}
		best, bestScore = origKey, score(origKey)
	}
	for _, vb := range variants(base) {
		for t := ToneLevel; t <= ToneDot; t++ {
			k := vb + string(rune('0'+t))
			if k == origKey || !m.Known(k) {
				continue
			}
			// A capitalised word that is a syllable as read gives way only to one its
			// neighbours speak for (a pair of the vocabulary), not to a more frequent
			// word alone: "TRINH" in a name is not "TRÌNH", "Nghi định" is "Nghị định".
			if known && capital && m.bi[[2]string{pk, k}] == 0 && (nk == "" || m.bi[[2]string{k, nk}] == 0) {
				continue
			}
			edits := diff(vb, base)
			if t != tone {
				edits++
			}
			if s := score(k) - cost*float64(edits); s > bestScore {
				best, bestScore = k, s
			}
		}
	}
	if best == "" || best == origKey {
		return word, false
	}
	f := m.form[best]
	if f == "" {
		f = Place(best[:len(best)-1], Tone(best[len(best)-1]-'0'))
	}
	if !Valid(f) {
		return word, false
	}
	return lead + matchCase(core, f) + trail, true
}

// ctxKey is the key of a neighbour, "" when it is not a syllable.
func ctxKey(w string) string {
	_, core, _ := trimPunct(norm.NFC.String(w))
	if core == "" || !Valid(core) {
		return ""
	}
	return Key(core)
}

func trimPunct(s string) (lead, core, trail string) {
	isP := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsMark(r) && !unicode.IsDigit(r) }
	core = strings.TrimLeftFunc(s, isP)
	lead = s[:len(s)-len(core)]
	c2 := strings.TrimRightFunc(core, isP)
	trail = core[len(c2):]
	return lead, c2, trail
}

func lettersOnly(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsMark(r) {
			return false
		}
	}
	return true
}

// alternatives are the letters a mark can turn a letter into.
var alternatives = map[rune][]rune{
	'a': {'a', 'ă', 'â'}, 'ă': {'a', 'ă', 'â'}, 'â': {'a', 'ă', 'â'},
	'e': {'e', 'ê'}, 'ê': {'e', 'ê'},
	'o': {'o', 'ô', 'ơ'}, 'ô': {'o', 'ô', 'ơ'}, 'ơ': {'o', 'ô', 'ơ'},
	'u': {'u', 'ư'}, 'ư': {'u', 'ư'},
	'd': {'d', 'đ'}, 'đ': {'d', 'đ'},
}

// variants are the spellings of base with other vowel marks and d/đ (base itself included).
func variants(base string) []string {
	out := []string{""}
	for _, r := range base {
		alts, ok := alternatives[r]
		if !ok {
			alts = []rune{r}
		}
		next := make([]string, 0, len(out)*len(alts))
		for _, p := range out {
			for _, a := range alts {
				next = append(next, p+string(a))
			}
		}
		out = next
		if len(out) > 512 {
			return []string{base}
		}
	}
	return out
}

func diff(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	n := 0
	for i := range ra {
		if i >= len(rb) || ra[i] != rb[i] {
			n++
		}
	}
	return n
}

// matchCase writes f (lower case) in the case pattern of orig: all capitals, a capital
// first, or lower case.
func matchCase(orig, f string) string {
	rs := []rune(orig)
	upper, lower := 0, 0
	for _, r := range rs {
		if unicode.IsUpper(r) {
			upper++
		} else if unicode.IsLower(r) {
			lower++
		}
	}
	switch {
	case upper > 1 && lower == 0:
		return strings.ToUpper(f)
	case len(rs) > 0 && unicode.IsUpper(rs[0]):
		fr := []rune(f)
		fr[0] = unicode.ToUpper(fr[0])
		return string(fr)
	}
	return f
}
