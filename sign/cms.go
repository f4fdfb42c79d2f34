package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Strict CMS (RFC 5652) verification of PDF signatures and RFC 3161 timestamp tokens, on the
// DER as signed (BER input is first turned into DER without touching DER parts, so signed
// attributes keep their bytes). What is required depends on the profile:
//
//   - ETSI.CAdES.detached (PAdES, ETSI EN 319 142-1): signed attributes with content-type,
//     message-digest and ESS signing-certificate-v2 naming the signer's certificate.
//   - adbe.pkcs7.detached (ISO 32000-2 12.8.3.3): signed attributes are optional (real
//     agencies' files in the corpus carry none, or no signing-certificate attribute); when
//     present, content-type and message-digest are required, and a signing-certificate(-v2)
//     attribute, if any, must name the signer's certificate. No encapsulated content.
//   - adbe.pkcs7.sha1: the encapsulated content is the SHA-1 digest of the byte range.
//   - RFC 3161 tokens (document timestamps, signature timestamps): content type TSTInfo,
//     signed attributes with content-type, message-digest and ESS signing-certificate (v1 or
//     v2) naming the TSA's certificate.
//
// Everywhere: one SignerInfo, its certificate in the SignedData, a digest algorithm of the
// SHA-1/SHA-2 families, and a signature algorithm identifier that is a signature algorithm
// for the certificate's key type using that digest. What cannot be checked is an
// errCannotVerify error, never a pass.

type cmsContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type cmsSignedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContent     asn1.RawValue
	Certificates     asn1.RawValue   `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue   `asn1:"optional,tag:1"`
	SignerInfos      []cmsSignerInfo `asn1:"set"`
}

type cmsSignerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type cmsAttribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue `asn1:"set"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

var (
	oidSignedData         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidData               = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidTSTInfo            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidSigningCertificate = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidSigningCertV2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidAlgProtection      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 52}
	oidSignatureTimeStamp = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidRSAPSS             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidMGF1               = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidEd25519            = asn1.ObjectIdentifier{1, 3, 101, 112}
	hashOIDs              = map[string]crypto.Hash{
		"1.3.14.3.2.26":          crypto.SHA1,
		"2.16.840.1.101.3.4.2.1": crypto.SHA256,
		"2.16.840.1.101.3.4.2.2": crypto.SHA384,
		"2.16.840.1.101.3.4.2.3": crypto.SHA512,
		"2.16.840.1.101.3.4.2.4": crypto.SHA224,
	}
	// Signature algorithms: the key type they are for and the digest they use (0: any,
	// taken from the SignerInfo's digest algorithm, for rsaEncryption as CMS allows).
	rsaSigOIDs = map[string]crypto.Hash{
		"1.2.840.113549.1.1.1":  0,
		"1.2.840.113549.1.1.5":  crypto.SHA1,
		"1.2.840.113549.1.1.14": crypto.SHA224,
		"1.2.840.113549.1.1.11": crypto.SHA256,
		"1.2.840.113549.1.1.12": crypto.SHA384,
		"1.2.840.113549.1.1.13": crypto.SHA512,
	}
	ecdsaSigOIDs = map[string]crypto.Hash{
		"1.2.840.10045.4.1":   crypto.SHA1,
		"1.2.840.10045.4.3.1": crypto.SHA224,
		"1.2.840.10045.4.3.2": crypto.SHA256,
		"1.2.840.10045.4.3.3": crypto.SHA384,
		"1.2.840.10045.4.3.4": crypto.SHA512,
	}
)

// Errors of verifyCMS. errDigestMismatch and errBadSignature mean the signature is broken;
// errCannotVerify means the verifier cannot tell.
var (
	errDigestMismatch = errors.New("message digest mismatch")
	errBadSignature   = errors.New("the signature value does not verify")
	errCannotVerify   = errors.New("cannot verify")
)

func cannot(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errCannotVerify}, a...)...)
}

type cmsProfile int

const (
	profAdbeDetached cmsProfile = iota
	profCAdES
	profAdbeSHA1
	profTimestamp
)

