package ocr

/*
#cgo pkg-config: lept
#include <stdlib.h>
#include <string.h>
#include <leptonica/allheaders.h>

int sohoa_orient_pix(PIX* p, float* up, float* left);

// sohoa_inspect decodes data, measures its text orientation (sohoa_orient_pix; *ok) and, for an
// 8-bit grey or RGB image without colormap or alpha, copies its pixels into rows (one byte a
// grey pixel, three an RGB one, w*ch bytes a row): the number of channels, or 0 when rows
// were not filled (another kind of image), -1 when data does not decode.
static int sohoa_inspect(const unsigned char* data, size_t n, float* up, float* left, int* ok,
		unsigned char* rows, size_t cap, int* w, int* h, int* xres, int* yres) {
	PIX* p = pixReadMem(data, n);
	if (p == NULL) return -1;
	*ok = sohoa_orient_pix(p, up, left);
	*w = pixGetWidth(p); *h = pixGetHeight(p);
	*xres = pixGetXRes(p); *yres = pixGetYRes(p);
	int d = pixGetDepth(p), ch = 0;
	if (pixGetColormap(p) == NULL && (d == 8 || (d == 32 && pixGetSpp(p) == 3))) ch = d == 8 ? 1 : 3;
	if (ch == 0 || rows == NULL || cap < (size_t)(*w) * ch * (*h)) { pixDestroy(&p); return 0; }
	l_uint32* src = pixGetData(p);
	int wpl = pixGetWpl(p);
	for (int y = 0; y < *h; y++) {
		l_uint32* line = src + (long)y * wpl;
		unsigned char* o = rows + (size_t)y * (*w) * ch;
		if (ch == 1) {
			for (int x = 0; x < *w; x++) o[x] = GET_DATA_BYTE(line, x);
		} else {
			for (int x = 0; x < *w; x++) {
				l_uint32 v = line[x];
				o[3*x] = (v >> L_RED_SHIFT) & 0xff; o[3*x+1] = (v >> L_GREEN_SHIFT) & 0xff; o[3*x+2] = (v >> L_BLUE_SHIFT) & 0xff;
			}
		}
	}
	pixDestroy(&p);
	return ch;
}
*/
import "C"

import (
	"bytes"
	"encoding/binary"
	"hash/adler32"
	"hash/crc32"
	"image/png"
	"math"
	"unsafe"
)

// UprightPNG is Upright for a PNG page that also gives the decoded page back as an
// uncompressed PNG (stored deflate blocks, no row filters; the same pixels and resolution), or
// nil for another kind of image (JPEG, palette, 16-bit, alpha, bilevel). Decoding a
// compressed 200-dpi colour page costs leptonica about 45 ms and the clean-up and the worker
// each decode the page again; the uncompressed copy costs about 15 ms to write and less than
// half as much as the original to read, so handing it on saves a decoding's worth in all.
func UprightPNG(img []byte) (upright bool, raw []byte) {
	if !bytes.HasPrefix(img, []byte("\x89PNG\r\n\x1a\n")) {
		return Upright(img), nil
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > 30000 || cfg.Height > 30000 {
		return Upright(img), nil
	}
	rows := make([]byte, 3*cfg.Width*cfg.Height)
	var up, left C.float
	var ok, w, h, xres, yres C.int
	ch := C.sohoa_inspect((*C.uchar)(unsafe.Pointer(&img[0])), C.size_t(len(img)), &up, &left, &ok,
		(*C.uchar)(unsafe.Pointer(&rows[0])), C.size_t(len(rows)), &w, &h, &xres, &yres)
	upright = ok == 1 && confidentUp(float64(up), float64(left))
	if ch <= 0 || int(w) != cfg.Width || int(h) != cfg.Height {
		return upright, nil
	}
	return upright, storedPNG(rows[:int(ch)*cfg.Width*cfg.Height], cfg.Width, cfg.Height, int(ch), int(xres), int(yres))
}

// storedPNG writes 8-bit grey (ch 1) or RGB (ch 3) rows as a PNG without compression.
func storedPNG(rows []byte, w, h, ch, xres, yres int) []byte {
	stride := w * ch
	scan := h * (stride + 1)
	blocks := (scan + 65534) / 65535
	out := make([]byte, 0, 8+25+21+12+2+scan+5*blocks+4+12)
	chunk := func(typ string, data []byte) {
		out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
		start := len(out)
		out = append(out, typ...)
		out = append(out, data...)
		out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
	}
	out = append(out, "\x89PNG\r\n\x1a\n"...)
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	colour := byte(0)
	if ch == 3 {
		colour = 2
	}
	chunk("IHDR", append(ihdr, 8, colour, 0, 0, 0))
	if xres > 0 && yres > 0 { // pixels per metre, as leptonica reads and writes them
		phys := binary.BigEndian.AppendUint32(nil, uint32(math.Round(float64(xres)/0.0254)))
		phys = binary.BigEndian.AppendUint32(phys, uint32(math.Round(float64(yres)/0.0254)))
		chunk("pHYs", append(phys, 1))
	}
	// IDAT: a zlib stream of stored blocks over the scanlines (filter byte 0, then the row).
	z := make([]byte, 0, 2+scan+5*blocks+4)
	z = append(z, 0x78, 0x01)
	ad := adler32.New()
	block := make([]byte, 0, 65535)
	left := scan
	flush := func() {
		final := byte(0)
		left -= len(block)
		if left == 0 {
			final = 1
		}
		z = append(z, final)
		z = binary.LittleEndian.AppendUint16(z, uint16(len(block)))
		z = binary.LittleEndian.AppendUint16(z, ^uint16(len(block)))
		z = append(z, block...)
		ad.Write(block)
		block = block[:0]
	}
	for y := 0; y < h; y++ {
		row := rows[y*stride : (y+1)*stride]
		for i := -1; i < len(row); {
			if len(block) == cap(block) {
				flush()
			}
			if i < 0 {
				block = append(block, 0)
				i = 0
				continue
			}
			n := min(cap(block)-len(block), len(row)-i)
			block = append(block, row[i:i+n]...)
			i += n
		}
	}
	if len(block) > 0 {
		flush()
	}
	z = binary.BigEndian.AppendUint32(z, ad.Sum32())
	chunk("IDAT", z)
	chunk("IEND", nil)
	return out
}
