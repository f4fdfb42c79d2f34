package cleanup

// Thin cgo layer over leptonica. Every function takes and returns PIX
// objects owned by the caller; none touches leptonica's global state, so
// calls from several goroutines on distinct images are safe.

/*
#cgo pkg-config: lept
#include <stdlib.h>
#include <leptonica/allheaders.h>

static PIX* cl_read(const unsigned char* data, size_t n) { return pixReadMem(data, n); }
static void cl_destroy(PIX* p) { pixDestroy(&p); }
static void cl_info(PIX* p, int* w, int* h, int* d, int* xres) {
	*w = pixGetWidth(p); *h = pixGetHeight(p); *d = pixGetDepth(p); *xres = pixGetXRes(p);
}

// cl_normalize returns a copy of p at depth 1, 8 (gray) or 32 (RGB,
// no alpha), without colormap.
static PIX* cl_normalize(PIX* p) {
	PIX *a = NULL, *b = NULL;
	if (pixGetColormap(p) != NULL) {
		a = pixRemoveColormap(p, REMOVE_CMAP_BASED_ON_SRC);
	} else {
		a = pixClone(p);
	}
	if (a == NULL) return NULL;
	int d = pixGetDepth(a);
	switch (d) {
	case 1:
	case 8:
		return a;
	case 2:
	case 4:
		b = pixConvertTo8(a, 0);
		break;
	case 16:
		b = pixConvert16To8(a, L_MS_BYTE);
		break;
	case 24:
	case 32:
		if (d == 24) {
			b = pixConvert24To32(a);
		} else if (pixGetSpp(a) == 4) {
			b = pixRemoveAlpha(a);
		} else {
			b = pixClone(a);
		}
		if (b != NULL) pixSetSpp(b, 3);
		break;
	default:
		b = NULL;
	}
	pixDestroy(&a);
	return b;
}

static PIX* cl_gray(PIX* p) {
	switch (pixGetDepth(p)) {
	case 1: return pixConvert1To8(NULL, p, 255, 0);
	case 8: return pixClone(p);
	case 32: return pixConvertRGBToLuminance(p);
	}
	return NULL;
}

// cl_hist fills hist[256] with a subsampled histogram of an 8 bpp image.
static int cl_hist(PIX* g, int factor, float* hist) {
	NUMA* na = pixGetGrayHistogram(g, factor);
	if (na == NULL) return 1;
	int n = numaGetCount(na);
	for (int i = 0; i < 256; i++) {
		float v = 0;
		if (i < n) numaGetFValue(na, i, &v);
		hist[i] = v;
	}
	numaDestroy(&na);
	return 0;
}

// cl_paper_range measures the paper's brightness over an n x n grid of tiles of an 8 bpp
// image: each tile's bright level is its 90th percentile; lo and hi are the darkest and
// brightest of those levels.
static int cl_paper_range(PIX* g, int n, int* lo, int* hi) {
	int w = pixGetWidth(g), h = pixGetHeight(g);
	*lo = 255; *hi = 0;
	for (int ty = 0; ty < n; ty++) {
		for (int tx = 0; tx < n; tx++) {
			BOX* b = boxCreate(tx * w / n, ty * h / n, w / n, h / n);
			PIX* t = pixClipRectangle(g, b, NULL);
			boxDestroy(&b);
			if (t == NULL) return 1;
			NUMA* na = pixGetGrayHistogram(t, 2);
			pixDestroy(&t);
			if (na == NULL) return 1;
			float total = 0, v = 0;
			int cnt = numaGetCount(na);
			for (int i = 0; i < cnt; i++) { numaGetFValue(na, i, &v); total += v; }
			float acc = 0; int level = 255;
			for (int i = 0; i < cnt; i++) {
				numaGetFValue(na, i, &v);
				acc += v;
				if (acc >= 0.9f * total) { level = i; break; }
			}
			numaDestroy(&na);
			if (level < *lo) *lo = level;
			if (level > *hi) *hi = level;
		}
	}
	return 0;
}
// cl_flatten evens out the light on an 8 bpp page: the paper's brightness is estimated
// tile by tile (pixels darker than 60 are ink) and the page is divided by it, paper to 230.
static PIX* cl_flatten(PIX* g) { return pixBackgroundNorm(g, NULL, NULL, 48, 48, 60, 40, 230, 2, 2); }
static PIX* cl_threshold(PIX* g, int thr) { return pixThresholdToBinary(g, thr); }
static PIX* cl_threshold2x(PIX* g, int thr) { return pixScaleGray2xLIThresh(g, thr); }
static PIX* cl_clone(PIX* p) { return pixClone(p); }
static PIX* cl_reduce2(PIX* p) { return pixReduceRankBinary2(p, 2, NULL); }
static PIX* cl_rotate_orth(PIX* p, int quads) { return pixRotateOrth(p, quads); }

// cl_rotate turns p by deg degrees (positive = clockwise), bringing in
// white; area mapping for gray and colour, sampling for 1 bpp.
static PIX* cl_rotate(PIX* p, float deg, int fast) {
	float rad = deg * 3.14159265358979f / 180.0f;
	if (pixGetDepth(p) == 1 || fast)
		return pixRotateBySampling(p, pixGetWidth(p) / 2, pixGetHeight(p) / 2, rad, L_BRING_IN_WHITE);
	return pixRotate(p, rad, L_ROTATE_AREA_MAP, L_BRING_IN_WHITE, 0, 0);
}

static int cl_skew(PIX* b, float* angle, float* conf) {
	*angle = 0; *conf = 0;
	return pixFindSkew(b, angle, conf);
}

// cl_counts fills rows[h] and cols[w] with the number of ON pixels of a
// 1 bpp image in each row and column.
static int cl_counts(PIX* b, int* rows, int* cols) {
	NUMA* nr = pixCountPixelsByRow(b, NULL);
	NUMA* nc = pixCountPixelsByColumn(b);
	int ok = nr != NULL && nc != NULL;
	if (ok) {
		int n = numaGetCount(nr);
		for (int i = 0; i < n; i++) { l_int32 v = 0; numaGetIValue(nr, i, &v); rows[i] = v; }
		n = numaGetCount(nc);
		for (int i = 0; i < n; i++) { l_int32 v = 0; numaGetIValue(nc, i, &v); cols[i] = v; }
	}
	numaDestroy(&nr);
	numaDestroy(&nc);
	return ok ? 0 : 1;
}

static PIX* cl_clip(PIX* p, int x, int y, int w, int h) {
	BOX* b = boxCreate(x, y, w, h);
	PIX* c = pixClipRectangle(p, b, NULL);
	boxDestroy(&b);
	return c;
}

// cl_ink returns the number of ON pixels of a 1 bpp image that belong to
// connected components at least minsize wide or high, after a 2x
// reduction (which keeps thin strokes: level 1 is an OR).
static int cl_ink(PIX* b, int minsize, int* count, int* total) {
	*count = 0; *total = 0;
	PIX* r = pixReduceRankBinary2(b, 1, NULL);
	if (r == NULL) return 1;
	PIX* s = pixSelectBySize(r, minsize, minsize, 8, L_SELECT_IF_EITHER, L_SELECT_IF_GTE, NULL);
	pixDestroy(&r);
	if (s == NULL) return 1;
	l_int32 n = 0;
	pixCountPixels(s, &n, NULL);
	*count = n;
	*total = pixGetWidth(s) * pixGetHeight(s);
	pixDestroy(&s);
	return 0;
}

static int cl_encode_png(PIX* p, int level, unsigned char** data, size_t* n) {
	pixSetZlibCompression(p, level);
	return pixWriteMem(data, n, p, IFF_PNG);
}
// cl_encode_jpeg writes an 8-bit grey or 32-bit colour page as baseline JPEG (a colormap
// is removed first); it returns 2 when the depth does not suit JPEG.
static int cl_encode_jpeg(PIX* p, int quality, unsigned char** data, size_t* n) {
	PIX* q = NULL;
	if (pixGetColormap(p) != NULL) {
		q = pixRemoveColormap(p, REMOVE_CMAP_BASED_ON_SRC);
		if (q == NULL) return 1;
		p = q;
	}
	int d = pixGetDepth(p);
	if (d != 8 && d != 32) {
		pixDestroy(&q);
		return 2;
	}
	int r = pixWriteMemJpeg(data, n, p, quality, 0);
	pixDestroy(&q);
	return r;
}
// cl_small returns an 8 bpp page scaled by f (< 1, area mapping) and copies its pixels,
// row by row, into buf (w*h bytes, allocated by the caller from cl_small_size).
static PIX* cl_small(PIX* g, float f) { return pixScaleAreaMap(g, f, f); }
static void cl_bytes(PIX* g, unsigned char* buf) {
	int w = pixGetWidth(g), h = pixGetHeight(g), wpl = pixGetWpl(g);
	l_uint32* d = pixGetData(g);
	for (int y = 0; y < h; y++) {
		l_uint32* line = d + y * wpl;
		for (int x = 0; x < w; x++) buf[y * w + x] = GET_DATA_BYTE(line, x);
	}
}
// cl_projective maps the quadrilateral src[8] (x,y of four corners) of p onto the
// rectangle dst[8] (same order) of an image the size of p, by homography, with linear
// interpolation for grey and colour; the outside is white.
static PIX* cl_projective(PIX* p, float* src, float* dst) {
	PTA* ps = ptaCreate(4);
	PTA* pd = ptaCreate(4);
	for (int i = 0; i < 4; i++) {
		ptaAddPt(ps, src[2 * i], src[2 * i + 1]);
		ptaAddPt(pd, dst[2 * i], dst[2 * i + 1]);
	}
	PIX* r = pixProjectivePta(p, pd, ps, L_BRING_IN_WHITE);
	ptaDestroy(&ps);
	ptaDestroy(&pd);
	return r;
}
// cl_fax cleans a bilevel fax-grade page: isolated specks (black components and white
// holes in strokes smaller than ms pixels both ways) are removed; with up set, the page is
// then doubled by linear interpolation to grey, so strokes come out with smooth edges
// instead of stair steps.
static PIX* cl_fax(PIX* p, int ms, int up) {
	PIX* a = pixSelectBySize(p, ms, ms, 8, L_SELECT_IF_EITHER, L_SELECT_IF_GTE, NULL);
	if (a == NULL) return NULL;
	PIX* inv = pixInvert(NULL, a);
	pixDestroy(&a);
	PIX* b = inv ? pixSelectBySize(inv, ms, ms, 4, L_SELECT_IF_EITHER, L_SELECT_IF_GTE, NULL) : NULL;
	pixDestroy(&inv);
	if (b == NULL) return NULL;
	pixInvert(b, b);
	if (!up) return b;
	PIX* g = pixConvert1To8(NULL, b, 255, 0);
	pixDestroy(&b);
	if (g == NULL) return NULL;
	PIX* r = pixScaleGrayLI(g, 2.0, 2.0);
	pixDestroy(&g);
	return r;
}
// cl_plain: the channels of an image a raw copy can hold as it is (8-bit grey without colormap:
// 1, RGB without alpha: 3), else 0.
static int cl_plain(PIX* p) {
	if (pixGetColormap(p) != NULL) return 0;
	if (pixGetDepth(p) == 8) return 1;
	if (pixGetDepth(p) == 32 && pixGetSpp(p) == 3) return 3;
	return 0;
}
static void cl_res(PIX* p, int* xres, int* yres) { *xres = pixGetXRes(p); *yres = pixGetYRes(p); }
// cl_rows copies the pixels of an 8 bpp (ch 1) or 32 bpp (ch 3) image into rows: w*ch bytes a
// row, R, G, B for colour.
static void cl_rows(PIX* p, int ch, unsigned char* rows) {
	int w = pixGetWidth(p), h = pixGetHeight(p), wpl = pixGetWpl(p);
	l_uint32* src = pixGetData(p);
	for (int y = 0; y < h; y++) {
		l_uint32* line = src + (long)y * wpl;
		unsigned char* o = rows + (size_t)y * w * ch;
		if (ch == 1) {
			for (int x = 0; x < w; x++) o[x] = GET_DATA_BYTE(line, x);
		} else {
			for (int x = 0; x < w; x++) {
				l_uint32 v = line[x];
				o[3*x] = (v >> L_RED_SHIFT) & 0xff; o[3*x+1] = (v >> L_GREEN_SHIFT) & 0xff; o[3*x+2] = (v >> L_BLUE_SHIFT) & 0xff;
			}
		}
	}
}
// cl_orient measures leptonica's text orientation confidences (pixOrientDetect: ascenders
// against descenders) of a 1 bpp page, halved while at 400 dpi or more, as ocr.Upright does.
static int cl_orient(PIX* b, int dpi, float* up, float* left) {
	*up = 0; *left = 0;
	PIX* x = pixClone(b);
	while (dpi >= 400) {
		PIX* r = pixReduceRankBinaryCascade(x, 1, 0, 0, 0);
		pixDestroy(&x);
		if (r == NULL) return 1;
		x = r;
		dpi /= 2;
	}
	l_ok bad = pixOrientDetect(x, up, left, 0, 0);
	pixDestroy(&x);
	return bad ? 1 : 0;
}
static void cl_free(void* p) { lept_free(p); }
static void cl_quiet(void) { setMsgSeverity(L_SEVERITY_NONE); }
*/
import "C"

