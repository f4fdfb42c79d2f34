package records

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/sohoa/sohoa/internal/testenv"
)

// TestValidSyllableAcceptsDictionary: every syllable of the hunspell-vi dictionary (new and
// old tone placement; acronyms and loan words without Vietnamese structure left out) is a
// valid syllable for the structural checker, so real names are not marked.
func TestValidSyllableAcceptsDictionary(t *testing.T) {
	dir := filepath.Join(testenv.Corpus(), "wordlists-vi", "hunspell-vi")
	for _, name := range []string{"vi-DauMoi.dic", "vi-DauCu.dic"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("the shared corpus's hunspell-vi dictionary is needed: %v", err)
		}
		lines := strings.Split(string(data), "\n")[1:]
		n, bad := 0, []string{}
		for _, l := range lines {
			w, _, _ := strings.Cut(strings.TrimSpace(l), "/")
			if w == "" || loanWord(w) {
				continue
			}
			n++
			if !ValidSyllable(w) {
				bad = append(bad, w)
			}
		}
		if n < 6000 {
			t.Fatalf("%s: only %d syllables read", name, n)
		}
		if len(bad) > 0 {
			t.Errorf("%s: %d of %d dictionary syllables refused: %q", name, len(bad), n, bad)
		}
	}
}

// loanWord: the dictionary's acronyms and foreign words (ASCII, GIF, email, internet…).
func loanWord(w string) bool {
	if strings.ToUpper(w) == w && len([]rune(w)) > 1 {
		return true
	}
	switch strings.ToLower(w) {
	case "email", "internet", "intranet", "unicode", "web", "tout", "telex", "gram", "tivi", "palăng", "basoi", "ping", "ka", "tp", "tuyn":
		return true
	}
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return true
		}
	}
	return len([]rune(w)) == 1 && !strings.ContainsRune("aáàảãạăâeêéiíìoóòôơuúùưyýỳ", []rune(strings.ToLower(w))[0])
}

func TestValidSyllableRefusesMalformed(t *testing.T) {
	for _, w := range []string{"Huong", "Nguyen", "Thuong", "Truong", "Phuong", "Tuyet", "Nguyet", "Duong",
		"Xuan", "Kim0", "Nga5", "Smith", "Wang", "Hồàng", "Hoàngg", "Ka", "Ce", "Ngi", "Mìt", "Bảc", "Ghu"} {
		if ValidSyllable(w) {
			t.Errorf("%q accepted as a Vietnamese syllable", w)
		}
	}
	for _, w := range []string{"Hương", "Nguyễn", "Thương", "Trường", "Phương", "Tuyết", "Nguyệt", "Dương", "Xuân",
		"Quỳnh", "Kim", "Nga", "Mai", "Hùng", "Gì", "Gìn", "Giang", "Quốc", "Khuya", "Ngoằn", "Nghĩa", "Kỳ", "Thủy", "Thuỷ",
		"Hòa", "Hoà", "Đức", "Ghi", "Đắk", "Lắk", "Ánh", "Yến", "Oanh", "Huy", "Ngọc", "Việt", "Quý", "Quang", "Gia"} {
		if !ValidSyllable(w) {
			t.Errorf("%q refused", w)
		}
	}
}

func TestSuspicious(t *testing.T) {
	name := Field{Key: "full_name", Type: TypeName}
	id := Field{Key: "personal_id", Type: TypePersonalID}
	gender := Field{Key: "gender", Type: TypeCatalog, Catalog: "gender"}
	date := Field{Key: "date_of_birth", Type: TypeDate}
	text := Field{Key: "document_number", Type: TypeText}
	cases := []struct {
		f     Field
		v     string
		codes []string
		span  [2]int // of the first suspicion
	}{
		{name, "Nguyễn Mai Phương Huong", []string{"suspicious.syllable"}, [2]int{18, 23}},
		{name, "Nguyen Mai Phương Hương", []string{"suspicious.syllable"}, [2]int{0, 6}},
		{name, "Nguyễn Mai Phương Hương", nil, [2]int{}},
		{name, "NGUYỄN VĂN AN", nil, [2]int{}},
		{name, "Trần Văn 8ình", []string{"suspicious.name_digits"}, [2]int{9, 10}},
		{name, "Lê Thị H®a", []string{"suspicious.chars"}, [2]int{8, 9}},
		{id, "0011980l2345", []string{"suspicious.id_letters"}, [2]int{7, 8}},
		{id, "001198012345", nil, [2]int{}},
		{gender, "N®", []string{"suspicious.chars"}, [2]int{1, 2}},
		{gender, "Nữ", nil, [2]int{}},
		{date, "12/O3/1998", []string{"suspicious.id_letters"}, [2]int{3, 4}},
		{date, "ngày 12 tháng 3 năm 1998", nil, [2]int{}},
		{text, "125/2019/HK", nil, [2]int{}},
		{text, "125/2019/H©", []string{"suspicious.chars"}, [2]int{10, 11}},
	}
	for _, c := range cases {
		got := Suspicious(c.f, c.v)
		var codes []string
		for _, s := range got {
			codes = append(codes, s.Code)
		}
		if strings.Join(codes, ",") != strings.Join(c.codes, ",") {
			t.Errorf("%s %q: suspicions %v, want %v", c.f.Key, c.v, codes, c.codes)
			continue
		}
		if len(got) > 0 && (got[0].Start != c.span[0] || got[0].End != c.span[1]) {
			t.Errorf("%s %q: span [%d,%d), want %v", c.f.Key, c.v, got[0].Start, got[0].End, c.span)
		}
		for _, s := range got {
			if strings.Contains(s.Vi, c.v) || strings.Contains(s.En, c.v) {
				t.Errorf("message names the value: %+v", s)
			}
		}
	}
}

// TestValidateReportsSuspicious: a confident-looking but suspicious value is a warning of
// validation (so the CLI and submit see it too), naming the field by its label.
func TestValidateReportsSuspicious(t *testing.T) {
	rt := &RecordType{Key: "t", Fields: []Field{
		{Key: "full_name", LabelVi: "Họ và tên", LabelEn: "Full name", Type: TypeName},
		{Key: "gender", LabelVi: "Giới tính", LabelEn: "Sex", Type: TypeCatalog, Catalog: "gender"},
	}}
	ps := Validate(rt, map[string]string{"full_name": "Nguyễn Mai Phương Huong", "gender": "Nữ"}, refNow)
	if len(ps) != 1 || ps[0].Key != "full_name" || ps[0].Severity != SeverityWarning || ps[0].Code != "suspicious.syllable" ||
		!strings.HasPrefix(ps[0].Vi, "Họ và tên") {
		t.Fatalf("problems %v", ps)
	}
}
