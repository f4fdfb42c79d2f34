package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/internal/testenv"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeData decodes a page's Data again, as a consumer of PageImage would.
func decodeData(t testing.TB, p PageImage) image.Image {
	t.Helper()
	var img image.Image
	var err error
	switch p.Format {
	case "png":
		img, err = png.Decode(bytes.NewReader(p.Data))
	case "jpeg":
		img, err = jpeg.Decode(bytes.NewReader(p.Data))
	default:
		t.Fatalf("page %d: unknown format %q", p.Index, p.Format)
	}
	if err != nil {
		t.Fatalf("page %d: Data does not decode: %v", p.Index, err)
	}
	if b := img.Bounds(); b.Dx() != p.Width || b.Dy() != p.Height {
		t.Fatalf("page %d: Data is %dx%d, PageImage says %dx%d", p.Index, b.Dx(), b.Dy(), p.Width, p.Height)
	}
	return img
}

type wantPage struct {
	w, h, dpi int
	format    string
}

func TestDecodeGoodFiles(t *testing.T) {
	gray := grayImage(120, 160)
	rgb := rgbImage(100, 140)
	pngFile := pngBytes(t, gray, 300)
	jfif := jpegBytes(t, rgb, "jfif", 200)
	exif := jpegBytes(t, rgb, "exif", 300)
	pdfJPEG := jpegBytes(t, rgb, "", 0)
	pdf2 := pdfFromImages(t, pdfJPEG, pngBytes(t, gray, 0))
	beTIFF := buildTIFF(binary.BigEndian, []tiffPageSpec{{w: 50, h: 40, dpi: 300}, {w: 30, h: 20, dpi: 150}}, -1)
	leTIFF := buildTIFF(binary.LittleEndian, []tiffPageSpec{{w: 64, h: 48, dpi: 400}}, -1)

	tests := []struct {
		name     string
		data     []byte
		want     []wantPage
		original bool // Data of the single page must be the file itself
	}{
		{"scan.png", pngFile, []wantPage{{120, 160, 300, "png"}}, true},
		{"no-dpi.png", pngBytes(t, rgb, 0), []wantPage{{100, 140, 0, "png"}}, true},
		{"jfif.jpg", jfif, []wantPage{{100, 140, 200, "jpeg"}}, true},
		{"exif.jpg", exif, []wantPage{{100, 140, 300, "jpeg"}}, true},
		{"three-pages.tif", readTestdata(t, "three-pages.tif"), []wantPage{{240, 320, 200, "png"}, {240, 320, 300, "png"}, {240, 320, 150, "png"}}, false},
		{"packbits.tif", readTestdata(t, "packbits.tif"), []wantPage{{240, 320, 200, "png"}}, false},
		{"g3-1d.tif", readTestdata(t, "g3-1d.tif"), []wantPage{{240, 320, 300, "png"}}, false},
		{"big-endian.tif", beTIFF, []wantPage{{50, 40, 300, "png"}, {30, 20, 150, "png"}}, false},
		{"little-endian.tif", leTIFF, []wantPage{{64, 48, 400, "png"}}, false},
		{"two-pages.pdf", pdf2, []wantPage{{100, 140, 0, "jpeg"}, {120, 160, 0, "png"}}, false},
		{"ccitt.pdf", readTestdata(t, "ccitt.pdf"), []wantPage{{240, 320, 300, "png"}}, false},
		{"jpeg-tiff2pdf.pdf", readTestdata(t, "jpeg-tiff2pdf.pdf"), []wantPage{{240, 320, 150, "jpeg"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pages, err := Decode(tc.name, tc.data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(pages) != len(tc.want) {
				t.Fatalf("got %d pages, want %d", len(pages), len(tc.want))
			}
			for i, p := range pages {
				w := tc.want[i]
				if p.Index != i || p.Width != w.w || p.Height != w.h || p.Format != w.format {
					t.Errorf("page %d: got index %d %dx%d %s, want %dx%d %s", i, p.Index, p.Width, p.Height, p.Format, w.w, w.h, w.format)
				}
				// PDFs made by pdfcpu place the image on an A4 page: DPI follows from that.
				if w.dpi != 0 && p.DPI != w.dpi {
					t.Errorf("page %d: DPI %d, want %d", i, p.DPI, w.dpi)
				}
				decodeData(t, p)
			}
			if tc.original && !bytes.Equal(pages[0].Data, tc.data) {
				t.Errorf("single PNG/JPEG page was re-encoded; want the original bytes")
			}
		})
	}
}

// TestDecodePixels checks that pages come out with the right pixels, not just the right size.
func TestDecodePixels(t *testing.T) {
	t.Run("tiff-grey-pages", func(t *testing.T) {
		pix := make([]byte, 8*6)
		for i := range pix {
			pix[i] = byte(i * 5)
		}
		data := buildTIFF(binary.LittleEndian, []tiffPageSpec{{w: 4, h: 4, dpi: 72}, {w: 8, h: 6, dpi: 72, pix: pix}}, -1)
		pages, err := Decode("p.tif", data)
		if err != nil {
			t.Fatal(err)
		}
		img := decodeData(t, pages[1])
		for y := 0; y < 6; y++ {
			for x := 0; x < 8; x++ {
				r, _, _, _ := img.At(x, y).RGBA()
				if got, want := uint8(r>>8), pix[y*8+x]; got != want {
					t.Fatalf("pixel (%d,%d) = %d, want %d", x, y, got, want)
				}
			}
		}
	})
	t.Run("tiff-ccitt-g4", func(t *testing.T) {
		// Page 2 of three-pages.tif is a grid: black lines every 16 px across and every 24 px down.
		pages, err := Decode("three-pages.tif", readTestdata(t, "three-pages.tif"))
		if err != nil {
			t.Fatal(err)
		}
		img := decodeData(t, pages[1])
		if _, ok := img.(*image.Paletted); !ok {
			t.Errorf("bilevel page stored as %T, want a 1-bit paletted PNG", img)
		}
		black := func(x, y int) bool { r, _, _, _ := img.At(x, y).RGBA(); return r < 0x8000 }
		if !black(0, 5) || !black(16, 5) || !black(5, 0) || !black(5, 24) || !black(100, 120) {
			t.Error("grid lines / block are not black")
		}
		if black(5, 5) || black(20, 30) || black(200, 300) {
			t.Error("background is not white")
		}
	})
	t.Run("pdf-flate-lossless", func(t *testing.T) {
		gray := grayImage(64, 48)
		pages, err := Decode("g.pdf", pdfFromImages(t, pngBytes(t, gray, 0)))
		if err != nil {
			t.Fatal(err)
		}
		img := decodeData(t, pages[0])
		for y := 0; y < 48; y++ {
			for x := 0; x < 64; x++ {
				r, _, _, _ := img.At(x, y).RGBA()
				if uint8(r>>8) != gray.GrayAt(x, y).Y {
					t.Fatalf("pixel (%d,%d) differs after PDF round trip", x, y)
				}
			}
		}
	})
	t.Run("pdf-jpeg-as-is", func(t *testing.T) {
		jpg := jpegBytes(t, rgbImage(80, 60), "", 0)
		pages, err := Decode("j.pdf", pdfFromImages(t, jpg))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pages[0].Data, jpg) {
			t.Error("DCTDecode image was not passed through byte for byte")
		}
	})
}

func mustDecodeError(t *testing.T, err error) *DecodeError {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
	}
	return de
}

