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
// TestFieldCaptures). Perspective is not corrected yet. On pages under
// 150 dpi a 180° orientation verdict is not trusted (real 70-dpi scans).
//
// The image work is done by leptonica (already linked through Tesseract)
// through cgo; every call works on its own Pix objects, so Process may run
// from many goroutines at once.
package cleanup
