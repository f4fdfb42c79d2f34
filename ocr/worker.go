package ocr

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"strings"
	"time"
)

const (
	envWorker    = "SOHOA_OCR_WORKER"
	envTestHooks = "SOHOA_OCR_TEST_HOOKS" // enables test-only request kinds in workers
)

// Request kinds.
const (
	opInit = "init"
	opPage = "page"
	opZone = "zone"
	// Test-only kinds, honoured only when envTestHooks=1 in the worker.
	opCrash     = "test-crash"       // exit at once, as if Tesseract crashed
	opCrashOnce = "test-crash-once"  // first time (file Arg absent): create Arg and exit; then act as opPage
	opStall     = "test-stall"       // never answer
	opPageNoOSD = "test-page-no-osd" // opPage with orientation found without OSD (as when osd.traineddata is missing)
)

type request struct {
	Op             string
	Languages      []string `json:",omitempty"`
	TessdataDir    string   `json:",omitempty"`
	RefineTessdata string   `json:",omitempty"` // init: second model for poorly read lines
	RefineBelow    float64  `json:",omitempty"` // init: line mean confidence under which it is used
	MixLanguages   bool     `json:",omitempty"` // init: all languages word by word on every page (Options.MixLanguages)
	PSM            int      `json:",omitempty"`
	AutoOrient     bool     `json:",omitempty"`
	RemoveInk      bool     `json:",omitempty"` // page: coloured ink removed before recognition (RecognizeInkFree)
	Whitelist      string   `json:",omitempty"`
	Zone           [4]int   `json:",omitempty"` // x0 y0 x1 y1
	Orientation    int      `json:",omitempty"`
	Arg            string   `json:",omitempty"`
}

// Error kinds in replies, mapped back to sentinel errors in the pool.
const (
	kindEmpty   = "empty"
	kindBad     = "badimage"
	kindZone    = "zone"
	kindOrient  = "orientation"
	kindRequest = "request"
	kindEngine  = "engine"
)

type reply struct {
	Err     string `json:",omitempty"`
	Kind    string `json:",omitempty"`
	Engine  string `json:",omitempty"`
	Result  *Result
	Elapsed time.Duration
}

// MaybeRunWorker returns at once unless this process was started by a
// Pool as an OCR worker (SOHOA_OCR_WORKER=1). Then it serves requests on
// stdin/stdout until stdin closes, and exits. Call it first thing in
// main() and in TestMain of every package that uses a Pool.
func MaybeRunWorker() {
	if os.Getenv(envWorker) != "1" {
		return
	}
	os.Exit(runWorker())
}

func runWorker() int {
	out := workerStdout() // frames only; C-level stdout goes to stderr
	in := bufio.NewReaderSize(os.Stdin, 1<<16)
	w := bufio.NewWriterSize(out, 1<<16)
	hooks := os.Getenv(envTestHooks) == "1"

	var init request
	if _, err := readMsg(in, &init); err != nil || init.Op != opInit {
		fmt.Fprintln(os.Stderr, "ocr worker: expected init request")
		return 2
	}
	e, err := newEngine(init)
	if err != nil {
		writeMsg(w, reply{Err: err.Error(), Kind: kindEngine}, nil)
		return 1
	}
	defer e.close()
	if err := writeMsg(w, reply{Engine: EngineVersion()}, nil); err != nil {
		return 1
	}
	for {
		var req request
		body, err := readMsg(in, &req)
		if err != nil {
			return 0 // stdin closed: the pool is done with us
		}
		if hooks {
			switch req.Op {
			case opCrash:
				os.Exit(3)
			case opStall:
				select {}
			case opPageNoOSD:
				req.Op = opPage
				e.noOSD = true
			case opCrashOnce:
				if _, err := os.Stat(req.Arg); err != nil {
					os.WriteFile(req.Arg, nil, 0o600)
					os.Exit(3)
				}
				req.Op = opPage
			}
		}
		start := time.Now()
		res, err := e.do(req, body)
		e.noOSD = false
		rep := reply{Elapsed: time.Since(start)}
		if err != nil {
			rep.Err, rep.Kind = err.Error(), errKind(err)
		} else {
			rep.Result = &res
		}
		if err := writeMsg(w, rep, nil); err != nil {
			return 1
		}
	}
}