// cmsResult is what a verified SignedData tells.
type cmsResult struct {
	Signer       *x509.Certificate
	Certificates []*x509.Certificate
	SigningTime  time.Time // the signing-time attribute (zero when absent)
	Content      []byte    // encapsulated content (timestamps, adbe.pkcs7.sha1)
	Digest       crypto.Hash
	Signature    []byte         // the signature value (what a signature timestamp covers)
	Unsigned     []cmsAttribute // unsigned attributes
}

// parseSignedData parses a DER (or BER) ContentInfo holding SignedData.
func parseSignedData(blob []byte) (*cmsSignedData, []byte, error) {
	der, err := berToDER(blob)
	if err != nil {
		return nil, nil, cannot("the CMS structure is not valid BER: %v", err)
	}
	var ci cmsContentInfo
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil || len(rest) != 0 {
		return nil, nil, cannot("the CMS structure cannot be parsed: %v", err)
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, nil, cannot("the CMS content is %v, not SignedData", ci.ContentType)
	}
	var sd cmsSignedData
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) != 0 {
		return nil, nil, cannot("SignedData cannot be parsed: %v", err)
	}
	return &sd, der, nil
}

// verifyCMS verifies a CMS SignedData over content (the byte range; ignored for profiles
// whose content is encapsulated).
func verifyCMS(blob, content []byte, prof cmsProfile) (*cmsResult, error) {
	sd, _, err := parseSignedData(blob)
	if err != nil {
		return nil, err
	}
	res := &cmsResult{}
	res.Certificates = parseCertificates(sd.Certificates.Bytes)
	if len(sd.SignerInfos) != 1 {
		return res, cannot("%d signer infos (one expected)", len(sd.SignerInfos))
	}
	si := sd.SignerInfos[0]
	res.Signature = si.Signature
	eType, eContent, hasContent, err := encapContent(sd.EncapContent.FullBytes)
	if err != nil {
		return res, err
	}
	switch prof {
	case profAdbeDetached, profCAdES:
		if !eType.Equal(oidData) {
			return res, cannot("encapsulated content type %v, not id-data", eType)
		}
		if hasContent {
			return res, cannot("a detached signature with encapsulated content: which bytes it signs is ambiguous")
		}
	case profAdbeSHA1:
		if !hasContent {
			return res, cannot("adbe.pkcs7.sha1 without the encapsulated digest")
		}
		var inner []byte
		if rest, err := asn1.Unmarshal(eContent, &inner); err == nil && len(rest) == 0 {
			eContent = inner
		}
		sum := sha1.Sum(content)
		if !bytes.Equal(eContent, sum[:]) {
			return res, errDigestMismatch
		}
		content = eContent
		res.Content = eContent
	case profTimestamp:
		if !eType.Equal(oidTSTInfo) || !hasContent {
			return res, cannot("a timestamp token without TSTInfo content")
		}
		content = eContent
		res.Content = eContent
	}
	cert := findSigner(si.SID, res.Certificates)
	if cert == nil {
		return res, cannot("the signer's certificate is not in the signature")
	}
	res.Signer = cert
	h, ok := hashOIDs[si.DigestAlgorithm.Algorithm.String()]
	if !ok || !h.Available() {
		return res, cannot("digest algorithm %v is not supported", si.DigestAlgorithm.Algorithm)
	}
	res.Digest = h
	if err := checkSignatureAlgorithm(si, h, cert); err != nil {
		return res, err
	}
	if len(si.UnsignedAttrs.FullBytes) > 0 {
		if _, err := asn1.UnmarshalWithParams(si.UnsignedAttrs.FullBytes, &res.Unsigned, "set,tag:1"); err != nil {
			return res, cannot("unsigned attributes cannot be parsed: %v", err)
		}
	}
	hh := h.New()
	hh.Write(content)
	digest := hh.Sum(nil)
	signed := content
	if len(si.SignedAttrs.FullBytes) == 0 {
		if prof == profCAdES || prof == profTimestamp {
			return res, cannot("signed attributes are required")
		}
	} else {
		attrs, err := signedAttributes(si.SignedAttrs.FullBytes)
		if err != nil {
			return res, err
		}
		ct, ok := attrs[oidContentType.String()]
		if !ok {
			return res, cannot("the content-type signed attribute is missing")
		}
		var ctv asn1.ObjectIdentifier
		if rest, err := asn1.Unmarshal(ct, &ctv); err != nil || len(rest) != 0 || !ctv.Equal(eType) {
			return res, cannot("the content-type attribute does not name the content")
		}
		md, ok := attrs[oidMessageDigest.String()]
		if !ok {
			return res, cannot("the message-digest signed attribute is missing")
		}
		var mdv []byte
		if rest, err := asn1.Unmarshal(md, &mdv); err != nil || len(rest) != 0 {
			return res, cannot("the message-digest attribute cannot be parsed")
		}
		if st, ok := attrs[oidSigningTime.String()]; ok {
			var t time.Time
			if _, err := asn1.Unmarshal(st, &t); err == nil {
				res.SigningTime = t
			}
		}
		if err := checkSigningCertificate(attrs, cert, prof); err != nil {
			return res, err
		}
		if ap, ok := attrs[oidAlgProtection.String()]; ok {
			if err := checkAlgProtection(ap, si); err != nil {
				return res, err
			}
		}
		if !bytes.Equal(mdv, digest) {
			return res, errDigestMismatch
		}
		// The signature covers the attributes as a SET (tag 0x31), not as [0] IMPLICIT.
		signed = bytes.Clone(si.SignedAttrs.FullBytes)
		signed[0] = 0x31
		hh = h.New()
		hh.Write(signed)
		digest = hh.Sum(nil)
	}
	if err := checkSignatureValue(cert, si, h, digest, signed); err != nil {
		return res, err
	}
	return res, nil
}