import (
	"image"
	"unsafe"

	"github.com/sohoa/sohoa/internal/l10n"
)

// pix is a leptonica image owned by Go code; call free exactly once.
type pix struct{ p *C.PIX }

var errLept = l10n.New("cleanup.lept")

func wrap(p *C.PIX) (*pix, error) {
	if p == nil {
		return nil, errLept
	}
	return &pix{p: p}, nil
}

func readPix(data []byte) (*pix, error) {
	p := C.cl_read((*C.uchar)(unsafe.Pointer(&data[0])), C.size_t(len(data)))
	if p == nil {
		return nil, ErrBadImage
	}
	return &pix{p: p}, nil
}

func (x *pix) free() {
	if x != nil && x.p != nil {
		C.cl_destroy(x.p)
		x.p = nil
	}
}

func (x *pix) info() (w, h, depth, xres int) {
	var cw, ch, cd, cr C.int
	C.cl_info(x.p, &cw, &ch, &cd, &cr)
	return int(cw), int(ch), int(cd), int(cr)
}

func (x *pix) normalize() (*pix, error) { return wrap(C.cl_normalize(x.p)) }
func (x *pix) gray() (*pix, error)      { return wrap(C.cl_gray(x.p)) }
func (x *pix) clone() *pix              { return &pix{p: C.cl_clone(x.p)} }

