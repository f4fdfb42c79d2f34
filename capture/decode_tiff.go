package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/image/tiff"

	"github.com/sohoa/sohoa/internal/l10n"
)

// TIFF tags and values read here (TIFF 6.0).
const (
	tagNewSubfileType  = 254
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagSamplesPerPixel = 277
	tagXResolution     = 282
	tagYResolution     = 283
	tagT4Options       = 292
	tagResolutionUnit  = 296
)

// tiffIFD is what this package needs from one image file directory.
type tiffIFD struct {
	offset        uint32
	width, height uint32
	compression   uint32
	subfileType   uint32
	t4Options     uint32
	dpi           int
}

// walkTIFF follows the IFD chain from the header and returns every IFD, in file order.
// It refuses loops, offsets outside the file and more than MaxPages directories.
func walkTIFF(data []byte) (binary.ByteOrder, []tiffIFD, error) {
	if len(data) < 8 {
		return nil, nil, errors.New("TIFF header truncated")
	}
	var order binary.ByteOrder
	switch string(data[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return nil, nil, errors.New("not a TIFF header")
	}
	var ifds []tiffIFD
	seen := map[uint32]bool{}
	off := order.Uint32(data[4:8])
	if off == 0 {
		return order, nil, nil
	}
	for off != 0 {
		if seen[off] {
			return nil, nil, fmt.Errorf("IFD chain loops back to offset %d", off)
		}
		seen[off] = true
		if len(ifds) >= MaxPages {
			return nil, nil, pageError(-1, ErrTooLarge, fmt.Errorf("more than %d pages", MaxPages))
		}
		ifd, next, err := parseTIFFIFD(data, order, off)
		if err != nil {
			return nil, nil, fmt.Errorf("IFD %d: %w", len(ifds), err)
		}
		ifds = append(ifds, ifd)
		off = next
	}
	return order, ifds, nil
}

// parseTIFFIFD reads the IFD at off and the offset of the next one.
func parseTIFFIFD(data []byte, order binary.ByteOrder, off uint32) (tiffIFD, uint32, error) {
	ifd := tiffIFD{offset: off, compression: 1}
	if uint64(off)+2 > uint64(len(data)) {
		return ifd, 0, fmt.Errorf("offset %d outside the file (%d bytes)", off, len(data))
	}
	n := uint64(order.Uint16(data[off:]))
	end := uint64(off) + 2 + 12*n
	if n == 0 || end+4 > uint64(len(data)) {
		return ifd, 0, fmt.Errorf("directory at %d with %d entries does not fit in the file", off, n)
	}
	xres, yres := 0.0, 0.0
	unit := uint32(2) // inch, the TIFF default
	for i := uint64(0); i < n; i++ {
		e := data[uint64(off)+2+12*i:]
		tag := order.Uint16(e)
		typ := order.Uint16(e[2:])
		count := order.Uint32(e[4:])
		switch tag {
		case tagImageWidth, tagImageLength, tagCompression, tagNewSubfileType, tagT4Options, tagResolutionUnit:
			v, ok := tiffUint(e, order, typ, count)
			if !ok {
				continue
			}
			switch tag {
			case tagImageWidth:
				ifd.width = v
			case tagImageLength:
				ifd.height = v
			case tagCompression:
				ifd.compression = v
			case tagNewSubfileType:
				ifd.subfileType = v
			case tagT4Options:
				ifd.t4Options = v
			case tagResolutionUnit:
				unit = v
			}
		case tagXResolution, tagYResolution:
			v, ok := tiffRational(data, e, order, typ, count)
			if !ok {
				continue
			}
			if tag == tagXResolution {
				xres = v
			} else {
				yres = v
			}
		}
	}
	switch unit {
	case 2:
		ifd.dpi = roundDPI(max(xres, yres))
	case 3:
		ifd.dpi = roundDPI(max(xres, yres) * 2.54)
	}
	return ifd, order.Uint32(data[end:]), nil
}

// tiffUint reads a single BYTE, SHORT or LONG value stored inside the entry.
func tiffUint(e []byte, order binary.ByteOrder, typ uint16, count uint32) (uint32, bool) {
	if count < 1 {
		return 0, false
	}
	switch typ {
	case 1:
		return uint32(e[8]), true
	case 3:
		return uint32(order.Uint16(e[8:])), true
	case 4:
		if count != 1 {
			return 0, false
		}
		return order.Uint32(e[8:]), true
	}
	return 0, false
}

// tiffRational reads a RATIONAL value (always stored at an offset).
func tiffRational(data, e []byte, order binary.ByteOrder, typ uint16, count uint32) (float64, bool) {
	if typ != 5 || count < 1 {
		return 0, false
	}
	at := uint64(order.Uint32(e[8:]))
	if at+8 > uint64(len(data)) {
		return 0, false
	}
	num, den := order.Uint32(data[at:]), order.Uint32(data[at+4:])
	if den == 0 {
		return 0, false
	}
	return float64(num) / float64(den), true
}

// parseTIFFResolution reads the resolution of IFD0 of a TIFF structure (as in EXIF).
func parseTIFFResolution(data []byte) (int, bool) {
	if len(data) < 8 {
		return 0, false
	}
	var order binary.ByteOrder
	switch string(data[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 0, false
	}
	ifd, _, err := parseTIFFIFD(data, order, order.Uint32(data[4:]))
	if err != nil || ifd.dpi == 0 {
		return 0, false
	}
	return ifd.dpi, true
}

// tiffCompressionError says whether x/image/tiff can decode a compression scheme.
func tiffCompressionError(ifd tiffIFD) error {
	switch ifd.compression {
	case 0, 1, 4, 5, 8, 32946, 32773: // none, CCITT G4, LZW, Deflate, old Deflate, PackBits
		return nil
	case 3: // CCITT G3: one-dimensional only
		if ifd.t4Options&1 != 0 {
			return unsupported("TIFF with two-dimensional CCITT Group 3 compression is not supported",
				"capture.feature.tiffG3")
		}
		return nil
	case 2:
		return unsupported("TIFF with CCITT modified Huffman (RLE) compression is not supported",
			"capture.feature.tiffRLE")
	case 6, 7, 99:
		return unsupported("TIFF with JPEG compression is not supported",
			"capture.feature.tiffJPEG")
	case 34712, 33003, 33005:
		return unsupported("TIFF with JPEG 2000 compression is not supported",
			"capture.feature.tiffJPX")
	}
	return unsupported(fmt.Sprintf("TIFF compression %d is not supported", ifd.compression),
		"capture.feature.tiffCompression", l10n.Args{"N": ifd.compression})
}

// decodeTIFF decodes every page of a (multi-page) TIFF file. Reduced-resolution copies
// (thumbnails, NewSubfileType bit 0) are skipped.
func decodeTIFF(data []byte) ([]PageImage, error) {
	order, ifds, err := walkTIFF(data)
	if err != nil {
		var de *DecodeError
		if errors.As(err, &de) {
			return nil, de
		}
		return nil, pageError(-1, ErrCorrupt, err)
	}
	var pages []PageImage
	for _, ifd := range ifds {
		if ifd.subfileType&1 != 0 && len(ifds) > 1 {
			continue
		}
		k := len(pages)
		if err := checkSize(k, int(ifd.width), int(ifd.height)); err != nil {
			return nil, err
		}
		if err := tiffCompressionError(ifd); err != nil {
			return nil, pageError(k, ErrUnsupported, err)
		}
		img, err := tiff.Decode(&tiffPage{data: data, order: order, ifd: ifd.offset})
		if err != nil {
			var ue tiff.UnsupportedError
			if errors.As(err, &ue) {
				return nil, pageError(k, ErrUnsupported, unsupported("TIFF feature not supported: "+err.Error(),
					"capture.feature.tiff", l10n.Args{"Detail": err.Error()}))
			}
			return nil, pageError(k, ErrCorrupt, err)
		}
		b := img.Bounds()
		if b.Dx() != int(ifd.width) || b.Dy() != int(ifd.height) {
			return nil, pageError(k, ErrCorrupt, fmt.Errorf("decoded %dx%d, header says %dx%d", b.Dx(), b.Dy(), ifd.width, ifd.height))
		}
		png, err := encodePNG(img)
		if err != nil {
			return nil, pageError(k, ErrCorrupt, err)
		}
		pages = append(pages, PageImage{Index: k, Width: b.Dx(), Height: b.Dy(), DPI: ifd.dpi, Format: "png", Data: png})
	}
	if len(pages) == 0 {
		return nil, pageError(-1, ErrNoPages, errors.New("TIFF has no image directory"))
	}
	return pages, nil
}

// tiffPage shows the TIFF decoder the file as if its header pointed at one chosen IFD,
// without copying the file. x/image/tiff decodes only the first IFD and reads through
// ReadAt when the reader offers it.
type tiffPage struct {
	data  []byte
	order binary.ByteOrder
	ifd   uint32
}

func (r *tiffPage) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= int64(len(r.data)) {
		return 0, io.EOF
	}
	n := copy(p, r.data[off:])
	if off < 8 {
		var hdr [8]byte
		copy(hdr[:], r.data[:8])
		r.order.PutUint32(hdr[4:], r.ifd)
		copy(p, hdr[off:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *tiffPage) Read([]byte) (int, error) {
	return 0, errors.New("tiffPage is read through ReadAt only")
}
