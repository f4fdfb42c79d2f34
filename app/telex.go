package app

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The built-in Telex mode. GLFW 3.3 (under Fyne 2.7) has no pre-edit support, so an OS
// input method can only hand over committed text, and the Vietnamese input methods that edit
// text already in the field (backspace-and-retype) do not work reliably in it (docs/KEYING.md).
// With Telex on, the keying entries turn keys into Vietnamese letters themselves:
//
//	aa â   aw ă   ee ê   oo ô   ow ơ   uw ư   uow ươ   dd đ
//	s sắc  f huyền  r hỏi  x ngã  j nặng   z removes the tone
//
// Pressing a modifier or tone key again undoes it and types the key itself ("aaa" → "aa",
// "ass" → "as"). Tones go on the vowel the traditional spelling uses (hòa, thủy, mùa,
// người, quý, giá). Output is NFC.

// combining marks
const (
	markBreve = '\u0306' // ă
	markCirc  = '\u0302' // â ê ô
	markHorn  = '\u031B' // ơ ư
	toneGrave = '\u0300' // f huyền
	toneAcute = '\u0301' // s sắc
	toneHook  = '\u0309' // r hỏi
	toneTilde = '\u0303' // x ngã
	toneDot   = '\u0323' // j nặng
)

var toneKeys = map[rune]rune{'s': toneAcute, 'f': toneGrave, 'r': toneHook, 'x': toneTilde, 'j': toneDot}

// vchar is one letter split into its base letter, vowel modifier and tone.
type vchar struct {
	base  rune // lower-case base letter ('d' for đ too)
	upper bool
	mod   rune // 0, markBreve, markCirc, markHorn; for d: markBreve stands for the stroke (đ)
	tone  rune // 0 or a tone mark
	other string
}

func isVowelBase(r rune) bool { return strings.ContainsRune("aeiouy", r) }

func splitChar(r rune) vchar {
	switch r {
	case 'đ':
		return vchar{base: 'd', mod: markBreve}
	case 'Đ':
		return vchar{base: 'd', upper: true, mod: markBreve}
	}
	d := []rune(norm.NFD.String(string(r)))
	b := d[0]
	c := vchar{base: unicode.ToLower(b), upper: unicode.IsUpper(b)}
	if b > unicode.MaxASCII || !unicode.IsLetter(b) {
		return vchar{other: string(r)}
	}
	for _, m := range d[1:] {
		switch m {
		case markBreve, markCirc, markHorn:
			c.mod = m
		case toneGrave, toneAcute, toneHook, toneTilde, toneDot:
			c.tone = m
		default:
			return vchar{other: string(r)}
		}
	}
	return c
}

func (c vchar) String() string {
	if c.other != "" {
		return c.other
	}
	b := c.base
	if c.upper {
		b = unicode.ToUpper(b)
	}
	if c.base == 'd' && c.mod == markBreve {
		if c.upper {
			return "Đ"
		}
		return "đ"
	}
	s := string(b)
	if c.mod != 0 {
		s += string(c.mod)
	}
	if c.tone != 0 {
		s += string(c.tone)
	}
	return norm.NFC.String(s)
}

func (c vchar) vowel() bool { return c.other == "" && isVowelBase(c.base) }

