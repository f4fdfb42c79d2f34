package sane

import (
	"image"
	"testing"
)

func TestAssembleLineart(t *testing.T) {
	// 10 pixels, 2 bytes per line: 1010 0000 01 -> black, white, black, ...
	f := frame{p: params{format: frameGray, lastFrame: true, bytesPerLine: 2, pixels: 10, lines: -1, depth: 1},
		data: []byte{0xA0, 0x40, 0xFF, 0xC0}}
	img, err := assemble([]frame{f})
	if err != nil {
		t.Fatal(err)
	}
	g := img.(*image.Gray)
	want := []uint8{0, 255, 0, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if g.Bounds() != image.Rect(0, 0, 10, 2) {
		t.Fatalf("bounds %v", g.Bounds())
	}
	for i, w := range want {
		if g.Pix[i] != w {
			t.Fatalf("pixel %d = %d, want %d", i, g.Pix[i], w)
		}
	}
}

func TestAssembleRejects(t *testing.T) {
	for name, fs := range map[string][]frame{
		"no data":       {{p: params{format: frameGray, bytesPerLine: 4, pixels: 4, lines: 2, depth: 8}}},
		"short line":    {{p: params{format: frameRGB, bytesPerLine: 4, pixels: 4, lines: 1, depth: 8}, data: make([]byte, 4)}},
		"depth 4":       {{p: params{format: frameGray, bytesPerLine: 4, pixels: 4, lines: 1, depth: 4}, data: make([]byte, 4)}},
		"two frames":    {{}, {}},
		"red twice":     {{p: params{format: frameRed}}, {p: params{format: frameRed}}, {p: params{format: frameBlue}}},
		"single red":    {{p: params{format: frameRed, bytesPerLine: 1, pixels: 1, lines: 1, depth: 8}, data: []byte{1}}},
		"zero pixels":   {{p: params{format: frameGray, bytesPerLine: 0, pixels: 0, lines: 1, depth: 8}}},
		"1-bit colour":  {{p: params{format: frameRGB, bytesPerLine: 1, pixels: 2, lines: 1, depth: 1}, data: []byte{0}}},
		"unknown frame": {{p: params{format: 0x0B, bytesPerLine: 1, pixels: 1, lines: 1, depth: 8}, data: []byte{1}}},
	} {
		if _, err := assemble(fs); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzAssemble feeds arbitrary frame parameters and bytes (as a broken
// backend might send) to the frame assembler: it must return an image or an
// error, never panic.
func FuzzAssemble(f *testing.F) {
	f.Add(0, 1, 10, 2, -1, []byte{0xA0, 0x40, 0xFF, 0xC0})
	f.Add(1, 8, 2, 6, 1, []byte{1, 2, 3, 4, 5, 6})
	f.Add(0, 16, 2, 4, 2, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(2, 8, 1, 1, 1, []byte{9})
	f.Fuzz(func(t *testing.T, format, depth, pixels, bpl, lines int, data []byte) {
		if pixels > 1<<16 || bpl > 1<<18 {
			return
		}
		p := params{format: format, lastFrame: true, bytesPerLine: bpl, pixels: pixels, lines: lines, depth: depth}
		fs := []frame{{p: p, data: data}}
		if format >= frameRed && format <= frameBlue {
			q, r := p, p
			q.format, r.format = frameRed+(format-frameRed+1)%3, frameRed+(format-frameRed+2)%3
			fs = append(fs, frame{p: q, data: data}, frame{p: r, data: data})
		}
		img, err := assemble(fs)
		if err == nil && (img.Bounds().Dx() != pixels || img.Bounds().Dy() < 1) {
			t.Fatalf("image %v for %d pixels per line", img.Bounds(), pixels)
		}
	})
}
