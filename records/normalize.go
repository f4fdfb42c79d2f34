package records

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Fold lower-cases s, removes diacritics (đ → d) and punctuation, and collapses spaces:
// "Họ, chữ đệm, tên:" → "ho chu dem ten". Used to compare labels tolerant of OCR errors.
func Fold(s string) string { return strings.Join(foldWords(s), " ") }

func foldWords(s string) []string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ' || r == 'Đ':
			b.WriteRune('d')
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '#':
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(' ')
		}
	}
	return strings.Fields(b.String())
}

var titleCaser = cases.Title(language.Vietnamese)

// NormalizeName returns a personal name in title case with single spaces, NFC:
// "NGUYỄN VĂN AN" → "Nguyễn Văn An".
func NormalizeName(s string) string {
	s = norm.NFC.String(strings.Join(strings.Fields(s), " "))
	return titleCaser.String(strings.ToLower(s))
}

// splitGluedName puts back the spaces OCR drops between the syllables of a name printed in
// title case: "TrầnThịVy" → "Trần Thị Vy". A capital after a small letter starts a new
// syllable (Vietnamese names have no inner capitals); names in capitals stay as read. Used
// on OCR values only: a keyed "McKay" is left alone.
func splitGluedName(s string) string {
	var b strings.Builder
	prevLower := false
	for _, r := range norm.NFC.String(s) {
		if prevLower && unicode.IsUpper(r) {
			b.WriteRune(' ')
		}
		b.WriteRune(r)
		if !unicode.Is(unicode.Mn, r) {
			prevLower = unicode.IsLower(r)
		}
	}
	return b.String()
}

var (
	longDateRe = regexp.MustCompile(`(?i)ng[àaá]y\s*(\d{1,2})\s*th[áa]ng\s*(\d{1,2})\s*n[ăa]m\s*(\d{4})`)
	numDateRe  = regexp.MustCompile(`^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})$`)
)

// ParseDate reads "ngày 12 tháng 3 năm 1998", "12/03/1998", "12-3-1998" or "12.3.1998".
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(norm.NFC.String(s))
	var d, m, y string
	if mm := longDateRe.FindStringSubmatch(s); mm != nil {
		d, m, y = mm[1], mm[2], mm[3]
	} else if mm := numDateRe.FindStringSubmatch(fixDigits(s, "/.-")); mm != nil {
		d, m, y = mm[1], mm[2], mm[3]
	} else {
		return time.Time{}, fmt.Errorf("not a date")
	}
	di, _ := strconv.Atoi(d)
	mi, _ := strconv.Atoi(m)
	yi, _ := strconv.Atoi(y)
	t := time.Date(yi, time.Month(mi), di, 0, 0, 0, 0, time.UTC)
	if mi < 1 || mi > 12 || di < 1 || t.Day() != di || t.Month() != time.Month(mi) {
		return time.Time{}, fmt.Errorf("impossible date")
	}
	return t, nil
}

// NormalizeDate returns s as dd/mm/yyyy, or s unchanged (trimmed) when it is not a date.
func NormalizeDate(s string) string {
	t, err := ParseDate(s)
	if err != nil {
		return strings.TrimSpace(s)
	}
	return t.Format("02/01/2006")
}

// digitFix maps letters OCR confuses with digits.
var digitFix = map[rune]rune{'O': '0', 'o': '0', 'D': '0', 'Q': '0', 'l': '1', 'I': '1', 'i': '1', '|': '1', '!': '1',
	'Z': '2', 'z': '2', 'S': '5', 's': '5', 'B': '8', 'G': '6', 'b': '6', 'g': '9', 'q': '9', 'T': '7'}

