package docgen

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// fontDirs are searched in order for the Noto Serif faces (Debian package
// fonts-noto-core). SOHOA_FONT_DIR, when set, is searched first.
var fontDirs = []string{
	"/usr/share/fonts/truetype/noto",
	"/usr/share/fonts/noto",
	"/usr/local/share/fonts/noto",
}

// ErrFontMissing is returned when the Noto Serif fonts cannot be found.
var ErrFontMissing = errors.New("docgen: Noto Serif fonts not found (install Debian package fonts-noto-core) / không tìm thấy phông chữ Noto Serif")

var fonts struct {
	once          sync.Once
	regular, bold *opentype.Font
	err           error
}

func loadFonts() (regular, bold *opentype.Font, err error) {
	fonts.once.Do(func() {
		dirs := fontDirs
		if d := os.Getenv("SOHOA_FONT_DIR"); d != "" {
			dirs = append([]string{d}, dirs...)
		}
		parse := func(name string) (*opentype.Font, error) {
			for _, d := range dirs {
				b, err := os.ReadFile(d + "/" + name)
				if err != nil {
					continue
				}
				f, err := opentype.Parse(b)
				if err != nil {
					return nil, fmt.Errorf("docgen: parse font %s: %w", name, err)
				}
				return f, nil
			}
			return nil, ErrFontMissing
		}
		fonts.regular, fonts.err = parse("NotoSerif-Regular.ttf")
		if fonts.err == nil {
			fonts.bold, fonts.err = parse("NotoSerif-Bold.ttf")
		}
	})
	return fonts.regular, fonts.bold, fonts.err
}

// faces holds the font faces of one page. opentype faces are not safe for
// concurrent use, so each Generate call makes its own.
type faces struct {
	body, bodyBold, small, smallBold, title, header, headerBold, stamp font.Face
}

func newFaces(dpi int) (*faces, error) {
	reg, bold, err := loadFonts()
	if err != nil {
		return nil, err
	}
	mk := func(f *opentype.Font, size float64) (font.Face, error) {
		return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: float64(dpi), Hinting: font.HintingNone})
	}
	var fs faces
	specs := []struct {
		dst  *font.Face
		f    *opentype.Font
		size float64
	}{
		{&fs.body, reg, 13}, {&fs.bodyBold, bold, 13}, {&fs.small, reg, 12}, {&fs.smallBold, bold, 12},
		{&fs.title, bold, 16}, {&fs.header, reg, 12.5}, {&fs.headerBold, bold, 12.5}, {&fs.stamp, bold, 7.5},
	}
	for _, s := range specs {
		if *s.dst, err = mk(s.f, s.size); err != nil {
			return nil, fmt.Errorf("docgen: font face: %w", err)
		}
	}
	return &fs, nil
}

// canvas is an opaque RGBA page; all ink is applied multiplicatively, like
// ink on paper, so overlapping stamp, signature and text stay visible.
type canvas struct {
	img  *image.RGBA
	w, h int
}

func newCanvas(w, h int) *canvas {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	if len(img.Pix) > 0 {
		img.Pix[0] = 255
		for n := 1; n < len(img.Pix); n *= 2 {
			copy(img.Pix[n:], img.Pix[:n])
		}
	}
	return &canvas{img: img, w: w, h: h}
}

// ink multiplies pixel (x, y) towards colour c with coverage a (0..1).
func (c *canvas) ink(x, y int, col color.RGBA, a float64) {
	if x < 0 || y < 0 || x >= c.w || y >= c.h || a <= 0 {
		return
	}
	if a > 1 {
		a = 1
	}
	i := y*c.img.Stride + x*4
	p := c.img.Pix[i : i+3 : i+3]
	p[0] = uint8(float64(p[0]) * (1 - a*(1-float64(col.R)/255)))
	p[1] = uint8(float64(p[1]) * (1 - a*(1-float64(col.G)/255)))
	p[2] = uint8(float64(p[2]) * (1 - a*(1-float64(col.B)/255)))
}