func TestDecodeBadFiles(t *testing.T) {
	gray := grayImage(120, 160)
	pngFile := pngBytes(t, gray, 300)
	jpg := jpegBytes(t, rgbImage(100, 140), "jfif", 200)
	three := readTestdata(t, "three-pages.tif")
	pdf2 := pdfFromImages(t, jpegBytes(t, rgbImage(50, 50), "", 0), pngBytes(t, gray, 0))
	badCRC := append([]byte{}, pngFile...)
	badCRC[len(badCRC)-20] ^= 0xff // inside the IDAT data
	twoTIFF := buildTIFF(binary.LittleEndian, []tiffPageSpec{{w: 10, h: 10, dpi: 72}, {w: 10, h: 10, dpi: 72}}, -1)
	outOfRange := append([]byte{}, twoTIFF...)
	binary.LittleEndian.PutUint32(outOfRange[len(outOfRange)-4:], 1<<30)
	hugeTIFF := buildTIFF(binary.LittleEndian, []tiffPageSpec{{w: 4, h: 4, dpi: 72}}, -1)
	// Patch ImageWidth/ImageLength (first two entries) to 30000.
	ifd := binary.LittleEndian.Uint32(hugeTIFF[4:])
	binary.LittleEndian.PutUint32(hugeTIFF[ifd+2+8:], 30000)
	binary.LittleEndian.PutUint32(hugeTIFF[ifd+2+12+8:], 30000)

	textPDF := minimalPDF("BT /F1 24 Tf 72 720 Td (Hello) Tj ET", "<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>")
	smallImagePDF := minimalPDF("q 50 0 0 50 72 700 cm /Im1 Do Q BT /F1 12 Tf 72 600 Td (x) Tj ET",
		"<< /XObject << /Im1 5 0 R >> /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>",
		"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 4 >>\nstream\n\x00\xff\xff\x00\nendstream")
	twoImagesPDF := minimalPDF("q 595 0 0 421 0 0 cm /Im1 Do Q q 595 0 0 421 0 421 cm /Im1 Do Q",
		"<< /XObject << /Im1 5 0 R >> >>",
		"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 4 >>\nstream\n\x00\xff\xff\x00\nendstream")
	jbig2PDF := minimalPDF("q 595 0 0 842 0 0 cm /Im1 Do Q",
		"<< /XObject << /Im1 5 0 R >> >>",
		"<< /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /JBIG2Decode /Length 4 >>\nstream\n\x00\x00\x00\x00\nendstream")

	var encPDF bytes.Buffer
	conf := pdfWriteConf()
	conf.Cmd = 0
	conf.UserPW, conf.OwnerPW = "user", "owner"
	if err := api.Encrypt(bytes.NewReader(pdf2), &encPDF, conf); err != nil {
		t.Fatalf("encrypt test PDF: %v", err)
	}

	tests := []struct {
		name string
		data []byte
		kind DecodeErrorKind
		page int // expected DecodeError.Page
	}{
		{"empty.png", nil, ErrEmpty, -1},
		{"notes.txt", []byte("Biên bản họp\nnot an image\n"), ErrUnknownFormat, -1},
		{"notes.png", []byte("plain text with a .png name"), ErrUnknownFormat, -1},
		{"gif.gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ErrUnsupported, -1},
		{"half.png", pngFile[:len(pngFile)/2], ErrCorrupt, 0},
		{"no-iend.png", pngFile[:len(pngFile)-12], ErrCorrupt, 0},
		{"short-iend.png", pngFile[:len(pngFile)-3], ErrCorrupt, 0},
		{"bad-crc.png", badCRC, ErrCorrupt, 0},
		{"half.jpg", jpg[:len(jpg)/2], ErrCorrupt, 0},
		{"no-eoi.jpg", jpg[:len(jpg)-2], ErrCorrupt, 0},
		{"header.jpg", jpg[:200], ErrCorrupt, 0},
		{"huge.png", pngHeaderOnly(30000, 30000), ErrTooLarge, 0},
		{"wide.png", pngHeaderOnly(25000, 10), ErrTooLarge, 0},
		{"huge.jpg", jpegHeaderOnly(30000, 30000), ErrTooLarge, 0},
		{"huge.tif", hugeTIFF, ErrTooLarge, 0},
		{"truncated-header.tif", three[:6], ErrCorrupt, -1},
		{"truncated-ifd.tif", three[:len(three)/3], ErrCorrupt, -1},
		{"short-raw-strip.tif", buildTIFF(binary.LittleEndian, []tiffPageSpec{{w: 64, h: 64, dpi: 72, pix: make([]byte, 64*32)}}, -1), ErrCorrupt, 0},
		{"short-lzw-strip.tif", halveStripCounts(t, three, 0), ErrCorrupt, 0},
		{"short-g4-strip.tif", halveStripCounts(t, three, 1), ErrCorrupt, 1},
		{"short-deflate-strip.tif", halveStripCounts(t, three, 2), ErrCorrupt, 2},
		{"loop.tif", buildTIFF(binary.LittleEndian, []tiffPageSpec{{w: 10, h: 10, dpi: 72}, {w: 10, h: 10, dpi: 72}}, 0), ErrCorrupt, -1},
		{"self-loop.tif", buildTIFF(binary.BigEndian, []tiffPageSpec{{w: 10, h: 10, dpi: 72}}, 0), ErrCorrupt, -1},
		{"next-out-of-range.tif", outOfRange, ErrCorrupt, -1},
		{"no-ifd.tif", []byte("II*\x00\x00\x00\x00\x00"), ErrNoPages, -1},
		{"jpeg-in-tiff.tif", readTestdata(t, "jpeg-in-tiff.tif"), ErrUnsupported, 0},
		{"g3-2d.tif", readTestdata(t, "g3-2d.tif"), ErrUnsupported, 0},
		{"half.pdf", pdf2[:len(pdf2)/2], ErrCorrupt, -1},
		{"header-only.pdf", []byte("%PDF-1.7\n"), ErrCorrupt, -1},
		{"text.pdf", textPDF, ErrUnsupported, 0},
		{"logo.pdf", smallImagePDF, ErrUnsupported, 0},
		{"two-images.pdf", twoImagesPDF, ErrUnsupported, 0},
		{"jbig2.pdf", jbig2PDF, ErrUnsupported, 0},
		{"encrypted.pdf", encPDF.Bytes(), ErrUnsupported, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pages, err := Decode("/some/folder/"+tc.name, tc.data)
			if err == nil {
				t.Fatalf("no error, %d pages", len(pages))
			}
			if pages != nil {
				t.Errorf("pages returned together with an error")
			}
			de := mustDecodeError(t, err)
			if de.Kind != tc.kind {
				t.Errorf("kind %q, want %q (%v)", de.Kind, tc.kind, err)
			}
			if de.Page != tc.page && !(tc.page == -1 && de.Page >= -1 && tc.kind == ErrCorrupt) {
				t.Errorf("page %d, want %d (%v)", de.Page, tc.page, err)
			}
			if de.File != tc.name {
				t.Errorf("File = %q, want the base name %q", de.File, tc.name)
			}
			for _, msg := range []string{err.Error(), de.Localize(l10n.Vi), de.Localize(l10n.En)} {
				if !strings.Contains(msg, tc.name) {
					t.Errorf("message does not name the file: %q", msg)
				}
				if strings.Contains(msg, "/some/folder") {
					t.Errorf("message shows the folder: %q", msg)
				}
			}
			if de.Page >= 0 && !strings.Contains(de.Localize(l10n.Vi), "Trang ") {
				t.Errorf("Vietnamese message does not name the page: %q", de.Localize(l10n.Vi))
			}
			if vi := de.Localize(l10n.Vi); vi == de.Localize(l10n.En) || !strings.ContainsAny(vi, "ệạảấờ") {
				t.Errorf("Vietnamese message missing: %q", vi)
			}
			t.Logf("%s\n\tvi: %s", err, de.Localize(l10n.Vi))
		})
	}
}

