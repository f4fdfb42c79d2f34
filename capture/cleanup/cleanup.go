package cleanup

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"time"

	"github.com/sohoa/sohoa/internal/l10n"
)

// BlankPolicy says what to do with a page that carries no text.
type BlankPolicy string

// Blank page policies.
const (
	BlankOff  BlankPolicy = "off"  // no detection
	BlankFlag BlankPolicy = "flag" // keep the page, set Result.Blank
	BlankDrop BlankPolicy = "drop" // set Result.Blank and Result.Dropped; no cleaned image
)

// Profile is the clean-up asked for by a batch.
type Profile struct {
	Deskew      bool
	AutoOrient  bool
	Blank       BlankPolicy
	CropBorders bool
	Binarize    bool
}

// DefaultProfile deskews, turns pages upright, flags blank pages and crops
// black edges; it does not binarize.
func DefaultProfile() Profile {
	return Profile{Deskew: true, AutoOrient: true, Blank: BlankFlag, CropBorders: true}
}

// Result is the cleaned page and what was measured on it.
//
// Data is always PNG when the image was changed (lossless: a JPEG input
// is not re-compressed a second time); gray input stays gray, colour stays
// colour, bilevel stays bilevel, unless Binarize makes it bilevel. When
// nothing needed changing, Data is the input bytes and Format their format.
type Result struct {
	Data          []byte
	Format        string // "png" | "jpeg"
	Width, Height int

	// SkewDeg is the measured skew of the (upright) input in degrees,
	// positive = counter-clockwise (docgen.Page.SkewDeg's convention);
	// it was corrected when Profile.Deskew was set, the confidence
	// SkewConf reached MinSkewConf and |SkewDeg| >= MinDeskewDeg.
	SkewDeg  float64
	SkewConf float64
	Deskewed bool

	// PaperRange is how much the paper's brightness varies over the page (grey levels,
	// between the darkest and brightest of paperGrid x paperGrid tiles); from MaxPaperRange
	// the light was evened out (Flattened) and the cleaned page is grey.
	PaperRange int
	Flattened  bool

	// Straightened: the page was found as a quadrilateral on a darker background (a photo
	// taken at an angle) and mapped onto an upright rectangle; Quad is its corners in the
	// input (top-left, top-right, bottom-right, bottom-left, x then y).
	Straightened bool
	Quad         [4][2]float64

	// Despeckled: a bilevel fax-grade page (FaxFromDPI..FaxBelowDPI) was cleaned of specks;
	// Upscaled: it was also doubled (grey). DPI is the resolution of the cleaned page (the
	// file's, or guessed from its size as an A4 page).
	Despeckled bool
	Upscaled   bool
	DPI        int

	// Rotation is the clockwise turn applied to put the page upright.
	// OrientDetected is false when orientation was not asked for, when
	// Tesseract found too little text, or when its confidence OrientConf
	// was below MinOrientConf: Rotation is then 0.
	Rotation       int
	OrientConf     float64
	OrientDetected bool

	Blank      bool
	BlankScore float64 // ink coverage of text-sized marks in the page's inner area (0..1)
	Dropped    bool    // Blank under BlankDrop: Data is nil, the caller keeps only the original

	// Crop is the region of the rotated, deskewed image that was kept, in
	// its coordinates (the whole image when nothing was cropped).
	Crop image.Rectangle

	Changed bool // false: Data is the input bytes, not re-encoded

	// Raw (Options.Raw): the page left as it is (Changed false), as an uncompressed PNG of its
	// decoding (RawPNG: the same pixels and resolution), or nil.
	Raw []byte

	// UpConf and LeftConf are leptonica's text orientation confidences of the page as decoded
	// (Options.Upright was asked); UprightSure: Options.Upright found it upright beyond doubt,
	// and Tesseract's orientation detection was not run.
	UpConf, LeftConf float64
	UprightSure      bool

	Timings Timings
}

