// Package separate turns a stream of scanned or imported pages into documents by a
// batch separation rule: no separation (one document), a fixed number of pages per
// document, blank separator sheets, or printed separator sheets carrying a QR code
// ("SOHOA-SEP:v1:<label>") that SeparatorSheetPNG renders and DetectSeparator finds.
//
// Separator pages (blank or QR) are not stored in any document: the Splitter marks
// them Drop and the caller discards them. The caller decides what to keep of the
// original stream; the Splitter only reads pages, it never stores anything.
package separate
