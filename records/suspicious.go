package records

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Suspicious values. OCR can be confident and wrong: "N®" for "Nữ", "Huong" for "Hương",
// an "O" inside an ID number. Suspicious finds such marks in a value whatever its
// confidence, from the field's type alone: characters outside the field's alphabet, digits
// in a name, letters in an ID or a number, and in names, words that are not Vietnamese
// syllables (onset, rhyme and tone checked against the language's structure: "Huong" and
// "Nguyen" have rhymes that exist only with their marks, "uông"/"ương" and "uyên").
// Validate reports each as a warning, so the keying screen and the CLI see the same marks.

// Suspicion is one suspicious part of a value: its rune span in the value (as given,
// after NFC) and what is wrong, in both languages. The messages hold no value.
type Suspicion struct {
	Code       string // "suspicious.chars", "suspicious.name_digits", "suspicious.id_letters", "suspicious.syllable"
	Start, End int    // rune offsets [Start, End) in NFC(v)
	Vi, En     string
}

// Suspicious returns the suspicious parts of value v of field f, in order; none for an
// empty value.
func Suspicious(f Field, v string) []Suspicion {
	rs := []rune(norm.NFC.String(v))
	var out []Suspicion
	// add marks runes [i, j) with code; msg names its catalogue message "records."+msg.
	add := func(code string, i, j int, msg string) {
		key := "records." + msg
		out = append(out, Suspicion{Code: code, Start: i, End: j, Vi: l10n.T(l10n.Vi, key), En: l10n.T(l10n.En, key)})
	}
	odd := func(i int) { add("suspicious.chars", i, i+1, "suspicious.chars") }
	switch f.Type {
	case TypeName:
		for i, r := range rs {
			switch {
			case unicode.IsDigit(r):
				add("suspicious.name_digits", i, i+1, "suspicious.nameDigits")
			case !nameRune(r):
				odd(i)
			}
		}
		for _, w := range wordSpans(rs) {
			word := string(rs[w[0]:w[1]])
			if !hasOnly(word, unicode.IsLetter) {
				continue // already marked
			}
			if !ValidSyllable(word) {
				add("suspicious.syllable", w[0], w[1], "suspicious.syllable")
			}
		}
	case TypePersonalID, TypeNumber:
		for i, r := range rs {
			switch {
			case r >= '0' && r <= '9', r == ' ':
			case f.Type == TypeNumber && strings.ContainsRune(".,-+()", r):
			case unicode.IsLetter(r):
				add("suspicious.id_letters", i, i+1, "suspicious.idLetters")
			default:
				odd(i)
			}
		}
	case TypeDate:
		// dd/mm/yyyy, or "ngày … tháng … năm …" written out
		if longDateRe.MatchString(string(rs)) {
			break
		}
		for i, r := range rs {
			switch {
			case r >= '0' && r <= '9', strings.ContainsRune("/.- ", r):
			case unicode.IsLetter(r):
				add("suspicious.id_letters", i, i+1, "suspicious.dateLetters")
			default:
				odd(i)
			}
		}
	case TypeCatalog:
		for i, r := range rs {
			if !unicode.IsLetter(r) && !strings.ContainsRune(" -'", r) || (unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r)) {
				odd(i)
			}
		}
	default: // text, free text, amounts, addresses
		for i, r := range rs {
			if !textRune(r) {
				odd(i)
			}
		}
	}
	return out
}

// nameRune: letters of the Latin script (Vietnamese letters among them), spaces, and the
// hyphen and apostrophe of some names of ethnic minorities ("H'Hen").
func nameRune(r rune) bool {
	return (unicode.IsLetter(r) && unicode.Is(unicode.Latin, r)) || r == ' ' || r == '-' || r == '\''
}

// textRune: what printed records use: Latin letters, digits, spaces and usual punctuation.
// Symbols OCR makes of stains and stamps (®, ©, ™, §, ¤, boxes, other scripts) are not.
func textRune(r rune) bool {
	switch {
	case unicode.IsLetter(r):
		return unicode.Is(unicode.Latin, r)
	case unicode.IsDigit(r), r == ' ':
		return true
	}
	return strings.ContainsRune(",.;:/-–()'\"&+%²³°№#*_", r)
}

