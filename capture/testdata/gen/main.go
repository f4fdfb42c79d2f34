// Command gen writes the uncompressed TIFF pages from which gen.sh builds the committed
// test files (compressed TIFFs with libtiff's tiffcp, a CCITT PDF with tiff2pdf). The
// pictures are synthetic: stripes, a grid and a gradient, no text.
package main

import (
	"encoding/binary"
	"os"
)

// writeTIFF writes one uncompressed page: spp 1 (grey or 1-bit) or 3 (RGB).
func writeTIFF(path string, w, h, bps, spp, photometric, dpi int, pix []byte) {
	le := binary.LittleEndian
	type entry struct {
		tag, typ uint16
		count    uint32
		val      uint32
	}
	const hdr = 8
	dataOff := uint32(hdr)
	extra := uint32(len(pix))
	resOff := dataOff + extra
	bpsOff := resOff + 16
	ifdOff := bpsOff + 8
	entries := []entry{
		{256, 4, 1, uint32(w)},
		{257, 4, 1, uint32(h)},
		{258, 3, uint32(spp), uint32(bps)},
		{259, 3, 1, 1},
		{262, 3, 1, uint32(photometric)},
		{273, 4, 1, dataOff},
		{277, 3, 1, uint32(spp)},
		{278, 4, 1, uint32(h)},
		{279, 4, 1, uint32(len(pix))},
		{282, 5, 1, resOff},
		{283, 5, 1, resOff + 8},
		{296, 3, 1, 2},
	}
	if spp == 3 {
		entries[2].val = bpsOff
	}
	b := make([]byte, int(ifdOff)+2+12*len(entries)+4)
	copy(b, "II*\x00")
	le.PutUint32(b[4:], ifdOff)
	copy(b[dataOff:], pix)
	for i := 0; i < 2; i++ {
		le.PutUint32(b[resOff+uint32(8*i):], uint32(dpi))
		le.PutUint32(b[resOff+uint32(8*i)+4:], 1)
	}
	for i := 0; i < 3; i++ {
		le.PutUint16(b[bpsOff+uint32(2*i):], 8)
	}
	le.PutUint16(b[ifdOff:], uint16(len(entries)))
	for i, e := range entries {
		p := b[int(ifdOff)+2+12*i:]
		le.PutUint16(p, e.tag)
		le.PutUint16(p[2:], e.typ)
		le.PutUint32(p[4:], e.count)
		if e.typ == 3 && e.count == 1 {
			le.PutUint16(p[8:], uint16(e.val))
		} else {
			le.PutUint32(p[8:], e.val)
		}
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		panic(err)
	}
}

func main() {
	const w, h = 240, 320
	// Page 1: 8-bit grey gradient with dark stripes, 200 dpi.
	g := make([]byte, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := byte((x + y) % 256)
			if (y/20)%2 == 0 && x%40 < 10 {
				v = 20
			}
			g[y*w+x] = v
		}
	}
	writeTIFF("gray.tif", w, h, 8, 1, 1, 200, g)
	// Page 2: 1-bit grid (black lines on white, min-is-white), 300 dpi.
	rowBytes := (w + 7) / 8
	bw := make([]byte, rowBytes*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x%16 == 0 || y%24 == 0 || (x > 60 && x < 180 && y > 100 && y < 140) {
				bw[y*rowBytes+x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	writeTIFF("bilevel.tif", w, h, 1, 1, 0, 300, bw)
	// Page 3: RGB colour blocks, 150 dpi.
	rgb := make([]byte, w*h*3)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := (y*w + x) * 3
			rgb[i], rgb[i+1], rgb[i+2] = byte(x), byte(y*255/h), byte((x/30+y/30)%2*200)
		}
	}
	writeTIFF("rgb.tif", w, h, 8, 3, 2, 150, rgb)
}
