package server

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

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
	ErrSignerUntrusted = errors.New("người ký bản kê không nằm trong danh sách tin cậy của máy chủ / the manifest signer is not in the server's trust store")
	ErrPDFNotIntact    = errors.New("chữ ký số của tệp PDF không còn nguyên vẹn (tệp đã bị sửa sau khi ký?) / a PDF signature is not intact (changed after signing?)")
	ErrPDFUntrusted    = errors.New("người ký tệp PDF không nằm trong danh sách tin cậy / a PDF signer is not in the server's trust store")
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
		return fmt.Errorf("PDF of document %s is larger than %d bytes", doc.ID, limit)
	}
	data, err := io.ReadAll(io.LimitReader(pdf, doc.PDFSize+1))
	if err != nil {
		return fmt.Errorf("read PDF of document %s: %w", doc.ID, err)
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != doc.PDFSize || hex.EncodeToString(sum[:]) != doc.PDFSHA256 {
		return fmt.Errorf("PDF of document %s does not match the manifest", doc.ID)
	}
	rep, err := sign.Verify(data, sign.VerifyOptions{Roots: v.Roots})
	if err != nil {
		return fmt.Errorf("document %s: %w", doc.ID, err)
	}
	if !rep.Intact {
		return fmt.Errorf("document %s: %w: %s", doc.ID, ErrPDFNotIntact, notIntactReasons(rep))
	}
	if !rep.Trusted {
		return fmt.Errorf("document %s: %w", doc.ID, ErrPDFUntrusted)
	}
	return nil
}

// maxReasons bounds how many reasons an error lists.
const maxReasons = 3

// notIntactReasons says why a report is not intact, in Vietnamese then English: the changes
// made after signing (object numbers and kinds) or the integrity problems. Certificate
// subjects and trust errors (which may name people) are left out.
func notIntactReasons(rep sign.Report) string {
	var vi, en []string
	for _, s := range rep.Signatures {
		if s.Intact {
			continue
		}
		for _, c := range s.ChangeDetails {
			vi, en = append(vi, c.Text("vi")), append(en, c.Text("en"))
		}
		if len(s.ChangeDetails) == 0 {
			for _, p := range s.Problems {
				vi, en = append(vi, p), append(en, p)
			}
		}
	}
	if len(en) == 0 {
		return "không rõ lý do / no reason given"
	}
	more := ""
	if len(en) > maxReasons {
		more = fmt.Sprintf(" (+%d)", len(en)-maxReasons)
		vi, en = vi[:maxReasons], en[:maxReasons]
	}
	return strings.Join(vi, "; ") + more + " / " + strings.Join(en, "; ") + more
}

// LoadTrust reads trusted root certificates from a PEM file, or from every .pem/.crt/.cer file
// (PEM or DER) in a folder (sign.LoadTrust: the workstation reads its trust store the same way).
func LoadTrust(path string) (*x509.CertPool, int, error) { return sign.LoadTrust(path) }
