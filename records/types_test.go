package records

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sohoa/sohoa/internal/docgen"
)

func TestBundledTypes(t *testing.T) {
	reg := bundled(t)
	for _, k := range []string{"birth", "marriage", "household", "business", "land", "generic", "khai_sinh", "land_use_right", "van_ban_hanh_chinh"} {
		if _, ok := reg.Get(k); !ok {
			t.Errorf("record type %q missing", k)
		}
	}
	for _, typ := range docgen.Types {
		if _, ok := reg.Get(typ); !ok {
			t.Errorf("docgen type %q has no record type", typ)
		}
	}
	g, _ := reg.Get("generic")
	for _, k := range []string{"document_number", "issuing_agency", "issue_date", "subject", "signer_name"} {
		if _, ok := g.Field(k); !ok {
			t.Errorf("generic lacks %s", k)
		}
	}
	h, _ := reg.Get("household")
	if f, ok := h.Field("member_12_personal_id"); !ok || f.Type != TypePersonalID || f.Key != "member_12_personal_id" {
		t.Errorf("table cell lookup: %+v %v", f, ok)
	}
	if _, ok := h.Field("member_0_personal_id"); ok {
		t.Errorf("row 0 accepted")
	}
}

func TestSchemaErrors(t *testing.T) {
	good := `{"key":"x","name_vi":"X","name_en":"X","fields":[{"key":"a","label_vi":"A","label_en":"A","type":"text","ocr":{"anchors":["A"]}}]}`
	cases := []struct{ json, want string }{
		{`{`, "t.json"},
		{`{"key":"x","name_vi":"X","name_en":"X","fields":[],"bogus":1}`, "bogus"},
		{`{"key":"X Y","name_vi":"X","name_en":"X","fields":[]}`, "key"},
		{`{"key":"x","name_vi":"","name_en":"X","fields":[]}`, "name_vi"},
		{`{"key":"x","name_vi":"X","name_en":"X","fields":[]}`, "fields"},
		{strings.Replace(good, `"type":"text"`, `"type":"colour"`, 1), "fields[a].type"},
		{strings.Replace(good, `"anchors":["A"]`, `"anchors":[]`, 1), "fields[a].ocr.anchors"},
		{strings.Replace(good, `"anchors":["A"]`, `"anchors":["A"],"pattern":"("`, 1), "fields[a].ocr.pattern"},
		{strings.Replace(good, `"anchors":["A"]`, `"anchors":["A"],"after":"zz"`, 1), "fields[a].ocr.after"},
		{strings.Replace(good, `"anchors":["A"]`, `"anchors":["A"],"zone":{"x0":0.5,"y0":0,"x1":0.2,"y1":1}`, 1), "fields[a].ocr.zone"},
		{strings.Replace(good, `"type":"text"`, `"type":"catalog","catalog":"planets"`, 1), "fields[a].catalog"},
		{strings.TrimSuffix(good, "}") + `,"checks":[{"kind":"before","fields":["a","b"]}]}`, "checks[0].fields"},
		{strings.TrimSuffix(good, "}") + `,"checks":[{"kind":"sometimes","fields":["a","a"]}]}`, "checks[0].kind"},
		{strings.Replace(good, `"label_vi":"A"`, `"label_vi":""`, 1), "fields[a]"},
	}
	for _, c := range cases {
		_, err := Parse("t.json", []byte(c.json))
		if err == nil || !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "t.json") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming t.json and %q", c.json, err, c.want)
		}
	}
	if _, err := Parse("t.json", []byte(good)); err != nil {
		t.Errorf("good schema: %v", err)
	}
	// duplicate key across files
	fsys := fstest.MapFS{"r/a.json": {Data: []byte(good)}, "r/b.json": {Data: []byte(good)}}
	if _, err := Load(fsys, "r"); err == nil || !strings.Contains(err.Error(), "r/b.json") {
		t.Errorf("duplicate type: %v", err)
	}
	if _, err := Load(fstest.MapFS{}, "r"); err == nil {
		t.Errorf("empty folder accepted")
	}
}

func TestCatalogue(t *testing.T) {
	au, err := Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(au.Provinces) != 34 || len(au.CCCDCodes) != 63 {
		t.Fatalf("%d provinces, %d CCCD codes", len(au.Provinces), len(au.CCCDCodes))
	}
	olds := 0
	codes := map[string]bool{}
	for _, p := range au.Provinces {
		olds += len(p.MergedFrom)
		if codes[p.Code] {
			t.Errorf("duplicate code %s", p.Code)
		}
		codes[p.Code] = true
	}
	if olds != 63 {
		t.Errorf("the 34 provinces cover %d old provinces, want 63", olds)
	}
	// every old province of the CCCD table maps to a new one
	for code, name := range au.CCCDCodes {
		if _, ok := au.Successor(name); !ok {
			t.Errorf("CCCD %s %s has no successor", code, name)
		}
	}
	if p, ok := au.Successor("Tỉnh Hà Giang"); !ok || p.Name != "Tuyên Quang" {
		t.Errorf("Hà Giang → %v", p)
	}
	if p, old, ok := au.ProvinceIn("Số 5, đường Lê Lợi, Phường Bến Thành, Thành phố Hồ Chí Minh"); !ok || old != "" || p.Code != "79" {
		t.Errorf("HCM address: %v %q %v", p, old, ok)
	}
	if p, old, ok := au.ProvinceIn("Xã Tân Lập, Tỉnh Binh Duong"); !ok || old != "Bình Dương" || p.Name != "Hồ Chí Minh" {
		t.Errorf("old-name address: %v %q %v", p, old, ok)
	}
	if n := len(List("ethnicity")); n != 54 {
		t.Errorf("%d ethnic groups, want 54", n)
	}
}

