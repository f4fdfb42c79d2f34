package capture

import (
	"image"
	"os"
	"testing"
)

// a4 is an A4 page at 300 dpi.
const a4W, a4H = 2480, 3508

func benchDecode(b *testing.B, name string, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(name, data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeJPEGA4Colour(b *testing.B) {
	benchDecode(b, "a4.jpg", jpegBytes(b, rgbImage(a4W, a4H), "jfif", 300))
}

func BenchmarkDecodePNGA4Grey(b *testing.B) {
	benchDecode(b, "a4.png", pngBytes(b, grayImage(a4W, a4H), 300))
}

// BenchmarkDecodeTIFFG4Letter decodes a real 300-dpi CCITT G4 page (2560x3300) and
// re-encodes it as a 1-bit PNG.
func BenchmarkDecodeTIFFG4Letter(b *testing.B) {
	data, err := os.ReadFile(corpusDir + "/ocr-en/8087_054.3B.tif")
	if err != nil {
		b.Skip("shared corpus not present")
	}
	benchDecode(b, "g4.tif", data)
}

func BenchmarkDecodePDFJPEGA4(b *testing.B) {
	benchDecode(b, "a4.pdf", pdfFromImages(b, jpegBytes(b, rgbImage(a4W, a4H), "", 0)))
}

func BenchmarkEncodePNGBilevelA4(b *testing.B) {
	g := image.NewGray(image.Rect(0, 0, a4W, a4H))
	for i := range g.Pix {
		if (i/7)%5 == 0 {
			g.Pix[i] = 0xff
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodePNG(g); err != nil {
			b.Fatal(err)
		}
	}
}
