// Package capture brings pages in: scanner drivers behind one interface (Scanner; the SANE
// and eSCL drivers live in sub-packages), and file and folder import that decodes and
// validates PNG, JPEG, multi-page TIFF and scanned-image PDF pages before anything is stored.
package capture