// TestDecodeTooLargeFailsFast checks that an oversized page is refused from its header,
// without allocating its pixels.
func TestDecodeTooLargeFailsFast(t *testing.T) {
	for name, data := range map[string][]byte{
		"huge.png": pngHeaderOnly(30000, 30000),
		"huge.jpg": jpegHeaderOnly(30000, 30000),
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Decode(name, data)
		runtime.ReadMemStats(&after)
		if de := mustDecodeError(t, err); de.Kind != ErrTooLarge {
			t.Fatalf("%s: kind %s, want too_large", name, de.Kind)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%s: allocated %d bytes before refusing", name, alloc)
		}
	}
}

func TestDecodeFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "trang-01.png")
	if err := os.WriteFile(p, pngBytes(t, grayImage(30, 20), 0), 0o644); err != nil {
		t.Fatal(err)
	}
	pages, err := DecodeFile(p)
	if err != nil || len(pages) != 1 || pages[0].Width != 30 {
		t.Fatalf("DecodeFile: %v %v", pages, err)
	}
	empty := filepath.Join(dir, "empty.jpg")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = DecodeFile(empty)
	if de := mustDecodeError(t, err); de.Kind != ErrEmpty || de.File != "empty.jpg" {
		t.Errorf("empty file: %v", err)
	}
	if _, err := DecodeFile(filepath.Join(dir, "missing.png")); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := DecodeFile(dir); err == nil {
		t.Error("a folder decoded without error")
	}
}