// parseCertificates reads the certificates of a SignedData (other certificate choices are
// skipped; an unparsable certificate is left out).
func parseCertificates(b []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for len(b) > 0 {
		var rv asn1.RawValue
		rest, err := asn1.Unmarshal(b, &rv)
		if err != nil {
			break
		}
		b = rest
		if rv.Class != asn1.ClassUniversal || rv.Tag != asn1.TagSequence {
			continue
		}
		if c, err := x509.ParseCertificate(rv.FullBytes); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// encapContent reads EncapsulatedContentInfo.
func encapContent(b []byte) (asn1.ObjectIdentifier, []byte, bool, error) {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(b, &seq); err != nil {
		return nil, nil, false, cannot("encapsulated content info: %v", err)
	}
	var t asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(seq.Bytes, &t)
	if err != nil {
		return nil, nil, false, cannot("encapsulated content type: %v", err)
	}
	if len(rest) == 0 {
		return t, nil, false, nil
	}
	var explicit asn1.RawValue
	if r2, err := asn1.Unmarshal(rest, &explicit); err != nil || len(r2) != 0 || explicit.Class != asn1.ClassContextSpecific || explicit.Tag != 0 {
		return nil, nil, false, cannot("encapsulated content cannot be parsed")
	}
	var os asn1.RawValue
	if r3, err := asn1.Unmarshal(explicit.Bytes, &os); err != nil || len(r3) != 0 || os.Tag != asn1.TagOctetString {
		return nil, nil, false, cannot("encapsulated content is not an OCTET STRING")
	}
	if !os.IsCompound {
		return t, os.Bytes, true, nil
	}
	// A constructed OCTET STRING (BER): its primitive parts, in order.
	var data []byte
	p := os.Bytes
	for len(p) > 0 {
		var part asn1.RawValue
		r, err := asn1.Unmarshal(p, &part)
		if err != nil || part.Tag != asn1.TagOctetString || part.IsCompound {
			return nil, nil, false, cannot("encapsulated content cannot be parsed")
		}
		data = append(data, part.Bytes...)
		p = r
	}
	return t, data, true, nil
}

// signedAttributes returns each attribute's single value; duplicates and multi-valued
// content-type, message-digest and signing-time are refused (RFC 5652 5.3, 11).
func signedAttributes(b []byte) (map[string][]byte, error) {
	var attrs []cmsAttribute
	if rest, err := asn1.UnmarshalWithParams(b, &attrs, "set,tag:0"); err != nil || len(rest) != 0 {
		return nil, cannot("signed attributes cannot be parsed: %v", err)
	}
	out := map[string][]byte{}
	for _, a := range attrs {
		k := a.Type.String()
		if _, dup := out[k]; dup {
			return nil, cannot("signed attribute %s appears twice", k)
		}
		var first asn1.RawValue
		rest, err := asn1.Unmarshal(a.Values.Bytes, &first)
		if err != nil {
			return nil, cannot("signed attribute %s cannot be parsed", k)
		}
		if len(rest) != 0 && (a.Type.Equal(oidContentType) || a.Type.Equal(oidMessageDigest) || a.Type.Equal(oidSigningTime)) {
			return nil, cannot("signed attribute %s has several values", k)
		}
		out[k] = first.FullBytes
	}
	return out, nil
}

type issuerSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

// checkSigningCertificate: ESS signing-certificate-v2 (RFC 5035) or signing-certificate
// (RFC 2634) names the signer's certificate by hash (and serial number when given).
// Required for CAdES (v2) and timestamps (either); checked whenever present.
func checkSigningCertificate(attrs map[string][]byte, cert *x509.Certificate, prof cmsProfile) error {
	v2, hasV2 := attrs[oidSigningCertV2.String()]
	v1, hasV1 := attrs[oidSigningCertificate.String()]
	switch {
	case prof == profCAdES && !hasV2:
		return cannot("the signing-certificate-v2 signed attribute is missing")
	case prof == profTimestamp && !hasV1 && !hasV2:
		return cannot("the timestamp has no signing-certificate attribute")
	}
	if hasV2 {
		h, hash, serial, err := firstCertID(v2, true)
		if err != nil {
			return err
		}
		if err := matchCertID(cert, h, hash, serial); err != nil {
			return err
		}
	}
	if hasV1 {
		_, hash, serial, err := firstCertID(v1, false)
		if err != nil {
			return err
		}
		if err := matchCertID(cert, crypto.SHA1, hash, serial); err != nil {
			return err
		}
	}
	return nil
}

// firstCertID reads the first ESSCertID(v2) of SigningCertificate(V2).
func firstCertID(b []byte, v2 bool) (crypto.Hash, []byte, *big.Int, error) {
	bad := cannot("the signing-certificate attribute cannot be parsed")
	var outer asn1.RawValue // SigningCertificate ::= SEQUENCE { certs SEQUENCE OF …, policies }
	if _, err := asn1.Unmarshal(b, &outer); err != nil || outer.Tag != asn1.TagSequence {
		return 0, nil, nil, bad
	}
	var certs asn1.RawValue
	if _, err := asn1.Unmarshal(outer.Bytes, &certs); err != nil || certs.Tag != asn1.TagSequence {
		return 0, nil, nil, bad
	}
	var id asn1.RawValue
	if _, err := asn1.Unmarshal(certs.Bytes, &id); err != nil || id.Tag != asn1.TagSequence {
		return 0, nil, nil, bad
	}
	p := id.Bytes
	h := crypto.SHA1
	if v2 {
		h = crypto.SHA256 // the DEFAULT
		var first asn1.RawValue
		if _, err := asn1.Unmarshal(p, &first); err != nil {
			return 0, nil, nil, bad
		}
		if first.Tag == asn1.TagSequence {
			var alg pkix.AlgorithmIdentifier
			rest, err := asn1.Unmarshal(p, &alg)
			if err != nil {
				return 0, nil, nil, bad
			}
			var ok bool
			if h, ok = hashOIDs[alg.Algorithm.String()]; !ok {
				return 0, nil, nil, cannot("signing-certificate-v2 uses digest %v", alg.Algorithm)
			}
			p = rest
		}
	}
	var hash []byte
	rest, err := asn1.Unmarshal(p, &hash)
	if err != nil {
		return 0, nil, nil, bad
	}
	var serial *big.Int
	if len(rest) > 0 {
		var is issuerSerial
		if _, err := asn1.Unmarshal(rest, &is); err != nil {
			return 0, nil, nil, bad
		}
		serial = is.Serial
	}
	return h, hash, serial, nil
}

func matchCertID(cert *x509.Certificate, h crypto.Hash, hash []byte, serial *big.Int) error {
	if !h.Available() {
		return cannot("signing-certificate digest not available")
	}
	hh := h.New()
	hh.Write(cert.Raw)
	if !bytes.Equal(hh.Sum(nil), hash) {
		return fmt.Errorf("%w: the signing-certificate attribute names another certificate", errBadSignature)
	}
	if serial != nil && cert.SerialNumber != nil && serial.Cmp(cert.SerialNumber) != 0 {
		return fmt.Errorf("%w: the signing-certificate attribute names another serial number", errBadSignature)
	}
	return nil
}

// checkAlgProtection: the CMS algorithm protection attribute (RFC 6211) repeats the
// SignerInfo's algorithms.
func checkAlgProtection(b []byte, si cmsSignerInfo) error {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(b, &seq); err != nil {
		return cannot("the algorithm protection attribute cannot be parsed")
	}
	var dig pkix.AlgorithmIdentifier
	rest, err := asn1.Unmarshal(seq.Bytes, &dig)
	if err != nil || !dig.Algorithm.Equal(si.DigestAlgorithm.Algorithm) {
		return fmt.Errorf("%w: the algorithm protection attribute names another digest", errBadSignature)
	}
	if len(rest) > 0 {
		var sig asn1.RawValue
		if _, err := asn1.Unmarshal(rest, &sig); err == nil && sig.Class == asn1.ClassContextSpecific && sig.Tag == 1 {
			var oid asn1.ObjectIdentifier
			if _, err := asn1.Unmarshal(sig.Bytes, &oid); err == nil && !oid.Equal(si.SignatureAlgorithm.Algorithm) {
				return fmt.Errorf("%w: the algorithm protection attribute names another signature algorithm", errBadSignature)
			}
		}
	}
	return nil
}

// checkSignatureAlgorithm: the identifier is a signature algorithm for the key of cert
// whose digest is h.
func checkSignatureAlgorithm(si cmsSignerInfo, h crypto.Hash, cert *x509.Certificate) error {
	oid := si.SignatureAlgorithm.Algorithm
	switch cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if oid.Equal(oidRSAPSS) {
			ph, _, err := pssParams(si.SignatureAlgorithm)
			if err != nil {
				return err
			}
			if ph != h {
				return cannot("RSASSA-PSS with %v over a %v digest", ph, h)
			}
			return nil
		}
		sh, ok := rsaSigOIDs[oid.String()]
		if !ok {
			return cannot("signature algorithm %v is not an RSA signature algorithm", oid)
		}
		if sh != 0 && sh != h {
			return cannot("signature algorithm %v does not use the digest algorithm %v", oid, h)
		}
	case *ecdsa.PublicKey:
		sh, ok := ecdsaSigOIDs[oid.String()]
		if !ok {
			return cannot("signature algorithm %v is not an ECDSA signature algorithm", oid)
		}
		if sh != h {
			return cannot("signature algorithm %v does not use the digest algorithm %v", oid, h)
		}
	case ed25519.PublicKey:
		if !oid.Equal(oidEd25519) || h != crypto.SHA512 {
			return cannot("an Ed25519 key needs id-Ed25519 with SHA-512 (RFC 8419)")
		}
		if len(si.SignedAttrs.FullBytes) == 0 {
			return cannot("Ed25519 without signed attributes")
		}
	default:
		return cannot("unsupported key type %T", cert.PublicKey)
	}
	return nil
}

type pssParameters struct {
	Hash         pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:0"`
	MGF          pkix.AlgorithmIdentifier `asn1:"optional,explicit,tag:1"`
	SaltLength   int                      `asn1:"optional,explicit,tag:2,default:20"`
	TrailerField int                      `asn1:"optional,explicit,tag:3,default:1"`
}

// pssParams reads RSASSA-PSS parameters (RFC 4055): the hash, MGF1 with the same hash.
func pssParams(alg pkix.AlgorithmIdentifier) (crypto.Hash, int, error) {
	var p pssParameters
	if len(alg.Parameters.FullBytes) > 0 {
		if _, err := asn1.Unmarshal(alg.Parameters.FullBytes, &p); err != nil {
			return 0, 0, cannot("RSASSA-PSS parameters cannot be parsed")
		}
	} else {
		p.SaltLength, p.TrailerField = 20, 1
	}
	h := crypto.SHA1
	if len(p.Hash.Algorithm) > 0 {
		var ok bool
		if h, ok = hashOIDs[p.Hash.Algorithm.String()]; !ok {
			return 0, 0, cannot("RSASSA-PSS with digest %v", p.Hash.Algorithm)
		}
	}
	mh := crypto.SHA1
	if len(p.MGF.Algorithm) > 0 {
		if !p.MGF.Algorithm.Equal(oidMGF1) {
			return 0, 0, cannot("RSASSA-PSS with mask generation %v", p.MGF.Algorithm)
		}
		var ma pkix.AlgorithmIdentifier
		if _, err := asn1.Unmarshal(p.MGF.Parameters.FullBytes, &ma); err != nil {
			return 0, 0, cannot("RSASSA-PSS MGF1 parameters cannot be parsed")
		}
		var ok bool
		if mh, ok = hashOIDs[ma.Algorithm.String()]; !ok {
			return 0, 0, cannot("RSASSA-PSS MGF1 with digest %v", ma.Algorithm)
		}
	}
	if mh != h || p.TrailerField != 1 || p.SaltLength < 0 {
		return 0, 0, cannot("RSASSA-PSS parameters not supported")
	}
	return h, p.SaltLength, nil
}

func checkSignatureValue(cert *x509.Certificate, si cmsSignerInfo, h crypto.Hash, digest, signed []byte) error {
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if si.SignatureAlgorithm.Algorithm.Equal(oidRSAPSS) {
			_, salt, _ := pssParams(si.SignatureAlgorithm)
			if err := rsa.VerifyPSS(pub, h, digest, si.Signature, &rsa.PSSOptions{SaltLength: salt, Hash: h}); err != nil {
				return errBadSignature
			}
			return nil
		}
		if err := rsa.VerifyPKCS1v15(pub, h, digest, si.Signature); err != nil {
			return errBadSignature
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest, si.Signature) {
			return errBadSignature
		}
	case ed25519.PublicKey:
		if !ed25519.Verify(pub, signed, si.Signature) {
			return errBadSignature
		}
	default:
		return cannot("unsupported key type %T", cert.PublicKey)
	}
	return nil
}

