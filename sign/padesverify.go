package sign

import (
	"bytes"
	"crypto/x509"

	"golang.org/x/crypto/ocsp"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// maxDSSItems bounds the DSS entries looked at (real files carry a handful).
const maxDSSItems = 256

// dssData is what a revision's Document Security Store holds (DER each).
type dssData struct {
	certs []*x509.Certificate
	crls  [][]byte
	ocsps [][]byte
}

// readDSS reads the catalog's /DSS (nil when there is none).
func readDSS(rev *revision) *dssData {
	if rev == nil {
		return nil
	}
	cat := rev.catalog()
	if cat == nil {
		return nil
	}
	d := rev.dict(cat["DSS"])
	if d == nil {
		return nil
	}
	out := &dssData{}
	for _, o := range dssStreams(rev, d["Certs"]) {
		if c, err := x509.ParseCertificate(o); err == nil {
			out.certs = append(out.certs, c)
		}
	}
	out.crls = dssStreams(rev, d["CRLs"])
	out.ocsps = dssStreams(rev, d["OCSPs"])
	return out
}

// dssStreams decodes the streams an array of the DSS refers to.
func dssStreams(rev *revision, o types.Object) [][]byte {
	var out [][]byte
	for i, it := range rev.array(o) {
		if i >= maxDSSItems {
			break
		}
		sd, ok := rev.resolve(it).(types.StreamDict)
		if !ok {
			continue
		}
		c := sd // a copy: the revision's object stays as read
		if err := c.DecodeWithLimit(maxSigSize); err != nil || len(c.Content) == 0 {
			continue
		}
		out = append(out, c.Content)
	}
	return out
}

// dssCertificates are the DSS's certificates (used as intermediates for trust).
func dssCertificates(rev *revision) []*x509.Certificate {
	if d := readDSS(rev); d != nil {
		return d.certs
	}
	return nil
}

func (d *dssData) hasCert(c *x509.Certificate) bool {
	for _, x := range d.certs {
		if bytes.Equal(x.Raw, c.Raw) {
			return true
		}
	}
	return false
}

// revocation tells whether the DSS holds a CRL of issuer or an OCSP response for c that
// says c is not revoked (revoked is set when one says it is).
func (d *dssData) revocation(c, issuer *x509.Certificate) (ok, revoked bool) {
	for _, der := range d.crls {
		crl, err := x509.ParseRevocationList(der)
		if err != nil || crl.CheckSignatureFrom(issuer) != nil {
			continue
		}
		listed := false
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber != nil && e.SerialNumber.Cmp(c.SerialNumber) == 0 {
				listed = true
			}
		}
		if listed {
			return false, true
		}
		ok = true
	}
	for _, der := range d.ocsps {
		resp, err := ocsp.ParseResponseForCert(der, c, issuer)
		if err != nil {
			continue
		}
		switch resp.Status {
		case ocsp.Good:
			ok = true
		case ocsp.Revoked:
			return false, true
		}
	}
	return ok, false
}

// issuerChain walks from cert to a self-signed certificate through pool (by signature).
func issuerChain(cert *x509.Certificate, pool []*x509.Certificate) []*x509.Certificate {
	chain := []*x509.Certificate{cert}
	for c := cert; len(chain) < 10 && !isSelfSigned(c); {
		var next *x509.Certificate
		for _, p := range pool {
			if bytes.Equal(p.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(p) == nil {
				next = p
				break
			}
		}
		if next == nil {
			break
		}
		chain = append(chain, next)
		c = next
	}
	return chain
}

// signatureLevel is the PAdES baseline level of r (see SignatureResult.Level). chain is the
// trusted chain when trust was established.
func signatureLevel(r *SignatureResult, view *revision, chain []*x509.Certificate) string {
	if !r.Intact || r.Timestamp || r.Signer == nil {
		return ""
	}
	switch r.SubFilter {
	case "adbe.pkcs7.detached", "adbe.pkcs7.sha1":
		return "adbe"
	case "ETSI.CAdES.detached":
	default:
		return ""
	}
	if r.signingTimeAttr {
		r.Problems = append(r.Problems, "the CMS has a signing-time attribute: not PAdES baseline (ETSI EN 319 142-1 puts the time in /M)")
		return ""
	}
	if r.TimestampTime.IsZero() {
		return "B-B"
	}
	d := readDSS(view)
	if d == nil {
		return "B-T"
	}
	pool := append(append([]*x509.Certificate{}, r.Certificates...), d.certs...)
	if chain == nil {
		chain = issuerChain(r.Signer, pool)
	}
	if !dssCovers(r, d, chain) {
		return "B-T"
	}
	// ETSI EN 319 142-1 5.4: the validation data of the signature timestamp too.
	if r.timestampSigner == nil {
		return "B-T"
	}
	tsa := issuerChain(r.timestampSigner, append(append(pool, r.timestampCerts...), chain...))
	if !dssCovers(r, d, tsa) {
		r.Problems = append(r.Problems, "the DSS has no validation data for the signature timestamp's certificate: B-T, not B-LT")
		return "B-T"
	}
	return "B-LT"
}

// dssCovers: every certificate of chain but its self-signed root is in the DSS with a CRL or
// OCSP response from its issuer, and the chain reaches a self-signed root.
func dssCovers(r *SignatureResult, d *dssData, chain []*x509.Certificate) bool {
	for i, c := range chain {
		if isSelfSigned(c) {
			continue
		}
		if i+1 >= len(chain) || !d.hasCert(c) {
			return false
		}
		ok, revoked := d.revocation(c, chain[i+1])
		if revoked {
			r.Problems = append(r.Problems, "the DSS's revocation data lists a certificate of the chain as revoked")
		}
		if !ok {
			return false
		}
	}
	return true
}