// Timings of the steps of one Process call (for tuning and benchmarks).
type Timings struct {
	Decode, Upright, Skew, OSD, Rotate, Crop, Blank, Encode time.Duration
}

// Options are what ProcessWith does beyond the profile, for a caller that hands the page on.
type Options struct {
	// Upright, with Profile.AutoOrient, is given leptonica's up/down and left/right text
	// orientation confidences of the page as decoded (pixOrientDetect on its bilevel page,
	// thresholded as the clean-up does: the measure of ocr.Upright, on the clean-up's own
	// decoding); when it says the page is upright beyond doubt, Tesseract's orientation detection
	// (a few hundred milliseconds) is skipped and the page is taken as upright.
	Upright func(up, left float64) bool
	// Raw: a PNG page of 8-bit grey or RGB left as it is comes back in Result.Raw as an
	// uncompressed PNG of this decoding, for a reader that would decode the page again.
	Raw bool
}

// Tuning constants. They were set on docgen's synthetic scans (see the
// tests) and leptonica's own deskew defaults.
const (
	MinSkewConf   = 3.0  // leptonica's MinAllowedConfidence in pixDeskew
	MinDeskewDeg  = 0.1  // smaller skews are not worth a resampling
	MinOrientConf = 2.0  // Tesseract OSD orientation confidence to act on
	BlankMaxInk   = 2e-4 // a page is blank below this BlankScore
	MaxPaperRange = 60   // paper brightness spread (grey levels) from which the light is evened out
	// Bilevel pages from FaxFromDPI up to FaxBelowDPI are fax-grade: despeckled (and, with
	// faxUpscale, doubled) before recognition (TestFieldCaptures, bench/REPORT-captures.md).
	// Lower resolutions (real 70-dpi scans) are left as they are: not measured here.
	FaxBelowDPI = 200
	FaxFromDPI  = 120
	// UprightDoubleBelowDPI: under it the upright test (Options.Upright) measures a grey page
	// doubled (ocr.Upright does the same): on the ~70-dpi Da Nang scans of the corpus
	// leptonica's up/down confidence goes from 3.5-17 at their resolution (not sure: OSD, about
	// 0.3 s) to 19-30, with their turned copies still refused (TestUprightInCleanup).
	UprightDoubleBelowDPI = 100

	faxSpeck = 2 // specks smaller than this both ways (pixels) are fax noise

	paperGrid = 6

	maxPixels = 120_000_000 // A3 at 600 dpi is 70 Mpx
	maxSide   = 30000
	minSide   = 16
	pngLevel  = 1 // zlib level: scans are noisy, so 1 is as small as 3 and faster (6 is 4x slower)
	// jpegQuality for cleaned grey and colour pages (see Clean).
	jpegQuality = 85
)

// Errors returned by Process.
var (
	ErrEmptyImage  = l10n.New("cleanup.emptyImage")
	ErrBadImage    = l10n.New("cleanup.badImage")
	ErrImageSize   = l10n.New("cleanup.imageSize")
	ErrBadProfile  = l10n.New("cleanup.badProfile")
	ErrUnsupported = l10n.New("cleanup.unsupported")
)

// sniff checks the magic number and the header-declared size before
// leptonica allocates anything.
func sniff(img []byte) (format string, w, h int, err error) {
	var cfg image.Config
	switch {
	case bytes.HasPrefix(img, []byte("\x89PNG\r\n\x1a\n")):
		format = "png"
		cfg, err = png.DecodeConfig(bytes.NewReader(img))
	case bytes.HasPrefix(img, []byte{0xff, 0xd8, 0xff}):
		format = "jpeg"
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(img))
	default:
		return "", 0, 0, ErrBadImage
	}
	if err != nil {
		return "", 0, 0, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	w, h = cfg.Width, cfg.Height
	if w < minSide || h < minSide || w > maxSide || h > maxSide || w*h > maxPixels {
		return "", 0, 0, fmt.Errorf("%w: %dx%d", ErrImageSize, w, h)
	}
	// A truncated JPEG decodes as gray filler, and a few bytes of header
	// can declare a huge image: both would be slow garbage. Real pages
	// never compress below one byte per 4000 pixels.
	if format == "jpeg" && bytes.LastIndex(img, []byte{0xff, 0xd9}) < 0 {
		return "", 0, 0, fmt.Errorf("%w: truncated JPEG", ErrBadImage)
	}
	if len(img) < w*h/4000 {
		return "", 0, 0, fmt.Errorf("%w: %dx%d pixels in %d bytes", ErrBadImage, w, h, len(img))
	}
	return format, w, h, nil
}

