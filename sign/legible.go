package sign

import (
	"fmt"
	"math"
)

// Grey text pages (rendered or well-scanned documents: white paper, black type, anti-aliased
// glyph edges) are stored at 16 grey levels (4 bits per sample, Flate) instead of 256 when the
// page keeps its legibility, which is measured, not assumed:
//
//   - in code, per page: the 16-level page must keep at least Gray4MinPSNR dB PSNR and a mean
//     SSIM (8×8 windows with detail) of at least Gray4MinSSIM against the 256-level page, else the page
//     stays lossless. Black (0) and white (255) map to themselves; only the anti-aliased edge
//     pixels move, by at most 8 grey values. A photograph or a page of smooth shading fails the
//     floors (banding) and keeps its 256 levels;
//   - in the bench (scripts/bench-pdf.sh, bench/REPORT-pdf.md) on the 33 real pages of
//     ocr-vi/rendered-gov and in TestGray4Legibility on a sample: Tesseract (vie+eng) reads the
//     page rendered back from the PDF by pdftoppm at 200 dpi with a character error rate no
//     more than 0.1 point above that of the lossless page.
//
// A binarised page (CCITT G4, about a sixth of the size) fails the floors on these pages: the
// anti-aliasing is what the PSNR floor protects, and the bench reports what OCR makes of it.
const (
	Gray4MinPSNR = 40.0
	Gray4MinSSIM = 0.98
)

// gray4IfLegible returns the page at 16 grey levels when that passes the floors above.
func gray4IfLegible(raw []byte, w, h int) (pageImage, bool) {
	q := quantize4(raw)
	if psnrBytes(raw, q) < Gray4MinPSNR || ssimBytes(raw, q, w, h) < Gray4MinSSIM {
		return pageImage{}, false
	}
	rowBytes := (w + 1) / 2
	packed := make([]byte, rowBytes*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := q[y*w+x] / 17
			packed[y*rowBytes+x/2] |= v << (4 - 4*uint(x%2))
		}
	}
	return pageImage{w: w, h: h, kind: "gray4-flate", data: smallestFlate(packed, rowBytes, h, 1),
		dict: fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 4 /Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors 1 /BitsPerComponent 4 /Columns %d >>", w, h, w)}, true
}

// quantize4 maps each grey value to the nearest of the 16 levels 0, 17, …, 255 (what a
// 4-bit DeviceGray sample decodes to).
func quantize4(raw []byte) []byte {
	q := make([]byte, len(raw))
	for i, v := range raw {
		q[i] = byte((int(v)+8)/17) * 17
	}
	return q
}

// smallestFlate deflates rows of rowBytes bytes either with the adaptive PNG filters or with
// filter None on every row, whichever is smaller (on pages that are mostly white paper, None
// often wins: the filters turn long runs of one value into two kinds of byte).
func smallestFlate(raw []byte, rowBytes, h, bpp int) []byte {
	best := deflateBest(pngFilter(raw, rowBytes/bpp, h, bpp))
	none := make([]byte, 0, len(raw)+h)
	for y := 0; y < h; y++ {
		none = append(none, 0)
		none = append(none, raw[y*rowBytes:(y+1)*rowBytes]...)
	}
	if d := deflateBest(none); len(d) < len(best) {
		return d
	}
	return best
}

// psnrBytes is the peak signal-to-noise ratio of b against a in dB (+Inf when equal).
func psnrBytes(a, b []byte) float64 {
	var se float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		se += d * d
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(len(a))/se)
}

// ssimBytes is the mean structural similarity of b against a over the non-overlapping 8×8
// windows that hold some detail (Wang et al. 2004, with the usual constants for 8-bit
// samples). Windows of one value left unchanged (blank paper, solid ink) are left out, so the
// mean is that of the glyph edges, not diluted by the white page.
func ssimBytes(a, b []byte, w, h int) float64 {
	const c1, c2 = (0.01 * 255) * (0.01 * 255), (0.03 * 255) * (0.03 * 255)
	var sum float64
	n := 0
	for y0 := 0; y0+8 <= h; y0 += 8 {
		for x0 := 0; x0+8 <= w; x0 += 8 {
			var sa, sb, saa, sbb, sab float64
			same, flat := true, true
			for y := y0; y < y0+8; y++ {
				for x := x0; x < x0+8; x++ {
					va, vb := float64(a[y*w+x]), float64(b[y*w+x])
					if va != vb {
						same = false
					}
					if a[y*w+x] != a[y0*w+x0] {
						flat = false
					}
					sa += va
					sb += vb
					saa += va * va
					sbb += vb * vb
					sab += va * vb
				}
			}
			if same && flat {
				continue // blank paper or solid ink, unchanged
			}
			n++
			ma, mb := sa/64, sb/64
			va, vb, cov := saa/64-ma*ma, sbb/64-mb*mb, sab/64-ma*mb
			sum += (2*ma*mb + c1) * (2*cov + c2) / ((ma*ma + mb*mb + c1) * (va + vb + c2))
		}
	}
	if n == 0 {
		return 1
	}
	return sum / float64(n)
}

// ImageQuality compares two grey images of w×h pixels (one byte per pixel, row by row): the
// PSNR of b against a in dB and the mean SSIM over the 8×8 windows with detail, the two
// measures of the floors above.
func ImageQuality(a, b []byte, w, h int) (psnr, ssim float64) {
	return psnrBytes(a, b), ssimBytes(a, b, w, h)
}