func hasOnly(s string, ok func(rune) bool) bool {
	for _, r := range s {
		if !ok(r) {
			return false
		}
	}
	return true
}

// wordSpans are the [start, end) rune spans of the words of rs (split at spaces, hyphens
// and apostrophes).
func wordSpans(rs []rune) [][2]int {
	var out [][2]int
	start := -1
	for i, r := range rs {
		sep := r == ' ' || r == '-' || r == '\''
		switch {
		case sep && start >= 0:
			out = append(out, [2]int{start, i})
			start = -1
		case !sep && start < 0:
			start = i
		}
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(rs)})
	}
	return out
}

// Vietnamese syllable structure: an onset (optional), a rhyme (medial, nucleus, final) and
// one tone. The rhymes are the language's own inventory, written without tone marks (with ăk
// of place names such as Đắk Lắk); a rhyme ending in a stop (p, t, c, ch, k) takes only the sắc or nặng tone.

var onsets = []string{"ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr",
	"b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", ""}

var rhymes = map[string]bool{}

func init() {
	for _, r := range strings.Fields(`
		a ac ach ai am an ang anh ao ap at au ay
		e ec em en eng eo ep et
		i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
		o oa oac oach oai oam oan oang oanh oao oap oat oay oc oe oen oeo oet oi om on ong
		ooc oong op ot oăc oăm oăn oăng oăt
		u ua uc ui um un ung up ut uy uya uych uynh uyt uyu uyên uyêt uân uâng uât uây
		uê uêch uênh uôc uôi uôm uôn uông uôt uơ uơn
		y ya ynh yt yêm yên yêng yêt yêu
		â âc âm ân âng âp ât âu ây
		ê êc êch êm ên êng ênh êp êt êu
		ô ôc ôi ôm ôn ông ôp ôt
		ă ăc ăk ăm ăn ăng ăp ăt
		ơ ơi ơm ơn ơp ơt
		ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu`) {
		rhymes[r] = true
	}
}

// ValidSyllable reports whether w (one word, any case) is a well-formed Vietnamese
// syllable: a known onset, a rhyme of the language, at most one tone, and a stop-final
// rhyme only with the sắc or nặng tone.
func ValidSyllable(w string) bool {
	var base strings.Builder
	tones := 0
	var tone rune
	for _, r := range norm.NFD.String(strings.ToLower(w)) {
		switch r {
		case toneGraveMark, toneAcuteMark, toneHookMark, toneTildeMark, toneDotMark:
			tones++
			tone = r
		default:
			base.WriteRune(r)
		}
	}
	if tones > 1 {
		return false
	}
	s := norm.NFC.String(base.String())
	for _, o := range onsets {
		rest, ok := strings.CutPrefix(s, o)
		if !ok {
			continue
		}
		if o == "gi" && (rest == "" || !startsVowel(rest)) {
			rest = "i" + rest // gì, gìn: the i is the vowel
		}
		if !rhymes[rest] || !onsetFits(o, rest) {
			continue
		}
		if stopFinal(rest) && tone != 0 && tone != toneAcuteMark && tone != toneDotMark {
			continue
		}
		return true
	}
	return false
}

// combining tone marks
const (
	toneGraveMark = '\u0300'
	toneAcuteMark = '\u0301'
	toneHookMark  = '\u0309'
	toneTildeMark = '\u0303'
	toneDotMark   = '\u0323'
)

func startsVowel(s string) bool {
	for _, r := range norm.NFD.String(s) {
		return strings.ContainsRune("aeiouy", r)
	}
	return false
}

// onsetFits applies the spelling rules of c/k/q, g/gh and ng/ngh: k, gh and ngh only before
// i, e, ê (and y for k); c and ng never before them.
func onsetFits(o, rest string) bool {
	front := strings.HasPrefix(rest, "i") || strings.HasPrefix(rest, "e") || strings.HasPrefix(rest, "ê")
	switch o {
	case "k":
		return front || strings.HasPrefix(rest, "y")
	case "gh", "ngh":
		return front
	case "c", "ng":
		return !front
	}
	return true
}

func stopFinal(rhyme string) bool {
	return strings.HasSuffix(rhyme, "p") || strings.HasSuffix(rhyme, "t") || strings.HasSuffix(rhyme, "c") || strings.HasSuffix(rhyme, "ch") || strings.HasSuffix(rhyme, "k")
}
