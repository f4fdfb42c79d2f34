package ocr

/*
#cgo pkg-config: lept
#include <stdlib.h>
#include <leptonica/allheaders.h>

// sohoa_remove_ink returns a grey copy of a colour image in which the pixels of coloured ink
// (ocr/layout's isInk: chroma of at least 60 and a strongest channel above 90) are paper
// white and the others the BT.601 luma of image/color's Gray model, or NULL when p is not
// colour or has fewer ink pixels than w*h/5000 (layout.RemoveInk, on leptonica's pixels).
static PIX* sohoa_remove_ink(PIX* p) {
	PIX* c = pixGetColormap(p) != NULL ? pixRemoveColormap(p, REMOVE_CMAP_BASED_ON_SRC) : pixClone(p);
	if (c == NULL) return NULL;
	if (pixGetDepth(c) != 32) { pixDestroy(&c); return NULL; }
	int w = pixGetWidth(c), h = pixGetHeight(c);
	PIX* g = pixCreate(w, h, 8);
	if (g == NULL) { pixDestroy(&c); return NULL; }
	pixCopyResolution(g, p);
	l_uint32* src = pixGetData(c);
	l_uint32* dst = pixGetData(g);
	int wpls = pixGetWpl(c), wpld = pixGetWpl(g);
	long removed = 0;
	for (int y = 0; y < h; y++) {
		l_uint32* ls = src + (long)y * wpls;
		l_uint32* ld = dst + (long)y * wpld;
		for (int x = 0; x < w; x++) {
			l_uint32 v = ls[x];
			l_uint32 r = (v >> L_RED_SHIFT) & 0xff, gr = (v >> L_GREEN_SHIFT) & 0xff, b = (v >> L_BLUE_SHIFT) & 0xff;
			l_uint32 hi = r > gr ? r : gr, lo = r < gr ? r : gr;
			if (b > hi) hi = b;
			if (b < lo) lo = b;
			l_uint32 out;
			if (hi - lo >= 60 && hi > 90) {
				out = 255;
				removed++;
			} else {
				out = (19595 * r + 38470 * gr + 7471 * b + (1 << 15)) >> 16;
			}
			SET_DATA_BYTE(ld, x, out);
		}
	}
	pixDestroy(&c);
	if (removed < (long)w * h / 5000) { pixDestroy(&g); return NULL; }
	return g;
}
*/
import "C"

// removeInk is layout.RemoveInk on a decoded image: nil when there is no coloured ink to
// remove (a grey or bilevel image, or a colour scan of black print).
func (x *pix) removeInk() *pix {
	g := C.sohoa_remove_ink(x.p)
	if g == nil {
		return nil
	}
	return &pix{p: g}
}
