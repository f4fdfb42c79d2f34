package capture

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/internal/testenv"
)

// corpusDir is the shared corpus of real files from public projects (see its README).
var corpusDir = testenv.Corpus()

func corpusFiles(t *testing.T, pattern string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(corpusDir, pattern))
	if len(files) == 0 {
		// The corpus is part of the test set-up (CI has it beside the checkout): missing, the
		// tests fail rather than pass without looking at real files.
		t.Fatalf("shared corpus not present at %s (pattern %s): put shared/corpus beside the checkout or set SOHOA_CORPUS", corpusDir, pattern)
	}
	return files
}

// TestCorpusScannedTIFF decodes Tesseract's real scanned test pages (CCITT G4, raw 1-bit,
// LZW RGBA with predictor) and checks size and resolution against tiffinfo's reading.
func TestCorpusScannedTIFF(t *testing.T) {
	want := map[string][3]int{ // width, height, dpi (tiffinfo)
		"8071_093.3B.tif":  {3312, 2550, 300},
		"8087_054.3B.tif":  {2560, 3300, 300},
		"eurotext.tif":     {1024, 800, 300},
		"phototest.tif":    {640, 480, 200},
		"phototestrot.tif": {480, 640, 200},
	}
	files := corpusFiles(t, "ocr-en/*.tif")
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			pages, err := DecodeFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != 1 {
				t.Fatalf("%d pages, want 1", len(pages))
			}
			p := pages[0]
			if w, ok := want[name]; ok && (p.Width != w[0] || p.Height != w[1] || p.DPI != w[2]) {
				t.Errorf("got %dx%d at %d dpi, want %dx%d at %d dpi", p.Width, p.Height, p.DPI, w[0], w[1], w[2])
			}
			img := decodeData(t, p)
			// A text page has both ink and paper.
			dark, light := 0, 0
			b := img.Bounds()
			for y := b.Min.Y; y < b.Max.Y; y += 7 {
				for x := b.Min.X; x < b.Max.X; x += 7 {
					r, g, bb, _ := img.At(x, y).RGBA()
					if (r+g+bb)/3 < 0x4000 {
						dark++
					} else if (r+g+bb)/3 > 0xc000 {
						light++
					}
				}
			}
			if dark == 0 || light < dark {
				t.Errorf("page does not look like black text on white paper: %d dark, %d light samples", dark, light)
			}
		})
	}
}

// TestCorpusSignedPDFs feeds real-world PDFs (mostly text, some damaged) to the decoder:
// none may panic or hang, and each gives pages or a clear *DecodeError.
func TestCorpusSignedPDFs(t *testing.T) {
	files := corpusFiles(t, "signed-pdfs/*/*.pdf")
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(filepath.Base(filepath.Dir(f))+"/"+name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			pages, err := Decode(name, data)
			if err == nil {
				for _, p := range pages {
					decodeData(t, p)
				}
				t.Logf("%d pages decoded", len(pages))
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error is not a *DecodeError: %v", err)
			}
			// malformed-pades.pdf has lost its "%PDF-" header: not recognisable as a PDF.
			if de.Kind != ErrUnsupported && de.Kind != ErrCorrupt && !(de.Kind == ErrUnknownFormat && name == "malformed-pades.pdf") {
				t.Errorf("kind %s: %v", de.Kind, err)
			}
			t.Logf("%s: %v", de.Kind, err)
		})
	}
}
