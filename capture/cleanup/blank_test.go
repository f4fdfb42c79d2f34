package cleanup

import (
	"context"
	"image"
	"image/draw"
	"math"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
)

const a4w, a4h = 1654, 2339 // A4 at 200 dpi

// bleed draws a faint mirror image of a text page (as seen through thin
// paper) onto img.
func bleed(img *image.Gray, text *image.Gray) {
	b := img.Bounds()
	for y := 0; y < b.Dy() && y < text.Rect.Dy(); y++ {
		for x := 0; x < b.Dx() && x < text.Rect.Dx(); x++ {
			v := text.Pix[y*text.Stride+(text.Rect.Dx()-1-x)]
			if v < 128 {
				i := y*img.Stride + x
				img.Pix[i] = uint8(int(img.Pix[i]) * 88 / 100) // about 205 on 235 paper
			}
		}
	}
}

// onBlack lays the sheet, turned by deg (counter-clockwise), on a black
// scanner background of the same size, as an ADF does with a skewed sheet.
func onBlack(sheet *image.Gray, deg float64, margin int) *image.Gray {
	b := sheet.Bounds()
	out := image.NewGray(b)
	for i := range out.Pix {
		out.Pix[i] = 20
	}
	rad := deg * math.Pi / 180
	c, s := math.Cos(rad), math.Sin(rad)
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	sw, sh := float64(b.Dx()-2*margin), float64(b.Dy()-2*margin)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			X, Y := float64(x)-cx, float64(y)-cy
			sx, sy := X*c-Y*s, X*s+Y*c // back into the sheet's frame
			if math.Abs(sx) < sw/2 && math.Abs(sy) < sh/2 {
				out.Pix[y*out.Stride+x] = sheet.Pix[int(sy+cy)*sheet.Stride+int(sx+cx)]
			}
		}
	}
	return out
}

// TestBlankPages checks that generated blank backs and synthetic blank
// sheets with noise, dust, bleed-through and black edges are found, and
// that pages with text, even a single line, are never called blank.
func TestBlankPages(t *testing.T) {
	// Generated blank back pages (seed 1: document 6 page 2, document 30
	// page 1; the test checks the ground truth says so).
	var inputs [][]byte
	var names []string
	var wantBlank []bool
	for _, d := range []struct{ doc, page int }{{6, 2}, {30, 1}} {
		doc, imgs, err := docgen.Generate(1, d.doc, docgen.Options{DPI: 200})
		if err != nil {
			t.Fatal(err)
		}
		if !doc.Pages[d.page].Blank {
			t.Fatalf("document %d page %d is not a generated blank page", d.doc, d.page)
		}
		inputs = append(inputs, encodePNG(t, imgs[d.page]))
		names = append(names, "generated blank")
		wantBlank = append(wantBlank, true)
	}

	// A clean text page, and the same page reduced to its first line.
	doc, imgs, err := docgen.Generate(2, 0, docgen.Options{DPI: 200, Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	text := toGray(imgs[0])
	one := paper(text.Rect.Dx(), text.Rect.Dy(), 9)
	l := doc.Pages[0].Lines[len(doc.Pages[0].Lines)-1] // the last line: usually short
	lr := image.Rect(l.Box.X0, l.Box.Y0, l.Box.X1, l.Box.Y1)
	draw.Draw(one, lr, text, lr.Min, draw.Src)
	t.Logf("single line kept: %q (%v)", l.Text, lr)

	add := func(name string, img image.Image, blank bool) {
		inputs = append(inputs, encodePNG(t, img))
		names = append(names, name)
		wantBlank = append(wantBlank, blank)
	}
	p := paper(a4w, a4h, 1)
	add("noisy paper", p, true)
	p = paper(a4w, a4h, 2)
	dust(p, 600, 2)
	add("paper with dust", p, true)
	p = paper(text.Rect.Dx(), text.Rect.Dy(), 3)
	bleed(p, text)
	dust(p, 200, 3)
	add("bleed-through and dust", p, true)
	p = paper(a4w, a4h, 4)
	dust(p, 300, 4)
	blackEdges(p, 60, 40, 25, 80)
	add("black edges and dust", p, true)
	add("skewed sheet on black", onBlack(paper(a4w, a4h, 5), 2.0, 40), true)
	add("single text line", one, false)
	edged := toGray(imgs[0])
	blackEdges(edged, 50, 30, 30, 50)
	add("text page with black edges", edged, false)
	add("skewed text sheet on black", onBlack(text, -1.5, 40), false)

	res := processAll(t, inputs, DefaultProfile())
	for i, r := range res {
		t.Logf("%-28s blank %-5v score %.6f crop %v rotation %d (detected %v) skew %.2f", names[i], r.Blank, r.BlankScore, r.Crop, r.Rotation, r.OrientDetected, r.SkewDeg)
		if r.Blank != wantBlank[i] {
			t.Errorf("%s: blank = %v, want %v (score %.6f)", names[i], r.Blank, wantBlank[i], r.BlankScore)
		}
		if wantBlank[i] && (r.Rotation != 0 || r.OrientDetected) {
			t.Errorf("%s: blank page turned by %d (detected %v)", names[i], r.Rotation, r.OrientDetected)
		}
	}
	// Black edges are cropped: bands 60/40/25/80 px on a 1654x2339 page.
	for _, i := range []int{5, 8} {
		c := res[i].Crop
		if c.Min.X < 25 || c.Min.Y < 25 || c.Max.X > a4w-25 || c.Max.Y > a4h-25 {
			t.Errorf("%s: crop %v keeps black edges", names[i], c)
		}
		if c.Dx() < a4w*8/10 || c.Dy() < a4h*8/10 {
			t.Errorf("%s: crop %v takes too much", names[i], c)
		}
	}
	// The skewed sheet on black is found as a quadrilateral and straightened (perspective
	// step): what is left is the upright sheet, without the black around it.
	if r := res[9]; !r.Straightened || math.Abs(r.SkewDeg) > 0.3 || r.Width > a4w-60 || r.Width < a4w*8/10 || r.Height > a4h-60 {
		t.Errorf("skewed sheet on black: straightened %v, skew %.2f, %dx%d", r.Straightened, r.SkewDeg, r.Width, r.Height)
	}

	// Policies: drop gives no image, off does not look.
	r, err := Process(context.Background(), inputs[2], Profile{Blank: BlankDrop})
	if err != nil || !r.Blank || !r.Dropped || r.Data != nil {
		t.Errorf("drop policy: blank %v dropped %v data %d bytes, err %v", r.Blank, r.Dropped, len(r.Data), err)
	}
	r, err = Process(context.Background(), inputs[2], Profile{Blank: BlankOff})
	if err != nil || r.Blank || r.Dropped || r.Changed {
		t.Errorf("off policy: blank %v dropped %v changed %v, err %v", r.Blank, r.Dropped, r.Changed, err)
	}
}
