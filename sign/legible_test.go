package sign

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"testing"
)

// TestGray4Floors checks the in-code legibility rule: an anti-aliased text-like page passes
// and becomes 16-level grey; a smooth gradient (banding at 16 levels) fails and stays 256-level.
func TestGray4Floors(t *testing.T) {
	const w, h = 400, 300
	text := image.NewGray(image.Rect(0, 0, w, h))
	grad := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8(255)
			// strokes 3 px wide every 10 px, with one anti-aliased grey pixel on each side
			switch d := (x + y/7) % 10; {
			case d >= 3 && d <= 5 && (y/12)%2 == 0:
				v = 0
			case (d == 2 || d == 6) && (y/12)%2 == 0:
				v = uint8(90 + (x*7+y*3)%120)
			}
			text.Pix[y*w+x] = v
			grad.Pix[y*w+x] = uint8(x * 255 / (w - 1))
		}
	}
	enc := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	pi, err := encodePageImage(enc(text))
	if err != nil {
		t.Fatal(err)
	}
	if pi.kind != "gray4-flate" {
		t.Fatalf("text page: %s", pi.kind)
	}
	q := quantize4(text.Pix)
	if p, s := psnrBytes(text.Pix, q), ssimBytes(text.Pix, q, w, h); p < Gray4MinPSNR || s < Gray4MinSSIM {
		t.Fatalf("text page chosen with PSNR %.1f SSIM %.4f", p, s)
	}
	for i, v := range q {
		if d := int(v) - int(text.Pix[i]); d < -8 || d > 8 {
			t.Fatalf("pixel %d moved by %d", i, d)
		}
		if (text.Pix[i] == 0 || text.Pix[i] == 255) && v != text.Pix[i] {
			t.Fatalf("black/white pixel %d changed", i)
		}
	}
	pg, err := encodePageImage(enc(grad))
	if err != nil {
		t.Fatal(err)
	}
	if pg.kind != "gray-flate" && pg.kind != "gray-png" {
		t.Fatalf("gradient: %s, want lossless", pg.kind)
	}
	if p := psnrBytes(grad.Pix, quantize4(grad.Pix)); p >= Gray4MinPSNR {
		t.Fatalf("gradient at 16 levels has PSNR %.1f, above the floor", p)
	}
	if !math.IsInf(psnrBytes(text.Pix, text.Pix), 1) || ssimBytes(text.Pix, text.Pix, w, h) != 1 {
		t.Fatal("identical images not scored as identical")
	}
}