// inkMask applies an alpha mask (as returned by font.Face.Glyph).
func (c *canvas) inkMask(dr image.Rectangle, mask image.Image, mp image.Point, col color.RGBA) {
	am, ok := mask.(*image.Alpha)
	fr := 1 - float64(col.R)/255
	fg := 1 - float64(col.G)/255
	fb := 1 - float64(col.B)/255
	for y := dr.Min.Y; y < dr.Max.Y; y++ {
		if y < 0 || y >= c.h {
			continue
		}
		for x := dr.Min.X; x < dr.Max.X; x++ {
			if x < 0 || x >= c.w {
				continue
			}
			mx, my := mp.X+x-dr.Min.X, mp.Y+y-dr.Min.Y
			var a uint8
			if ok {
				a = am.Pix[(my-am.Rect.Min.Y)*am.Stride+mx-am.Rect.Min.X]
			} else {
				_, _, _, aa := mask.At(mx, my).RGBA()
				a = uint8(aa >> 8)
			}
			if a == 0 {
				continue
			}
			af := float64(a) / 255
			i := y*c.img.Stride + x*4
			p := c.img.Pix[i : i+3 : i+3]
			p[0] = uint8(float64(p[0]) * (1 - af*fr))
			p[1] = uint8(float64(p[1]) * (1 - af*fg))
			p[2] = uint8(float64(p[2]) * (1 - af*fb))
		}
	}
}

// textWidth is the advance width of s in pixels.
func textWidth(f font.Face, s string) int { return font.MeasureString(f, s).Ceil() }

// drawText draws s with its baseline at y starting at x and returns the ink
// bounding box.
func (c *canvas) drawText(f font.Face, x, y int, s string, col color.RGBA) Box {
	dot := fixed.P(x, y)
	prev := rune(-1)
	for _, r := range s {
		if prev >= 0 {
			dot.X += f.Kern(prev, r)
		}
		dr, mask, mp, adv, ok := f.Glyph(dot, r)
		if ok {
			c.inkMask(dr, mask, mp, col)
		}
		dot.X += adv
		prev = r
	}
	b, _ := font.BoundString(f, s)
	return Box{x + b.Min.X.Floor(), y + b.Min.Y.Floor(), x + b.Max.X.Ceil(), y + b.Max.Y.Ceil()}
}

func (c *canvas) fillRect(x0, y0, x1, y1 int, col color.RGBA) {
	for y := max(y0, 0); y < min(y1, c.h); y++ {
		for x := max(x0, 0); x < min(x1, c.w); x++ {
			c.ink(x, y, col, 1)
		}
	}
}

// ring draws an anti-aliased circle outline of the given stroke width.
func (c *canvas) ring(cx, cy, r, width float64, col color.RGBA, opacity float64) {
	ro := r + width/2
	x0, x1 := int(math.Floor(cx-ro-1)), int(math.Ceil(cx+ro+1))
	y0, y1 := int(math.Floor(cy-ro-1)), int(math.Ceil(cy+ro+1))
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			d := math.Abs(math.Hypot(float64(x)-cx, float64(y)-cy) - r)
			a := width/2 + 0.5 - d
			if a <= 0 {
				continue
			}
			c.ink(x, y, col, math.Min(a, 1)*opacity)
		}
	}
}

// stroke draws a polyline as a chain of discs.
func (c *canvas) stroke(pts [][2]float64, width float64, col color.RGBA, opacity float64) {
	// A chain of overlapping discs would multiply ink where they overlap;
	// render coverage into a local mask first and ink once.
	if len(pts) == 0 {
		return
	}
	minX, minY, maxX, maxY := pts[0][0], pts[0][1], pts[0][0], pts[0][1]
	for _, p := range pts {
		minX, minY = math.Min(minX, p[0]), math.Min(minY, p[1])
		maxX, maxY = math.Max(maxX, p[0]), math.Max(maxY, p[1])
	}
	pad := width + 2
	ox, oy := int(minX-pad), int(minY-pad)
	mw, mh := int(maxX+pad)-ox+1, int(maxY+pad)-oy+1
	mask := make([]float64, mw*mh)
	r := width / 2
	step := math.Max(r/2, 0.5)
	put := func(cx, cy float64) {
		for y := int(cy - r - 1); y <= int(cy+r+1); y++ {
			for x := int(cx - r - 1); x <= int(cx+r+1); x++ {
				a := r + 0.5 - math.Hypot(float64(x)-cx, float64(y)-cy)
				if a <= 0 {
					continue
				}
				i := (y-oy)*mw + x - ox
				if i >= 0 && i < len(mask) && a > mask[i] {
					mask[i] = math.Min(a, 1)
				}
			}
		}
	}
	for i := 1; i < len(pts); i++ {
		ax, ay, bx, by := pts[i-1][0], pts[i-1][1], pts[i][0], pts[i][1]
		n := int(math.Hypot(bx-ax, by-ay)/step) + 1
		for k := 0; k <= n; k++ {
			t := float64(k) / float64(n)
			put(ax+(bx-ax)*t, ay+(by-ay)*t)
		}
	}
	for y := 0; y < mh; y++ {
		for x := 0; x < mw; x++ {
			if a := mask[y*mw+x]; a > 0 {
				c.ink(ox+x, oy+y, col, a*opacity)
			}
		}
	}
}

