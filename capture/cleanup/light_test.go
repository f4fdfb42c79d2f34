package cleanup

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"testing"
)

// litLikePhoto darkens a page the way a phone photo taken under a lamp does: full light
// at the top-left corner falling to about a third at the bottom-right.
func litLikePhoto(t *testing.T, data []byte) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	out := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			v := float64(r+g+bb) / 3 / 257
			d := 0.45*float64(x-b.Min.X)/float64(b.Dx()) + 0.55*float64(y-b.Min.Y)/float64(b.Dy())
			out.Pix[(y-b.Min.Y)*out.Stride+(x-b.Min.X)] = uint8(math.Round(v * (1 - 0.68*math.Pow(d, 1.3))))
		}
	}
	var w bytes.Buffer
	if err := png.Encode(&w, out); err != nil {
		t.Fatal(err)
	}
	return w.Bytes()
}

// TestUnevenLight: generated pages lit like phone photos (light falling to about a third
// across the page) are evened out by the default clean-up, and Tesseract then reads them
// about as well as the evenly lit pages; untouched, it loses most of the page. Evenly lit
// pages are not flattened.
func TestUnevenLight(t *testing.T) {
	pages := generate(t, 5, 0, 2, 200, true)
	var lit, even [][]byte
	var truth []string
	for _, pg := range pages {
		if pg.truth.Blank {
			continue
		}
		even = append(even, pg.png)
		lit = append(lit, litLikePhoto(t, pg.png))
		truth = append(truth, pg.truth.Text)
	}
	for i, r := range processAll(t, even, DefaultProfile()) {
		if r.Flattened {
			t.Errorf("evenly lit page %d flattened (paper range %d)", i, r.PaperRange)
		}
	}
	res := processAll(t, lit, DefaultProfile())
	cleaned := make([][]byte, len(res))
	for i, r := range res {
		if !r.Flattened {
			t.Errorf("photo-lit page %d not flattened (paper range %d)", i, r.PaperRange)
		}
		cleaned[i] = r.Data
	}
	raw := tesseractCER(t, lit, truth)
	after := tesseractCER(t, cleaned, truth)
	ref := tesseractCER(t, even, truth)
	t.Logf("CER: evenly lit %.1f %%, photo-lit %.1f %%, photo-lit after clean-up %.1f %%", 100*mean(ref), 100*mean(raw), 100*mean(after))
	if mean(after) > mean(ref)+0.03 || mean(after) > 0.06 {
		t.Errorf("photo-lit pages after clean-up: CER %.1f %% (evenly lit %.1f %%)", 100*mean(after), 100*mean(ref))
	}
}
