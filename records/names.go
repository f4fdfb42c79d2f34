package records

import (
	_ "embed"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Names: the marks OCR loses on names. Upper-case names carry stacked marks (NGUYỄN, TRẦN)
// that a phone photo or a 150-dpi fax no longer resolves: Tesseract reads NGUYEN, Nguyên,
// TRAN, Trân. restoreNameMarks puts such marks back from a lexicon of name syllables
// (names_vi.txt) where the read syllable folds (marks stripped, case folded) to a name form
// that clearly dominates its folded spelling in that place of the name (family name first,
// given name last, middle names between). It never touches a syllable with a digit or inner
// punctuation, and keeps a syllable that is itself a name form there (Thanh, Hoa stay as
// read). In middle and given names it only adds marks the OCR lost (Bao → Bảo, never Báo →
// Bảo); family names are a closed, lopsided class, so a wrong mark there (Lé, Nguyén) is
// put right too. The value keeps its OCR provenance; Raw keeps what was read.

//go:embed names_vi.txt
var namesLexicon string

type nameForm struct {
	form     string // NFC, as written in title case
	weight   int
	borrowed bool // a given name's form offered for a middle name: weighs, but is no proof
}

var (
	namesOnce sync.Once
	// namesByRole: role ('s', 'm', 'g') → folded spelling → forms
	namesByRole map[byte]map[string][]nameForm
)

func nameLexicon() map[byte]map[string][]nameForm {
	namesOnce.Do(func() {
		namesByRole = map[byte]map[string][]nameForm{'s': {}, 'm': {}, 'g': {}}
		for _, l := range strings.Split(namesLexicon, "\n") {
			fs := strings.Fields(l)
			if len(fs) < 2 || strings.HasPrefix(fs[0], "#") || len(fs[0]) != 1 {
				continue
			}
			byFold := namesByRole[fs[0][0]]
			if byFold == nil {
				continue
			}
			for _, p := range fs[1:] {
				form, w, _ := strings.Cut(p, ":")
				n, err := strconv.Atoi(w)
				if err != nil || n <= 0 {
					continue
				}
				form = norm.NFC.String(form)
				k := strings.Join(foldWords(form), "")
				added := false
				for i := range byFold[k] {
					if byFold[k][i].form == form {
						byFold[k][i].weight += n
						added = true
					}
				}
				if !added {
					byFold[k] = append(byFold[k], nameForm{form: form, weight: n})
				}
			}
		}
	})
	return namesByRole
}

// nameForms returns the forms a syllable folded to k can have in role r, with weights. A
// middle name can be any given name too (less likely); a given name found only as a middle
// name takes those forms.
func nameForms(r byte, k string) []nameForm {
	lex := nameLexicon()
	switch r {
	case 'm':
		out := append([]nameForm(nil), lex['m'][k]...)
		for _, g := range lex['g'][k] {
			found := false
			for i := range out {
				if out[i].form == g.form {
					found = true
				}
			}
			if !found {
				out = append(out, nameForm{g.form, max(1, g.weight/4), true})
			}
		}
		return out
	case 'g':
		if fs := lex['g'][k]; len(fs) > 0 {
			return fs
		}
		return lex['m'][k]
	}
	return lex[r][k]
}

// restoreNameMarks returns the name s with the marks of its syllables restored (see
// Names above), and whether any changed.
func restoreNameMarks(s string) (string, bool) {
	toks := strings.Fields(norm.NFC.String(s))
	if len(toks) < 2 {
		return s, false // one word: its place in the name is not known
	}
	changed := false
	for i, tok := range toks {
		role := byte('m')
		switch i {
		case 0:
			role = 's'
		case len(toks) - 1:
			role = 'g'
		}
		if t, ok := restoreSyllable(role, tok); ok {
			toks[i] = t
			changed = true
		}
	}
	if !changed {
		return s, false
	}
	return strings.Join(toks, " "), true
}

// restoreSyllable restores one syllable read as tok in role r.
func restoreSyllable(r byte, tok string) (string, bool) {
	if !hasOnly(tok, unicode.IsLetter) {
		return tok, false
	}
	k := strings.Join(foldWords(tok), "")
	forms := nameForms(r, k)
	if len(forms) == 0 {
		return tok, false
	}
	low := strings.ToLower(tok)
	best, total := nameForm{}, 0
	for _, f := range forms {
		if strings.ToLower(f.form) == low && !f.borrowed {
			return tok, false // itself a name form here
		}
		total += f.weight
		if f.weight > best.weight {
			best = f
		}
	}
	// clearly dominant: at least three times the other forms together
	if best.weight < 3*(total-best.weight) {
		return tok, false
	}
	if r != 's' && !onlyAddsMarks(low, strings.ToLower(best.form)) {
		return tok, false
	}
	return caseLike(best.form, tok), true
}

// onlyAddsMarks says whether to is from with marks added and none changed: the same letters,
// every mark of from on the same letter of to (d may become đ, not the other way).
func onlyAddsMarks(from, to string) bool {
	a, b := []rune(norm.NFC.String(from)), []rune(norm.NFC.String(to))
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] == b[i] {
			continue
		}
		if a[i] == 'd' && b[i] == 'đ' {
			continue
		}
		da, db := []rune(norm.NFD.String(string(a[i]))), []rune(norm.NFD.String(string(b[i])))
		if da[0] != db[0] {
			return false
		}
		for _, m := range da[1:] {
			if !strings.ContainsRune(string(db[1:]), m) {
				return false
			}
		}
	}
	return true
}

