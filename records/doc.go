// Package records knows the kinds of records SoHoa digitises: record types loaded from data
// files (assets/records/*.json), field extraction from OCR words by label anchors,
// normalisation of Vietnamese values (names, dates, ID numbers, amounts) and validation with
// bilingual messages that never quote a personal value.
//
// The flow is: LoadBundled (or Load from any fs.FS) → Extract on a document's OCR words →
// store the values → Validate the stored values against the type's rules.
package records
