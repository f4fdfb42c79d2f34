package ocr

/*
#cgo pkg-config: lept
#include <stdlib.h>
#include <leptonica/allheaders.h>

// sohoa_orient_pix measures leptonica's text orientation confidences on p (any depth): grey
// levels under 60 % of the paper's are ink, as the clean-up's threshold; a grey page under
// 100 dpi is doubled, the bilevel page halved while at 400 dpi or more. 1 on success.
int sohoa_orient_pix(PIX* p, float* up, float* left) {
	*up = 0; *left = 0;
	int w = pixGetWidth(p), h = pixGetHeight(p), dpi = pixGetXRes(p);
	if (dpi < 70 || dpi > 1200) {
		int m = w < h ? w : h;
		dpi = (int)(m / 8.27 + 0.5);
	}
	PIX* b = NULL;
	if (pixGetDepth(p) == 1 && pixGetColormap(p) == NULL) {
		b = pixClone(p);
	} else {
		PIX* g = pixConvertTo8(p, 0);
		if (g == NULL) return 0;
		NUMA* hist = pixGetGrayHistogram(g, 4);
		int thr = 128;
		if (hist != NULL) {
			float total = 0, best = -1;
			int paper = 255;
			for (int i = 0; i < 256; i++) { float v; numaGetFValue(hist, i, &v); total += v; }
			for (int i = 96; i < 256; i++) {
				float s = 0;
				for (int j = (i - 3 < 0 ? 0 : i - 3); j <= (i + 3 > 255 ? 255 : i + 3); j++) { float v; numaGetFValue(hist, j, &v); s += v; }
				if (s > best) { best = s; paper = i; }
			}
			if (best < total * 0.05) paper = 255;
			thr = (int)(paper * 0.6);
			if (thr < 48) thr = 48;
			if (thr > 170) thr = 170;
			numaDestroy(&hist);
		}
		// Under 100 dpi (cleanup.UprightDoubleBelowDPI) the grey page is doubled first: at
		// 70 dpi ascenders and descenders are too few pixels for the measure.
		if (dpi < 100) {
			b = pixScaleGray2xLIThresh(g, thr);
			dpi *= 2;
		} else {
			b = pixThresholdToBinary(g, thr);
		}
		pixDestroy(&g);
	}
	if (b == NULL) return 0;
	while (dpi >= 400) {
		PIX* r = pixReduceRankBinaryCascade(b, 1, 0, 0, 0);
		pixDestroy(&b);
		if (r == NULL) return 0;
		b = r;
		dpi /= 2;
	}
	l_ok bad = pixOrientDetect(b, up, left, 0, 0);
	pixDestroy(&b);
	return bad ? 0 : 1;
}

static int sohoa_orient_mem(const unsigned char* data, size_t n, float* up, float* left) {
	PIX* p = pixReadMem(data, n);
	if (p == NULL) return 0;
	int ok = sohoa_orient_pix(p, up, left);
	pixDestroy(&p);
	return ok;
}
*/
import "C"

import "unsafe"

// Thresholds of Upright: leptonica's up/down confidence must reach minUpConf and be
// minUpRatio times the left/right one. On the 33 real rendered-gov pages of the corpus
// (200 dpi) upright pages score 10.9-39.1 with ratios from 3.6, and the same pages turned
// 90°, 180° or 270° score at most 6.4 (TestUprightCorpus); the ~70-dpi Da Nang scans score
// 3.5-17 at their resolution (most of them would be left to OSD) and, doubled, 19-30 with
// left/right at most 4.9, their turned copies at most 10.9 with left/right 26.
const (
	minUpConf  = 10.0
	minUpRatio = 3.0
)

// Upright tells whether a page image (PNG, JPEG or TIFF bytes) is upright beyond doubt by
// leptonica's text orientation measure (pixOrientDetect: ascenders against descenders of
// the bilevel page). It costs a decoding and some tens of milliseconds on a 200-dpi A4
// page, against a few hundred for Tesseract's orientation detection, which a caller can
// then skip; false means "not sure", never "turned".
func Upright(img []byte) bool {
	up, left, ok := orientConf(img)
	return ok && confidentUp(up, left)
}

// ConfidentUp is Upright's verdict on leptonica's up/down and left/right text orientation
// confidences measured elsewhere on the same bilevel page (the clean-up measures them on its
// own decoding, cleanup.Options.Upright).
func ConfidentUp(up, left float64) bool { return confidentUp(up, left) }

// OrientConf returns leptonica's up/down (positive: upright) and left/right confidences of an
// encoded image as Upright measures them.
func OrientConf(img []byte) (up, left float64, ok bool) { return orientConf(img) }

func confidentUp(up, left float64) bool {
	return up >= minUpConf && up >= minUpRatio*max(left, -left)
}

// orientConf returns leptonica's up/down (positive: upright) and left/right text
// orientation confidences of an encoded image.
func orientConf(img []byte) (up, left float64, ok bool) {
	if len(img) == 0 {
		return 0, 0, false
	}
	var u, l C.float
	r := C.sohoa_orient_mem((*C.uchar)(unsafe.Pointer(&img[0])), C.size_t(len(img)), &u, &l)
	return float64(u), float64(l), r == 1
}

// upright is Upright for a decoded image.
func (x *pix) upright() bool {
	up, left, ok := x.orientConf()
	return ok && confidentUp(up, left)
}

func (x *pix) orientConf() (up, left float64, ok bool) {
	var u, l C.float
	r := C.sohoa_orient_pix(x.p, &u, &l)
	return float64(u), float64(l), r == 1
}
