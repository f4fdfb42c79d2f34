package ocr

import (
	"bytes"
	"image"

	"golang.org/x/image/tiff"
)

// InkFreeGray decodes an encoded image with leptonica, as a worker does, and removes its
// coloured ink (removeInk): the grey image, or ok false when there was none to remove.
func InkFreeGray(img []byte) (out image.Image, ok bool, err error) {
	x, err := decodePix(img)
	if err != nil {
		return nil, false, err
	}
	defer x.free()
	g := x.removeInk()
	if g == nil {
		return nil, false, nil
	}
	defer g.free()
	b, err := g.encode() // uncompressed TIFF
	if err != nil {
		return nil, false, err
	}
	out, err = tiff.Decode(bytes.NewReader(b))
	return out, err == nil, err
}

// UprightTurned decodes an encoded image, turns it clockwise by deg and applies Upright's
// test to it; up and left are leptonica's confidences.
func UprightTurned(img []byte, deg int) (upright bool, up, left float64, err error) {
	x, err := decodePix(img)
	if err != nil {
		return false, 0, 0, err
	}
	defer x.free()
	if deg != 0 {
		r, err := x.rotate(deg)
		if err != nil {
			return false, 0, 0, err
		}
		defer r.free()
		x = r
	}
	up, left, ok := x.orientConf()
	return ok && confidentUp(up, left), up, left, nil
}
