// Package imgutil holds small image helpers shared by the store and the pipeline: right-angle
// rotation and lossless encoding.
package imgutil

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"

	_ "image/jpeg" // decode stored JPEG pages
)

// Rotate turns img clockwise by deg (0, 90, 180 or 270) and returns a new image of the same
// kind for *image.Gray, else RGBA.
func Rotate(img image.Image, deg int) (image.Image, error) {
	deg = ((deg % 360) + 360) % 360
	if deg%90 != 0 {
		return nil, fmt.Errorf("rotation must be a multiple of 90 degrees, got %d", deg)
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if deg == 0 {
		return img, nil
	}
	nw, nh := w, h
	if deg != 180 {
		nw, nh = h, w
	}
	// map destination (x, y) to source coordinates
	src := func(x, y int) (int, int) {
		switch deg {
		case 90:
			return y, h - 1 - x
		case 180:
			return w - 1 - x, h - 1 - y
		default: // 270
			return w - 1 - y, x
		}
	}
	if g, ok := img.(*image.Gray); ok {
		out := image.NewGray(image.Rect(0, 0, nw, nh))
		for y := 0; y < nh; y++ {
			row := out.Pix[y*out.Stride : y*out.Stride+nw]
			for x := range row {
				sx, sy := src(x, y)
				row[x] = g.Pix[(sy)*g.Stride+sx]
			}
		}
		return out, nil
	}
	rgba := image.NewRGBA(b.Sub(b.Min))
	draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Src)
	out := image.NewRGBA(image.Rect(0, 0, nw, nh))
	for y := 0; y < nh; y++ {
		for x := 0; x < nw; x++ {
			sx, sy := src(x, y)
			si := sy*rgba.Stride + sx*4
			di := y*out.Stride + x*4
			copy(out.Pix[di:di+4], rgba.Pix[si:si+4])
		}
	}
	return out, nil
}

// RotateEncoded decodes a PNG or JPEG page, rotates it clockwise by deg and returns it as PNG
// with its new size.
func RotateEncoded(data []byte, deg int) (out []byte, w, h int, err error) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("decode page: %w", err)
	}
	if g, ok := img.(*image.Gray); ok && g.Rect.Min != (image.Point{}) {
		img = g.SubImage(g.Rect)
	}
	r, err := Rotate(img, deg)
	if err != nil {
		return nil, 0, 0, err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, r); err != nil {
		return nil, 0, 0, err
	}
	return buf.Bytes(), r.Bounds().Dx(), r.Bounds().Dy(), nil
}