func findSigner(sid asn1.RawValue, certs []*x509.Certificate) *x509.Certificate {
	if sid.Class == asn1.ClassContextSpecific && sid.Tag == 0 { // subjectKeyIdentifier
		for _, c := range certs {
			if len(c.SubjectKeyId) > 0 && bytes.Equal(c.SubjectKeyId, sid.Bytes) {
				return c
			}
		}
		return nil
	}
	var ias issuerAndSerial
	if _, err := asn1.Unmarshal(sid.FullBytes, &ias); err != nil || ias.Serial == nil {
		return nil
	}
	for _, c := range certs {
		if c.SerialNumber != nil && c.SerialNumber.Cmp(ias.Serial) == 0 && bytes.Equal(c.RawIssuer, ias.Issuer.FullBytes) {
			return c
		}
	}
	return nil
}

type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint struct {
		HashAlgorithm pkix.AlgorithmIdentifier
		HashedMessage []byte
	}
	SerialNumber *big.Int
	GenTime      time.Time `asn1:"generalized"`
	Accuracy     struct {
		Seconds int `asn1:"optional"`
		Millis  int `asn1:"optional,tag:0"`
		Micros  int `asn1:"optional,tag:1"`
	} `asn1:"optional"`
	Ordering   bool          `asn1:"optional"`
	Nonce      *big.Int      `asn1:"optional"`
	TSA        asn1.RawValue `asn1:"optional,explicit,tag:0"`
	Extensions asn1.RawValue `asn1:"optional,tag:1"`
}

