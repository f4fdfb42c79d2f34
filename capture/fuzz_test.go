package capture

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n"
)

var updateSeeds = flag.Bool("update-fuzz-seeds", false, "rewrite the seed corpora under testdata/fuzz")

// fuzzSeeds are small valid files of every format and broken variants of them.
func fuzzSeeds(t testing.TB) map[string][]byte {
	gray := grayImage(24, 16)
	rgb := rgbImage(20, 12)
	p := pngBytes(t, gray, 300)
	j := jpegBytes(t, rgb, "jfif", 200)
	tf := buildTIFF(binary.BigEndian, []tiffPageSpec{{w: 6, h: 4, dpi: 300}, {w: 3, h: 5, dpi: 150}}, -1)
	pdf := pdfFromImages(t, jpegBytes(t, rgbImage(8, 8), "", 0), pngBytes(t, grayImage(8, 8), 0))
	return map[string][]byte{
		"png":           p,
		"png-truncated": p[:len(p)-10],
		"png-huge":      pngHeaderOnly(30000, 30000),
		"jpeg":          j,
		"jpeg-exif":     jpegBytes(t, rgb, "exif", 300),
		"jpeg-cut":      j[:len(j)/2],
		"jpeg-huge":     jpegHeaderOnly(30000, 30000),
		"tiff-2pages":   tf,
		"tiff-loop":     buildTIFF(binary.LittleEndian, []tiffPageSpec{{w: 2, h: 2, dpi: 72}, {w: 2, h: 2, dpi: 72}}, 0),
		"tiff-cut":      tf[:len(tf)-20],
		"pdf-2pages":    pdf,
		"pdf-cut":       pdf[:len(pdf)*2/3],
		"pdf-text":      minimalPDF("BT /F1 12 Tf 10 10 Td (x) Tj ET", "<< >>"),
		"empty":         {},
		"text":          []byte("not an image"),
	}
}

// TestWriteFuzzSeeds rewrites testdata/fuzz/*/ with -update-fuzz-seeds; otherwise it
// checks that the committed seeds are there.
func TestWriteFuzzSeeds(t *testing.T) {
	seeds := fuzzSeeds(t)
	small := map[string][]byte{}
	for _, name := range []string{"g3-1d.tif", "ccitt.pdf", "jpeg-tiff2pdf.pdf", "jpeg-in-tiff.tif"} {
		small["file-"+name] = readTestdata(t, name)
	}
	targets := map[string]map[string][]byte{"FuzzDecode": {}, "FuzzTIFFIFD": {}, "FuzzPDF": {}}
	for k, v := range seeds {
		targets["FuzzDecode"][k] = v
		if len(v) > 0 && sniff(v) == "tiff" {
			targets["FuzzTIFFIFD"][k] = v
		}
		if len(v) > 0 && sniff(v) == "pdf" {
			targets["FuzzPDF"][k] = v
		}
	}
	for k, v := range small {
		targets["FuzzDecode"][k] = v
		switch sniff(v) {
		case "tiff":
			targets["FuzzTIFFIFD"][k] = v
		case "pdf":
			targets["FuzzPDF"][k] = v
		}
	}
	for target, files := range targets {
		dir := filepath.Join("testdata", "fuzz", target)
		if !*updateSeeds {
			entries, err := os.ReadDir(dir)
			if err != nil || len(entries) < len(files) {
				t.Errorf("%s: %d seed files, want at least %d (run with -update-fuzz-seeds)", dir, len(entries), len(files))
			}
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
			if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkPages is the fuzz invariant for a successful decode.
func checkPages(t *testing.T, pages []PageImage) {
	if len(pages) == 0 {
		t.Fatal("no error and no pages")
	}
	for i, p := range pages {
		if p.Index != i {
			t.Fatalf("page %d has Index %d", i, p.Index)
		}
		if p.Width <= 0 || p.Height <= 0 || p.Width > MaxSide || p.Height > MaxSide || int64(p.Width)*int64(p.Height) > MaxPixels {
			t.Fatalf("page %d: size %dx%d outside limits", i, p.Width, p.Height)
		}
		var err error
		var w, h int
		switch p.Format {
		case "png":
			img, e := png.Decode(bytes.NewReader(p.Data))
			err = e
			if e == nil {
				w, h = img.Bounds().Dx(), img.Bounds().Dy()
			}
		case "jpeg":
			img, e := jpeg.Decode(bytes.NewReader(p.Data))
			err = e
			if e == nil {
				w, h = img.Bounds().Dx(), img.Bounds().Dy()
			}
		default:
			err = fmt.Errorf("format %q", p.Format)
		}
		if err != nil || w != p.Width || h != p.Height {
			t.Fatalf("page %d: Data does not decode to %dx%d: %v (%dx%d)", i, p.Width, p.Height, err, w, h)
		}
	}
}

func checkDecodeResult(t *testing.T, pages []PageImage, err error) {
	if err != nil {
		if pages != nil {
			t.Fatal("pages together with an error")
		}
		if de, ok := err.(*DecodeError); !ok || de.File == "" || de.Localize(l10n.Vi) == "" || !l10n.Has("capture.decode."+string(de.Kind)) {
			t.Fatalf("bad error value %T %v", err, err)
		}
		return
	}
	checkPages(t, pages)
}

func addSeeds(f *testing.F, keep func([]byte) bool) {
	for _, v := range fuzzSeeds(f) {
		if keep(v) {
			f.Add(v)
		}
	}
}

// FuzzDecode runs every format through Decode: no panic, no hang, and on success every
// page is within the limits and its Data decodes again to the stated size.
func FuzzDecode(f *testing.F) {
	addSeeds(f, func([]byte) bool { return true })
	recoverPanics = false
	f.Fuzz(func(t *testing.T, data []byte) {
		pages, err := Decode("fuzz.bin", data)
		checkDecodeResult(t, pages, err)
	})
}

// FuzzTIFFIFD exercises the IFD walk and multi-page TIFF decoding.
func FuzzTIFFIFD(f *testing.F) {
	addSeeds(f, func(b []byte) bool { return len(b) > 0 && sniff(b) == "tiff" })
	recoverPanics = false
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, ifds, err := walkTIFF(data); err == nil {
			if len(ifds) > MaxPages {
				t.Fatalf("%d IFDs", len(ifds))
			}
			seen := map[uint32]bool{}
			for _, ifd := range ifds {
				if seen[ifd.offset] || int(ifd.offset) >= len(data) {
					t.Fatalf("IFD offset %d repeated or outside the file", ifd.offset)
				}
				seen[ifd.offset] = true
			}
		}
		pages, err := Decode("fuzz.tif", data)
		checkDecodeResult(t, pages, err)
	})
}

// FuzzPDF exercises the PDF path and, separately, the content stream scanner (whose
// panics would otherwise be hidden by the recover around pdfcpu).
func FuzzPDF(f *testing.F) {
	addSeeds(f, func(b []byte) bool { return len(b) > 0 && sniff(b) == "pdf" })
	f.Add([]byte("q 595 0 0 842 0 0 cm /Im#31 Do Q BT 3 Tr (a\\)b) Tj ET BI /W 1 /H 1 ID \x00 EI"))
	recoverPanics = false
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		scanContent(data, identity, &contentEvents{xobject: func(string, matrix) { n++ }})
		pages, err := Decode("fuzz.pdf", data)
		checkDecodeResult(t, pages, err)
	})
}