func errKind(err error) string {
	switch err {
	case ErrEmptyImage:
		return kindEmpty
	case ErrBadImage:
		return kindBad
	case ErrZoneOutside:
		return kindZone
	case ErrBadOrientation:
		return kindOrient
	}
	return kindRequest
}

// engine is the per-worker Tesseract state: one Tesseract instance for
// recognition, and an OSD instance loaded on first use. When pages are read
// with their first language alone (firstOnly: Vietnamese first among several,
// Options.MixLanguages off), tess holds that language and all, loaded on the
// first page that is not Vietnamese, holds all the languages.
type engine struct {
	tess        *tessEngine
	firstOnly   bool
	langs       []string
	readLangs   string // "+"-joined, the languages tess holds
	all         *tessEngine
	allErr      error
	refine      *tessEngine // nil: no second model
	refineBelow float64
	tessdataDir string
	osd         *osdEngine
	osdErr      error
	noOSD       bool // test hook: behave as if osd.traineddata were missing
}

func newEngine(init request) (*engine, error) {
	langs := init.Languages
	if len(langs) == 0 {
		langs = defaultLanguages
	}
	read := readLanguages(langs, init.MixLanguages)
	firstOnly := len(read) < len(langs)
	t, err := newTess(init.TessdataDir, read)
	if err != nil {
		return nil, err
	}
	// Warm up: the first recognition sets up Tesseract's dictionaries and
	// networks; pay that now, before the first page is timed.
	blank, err := decodePix(blankPNG())
	if err == nil {
		_, err = t.hocr(blank, 3, "")
		blank.free()
	}
	if err != nil {
		t.close()
		return nil, err
	}
	e := &engine{tess: t, firstOnly: firstOnly, langs: langs, readLangs: strings.Join(read, "+"), tessdataDir: init.TessdataDir, refineBelow: init.RefineBelow}
	if init.RefineTessdata != "" {
		if e.refine, err = newTess(init.RefineTessdata, read); err != nil {
			t.close()
			return nil, err
		}
	}
	return e, nil
}

func (e *engine) close() {
	e.refine.close()
	e.all.close()
	e.tess.close()
	e.osd.close()
}

