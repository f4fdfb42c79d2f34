package docgen

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"io"
)

// TIFF tag numbers and field types used by WriteTIFF.
const (
	tagNewSubfileType  = 254
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagXResolution     = 282
	tagYResolution     = 283
	tagResolutionUnit  = 296
	tagPageNumber      = 297

	tShort    = 3
	tLong     = 4
	tRational = 5

	compressionNone    = 1
	compressionDeflate = 8 // Adobe deflate (zlib stream)
	tiffRowsPerStrip   = 64
)

// ErrNoPages is returned by WriteTIFF for an empty page list.
var ErrNoPages = errors.New("docgen: TIFF needs at least one page / tệp TIFF cần ít nhất một trang")

// WriteTIFF writes pages as one little-endian multi-page TIFF: 8-bit
// grayscale (BlackIsZero), deflate-compressed strips of 64 rows, with
// XResolution/YResolution = dpi pixels per inch and PageNumber tags.
// Non-gray pages are converted to gray.
func WriteTIFF(w io.Writer, pages []image.Image, dpi int) error {
	return writeTIFF(w, pages, dpi, true)
}

type ifdEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte // raw little-endian values
}

func writeTIFF(w io.Writer, pages []image.Image, dpi int, deflate bool) error {
	if len(pages) == 0 {
		return ErrNoPages
	}
	if dpi <= 0 {
		return fmt.Errorf("docgen: TIFF resolution %d dpi is not positive", dpi)
	}
	le := binary.LittleEndian
	buf := []byte{'I', 'I', 42, 0, 0, 0, 0, 0}
	nextPtr := 4 // where to patch the offset of the next IFD
	for pi, pg := range pages {
		g := asGray(pg)
		width, height := g.Rect.Dx(), g.Rect.Dy()
		if width == 0 || height == 0 {
			return fmt.Errorf("docgen: TIFF page %d is empty", pi)
		}
		var offsets, counts []uint32
		for y0 := 0; y0 < height; y0 += tiffRowsPerStrip {
			y1 := min(y0+tiffRowsPerStrip, height)
			var raw []byte
			for y := y0; y < y1; y++ {
				raw = append(raw, g.Pix[y*g.Stride:y*g.Stride+width]...)
			}
			data := raw
			if deflate {
				var zb bytes.Buffer
				zw, _ := zlib.NewWriterLevel(&zb, zlib.BestSpeed)
				if _, err := zw.Write(raw); err != nil {
					return fmt.Errorf("docgen: TIFF deflate: %w", err)
				}
				if err := zw.Close(); err != nil {
					return fmt.Errorf("docgen: TIFF deflate: %w", err)
				}
				data = zb.Bytes()
			}
			offsets = append(offsets, uint32(len(buf)))
			counts = append(counts, uint32(len(data)))
			buf = append(buf, data...)
			if len(buf) > 1<<32-1<<20 {
				return errors.New("docgen: TIFF larger than 4 GiB")
			}
		}
		if len(buf)%2 == 1 {
			buf = append(buf, 0)
		}
		short := func(v ...uint16) []byte {
			b := make([]byte, 2*len(v))
			for i, x := range v {
				le.PutUint16(b[2*i:], x)
			}
			return b
		}
		long := func(v ...uint32) []byte {
			b := make([]byte, 4*len(v))
			for i, x := range v {
				le.PutUint32(b[4*i:], x)
			}
			return b
		}
		comp := uint16(compressionNone)
		if deflate {
			comp = compressionDeflate
		}
		entries := []ifdEntry{
			{tagNewSubfileType, tLong, 1, long(2)},
			{tagImageWidth, tLong, 1, long(uint32(width))},
			{tagImageLength, tLong, 1, long(uint32(height))},
			{tagBitsPerSample, tShort, 1, short(8)},
			{tagCompression, tShort, 1, short(comp)},
			{tagPhotometric, tShort, 1, short(1)},
			{tagStripOffsets, tLong, uint32(len(offsets)), long(offsets...)},
			{tagSamplesPerPixel, tShort, 1, short(1)},
			{tagRowsPerStrip, tLong, 1, long(tiffRowsPerStrip)},
			{tagStripByteCounts, tLong, uint32(len(counts)), long(counts...)},
			{tagXResolution, tRational, 1, long(uint32(dpi), 1)},
			{tagYResolution, tRational, 1, long(uint32(dpi), 1)},
			{tagResolutionUnit, tShort, 1, short(2)},
			{tagPageNumber, tShort, 2, short(uint16(pi), uint16(len(pages)))},
		}
		ifdOff := len(buf)
		le.PutUint32(buf[nextPtr:], uint32(ifdOff))
		ifdLen := 2 + 12*len(entries) + 4
		extra := ifdOff + ifdLen // values that do not fit in 4 bytes go here
		ifd := make([]byte, ifdLen)
		le.PutUint16(ifd, uint16(len(entries)))
		var ext []byte
		for i, e := range entries {
			o := 2 + 12*i
			le.PutUint16(ifd[o:], e.tag)
			le.PutUint16(ifd[o+2:], e.typ)
			le.PutUint32(ifd[o+4:], e.count)
			if len(e.data) <= 4 {
				copy(ifd[o+8:], e.data)
			} else {
				le.PutUint32(ifd[o+8:], uint32(extra+len(ext)))
				ext = append(ext, e.data...)
				if len(ext)%2 == 1 {
					ext = append(ext, 0)
				}
			}
		}
		buf = append(buf, ifd...)
		nextPtr = ifdOff + ifdLen - 4
		buf = append(buf, ext...)
	}
	_, err := w.Write(buf)
	return err
}

// asGray returns img as *image.Gray, converting when needed.
func asGray(img image.Image) *image.Gray {
	switch v := img.(type) {
	case *image.Gray:
		if v.Rect.Min == (image.Point{}) {
			return v
		}
	case *image.RGBA:
		if v.Rect.Min == (image.Point{}) {
			return toGray(v)
		}
	}
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Rect, img, b.Min, draw.Src)
	return g
}
