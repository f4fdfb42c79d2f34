// Package cleanup straightens and tidies scanned page images before OCR:
// it measures and corrects skew, turns pages upright (0/90/180/270 by
// Tesseract's orientation detection), crops black scanner edges, flags or
// drops blank backs of sheets and can binarize, according to a per-batch
// Profile. The caller always keeps the original image; Process returns a
// new encoded image and the measurements taken.
//
// The image work is done by leptonica (already linked through Tesseract)
// through cgo; every call works on its own Pix objects, so Process may run
// from many goroutines at once.
package cleanup
