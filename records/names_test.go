package records

import (
	"strings"
	"testing"

	"github.com/sohoa/sohoa/queue"
)

// TestRestoreNameMarks: names as Tesseract read them on phone photos and 150-dpi faxes of
// generated records (testdata/captures) get the marks of their syllables back where the
// lexicon has one clearly dominant form for the place in the name; ambiguous spellings,
// syllables that are names as read, digits and changed marks in given names stay as read.
func TestRestoreNameMarks(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"NGUYEN THI HOA", "NGUYỄN THỊ HOA"},
		{"TRAN HỮU GIA HAI", "TRẦN HỮU GIA HẢI"},
		{"Trân Hữu Gia Hải", "Trần Hữu Gia Hải"},
		{"Nguyên Thanh Khánh", "Nguyễn Thanh Khánh"}, // Nguyên is a given name, not a family name
		{"Lé Thu Xuan", "Lê Thu Xuân"},               // a wrong mark on a family name
		{"Nguyén Thi Hoa", "Nguyễn Thị Hoa"},
		{"Ly Van Vinh", "Lý Văn Vinh"},
		{"nguyen van loc", "nguyễn văn lộc"},       // case kept
		{"Nguyen Van Hung", "Nguyễn Văn Hung"},     // Hùng or Hưng: left as read
		{"NGUYEN THUY NGOC", "NGUYỄN THUY NGỌC"},   // Thùy, Thủy or Thúy
		{"Le Van Thanh", "Lê Văn Thanh"},           // Thanh is a name as read (so is Thành)
		{"Trần Thị Bảo Nhan", "Trần Thị Bảo Nhan"}, // Nhàn or Nhân
		{"Trần Thị Báo", "Trần Thị Báo"},           // a given name's mark is never changed
		{"Phạm Văn Đức", "Phạm Văn Đức"},           // already right
		{"Hoa", "Hoa"},                     // one word: no place in a name
		{"Nguyen Van 12", "Nguyễn Văn 12"}, // digits untouched
		{"Nguyen Van A1", "Nguyễn Văn A1"},
		{"Smith John", "Smith John"}, // not in the lexicon
	} {
		got, changed := restoreNameMarks(c.in)
		if got != c.want {
			t.Errorf("restoreNameMarks(%q) = %q, want %q", c.in, got, c.want)
		}
		if changed != (got != c.in) {
			t.Errorf("restoreNameMarks(%q): changed = %v", c.in, changed)
		}
	}
}

// TestExtractRestoredNameProvenance: a name whose marks were restored keeps what was read
// as Raw (Suspicious still marks "NGUYEN" there), its value is the restored name, and its
// confidence is lower than for the same words read with their marks.
func TestExtractRestoredNameProvenance(t *testing.T) {
	reg := bundled(t)
	rt, _ := reg.Get("household")
	f, _ := rt.Field("full_name")
	page := func(name ...string) Extracted {
		ws := []queue.Word{{Text: "Họ,", X0: 100, X1: 150, Y0: 100, Y1: 130, Conf: 95}, {Text: "chữ", X0: 160, X1: 200, Y0: 100, Y1: 130, Conf: 95},
			{Text: "đệm,", X0: 210, X1: 260, Y0: 100, Y1: 130, Conf: 95}, {Text: "tên:", X0: 270, X1: 320, Y0: 100, Y1: 130, Conf: 95}}
		x := 340
		for _, n := range name {
			ws = append(ws, queue.Word{Text: n, X0: x, X1: x + 90, Y0: 100, Y1: 130, Conf: 93})
			x += 100
		}
		for _, e := range Extract(rt, ws, 2000, 3000) {
			if e.Key == "full_name" {
				return e
			}
		}
		t.Fatal("full_name not extracted")
		return Extracted{}
	}
	restored, read := page("NGUYEN", "THI", "HOA"), page("NGUYỄN", "THỊ", "HOA")
	if restored.Value != "Nguyễn Thị Hoa" || read.Value != restored.Value {
		t.Errorf("values %q and %q, want Nguyễn Thị Hoa", restored.Value, read.Value)
	}
	if restored.Raw != "NGUYEN THI HOA" {
		t.Errorf("Raw = %q, want the words as read", restored.Raw)
	}
	if restored.Confidence >= read.Confidence {
		t.Errorf("restored confidence %.2f, read %.2f: restored marks should count as less sure", restored.Confidence, read.Confidence)
	}
	if len(Suspicious(f, restored.Raw)) == 0 {
		t.Error("the raw NGUYEN is no longer marked suspicious")
	}
	if s := Suspicious(f, restored.Value); len(s) != 0 {
		t.Errorf("restored value marked: %v", s)
	}
	if !strings.Contains(restored.Raw, "NGUYEN") {
		t.Error("raw lost")
	}
}

