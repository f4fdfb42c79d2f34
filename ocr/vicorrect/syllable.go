package vicorrect

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Tone is one of the six Vietnamese tones, written as a mark over (or under) the main vowel.
type Tone int

// The tones; ToneLevel (ngang) has no mark.
const (
	ToneLevel   Tone = iota // ngang: a
	ToneRising              // sắc: á (U+0301)
	ToneFalling             // huyền: à (U+0300)
	ToneHook                // hỏi: ả (U+0309)
	ToneTilde               // ngã: ã (U+0303)
	ToneDot                 // nặng: ạ (U+0323)
)

var toneMarks = map[rune]Tone{'\u0301': ToneRising, '\u0300': ToneFalling, '\u0309': ToneHook, '\u0303': ToneTilde, '\u0323': ToneDot}
var toneMark = [...]rune{0, '\u0301', '\u0300', '\u0309', '\u0303', '\u0323'}

// Split separates a word into its letters without the tone mark (vowel marks ă â ê ô ơ ư and
// đ kept, NFC) and its tone. A word with two tone marks gives ok=false.
func Split(s string) (base string, t Tone, ok bool) {
	var b strings.Builder
	ok = true
	for _, r := range norm.NFD.String(s) {
		if tn, isTone := toneMarks[r]; isTone {
			if t != ToneLevel {
				ok = false
			}
			t = tn
			continue
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String()), t, ok
}

// Key is the form a syllable is matched by: lower case, tone placement normalised (the tone
// goes after the letters: "hoà", "hòa", "HOÀ" all give "hoa\x02"). Two spellings of one
// syllable in the old and the new tone placement have the same key.
func Key(s string) string {
	base, t, _ := Split(s)
	return strings.ToLower(base) + string(rune('0'+t))
}

var onsets = []string{"ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
	"b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", ""}

// rhymes are the rhymes (medial + nucleus + coda, no tone) of standard Vietnamese.
var rhymes = map[string]bool{}

func init() {
	for _, r := range strings.Fields(`
a ac ach ai am an ang anh ao ap at au ay
ăc ăm ăn ăng ăp ăt
âc âm ân âng âp ât âu ây
e ec em en eng eo ep et
ê êch êm ên ênh êp êt êu
i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
o oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt oe oen oeo oet oi om on ong oc op ot ooc oong
ô ôc ôi ôm ôn ông ôp ôt
ơ ơi ơm ơn ơp ơt
u ua uân uâng uât uây uc uê uêch uênh ui um un ung up ut uy uya uych uyên uyêt uynh uyt uyu uôc uôi uôm uôn uông uôt uơ
ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
y yên yêm yêt yêu`) {
		rhymes[r] = true
	}
}

// Valid says whether s (one word, any case, either tone placement) is a well-formed Vietnamese
// syllable: an onset, a rhyme, and a tone the rhyme allows (a rhyme ending in p, t, c or ch
// takes only the rising or the dot tone).
func Valid(s string) bool {
	base, t, ok := Split(s)
	if !ok || base == "" {
		return false
	}
	base = strings.ToLower(base)
	for _, r := range base {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	for _, on := range onsets {
		if !strings.HasPrefix(base, on) {
			continue
		}
		rh := base[len(on):]
		if rh == "" {
			if on == "gi" {
				return true // gì
			}
			continue
		}
		if on == "gi" && strings.HasPrefix(rh, "i") || on == "qu" && strings.HasPrefix(rh, "u") {
			continue
		}
		if !rhymes[rh] {
			continue
		}
		// k, gh, ngh go before front vowels only; c, g, ng not.
		front := strings.HasPrefix(rh, "i") || strings.HasPrefix(rh, "e") || strings.HasPrefix(rh, "ê") || strings.HasPrefix(rh, "y")
		switch on {
		case "k", "gh", "ngh":
			if !front {
				continue
			}
		case "c", "ng":
			if front {
				continue
			}
		}
		if stopCoda(rh) && t != ToneRising && t != ToneDot {
			continue
		}
		return true
	}
	return false
}

func stopCoda(rh string) bool {
	return strings.HasSuffix(rh, "p") || strings.HasSuffix(rh, "t") || strings.HasSuffix(rh, "c") || strings.HasSuffix(rh, "ch")
}

// Place writes base with tone t in the reformed tone placement ("hoà", "thuỷ", "toán", "mùa"):
// on the vowel with a mark (ơ ư â ê ô ă; the second of ươ), else on the middle one of three
// vowels, on the second of two followed by a coda or of oa, oe, uy, else on the first vowel.
// Callers prefer the spelling their lexicon knows; Place is for syllables it does not.
func Place(base string, t Tone) string {
	if t == ToneLevel {
		return base
	}
	rs := []rune(base)
	vs := vowelIdx(rs)
	if len(vs) == 0 {
		return base
	}
	pos := vs[0]
	marked := -1
	for _, i := range vs {
		if strings.ContainsRune("ăâêôơưĂÂÊÔƠƯ", rs[i]) {
			marked = i // the last marked vowel wins: ươ → ơ
		}
	}
	switch {
	case marked >= 0:
		pos = marked
	case len(vs) == 3:
		pos = vs[1] // oai, oay, oeo, uya
	case len(vs) == 2:
		pair := strings.ToLower(string([]rune{rs[vs[0]], rs[vs[1]]}))
		if vs[1] < len(rs)-1 || pair == "oa" || pair == "oe" || pair == "uy" {
			pos = vs[1] // toán, hoàng; and the reformed hoà, khoẻ, thuỷ
		}
	}
	out := string(rs[:pos+1]) + string(toneMark[t]) + string(rs[pos+1:])
	return norm.NFC.String(out)
}

func vowelIdx(rs []rune) []int {
	var vs []int
	for i, r := range rs {
		lr := unicode.ToLower(r)
		if strings.ContainsRune("aăâeêioôơuưy", lr) {
			// u after q, i after g (before another vowel) are part of the onset.
			if i > 0 && (lr == 'u' && unicode.ToLower(rs[i-1]) == 'q' || lr == 'i' && unicode.ToLower(rs[i-1]) == 'g' && i+1 < len(rs) && strings.ContainsRune("aăâeêoôơuư", unicode.ToLower(rs[i+1]))) {
				continue
			}
			vs = append(vs, i)
		}
	}
	return vs
}
