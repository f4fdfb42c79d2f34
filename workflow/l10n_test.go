package workflow

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/internal/l10n/l10ntest"
	"github.com/sohoa/sohoa/queue"
)

// TestErrorsTranslated: every error the workflow returns for a person to read says itself in
// Vietnamese and in English through the catalogue (l10n.Text), also when wrapped, and the
// sentinels still match through errors.Is.
func TestErrorsTranslated(t *testing.T) {
	day := time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC)
	errs := map[string]error{
		"CertificateError expired":       &CertificateError{Reason: "expired", NotAfter: day},
		"CertificateError not yet valid": &CertificateError{Reason: "not_yet_valid", NotBefore: day},
		"CertificateError usage":         &CertificateError{Reason: "usage"},
		"CertificateError untrusted":     &CertificateError{Reason: "untrusted"},
		"UnknownTypeError":               &UnknownTypeError{Key: "birth"},
		"DocumentError":                  &DocumentError{DocumentID: 7, Err: ErrNoPIN},
		"FileError":                      &FileError{Name: "a.pdf", Err: ErrNotCertificate},
		"DriverError":                    &DriverError{Driver: "SANE", Err: capture.ErrNoDevice},
		"UntrustedServerError":           &UntrustedServerError{Fingerprint: strings.Repeat("ab", 32), Err: errors.New("x509: certificate signed by unknown authority")},
		"manifest damaged":               l10n.Wrap(errors.New("EOF"), "workflow.manifest.damaged"),
		"manifest untrusted":             l10n.New("workflow.manifest.untrusted", l10n.Args{"Detail": "x509: unknown authority"}),
		"manifest document id":           l10n.New("workflow.manifest.badDocID", l10n.Args{"ID": "x"}),
		"signed PDF":                     l10n.Wrap(queue.ErrBlobMissing, "workflow.signed.pdf", l10n.Args{"ID": 3}),
	}
	for _, r := range []string{"not_editable", "invalid", "enrolled_office", "no_language", "trust_store", "module"} {
		errs["SettingError "+r] = &SettingError{Key: "office", Reason: r, Detail: "HN-01"}
	}
	for _, k := range []string{"manifest.otherBatch", "signed.pdfSize", "signed.recordDamaged", "signed.recordOther"} {
		errs[k] = l10n.New("workflow."+k, l10n.Args{"ID": 3})
	}
	for _, e := range []error{ErrNoSignerSource, ErrNoPIN, ErrNoRole, ErrCertChoice, ErrNotCertificate, ErrServerURL,
		ErrNoEnrollCode, ErrCertificate, ErrSettingInvalid, ErrBadScannerAddress, ErrDocumentNotInBatch, ErrUnknownField,
		ErrPageOCR, ErrSampleFonts, l10n.New("workflow.noReceiptKey")} {
		errs[fmt.Sprintf("sentinel %q", e)] = e
	}
	_, pageSize := ParsePageSize("A4x")
	_, blank := CleanupSetting("deskew,blank=maybe")
	_, step := CleanupSetting("sharpen")
	f := newFixture(t)
	_, noDevice := NewScanners().Capabilities(f.ctx, "usb:1")
	_, edit := f.w.EditPages(f.ctx, f.clerk, PageEdit{Op: "fold"})
	b := f.batch(queue.BatchSpec{RecordType: "birth"})
	doc, _, err := f.st.AddDocument(f.ctx, f.clerk, queue.NewDocument{BatchID: b.ID, Pages: []queue.PageInput{pngPage(t, 40, 40, 200)}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, field := f.w.fieldOf(f.ctx, doc.ID, "x")
	if !errors.Is(field, ErrUnknownField) {
		t.Errorf("unknown field: %v", field)
	}
	_, decide := f.w.Decide(f.ctx, f.sup, DecideInput{Batch: "b", Documents: []int64{1}, Decision: "maybe"})
	for name, err := range map[string]error{"page size": pageSize, "clean-up blank": blank, "clean-up step": step,
		"no device": noDevice, "unknown edit": edit, "unknown field": field, "decision": decide} {
		errs[name] = err
	}
	for name, err := range errs {
		l10ntest.Translated(t, name, err)
	}
	for err, want := range map[error]string{decide: "want accept or return", noDevice: `no scanner "usb:1"`,
		pageSize: `"A4x"`, blank: `"maybe"`, step: `"sharpen"`, edit: `"fold"`} {
		if got := l10n.Text(l10n.En, err); !strings.Contains(got, want) {
			t.Errorf("%q does not say %q", got, want)
		}
	}
	if !errors.Is(noDevice, capture.ErrNoDevice) || !errors.Is(edit, queue.ErrBadEdit) {
		t.Errorf("kinds lost: %v, %v", noDevice, edit)
	}
	pe := &l10n.Error{Key: "workflow.pageOCR", Args: l10n.Args{"Page": 4}, Kind: ErrPageOCR}
	if !errors.Is(pe, ErrPageOCR) || l10n.Text(l10n.En, pe) != "OCR of page 4 failed" {
		t.Errorf("page OCR: %v", pe)
	}
	ce := &CertificateError{Reason: "expired", NotAfter: day}
	if vi, en := ce.Localize(l10n.Vi), ce.Localize(l10n.En); !errors.Is(ce, ErrCertificate) || vi == en || ce.Error() != vi+" / "+en {
		t.Errorf("certificate error: %q / %q / %q", vi, en, ce.Error())
	}
	se := &SettingError{Key: "office", Reason: "invalid"}
	if !errors.Is(se, ErrSettingInvalid) || errors.Is(&SettingError{Reason: "not_editable"}, ErrSettingInvalid) ||
		se.Localize(l10n.En) == se.Localize(l10n.Vi) {
		t.Errorf("setting error: %q", se)
	}
}
