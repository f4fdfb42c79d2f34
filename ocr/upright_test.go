package ocr_test

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/ocr/layout"
)

// TestUprightCorpus: the cheap upright test that lets the clean-up skip Tesseract's OSD must
// never call a turned page upright (the real pages of the corpus turned 90°, 180° and 270°),
// and it must recognise the upright pages (else it saves nothing): the 200-dpi government
// pages at their resolution, the ~70-dpi Da Nang scans doubled.
func TestUprightCorpus(t *testing.T) {
	gov, scans := testenv.OCRViPages(t)
	for _, f := range append(gov, scans...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		isGov := filepath.Ext(f) == ".png"
		for _, deg := range []int{0, 90, 180, 270} {
			up, uc, lc, err := ocr.UprightTurned(b, deg)
			if err != nil {
				t.Fatalf("%s: %v", filepath.Base(f), err)
			}
			switch {
			case deg != 0 && up:
				t.Errorf("%s turned %d°: called upright (up/down %.1f, left/right %.1f)", filepath.Base(f), deg, uc, lc)
			case deg == 0 && !up:
				t.Errorf("%s upright: not recognised (up/down %.1f, left/right %.1f)", filepath.Base(f), uc, lc)
			}
		}
		if isGov && !ocr.Upright(b) {
			t.Errorf("%s: Upright of the file false", filepath.Base(f))
		}
	}
	if ocr.Upright(nil) || ocr.Upright([]byte("not an image")) {
		t.Error("Upright true for no image")
	}
}

// stamped draws a red ring (a stamp) and a blue stroke (a signature) over a page, half
// transparent so that the print under them shows through as dark coloured pixels.
func stamped(src image.Image) image.Image {
	b := src.Bounds()
	out := image.NewRGBA(b)
	draw.Draw(out, b, src, b.Min, draw.Src)
	cx, cy, r := b.Dx()*2/3, b.Dy()*3/4, b.Dx()/10
	for y := cy - r; y <= cy+r; y++ {
		for x := cx - r; x <= cx+r; x++ {
			d := math.Hypot(float64(x-cx), float64(y-cy))
			if d > float64(r) || d < float64(r)*0.8 {
				continue
			}
			o := out.RGBAAt(x, y)
			out.SetRGBA(x, y, color.RGBA{R: max(o.R/2+100, 200), G: o.G / 3, B: o.B / 3, A: 255})
		}
	}
	for x := b.Dx() / 5; x < b.Dx()/2; x++ {
		y := b.Dy()*4/5 + (x%40)/2
		for k := range 4 {
			out.SetRGBA(x, y+k, color.RGBA{R: 30, G: 40, B: 190, A: 255})
		}
	}
	return out
}

// TestRemoveInkMatchesLayout: the workers' ink removal (leptonica's decoding, C loop) gives
// the same grey pixels as layout.RemoveInk on Go's decoding, on the real pages of the
// corpus with a red stamp and a blue signature drawn on them (PNG: both decoders give the
// same colours), and finds no ink to remove on the pages as they are (black print only).
func TestRemoveInkMatchesLayout(t *testing.T) {
	gov, _ := testenv.OCRViPages(t)
	inked := 0
	for i, f := range gov {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src, _, err := image.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 { // a third of them stamped (each costs a Go PNG encoding)
			src = stamped(src)
			var buf bytes.Buffer
			if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, src); err != nil {
				t.Fatal(err)
			}
			b = buf.Bytes()
		}
		want, wantOK := layout.RemoveInk(src)
		got, ok, err := ocr.InkFreeGray(b)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		if ok != wantOK {
			t.Errorf("%s: ink removed %v, layout.RemoveInk says %v", filepath.Base(f), ok, wantOK)
			continue
		}
		if !ok {
			if i%3 == 0 {
				t.Errorf("%s with a stamp: no ink removed", filepath.Base(f))
			}
			continue
		}
		inked++
		wg, g := want.(*image.Gray), got.(*image.Gray)
		if wg.Bounds() != g.Bounds() {
			t.Fatalf("%s: size %v, want %v", filepath.Base(f), g.Bounds(), wg.Bounds())
		}
		diff := 0
		for y := 0; y < g.Bounds().Dy(); y++ {
			if !bytes.Equal(g.Pix[y*g.Stride:y*g.Stride+g.Bounds().Dx()], wg.Pix[y*wg.Stride:y*wg.Stride+wg.Bounds().Dx()]) {
				diff++
			}
		}
		if diff > 0 {
			t.Errorf("%s: %d rows differ from layout.RemoveInk", filepath.Base(f), diff)
		}
	}
	if inked != (len(gov)+2)/3 {
		t.Errorf("ink removed on %d pages, want the %d stamped ones", inked, (len(gov)+2)/3)
	}
}