// TestSnapCatalogStrayLetter: a stain read as a letter no Vietnamese word has ("NữŸ" on a
// fax) does not keep a catalogue value from snapping; a real misread still does not snap.
func TestSnapCatalogStrayLetter(t *testing.T) {
	g := Field{Type: TypeCatalog, Catalog: "gender"}
	for in, want := range map[string]string{"NữŸ": "Nữ", "Namü": "Nam", "Nữ": "Nữ", "Xyz": "Xyz"} {
		if got := Normalize(g, in); got != want {
			t.Errorf("Normalize(gender, %q) = %q, want %q", in, got, want)
		}
	}
}

// TestSnapCatalogNearOne: a catalogue value misread by a letter (real fax misreads: "Nt"
// for "Nữ", "BG" for "Bố") snaps to the one entry near it; a reading as near two entries,
// a one-letter reading and one far from all stay as read.
func TestSnapCatalogNearOne(t *testing.T) {
	g := Field{Type: TypeCatalog, Catalog: "gender"}
	rel := Field{Type: TypeCatalog, Catalog: "relation"}
	eth := Field{Type: TypeCatalog, Catalog: "ethnicity"}
	for _, c := range []struct {
		f       Field
		in, out string
	}{
		{g, "Nt", "Nữ"}, {g, "Na", "Na"}, {g, "Nit", "Nit"}, {g, "N", "N"}, {g, "Nan", "Nam"},
		{rel, "BG", "Bố"}, {rel, "Bo", "Bố"}, {rel, "Ba", "Bà"}, {rel, "Bx", "Bx"}, {rel, "Chu hộ", "Chủ hộ"},
		{rel, "Cháo", "Cháu"}, {rel, "Con dau", "Con dâu"},
		{eth, "Kinb", "Kinh"}, {eth, "Tay", "Tày"},
	} {
		if got := Normalize(c.f, c.in); got != c.out {
			t.Errorf("Normalize(%s, %q) = %q, want %q", c.f.Catalog, c.in, got, c.out)
		}
	}
	// No two entries of a bundled list are spelt alike without their marks and far from
	// every other; each entry snaps to itself from its folded spelling.
	for _, name := range []string{"gender", "relation", "ethnicity", "nationality"} {
		for _, v := range List(name) {
			if got, ok := snapCatalog(List(name), Fold(v)); !ok || got != v {
				t.Errorf("%s: %q folded snaps to %q, %v", name, v, got, ok)
			}
		}
	}
}

// TestSnapCatalogProvenance: a value snapped from other letters keeps what was read (Raw)
// and a confidence below the one a clerk may accept at once; one read right keeps its own.
func TestSnapCatalogProvenance(t *testing.T) {
	reg := bundled(t)
	for _, c := range []struct {
		file      string
		index     int
		kind, key string
		raw, want string
	}{
		{"seed32-full.json.gz", 22, "fax-150dpi", "gender", "Nt", "Nữ"},
		{"seed31-full.json.gz", 16, "fax-150dpi", "member_3_relation", "BG", "Bố"},
		{"seed31-full.json.gz", 16, "fax-150dpi", "member_1_relation", "Chủ hộ", "Chủ hộ"},
	} {
		var p *capturedPage
		pages := loadCaptures(t, c.file)
		for i := range pages {
			if pages[i].Index == c.index && pages[i].Kind == c.kind {
				p = &pages[i]
			}
		}
		if p == nil {
			t.Fatalf("%s: capture %d not found", c.file, c.index)
		}
		rt, _ := reg.Get(p.Type)
		found := false
		for _, e := range ExtractPages(rt, []PageWords{{Width: p.Width, Height: p.Height, Words: p.Words}}) {
			if e.Key != c.key {
				continue
			}
			found = true
			if e.Value != c.want || e.Raw != c.raw {
				t.Errorf("%s %d %s: value %q raw %q, want %q from %q", c.file, c.index, c.key, e.Value, e.Raw, c.want, c.raw)
			}
			if low := e.Confidence < queue.LowFieldConfidence; low != (c.raw != c.want) {
				t.Errorf("%s %d %s: confidence %.2f (low %v)", c.file, c.index, c.key, e.Confidence, low)
			}
		}
		if !found {
			t.Errorf("%s %d: %s not extracted", c.file, c.index, c.key)
		}
	}
}

