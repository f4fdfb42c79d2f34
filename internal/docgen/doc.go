// Package docgen generates synthetic scanned Vietnamese administrative
// documents (birth and marriage certificates, residence records, business
// registration certificates) together with their ground truth: the text of
// every page in reading order, the box of every printed line and the value and
// box of every labelled field.
//
// Everything is derived from (seed, index), so document i of a given seed has
// the same content and the same pixels whatever the size of the set, on the
// same Go version and font files. Unless Options.Clean is set, pages carry
// moderate, seeded scan damage: skew within ±3°, sensor noise, slight blur,
// uneven paper brightness, JPEG artefacts, some blank back pages and some
// upside-down pages. The text is rendered with Debian's Noto Serif faces
// (package fonts-noto-core).
//
// The end-to-end tests, benchmarks and the clean-up and field-extraction tests
// use it; CER compares OCR output with the ground truth.
package docgen