// timestampToken is a verified RFC 3161 token.
type timestampToken struct {
	Time   time.Time
	Signer *x509.Certificate
	Certs  []*x509.Certificate
}

// verifyTimestamp verifies an RFC 3161 token (strict CMS) and that it timestamps data.
func verifyTimestamp(token, data []byte) (*timestampToken, error) {
	res, err := verifyCMS(token, nil, profTimestamp)
	tt := &timestampToken{}
	if res != nil {
		tt.Signer, tt.Certs = res.Signer, res.Certificates
	}
	if err != nil {
		return tt, err
	}
	var info tstInfo
	if rest, err := asn1.Unmarshal(res.Content, &info); err != nil || len(rest) != 0 {
		return tt, cannot("TSTInfo cannot be parsed: %v", err)
	}
	h, ok := hashOIDs[info.MessageImprint.HashAlgorithm.Algorithm.String()]
	if !ok || !h.Available() {
		return tt, cannot("the timestamp's imprint uses digest %v", info.MessageImprint.HashAlgorithm.Algorithm)
	}
	hh := h.New()
	hh.Write(data)
	if !bytes.Equal(hh.Sum(nil), info.MessageImprint.HashedMessage) {
		return tt, errDigestMismatch
	}
	tt.Time = info.GenTime
	return tt, nil
}