// fixDigits maps OCR confusions to digits, keeping digits and the runes in keep.
func fixDigits(s, keep string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', strings.ContainsRune(keep, r), r == ' ':
			b.WriteRune(r)
		default:
			if d, ok := digitFix[r]; ok {
				b.WriteRune(d)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// NormalizeDigits keeps only digits, after mapping OCR confusions (O→0, l/I→1, ...).
func NormalizeDigits(s string) string {
	var b strings.Builder
	for _, r := range fixDigits(s, "") {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// NormalizeAmount turns "200.000.000 đồng" into "200000000"; a decimal comma stays
// ("45,5 m²" → "45,5"), as Vietnamese writes it.
func NormalizeAmount(s string) string {
	s = strings.TrimSpace(s)
	var num strings.Builder
	for _, r := range fixDigits(s, ".,") {
		if (r >= '0' && r <= '9') || r == '.' || r == ',' {
			num.WriteRune(r)
		} else if num.Len() > 0 && r != ' ' {
			break
		}
	}
	n := num.String()
	if i := strings.LastIndexByte(n, ','); i >= 0 && len(n)-i-1 != 3 {
		// "45,5": decimal comma
		return strings.NewReplacer(".", "", ",", "").Replace(n[:i]) + "," + n[i+1:]
	}
	return strings.NewReplacer(".", "", ",", "").Replace(n)
}

// snapCatalog returns the catalogue entry s stands for: the entry whose folded spelling is
// s's, else the one entry near it. Near is an edit distance on the folded forms of at most
// one for a value of two to seven letters and two from eight, where a letter read for one of
// the same shape ("BG" for "Bố": G for a round o) costs half an edit; and only when no other
// entry is as near ("Na" is as near Nam as Nữ: it stays as read). A value of one letter only
// snaps to an entry spelt the same.
func snapCatalog(list []string, s string) (string, bool) {
	f := Fold(s)
	if f == "" {
		return s, false
	}
	best, bestD, secondD := "", math.Inf(1), math.Inf(1)
	for _, v := range list {
		d := shapeDistance(Fold(v), f)
		switch {
		case d == 0 && bestD == 0:
			// two entries spelt alike without marks: the one with s's marks
			if norm.NFC.String(strings.TrimSpace(s)) == v {
				best = v
			}
		case d < bestD:
			best, bestD, secondD = v, d, bestD
		case d < secondD:
			secondD = d
		}
	}
	n := len([]rune(strings.ReplaceAll(f, " ", "")))
	tol := 0.0
	switch {
	case n >= 8:
		tol = 2
	case n >= 2:
		tol = 1
	}
	if bestD == 0 || (bestD <= tol && secondD > bestD) {
		return best, true
	}
	// A stain read as a letter no Vietnamese word has ("NữŸ"): without it.
	if kept := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) && !vietLetter(r) {
			return -1
		}
		return r
	}, norm.NFC.String(s)); kept != norm.NFC.String(s) && Fold(kept) != "" {
		if v, ok := snapCatalog(list, kept); ok {
			return v, true
		}
	}
	return s, false
}

// shapeClass groups the folded letters (and digits) OCR reads one for another by their
// shape: the round ones (o, c, g, q, d, 0, 6: "BG" for "Bố", "D" for "O") and the upright
// strokes (i, l, 1, t, f, j).
var shapeClass = map[rune]int{'o': 1, 'c': 1, 'g': 1, 'q': 1, 'd': 1, '0': 1, '6': 1,
	'i': 2, 'l': 2, '1': 2, 't': 2, 'f': 2, 'j': 2}

// shapeDistance is the edit distance of folded strings a and b where substituting a letter
// of the same shape class costs half an edit.
func shapeDistance(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	prev := make([]float64, len(rb)+1)
	cur := make([]float64, len(rb)+1)
	for j := range prev {
		prev[j] = float64(j)
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = float64(i)
		for j := 1; j <= len(rb); j++ {
			c := 1.0
			if ra[i-1] == rb[j-1] {
				c = 0
			} else if k := shapeClass[ra[i-1]]; k != 0 && k == shapeClass[rb[j-1]] {
				c = 0.5
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// vietLetter says whether r is a letter of the Vietnamese alphabet (or f, j, w, z of
// loanwords and names), with Vietnamese marks only: not "Ÿ", "ü", "ç".
func vietLetter(r rune) bool {
	d := []rune(norm.NFD.String(string(unicode.ToLower(r))))
	if !strings.ContainsRune("abcdđefghijklmnopqrstuvwxyz", d[0]) {
		return false
	}
	for _, m := range d[1:] {
		switch m {
		case '\u0300', '\u0301', '\u0303', '\u0309', '\u0323', '\u0302', '\u0306', '\u031b':
		default:
			return false
		}
	}
	return true
}

// Normalize returns the canonical form of a value of field f: NFC, single spaces, and by
// type: names in title case, dates dd/mm/yyyy, IDs and numbers digits only, amounts plain
// numbers, catalogue values snapped to the catalogue's spelling.
func Normalize(f Field, s string) string {
	s = norm.NFC.String(strings.Join(strings.Fields(s), " "))
	s = strings.Trim(s, " :;")
	switch f.Type {
	case TypeName:
		return NormalizeName(s)
	case TypeDate:
		return NormalizeDate(s)
	case TypePersonalID, TypeNumber:
		return NormalizeDigits(s)
	case TypeAmount:
		return NormalizeAmount(s)
	case TypeCatalog:
		if v, ok := snapCatalog(List(f.Catalog), s); ok {
			return v
		}
	case TypeText:
		if f.OCR.re != nil && !f.OCR.re.MatchString(s) {
			// Letters read for digits in the numeric parts of "12/2020/KS".
			parts := strings.Split(s, "/")
			for i := range parts {
				if i < len(parts)-1 || len(parts) == 1 {
					parts[i] = fixDigits(parts[i], "")
				}
			}
			if fixed := strings.ReplaceAll(strings.Join(parts, "/"), " ", ""); f.OCR.re.MatchString(fixed) {
				return fixed
			}
		}
	}
	return s
}

// Equal says whether two values of field f are the same after normalisation (names compare
// case-insensitively).
func Equal(f Field, a, b string) bool {
	na, nb := Normalize(f, a), Normalize(f, b)
	if f.Type == TypeName {
		return strings.EqualFold(na, nb)
	}
	return na == nb
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