func blankPNG() []byte {
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// Minimum OSD orientation confidence to trust; below it (or when OSD
// finds too little text) the confidence check decides.
const (
	minOSDConf      = 1.5
	lowMeanConf     = 60.0
	osdFallbackGain = 10.0 // 180° must beat upright by this many points
)

func (e *engine) do(req request, body []byte) (Result, error) {
	if !validOrientation(req.Orientation) {
		return Result{}, ErrBadOrientation
	}
	src, err := decodePix(body)
	if err != nil {
		return Result{}, err
	}
	defer func() { src.free() }()
	w, h := src.size()

	switch req.Op {
	case opPage:
		if req.RemoveInk {
			if g := src.removeInk(); g != nil {
				src.free()
				src = g
			}
		}
		psm := req.PSM
		if psm == 0 {
			psm = 3
		}
		var res Result
		if req.AutoOrient {
			res, err = e.autoOrient(src, psm)
		} else {
			res, err = e.recognizePage(src, 0, psm)
		}
		if err == nil {
			res, err = e.checkLanguage(src, res, psm)
		}
		res.Width, res.Height = w, h
		return res, err
	case opZone:
		zone := image.Rect(req.Zone[0], req.Zone[1], req.Zone[2], req.Zone[3]).Intersect(image.Rect(0, 0, w, h))
		if zone.Empty() {
			return Result{}, ErrZoneOutside
		}
		psm := req.PSM
		if psm == 0 {
			psm = 6
		}
		crop, err := src.clip(zone)
		if err != nil {
			return Result{}, err
		}
		defer crop.free()
		res, err := e.recognizePix(crop, req.Orientation, psm, req.Whitelist)
		if err != nil {
			return Result{}, err
		}
		for i := range res.Words {
			wd := &res.Words[i]
			wd.X0, wd.X1 = wd.X0+zone.Min.X, wd.X1+zone.Min.X
			wd.Y0, wd.Y1 = wd.Y0+zone.Min.Y, wd.Y1+zone.Min.Y
		}
		res.Languages = e.readLangs
		res.Width, res.Height = w, h
		return res, nil
	}
	return Result{}, fmt.Errorf("ocr: unknown request %q", req.Op)
}

// autoOrient picks the rotation with one full recognition: OSD when it is
// confident; otherwise the page as given, unless its reading is poor and a
// cheap probe (the middle band of the page read turned 180°) reads clearly
// better than the same band upright did. Only then is the page read a
// second time, turned. Stamps and signatures make many real upright pages
// read poorly; the probe costs them about a quarter of a page instead of a
// whole second recognition.
func (e *engine) autoOrient(src *pix, psm int) (Result, error) {
	// A page upright beyond doubt by leptonica's cheap measure needs no OSD (nor a probe).
	if !e.noOSD && src.upright() {
		return e.recognizePage(src, 0, psm)
	}
	if !e.noOSD && e.osd == nil && e.osdErr == nil {
		e.osd, e.osdErr = newOSD(e.tessdataDir)
	}
	if !e.noOSD && e.osd != nil {
		if deg, conf, ok := e.osd.detect(src); ok && conf >= minOSDConf && validOrientation(deg) {
			// Tesseract reports how far the page was turned clockwise
			// (checked by TestAutoOrient); turning it back corrects it.
			return e.recognizePage(src, (360-deg)%360, psm)
		}
	}
	res, err := e.recognizePage(src, 0, psm)
	if err != nil || (res.MeanConf >= lowMeanConf && len(res.Words) > 0) {
		return res, err
	}
	res.Probed = true
	if !e.probe180(src, psm, res.Words) {
		return res, nil
	}
	alt, err := e.recognizePage(src, 180, psm)
	if err == nil && len(alt.Words) > 0 && alt.MeanConf > res.MeanConf+osdFallbackGain {
		alt.Passes, alt.Probed = 2, true
		return alt, nil
	}
	res.Passes = 2
	return res, nil
}

// probe180 reads the middle band of the page (a quarter of its height)
// turned 180° and compares its mean word confidence with that of the
// upright words inside the same band: true when the turned reading beats
// the upright one by osdFallbackGain.
func (e *engine) probe180(src *pix, psm int, upright []Word) bool {
	w, h := src.size()
	band := image.Rect(0, h*3/8, w, h*5/8)
	if band.Dy() < 16 {
		band = image.Rect(0, 0, w, h)
	}
	var up []Word
	for _, wd := range upright {
		if cy := (wd.Y0 + wd.Y1) / 2; cy >= band.Min.Y && cy < band.Max.Y {
			up = append(up, wd)
		}
	}
	crop, err := src.clip(band)
	if err != nil {
		return false
	}
	defer crop.free()
	r, err := e.recognizePix(crop, 180, psm, "")
	if err != nil || len(r.Words) == 0 {
		return false
	}
	return r.MeanConf > meanConf(up)+osdFallbackGain
}

// recognizePage is recognizePix for a whole page: with a second model
// (Options.RefineTessdata), the lines read poorly are read again with it.
func (e *engine) recognizePage(x *pix, deg, psm int) (Result, error) {
	return e.recognize(e.tess, x, deg, psm, "", e.refine != nil)
}

// checkLanguage reads a page again, turned as res says, with all the
// languages when it was read with Vietnamese alone and that reading is
// not Vietnamese (an English page, say).
func (e *engine) checkLanguage(x *pix, res Result, psm int) (Result, error) {
	res.Languages = e.readLangs
	if !e.firstOnly || VietnameseReading(res.Words) {
		return res, nil
	}
	if e.all == nil && e.allErr == nil {
		e.all, e.allErr = newTess(e.tessdataDir, e.langs)
	}
	if e.allErr != nil {
		return Result{}, e.allErr
	}
	alt, err := e.recognize(e.all, x, res.Orientation, psm, "", false)
	if err != nil {
		return Result{}, err
	}
	alt.Passes, alt.Probed = res.Passes+1, res.Probed
	alt.Languages = strings.Join(e.langs, "+")
	return alt, nil
}

// recognizePix rotates (clockwise, deg) and recognizes a decoded image;
// boxes come back in the coordinates of x before rotation.
func (e *engine) recognizePix(x *pix, deg, psm int, whitelist string) (Result, error) {
	return e.recognize(e.tess, x, deg, psm, whitelist, false)
}

func (e *engine) recognize(t *tessEngine, x *pix, deg, psm int, whitelist string, refine bool) (Result, error) {
	img := x
	if deg != 0 {
		r, err := x.rotate(deg)
		if err != nil {
			return Result{}, err
		}
		defer r.free()
		img = r
	}
	hocr, err := t.hocr(img, psm, whitelist)
	if err != nil {
		return Result{}, err
	}
	text, words, err := parseHOCR(hocr)
	if err != nil {
		return Result{}, err
	}
	refined := 0
	if refine {
		if words, refined = e.refineLines(img, words); refined > 0 {
			text = wordsText(words)
		}
	}
	w, h := x.size()
	for i := range words {
		wd := &words[i]
		r := mapRect(image.Rect(wd.X0, wd.Y0, wd.X1, wd.Y1), deg, w, h)
		wd.X0, wd.Y0, wd.X1, wd.Y1 = r.Min.X, r.Min.Y, r.Max.X, r.Max.Y
	}
	return Result{Text: text, Words: words, MeanConf: meanConf(words), Orientation: deg, Passes: 1, RefinedLines: refined}, nil
}

// refineLines reads again, with the second model, each line whose mean
// word confidence is under refineBelow (the line's box with a margin of a
// quarter of its height, as one text line), and takes that reading when
// it has words. It returns the words and how many lines were replaced.
func (e *engine) refineLines(img *pix, words []Word) ([]Word, int) {
	w, h := img.size()
	page := image.Rect(0, 0, w, h)
	out := make([]Word, 0, len(words))
	n := 0
	for i := 0; i < len(words); {
		j := i + 1
		for j < len(words) && sameLine(words[j], words[i]) {
			j++
		}
		line := words[i:j]
		i = j
		if meanConf(line) >= e.refineBelow {
			out = append(out, line...)
			continue
		}
		box := image.Rect(line[0].X0, line[0].Y0, line[0].X1, line[0].Y1)
		for _, wd := range line[1:] {
			box = box.Union(image.Rect(wd.X0, wd.Y0, wd.X1, wd.Y1))
		}
		box = box.Inset(-(box.Dy()/4 + 2)).Intersect(page)
		rw := e.readLine(img, box)
		if len(rw) == 0 {
			out = append(out, line...)
			continue
		}
		for _, wd := range rw {
			wd.X0, wd.X1 = wd.X0+box.Min.X, wd.X1+box.Min.X
			wd.Y0, wd.Y1 = wd.Y0+box.Min.Y, wd.Y1+box.Min.Y
			wd.Block, wd.Par, wd.Line = line[0].Block, line[0].Par, line[0].Line
			out = append(out, wd)
		}
		n++
	}
	return out, n
}

func (e *engine) readLine(img *pix, box image.Rectangle) []Word {
	if box.Dx() < 4 || box.Dy() < 4 {
		return nil
	}
	crop, err := img.clip(box)
	if err != nil {
		return nil
	}
	defer crop.free()
	hocr, err := e.refine.hocr(crop, 7, "")
	if err != nil {
		return nil
	}
	_, rw, err := parseHOCR(hocr)
	if err != nil {
		return nil
	}
	return rw
}

func sameLine(a, b Word) bool { return a.Block == b.Block && a.Par == b.Par && a.Line == b.Line }

// wordsText writes words as Result.Text does: one space between words, a
// line per line, a blank line between paragraphs.
func wordsText(words []Word) string {
	var sb strings.Builder
	for i, wd := range words {
		if i > 0 {
			p := words[i-1]
			switch {
			case p.Block != wd.Block || p.Par != wd.Par:
				sb.WriteString("\n\n")
			case p.Line != wd.Line:
				sb.WriteByte('\n')
			default:
				sb.WriteByte(' ')
			}
		}
		sb.WriteString(wd.Text)
	}
	return sb.String()
}

func meanConf(words []Word) float64 {
	if len(words) == 0 {
		return 0
	}
	s := 0.0
	for _, w := range words {
		s += w.Conf
	}
	return s / float64(len(words))
}
