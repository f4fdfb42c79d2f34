package pipeline

import (
	"bytes"
	"image"
	"image/color"
	"image/png"

	_ "golang.org/x/image/tiff"
	_ "image/jpeg" // page images arrive as JPEG, PNG or TIFF

	"github.com/sohoa/sohoa/capture/cleanup"
	"github.com/sohoa/sohoa/ocr/layout"
)

// InkFree returns the page image with the coloured ink of stamps and signatures removed
// (layout.RemoveInk), as a PNG (uncompressed), for recognition only: the stored page keeps its stamp. ok is
// false (and nothing is returned) for a grey or bilevel page and a colour page without such ink.
// The OCR service uses it for JPEG pages only (its workers remove the ink from the other pages
// as they decode them, ocr.Pool.RecognizeInkFree).
func InkFree(img []byte) (out []byte, ok bool) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return nil, false
	}
	if isGrey(cfg) {
		return nil, false
	}
	src, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return nil, false
	}
	clean, ok := layout.RemoveInk(src)
	if !ok {
		return nil, false
	}
	// The copy is read once, by the worker, soon after: uncompressed, it costs a fraction of
	// a compressed one to write and to read.
	if g, isGrey := clean.(*image.Gray); isGrey && g.Rect.Min == (image.Point{}) && g.Stride == g.Rect.Dx() {
		return cleanup.RawPNG(g.Pix[:g.Stride*g.Rect.Dy()], g.Rect.Dx(), g.Rect.Dy(), 1, 0, 0), true
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, clean); err != nil {
		return nil, false
	}
	return b.Bytes(), true
}

func isGrey(cfg image.Config) bool {
	return cfg.ColorModel == color.GrayModel || cfg.ColorModel == color.Gray16Model
}
