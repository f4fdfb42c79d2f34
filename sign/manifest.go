package sign

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"time"

	"github.com/digitorus/pkcs7"

	"github.com/sohoa/sohoa/sync/wire"

	"github.com/sohoa/sohoa/internal/l10n"
)

// ManifestSignatureFormat names the only manifest signature format: a detached CMS
// SignedData (SHA-256, signer certificate chain included) over the manifest's canonical bytes.
const ManifestSignatureFormat = "cms-detached-sha256"

// ManifestSignature is the "signature" member of a signed wire.Manifest.
type ManifestSignature struct {
	Format string `json:"format"`
	CMS    []byte `json:"cms"` // DER, base64 in JSON
}

// Errors from manifest signing and verification. Messages are bilingual and hold no
// personal data.
var (
	ErrManifestUnsigned  = l10n.New("sign.manifestUnsigned")
	ErrManifestSignature = l10n.New("sign.manifestSignature")
)

// CanonicalManifest is what a manifest signature covers: the manifest without its signature,
// marshalled by encoding/json (fields in declaration order, no insignificant whitespace).
func CanonicalManifest(m *wire.Manifest) ([]byte, error) {
	c := *m
	c.Signature = nil
	return json.Marshal(&c)
}

// SignManifest signs m with s and returns the signed manifest's JSON bytes (what is stored
// locally and sent to the server, byte for byte). m.Signature is set too.
func SignManifest(m *wire.Manifest, s Signer) ([]byte, error) {
	if s.Key == nil || len(s.Chain) == 0 {
		return nil, ErrNoCertificate
	}
	content, err := CanonicalManifest(m)
	if err != nil {
		return nil, err
	}
	sd, err := pkcs7.NewSignedData(content)
	if err != nil {
		return nil, err
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSignerChain(s.Chain[0], s.Key, s.Chain[1:], pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("sign manifest: %w", err)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("sign manifest: %w", err)
	}
	sig, err := json.Marshal(ManifestSignature{Format: ManifestSignatureFormat, CMS: der})
	if err != nil {
		return nil, err
	}
	m.Signature = sig
	return json.Marshal(m)
}

// ManifestResult is what VerifyManifest found.
type ManifestResult struct {
	Signer     *x509.Certificate
	Trusted    bool
	TrustError string
}

// VerifyManifest checks the signature of a decoded manifest: the CMS must verify over the
// canonical bytes with the certificate it names. Trust is checked against opts.Roots unless
// opts.IntegrityOnly; an untrusted signer is reported in the result, not as an error.
func VerifyManifest(m *wire.Manifest, opts VerifyOptions) (ManifestResult, error) {
	var r ManifestResult
	if len(m.Signature) == 0 {
		return r, ErrManifestUnsigned
	}
	var sig ManifestSignature
	dec := json.NewDecoder(bytes.NewReader(m.Signature))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sig); err != nil || sig.Format != ManifestSignatureFormat || len(sig.CMS) == 0 {
		return r, fmt.Errorf("%w: unknown signature format", ErrManifestSignature)
	}
	content, err := CanonicalManifest(m)
	if err != nil {
		return r, err
	}
	p7, err := pkcs7.Parse(sig.CMS)
	if err != nil {
		return r, fmt.Errorf("%w: %v", ErrManifestSignature, err)
	}
	p7.Content = content
	if err := p7.Verify(); err != nil {
		return r, fmt.Errorf("%w: %v", ErrManifestSignature, err)
	}
	r.Signer = p7.GetOnlySigner()
	if r.Signer == nil {
		return r, fmt.Errorf("%w: no single signer", ErrManifestSignature)
	}
	switch {
	case opts.IntegrityOnly:
		r.TrustError = "integrity only"
	case opts.Roots == nil:
		r.TrustError = "no trust store"
	default:
		inter := x509.NewCertPool()
		for _, c := range p7.Certificates {
			inter.AddCert(c)
		}
		if _, err := r.Signer.Verify(x509.VerifyOptions{Roots: opts.Roots, Intermediates: inter, CurrentTime: time.Now(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			r.TrustError = err.Error()
		} else {
			r.Trusted = true
		}
	}
	return r, nil
}