// halveStripCounts returns a copy of a little-endian TIFF whose IFD number ifdIndex claims
// only half of each strip: the decoder sees truncated compressed data.
func halveStripCounts(t *testing.T, tif []byte, ifdIndex int) []byte {
	t.Helper()
	b := append([]byte{}, tif...)
	le := binary.LittleEndian
	_, ifds, err := walkTIFF(b)
	if err != nil {
		t.Fatal(err)
	}
	off := ifds[ifdIndex].offset
	for i := 0; i < int(le.Uint16(b[off:])); i++ {
		e := b[int(off)+2+12*i:]
		if le.Uint16(e) != 279 {
			continue
		}
		if cnt := le.Uint32(e[4:]); cnt == 1 {
			le.PutUint32(e[8:], le.Uint32(e[8:])/2)
		} else {
			at := le.Uint32(e[8:])
			for j := uint32(0); j < cnt; j++ {
				le.PutUint32(b[at+4*j:], le.Uint32(b[at+4*j:])/2)
			}
		}
		return b
	}
	t.Fatal("no StripByteCounts")
	return nil
}

// TestDecodePermissionsOnlyPDF: a PDF encrypted with an empty user password (permissions
// only, as many government PDFs are; every reader opens it without asking) imports like
// any other, its pages at the embedded images' own size; one that needs a password is
// still refused (TestDecodeBadFiles). The corpus holds a real one (3.pdf, 6 JPEG pages).
func TestDecodePermissionsOnlyPDF(t *testing.T) {
	jpg := jpegBytes(t, rgbImage(60, 80), "", 0)
	plain := pdfFromImages(t, jpg, jpg)
	var enc bytes.Buffer
	conf := pdfWriteConf()
	conf.Cmd = 0
	conf.UserPW, conf.OwnerPW = "", "owner"
	if err := api.Encrypt(bytes.NewReader(plain), &enc, conf); err != nil {
		t.Fatalf("encrypt test PDF: %v", err)
	}
	if !bytes.Contains(enc.Bytes(), []byte("/Encrypt")) {
		t.Fatal("test PDF is not encrypted")
	}
	pages, err := Decode("perm.pdf", enc.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 || pages[0].Format != "jpeg" || pages[0].Width != 60 || pages[0].Height != 80 || !bytes.Equal(pages[0].Data, jpg) {
		t.Fatalf("pages: %d, first %s %dx%d, same bytes as embedded: %v", len(pages), pages[0].Format, pages[0].Width, pages[0].Height,
			len(pages) > 0 && bytes.Equal(pages[0].Data, jpg))
	}

	real, err := os.ReadFile(filepath.Join(testenv.Corpus(), "ocr-vi", "real-scans-no-truth", "data", "3.pdf"))
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	pages, err = Decode("3.pdf", real)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 6 {
		t.Fatalf("3.pdf: %d pages, want 6", len(pages))
	}
	for _, p := range pages {
		// pdfimages -list: 1646-1648 x 2307-2315 px JPEG at 200 ppi.
		if p.Format != "jpeg" || p.Width < 1646 || p.Width > 1648 || p.Height < 2307 || p.Height > 2315 || p.DPI != 200 {
			t.Errorf("3.pdf page %d: %s %dx%d %d dpi", p.Index+1, p.Format, p.Width, p.Height, p.DPI)
		}
	}
}
