package records

import (
	"strings"
	"testing"

	"github.com/sohoa/sohoa/queue"
	"golang.org/x/text/unicode/norm"
)

// FuzzParse: any bytes as a record type file give a type or an ErrSchema error, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"key":"x","name_vi":"X","name_en":"X","fields":[{"key":"a","label_vi":"A","label_en":"A","type":"text","ocr":{"anchors":["A"]}}]}`))
	f.Add([]byte(`{"key":"x","fields":[{"key":"a","type":"catalog","catalog":"gender","ocr":{"after":"a"}}],"checks":[{"kind":"id_matches","fields":["a"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rt, err := Parse("f.json", data)
		if err == nil {
			Validate(rt, map[string]string{}, refNow)
			ExtractPages(rt, nil)
		}
	})
}

// FuzzNormalize: normalisation never panics and is idempotent for every field type.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"ngày 12 tháng 3 năm 1998", "3O/O4/2O2O", "4.080.000.000 đồng", "45,5", "NGUYỄN VĂN AN", "Nữ", "0l2 345", "ǅ", "1,2,3"} {
		f.Add(s)
	}
	types := []Field{{Type: TypeText}, {Type: TypeName}, {Type: TypeDate}, {Type: TypePersonalID}, {Type: TypeNumber},
		{Type: TypeAmount}, {Type: TypeCatalog, Catalog: "ethnicity"}, {Type: TypeAdminUnit}, {Type: TypeFreeText}}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fl := range types {
			n := Normalize(fl, s)
			if n2 := Normalize(fl, n); n2 != n {
				t.Errorf("%s: Normalize(%q) = %q but Normalize(%q) = %q", fl.Type, s, n, n, n2)
			}
			validateField(fl, s, refNow)
		}
		ParseDate(s)
	})
}

// FuzzExtract: any words on a page give well-formed results for every bundled type.
func FuzzExtract(f *testing.F) {
	f.Add("Họ, chữ đệm, tên: NGUYỄN VĂN AN\nGiới tính:Nam Dân tộc: Kinh\nSTT Họ, chữ đệm, tên Ngày sinh\n1 An 01/01/2000 Nam 001200123456 Con")
	f.Add("Thông tin Chồng Vợ\nDân tộc Kinh\n: : :\nHà Nội, ngày 1 tháng 2 năm")
	reg, err := LoadBundled()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var ws []queue.Word
		for li, l := range strings.Split(text, "\n") {
			x := 0
			for _, w := range strings.Fields(l) {
				ws = append(ws, queue.Word{Text: w, X0: x, X1: x + 10*len(w), Y0: 50 * li, Y1: 50*li + 30, Conf: 50, Line: li + 1})
				x += 10*len(w) + 5
			}
		}
		for _, rt := range reg.Types() {
			for _, e := range Extract(rt, ws, 2480, 3508) {
				if _, ok := rt.Field(e.Key); !ok {
					t.Errorf("%s: extracted unknown key %q", rt.Key, e.Key)
				}
				if e.Confidence < 0 || e.Confidence > 1 {
					t.Errorf("confidence %v", e.Confidence)
				}
			}
		}
	})
}

// FuzzSuspicious: the suspicious-value check never panics, its spans lie inside the value
// (in runes, after NFC) and its messages never quote the value.
func FuzzSuspicious(f *testing.F) {
	for _, s := range []string{"Nguyễn Mai Phương Huong", "N®", "0011980l2345", "12/O3/1998", "H'Hen Niê", "Đắk Lắk", "", " - ", "ǅ\u0301\u0301", "a\u0323\u0301"} {
		f.Add(s)
	}
	types := []Field{{Type: TypeText}, {Type: TypeName}, {Type: TypeDate}, {Type: TypePersonalID}, {Type: TypeNumber},
		{Type: TypeAmount}, {Type: TypeCatalog, Catalog: "gender"}, {Type: TypeAdminUnit}, {Type: TypeFreeText}}
	f.Fuzz(func(t *testing.T, s string) {
		n := len([]rune(norm.NFC.String(s)))
		for _, fl := range types {
			for _, sp := range Suspicious(fl, s) {
				if sp.Start < 0 || sp.End > n || sp.Start >= sp.End {
					t.Fatalf("%s %q: span [%d,%d) outside %d runes", fl.Type, s, sp.Start, sp.End, n)
				}
				if len(s) > 3 && (strings.Contains(sp.Vi, s) || strings.Contains(sp.En, s)) {
					t.Fatalf("message quotes the value: %+v", sp)
				}
			}
		}
		for _, w := range strings.Fields(s) {
			ValidSyllable(w)
		}
	})
}
