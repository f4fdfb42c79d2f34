// Package ocr runs Tesseract as a pool of child worker processes and
// turns each page into text, words with boxes and confidences, and the
// engine and model versions that produced them.
//
// A worker decodes the page once with leptonica (which validates it) and
// hands that image to Tesseract through its C API (lept.go): no second
// decoding, no re-encoding of a turned page or a zone. gosseract is used
// only for the engine version and as the reference in tests.
//
// AutoOrient costs one recognition per page: a page upright beyond doubt
// by leptonica's cheap text orientation measure (Upright, ascenders against
// descenders: tens of milliseconds) is read as it is; else OSD decides when
// it is confident; otherwise the page is read as given and, only when that
// reading is poor (mean word confidence under 60), a band of a quarter of
// the page is read turned 180°; the page is read a second time, turned,
// only when that probe reads clearly better (Result.Passes, Result.Probed).
//
// Languages: with Vietnamese first among several (the default vie+eng), a
// page is read with Vietnamese alone and read again with all the languages
// only when that reading is not Vietnamese (VietnameseReading: an English
// page); Tesseract's own word-by-word choice among them costs a third more
// and loses tone marks on Vietnamese pages (Options.MixLanguages keeps it).
//
// RecognizeInkFree: the worker makes the coloured ink of stamps and signatures
// paper white in the image it has decoded (ocr/layout.RemoveInk's rule), so
// the caller sends the page as stored, without a decoding and re-encoding
// of its own.
//
// Why child processes: Tesseract engines kept in the main process grow
// over a long batch (gosseract never freed the strings Tesseract
// returns), and a crash in Tesseract must not take the program down. Each worker is the
// same executable started with SOHOA_OCR_WORKER=1; it serves requests on
// stdin/stdout (length-prefixed binary frames) and is recycled after
// Options.PagesPerWorker pages. A worker that crashes takes only its page
// with it: the page fails with ErrWorkerCrashed, is retried once on a
// fresh worker, and the pool restarts the worker.
//
// Every program (and every TestMain of a package that uses the pool) must
// call MaybeRunWorker first thing in main.
//
// Coordinates: word boxes are always in the pixel coordinates of the
// image as it was given (as stored), even when AutoOrient rotated the
// page before recognition; Result.Orientation says which clockwise
// rotation (0, 90, 180, 270) was applied to make the text upright.
package ocr
