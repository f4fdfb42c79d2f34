// Package cleanup straightens and tidies scanned page images before OCR:
// it measures and corrects skew, turns pages upright (0/90/180/270 by
// Tesseract's orientation detection), crops black scanner edges, flags or
// drops blank backs of sheets and can binarize, according to a per-batch
// Profile. The caller always keeps the original image; Process returns a
// new encoded image and the measurements taken.
//
// Field captures: a page whose paper brightness varies a lot over the page
// (a phone photo, light falling off across it) is evened out first by
// background normalisation, whatever the profile, so that one threshold
// (ours and Tesseract's) separates ink from paper again (TestUnevenLight,
// TestFieldCaptures). Before that, a photo of a sheet lying on a darker
// surface, taken at an angle, is straightened: the sheet's quadrilateral is
// found on a reduced copy (paper is at least 60 % as bright as the brightest
// level around it, so a shaded corner stays paper; the largest bright region;
// its extreme points along the diagonals) and mapped onto an upright
// rectangle by homography with linear interpolation (Result.Straightened,
// Result.Quad; TestFindPage). Scans whose paper fills the frame, or that
// show only straight dark scanner edges, are not touched by this step.
// Bilevel fax-grade pages (120-199 dpi) are despeckled: black specks and
// white holes in strokes of one pixel are removed (Result.Despeckled);
// doubling them to 300 dpi was measured and read worse
// (bench/REPORT-captures.md). On pages under 150 dpi a 180° orientation
// verdict is not trusted (real 70-dpi scans).
//
// The image work is done by leptonica (already linked through Tesseract)
// through cgo; every call works on its own Pix objects, so Process may run
// from many goroutines at once.
package cleanup
