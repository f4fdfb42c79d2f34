package ocr

import (
	"image"
	"image/draw"
	"math"
	"strings"
	"testing"

	"github.com/otiai10/gosseract/v2"
)

// testPages are a few layouts: paragraphs, small text, one line, and two
// separate blocks.
func testPages(t testing.TB) map[string][]byte {
	twoBlocks := image.NewGray(image.Rect(0, 0, 1400, 700))
	draw.Draw(twoBlocks, twoBlocks.Bounds(), image.White, image.Point{}, draw.Src)
	a := renderLines(t, sampleLines[:2], 26)
	b := renderLines(t, sampleLines[3:], 22)
	draw.Draw(twoBlocks, a.Bounds(), a, image.Point{}, draw.Src)
	draw.Draw(twoBlocks, b.Bounds().Add(image.Pt(700, 450)), b, image.Point{}, draw.Src)
	return map[string][]byte{
		"paragraphs": pngBytes(t, renderLines(t, sampleLines, 28)),
		"small":      pngBytes(t, renderLines(t, sampleLines, 18)),
		"one line":   pngBytes(t, renderLines(t, sampleLines[2:3], 30)),
		"two blocks": pngBytes(t, twoBlocks),
	}
}

func newClient(t testing.TB) *gosseract.Client {
	c := gosseract.NewClient()
	c.SetLanguage("vie", "eng")
	c.SetVariable("tessedit_pageseg_mode", "3")
	t.Cleanup(func() { c.Close() })
	return c
}

// TestHOCRMatchesText: the one-pass route (hOCR, parsed) gives exactly
// the text of gosseract's Text() and the words, boxes and numbering of
// GetBoundingBoxesVerbose (confidence rounded to an integer in hOCR).
func TestHOCRMatchesText(t *testing.T) {
	c := newClient(t)
	for name, img := range testPages(t) {
		c.SetImageFromBytes(img)
		hocr, err := c.HOCRText()
		if err != nil {
			t.Fatal(err)
		}
		text, words, err := parseHOCR(hocr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetImageFromBytes(img)
		want, err := c.Text()
		if err != nil {
			t.Fatal(err)
		}
		if text != want {
			t.Errorf("%s: hOCR text\n%q\nText()\n%q", name, text, want)
		}
		c.SetImageFromBytes(img)
		all, err := c.GetBoundingBoxesVerbose()
		if err != nil {
			t.Fatal(err)
		}
		// The iterator also yields blank "words" (a lone space, seen on
		// the small page) that Text() and hOCR both leave out.
		var boxes []gosseract.BoundingBox
		for _, b := range all {
			if strings.TrimSpace(b.Word) != "" {
				boxes = append(boxes, b)
			}
		}
		if len(boxes) != len(words) {
			t.Errorf("%s: %d hOCR words, %d boxes\n%+v\n%+v", name, len(words), len(boxes), words, boxes)
			continue
		}
		for i, b := range boxes {
			w := words[i]
			if b.Word != w.Text || b.Box != image.Rect(w.X0, w.Y0, w.X1, w.Y1) ||
				b.BlockNum != w.Block || b.ParNum != w.Par || b.LineNum != w.Line ||
				math.Abs(b.Confidence-w.Conf) > 1 {
				t.Errorf("%s word %d: hOCR %+v, verbose boxes %+v", name, i, w, b)
			}
		}
		if name == "two blocks" && words[len(words)-1].Block < 2 {
			t.Errorf("two blocks: last word in block %d", words[len(words)-1].Block)
		}
	}
}

func TestParseHOCR(t *testing.T) {
	const h = `<div class='ocr_page' id='page_1' title='bbox 0 0 100 100'>
 <div class='ocr_carea' id='block_1_1'>
  <p class='ocr_par' id='par_1_1' lang='vie'>
   <span class='ocr_line' id='line_1_1' title='bbox 1 2 50 20'>
    <span class='ocrx_word' id='word_1_1' title='bbox 1 2 20 20; x_wconf 91'>Số</span>
    <span class='ocrx_word' id='word_1_2' title='bbox 22 2 50 20; x_wconf 88'><strong>A&amp;B</strong></span>
   </span>
   <span class='ocr_header' id='line_1_2' title='bbox 1 30 50 40'>
    <span class='ocrx_word' id='word_1_3' title='bbox 1 30 50 40; x_wconf 70'>&lt;x&gt;</span>
   </span>
  </p>
  <p class='ocr_par' id='par_1_2'>
   <span class='ocr_line' id='line_1_3' title='bbox 1 50 50 60'>
    <span class='ocrx_word' id='word_1_4' title='bbox 1 50 50 60; x_wconf 60'>hồ&#39;sơ</span>
   </span>
  </p>
 </div>
 <div class='ocr_carea' id='block_1_2'>
  <p class='ocr_par' id='par_1_3'>
   <span class='ocr_line' id='line_1_4' title='bbox 1 70 50 80'>
    <span class='ocrx_word' id='word_1_5' title='bbox 1 70 50 80; x_wconf 50'>254⁄2025</span>
   </span>
  </p>
 </div>
</div>`
	text, words, err := parseHOCR(h)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Số A&B\n<x>\n\nhồ'sơ\n\n254/2025"; text != want {
		t.Errorf("text %q, want %q", text, want)
	}
	want := []Word{
		{"Số", 1, 2, 20, 20, 91, 1, 1, 1},
		{"A&B", 22, 2, 50, 20, 88, 1, 1, 1},
		{"<x>", 1, 30, 50, 40, 70, 1, 1, 2},
		{"hồ'sơ", 1, 50, 50, 60, 60, 1, 2, 1},
		{"254/2025", 1, 70, 50, 80, 50, 2, 1, 1}, // U+2044 FRACTION SLASH read as "/"
	}
	if len(words) != len(want) {
		t.Fatalf("words %+v", words)
	}
	for i := range want {
		if words[i] != want[i] {
			t.Errorf("word %d: %+v, want %+v", i, words[i], want[i])
		}
	}
	if _, _, err := parseHOCR("<div class='ocr_page'><span"); err == nil {
		t.Error("truncated hOCR: no error")
	}
}

// FuzzParseHOCR: any input gives an error or words with numbering that
// never goes below zero; never a panic.
func FuzzParseHOCR(f *testing.F) {
	f.Add(`<div class='ocr_carea'><p class='ocr_par'><span class='ocr_line'><span class='ocrx_word' title='bbox 1 2 3 4; x_wconf 9'>a</span></span></p></div>`)
	f.Add(`<span class='ocrx_word' title='bbox 1 2 3'>x</span>`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, s string) {
		_, words, err := parseHOCR(s)
		if err != nil {
			return
		}
		for _, w := range words {
			if w.Text == "" || w.Block < 0 || w.Par < 0 || w.Line < 0 {
				t.Fatalf("bad word %+v", w)
			}
		}
	})
}
