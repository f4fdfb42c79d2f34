package vicorrect

import (
	_ "embed"
	"io/fs"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/assets"
	"github.com/sohoa/sohoa/internal/vifold"
)

// Phrases put back the marks of a run of two to four syllables whose spelling without marks
// is that of exactly one phrase of the domain lexicon: "CUA HÀNG" → "CỬA HÀNG", "Bán lé"
// → "Bán lẻ", "Da khoa" → "Đa khoa", "Tinh Vĩnh Long" → "Tỉnh Vĩnh Long". Capitals
// with stacked marks (Ử, Ố, Ậ) lose them on faxes and photos while Tesseract stays sure of the
// letters, so a single syllable cannot be trusted there ("CUA" may be "của", "cua" or
// "cửa"), but a whole phrase of the lexicon can. A run whose folded spelling two phrases
// share ("ban hanh" is not only "ban hành") stays as read.

//go:embed trade_vi.txt
var tradeVocab string

// phraseLen is the longest run looked up, in syllables.
const phraseLen = 4

// Phrases is the lexicon of phrases by folded spelling.
type Phrases struct {
	byFold map[string][]string // folded run → its one spelling, lower case
}

// NewPhrases indexes every run of 2 to phraseLen syllables of the phrases of runs, and the
// phrases of whole only as a whole (unit names: "Phường Hồng Lĩnh" is one, but "Hồng Lĩnh"
// on its own is as likely a person's "Hồng Linh").
func NewPhrases(runs, whole []string) *Phrases {
	p := &Phrases{byFold: map[string][]string{}}
	ambiguous := map[string]bool{}
	add := func(run []string) {
		k := foldRun(run)
		if ambiguous[k] {
			return
		}
		if have, ok := p.byFold[k]; ok {
			if keys(have) != keys(run) {
				ambiguous[k] = true
				delete(p.byFold, k)
			}
			return
		}
		p.byFold[k] = append([]string(nil), run...)
	}
	for _, ph := range runs {
		ws := syllables(ph)
		for i := range ws {
			for n := 2; n <= phraseLen && i+n <= len(ws); n++ {
				if hasEmpty(ws[i : i+n]) {
					break
				}
				add(ws[i : i+n])
			}
		}
	}
	for _, ph := range whole {
		if ws := syllables(ph); len(ws) >= 2 && len(ws) <= phraseLen && !hasEmpty(ws) {
			add(ws)
		}
	}
	return p
}

func hasEmpty(ws []string) bool {
	for _, w := range ws {
		if w == "" {
			return true
		}
	}
	return false
}

// syllables are the words of a phrase in lower case, NFC; "" for a word that is not a
// syllable (a run does not cross it).
func syllables(ph string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(ph, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsMark(r) }) {
		w = strings.ToLower(norm.NFC.String(w))
		if !Valid(w) {
			w = ""
		}
		out = append(out, w)
	}
	return out
}

func keys(run []string) string {
	ks := make([]string, len(run))
	for i, w := range run {
		ks[i] = Key(w)
	}
	return strings.Join(ks, " ")
}

func foldRun(run []string) string {
	fs := make([]string, len(run))
	for i, w := range run {
		fs[i] = vifold.Fold(w)
	}
	return strings.Join(fs, " ")
}

// lostOnly says whether read is spell with some of its marks lost (none changed): each letter
// as in spell or without its marks ("CUA" of "cửa", "Tinh" of "tỉnh"; not "lé" of "lẻ",
// "Văn" of "vân").
func lostOnly(read, spell string) bool {
	r, s := []rune(strings.ToLower(norm.NFC.String(read))), []rune(spell)
	if len(r) != len(s) {
		return false
	}
	for i := range r {
		if r[i] != s[i] && string(r[i]) != vifold.Fold(string(s[i])) {
			// a vowel that keeps its own mark but lost the tone ("ư" of "ử")
			rb, _, _ := Split(string(s[i]))
			if string(r[i]) != rb {
				return false
			}
		}
	}
	return true
}

// toneOnly says whether read is spell with another tone mark (the small marks above a
// letter a fax confuses: "lé" for "lẻ"), its letters and vowel marks the same ("lễ" is not);
// a tone lost is lostOnly's, a tone read where there is none is no confusion of marks.
func toneOnly(read, spell string) bool {
	rb, rt, ok1 := Split(strings.ToLower(norm.NFC.String(read)))
	sb, st, ok2 := Split(spell)
	return ok1 && ok2 && rb == sb && rt != ToneLevel && st != ToneLevel
}

// Lookup returns the lexicon's spelling of the run of words ws (as read, any case), when
// exactly one phrase has their folded spelling.
func (p *Phrases) Lookup(ws []string) ([]string, bool) {
	if p == nil || len(ws) < 2 {
		return nil, false
	}
	low := make([]string, len(ws))
	for i, w := range ws {
		low[i] = strings.ToLower(norm.NFC.String(w))
	}
	got, ok := p.byFold[foldRun(low)]
	return got, ok
}

var (
	phrasesOnce sync.Once
	defPhrases  *Phrases
)

// DefaultPhrases is the bundled phrase lexicon: the administrative vocabulary
// (assets/vietnamese/admin_vocab.txt), the trade, health-care and street vocabulary of
// trade_vi.txt, and the administrative units of the catalogue as whole names with their kind
// ("Tỉnh Vĩnh Long", "Phường Trấn Biên").
func DefaultPhrases() *Phrases {
	phrasesOnce.Do(func() {
		var lines []string
		add := func(text string) {
			for _, l := range strings.Split(text, "\n") {
				if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
					lines = append(lines, l)
				}
			}
		}
		fsys := assets.FS()
		if b, err := fs.ReadFile(fsys, "vietnamese/admin_vocab.txt"); err == nil {
			add(string(b))
		}
		add(tradeVocab)
		defPhrases = NewPhrases(lines, unitNames(fsys))
	})
	return defPhrases
}
