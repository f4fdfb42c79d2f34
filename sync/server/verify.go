package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/sohoa/sohoa/sync/wire"
)

// Verifier decides whether the server trusts a batch. The signing package plugs in a verifier
// of PAdES signatures and of the manifest signature (and of the signer's certificate).
type Verifier interface {
	// VerifyManifest checks the manifest (raw: the exact bytes received) and its signature.
	VerifyManifest(ctx context.Context, raw []byte, m *wire.Manifest) error
	// VerifyPDF checks one document's PDF, read from the blob store.
	VerifyPDF(ctx context.Context, m *wire.Manifest, doc wire.Document, pdf io.Reader) error
}

// HashOnlyVerifier checks shapes and SHA-256 hashes only: it does NOT check any signature.
// It is the stand-in until the signing engineer's verifier is plugged in; a deployment that
// uses it trusts every enrolled workstation for the content it sends.
type HashOnlyVerifier struct{}

var _ Verifier = HashOnlyVerifier{}

// VerifyManifest checks the manifest's shape (the signature, if any, is ignored).
func (HashOnlyVerifier) VerifyManifest(_ context.Context, _ []byte, m *wire.Manifest) error {
	return m.Validate()
}

// VerifyPDF checks that the PDF's bytes hash to the manifest's pdf_sha256 and have its size.
func (HashOnlyVerifier) VerifyPDF(ctx context.Context, _ *wire.Manifest, doc wire.Document, pdf io.Reader) error {
	h := sha256.New()
	n, err := io.Copy(h, pdf)
	if err != nil {
		return fmt.Errorf("read PDF of document %s: %w", doc.ID, err)
	}
	if n != doc.PDFSize || hex.EncodeToString(h.Sum(nil)) != doc.PDFSHA256 {
		return fmt.Errorf("PDF of document %s does not match the manifest", doc.ID)
	}
	return nil
}
