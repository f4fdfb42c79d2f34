package server

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/wire"
)

// SignatureVerifier is the production Verifier: the manifest's CMS signature must verify over
// its canonical bytes and its signer must chain to Roots; every PDF must hash to the manifest's
// pdf_sha256 and size, and every PAdES signature in it must be intact (byte range, digest,
// signature, nothing changed after signing) and trusted. Its errors name no person (signer
// names and certificate subjects stay in the server's own log at most).
type SignatureVerifier struct {
	Roots *x509.CertPool
	// MaxPDF bounds how much of a PDF is read into memory to verify it (0: DefaultMaxBlobSize).
	MaxPDF int64
}

var _ Verifier = SignatureVerifier{}

// Verification errors (bilingual, no personal data).
var (
	ErrSignerUntrusted = l10n.New("sync.server.signerUntrusted")
	ErrPDFNotIntact    = l10n.New("sync.server.pdfNotIntact")
	ErrPDFUntrusted    = l10n.New("sync.server.pdfUntrusted")
)

// VerifyManifest checks the shape, the signature and the signer's trust.
func (v SignatureVerifier) VerifyManifest(_ context.Context, _ []byte, m *wire.Manifest) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if v.Roots == nil {
		return ErrSignerUntrusted
	}
	r, err := sign.VerifyManifest(m, sign.VerifyOptions{Roots: v.Roots})
	if err != nil {
		return err
	}
	if !r.Trusted {
		return ErrSignerUntrusted
	}
	return nil
}

// VerifyPDF checks the PDF's hash and size, then every signature in it.
func (v SignatureVerifier) VerifyPDF(_ context.Context, _ *wire.Manifest, doc wire.Document, pdf io.Reader) error {
	limit := v.MaxPDF
	if limit <= 0 {
		limit = DefaultMaxBlobSize
	}
	if doc.PDFSize > limit {
		return l10n.New("sync.server.verify.pdfTooLarge", l10n.Args{"Doc": doc.ID, "Max": limit})
	}
	data, err := io.ReadAll(io.LimitReader(pdf, doc.PDFSize+1))
	if err != nil {
		return l10n.Wrap(err, "sync.server.verify.pdfRead", l10n.Args{"Doc": doc.ID})
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != doc.PDFSize || hex.EncodeToString(sum[:]) != doc.PDFSHA256 {
		return l10n.New("sync.server.verify.pdfMismatch", l10n.Args{"Doc": doc.ID})
	}
	rep, err := sign.Verify(data, sign.VerifyOptions{Roots: v.Roots})
	if err != nil {
		return l10n.Wrap(err, "sync.server.verify.document", l10n.Args{"Doc": doc.ID})
	}
	if !rep.Intact {
		return l10n.Wrap(fmt.Errorf("%w: %w", ErrPDFNotIntact, notIntactReasons(rep)), "sync.server.verify.document", l10n.Args{"Doc": doc.ID})
	}
	if !rep.Trusted {
		return l10n.Wrap(ErrPDFUntrusted, "sync.server.verify.document", l10n.Args{"Doc": doc.ID})
	}
	return nil
}

// maxReasons bounds how many reasons an error lists.
const maxReasons = 3

// notIntactReasons says why a report is not intact, in Vietnamese and in English: the changes
// made after signing (object numbers and kinds) or the integrity problems. Certificate
// subjects and trust errors (which may name people) are left out.
func notIntactReasons(rep sign.Report) error {
	var vi, en []string
	for _, s := range rep.Signatures {
		if s.Intact {
			continue
		}
		for _, c := range s.ChangeDetails {
			vi, en = append(vi, c.Text(l10n.Vi)), append(en, c.Text(l10n.En))
		}
		if len(s.ChangeDetails) == 0 {
			for _, p := range s.Problems {
				vi, en = append(vi, p), append(en, p)
			}
		}
	}
	if len(en) == 0 {
		return &reasons{vi: l10n.T(l10n.Vi, "sync.server.noReason"), en: l10n.T(l10n.En, "sync.server.noReason")}
	}
	more := ""
	if len(en) > maxReasons {
		more = fmt.Sprintf(" (+%d)", len(en)-maxReasons)
		vi, en = vi[:maxReasons], en[:maxReasons]
	}
	return &reasons{vi: strings.Join(vi, "; ") + more, en: strings.Join(en, "; ") + more}
}

// reasons is the list of why a PDF is not intact, in both languages.
type reasons struct{ vi, en string }

func (r *reasons) Error() string { return r.vi + " / " + r.en }

// Localize is the list in lang.
func (r *reasons) Localize(lang string) string {
	if l10n.Lang(lang) == l10n.En {
		return r.en
	}
	return r.vi
}

// LoadTrust reads trusted root certificates from a PEM file, or from every .pem/.crt/.cer file
// (PEM or DER) in a folder (sign.LoadTrust: the workstation reads its trust store the same way).
func LoadTrust(path string) (*x509.CertPool, int, error) { return sign.LoadTrust(path) }
