package vicorrect

import (
	"testing"

	"github.com/sohoa/sohoa/ocr"
)

// TestCorrectWord: unsure words get the marks Tesseract dropped or confused, with the case
// and punctuation they had; digits, codes, inner punctuation and sure words are never touched.
func TestCorrectWord(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		prev, word, next string
		conf             float64
		want             string
	}{
		{"Tổ", "quôc", "", 60, "quốc"},
		{"", "Tô", "quốc", 60, "Tổ"},
		{"HÀ", "NỌI", "", 60, "NỘI"},
		{"của", "Thủ", "tướng", 50, "Thủ"},  // right already
		{"Căn", "cư", "Luật", 60, "cứ"},     // the bigram of the vocabulary
		{"", "(quôc)", "", 60, "(quốc)"},    // punctuation kept
		{"", "(quyên", "", 60, "(quyền"},    // a small letter: the more frequent word
		{"NGỌC", "TRINH", "", 88, "TRINH"},  // a name on a phone photo: "trình" is more frequent, no more
		{"Thị", "Trinh", "", 88, "Trinh"},   // …
		{"chính", "Quyên", "", 60, "Quyền"}, // a capital and the vocabulary's pair
		{"", "2O26", "", 10, "2O26"},        // a digit: never
		{"", "12/2025", "", 10, "12/2025"},  // a date
		{"", "UBND-KT", "", 10, "UBND-KT"},  // a code
		{"", "quôc", "", 99, "quôc"},        // Tesseract is sure
		{"", "THÙY", "", 92, "THÙY"},        // a known syllable above KnownMaxConf
		{"", "xyzw", "", 10, "xyzw"},        // no Vietnamese candidate
		{"", "Nghi", "định", 80, "Nghị"},    // capital kept
		{"", "ĐÔC", "LẬP", 70, "ĐỘC"},       // all capitals kept
		{"được", "ban", "hành", 70, "ban"},  // a frequent word in place
		{"", "Cong", "Thương", 70, "Công"},  //
		{"", "", "", 10, ""},                //
		{"", "—", "", 10, "—"},              //
	} {
		got, _ := c.Word(tc.prev, tc.word, tc.next, tc.conf)
		if got != tc.want {
			t.Errorf("Word(%q, %q, %q, %.0f) = %q, want %q", tc.prev, tc.word, tc.next, tc.conf, got, tc.want)
		}
	}
}

// TestCorrectWords: neighbours are taken within a line only; the boxes, confidences and order
// of the words stay; the input is not changed.
func TestCorrectWords(t *testing.T) {
	in := []ocr.Word{
		{Text: "Tô", Conf: 60, Line: 1, X0: 1},
		{Text: "quôc", Conf: 60, Line: 1, X0: 2},
		{Text: "2026", Conf: 10, Line: 2, X0: 3},
	}
	out := Default().Words(in)
	if in[0].Text != "Tô" || in[1].Text != "quôc" {
		t.Fatal("input changed")
	}
	if out[0].Text != "Tổ" || out[1].Text != "quốc" || out[2].Text != "2026" || out[1].X0 != 2 || out[1].Conf != 60 {
		t.Errorf("got %+v", out)
	}
}

// TestModelSources: the bundled model holds the written-language syllables, the vocabulary's
// pairs and the catalogue's unit names, and (when Debian's hunspell-vi is installed) its
// dictionary as known syllables.
func TestModelSources(t *testing.T) {
	m := DefaultModel()
	if len(m.known) < 6000 {
		t.Errorf("only %d known syllables", len(m.known))
	}
	for _, pair := range [][2]string{{"căn", "cứ"}, {"ủy", "ban"}, {"hạnh", "phúc"}, {"ba", "đình"}} {
		if m.bi[[2]string{Key(pair[0]), Key(pair[1])}] == 0 {
			t.Errorf("no pair %v", pair)
		}
	}
	if !m.Known(Key("Hoà")) || !m.Known(Key("hòa")) {
		t.Error("hoà/hòa unknown")
	}
}

// TestConcurrentUse: the pipeline's workers correct pages at the same time (run with -race).
func TestConcurrentUse(t *testing.T) {
	done := make(chan string)
	for i := 0; i < 4; i++ {
		go func() {
			out := Default().Words([]ocr.Word{{Text: "Tô", Conf: 60, Line: 1}, {Text: "quôc", Conf: 60, Line: 1}})
			done <- out[0].Text + " " + out[1].Text
		}()
	}
	for i := 0; i < 4; i++ {
		if got := <-done; got != "Tổ quốc" {
			t.Errorf("got %q", got)
		}
	}
}
