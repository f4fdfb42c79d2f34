package records

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/queue"
)

func bundled(t testing.TB) *Registry {
	t.Helper()
	reg, err := LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestExtractGroundTruthWords runs extraction on words built from the generator's ground
// truth for many documents of every type and requires 90% exact matches per type.
func TestExtractGroundTruthWords(t *testing.T) {
	reg := bundled(t)
	n := 120
	if testing.Short() {
		n = 30
	}
	scal := map[string]*score{}
	tab := map[string]*score{}
	misses := map[string]int{}
	for i := 0; i < n; i++ {
		doc, _, err := docgen.Generate(7, i, docgen.Options{DPI: 300, Clean: true})
		if err != nil {
			// The generator refuses a few layouts (a member table too wide for the page).
			t.Logf("docgen %d: %v", i, err)
			continue
		}
		rt, ok := reg.Get(doc.Type)
		if !ok {
			t.Fatalf("no record type for docgen type %q", doc.Type)
		}
		s, tb := accuracy(t, rt, doc, ExtractPages(rt, truthWords(doc)), misses)
		if scal[doc.Type] == nil {
			scal[doc.Type], tab[doc.Type] = &score{}, &score{}
		}
		scal[doc.Type].ok += s.ok
		scal[doc.Type].total += s.total
		tab[doc.Type].ok += tb.ok
		tab[doc.Type].total += tb.total
	}
	for _, typ := range docgen.Types {
		s, tb := scal[typ], tab[typ]
		if s == nil {
			t.Errorf("no documents of type %s generated", typ)
			continue
		}
		t.Logf("%-10s fields %4d/%4d = %5.1f%%   table cells %4d/%4d = %5.1f%%", typ, s.ok, s.total, s.pct(), tb.ok, tb.total, tb.pct())
		if s.pct() < 90 {
			t.Errorf("%s: field accuracy %.1f%% < 90%%", typ, s.pct())
		}
		if tb.total > 0 && tb.pct() < 90 {
			t.Errorf("%s: table accuracy %.1f%% < 90%%", typ, tb.pct())
		}
	}
	var keys []string
	for k := range misses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("missed %-28s %d", k, misses[k])
	}
}

