// Command xwd2png converts an X window dump (XWD, as Xvfb -fbdir keeps its screen, or xwd
// writes) of a 24- or 32-bit TrueColor screen into a PNG, optionally cropped:
//
//	go run ./scripts/xwd2png [-crop WxH] Xvfb_screen0 out.png
//
// make screenshots uses it to picture the real window under Xvfb (scripts/screenshots.sh).
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/bits"
	"os"
)

// header is the XWD file header (X11 XWDFileHeader, version 7): 25 big-endian 32-bit words.
type header struct {
	HeaderSize, FileVersion, PixmapFormat, PixmapDepth, Width, Height, XOffset, ByteOrder,
	BitmapUnit, BitmapBitOrder, BitmapPad, BitsPerPixel, BytesPerLine, VisualClass,
	RedMask, GreenMask, BlueMask, BitsPerRGB, ColormapEntries, NColors,
	WindowWidth, WindowHeight, WindowX, WindowY, WindowBorderWidth uint32
}

func decode(raw []byte) (*image.RGBA, error) {
	var h header
	if len(raw) < 100 {
		return nil, errors.New("not an XWD file: too short")
	}
	if _, err := binary.Decode(raw[:100], binary.BigEndian, &h); err != nil {
		return nil, err
	}
	if h.FileVersion != 7 || h.PixmapFormat != 2 || (h.BitsPerPixel != 32 && h.BitsPerPixel != 24) {
		return nil, fmt.Errorf("unsupported XWD: version %d, format %d, %d bits per pixel", h.FileVersion, h.PixmapFormat, h.BitsPerPixel)
	}
	off := int(h.HeaderSize) + int(h.NColors)*12
	need := off + int(h.BytesPerLine)*int(h.Height)
	if need > len(raw) || h.Width == 0 || h.Height == 0 {
		return nil, fmt.Errorf("XWD: %d bytes, %d needed", len(raw), need)
	}
	img := image.NewRGBA(image.Rect(0, 0, int(h.Width), int(h.Height)))
	bpp := int(h.BitsPerPixel / 8)
	channel := func(px, mask uint32) uint8 {
		if mask == 0 {
			return 0
		}
		v := (px & mask) >> bits.TrailingZeros32(mask)
		width := bits.OnesCount32(mask)
		return uint8(v << (8 - width))
	}
	for y := 0; y < int(h.Height); y++ {
		row := raw[off+y*int(h.BytesPerLine):]
		for x := 0; x < int(h.Width); x++ {
			p := row[x*bpp : x*bpp+bpp]
			var px uint32
			if h.ByteOrder == 0 { // LSBFirst
				for i := bpp - 1; i >= 0; i-- {
					px = px<<8 | uint32(p[i])
				}
			} else {
				for i := 0; i < bpp; i++ {
					px = px<<8 | uint32(p[i])
				}
			}
			img.SetRGBA(x, y, color.RGBA{channel(px, h.RedMask), channel(px, h.GreenMask), channel(px, h.BlueMask), 255})
		}
	}
	return img, nil
}

func main() {
	crop := flag.String("crop", "", "keep the top-left WxH (the window, on a larger screen)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: xwd2png [-crop WxH] IN.xwd OUT.png")
		os.Exit(2)
	}
	raw, err := os.ReadFile(flag.Arg(0))
	if err == nil {
		var img *image.RGBA
		if img, err = decode(raw); err == nil {
			var out image.Image = img
			if *crop != "" {
				var w, h int
				if _, err = fmt.Sscanf(*crop, "%dx%d", &w, &h); err == nil {
					out = img.SubImage(image.Rect(0, 0, w, h))
				}
			}
			if err == nil {
				var f *os.File
				if f, err = os.Create(flag.Arg(1)); err == nil {
					err = png.Encode(f, out)
					if cerr := f.Close(); err == nil {
						err = cerr
					}
				}
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "xwd2png:", err)
		os.Exit(1)
	}
}
