package ocr

import (
	"image"
	"sync"
	"time"

	"github.com/otiai10/gosseract/v2"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Word is one recognized word. The box is in pixels of the image as given
// (X1, Y1 exclusive); Block, Par and Line number the word's block,
// paragraph (within its block) and line (within its paragraph), from 1,
// in Tesseract's reading order.
type Word struct {
	Text           string
	X0, Y0, X1, Y1 int
	Conf           float64 // 0-100
	Block, Par     int
	Line           int
}

// Result is the recognition of one page or zone.
type Result struct {
	// Text is the page text in reading order, as gosseract's Text() gives
	// it: words joined by spaces, lines ended by "\n", a blank line
	// between paragraphs, leading and trailing newlines trimmed.
	Text     string
	Words    []Word
	MeanConf float64 // mean word confidence, 0 when there are no words
	// Orientation is the clockwise rotation (0, 90, 180, 270) that was
	// applied to the image before recognition. Word boxes are already
	// mapped back to the image as given.
	Orientation int
	// Passes counts the full recognitions of the page: 1; 2 when
	// AutoOrient, without a confident OSD, found the reading poor and a
	// probe (a band of the page read turned 180°) read clearly better, so
	// the whole page was read turned too; one more when the page, read with
	// Vietnamese alone, was not Vietnamese and was read again with all the
	// languages (Options.MixLanguages). Probed says the probe ran.
	Passes int
	Probed bool
	// RefinedLines counts the lines read again with Options.RefineTessdata.
	RefinedLines int
	// Languages are the languages the page was read with, "+"-joined: "vie" for a
	// Vietnamese page read with Vietnamese alone, "vie+eng" for a page read again with all
	// of Options.Languages (see Options.MixLanguages).
	Languages     string
	Engine, Model string // e.g. "tesseract 5.3.0", "vie+eng@1a2b3c4d5e6f"
	Width, Height int    // of the image as given
	// Duration is the time spent on this page by the worker pool
	// (sending, recognition, reply), not counting waiting for a free worker.
	Duration time.Duration
}

// Options configure a Pool. The zero value is usable.
type Options struct {
	Languages      []string // default {"vie", "eng"}
	TessdataDir    string   // directory holding *.traineddata; default Tesseract's own (Debian: /usr/share/tesseract-ocr/5/tessdata)
	Workers        int      // worker processes; default runtime.NumCPU()
	PagesPerWorker int      // a worker is replaced after this many pages; default 200
	PSM            int      // page segmentation mode 1-13; 0 means 3 (fully automatic, as the tesseract CLI)
	AutoOrient     bool     // detect 90/180/270 rotated pages (OSD, else a confidence check and a 180° probe) and correct them
	// RefineTessdata, when set, is a second model folder (same languages, e.g. tessdata/best
	// from make tessdata-best): on whole pages, each line whose mean word confidence is under
	// RefineBelow (default 80) is read again with it, as one line, and that reading is kept.
	RefineTessdata string
	RefineBelow    float64
	// MixLanguages makes Tesseract choose among all Languages word by word on every page,
	// as `tesseract -l vie+eng` does. Off (the default) with Vietnamese first among several
	// languages, a page is read with Vietnamese alone, and read again with all of them only
	// when that reading is not Vietnamese (VietnameseReading); zones are read with
	// Vietnamese alone. On the real Vietnamese pages of corpus/ocr-vi the word-by-word
	// choice cost 31-39 % more processor time and lost tone marks to the English model
	// (bench/REPORT-ocr-real.md).
	MixLanguages bool
}

// ZoneOptions tune zonal OCR of one field.
type ZoneOptions struct {
	Whitelist string // only these characters may be recognized; "" = all
	PSM       int    // 0 means 6 (a uniform block of text); 7 = one line
	// Orientation is the clockwise rotation to apply to the cropped zone
	// before recognition, usually the Result.Orientation of the page. The
	// zone and the word boxes are in coordinates of the image as given.
	Orientation int
}

// Errors. Messages are shown to clerks, so they carry Vietnamese and English.
var (
	ErrEmptyImage     = l10n.New("ocr.emptyImage")
	ErrBadImage       = l10n.New("ocr.badImage")
	ErrZoneOutside    = l10n.New("ocr.zoneOutside")
	ErrWorkerCrashed  = l10n.New("ocr.workerCrashed")
	ErrClosed         = l10n.New("ocr.closed")
	ErrBadOrientation = l10n.New("ocr.badOrientation")
)

var (
	versionOnce sync.Once
	version     string
)

// EngineVersion returns e.g. "tesseract 5.3.0".
func EngineVersion() string {
	versionOnce.Do(func() { version = "tesseract " + gosseract.Version() })
	return version
}

// mapRect maps a rectangle in an image that was rotated clockwise by deg
// back to the image before rotation, whose size is w x h.
func mapRect(r image.Rectangle, deg, w, h int) image.Rectangle {
	switch deg {
	case 90:
		return image.Rect(r.Min.Y, h-r.Max.X, r.Max.Y, h-r.Min.X)
	case 180:
		return image.Rect(w-r.Max.X, h-r.Max.Y, w-r.Min.X, h-r.Min.Y)
	case 270:
		return image.Rect(w-r.Max.Y, r.Min.X, w-r.Min.Y, r.Max.X)
	}
	return r
}

func validOrientation(deg int) bool { return deg == 0 || deg == 90 || deg == 180 || deg == 270 }