// plain is the number of channels of an 8-bit grey (1) or RGB (3) image without colormap or
// alpha, else 0 (see rows).
func (x *pix) plain() int { return int(C.cl_plain(x.p)) }

// rows copies the pixels of an image plain gives ch channels for, row by row (R, G, B).
func (x *pix) rows(ch int) []byte {
	w, h, _, _ := x.info()
	buf := make([]byte, w*h*ch)
	if len(buf) > 0 {
		C.cl_rows(x.p, C.int(ch), (*C.uchar)(unsafe.Pointer(&buf[0])))
	}
	return buf
}

// res is the image's stated resolution (pixels per inch), 0 when it has none.
func (x *pix) res() (xres, yres int) {
	var a, b C.int
	C.cl_res(x.p, &a, &b)
	return int(a), int(b)
}

// orient is leptonica's up/down (positive: upright) and left/right text orientation
// confidences of a 1 bpp page at dpi.
func (x *pix) orient(dpi int) (up, left float64, ok bool) {
	var u, l C.float
	if C.cl_orient(x.p, C.int(dpi), &u, &l) != 0 {
		return 0, 0, false
	}
	return float64(u), float64(l), true
}

// reduce2 halves a 1 bpp image (a pixel is ON when 2 of its 4 sources are).
func (x *pix) reduce2() (*pix, error) { return wrap(C.cl_reduce2(x.p)) }