// TelexKey applies one typed key to word, the letters just before the cursor (the word being
// typed). It returns the new word; ok is false when key is an ordinary letter to append.
func TelexKey(word string, key rune) (string, bool) {
	lk := unicode.ToLower(key)
	if word == "" || !strings.ContainsRune("adeowsfrxjz", lk) {
		return word, false
	}
	var cs []vchar
	for _, r := range word {
		c := splitChar(r)
		if c.other != "" && !unicode.IsLetter(r) {
			return word, false
		}
		cs = append(cs, c)
	}
	join := func() string {
		var b strings.Builder
		for _, c := range cs {
			b.WriteString(c.String())
		}
		return b.String()
	}
	vs := vowelSpan(cs)
	switch lk {
	case 'd':
		if cs[0].base == 'd' && cs[0].other == "" && len(cs) >= 1 && (len(cs) == 1 || vs[0] >= 0) {
			if cs[0].mod == markBreve { // "ddd" → "dd"
				cs[0].mod = 0
				return join() + string(key), true
			}
			cs[0].mod = markBreve
			return join(), true
		}
		return word, false
	case 'a', 'e', 'o':
		// the last such vowel of the vowel group gets a circumflex ("aa", "tana")
		if vs[0] < 0 {
			return word, false
		}
		for i := vs[1] - 1; i >= vs[0]; i-- {
			if cs[i].base != lk {
				continue
			}
			switch cs[i].mod {
			case markCirc: // "aaa" → "aa"
				cs[i].mod = 0
				return join() + string(key), true
			case 0:
				if i != len(cs)-1 && i != vs[1]-1 {
					return word, false
				}
				cs[i].mod = markCirc
				reTone(cs)
				return join(), true
			}
			return word, false
		}
		return word, false
	case 'w':
		if vs[0] < 0 { // after a consonant, w alone is ư ("Ddwcs" → "Đức")
			u := "ư"
			if unicode.IsUpper(key) {
				u = "Ư"
			}
			return word + u, true
		}
		// "uo" → "ươ" (người), else the last a/o/u of the group
		for i := vs[0]; i+1 < vs[1]; i++ {
			if cs[i].base == 'u' && cs[i+1].base == 'o' && cs[i].mod == 0 && cs[i+1].mod == 0 && !(i > 0 && cs[i-1].base == 'q') {
				cs[i].mod, cs[i+1].mod = markHorn, markHorn
				reTone(cs)
				return join(), true
			}
		}
		for i := vs[1] - 1; i >= vs[0]; i-- {
			c := &cs[i]
			want := rune(0)
			switch c.base {
			case 'a':
				want = markBreve
			case 'o', 'u':
				want = markHorn
			default:
				continue
			}
			if c.mod == want { // "aww" → "aw"
				c.mod = 0
				if i+1 < len(cs) && cs[i+1].base == 'o' && cs[i+1].mod == markHorn {
					cs[i+1].mod = 0
				}
				return join() + string(key), true
			}
			if c.mod != 0 {
				continue
			}
			if c.base == 'u' && i > 0 && cs[i-1].base == 'q' {
				continue
			}
			c.mod = want
			reTone(cs)
			return join(), true
		}
		return word, false
	case 'z':
		for i := range cs {
			if cs[i].tone != 0 {
				cs[i].tone = 0
				return join(), true
			}
		}
		return word, false
	default: // tone keys
		if vs[0] < 0 {
			return word, false
		}
		tone := toneKeys[lk]
		cur := rune(0)
		for i := range cs {
			if cs[i].tone != 0 {
				cur = cs[i].tone
				cs[i].tone = 0
			}
		}
		if cur == tone { // "ass" → "as"
			return join() + string(key), true
		}
		cs[tonePos(cs, vs)].tone = tone
		return join(), true
	}
}

// reTone moves an existing tone to where it belongs after a vowel changed.
func reTone(cs []vchar) {
	tone := rune(0)
	for i := range cs {
		if cs[i].tone != 0 {
			tone = cs[i].tone
			cs[i].tone = 0
		}
	}
	if tone != 0 {
		cs[tonePos(cs, vowelSpan(cs))].tone = tone
	}
}

// vowelSpan is the vowel group [from, to) of the word, skipping the u of "qu" and the i of
// "gi" before another vowel; {-1, -1} when there is none.
func vowelSpan(cs []vchar) [2]int {
	from := -1
	for i, c := range cs {
		if !c.vowel() {
			if from >= 0 {
				return [2]int{from, i}
			}
			continue
		}
		if from < 0 {
			if i > 0 && i+1 < len(cs) && cs[i+1].vowel() {
				prev := cs[i-1].base
				if (prev == 'q' && c.base == 'u') || (prev == 'g' && c.base == 'i' && i == 1) {
					continue
				}
			}
			from = i
		}
	}
	if from < 0 {
		// "gi" alone: the i is the vowel (gì)
		for i, c := range cs {
			if c.vowel() {
				return [2]int{i, len(cs)}
			}
		}
		return [2]int{-1, -1}
	}
	return [2]int{from, len(cs)}
}

