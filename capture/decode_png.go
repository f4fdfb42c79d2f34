package capture

import (
	"bytes"
	"encoding/binary"
	"image/png"
)

// decodePNG validates a PNG file (whole decode: CRCs, zlib stream, IEND) and returns it
// unchanged as one page.
func decodePNG(data []byte) ([]PageImage, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, pageError(0, ErrCorrupt, err)
	}
	if err := checkSize(0, cfg.Width, cfg.Height); err != nil {
		return nil, err
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, pageError(0, ErrCorrupt, err)
	}
	b := img.Bounds()
	return []PageImage{{Index: 0, Width: b.Dx(), Height: b.Dy(), DPI: pngDPI(data), Format: "png", Data: data}}, nil
}

// pngDPI reads the pHYs chunk (pixels per metre) before the first IDAT; 0 when absent.
func pngDPI(data []byte) int {
	p := 8
	for p+8 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[p:]))
		typ := string(data[p+4 : p+8])
		if n < 0 || n > len(data)-p-12 || typ == "IDAT" {
			return 0
		}
		if typ == "pHYs" && n == 9 {
			c := data[p+8 : p+17]
			x := binary.BigEndian.Uint32(c[0:4])
			y := binary.BigEndian.Uint32(c[4:8])
			if c[8] != 1 { // unit unknown: aspect ratio only
				return 0
			}
			return roundDPI(float64(max(x, y)) * 0.0254)
		}
		p += 12 + n
	}
	return 0
}