// caseLike writes form in the case tok was read in: all capitals, capitalised or small.
func caseLike(form, tok string) string {
	rs := []rune(tok)
	switch {
	case strings.ToUpper(tok) == tok && len(rs) > 1:
		return strings.ToUpper(form)
	case unicode.IsUpper(rs[0]):
		f := []rune(strings.ToLower(form))
		f[0] = unicode.ToUpper(f[0])
		return string(f)
	}
	return strings.ToLower(form)
}

// restoreUnitMarks puts back the marks OCR lost or changed in the commune-level unit of an
// address read on a page ("Phường Tran Biên, Tỉnh Đồng Nai" → "Phường Trấn Biên, …") when
// the province is read and exactly one of its units has that name folded: the catalogue's
// spelling. Other parts of the address stay as read.
func restoreUnitMarks(v string) (string, bool) {
	au, err := Catalog()
	if err != nil || au == nil {
		return v, false
	}
	c, ok := au.Check(v)
	if !ok {
		return v, false
	}
	changed := false
	// The province part, when it is the province's full name folded ("Thanh phố Huế").
	parts := strings.Split(v, ",")
	last := strings.TrimSpace(parts[len(parts)-1])
	if full := c.Province.FullName(); last != full && Fold(last) == Fold(full) && ToneKey(last) != ToneKey(full) {
		parts[len(parts)-1] = strings.Replace(parts[len(parts)-1], last, full, 1)
		v, changed = strings.Join(parts, ","), true
	}
	if c.Commune == nil || c.CommuneName == "" {
		return v, changed
	}
	_, name := cutKind(c.CommuneName, communeKinds)
	if name == c.Commune.Name || Fold(name) != Fold(c.Commune.Name) || ToneKey(name) == ToneKey(c.Commune.Name) {
		return v, changed // as the catalogue writes it (or in the other tone placement)
	}
	i := strings.LastIndex(v, name)
	if i < 0 {
		return v, changed
	}
	return v[:i] + c.Commune.Name + v[i+len(name):], true
}

// cleanUnitOCR undoes what OCR does to an address's unit names: the space it drops between
// the syllables of a name ("Tỉnh ĐồngNai": unit names have no inner capitals) and a stain
// read as a trailing mark ("ˆ", "~") after the last word.
func cleanUnitOCR(v string) string {
	v = splitGluedName(v)
	ws := strings.Fields(v)
	for len(ws) > 1 && !strings.ContainsFunc(ws[len(ws)-1], func(r rune) bool {
		return (unicode.IsLetter(r) && vietLetter(r)) || unicode.IsDigit(r)
	}) {
		ws = ws[:len(ws)-1]
	}
	return strings.Join(ws, " ")
}

