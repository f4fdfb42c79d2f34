package vicorrect

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/testenv"
)

// TestValidHunspell: the syllable rules accept the syllables of hunspell-vi's dictionaries
// (both tone placements; read from the shared corpus, test only) and refuse what is not
// Vietnamese.
func TestValidHunspell(t *testing.T) {
	for _, name := range []string{"vi-DauMoi.dic", "vi-DauCu.dic"} {
		b, err := os.ReadFile(filepath.Join(testenv.Corpus(), "wordlists-vi", "hunspell-vi", name))
		if err != nil {
			t.Fatalf("corpus: %v", err)
		}
		total, bad := 0, []string{}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			w := strings.TrimSpace(strings.Split(line, "/")[0])
			if w == "" || strings.ToLower(w) != w { // abbreviations and names in capitals
				continue
			}
			total++
			if !Valid(w) {
				bad = append(bad, w)
			}
		}
		if total < 6000 {
			t.Fatalf("%s: only %d syllables read", name, total)
		}
		if float64(len(bad)) > 0.005*float64(total) {
			t.Errorf("%s: %d of %d syllables refused, e.g. %v", name, len(bad), total, bad[:min(len(bad), 30)])
		}
	}
	for _, w := range []string{"tôi", "NGHIÊNG", "Quyết", "gì", "giữa", "khuya", "hoà", "hòa", "thuỷ", "thủy", "nghĩa", "Việt", "đường", "ương"} {
		if !Valid(w) {
			t.Errorf("Valid(%q) = false", w)
		}
	}
	for _, w := range []string{"quôc", "tàt", "kan", "ngi", "ghà", "hoàá", "xyz", "UBND", "2026", "tổ1", "cá-nhân", "ơe"} {
		if Valid(w) {
			t.Errorf("Valid(%q) = true", w)
		}
	}
}

func TestKeyAndPlace(t *testing.T) {
	if Key("Hoà") != Key("hòa") || Key("THUỶ") != Key("thủy") || Key("hoa") == Key("hòa") {
		t.Errorf("keys: %q %q %q %q", Key("Hoà"), Key("hòa"), Key("THUỶ"), Key("thủy"))
	}
	for in, want := range map[[2]string]string{
		{"hoa", "2"}: "hoà", {"toan", "1"}: "toán", {"mua", "2"}: "mùa", {"quôc", "1"}: "quốc",
		{"tô", "3"}: "tổ", {"nguyên", "4"}: "nguyễn", {"thuy", "3"}: "thuỷ", {"ngươi", "2"}: "người",
		{"giua", "4"}: "giữa", {"ơi", "1"}: "ới", {"khuya", "0"}: "khuya", {"oai", "5"}: "oại",
	} {
		base := in[0]
		if in == [2]string{"giua", "4"} {
			base = "giưa"
		}
		if got := Place(base, Tone(in[1][0]-'0')); got != want {
			t.Errorf("Place(%q, %s) = %q, want %q", base, in[1], got, want)
		}
	}
}
