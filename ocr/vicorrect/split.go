package vicorrect

import (
	"hash/crc32"
	"strings"
)

// TuningDocument says whether a page of the shared corpus's rendered-gov set (named
// "<document>_p<N>") belongs to the documents the corrector's settings were chosen on; the
// others are held out for the CER ceiling test. The split is by document (all pages of one
// document on the same side), by a hash of the document's name. No corpus text is in the
// model itself (assets/vietnamese/NOTICE.md).
func TuningDocument(page string) bool {
	doc := page
	if i := strings.LastIndex(page, "_p"); i > 0 {
		doc = page[:i]
	}
	return crc32.ChecksumIEEE([]byte(doc))%2 == 0
}