// Process cleans one page image (PNG or JPEG bytes as stored by import)
// according to p. It never modifies img. It returns ctx.Err() if ctx is
// cancelled between steps.
func Process(ctx context.Context, img []byte, p Profile) (Result, error) {
	return ProcessWith(ctx, img, p, Options{})
}

// ProcessWith is Process with the extras of o (one decoding of the page serves the clean-up,
// the upright test and the copy handed on).
func ProcessWith(ctx context.Context, img []byte, p Profile, o Options) (Result, error) {
	switch p.Blank {
	case "", BlankOff, BlankFlag, BlankDrop:
	default:
		return Result{}, fmt.Errorf("%w: blank policy %q", ErrBadProfile, p.Blank)
	}
	if len(img) == 0 {
		return Result{}, ErrEmptyImage
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	format, _, _, err := sniff(img)
	if err != nil {
		return Result{}, err
	}
	var res Result
	res.Format = format

	// Decode.
	t0 := time.Now()
	src, err := readPix(img)
	if err != nil {
		return Result{}, err
	}
	w, h, _, xres := src.info()
	if w < minSide || h < minSide || w*h > maxPixels {
		src.free()
		return Result{}, fmt.Errorf("%w: %dx%d", ErrImageSize, w, h)
	}
	rawCh := 0
	if o.Raw && format == "png" {
		rawCh = src.plain() // normalize leaves such an image as it is
	}
	work, err := src.normalize()
	src.free()
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	defer func() { work.free() }()
	dpi := resolution(xres, w, h)
	gray, err := work.gray()
	if err != nil {
		return Result{}, err
	}
	// The upright test, on the page as decoded (before any straightening or evening out of the
	// light, as ocr.Upright measures it). Its bilevel page is the clean-up's own when neither
	// applies (the same grey page and threshold), except under UprightDoubleBelowDPI, where
	// it is measured on the grey page doubled.
	var upBin *pix
	var upHist [256]float64
	upHistOK := false
	if p.AutoOrient && o.Upright != nil {
		t := time.Now()
		m, mdpi := (*pix)(nil), dpi
		if _, _, d, _ := work.info(); d == 1 {
			upBin = work.clone()
			m = upBin
		} else {
			if upHist, err = gray.histogram(4); err != nil {
				gray.free()
				return Result{}, err
			}
			upHistOK = true
			thr := inkThreshold(upHist)
			if dpi < UprightDoubleBelowDPI {
				m, err = gray.threshold2x(thr)
				mdpi = 2 * dpi
				defer m.free()
			} else {
				upBin, err = gray.threshold(thr)
				m = upBin
			}
			if err != nil {
				gray.free()
				return Result{}, err
			}
		}
		if up, left, ok := m.orient(mdpi); ok {
			res.UpConf, res.LeftConf = up, left
			res.UprightSure = o.Upright(up, left)
		}
		res.Timings.Upright = time.Since(t)
	}
	defer func() { upBin.free() }()
	// A photo of the sheet taken at an angle: find the sheet and straighten it first.
	if _, _, d, _ := work.info(); findSheet && (d == 8 || d == 32) {
		q, ok, err := findPage(gray)
		if err != nil {
			gray.free()
			return Result{}, err
		}
		if ok {
			flat, err := straighten(work, q)
			gray.free()
			if err != nil {
				return Result{}, err
			}
			work.free()
			work = flat
			if gray, err = work.gray(); err != nil {
				return Result{}, err
			}
			pw, ph, _, _ := work.info()
			// A photo's stated resolution (often 72) says nothing of the sheet's.
			dpi = resolution(0, pw, ph)
			res.Straightened, res.Quad = true, q
		}
	}
	// Uneven light (a phone photo: light falling off across the page) defeats one global
	// threshold, Tesseract's included: the page is evened out first, as grey.
	if _, _, d, _ := work.info(); d == 8 || d == 32 {
		lo, hi, err := gray.paperRange(paperGrid)
		if err != nil {
			gray.free()
			return Result{}, err
		}
		res.PaperRange = hi - lo
		if res.PaperRange >= MaxPaperRange {
			flat, err := gray.flatten()
			gray.free()
			if err != nil {
				return Result{}, err
			}
			work.free()
			work, gray = flat, flat.clone()
			res.Flattened = true
		}
	}
	var hist [256]float64
	unchanged := !res.Straightened && !res.Flattened
	same := upBin != nil && unchanged // the upright test's bilevel page is this one
	if upHistOK && unchanged {
		hist = upHist
	} else if hist, err = gray.histogram(4); err != nil {
		gray.free()
		return Result{}, err
	}
	thr := inkThreshold(hist)
	var bin *pix
	switch _, _, d, _ := work.info(); {
	case d == 1:
		bin = work.clone()
	case same:
		bin, upBin = upBin, nil
	default:
		bin, err = gray.threshold(thr)
	}
	gray.free()
	if err != nil {
		return Result{}, err
	}
	defer func() { bin.free() }()
	res.Timings.Decode = time.Since(t0) - res.Timings.Upright
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	// Orientation (Tesseract OSD on the bilevel page).
	if p.AutoOrient && !res.UprightSure {
		t := time.Now()
		deg, conf, ok, err := orientation(bin, dpi)
		res.Timings.OSD = time.Since(t)
		if err != nil {
			return Result{}, err
		}
		res.OrientConf = conf
		// Under osdMinDPI OSD is not trusted with upside down: on real 70-dpi scans
		// (corpus ocr-vi/real-scans-danang) it calls upright pages 180° turned with
		// confidences of 3-8, and again when given them turned (TestOrientationLowResolution).
		if deg == 180 && dpi < osdMinDPI {
			ok = false
		}
		if ok && conf >= MinOrientConf && deg%90 == 0 && deg >= 0 && deg < 360 {
			res.OrientDetected = true
			res.Rotation = (360 - deg) % 360
		}
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
	}
	t1 := time.Now()
	if res.Rotation != 0 {
		if err := replace(&bin, func(x *pix) (*pix, error) { return x.rotateOrth(res.Rotation) }); err != nil {
			return Result{}, err
		}
		if err := replace(&work, func(x *pix) (*pix, error) { return x.rotateOrth(res.Rotation) }); err != nil {
			return Result{}, err
		}
	}
	res.Timings.Rotate = time.Since(t1)

	// Skew, measured on the upright page.
	t2 := time.Now()
	if deg, conf, ok := bin.skew(); ok {
		res.SkewDeg, res.SkewConf = deg, conf
	}
	res.Timings.Skew = time.Since(t2)
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	if p.Deskew && res.SkewConf >= MinSkewConf && math.Abs(res.SkewDeg) >= MinDeskewDeg {
		t := time.Now()
		// leptonica turns clockwise for a positive angle, which undoes a
		// counter-clockwise (positive) skew.
		if err := replace(&work, func(x *pix) (*pix, error) { return x.rotate(res.SkewDeg, false) }); err != nil {
			return Result{}, err
		}
		if err := replace(&bin, func(x *pix) (*pix, error) { return x.rotate(res.SkewDeg, true) }); err != nil {
			return Result{}, err
		}
		res.Deskewed = true
		res.Timings.Rotate += time.Since(t)
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
	}

	// Black edges.
	bw, bh, _, _ := bin.info()
	res.Crop = image.Rect(0, 0, bw, bh)
	if p.CropBorders {
		t := time.Now()
		rows, cols, err := bin.counts()
		if err != nil {
			return Result{}, err
		}
		res.Crop = findCrop(rows, cols, bw, bh)
		if res.Crop != image.Rect(0, 0, bw, bh) {
			if err := replace(&work, func(x *pix) (*pix, error) { return x.clip(res.Crop) }); err != nil {
				return Result{}, err
			}
			if err := replace(&bin, func(x *pix) (*pix, error) { return x.clip(res.Crop) }); err != nil {
				return Result{}, err
			}
		}
		res.Timings.Crop = time.Since(t)
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
	}

	// Blank page.
	if p.Blank == BlankFlag || p.Blank == BlankDrop {
		t := time.Now()
		score, err := blankScore(bin, dpi)
		if err != nil {
			return Result{}, err
		}
		res.BlankScore = score
		res.Blank = score < BlankMaxInk
		res.Timings.Blank = time.Since(t)
		if res.Blank && p.Blank == BlankDrop {
			res.Dropped = true
			res.Changed = true
			res.Format = ""
			return res, nil
		}
	}

	// Fax-grade pages (bilevel, 120-199 dpi): specks removed and, with faxUpscale, doubled
	// before recognition. A photo's sheet (Straightened) and grey or colour pages are left
	// alone.
	res.DPI = dpi
	if faxDespeckle && dpi >= FaxFromDPI && dpi < FaxBelowDPI && !res.Straightened {
		if _, _, d, _ := work.info(); d == 1 || twoLevel(hist) {
			n, err := bin.fax(faxSpeck, faxUpscale)
			if err != nil {
				return Result{}, err
			}
			work.free()
			work = n
			res.Despeckled = true
			if faxUpscale {
				res.Upscaled, res.DPI = true, 2*dpi
			}
		}
	}

	if p.Binarize {
		if _, _, d, _ := work.info(); d != 1 {
			g, err := work.gray()
			if err != nil {
				return Result{}, err
			}
			nb, err := g.threshold(thr)
			g.free()
			if err != nil {
				return Result{}, err
			}
			work.free()
			work = nb
		}
	}

	res.Changed = res.Rotation != 0 || res.Deskewed || res.Crop != image.Rect(0, 0, bw, bh) || p.Binarize || res.Flattened ||
		res.Straightened || res.Despeckled
	if !res.Changed {
		res.Data, res.Width, res.Height = img, w, h
		if rawCh > 0 {
			xr, yr := work.res()
			res.Raw = RawPNG(work.rows(rawCh), w, h, rawCh, xr, yr)
		}
		return res, nil
	}
	t3 := time.Now()
	res.Width, res.Height, _, _ = work.info()
	// Grey and colour pages are stored as JPEG: a noisy 300-dpi colour scan is ~9 MB as PNG
	// and ~10 times smaller as JPEG at this quality, still sharp for reading and OCR, it
	// encodes faster, and the signed PDF embeds it without re-encoding. Black-and-white pages
	// stay 1-bit PNG (lossless and smaller still).
	data, isJPEG, err := work.encodeJPEG(jpegQuality)
	if err != nil {
		return Result{}, err
	}
	res.Format = "jpeg"
	if !isJPEG {
		if data, err = work.encodePNG(pngLevel); err != nil {
			return Result{}, err
		}
		res.Format = "png"
	}
	res.Data = data
	res.Timings.Encode = time.Since(t3)
	return res, nil
}

// osdMinDPI is the resolution under which a 180° verdict of OSD is not acted on.
const osdMinDPI = 150

// orientation runs OSD on the bilevel page halved until under 300 dpi:
// Tesseract's layout analysis dominates the cost and is as accurate there
// (TestAccuracy).
func orientation(bin *pix, dpi int) (deg int, conf float64, ok bool, err error) {
	x, res := bin.clone(), dpi
	defer func() { x.free() }()
	for res >= 300 {
		if err := replace(&x, func(p *pix) (*pix, error) { return p.reduce2() }); err != nil {
			return 0, 0, false, err
		}
		res /= 2
	}
	return detectOrientation(x, res)
}

// replace swaps *x for f(*x), freeing the old image.
func replace(x **pix, f func(*pix) (*pix, error)) error {
	n, err := f(*x)
	if err != nil {
		return err
	}
	(*x).free()
	*x = n
	return nil
}

// resolution returns the image's dpi, or a guess from its size as an A4
// page when the file does not state a plausible one.
func resolution(xres, w, h int) int {
	if xres >= 70 && xres <= 1200 {
		return xres
	}
	d := int(math.Round(float64(min(w, h)) / 8.27))
	return max(70, min(d, 1200))
}

// inkThreshold picks the gray level below which a pixel counts as ink:
// 60% of the paper's brightness (the brightest well-populated level), so
// faint bleed-through and scanner noise on a shaded page stay paper.
func inkThreshold(hist [256]float64) int {
	var total float64
	for _, v := range hist {
		total += v
	}
	paper, best := 255, -1.0
	for i := 96; i < 256; i++ {
		var s float64
		for j := max(0, i-3); j <= min(255, i+3); j++ {
			s += hist[j]
		}
		if s > best {
			best, paper = s, i
		}
	}
	if best < total*0.05 { // no clear paper level: a dark page
		paper = 255
	}
	return max(48, min(int(float64(paper)*0.6), 170))
}

// Switches for the bench's before/variant rows (scripts/bench-captures.sh): faxUpscale
// doubles fax-grade pages after despeckling (measured worse, off); findSheet and
// faxDespeckle turn this branch's two steps off.
var (
	faxUpscale   = false
	findSheet    = true
	faxDespeckle = true
)

// twoLevel: nearly every pixel is black or white (a bilevel page stored as grey).
func twoLevel(hist [256]float64) bool {
	var total, mid float64
	for i, v := range hist {
		total += v
		if i > 8 && i < 247 {
			mid += v
		}
	}
	return total > 0 && mid < 0.01*total
}

// findCrop finds dark bands along the four edges of a bilevel page (rows
// and columns whose ink fraction stays high from the image edge inward)
// and returns the rectangle inside them, with a small extra margin for the
// shadow at the paper's edge. A band that would take more than a quarter
// of the page is not a scanner edge and is left alone.
func findCrop(rows, cols []int32, w, h int) image.Rectangle {
	const dark = 0.3
	band := func(c []int32, length int) int {
		limit := len(c) / 4
		i := 0
		for i < len(c) && float64(c[i]) >= dark*float64(length) {
			i++
			if i > limit {
				return 0
			}
		}
		if i == 0 {
			return 0
		}
		return min(i+max(2, len(c)/300), limit)
	}
	rev := func(c []int32) []int32 {
		r := make([]int32, len(c))
		for i, v := range c {
			r[len(c)-1-i] = v
		}
		return r
	}
	top, bottom := band(rows, w), band(rev(rows), w)
	left, right := band(cols, h), band(rev(cols), h)
	return image.Rect(left, top, w-right, h-bottom)
}

// blankScore is the ink coverage of text-sized marks (components at least
// about 1 mm wide or high; dust, specks and noise are smaller) in the
// inner area of the page (5% margins left out: edge shadows, punch holes).
func blankScore(bin *pix, dpi int) (float64, error) {
	w, h, _, _ := bin.info()
	mx, my := w/20, h/20
	inner, err := bin.clip(image.Rect(mx, my, w-mx, h-my))
	if err != nil {
		return 0, err
	}
	defer inner.free()
	minsize := max(2, int(math.Round(float64(dpi)/2*1.0/25.4)))
	n, total, err := inner.ink(minsize)
	if err != nil || total == 0 {
		return 0, err
	}
	return float64(n) / float64(total), nil
}
