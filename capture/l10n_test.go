package capture

import (
	"errors"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/internal/l10n/l10ntest"
)

// TestErrorsTranslated: the import and scanner errors a clerk reads say themselves in both
// languages, also when wrapped; their technical Error() stays English.
func TestErrorsTranslated(t *testing.T) {
	_, empty := Decode("empty.png", nil)
	_, garbage := Decode("notes.txt", []byte("just some text, not an image"))
	_, enc := Decode("scan.bmp", []byte("BM\x00\x00\x00\x00\x00\x00"))
	errs := map[string]error{"empty": empty, "garbage": garbage, "bmp": enc}
	for _, k := range []DecodeErrorKind{ErrEmpty, ErrUnknownFormat, ErrCorrupt, ErrTooLarge, ErrUnsupported, ErrNoPages, ErrNotFound} {
		errs["file "+string(k)] = &DecodeError{File: "a.tif", Page: -1, Kind: k, Err: errors.New("cause")}
		errs["page "+string(k)] = &DecodeError{File: "a.tif", Page: 2, Kind: k}
	}
	errs["feature"] = &DecodeError{File: "a.pdf", Page: 0, Kind: ErrUnsupported, Err: errPDFEncrypted}
	errs["feature with values"] = &DecodeError{File: "a.tif", Page: 1, Kind: ErrUnsupported,
		Err: unsupported("TIFF compression 9 is not supported", "capture.feature.tiffCompression", l10n.Args{"N": 9})}
	for _, k := range []FaultKind{FaultJammed, FaultCoverOpen, FaultNoDocs, FaultBusy, FaultIO, FaultUnplugged, FaultUnsupported, FaultOther, "new kind"} {
		errs["fault "+string(k)] = &Fault{Kind: k, Device: "test:0", Sheet: 2, Err: errors.New("device says no")}
	}
	for name, err := range errs {
		l10ntest.Translated(t, name, err)
	}
	if got := l10n.Text(l10n.Vi, errs["page corrupt"]); got != "Trang 3 của tệp \"a.tif\": tệp bị hỏng hoặc không đầy đủ. Hãy sao chép lại hoặc quét lại tài liệu." {
		t.Errorf("page corrupt: %q", got)
	}
	if got := errs["file corrupt"].Error(); got != `import "a.tif": the file is damaged or incomplete; copy or scan it again: cause` {
		t.Errorf("technical text: %q", got)
	}
	if got := l10n.Text(l10n.En, errs["feature"]); got != `Page 1 of file "a.pdf": the PDF is password protected or encrypted; save a copy without a password and import that.` {
		t.Errorf("feature: %q", got)
	}
}
