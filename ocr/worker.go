package ocr

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"strconv"
	"time"

	"github.com/otiai10/gosseract/v2"
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
	opCrash     = "test-crash"      // exit at once, as if Tesseract crashed
	opCrashOnce = "test-crash-once" // first time (file Arg absent): create Arg and exit; then act as opPage
	opStall     = "test-stall"      // never answer
)

type request struct {
	Op          string
	Languages   []string `json:",omitempty"`
	TessdataDir string   `json:",omitempty"`
	PSM         int      `json:",omitempty"`
	AutoOrient  bool     `json:",omitempty"`
	Whitelist   string   `json:",omitempty"`
	Zone        [4]int   `json:",omitempty"` // x0 y0 x1 y1
	Orientation int      `json:",omitempty"`
	Arg         string   `json:",omitempty"`
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

// engine is the per-worker Tesseract state: one gosseract client for
// recognition, and an OSD instance loaded on first use.
type engine struct {
	client      *gosseract.Client
	tessdataDir string
	osd         *osdEngine
	osdErr      error
}

func newEngine(init request) (*engine, error) {
	c := gosseract.NewClient()
	langs := init.Languages
	if len(langs) == 0 {
		langs = defaultLanguages
	}
	c.SetLanguage(langs...)
	if init.TessdataDir != "" {
		c.SetTessdataPrefix(init.TessdataDir)
	}
	// Warm up: gosseract initialises Tesseract lazily on the first Text(),
	// loading the language data; pay that now, and surface a bad language
	// or tessdata directory before the first page.
	c.SetImageFromBytes(blankPNG())
	if _, err := c.Text(); err != nil {
		c.Close()
		return nil, err
	}
	return &engine{client: c, tessdataDir: init.TessdataDir}, nil
}

func (e *engine) close() {
	e.client.Close()
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
	defer src.free()
	w, h := src.size()

	switch req.Op {
	case opPage:
		psm := req.PSM
		if psm == 0 {
			psm = 3
		}
		if !req.AutoOrient {
			res, err := e.recognize(body, psm, "")
			res.Width, res.Height = w, h
			return res, err
		}
		return e.autoOrient(src, body, psm, w, h)
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
		res.Width, res.Height = w, h
		return res, nil
	}
	return Result{}, fmt.Errorf("ocr: unknown request %q", req.Op)
}

// autoOrient picks the rotation: OSD when it is confident, otherwise the
// page as given unless its confidence is low and the 180° turn reads
// clearly better.
func (e *engine) autoOrient(src *pix, body []byte, psm, w, h int) (Result, error) {
	if e.osd == nil && e.osdErr == nil {
		e.osd, e.osdErr = newOSD(e.tessdataDir)
	}
	if e.osd != nil {
		if deg, conf, ok := e.osd.detect(src); ok && conf >= minOSDConf && validOrientation(deg) && deg != 0 {
			// Tesseract reports how far the page was turned clockwise
			// (checked by TestAutoOrient); turning it back corrects it.
			res, err := e.recognizePix(src, (360-deg)%360, psm, "")
			res.Width, res.Height = w, h
			return res, err
		} else if ok && conf >= minOSDConf {
			res, err := e.recognize(body, psm, "")
			res.Width, res.Height = w, h
			return res, err
		}
	}
	res, err := e.recognize(body, psm, "")
	if err != nil {
		return res, err
	}
	res.Width, res.Height = w, h
	if res.MeanConf >= lowMeanConf && len(res.Words) > 0 {
		return res, nil
	}
	alt, err := e.recognizePix(src, 180, psm, "")
	if err == nil && len(alt.Words) > 0 && alt.MeanConf > res.MeanConf+osdFallbackGain {
		alt.Width, alt.Height = w, h
		return alt, nil
	}
	return res, nil
}

// recognizePix rotates (clockwise, deg) and recognizes a decoded image;
// boxes come back in the coordinates of x before rotation.
func (e *engine) recognizePix(x *pix, deg, psm int, whitelist string) (Result, error) {
	img := x
	if deg != 0 {
		r, err := x.rotate(deg)
		if err != nil {
			return Result{}, err
		}
		defer r.free()
		img = r
	}
	data, err := img.encode()
	if err != nil {
		return Result{}, err
	}
	res, err := e.recognize(data, psm, whitelist)
	if err != nil {
		return res, err
	}
	w, h := x.size()
	for i := range res.Words {
		wd := &res.Words[i]
		r := mapRect(image.Rect(wd.X0, wd.Y0, wd.X1, wd.Y1), deg, w, h)
		wd.X0, wd.Y0, wd.X1, wd.Y1 = r.Min.X, r.Min.Y, r.Max.X, r.Max.Y
	}
	res.Orientation = deg
	return res, nil
}

// recognize runs ONE recognition pass (hOCR) on encoded image bytes that
// leptonica has already accepted.
func (e *engine) recognize(data []byte, psm int, whitelist string) (Result, error) {
	c := e.client
	// PSM through a variable: SetPageSegMode is lost on re-init (see
	// DEPENDENCIES.md §2); variables are re-applied by gosseract.
	c.SetVariable("tessedit_pageseg_mode", strconv.Itoa(psm))
	c.SetWhitelist(whitelist)
	if err := c.SetImageFromBytes(data); err != nil {
		return Result{}, err
	}
	hocr, err := c.HOCRText()
	if err != nil {
		return Result{}, err
	}
	text, words, err := parseHOCR(hocr)
	if err != nil {
		return Result{}, err
	}
	return Result{Text: text, Words: words, MeanConf: meanConf(words)}, nil
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
