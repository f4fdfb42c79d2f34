package sign

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/ccitt"
)

// g4Cases are bilevel images that reach every mode and code: text, noise, runs longer than
// 2560 (extended make-up codes), single columns, all white, all black, stripes.
func g4Cases(t *testing.T) map[string]*image.Gray {
	cases := map[string]*image.Gray{}
	img, _ := renderPage(t, testLines)
	b := img.Bounds()
	text := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y > 128 {
				text.SetGray(x-b.Min.X, y-b.Min.Y, color.Gray{255})
			}
		}
	}
	cases["text"] = text
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{3000, 40, 50}, {1, 30, 50}, {7, 9, 10}, {64, 64, 97}, {2561, 5, 3}, {5000, 3, 1}} {
		g := image.NewGray(image.Rect(0, 0, sz[0], sz[1]))
		for i := range g.Pix {
			if rng.IntN(100) >= sz[2] {
				g.Pix[i] = 255
			}
		}
		cases[string(rune('a'+len(cases)))+"-noise"] = g
	}
	white, black := image.NewGray(image.Rect(0, 0, 2700, 20)), image.NewGray(image.Rect(0, 0, 2700, 20))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	cases["white"], cases["black"] = white, black
	stripes := image.NewGray(image.Rect(0, 0, 300, 300))
	for y := 0; y < 300; y++ {
		for x := 0; x < 300; x++ {
			if (x/(1+y%17))%2 == 0 {
				stripes.Pix[y*300+x] = 255
			}
		}
	}
	cases["stripes"] = stripes
	return cases
}

// TestG4RoundTrip: encodeG4's output decodes (golang.org/x/image/ccitt) to the same pixels.
func TestG4RoundTrip(t *testing.T) {
	for name, g := range g4Cases(t) {
		w, h := g.Bounds().Dx(), g.Bounds().Dy()
		black := make([]bool, w*h)
		for i, v := range g.Pix {
			black[i] = v == 0
		}
		enc := encodeG4(black, w, h)
		r := ccitt.NewReader(bytes.NewReader(enc), ccitt.MSB, ccitt.Group4, w, h, nil)
		dec, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: decode: %v", name, err)
		}
		row := (w + 7) / 8
		if len(dec) != row*h {
			t.Fatalf("%s: %d bytes decoded, want %d", name, len(dec), row*h)
		}
		bad := 0
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				white := dec[y*row+x/8]&(0x80>>(x%8)) != 0
				if white == black[y*w+x] {
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s (%dx%d): %d pixels differ", name, w, h, bad)
		}
	}
}

// TestG4InPDF: a bilevel page becomes a CCITT G4 image that poppler decodes back pixel for
// pixel (pdfimages), and is smaller than the Flate-compressed bits it replaces.
func TestG4InPDF(t *testing.T) {
	g := g4Cases(t)["text"]
	var pb bytes.Buffer
	png.Encode(&pb, g)
	pdf, stats, err := BuildPDFStats(DocumentInput{Pages: []PageInput{{Image: pb.Bytes(), DPI: 72}}})
	if err != nil {
		t.Fatal(err)
	}
	if stats[0].Encoding != "bilevel-g4" {
		t.Fatalf("encoding %q", stats[0].Encoding)
	}
	w, h := g.Bounds().Dx(), g.Bounds().Dy()
	bits := make([]byte, (w+7)/8*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if g.Pix[y*w+x] != 0 {
				bits[y*((w+7)/8)+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	if flate := len(deflate(bits)); stats[0].ImageBytes >= flate {
		t.Errorf("G4 %d bytes, Flate %d", stats[0].ImageBytes, flate)
	}
	t.Logf("%dx%d text page: G4 %d bytes, Flate %d", w, h, stats[0].ImageBytes, len(deflate(bits)))
	path := writeTemp(t, "g4.pdf", pdf)
	run(t, "qpdf", "--check", path)
	out := filepath.Join(filepath.Dir(path), "r")
	run(t, "pdfimages", "-png", path, out)
	f, err := os.Open(out + "-000.png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if r.Bounds().Dx() != w || r.Bounds().Dy() != h {
		t.Fatalf("rendered %v, want %dx%d", r.Bounds(), w, h)
	}
	bad := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := color.GrayModel.Convert(r.At(x, y)).(color.Gray).Y
			if (v > 128) != (g.Pix[y*w+x] != 0) {
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("poppler decodes %d pixels differently", bad)
	}
}