func (x *pix) histogram(factor int) ([256]float64, error) {
	var h [256]C.float
	var out [256]float64
	if C.cl_hist(x.p, C.int(factor), &h[0]) != 0 {
		return out, errLept
	}
	for i := range h {
		out[i] = float64(h[i])
	}
	return out, nil
}

// paperRange is the darkest and brightest paper level over an n x n grid (8 bpp).
func (x *pix) paperRange(n int) (lo, hi int, err error) {
	var l, h C.int
	if C.cl_paper_range(x.p, C.int(n), &l, &h) != 0 {
		return 0, 0, errLept
	}
	return int(l), int(h), nil
}

// flatten evens out uneven light on an 8 bpp page (background normalisation).
func (x *pix) flatten() (*pix, error) { return wrap(C.cl_flatten(x.p)) }

// small returns the 8 bpp page scaled by f (area mapping) as bytes, row by row.
func (x *pix) small(f float64) (buf []byte, w, h int, err error) {
	s, err := wrap(C.cl_small(x.p, C.float(f)))
	if err != nil {
		return nil, 0, 0, err
	}
	defer s.free()
	w, h, _, _ = s.info()
	if w == 0 || h == 0 {
		return nil, 0, 0, errLept
	}
	buf = make([]byte, w*h)
	C.cl_bytes(s.p, (*C.uchar)(unsafe.Pointer(&buf[0])))
	return buf, w, h, nil
}