// signatureTimestamp finds an RFC 3161 signature timestamp (unsigned attribute) and checks
// it strictly and that it covers the signature value. ok is false when there is none.
func signatureTimestamp(res *cmsResult) (tt *timestampToken, ok bool, err error) {
	for _, a := range res.Unsigned {
		if !a.Type.Equal(oidSignatureTimeStamp) {
			continue
		}
		var tok asn1.RawValue
		if _, err := asn1.Unmarshal(a.Values.Bytes, &tok); err != nil {
			return nil, true, fmt.Errorf("signature timestamp: %v", err)
		}
		tt, err := verifyTimestamp(tok.FullBytes, res.Signature)
		if err != nil {
			if errors.Is(err, errDigestMismatch) {
				return nil, true, errors.New("signature timestamp does not cover this signature")
			}
			return nil, true, fmt.Errorf("signature timestamp: %v", err)
		}
		return tt, true, nil
	}
	return nil, false, nil
}

// berToDER re-encodes BER as DER where the length form is BER-only: indefinite lengths become
// definite. Every element that needs no change keeps its bytes exactly (DER parts, such as
// the signed attributes, stay as signed; a non-minimal definite length is left for the DER
// parser to refuse).
func berToDER(b []byte) ([]byte, error) {
	out, n, _, err := berElement(b, 0)
	if err != nil {
		return nil, err
	}
	if n != len(b) {
		return nil, errors.New("trailing data")
	}
	return out, nil
}

