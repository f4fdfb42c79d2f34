// Package ocr runs Tesseract (through gosseract) as a pool of child
// worker processes and turns each page into text, words with boxes and
// confidences, and the engine and model versions that produced them.
//
// Why child processes: gosseract never frees the strings Tesseract
// returns (Text, HOCRText, GetBoundingBoxes), so an engine kept in the
// main process grows without bound over a long batch. Each worker is the
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
