// Package sign turns an approved document into one searchable PDF (page images, an invisible
// OCR text layer, metadata and the record's fields as an embedded JSON file), signs it with a
// PKCS#12 file or a PKCS#11 token, and verifies signed PDFs (byte ranges, digests, CMS
// signatures, certificate trust and changes made after signing).
//
// Signing uses github.com/digitorus/pdfsign for the signature's incremental update. At the
// pinned version it writes non-ASCII texts as unescaped UTF-16BE inside ( ), which corrupts
// the signature dictionary for "Ĩ"/"ĩ", a backslash or unbalanced parentheses: dictString
// works around it (see there). BuildPDF writes a classic cross-reference table, so pdfsign
// keeps the document's /Info. Sign makes approval signatures (no DocMDP; pdfsign writes a
// FieldMDP /All transform into the signature dictionary itself, which Verify honours as
// locking every form field).
//
// # PAdES baseline (pades.go, dss.go)
//
// pdfsign writes only adbe.pkcs7.detached, and its CMS (digitorus/pkcs7) always has a
// signing-time and Adobe's revocation-information signed attribute. What SoHoa adds: the
// signature dictionary's /SubFilter becomes ETSI.CAdES.detached (same length, no offset
// moves) and /Contents gets a CMS made here (buildCAdES: content-type, message-digest,
// ESS signing-certificate-v2 with issuer and serial; no signing-time, the time is /M), with
// for B-T an RFC 3161 signature-time-stamp-token (unsigned attribute) from the configured
// TSA, checked before it is embedded; for B-LT the chain (completed from Signer.Roots) and for
// each certificate but the root an OCSP response (when it names a responder) or its CA's CRL,
// each checked (issuer's signature, current, not revoked), and the same for the signature
// timestamp's TSA (its chain from the token, completed from Signer.Roots; a CRL both chains
// need is fetched once), go into a DSS appended as a second incremental update. Verify
// reports the level it finds (SignatureResult.Level): B-B, B-T (the timestamp verifies),
// B-LT (the DSS holds the signer's and the TSA's chains and a CRL or OCSP response for every
// certificate of both but the roots), adbe. No VRI dictionaries (optional in EN 319 142-1)
// and no B-LTA (document timestamps).
//
// # PDF/A and page images (pdfa.go, g4.go, copyform.go, ttf.go)
//
// BuildPDF writes PDF/A-2b: the record's fields (record.json) are the application's private
// data in the catalog's /PieceInfo (ISO 32000-1 14.5), which PDF/A-2 allows, where an embedded
// JSON file would make the document PDF/A-3b (DocumentInput.RecordAsAttachment still writes
// that form; ReadRecord reads both). XMP matching /Info, an
// sRGB output intent, the embedded fonts, nothing forbidden (see pdfa.go). Bilevel pages
// are CCITT G4 (encoder in g4.go); grey text pages are stored at 16 grey levels when that
// keeps PSNR ≥ Gray4MinPSNR and SSIM ≥ Gray4MinSSIM (legible.go; the bench and
// TestGray4Legibility check the OCR error rate of the page rendered back); other grey and
// colour pages lossless (PNG filters per row, or none when smaller) or, when noisy, JPEG at
// JPEGQuality; PageInput.Lossless keeps every page exact; RGB pages that are grey are stored
// as grey; JPEGs are kept as they are (CMYK ones re-encoded). A digitised copy (Decree 30/2020/NĐ-CP) carries
// its copy form, organisation and time in embedded Liberation Serif at the top right of
// page 1 (copyform.go; the subsetter is ttf.go).
//
// The invisible text layer uses Tesseract's GlyphLessFont (pdf.ttf in Tesseract's data
// folder, TessdataDir), as Tesseract's own PDF renderer does.
//
// # Verification: what a viewer sees
//
// Verify reads a PDF the way a viewer does, never by scanning its bytes for objects (the
// shadow attacks of Mainka, Mladenov and Rohlmann, "Shadow Attacks: Hiding and Replacing
// Content in Signed PDFs", NDSS 2021, and the incremental-saving and signature-wrapping
// attacks of "1 Trillion Dollar Refund – How To Spoof PDF Signatures", CCS 2019, live in the
// gap between the two).
//
// What is read. A revision is the file cut after one of its %%EOF markers. Each is read
// through its own cross-reference chain: from its last startxref through every section —
// classic tables, cross-reference streams, the streams hybrid-reference trailers name with
// /XRefStm — along /Prev (xref.go, strict: nothing is repaired; an offset may only be
// preceded by white space). Every in-use entry must point at "N G obj" of its own number and
// generation. The objects are then read by pdfcpu through that chain (revision.go; object
// streams decoded, strings and streams of encrypted files decrypted, work bounded), and
// pdfcpu's table must equal the strict reader's entry for entry: pdfcpu repairs broken files
// silently (rebuilding the table by scanning, shifting offsets), and a repaired file is not
// what was signed. The final revision is the whole file; a signature's signed revision is
// the file cut at the end of its byte range, which must be such a revision and hold the
// signature dictionary at the same place. The signatures are those the final revision's
// AcroForm lists.
//
// What is compared. The object graphs reachable from the two revisions' trailers, object by
// object (diff.go): every object gets roles from the paths it is reached by (catalog, page
// tree, page N, its content, resources, fonts, XObjects, annotations, form fields,
// signatures, actions and JavaScript, name trees, attachments, metadata, DSS, outlines,
// structure). Every object whose value differs (strings by their bytes, numbers by value,
// streams by dictionary and data) is judged by its roles; an object that is new or gone is
// judged through the objects that refer to it, and is a change of its own when one of them
// is unchanged (it fills or empties a reference of the signed revision).
//
// What is allowed after a signature, as ISO 32000-2 says: validation data (DSS/VRI,
// 12.8.4.3) and document timestamps (12.8.5) at any DocMDP level; from P=2 (the default
// without a certification signature) new signature fields and the signing of empty ones,
// and filling in form fields no FieldMDP lock covers; from P=3 annotations; metadata (XMP,
// /Info) always, reported as allowed changes. Page resources may gain entries the page's
// content does not name (signers add appearance fonts there); the AcroForm may gain
// signature fields, /SigFlags and default resources that keep its fonts. Everything else is
// "modified after signing", with a reason naming the object ("object 12 (page 1 content)
// changed after signature 1"): page content, resources, fonts, XObjects, annotations, form
// fields, actions, /OpenAction, /Names (JavaScript, embedded files), pages added or removed,
// an existing signature replaced, encryption changed.
//
// What counts as modified besides. The bytes after a signed revision must be nothing but
// well-formed incremental updates (structure.go): objects each listed by its own update's
// section at its offset (none twice in one update), object streams whose objects their
// update lists there, sections where updates have them, startxref, %%EOF, white space and
// comments. A byte scan of those bytes looks for the keywords obj, xref, trailer and
// startxref; each must be one of the tokens the updates own — a keyword inside a string,
// comment or stream is how a forgery hides from byte scanners. The scan only detects: what
// the document says is read through the cross-reference chains. Anything ambiguous is
// "modified", never "intact": a final revision that cannot be read strictly, pdfcpu having
// to repair, entries pointing inside other data or back into the signed part at another
// definition, hidden objects, a document too large to compare.
//
// The CMS check is strict (cms.go): one SignerInfo with its certificate; a SHA-1/SHA-2
// digest; a signature algorithm identifier that is a signature algorithm for the
// certificate's key type with that digest; for ETSI.CAdES.detached signed attributes with
// content-type, message-digest and signing-certificate-v2 naming the certificate; for
// adbe.pkcs7.detached signed attributes optional (real agencies' files carry none or no
// signing-certificate attribute), but content-type and message-digest when present, and
// no encapsulated content; RFC 3161 tokens (document and signature timestamps) verified the
// same way, with their TSA certificate. What the verifier cannot check is "cannot verify"
// (SignatureResult.CannotVerify), never intact.
package sign