// TestRestoreUnitMarks: the commune of an address read by OCR gets the catalogue's spelling
// when the province is read and one of its units has that name folded; the rest of the
// address, unknown units and units right as read stay as they are.
func TestRestoreUnitMarks(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Ủy ban nhân dân Phường Tran Biên, Tỉnh Đồng Nai", "Ủy ban nhân dân Phường Trấn Biên, Tỉnh Đồng Nai"},
		{"Số 6, đường Ba Trieu, Phường Nam Dinh, Tỉnh Ninh Bình", "Số 6, đường Ba Trieu, Phường Nam Định, Tỉnh Ninh Bình"},
		{"Phường Trấn Biên, Tỉnh Đồng Nai", "Phường Trấn Biên, Tỉnh Đồng Nai"},
		{"Phường Khong Co, Tỉnh Đồng Nai", "Phường Khong Co, Tỉnh Đồng Nai"},
		{"Phường Tran Biên", "Phường Tran Biên"}, // no province: not looked up
		{"Số 122, đường Quang Trung, Phường Thuận Hóa, Thanh phố Huế", "Số 122, đường Quang Trung, Phường Thuận Hóa, Thành phố Huế"},
		{"Xã Tam Bình, Tinh Vĩnh Long", "Xã Tam Bình, Tỉnh Vĩnh Long"},
	} {
		got, changed := restoreUnitMarks(c.in)
		if got != c.want || changed != (c.in != c.want) {
			t.Errorf("restoreUnitMarks(%q) = %q, %v; want %q", c.in, got, changed, c.want)
		}
	}
	for in, want := range map[string]string{
		"Số 106, đường Bà Triệu, Phường Đồng Xoài, Tỉnh ĐồngNai ˆ": "Số 106, đường Bà Triệu, Phường Đồng Xoài, Tỉnh Đồng Nai",
		"Thôn Đông, Xã Tam Bình, Tỉnh Vĩnh Long":                   "Thôn Đông, Xã Tam Bình, Tỉnh Vĩnh Long",
		"Số 12": "Số 12",
	} {
		if got := cleanUnitOCR(in); got != want {
			t.Errorf("cleanUnitOCR(%q) = %q, want %q", in, got, want)
		}
	}
	// Keyed values are not changed: only what OCR read is.
	if v := Normalize(Field{Type: TypeAdminUnit}, "Phường Tran Biên, Tỉnh Đồng Nai"); v != "Phường Tran Biên, Tỉnh Đồng Nai" {
		t.Errorf("Normalize changed a keyed address: %q", v)
	}
}

// TestRestoreDocCode: the Đ a fax reads as D in document symbols comes back; other codes
// and numbers stay as read.
func TestRestoreDocCode(t *testing.T) {
	for in, want := range map[string]string{
		"420/2018/DKHKD": "420/2018/ĐKHKD", "15/QD-UBND": "15/QĐ-UBND", "12/2020/KS": "12/2020/KS",
		"4020/2020/XNCT": "4020/2020/XNCT", "7/2019/DK": "7/2019/DK", "1/ND-CP": "1/NĐ-CP",
	} {
		if got, changed := restoreDocCode(in); got != want || changed != (in != want) {
			t.Errorf("restoreDocCode(%q) = %q, %v; want %q", in, got, changed, want)
		}
	}
}

// TestSameNameMarks: on a household page faxed at 150 dpi (seed 31, capture 10) the head's
// and the applicant's names in capitals lost their grave marks (HUNG, NHAN) that the member
// table's small letters kept: they take them. Marks are only added, from one spelling.
func TestSameNameMarks(t *testing.T) {
	reg := bundled(t)
	rt, _ := reg.Get("household")
	var p *capturedPage
	pages := loadCaptures(t, "seed31-full.json.gz")
	for i := range pages {
		if pages[i].Index == 10 && pages[i].Kind == "fax-150dpi" {
			p = &pages[i]
		}
	}
	if p == nil {
		t.Fatal("capture 10 not found")
	}
	got := map[string]Extracted{}
	for _, e := range ExtractPages(rt, []PageWords{{Width: p.Width, Height: p.Height, Words: p.Words}}) {
		got[e.Key] = e
	}
	for k, want := range map[string]string{"household_head": "Nguyễn Văn Hùng", "full_name": "Nguyễn Bảo Hoài Nhàn"} {
		if e := got[k]; e.Value != want || !strings.Contains(e.Raw, "HUNG") && !strings.Contains(e.Raw, "NHAN") {
			t.Errorf("%s = %q (raw %q), want %q", k, e.Value, e.Raw, want)
		}
	}
	for _, c := range []struct {
		read, full string
		ok         bool
	}{
		{"HUNG", "Hùng", true}, {"Nguyên", "Nguyễn", true}, {"Dao", "Đào", true}, {"Hùng", "Hùng", true},
		{"Hưng", "Hùng", false}, {"Hùng", "Hung", false}, {"Hung", "Hùng Anh", false}, {"Lé", "Lê", false},
	} {
		if marksLost(c.read, c.full) != c.ok {
			t.Errorf("marksLost(%q, %q) = %v", c.read, c.full, !c.ok)
		}
	}
	two := []Extracted{{Key: "household_head", Value: "Nguyễn Văn Hung"},
		{Key: "member_1_full_name", Value: "Nguyễn Văn Hùng"}, {Key: "member_2_full_name", Value: "Nguyễn Văn Hưng"}}
	sameNameMarks(rt, two)
	if two[0].Value != "Nguyễn Văn Hung" {
		t.Errorf("two spellings: took %q", two[0].Value)
	}
}
