package sane

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
)

// frame is one SANE frame as read from the device: its parameters and the raw
// sample bytes (bytesPerLine per line; lines may be unknown, -1, in params).
type frame struct {
	p    params
	data []byte
}

// maxPixels bounds the image a frame may describe (about 2.4 gigapixels would be
// a 1200 dpi A0 scan; we allow a generous 1<<30).
const maxPixels = 1 << 30

var errBadFrame = errors.New("sane: malformed frame")

// lineCount is the number of complete lines in the frame.
func (f frame) lineCount() (int, error) {
	p := f.p
	if p.bytesPerLine <= 0 || p.pixels <= 0 {
		return 0, fmt.Errorf("%w: %d pixels, %d bytes per line", errBadFrame, p.pixels, p.bytesPerLine)
	}
	need := p.pixels * samplesPerPixel(p.format)
	switch p.depth {
	case 1:
		need = (need + 7) / 8
	case 8:
	case 16:
		need *= 2
	default:
		return 0, fmt.Errorf("%w: unsupported depth %d", errBadFrame, p.depth)
	}
	if p.bytesPerLine < need {
		return 0, fmt.Errorf("%w: %d bytes per line is too short for %d pixels at depth %d", errBadFrame, p.bytesPerLine, p.pixels, p.depth)
	}
	lines := len(f.data) / p.bytesPerLine
	if p.lines >= 0 && lines > p.lines {
		lines = p.lines
	}
	if lines == 0 {
		return 0, fmt.Errorf("%w: no complete line received", errBadFrame)
	}
	if int64(lines)*int64(p.pixels) > maxPixels {
		return 0, fmt.Errorf("%w: image too large", errBadFrame)
	}
	return lines, nil
}

func samplesPerPixel(format int) int {
	if format == frameRGB {
		return 3
	}
	return 1
}

// assemble turns the frames of one page into an image: one GRAY frame
// (1-bit lineart, where a set bit is black, 8-bit or 16-bit grey), one RGB
// frame (8 or 16 bits per sample), or three single-colour frames (RED, GREEN,
// BLUE in any order, from three-pass scanners).
func assemble(frames []frame) (image.Image, error) {
	switch len(frames) {
	case 1:
		f := frames[0]
		switch f.p.format {
		case frameGray:
			return grayImage(f)
		case frameRGB:
			return rgbImage(f)
		}
		return nil, fmt.Errorf("%w: single frame of format %d", errBadFrame, f.p.format)
	case 3:
		return threePass(frames)
	}
	return nil, fmt.Errorf("%w: %d frames for one page", errBadFrame, len(frames))
}

func grayImage(f frame) (image.Image, error) {
	lines, err := f.lineCount()
	if err != nil {
		return nil, err
	}
	w, bpl := f.p.pixels, f.p.bytesPerLine
	switch f.p.depth {
	case 1:
		img := image.NewGray(image.Rect(0, 0, w, lines))
		for y := 0; y < lines; y++ {
			row := f.data[y*bpl:]
			out := img.Pix[y*img.Stride:]
			for x := 0; x < w; x++ {
				if row[x>>3]&(0x80>>(x&7)) != 0 {
					out[x] = 0 // SANE lineart: 1 is black
				} else {
					out[x] = 255
				}
			}
		}
		return img, nil
	case 8:
		img := image.NewGray(image.Rect(0, 0, w, lines))
		for y := 0; y < lines; y++ {
			copy(img.Pix[y*img.Stride:y*img.Stride+w], f.data[y*bpl:])
		}
		return img, nil
	default: // 16, checked by lineCount
		img := image.NewGray16(image.Rect(0, 0, w, lines))
		for y := 0; y < lines; y++ {
			row := f.data[y*bpl:]
			for x := 0; x < w; x++ {
				img.SetGray16(x, y, color.Gray16{Y: binary.NativeEndian.Uint16(row[2*x:])})
			}
		}
		return img, nil
	}
}

func rgbImage(f frame) (image.Image, error) {
	lines, err := f.lineCount()
	if err != nil {
		return nil, err
	}
	w, bpl := f.p.pixels, f.p.bytesPerLine
	switch f.p.depth {
	case 8:
		img := image.NewRGBA(image.Rect(0, 0, w, lines))
		for y := 0; y < lines; y++ {
			row := f.data[y*bpl:]
			out := img.Pix[y*img.Stride:]
			for x := 0; x < w; x++ {
				out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = row[3*x], row[3*x+1], row[3*x+2], 255
			}
		}
		return img, nil
	case 16:
		img := image.NewRGBA64(image.Rect(0, 0, w, lines))
		for y := 0; y < lines; y++ {
			row := f.data[y*bpl:]
			for x := 0; x < w; x++ {
				img.SetRGBA64(x, y, color.RGBA64{
					R: binary.NativeEndian.Uint16(row[6*x:]),
					G: binary.NativeEndian.Uint16(row[6*x+2:]),
					B: binary.NativeEndian.Uint16(row[6*x+4:]),
					A: 0xffff,
				})
			}
		}
		return img, nil
	}
	return nil, fmt.Errorf("%w: colour at depth %d is not supported", errBadFrame, f.p.depth)
}

// threePass combines RED, GREEN and BLUE frames into one RGB image.
func threePass(frames []frame) (image.Image, error) {
	var planes [3]*frame
	for i := range frames {
		f := &frames[i]
		var c int
		switch f.p.format {
		case frameRed:
			c = 0
		case frameGreen:
			c = 1
		case frameBlue:
			c = 2
		default:
			return nil, fmt.Errorf("%w: frame format %d in a three-pass page", errBadFrame, f.p.format)
		}
		if planes[c] != nil {
			return nil, fmt.Errorf("%w: colour plane %d sent twice", errBadFrame, c)
		}
		planes[c] = f
	}
	p0 := planes[0].p
	lines := -1
	for _, f := range planes {
		if f.p.pixels != p0.pixels || f.p.depth != p0.depth || f.p.bytesPerLine != p0.bytesPerLine {
			return nil, fmt.Errorf("%w: colour planes differ in size", errBadFrame)
		}
		n, err := f.lineCount()
		if err != nil {
			return nil, err
		}
		if lines < 0 || n < lines {
			lines = n
		}
	}
	w, bpl := p0.pixels, p0.bytesPerLine
	switch p0.depth {
	case 8:
		img := image.NewRGBA(image.Rect(0, 0, w, lines))
		for y := 0; y < lines; y++ {
			out := img.Pix[y*img.Stride:]
			r, g, b := planes[0].data[y*bpl:], planes[1].data[y*bpl:], planes[2].data[y*bpl:]
			for x := 0; x < w; x++ {
				out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = r[x], g[x], b[x], 255
			}
		}
		return img, nil
	case 16:
		img := image.NewRGBA64(image.Rect(0, 0, w, lines))
		for y := 0; y < lines; y++ {
			r, g, b := planes[0].data[y*bpl:], planes[1].data[y*bpl:], planes[2].data[y*bpl:]
			for x := 0; x < w; x++ {
				img.SetRGBA64(x, y, color.RGBA64{
					R: binary.NativeEndian.Uint16(r[2*x:]),
					G: binary.NativeEndian.Uint16(g[2*x:]),
					B: binary.NativeEndian.Uint16(b[2*x:]),
					A: 0xffff,
				})
			}
		}
		return img, nil
	}
	return nil, fmt.Errorf("%w: three-pass colour at depth %d is not supported", errBadFrame, p0.depth)
}
