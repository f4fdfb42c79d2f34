// Package sign turns an approved document into one searchable PDF (page images, an invisible
// OCR text layer, metadata and the record's fields as an embedded JSON file), signs it with a
// PKCS#12 file or a PKCS#11 token, and verifies signed PDFs (byte ranges, digests, CMS
// signatures, certificate trust and changes made after signing).
//
// Signing uses github.com/digitorus/pdfsign. At the pinned version it writes non-ASCII texts
// as unescaped UTF-16BE inside ( ), which corrupts the signature dictionary for "Ĩ"/"ĩ", a
// backslash or unbalanced parentheses: dictString works around it (see there). BuildPDF
// writes a classic cross-reference table, so pdfsign keeps the document's /Info.
//
// The invisible text layer uses Tesseract's GlyphLessFont (pdf.ttf in Tesseract's data
// folder, TessdataDir), as Tesseract's own PDF renderer does.
package sign
