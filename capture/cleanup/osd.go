package cleanup

/*
#cgo pkg-config: lept tesseract
#include <stdlib.h>
#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

static TessBaseAPI* cl_osd_new(const char* datapath) {
	TessBaseAPI* h = TessBaseAPICreate();
	if (TessBaseAPIInit3(h, datapath, "osd") != 0) {
		TessBaseAPIDelete(h);
		return NULL;
	}
	TessBaseAPISetPageSegMode(h, PSM_OSD_ONLY);
	// "Too few characters" and similar notes go nowhere: the result
	// (OrientDetected false) says it.
	TessBaseAPISetVariable(h, "debug_file", "/dev/null");
	// OSD classifies up to five times min_characters_to_try blobs in four orientations, and
	// that is much of its cost: 30 instead of 50 takes a 200-dpi page's clean-up from about
	// 330 to 250 ms of processor time, with the right verdict on all 33 real rendered-gov
	// pages in all four turns and in TestAccuracy (20 left a generated page undecided).
	TessBaseAPISetVariable(h, "min_characters_to_try", "30");
	return h;
}

static int cl_osd(TessBaseAPI* h, PIX* p, int res, int* deg, float* conf) {
	const char* script = NULL;
	float sconf = 0;
	*deg = 0; *conf = 0;
	pixSetResolution(p, res, res);
	TessBaseAPISetImage2(h, p);
	BOOL ok = TessBaseAPIDetectOrientationScript(h, deg, conf, &script, &sconf);
	// script points into Tesseract's unicharset (5.3 does not allocate
	// it despite what capi.h says): do not free it.
	TessBaseAPIClear(h);
	return ok ? 1 : 0;
}
*/
import "C"

import (
	"sync"
	"unsafe"

	"github.com/sohoa/sohoa/internal/l10n"
)

// ErrNoOSD is returned when AutoOrient is asked for but Tesseract's
// orientation data (osd.traineddata) cannot be loaded.
var ErrNoOSD = l10n.New("cleanup.noOSD")

// osdEngine is one Tesseract instance loaded with osd.traineddata. A
// TessBaseAPI is not safe for concurrent use, so engines are lent out one
// call at a time from osdPool; they live as long as the process.
type osdEngine struct{ h *C.TessBaseAPI }

var osdPool struct {
	sync.Mutex
	free []*osdEngine
}

// TessdataDir is the folder holding osd.traineddata; empty means
// Tesseract's default (TESSDATA_PREFIX or the compiled-in path). Set it
// before the first Process call.
var TessdataDir string

func getOSD() (*osdEngine, error) {
	osdPool.Lock()
	if n := len(osdPool.free); n > 0 {
		e := osdPool.free[n-1]
		osdPool.free = osdPool.free[:n-1]
		osdPool.Unlock()
		return e, nil
	}
	osdPool.Unlock()
	var cdp *C.char
	if TessdataDir != "" {
		cdp = C.CString(TessdataDir)
		defer C.free(unsafe.Pointer(cdp))
	}
	h := C.cl_osd_new(cdp)
	if h == nil {
		return nil, ErrNoOSD
	}
	return &osdEngine{h: h}, nil
}

func putOSD(e *osdEngine) {
	osdPool.Lock()
	osdPool.free = append(osdPool.free, e)
	osdPool.Unlock()
}

// detectOrientation runs Tesseract OSD on x (whose resolution is res
// dpi). deg is how far the page content is turned clockwise (turning it
// back by 360-deg puts it upright); ok is false when Tesseract found too
// little text to decide.
func detectOrientation(x *pix, res int) (deg int, conf float64, ok bool, err error) {
	e, err := getOSD()
	if err != nil {
		return 0, 0, false, err
	}
	defer putOSD(e)
	var d C.int
	var c C.float
	if C.cl_osd(e.h, x.p, C.int(res), &d, &c) == 0 {
		return 0, 0, false, nil
	}
	return int(d), float64(c), true, nil
}