// TestExtractTableDamagedRowNumbers: on a damaged scan Tesseract loses or misreads the small
// row numbers of a member table ("+" for 1, "_" for 5, "34" for 3, "8."), puts one alone on
// its own line, and drops the spaces of a title-case name ("TrầnThịVy"). Every row is still
// read under the right number, and the prose after the table ends it.
func TestExtractTableDamagedRowNumbers(t *testing.T) {
	reg := bundled(t)
	rt, _ := reg.Get("household")
	var pw PageWords
	ls := &lines{pw: &pw, y: 100}
	add := ls.add
	add("STT", "@420:Họ,", "chữ", "đệm,", "tên", "@880:Ngày", "sinh", "@1120:Giới", "tính", "@1300:Số", "định", "danh", "@1620:Quan", "hệ")
	add("+", "@426:Bùi", "Hoàng", "Nghĩa", "@883:26/06/1960", "@1120:Nam", "@1300:064060931094", "@1620:Chủ", "hộ")
	add("2", "@428:TrầnThịVy", "@886:10/02/1962", "@1120:Nữ", "@1300:089162832134", "@1620:Vợ")
	add("34", "@424:Bùi", "Mai", "Ngân", "@890:17/06/1985", "@1120:Nữ", "@1300:068185903940", "@1620:Con")
	add("@417:Hoàng", "Văn", "Nam", "@883:28/03/2011", "@1120:Nam", "@1300:089211610954", "@1620:Con") // number lost
	add("_", "@420:Hoàng", "Quang", "Duy", "@883:02/11/2018", "@1120:Nam", "@1300:075218880652", "@1620:Con")
	ls.y -= 60
	add("@305:6") // the number alone, above its row
	add("@415:Lê", "Thị", "Hương", "@880:11/11/1985", "@1120:Nữ", "@1300:064185483498", "@1620:Vợ")
	add("8.", "@415:Hoàng", "Thị", "Ly", "@880:07/04/2024", "@1120:Nữ", "@1300:001324307629", "@1620:Con")
	add("Giấy", "xác", "nhận", "có", "giá", "trị", "30", "ngày", "kể", "từ", "ngày", "ký.")
	add("@305:9", "@420:Ghi", "chú") // after the table: not a row
	got := map[string]string{}
	for _, e := range ExtractPages(rt, []PageWords{pw}) {
		got[e.Key] = e.Value
	}
	want := map[string]string{
		"member_1_full_name": "Bùi Hoàng Nghĩa", "member_1_relation": "Chủ hộ", "member_1_personal_id": "064060931094",
		"member_2_full_name": "Trần Thị Vy", "member_2_date_of_birth": "10/02/1962",
		"member_3_full_name": "Bùi Mai Ngân", "member_3_gender": "Nữ",
		"member_4_full_name": "Hoàng Văn Nam", "member_4_personal_id": "089211610954",
		"member_5_full_name": "Hoàng Quang Duy", "member_5_date_of_birth": "02/11/2018",
		"member_6_full_name": "Lê Thị Hương", "member_6_relation": "Vợ",
		"member_7_full_name": "Hoàng Thị Ly", "member_7_personal_id": "001324307629",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for k := range got {
		if strings.HasPrefix(k, "member_8_") || strings.HasPrefix(k, "member_9_") {
			t.Errorf("prose after the table read as a row: %s = %q", k, got[k])
		}
	}
}

// TestExtractTableMisreadFirstNumber: on a straightened phone photo of a household page
// (real Tesseract words, capture 17 of testdata/captures) the first row's number 1 was read
// as "il", which reads as 11: the rows are still numbered 1 to 8 from their neighbours.
func TestExtractTableMisreadFirstNumber(t *testing.T) {
	reg := bundled(t)
	rt, _ := reg.Get("household")
	for _, p := range loadCaptures(t, "seed31-full.json.gz") {
		if p.Index != 17 {
			continue
		}
		got := map[string]string{}
		for _, e := range ExtractPages(rt, []PageWords{{Width: p.Width, Height: p.Height, Words: p.Words}}) {
			got[e.Key] = e.Value
		}
		first := ""
		for _, w := range p.Words {
			if w.Text == "il" {
				first = w.Text
			}
		}
		if first == "" {
			t.Fatal("capture 17 no longer has the misread row number")
		}
		for _, f := range p.Fields {
			if !strings.HasPrefix(f.Key, "member_") || strings.HasSuffix(f.Key, "_full_name") {
				continue // names are TestRestoreNameMarks's
			}
			if g := got[f.Key]; g != f.Value {
				t.Errorf("%s = %q, want %q", f.Key, g, f.Value)
			}
		}
		for k := range got {
			if strings.HasPrefix(k, "member_1") && len(k) > len("member_1") && k[len("member_1")] != '_' {
				t.Errorf("row numbered from the misread number: %s", k)
			}
		}
		return
	}
	t.Fatal("capture 17 not found")
}

// TestExtractTableMisreadIndexTokens: the index column read as letters ("il", "l", "I",
// "|", "i", "1."), or a stain line between two rows, neither drops nor renumbers rows.
func TestExtractTableMisreadIndexTokens(t *testing.T) {
	reg := bundled(t)
	rt, _ := reg.Get("household")
	for _, first := range []string{"il", "l", "I", "|", "i", "1.", "1", "Il"} {
		var pw PageWords
		add := (&lines{pw: &pw, y: 100}).add
		add("STT", "@420:Họ,", "chữ", "đệm,", "tên", "@880:Ngày", "sinh", "@1120:Giới", "tính", "@1300:Số", "định", "danh", "@1620:Quan", "hệ")
		add(first, "@426:Bùi", "Hoàng", "Nghĩa", "@883:26/06/1960", "@1120:Nam", "@1300:064060931094", "@1620:Chủ", "hộ")
		add("2", "@428:Trần", "Thị", "Vy", "@886:10/02/1962", "@1120:Nữ", "@1300:089162832134", "@1620:Vợ")
		add("@700:~~", "@1000:ii") // a stain between rows
		add("3", "@424:Bùi", "Mai", "Ngân", "@890:17/06/1985", "@1120:Nữ", "@1300:068185903940", "@1620:Con")
		add("Giấy", "xác", "nhận", "có", "giá", "trị", "30", "ngày", "kể", "từ", "ngày", "ký.")
		got := map[string]string{}
		for _, e := range ExtractPages(rt, []PageWords{pw}) {
			got[e.Key] = e.Value
		}
		want := map[string]string{
			"member_1_full_name": "Bùi Hoàng Nghĩa", "member_1_relation": "Chủ hộ", "member_1_personal_id": "064060931094",
			"member_2_full_name": "Trần Thị Vy", "member_2_date_of_birth": "10/02/1962",
			"member_3_full_name": "Bùi Mai Ngân", "member_3_gender": "Nữ", "member_3_personal_id": "068185903940",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("first number %q: %s = %q, want %q", first, k, got[k], v)
			}
		}
		for k := range got {
			if strings.HasPrefix(k, "member_4_") || strings.HasPrefix(k, "member_11_") {
				t.Errorf("first number %q: %s = %q", first, k, got[k])
			}
		}
	}
}