// tonePos is the index of the vowel that carries the tone.
func tonePos(cs []vchar, vs [2]int) int {
	from, to := vs[0], vs[1]
	// a vowel with a modifier takes it; in ươ the ơ
	pos := -1
	for i := from; i < to; i++ {
		if cs[i].mod != 0 {
			pos = i
		}
	}
	if pos >= 0 {
		return pos
	}
	n := to - from
	switch {
	case n == 1:
		return from
	case to < len(cs): // a final consonant follows: the last vowel (toán, hoàng, tuyết)
		return to - 1
	case n >= 3: // khuya, ngoài: the middle vowel
		return from + 1
	default: // hòa, thủy, mùa, mía: the first vowel
		return from
	}
}

// TelexKeys is the key sequence that types s in Telex mode: modifier keys right after their
// letter, the tone key at the end of each word, and a tone or modifier letter that would be
// taken as a key doubled. It is what a clerk types, used to count keystrokes.
func TelexKeys(s string) string {
	var out strings.Builder
	var word []rune
	flush := func() {
		if len(word) == 0 {
			return
		}
		var keys strings.Builder
		tone := rune(0)
		for _, r := range word {
			c := splitChar(r)
			if c.other != "" {
				keys.WriteRune(r)
				continue
			}
			b := c.base
			if c.upper {
				b = unicode.ToUpper(b)
			}
			keys.WriteRune(b)
			switch {
			case c.base == 'd' && c.mod == markBreve:
				keys.WriteRune(b)
			case c.mod == markCirc:
				keys.WriteRune(b)
			case c.mod == markBreve || c.mod == markHorn:
				keys.WriteRune('w')
			}
			if c.tone != 0 {
				tone = c.tone
			}
		}
		if tone != 0 {
			for k, m := range toneKeys {
				if m == tone {
					keys.WriteRune(k)
				}
			}
		}
		// Check by typing it; when a literal letter was taken as a key, fall back to typing
		// the word letter by letter with every taken key doubled.
		if typed := TelexType(keys.String()); typed != string(word) {
			keys.Reset()
			cur := ""
			for _, r := range word {
				k := letterKeys(cur, r)
				keys.WriteString(k)
				cur = TelexType(keys.String())
			}
		}
		out.WriteString(keys.String())
		word = word[:0]
	}
	for _, r := range norm.NFC.String(s) {
		if unicode.IsLetter(r) {
			word = append(word, r)
			continue
		}
		flush()
		out.WriteRune(r)
	}
	flush()
	return out.String()
}

// letterKeys is the keys that append letter r to cur in Telex mode, tone right after the
// vowel (a fallback for words that do not type naturally): a letter that alone would be taken
// as a key is doubled.
func letterKeys(cur string, r rune) string {
	c := splitChar(r)
	if c.other != "" {
		return string(r)
	}
	b := c.base
	if c.upper {
		b = unicode.ToUpper(b)
	}
	keys := string(b)
	if _, ok := TelexKey(cur, b); ok {
		keys += string(b)
	}
	switch {
	case c.base == 'd' && c.mod == markBreve, c.mod == markCirc:
		keys += string(b)
	case c.mod == markBreve || c.mod == markHorn:
		keys += "w"
	}
	for k, m := range toneKeys {
		if m == c.tone && c.tone != 0 {
			keys += string(k)
		}
	}
	return keys
}

// TelexType runs a whole key sequence through the Telex rules, word by word, as the keying
// entries do.
func TelexType(keys string) string {
	var out []rune
	wordStart := 0
	for _, k := range keys {
		if !unicode.IsLetter(k) {
			out = append(out, k)
			wordStart = len(out)
			continue
		}
		w := string(out[wordStart:])
		if nw, ok := TelexKey(w, k); ok {
			out = append(out[:wordStart], []rune(nw)...)
		} else {
			out = append(out, k)
		}
	}
	return norm.NFC.String(string(out))
}
