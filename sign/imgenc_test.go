package sign

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"testing"
)

func psnr(a, b *image.Gray) float64 {
	var se float64
	for i := range a.Pix {
		d := float64(a.Pix[i]) - float64(b.Pix[i])
		se += d * d
	}
	se /= float64(len(a.Pix))
	return 10 * math.Log10(255*255/se)
}

// TestNoisyPageJPEG: a grey page with scanner-like noise is stored as JPEG at JPEGQuality
// (far smaller than lossless, above 33 dB PSNR); the same page without noise (a rendered text
// page) becomes 16-level grey (gray4IfLegible: within its floors); an RGB PNG whose pixels are
// grey is stored as grey.
func TestNoisyPageJPEG(t *testing.T) {
	src, _ := renderPage(t, testLines)
	b := src.Bounds()
	clean := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	noisy := image.NewGray(clean.Rect)
	rgb := image.NewRGBA(clean.Rect)
	rng := rand.New(rand.NewPCG(3, 4))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			v := color.GrayModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			// paper tone and a faint gradient, as a scanner gives
			p := float64(v)*0.85 + 20 + 10*float64(y)/float64(b.Dy())
			clean.Pix[y*clean.Stride+x] = v
			noisy.Pix[y*noisy.Stride+x] = uint8(math.Max(0, math.Min(255, p+rng.NormFloat64()*6)))
			rgb.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	enc := func(img image.Image) []byte {
		var buf bytes.Buffer
		png.Encode(&buf, img)
		return buf.Bytes()
	}
	pi, err := encodePageImage(enc(noisy))
	if err != nil {
		t.Fatal(err)
	}
	lossless := deflate(pngFilter(noisy.Pix, noisy.Rect.Dx(), noisy.Rect.Dy(), 1))
	if pi.kind != "gray-jpeg" || len(pi.data)*2 > len(lossless) {
		t.Fatalf("noisy page: %s, %d bytes (lossless %d)", pi.kind, len(pi.data), len(lossless))
	}
	dec, err := jpeg.Decode(bytes.NewReader(pi.data))
	if err != nil {
		t.Fatal(err)
	}
	if q := psnr(noisy, dec.(*image.Gray)); q < 33 {
		t.Errorf("PSNR %.1f dB", q)
	}
	t.Logf("noisy %dx%d: JPEG %d KB, lossless %d KB", noisy.Rect.Dx(), noisy.Rect.Dy(), len(pi.data)/1024, len(lossless)/1024)
	for _, img := range []image.Image{clean, rgb} {
		pi, err := encodePageImage(enc(img))
		if err != nil {
			t.Fatal(err)
		}
		if pi.kind != "gray4-flate" {
			t.Errorf("%T clean page: %s", img, pi.kind)
		}
		g := grayPixels(img)
		if p, s := psnrBytes(g, quantize4(g)), ssimBytes(g, quantize4(g), img.Bounds().Dx(), img.Bounds().Dy()); p < Gray4MinPSNR || s < Gray4MinSSIM {
			t.Errorf("%T clean page: PSNR %.1f SSIM %.4f below the floors", img, p, s)
		}
	}
}