// projective maps the quadrilateral src (four corners, x then y) onto the rectangle dst.
func (x *pix) projective(src, dst [8]float64) (*pix, error) {
	var s, d [8]C.float
	for i := range s {
		s[i], d[i] = C.float(src[i]), C.float(dst[i])
	}
	return wrap(C.cl_projective(x.p, &s[0], &d[0]))
}

// fax removes specks under ms pixels from a 1 bpp page and, with up, doubles it to grey
// (see cl_fax).
func (x *pix) fax(ms int, up bool) (*pix, error) {
	u := C.int(0)
	if up {
		u = 1
	}
	return wrap(C.cl_fax(x.p, C.int(ms), u))
}

func (x *pix) threshold(t int) (*pix, error) { return wrap(C.cl_threshold(x.p, C.int(t))) }

// threshold2x doubles an 8 bpp page (linear interpolation) and thresholds it at t.
func (x *pix) threshold2x(t int) (*pix, error) { return wrap(C.cl_threshold2x(x.p, C.int(t))) }

// rotateOrth turns the image clockwise by deg (a multiple of 90).
func (x *pix) rotateOrth(deg int) (*pix, error) {
	return wrap(C.cl_rotate_orth(x.p, C.int(deg/90)))
}

// rotate turns the image by deg degrees, positive clockwise.
func (x *pix) rotate(deg float64, fast bool) (*pix, error) {
	f := C.int(0)
	if fast {
		f = 1
	}
	return wrap(C.cl_rotate(x.p, C.float(deg), f))
}

// skew measures the skew of a 1 bpp image: the clockwise rotation, in
// degrees, that straightens it, and leptonica's confidence.
func (x *pix) skew() (deg, conf float64, ok bool) {
	var a, c C.float
	if C.cl_skew(x.p, &a, &c) != 0 {
		return 0, 0, false
	}
	return float64(a), float64(c), true
}

func (x *pix) counts() (rows, cols []int32, err error) {
	w, h, _, _ := x.info()
	rows, cols = make([]int32, h), make([]int32, w)
	if w == 0 || h == 0 {
		return nil, nil, errLept
	}
	if C.cl_counts(x.p, (*C.int)(unsafe.Pointer(&rows[0])), (*C.int)(unsafe.Pointer(&cols[0]))) != 0 {
		return nil, nil, errLept
	}
	return rows, cols, nil
}

func (x *pix) clip(r image.Rectangle) (*pix, error) {
	return wrap(C.cl_clip(x.p, C.int(r.Min.X), C.int(r.Min.Y), C.int(r.Dx()), C.int(r.Dy())))
}

// ink counts ON pixels in components at least minsize pixels wide or high
// at half resolution, and the number of pixels at that resolution.
func (x *pix) ink(minsize int) (count, total int, err error) {
	var c, t C.int
	if C.cl_ink(x.p, C.int(minsize), &c, &t) != 0 {
		return 0, 0, errLept
	}
	return int(c), int(t), nil
}

func (x *pix) encodePNG(level int) ([]byte, error) {
	var data *C.uchar
	var n C.size_t
	if C.cl_encode_png(x.p, C.int(level), &data, &n) != 0 || data == nil {
		return nil, l10n.New("cleanup.encodePNG")
	}
	defer C.cl_free(unsafe.Pointer(data))
	return C.GoBytes(unsafe.Pointer(data), C.int(n)), nil
}

// encodeJPEG encodes grey or colour pages as JPEG; ok is false for depths JPEG cannot hold
// (1-bit pages, which are stored as PNG).
func (x *pix) encodeJPEG(quality int) (data []byte, ok bool, err error) {
	var out *C.uchar
	var n C.size_t
	switch C.cl_encode_jpeg(x.p, C.int(quality), &out, &n) {
	case 0:
	case 2:
		return nil, false, nil
	default:
		return nil, false, l10n.New("cleanup.encodeJPEG")
	}
	if out == nil {
		return nil, false, l10n.New("cleanup.encodeJPEG")
	}
	defer C.cl_free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), true, nil
}

// quietLeptonica silences leptonica's diagnostics on stderr for the whole
// process (used by the fuzz test, where every bad input would print).
func quietLeptonica() { C.cl_quiet() }