func TestNormalize(t *testing.T) {
	name := Field{Type: TypeName}
	date := Field{Type: TypeDate}
	id := Field{Type: TypePersonalID}
	amt := Field{Type: TypeAmount}
	gender := Field{Type: TypeCatalog, Catalog: "gender"}
	cases := []struct {
		f       Field
		in, out string
	}{
		{name, "NGUYỄN  VĂN AN", "Nguyễn Văn An"},
		{name, "Ngo\u0302 Thi\u0323 Đào", "Ngô Thị Đào"}, // decomposed input → NFC
		{date, "ngày 12 tháng 3 năm 1998", "12/03/1998"},
		{date, "Ngày 05 tháng 02 năm 2024", "05/02/2024"},
		{date, "12/03/1998", "12/03/1998"},
		{date, "12-3-1998", "12/03/1998"},
		{date, "1.2.2001", "01/02/2001"},
		{date, "3O/O4/2O2O", "30/04/2020"},
		{date, "31/02/2020", "31/02/2020"}, // impossible: left as read
		{id, "O0l 09O 123456", "001090123456"},
		{id, "079-I86-623777", "079186623777"},
		{amt, "4.080.000.000 đồng", "4080000000"},
		{amt, "45,5 m²", "45,5"},
		{gender, "Nũ", "Nữ"},
		{Field{Type: TypeCatalog, Catalog: "ethnicity"}, "Mưòng", "Mường"},
		{gender, "nam", "Nam"},
	}
	for _, c := range cases {
		if got := Normalize(c.f, c.in); got != c.out {
			t.Errorf("Normalize(%s, %q) = %q, want %q", c.f.Type, c.in, got, c.out)
		}
	}
	for in, out := range map[string]string{"TrầnThịVy": "Trần Thị Vy", "Nguyễn ThuHoài Tâm": "Nguyễn Thu Hoài Tâm",
		"Ngo\u0302Thi\u0323": "Ngô Thị", "NGUYỄN VĂN": "NGUYỄN VĂN", "Lê Thị": "Lê Thị"} {
		if got := splitGluedName(in); got != out {
			t.Errorf("splitGluedName(%q) = %q, want %q", in, got, out)
		}
	}
	if !Equal(name, "TRẦN THỊ HẰNG", "Trần Thị Hằng") {
		t.Error("names compare case-insensitively")
	}
	if _, err := ParseDate("29/02/2023"); err == nil {
		t.Error("29/02/2023 accepted")
	}
	if d, err := ParseDate("29/02/2024"); err != nil || d.Year() != 2024 {
		t.Error("29/02/2024 refused")
	}
	if Fold("Họ, chữ đệm, tên:") != "ho chu dem ten" || Fold("ĐĂNG KÝ") != "dang ky" {
		t.Errorf("Fold: %q", Fold("Họ, chữ đệm, tên:"))
	}
	_ = time.Now
}

// TestExtractOCRErrors: labels misread by OCR (missing diacritics, a wrong letter, glued
// colon) are still found; a value word that looks like a label is not taken for one.
func TestExtractOCRErrors(t *testing.T) {
	reg := bundled(t)
	rt, _ := reg.Get("business")
	mk := func(line int, texts ...string) []word {
		var ws []word
		x := 100
		for _, s := range texts {
			ws = append(ws, word{})
			ws[len(ws)-1].Text = s
			ws[len(ws)-1].X0, ws[len(ws)-1].X1 = x, x+20*len([]rune(s))
			ws[len(ws)-1].Y0, ws[len(ws)-1].Y1 = 100*line, 100*line+40
			ws[len(ws)-1].Conf = 90
			ws[len(ws)-1].Line = line
			x += 20*len([]rune(s)) + 12
		}
		return ws
	}
	var pw PageWords
	for i, l := range [][]string{
		{"Ma", "so", "ho", "kinh", "doanh:", "O1O5179288"},
		{"1.", "Tên", "hộ", "kính", "doanh:", "CỬA", "HÀNG", "ĐIỆN", "THOẠI", "AN"},
		{"Điện", "thoại:", "0925535252"},
		{"Giớitính:Nữ", "Sinh", "ngày:", "14/05/1980"},
	} {
		for _, w := range mk(i+1, l...) {
			pw.Words = append(pw.Words, w.Word)
		}
	}
	got := map[string]string{}
	for _, e := range ExtractPages(rt, []PageWords{pw}) {
		got[e.Key] = e.Value
		if e.Confidence <= 0 || e.Confidence > 1 {
			t.Errorf("%s confidence %v", e.Key, e.Confidence)
		}
	}
	want := map[string]string{"business_code": "0105179288", "business_name": "CỬA HÀNG ĐIỆN THOẠI AN", "phone": "0925535252",
		"owner_gender": "Nữ", "owner_date_of_birth": "14/05/1980"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}
