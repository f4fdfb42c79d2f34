package cleanup

import (
	"bytes"
	"context"
	"image"
	"image/draw"
	_ "image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/ocr"
)

var withUpright = Options{Upright: ocr.ConfidentUp, Raw: true}

// TestUprightInCleanup: the upright test the clean-up runs on its own decoding
// (Options.Upright) measures what ocr.Upright measures on the file (the same confidences, to
// the bit) on the real pages of the corpus, spares OSD on all of them as they are (the 200-dpi
// government pages and, measured doubled, the ~70-dpi Da Nang scans), and leaves their turned
// copies to OSD, which turns the government pages back.
func TestUprightInCleanup(t *testing.T) {
	gov, scans := testenv.OCRViPages(t)
	ctx := context.Background()
	for _, f := range append(gov, scans...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := ProcessWith(ctx, b, DefaultProfile(), withUpright)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		up, left, ok := ocr.OrientConf(b)
		if !ok {
			t.Fatalf("%s: ocr.OrientConf failed", filepath.Base(f))
		}
		if r.UpConf != up || r.LeftConf != left {
			t.Errorf("%s: clean-up measured %v/%v, ocr.Upright %v/%v", filepath.Base(f), r.UpConf, r.LeftConf, up, left)
		}
		if r.UprightSure != ocr.ConfidentUp(up, left) {
			t.Errorf("%s: sure %v, ocr.Upright says %v", filepath.Base(f), r.UprightSure, ocr.ConfidentUp(up, left))
		}
		if !r.UprightSure || r.Timings.OSD != 0 {
			t.Errorf("%s: upright page not recognised (sure %v, OSD %v)", filepath.Base(f), r.UprightSure, r.Timings.OSD)
		}
		if r.Rotation != 0 {
			t.Errorf("%s: turned %d°", filepath.Base(f), r.Rotation)
		}
	}
	for i := 0; i < len(gov); i += 11 {
		b, err := os.ReadFile(gov[i])
		if err != nil {
			t.Fatal(err)
		}
		for _, deg := range []int{90, 180, 270} {
			in := rotatePNG(t, b, deg)
			r, err := ProcessWith(ctx, in, DefaultProfile(), withUpright)
			if err != nil {
				t.Fatal(err)
			}
			up, left, _ := ocr.OrientConf(in)
			if r.UprightSure || r.UpConf != up || r.LeftConf != left {
				t.Errorf("%s turned %d°: sure %v, %v/%v against ocr's %v/%v", filepath.Base(gov[i]), deg, r.UprightSure, r.UpConf, r.LeftConf, up, left)
			}
			if want := (360 - deg) % 360; r.Rotation != want {
				t.Errorf("%s turned %d°: turned back by %d°, want %d°", filepath.Base(gov[i]), deg, r.Rotation, want)
			}
		}
	}
}

// TestUprightLowResolutionTurned: the Da Nang scans turned 90°, 180° and 270° are never called
// upright by the doubled measure (they go to OSD).
func TestUprightLowResolutionTurned(t *testing.T) {
	_, scans := testenv.OCRViPages(t)
	for _, f := range scans {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := readPix(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, deg := range []int{90, 180, 270} {
			r, err := p.rotateOrth(deg)
			if err != nil {
				t.Fatal(err)
			}
			g, err := r.gray()
			r.free()
			if err != nil {
				t.Fatal(err)
			}
			h, err := g.histogram(4)
			if err != nil {
				t.Fatal(err)
			}
			bin, err := g.threshold2x(inkThreshold(h))
			g.free()
			if err != nil {
				t.Fatal(err)
			}
			up, left, ok := bin.orient(140)
			bin.free()
			if !ok || ocr.ConfidentUp(up, left) {
				t.Errorf("%s turned %d°: called upright (up/down %.1f, left/right %.1f, ok %v)", filepath.Base(f), deg, up, left, ok)
			}
		}
		p.free()
	}
}

// TestRawCopy: the uncompressed copy of a page the clean-up leaves as it is (Options.Raw) has
// the pixels and the resolution of the page (Go's strict decoder and leptonica read it), for
// a colour and a grey page, and leptonica measures the same on it; a JPEG page gets none, nor
// a page the clean-up changed, nor a caller that did not ask.
func TestRawCopy(t *testing.T) {
	gov, scans := testenv.OCRViPages(t)
	ctx := context.Background()
	copies := 0
	for _, f := range gov[:4] {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src, _, err := image.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		grey := image.NewGray(src.Bounds())
		draw.Draw(grey, grey.Bounds(), src, src.Bounds().Min, draw.Src)
		var gb bytes.Buffer
		if err := png.Encode(&gb, grey); err != nil {
			t.Fatal(err)
		}
		for _, in := range [][]byte{b, gb.Bytes()} {
			r, err := ProcessWith(ctx, in, DefaultProfile(), withUpright)
			if err != nil {
				t.Fatal(err)
			}
			if r.Changed {
				if r.Raw != nil {
					t.Errorf("%s: a raw copy of a page the clean-up changed", filepath.Base(f))
				}
				continue
			}
			if r.Raw == nil {
				t.Fatalf("%s: no uncompressed copy of a PNG page left as it is", filepath.Base(f))
			}
			copies++
			want, _, err := image.Decode(bytes.NewReader(in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := png.Decode(bytes.NewReader(r.Raw))
			if err != nil {
				t.Fatalf("copy does not decode: %v", err)
			}
			if got.Bounds() != want.Bounds() {
				t.Fatalf("copy %v, page %v", got.Bounds(), want.Bounds())
			}
			for y := 0; y < want.Bounds().Dy(); y += 7 {
				for x := 0; x < want.Bounds().Dx(); x++ {
					r0, g0, b0, _ := want.At(x, y).RGBA()
					r1, g1, b1, _ := got.At(x, y).RGBA()
					if r0 != r1 || g0 != g1 || b0 != b1 {
						t.Fatalf("pixel (%d,%d) differs", x, y)
					}
				}
			}
			u0, l0, _ := ocr.OrientConf(in)
			u1, l1, ok := ocr.OrientConf(r.Raw)
			if !ok || u0 != u1 || l0 != l1 {
				t.Errorf("leptonica reads the copy differently: %.2f %.2f against %.2f %.2f", u1, l1, u0, l0)
			}
			if bytes.Contains(in[:100], []byte("pHYs")) && !bytes.Contains(r.Raw[:100], []byte("pHYs")) {
				t.Error("copy lost the page's resolution")
			}
			if len(r.Raw) < len(in) {
				t.Errorf("copy %d bytes, smaller than the compressed page (%d)", len(r.Raw), len(in))
			}
			if r2, err := Process(ctx, in, DefaultProfile()); err != nil || r2.Raw != nil {
				t.Errorf("a copy nobody asked for (%v)", err)
			}
		}
	}
	if copies < 2 {
		t.Errorf("%d pages left as they are, want at least a colour and a grey one", copies)
	}
	jb, err := os.ReadFile(scans[0])
	if err != nil {
		t.Fatal(err)
	}
	if r, err := ProcessWith(ctx, jb, DefaultProfile(), withUpright); err != nil || r.Raw != nil {
		t.Errorf("a copy of a JPEG page (%v)", err)
	}
}
