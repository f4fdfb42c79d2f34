package ocr

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/internal/testenv"
)

func TestVietnameseReadingWords(t *testing.T) {
	words := func(s string) []Word {
		var ws []Word
		for _, f := range strings.Fields(s) {
			ws = append(ws, Word{Text: f})
		}
		return ws
	}
	vi := strings.Repeat("Cộng hòa xã hội chủ nghĩa Việt Nam Độc lập Tự do Hạnh phúc ", 3)
	en := strings.Repeat("The quick brown fox jumps over the lazy dog and runs away ", 3)
	for _, c := range []struct {
		name, text string
		want       bool
	}{
		{"Vietnamese", vi, true},
		{"English", en, false},
		{"too few words to tell", "The quick brown fox", true},
		{"numbers and one-letter words do not count", en[:40] + strings.Repeat(" 12 a - 2026 ", 40), true},
		{"Vietnamese with English names", vi + "Email: contact@example.org Website", true},
		{"decomposed marks (NFD) count", "Vi\u0323\u0302t " + strings.Repeat("xa\u0303 ho\u0300a ", 12), true},
		{"đ alone counts", strings.Repeat("đi đo ", 12), true},
	} {
		if got := VietnameseReading(words(c.text)); got != c.want {
			t.Errorf("%s: VietnameseReading = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestLanguagePerPage reads real Vietnamese pages (born-digital and ~70-dpi scans) and
// real English scans with the default languages (vie+eng): the Vietnamese pages are read
// with Vietnamese alone in one pass, the English ones again with both, which reads them
// better than Vietnamese alone does (8071_093.3B: about 9.4 % against 11.3 % CER).
func TestLanguagePerPage(t *testing.T) {
	gov, scans := testenv.OCRViPages(t)
	en := filepath.Join(testenv.Corpus(), "ocr-en")
	type page struct {
		path, truth string
		english     bool
	}
	pages := []page{{path: gov[0]}, {path: gov[len(gov)/2]}, {path: scans[0]}, {path: scans[1]}}
	for _, n := range []string{"8071_093.3B", "eurotext"} {
		truth, err := os.ReadFile(filepath.Join(en, n+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page{path: filepath.Join(en, n+".tif"), truth: string(truth), english: true})
	}
	// PSM 3, as the CLI: the English scans have columns.
	p := newTestPool(t, Options{Workers: 2, PSM: 3, AutoOrient: true})
	viOnly := newTestPool(t, Options{Workers: 1, PSM: 3, Languages: []string{"vie"}})
	var wg sync.WaitGroup
	for _, pg := range pages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img, err := os.ReadFile(pg.path)
			if err != nil {
				t.Error(err)
				return
			}
			res, err := p.Recognize(context.Background(), img)
			if err != nil {
				t.Errorf("%s: %v", pg.path, err)
				return
			}
			name := filepath.Base(pg.path)
			if !pg.english {
				if res.Languages != "vie" || res.Passes != 1 || !strings.HasPrefix(res.Model, "vie@") || !VietnameseReading(res.Words) {
					t.Errorf("%s: read with %q in %d passes, model %q; want vie alone, one pass", name, res.Languages, res.Passes, res.Model)
				}
				return
			}
			if res.Languages != "vie+eng" || res.Passes != 2 || !strings.HasPrefix(res.Model, "vie+eng@") {
				t.Errorf("%s: read with %q in %d passes, model %q; want vie+eng after a first pass", name, res.Languages, res.Passes, res.Model)
			}
			alone, err := viOnly.Recognize(context.Background(), img)
			if err != nil {
				t.Error(err)
				return
			}
			if VietnameseReading(alone.Words) {
				t.Errorf("%s: the Vietnamese model's reading of an English page taken as Vietnamese", name)
			}
			both, _ := docgen.CERCounts(pg.truth, res.Text)
			vie, n := docgen.CERCounts(pg.truth, alone.Text)
			t.Logf("%s: CER vie+eng %.2f %%, vie alone %.2f %%", name, 100*float64(both)/float64(n), 100*float64(vie)/float64(n))
			if both > vie {
				t.Errorf("%s: read again with English, %d edits; Vietnamese alone %d", name, both, vie)
			}
		}()
	}
	wg.Wait()
}

// TestMixLanguages keeps Tesseract's word-by-word choice among the languages when asked.
func TestMixLanguages(t *testing.T) {
	p := newTestPool(t, Options{Workers: 1, MixLanguages: true})
	res, err := p.Recognize(context.Background(), pngBytes(t, renderLines(t, sampleLines, 28)))
	if err != nil {
		t.Fatal(err)
	}
	checkSample(t, res)
	if res.Languages != "vie+eng" || res.Passes != 1 || !strings.HasPrefix(res.Model, "vie+eng@") {
		t.Errorf("mixed: read with %q in %d passes, model %q", res.Languages, res.Passes, res.Model)
	}
	zone, err := p.RecognizeZone(context.Background(), pngBytes(t, renderLines(t, sampleLines, 28)), image.Rect(0, 0, 400, 60), ZoneOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if zone.Languages != "vie+eng" {
		t.Errorf("mixed zone read with %q", zone.Languages)
	}
}
