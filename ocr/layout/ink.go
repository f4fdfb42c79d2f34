package layout

import (
	"image"
	"image/color"
)

// RemoveInk returns a grey copy of img in which the coloured ink of stamps (red) and
// signatures (blue, violet, green) is paper white, so that recognition sees only the black
// print; img itself is not touched (the stored page keeps its stamp). Black print under a stamp
// stays: only strongly coloured pixels go. ok is false, and img is returned as it is, when the
// image is grey or has (almost) no coloured ink.
func RemoveInk(img image.Image) (out image.Image, ok bool) {
	switch img.(type) {
	case *image.Gray, *image.Gray16, *image.Paletted:
		if p, isPal := img.(*image.Paletted); !isPal || !colourful(p.Palette) {
			return img, false
		}
	}
	b := img.Bounds()
	g := image.NewGray(b)
	removed := 0
	px := pixels(img)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		o := g.PixOffset(b.Min.X, y)
		for x := b.Min.X; x < b.Max.X; x++ {
			r, gr, bl := px(x, y)
			if isInk(r, gr, bl) {
				g.Pix[o] = 255
				removed++
			} else {
				// ITU-R BT.601 luma, as image/color's Gray model.
				g.Pix[o] = uint8((19595*uint32(r) + 38470*uint32(gr) + 7471*uint32(bl) + 1<<15) >> 16)
			}
			o++
		}
	}
	// Fewer coloured pixels than a short word's worth: a colour scan of a black page.
	if removed < b.Dx()*b.Dy()/5000 {
		return img, false
	}
	return g, true
}

// pixels returns a reader of the 8-bit colour at (x, y): straight from the pixel buffer for
// the two types decoders give colour pages (image/png's RGBA, image/jpeg's YCbCr), the same
// values as rgb8(img.At(x, y)) without a color.Color allocated per pixel.
func pixels(img image.Image) func(x, y int) (r, g, b uint8) {
	switch m := img.(type) {
	case *image.RGBA:
		return func(x, y int) (uint8, uint8, uint8) {
			i := m.PixOffset(x, y)
			return m.Pix[i], m.Pix[i+1], m.Pix[i+2]
		}
	case *image.YCbCr:
		return func(x, y int) (uint8, uint8, uint8) {
			return color.YCbCrToRGB(m.Y[m.YOffset(x, y)], m.Cb[m.COffset(x, y)], m.Cr[m.COffset(x, y)])
		}
	}
	return func(x, y int) (uint8, uint8, uint8) { return rgb8(img.At(x, y)) }
}

func rgb8(c color.Color) (r, g, b uint8) {
	switch c := c.(type) {
	case color.RGBA:
		return c.R, c.G, c.B
	case color.YCbCr:
		return color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
	}
	R, G, B, _ := c.RGBA()
	return uint8(R >> 8), uint8(G >> 8), uint8(B >> 8)
}

// isInk: a saturated colour whose strongest channel is red or blue (stamps, ballpoint and
// fountain-pen signatures), or green (some signature pens); not a dark grey or a paper tint.
func isInk(r, g, b uint8) bool {
	hi := max(r, g, b)
	lo := min(r, g, b)
	chroma := int(hi) - int(lo)
	if chroma < 60 {
		return false
	}
	// A dark pixel with a little colour is black print seen through a stamp: keep it.
	return int(hi) > 90
}

func colourful(p color.Palette) bool {
	for _, c := range p {
		r, g, b := rgb8(c)
		if isInk(r, g, b) {
			return true
		}
	}
	return false
}