func berElement(b []byte, depth int) (out []byte, used int, changed bool, err error) {
	if depth > 64 {
		return nil, 0, false, errors.New("nested too deep")
	}
	if len(b) < 2 {
		return nil, 0, false, errors.New("truncated")
	}
	i := 1
	if b[0]&0x1F == 0x1F {
		for i < len(b) && b[i]&0x80 != 0 {
			i++
			if i > 5 {
				return nil, 0, false, errors.New("tag too long")
			}
		}
		i++
	}
	if i >= len(b) {
		return nil, 0, false, errors.New("truncated")
	}
	tag := b[:i]
	constructed := b[0]&0x20 != 0
	l := b[i]
	i++
	if l == 0x80 {
		if !constructed {
			return nil, 0, false, errors.New("indefinite length on a primitive")
		}
		var parts []byte
		p := i
		for {
			if p+1 >= len(b) {
				return nil, 0, false, errors.New("missing end of contents")
			}
			if b[p] == 0 && b[p+1] == 0 {
				p += 2
				break
			}
			e, n, _, err := berElement(b[p:], depth+1)
			if err != nil {
				return nil, 0, false, err
			}
			parts = append(parts, e...)
			p += n
		}
		out = append(append([]byte{}, tag...), lengthBytes(len(parts))...)
		return append(out, parts...), p, true, nil
	}
	n := int(l)
	if l > 0x80 {
		k := int(l & 0x7F)
		if k > 4 || i+k > len(b) {
			return nil, 0, false, errors.New("bad length")
		}
		n = 0
		for j := 0; j < k; j++ {
			n = n<<8 | int(b[i+j])
		}
		i += k
	}
	if n < 0 || i+n > len(b) || i+n < i {
		return nil, 0, false, errors.New("length past the end")
	}
	body := b[i : i+n]
	used = i + n
	if !constructed {
		return b[:used], used, false, nil
	}
	var parts []byte
	for p := 0; p < len(body); {
		e, m, ch, err := berElement(body[p:], depth+1)
		if err != nil {
			return nil, 0, false, err
		}
		changed = changed || ch
		parts = append(parts, e...)
		p += m
	}
	if !changed {
		return b[:used], used, false, nil
	}
	out = append(append([]byte{}, tag...), lengthBytes(len(parts))...)
	return append(out, parts...), used, true, nil
}

func lengthBytes(n int) []byte {
	if n < 0x80 {
		return []byte{byte(n)}
	}
	var tmp []byte
	for m := n; m > 0; m >>= 8 {
		tmp = append([]byte{byte(m)}, tmp...)
	}
	return append([]byte{0x80 | byte(len(tmp))}, tmp...)
}