// TestExtractPlaceDateNotALabel: on a fax of a business registration (real Tesseract words,
// capture 12) the place-and-date line "Tam Bình, ngày 9 tháng 5 năm 2021" is not the label
// "Sinh ngày" ("Bình, ngày" is one letter off, and "Tam" is no item number though T reads
// as 7): the issue date is found there.
func TestExtractPlaceDateNotALabel(t *testing.T) {
	reg := bundled(t)
	rt, _ := reg.Get("business")
	f, _ := rt.Field("issue_date")
	for _, p := range loadCaptures(t, "seed31-full.json.gz") {
		if p.Index != 12 {
			continue
		}
		for _, e := range ExtractPages(rt, []PageWords{{Width: p.Width, Height: p.Height, Words: p.Words}}) {
			if e.Key == "issue_date" {
				if !Equal(f, e.Value, "ngày 9 tháng 5 năm 2021") {
					t.Errorf("issue_date = %q", e.Value)
				}
				return
			}
		}
		t.Fatal("issue_date not found")
	}
	t.Fatal("capture 12 not found")
}

// TestExtractLabelAfterCellGap: on a fax of a birth certificate (real Tesseract words,
// seed 32 capture 4) the colon of "Dân tộc:" was lost in the middle of the line; the label
// still starts a cell (a wide gap before it), so the sex is Nữ and the ethnicity Khmer.
// Words of a value a space apart are not labels: "Bán lẻ điện thoại di động" stays one
// business line.
func TestExtractLabelAfterCellGap(t *testing.T) {
	reg := bundled(t)
	rt, _ := reg.Get("birth")
	var p *capturedPage
	pages := loadCaptures(t, "seed32-full.json.gz")
	for i := range pages {
		if pages[i].Index == 4 {
			p = &pages[i]
		}
	}
	if p == nil {
		t.Fatal("capture 4 not found")
	}
	got := map[string]string{}
	for _, e := range ExtractPages(rt, []PageWords{{Width: p.Width, Height: p.Height, Words: p.Words}}) {
		got[e.Key] = e.Value
	}
	if got["gender"] != "Nữ" || got["ethnicity"] != "Khmer" {
		t.Errorf("gender %q, ethnicity %q; want Nữ, Khmer", got["gender"], got["ethnicity"])
	}
	biz, _ := reg.Get("business")
	var ws []queue.Word
	x := 100
	for _, s := range []string{"3.", "Ngành,", "nghề", "kinh", "doanh:", "Bán", "lẻ", "điện", "thoại", "di", "động"} {
		w := 14 * len([]rune(s))
		ws = append(ws, queue.Word{Text: s, X0: x, X1: x + w, Y0: 500, Y1: 528, Conf: 95})
		x += w + 10
	}
	line := ""
	for _, e := range Extract(biz, ws, 1240, 1754) {
		if e.Key == "business_line" {
			line = e.Value
		}
		if e.Key == "phone" {
			t.Errorf("phone read inside the business line: %q", e.Value)
		}
	}
	if line != "Bán lẻ điện thoại di động" {
		t.Errorf("business_line = %q", line)
	}
}

// lines puts lines of words on a page, 120 px apart, from y = 100: add("@x:text", …) puts
// one; a word "@x:text" starts at x, others follow the one before it.
type lines struct {
	pw *PageWords
	y  int
}

func (l *lines) add(texts ...string) {
	x := 300
	for _, s := range texts {
		if strings.HasPrefix(s, "@") {
			at, rest, _ := strings.Cut(s[1:], ":")
			x, _ = strconv.Atoi(at)
			s = rest
		}
		w := 20 * len([]rune(s))
		l.pw.Words = append(l.pw.Words, queue.Word{Text: s, X0: x, X1: x + w, Y0: l.y, Y1: l.y + 40, Conf: 90})
		x += w + 15
	}
	l.y += 120
}