// arcText draws s along a circle of radius r around (cx, cy), centred on
// the top of the circle, letters upright relative to the circle.
func (c *canvas) arcText(f font.Face, cx, cy, r float64, s string, col color.RGBA, opacity float64) {
	runes := []rune(s)
	widths := make([]float64, len(runes))
	total := 0.0
	for i, ru := range runes {
		adv, _ := f.GlyphAdvance(ru)
		widths[i] = float64(adv) / 64 * 1.08
		total += widths[i]
	}
	span := total / r // radians
	angle := -math.Pi/2 - span/2
	for i, ru := range runes {
		mid := angle + widths[i]/2/r
		angle += widths[i] / r
		dr, mask, mp, _, ok := f.Glyph(fixed.P(0, 0), ru)
		if !ok || dr.Empty() {
			continue
		}
		// Glyph centre horizontally at advance/2, vertically at baseline.
		gx := float64(widths[i]) / 2 / 1.08
		px, py := cx+r*math.Cos(mid), cy+r*math.Sin(mid)
		rot := mid + math.Pi/2 // letter "up" points away from the centre
		cosr, sinr := math.Cos(rot), math.Sin(rot)
		am, _ := mask.(*image.Alpha)
		if am == nil {
			continue
		}
		// Inverse map each destination pixel in a bounding square.
		ext := float64(max(dr.Dx(), dr.Dy())) * 1.5
		for y := int(py - ext); y <= int(py+ext); y++ {
			for x := int(px - ext); x <= int(px+ext); x++ {
				dx, dy := float64(x)-px, float64(y)-py
				// rotate by -rot into glyph space (origin at glyph baseline centre)
				lx := dx*cosr + dy*sinr + gx
				ly := -dx*sinr + dy*cosr
				ix, iy := int(math.Floor(lx)), int(math.Floor(ly))
				if ix < dr.Min.X || ix >= dr.Max.X || iy < dr.Min.Y || iy >= dr.Max.Y {
					continue
				}
				mx, my := mp.X+ix-dr.Min.X, mp.Y+iy-dr.Min.Y
				a := am.Pix[(my-am.Rect.Min.Y)*am.Stride+mx-am.Rect.Min.X]
				if a > 0 {
					c.ink(x, y, col, float64(a)/255*opacity)
				}
			}
		}
	}
}

// star draws a filled five-pointed star.
func (c *canvas) star(cx, cy, r float64, col color.RGBA, opacity float64) {
	var pts [10][2]float64
	for i := range pts {
		rr := r
		if i%2 == 1 {
			rr = r * 0.4
		}
		a := -math.Pi/2 + float64(i)*math.Pi/5
		pts[i] = [2]float64{cx + rr*math.Cos(a), cy + rr*math.Sin(a)}
	}
	for y := int(cy - r - 1); y <= int(cy+r+1); y++ {
		for x := int(cx - r - 1); x <= int(cx+r+1); x++ {
			if inPolygon(pts[:], float64(x)+0.5, float64(y)+0.5) {
				c.ink(x, y, col, opacity)
			}
		}
	}
}

func inPolygon(pts [][2]float64, x, y float64) bool {
	in := false
	j := len(pts) - 1
	for i := range pts {
		xi, yi, xj, yj := pts[i][0], pts[i][1], pts[j][0], pts[j][1]
		if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
			in = !in
		}
		j = i
	}
	return in
}

// normSpace collapses whitespace runs to one space.
func normSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

func (b Box) union(o Box) Box {
	if b == (Box{}) {
		return o
	}
	if o == (Box{}) {
		return b
	}
	return Box{min(b.X0, o.X0), min(b.Y0, o.Y0), max(b.X1, o.X1), max(b.Y1, o.Y1)}
}

// CheckFonts reports whether the Noto Serif faces the documents are drawn with can be loaded
// (ErrFontMissing when they are not installed): the workstation's first run checks it before
// it offers a sample batch.
func CheckFonts() error {
	_, _, err := loadFonts()
	return err
}