// docCodes are abbreviations of Vietnamese document symbols written with Đ, which a fax or
// a photo often reads as D: "ĐKHKD" (đăng ký hộ kinh doanh), "QĐ" (quyết định), "NĐ" (nghị
// định), "HĐND" (hội đồng nhân dân).
var docCodes = []string{"ĐKHKD", "ĐKKD", "ĐKDN", "QĐ", "NĐ", "HĐND", "HĐ"}

// restoreDocCode puts the Đ back in the code segments of a document number read by OCR
// ("420/2018/DKHKD" → "420/2018/ĐKHKD", "15/QD-UBND" → "15/QĐ-UBND"): a segment between
// "/" or "-" that is one of docCodes with Đ read as D.
func restoreDocCode(v string) (string, bool) {
	if !strings.ContainsRune(v, 'D') {
		return v, false
	}
	changed := false
	var b strings.Builder
	seg := func(s string) {
		for _, c := range docCodes {
			if s != c && strings.ReplaceAll(c, "Đ", "D") == s {
				b.WriteString(c)
				changed = true
				return
			}
		}
		b.WriteString(s)
	}
	start := 0
	for i, r := range v {
		if r == '/' || r == '-' {
			seg(v[start:i])
			b.WriteRune(r)
			start = i + 1
		}
	}
	seg(v[start:])
	return b.String(), changed
}

// sameNameMarks gives a name read without some of its marks the marks another name field of
// the same document was read with, when that name is the same one letter for letter: the
// household head "NGUYỄN VĂN HUNG" in capitals (where a fax loses stacked and grave marks) is
// "Nguyễn Văn Hùng" in the member table's small letters. Only whole names count, only marks
// are added (none changed), and only from one spelling: two other names that fold alike but
// differ ("Hùng", "Hưng") leave it as read. The value keeps its OCR provenance, a little less
// sure.
func sameNameMarks(rt *RecordType, out []Extracted) {
	isName := make([]bool, len(out))
	for i, e := range out {
		f, ok := rt.Field(e.Key)
		isName[i] = ok && f.Type == TypeName && e.Value != ""
	}
	for i := range out {
		if !isName[i] {
			continue
		}
		var from []int
		for j := range out {
			if j == i || !isName[j] || strings.EqualFold(out[j].Value, out[i].Value) || !marksLost(out[i].Value, out[j].Value) {
				continue
			}
			if len(from) > 0 && !strings.EqualFold(out[from[0]].Value, out[j].Value) {
				from = nil // two spellings
				break
			}
			from = append(from, j)
		}
		if len(from) == 0 {
			continue
		}
		o := out[from[0]]
		out[i].Value = o.Value
		out[i].Confidence = min(out[i].Confidence, o.Confidence) * 0.95
	}
}

// marksLost says whether read is full with some of its marks lost and none changed, case
// ignored: each letter as in full or with a part of its marks ("HUNG" of "Hùng", "Nguyên"
// of "Nguyễn": ê is ễ without its tone; not "Hưng" of "Hùng").
func marksLost(read, full string) bool {
	r := []rune(strings.ToLower(norm.NFC.String(read)))
	f := []rune(strings.ToLower(norm.NFC.String(full)))
	if len(r) != len(f) {
		return false
	}
	for k := range r {
		if r[k] == f[k] {
			continue
		}
		if r[k] == 'd' && f[k] == 'đ' {
			continue
		}
		rd, fd := []rune(norm.NFD.String(string(r[k]))), []rune(norm.NFD.String(string(f[k])))
		if rd[0] != fd[0] {
			return false
		}
		for _, m := range rd[1:] {
			if !containsRune(fd[1:], m) {
				return false
			}
		}
	}
	return true
}

func containsRune(rs []rune, r rune) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
