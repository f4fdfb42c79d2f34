package vicorrect

import (
	"strings"
	"testing"

	"github.com/sohoa/sohoa/ocr"
)

// line makes the words of one line from "text@conf" items.
func line(items ...string) []ocr.Word {
	var ws []ocr.Word
	for i, it := range items {
		text, conf, _ := strings.Cut(it, "@")
		c := 60.0
		switch conf {
		case "sure":
			c = 99
		case "hi":
			c = 95.7
		case "mid":
			c = 91.8
		}
		ws = append(ws, ocr.Word{Text: text, Conf: c, Line: 1, X0: 10 * i})
	}
	return ws
}

func texts(ws []ocr.Word) string {
	var s []string
	for _, w := range ws {
		s = append(s, w.Text)
	}
	return strings.Join(s, " ")
}

// TestPhrases: runs Tesseract read on faxes and phone photos of generated records
// (records/testdata/captures) get the marks of the one lexicon phrase they spell (lost marks,
// or a tone confused below MaxConf); words read with other vowel marks, sure words, digits,
// names that only part of a unit name spells, and runs two phrases share stay as read.
func TestPhrases(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		in   []ocr.Word
		want string
	}{
		{line("CUA", "HÀNG@sure", "THỜI@sure", "TRANG@sure", "UYÊN@sure"), "CỬA HÀNG THỜI TRANG UYÊN"}, // not "CỦA"
		{line("QUAN@hi", "CÀ@sure", "PHÊ@sure", "OANH@sure"), "QUÁN CÀ PHÊ OANH"},
		{line("Bệnh@sure", "viện@sure", "Da", "khoa@sure", "Vĩnh@sure", "Long,@sure"), "Bệnh viện Đa khoa Vĩnh Long,"},
		{line("Long,@sure", "Tinh@hi", "Vĩnh@sure", "Long@sure"), "Long, Tỉnh Vĩnh Long"},
		{line("đường@sure", "Ly", "Thường@sure", "Kiệt,@sure"), "đường Lý Thường Kiệt,"},
		{line("Bán@sure", "lé@mid", "quần@sure", "áo,@sure"), "Bán lẻ quần áo,"}, // a tone confused
		{line("Bán@sure", "lé@hi", "quần@sure", "áo,@sure"), "Bán lé quần áo,"},  // … above MaxConf
		{line("ĐỒNG@sure", "VÂN@mid"), "ĐỒNG VÂN"},                               // vowel marks: not for a phrase
		// a real page's "PHƯƠNG TIỆN PHÒNG CHÁY": no word as Phường Tiền Phong spells it
		{line("PHƯƠNG@mid", "TIỆN@mid", "PHÒNG@mid", "CHÁY@mid"), "PHƯƠNG TIỆN PHÒNG CHÁY"},
		{line("DAU", "TU"), "ĐẦU TƯ"},               // marks lost on every word of the run
		{line("CỬA@sure", "HÀNG@sure"), "CỬA HÀNG"}, // right as read
		{line("CUA@sure", "HÀNG@sure"), "CUA HÀNG"}, // Tesseract is sure
		// (above MaxConf below: what the phrase pass does, not the word model)
		{line("CUA@hi", "12"), "CUA 12"},                              // a number is no syllable
		{line("PHAN@sure", "HỒNG@sure", "LINH@hi"), "PHAN HỒNG LINH"}, // not Phường Hồng Lĩnh's name
		{line("HOÀNG@sure", "VĂN", "KHÁNH@sure"), "HOÀNG VĂN KHÁNH"},
	} {
		if got := texts(c.Words(tc.in)); got != tc.want {
			t.Errorf("%q → %q, want %q", texts(tc.in), got, tc.want)
		}
	}
	if lostOnly("lé", "lẻ") || lostOnly("Văn", "vân") || !lostOnly("CUA", "cửa") || !lostOnly("Tinh", "tỉnh") || !lostOnly("ưng", "ửng") {
		t.Error("lostOnly")
	}
	if !toneOnly("lé", "lẻ") || !toneOnly("LÈ", "lẻ") || toneOnly("Văn", "vân") || toneOnly("cua", "cửa") || toneOnly("LỄ", "lẻ") || toneOnly("PHÒNG", "phong") {
		t.Error("toneOnly")
	}
	// Two phrases spelt alike without marks: neither is restored.
	p := NewPhrases([]string{"bán hàng", "bàn hàng"}, nil)
	if _, ok := p.Lookup([]string{"BAN", "HANG"}); ok {
		t.Error("ambiguous run restored")
	}
	if got, ok := p.Lookup([]string{"ban"}); ok {
		t.Errorf("one word looked up: %q", got)
	}
	// Unit names count only whole.
	p = NewPhrases(nil, []string{"Phường Hồng Lĩnh"})
	if _, ok := p.Lookup([]string{"Hồng", "Linh"}); ok {
		t.Error("part of a unit name looked up")
	}
	if got, ok := p.Lookup([]string{"PHUONG", "HONG", "LINH"}); !ok || strings.Join(got, " ") != "phường hồng lĩnh" {
		t.Errorf("unit name: %q %v", got, ok)
	}
}
