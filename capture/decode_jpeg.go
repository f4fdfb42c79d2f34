package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image/jpeg"
)

// decodeJPEG validates a JPEG file (whole decode up to EOI) and returns it unchanged as
// one page.
func decodeJPEG(data []byte) ([]PageImage, error) {
	w, h, err := decodeJPEGStream(0, data)
	if err != nil {
		return nil, err
	}
	return []PageImage{{Index: 0, Width: w, Height: h, DPI: jpegHeader(data).dpi, Format: "jpeg", Data: data}}, nil
}

// decodeJPEGStream checks the size from the frame header, then decodes every pixel once.
func decodeJPEGStream(page int, data []byte) (w, h int, err error) {
	if hd := jpegHeader(data); hd.width > 0 {
		// Frame header found before any pixel: refuse oversized pages right here.
		if err := checkSize(page, hd.width, hd.height); err != nil {
			return 0, 0, err
		}
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, jpegError(page, err)
	}
	if err := checkSize(page, cfg.Width, cfg.Height); err != nil {
		return 0, 0, err
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return 0, 0, jpegError(page, err)
	}
	b := img.Bounds()
	return b.Dx(), b.Dy(), nil
}

func jpegError(page int, err error) error {
	var ue jpeg.UnsupportedError
	if errors.As(err, &ue) {
		return pageError(page, ErrUnsupported, unsupported("JPEG feature not supported: "+err.Error(),
			"capture.feature.jpeg"))
	}
	return pageError(page, ErrCorrupt, err)
}

// jpegInfo is what the marker segments before the first scan say.
type jpegInfo struct {
	width, height int // from the first SOFn; 0 when not found
	dpi           int // JFIF density, else EXIF resolution; 0 when absent
}

// jpegHeader walks the marker segments up to the first scan.
func jpegHeader(data []byte) jpegInfo {
	var info jpegInfo
	jfif, exif := 0, 0
	p := 2
	for p+4 <= len(data) {
		if data[p] != 0xff {
			break
		}
		marker := data[p+1]
		if marker == 0xff { // fill byte
			p++
			continue
		}
		if marker == 0xda || marker == 0xd9 { // start of scan, end of image
			break
		}
		n := int(binary.BigEndian.Uint16(data[p+2:]))
		if n < 2 || p+2+n > len(data) {
			break
		}
		seg := data[p+4 : p+2+n]
		switch {
		case marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc:
			if len(seg) >= 5 && info.width == 0 {
				info.height = int(binary.BigEndian.Uint16(seg[1:]))
				info.width = int(binary.BigEndian.Uint16(seg[3:]))
			}
		case marker == 0xe0 && len(seg) >= 12 && string(seg[:5]) == "JFIF\x00" && jfif == 0:
			x := float64(binary.BigEndian.Uint16(seg[8:]))
			y := float64(binary.BigEndian.Uint16(seg[10:]))
			switch seg[7] {
			case 1:
				jfif = roundDPI(max(x, y))
			case 2:
				jfif = roundDPI(max(x, y) * 2.54)
			}
		case marker == 0xe1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" && exif == 0:
			if r, ok := parseTIFFResolution(seg[6:]); ok {
				exif = r
			}
		}
		p += 2 + n
	}
	info.dpi = jfif
	if info.dpi == 0 {
		info.dpi = exif
	}
	return info
}

// dropStraySOI removes repeated start-of-image markers among the header segments, as
// written by libtiff's tiff2pdf for JPEG-compressed TIFF (tables, then the strip with its
// own SOI). libjpeg ignores them; Go's decoder rejects them. Other streams come back unchanged.
func dropStraySOI(data []byte) []byte {
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return data
	}
	var out []byte
	p := 2
	for p+4 <= len(data) && data[p] == 0xff {
		marker := data[p+1]
		if marker == 0xd8 {
			if out == nil {
				out = append(make([]byte, 0, len(data)), data[:p]...)
			}
			p += 2
			continue
		}
		if marker == 0xda || marker == 0xd9 || marker == 0xff {
			break
		}
		n := int(binary.BigEndian.Uint16(data[p+2:]))
		if n < 2 || p+2+n > len(data) {
			break
		}
		if out != nil {
			out = append(out, data[p:p+2+n]...)
		}
		p += 2 + n
	}
	if out == nil {
		return data
	}
	return append(out, data[p:]...)
}
