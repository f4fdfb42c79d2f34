package ocr

// Thin cgo layer over leptonica and the Tesseract C API: decoding and
// validating the image once, recognition of the decoded image itself (no
// re-encoding and second decoding between leptonica and Tesseract),
// orientation detection (OSD), rotation and cropping. Used only inside
// worker processes.

/*
#cgo pkg-config: lept tesseract
#include <stdlib.h>
#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

static PIX* sohoa_read(const unsigned char* data, size_t n) { return pixReadMem(data, n); }
static void sohoa_destroy(PIX* p) { pixDestroy(&p); }
static void sohoa_info(PIX* p, int* w, int* h, int* d, int* xres) {
	*w = pixGetWidth(p); *h = pixGetHeight(p); *d = pixGetDepth(p); *xres = pixGetXRes(p);
}
static PIX* sohoa_rotate(PIX* p, int quads) { return pixRotateOrth(p, quads); }
static PIX* sohoa_clip(PIX* p, int x, int y, int w, int h) {
	BOX* b = boxCreate(x, y, w, h);
	PIX* c = pixClipRectangle(p, b, NULL);
	boxDestroy(&b);
	return c;
}
static int sohoa_encode(PIX* p, unsigned char** data, size_t* n) { return pixWriteMem(data, n, p, IFF_TIFF); }
static void sohoa_free(void* p) { lept_free(p); }
static char* sohoa_lept_version(void) { return getLeptonicaVersion(); }

static TessBaseAPI* sohoa_tess_new(const char* datapath, const char* langs) {
	TessBaseAPI* h = TessBaseAPICreate();
	if (TessBaseAPIInit3(h, datapath, langs) != 0) {
		TessBaseAPIDelete(h);
		return NULL;
	}
	return h;
}
// sohoa_tess_hocr recognizes p and returns its hOCR (free with TessDeleteText), NULL on failure.
static char* sohoa_tess_hocr(TessBaseAPI* h, PIX* p, int psm, const char* whitelist) {
	TessBaseAPISetPageSegMode(h, (TessPageSegMode)psm);
	TessBaseAPISetVariable(h, "tessedit_char_whitelist", whitelist);
	TessBaseAPISetImage2(h, p);
	char* out = NULL;
	if (TessBaseAPIRecognize(h, NULL) == 0) out = TessBaseAPIGetHOCRText(h, 0);
	TessBaseAPIClear(h);
	return out;
}
static void sohoa_text_free(char* t) { TessDeleteText(t); }

static TessBaseAPI* sohoa_osd_new(const char* datapath) {
	TessBaseAPI* h = TessBaseAPICreate();
	if (TessBaseAPIInit3(h, datapath, "osd") != 0) {
		TessBaseAPIDelete(h);
		return NULL;
	}
	TessBaseAPISetPageSegMode(h, PSM_OSD_ONLY);
	return h;
}
static void sohoa_osd_delete(TessBaseAPI* h) { TessBaseAPIEnd(h); TessBaseAPIDelete(h); }
static int sohoa_osd(TessBaseAPI* h, PIX* p, int* deg, float* conf) {
	const char* script = NULL;
	float sconf = 0;
	TessBaseAPISetImage2(h, p);
	if (pixGetXRes(p) < 70) TessBaseAPISetSourceResolution(h, 70);
	BOOL ok = TessBaseAPIDetectOrientationScript(h, deg, conf, &script, &sconf);
	// script points into Tesseract's unicharset: capi.h says to free it
	// with TessDeleteText, but 5.3's baseapi.cpp does not allocate it;
	// freeing it is a double free (found by TestStressEngine).
	TessBaseAPIClear(h);
	return ok ? 1 : 0;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"unsafe"
)

// LeptonicaVersion returns the version the Leptonica library linked in reports ("1.82.0").
func LeptonicaVersion() string {
	p := C.sohoa_lept_version()
	if p == nil {
		return "unknown"
	}
	defer C.sohoa_free(unsafe.Pointer(p))
	return strings.TrimPrefix(C.GoString(p), "leptonica-")
}

// pix is a decoded leptonica image owned by Go code; call free.
type pix struct{ p *C.PIX }

func decodePix(data []byte) (*pix, error) {
	if len(data) == 0 {
		return nil, ErrEmptyImage
	}
	p := C.sohoa_read((*C.uchar)(unsafe.Pointer(&data[0])), C.size_t(len(data)))
	if p == nil {
		return nil, ErrBadImage
	}
	return &pix{p: p}, nil
}

func (x *pix) free() {
	if x != nil && x.p != nil {
		C.sohoa_destroy(x.p)
		x.p = nil
	}
}

func (x *pix) size() (w, h int) {
	var cw, ch, cd, cr C.int
	C.sohoa_info(x.p, &cw, &ch, &cd, &cr)
	return int(cw), int(ch)
}

// rotate returns a new image turned clockwise by deg (0, 90, 180, 270).
func (x *pix) rotate(deg int) (*pix, error) {
	r := C.sohoa_rotate(x.p, C.int(deg/90))
	if r == nil {
		return nil, errors.New("ocr: rotate failed")
	}
	return &pix{p: r}, nil
}

func (x *pix) clip(r image.Rectangle) (*pix, error) {
	c := C.sohoa_clip(x.p, C.int(r.Min.X), C.int(r.Min.Y), C.int(r.Dx()), C.int(r.Dy()))
	if c == nil {
		return nil, errors.New("ocr: crop failed")
	}
	return &pix{p: c}, nil
}

// encode writes the image as uncompressed TIFF (fast; keeps resolution).
func (x *pix) encode() ([]byte, error) {
	var data *C.uchar
	var n C.size_t
	if C.sohoa_encode(x.p, &data, &n) != 0 || data == nil {
		return nil, errors.New("ocr: encode failed")
	}
	defer C.sohoa_free(unsafe.Pointer(data))
	return C.GoBytes(unsafe.Pointer(data), C.int(n)), nil
}

// tessEngine is a Tesseract instance loaded with the recognition languages.
type tessEngine struct{ h *C.TessBaseAPI }

func newTess(datapath string, langs []string) (*tessEngine, error) {
	var cdp *C.char
	if datapath != "" {
		cdp = C.CString(datapath)
		defer C.free(unsafe.Pointer(cdp))
	}
	cl := C.CString(strings.Join(langs, "+"))
	defer C.free(unsafe.Pointer(cl))
	h := C.sohoa_tess_new(cdp, cl)
	if h == nil {
		return nil, fmt.Errorf("ocr: cannot load language data %s", strings.Join(langs, "+"))
	}
	return &tessEngine{h: h}, nil
}

func (t *tessEngine) close() {
	if t != nil && t.h != nil {
		C.sohoa_osd_delete(t.h) // End + Delete
		t.h = nil
	}
}

// hocr recognizes x with page segmentation psm and returns the hOCR.
func (t *tessEngine) hocr(x *pix, psm int, whitelist string) (string, error) {
	wl := C.CString(whitelist)
	defer C.free(unsafe.Pointer(wl))
	out := C.sohoa_tess_hocr(t.h, x.p, C.int(psm), wl)
	if out == nil {
		return "", errors.New("ocr: recognition failed")
	}
	defer C.sohoa_text_free(out)
	return C.GoString(out), nil
}

// osdEngine is a Tesseract instance loaded with osd.traineddata only.
type osdEngine struct{ h *C.TessBaseAPI }

func newOSD(datapath string) (*osdEngine, error) {
	var cdp *C.char
	if datapath != "" {
		cdp = C.CString(datapath)
		defer C.free(unsafe.Pointer(cdp))
	}
	h := C.sohoa_osd_new(cdp)
	if h == nil {
		return nil, errors.New("ocr: cannot load osd.traineddata (orientation detection)")
	}
	return &osdEngine{h: h}, nil
}

func (o *osdEngine) close() {
	if o != nil && o.h != nil {
		C.sohoa_osd_delete(o.h)
		o.h = nil
	}
}

// detect returns Tesseract's orientation in degrees (the clockwise
// rotation of the text as found in the image) and its confidence.
func (o *osdEngine) detect(x *pix) (deg int, conf float64, ok bool) {
	var d C.int
	var c C.float
	if C.sohoa_osd(o.h, x.p, &d, &c) == 0 {
		return 0, 0, false
	}
	return int(d), float64(c), true
}
