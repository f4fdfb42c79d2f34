package layout

import (
	"image"
	"image/color"
	"math/rand"
	"testing"
)

// The fast pixel readers give exactly the colours of the generic path, for every image type
// the decoders return for colour pages.
func TestPixelsMatchAt(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	r := image.Rect(3, 5, 40, 31) // odd size and origin: chroma subsampling edges
	rgba := image.NewRGBA(r)
	nrgba := image.NewNRGBA(r)
	for i := range rgba.Pix {
		rgba.Pix[i] = uint8(rng.Intn(256))
		nrgba.Pix[i] = uint8(rng.Intn(256))
	}
	imgs := []image.Image{rgba, nrgba}
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440} {
		y := image.NewYCbCr(r, ratio)
		for _, p := range [][]uint8{y.Y, y.Cb, y.Cr} {
			for i := range p {
				p[i] = uint8(rng.Intn(256))
			}
		}
		imgs = append(imgs, y)
	}
	for _, img := range imgs {
		px := pixels(img)
		for yy := r.Min.Y; yy < r.Max.Y; yy++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				r1, g1, b1 := px(x, yy)
				r2, g2, b2 := rgb8(img.At(x, yy))
				if r1 != r2 || g1 != g2 || b1 != b2 {
					t.Fatalf("%T at (%d,%d): fast %v, generic %v", img, x, yy, color.RGBA{r1, g1, b1, 255}, color.RGBA{r2, g2, b2, 255})
				}
			}
		}
	}
}
