package cleanup

import (
	"bytes"
	"image"
	"image/png"
	"math/rand/v2"
	"testing"
)

// TestRawPNG: Go's strict PNG decoder reads RawPNG's output back to the same pixels, for
// grey and colour pages whose deflate blocks end mid-row, on a row's end (257-byte scanlines:
// 255 of them make a block) and after a filter byte.
func TestRawPNG(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ w, h, ch int }{{1, 1, 1}, {256, 300, 1}, {65534, 3, 1}, {21845, 2, 3}, {1000, 700, 3}, {37, 5000, 3}} {
		rows := make([]byte, c.w*c.h*c.ch)
		for i := range rows {
			rows[i] = byte(rng.IntN(256))
		}
		img, err := png.Decode(bytes.NewReader(RawPNG(rows, c.w, c.h, c.ch, 200, 200)))
		if err != nil {
			t.Fatalf("%dx%dx%d: %v", c.w, c.h, c.ch, err)
		}
		var got []byte
		switch m := img.(type) {
		case *image.Gray:
			got = m.Pix
		case *image.RGBA:
			for i := 0; i < len(m.Pix); i += 4 {
				got = append(got, m.Pix[i:i+3]...)
			}
		default:
			t.Fatalf("%dx%dx%d: decoded as %T", c.w, c.h, c.ch, img)
		}
		if !bytes.Equal(got, rows) {
			t.Errorf("%dx%dx%d: pixels differ", c.w, c.h, c.ch)
		}
	}
}
