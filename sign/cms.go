package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/digitorus/timestamp"
)

// A second, stricter-to-the-bytes CMS SignerInfo check used when digitorus/pkcs7 refuses a
// signature: pkcs7 re-encodes the signed attributes before checking the signature (which
// breaks when the signer's encoding was not canonical), does not know RSASSA-PSS, and fails
// integrity when the claimed signing time is outside the certificate's validity (a trust
// question, reported separately here). This path reads the DER as signed.

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
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidRSAPSS        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	hashOIDs         = map[string]crypto.Hash{
		"1.3.14.3.2.26":          crypto.SHA1,
		"2.16.840.1.101.3.4.2.1": crypto.SHA256,
		"2.16.840.1.101.3.4.2.2": crypto.SHA384,
		"2.16.840.1.101.3.4.2.3": crypto.SHA512,
		"2.16.840.1.101.3.4.2.4": crypto.SHA224,
	}
)

// errDigestMismatch: the signed messageDigest differs from the digest of the content.
var errDigestMismatch = errors.New("message digest mismatch")

// verifyCMSRaw checks the (single) SignerInfo of a DER-encoded SignedData over content.
func verifyCMSRaw(der, content []byte, certs []*x509.Certificate) (*x509.Certificate, error) {
	var ci cmsContentInfo
	if _, err := asn1.Unmarshal(der, &ci); err != nil {
		return nil, err
	}
	var sd cmsSignedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, err
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("%d signer infos", len(sd.SignerInfos))
	}
	si := sd.SignerInfos[0]
	cert := findSigner(si.SID, certs)
	if cert == nil {
		return nil, errors.New("no certificate for signer")
	}
	h, ok := hashOIDs[si.DigestAlgorithm.Algorithm.String()]
	if !ok || !h.Available() {
		return nil, fmt.Errorf("unsupported digest %v", si.DigestAlgorithm.Algorithm)
	}
	hh := h.New()
	hh.Write(content)
	digest := hh.Sum(nil)
	signed := content
	if len(si.SignedAttrs.FullBytes) > 0 {
		var attrs []cmsAttribute
		if _, err := asn1.UnmarshalWithParams(si.SignedAttrs.FullBytes, &attrs, "set,tag:0"); err != nil {
			return nil, err
		}
		var md []byte
		for _, a := range attrs {
			if a.Type.Equal(oidMessageDigest) {
				if _, err := asn1.Unmarshal(a.Values.Bytes, &md); err != nil {
					return nil, err
				}
			}
		}
		if !bytes.Equal(md, digest) {
			return cert, errDigestMismatch
		}
		// The signature covers the attributes as a SET (tag 0x31), not [0] IMPLICIT.
		signed = bytes.Clone(si.SignedAttrs.FullBytes)
		signed[0] = 0x31
		hh = h.New()
		hh.Write(signed)
		digest = hh.Sum(nil)
	}
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if si.SignatureAlgorithm.Algorithm.Equal(oidRSAPSS) {
			return cert, rsa.VerifyPSS(pub, h, digest, si.Signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		}
		return cert, rsa.VerifyPKCS1v15(pub, h, digest, si.Signature)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest, si.Signature) {
			return cert, errors.New("ECDSA signature does not verify")
		}
		return cert, nil
	}
	return cert, fmt.Errorf("unsupported key type %T", cert.PublicKey)
}

func findSigner(sid asn1.RawValue, certs []*x509.Certificate) *x509.Certificate {
	if sid.Class == asn1.ClassContextSpecific && sid.Tag == 0 { // subjectKeyIdentifier
		for _, c := range certs {
			if bytes.Equal(c.SubjectKeyId, sid.Bytes) {
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

var oidSignatureTimeStamp = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}

// signatureTimestamp finds an RFC 3161 signature timestamp (unsigned attribute) in a DER
// SignedData and checks that it covers the signature value. ok is false when there is none.
func signatureTimestamp(der []byte) (t time.Time, ok bool, err error) {
	var ci cmsContentInfo
	if _, err := asn1.Unmarshal(der, &ci); err != nil {
		return t, false, nil
	}
	var sd cmsSignedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(sd.SignerInfos) != 1 {
		return t, false, nil
	}
	si := sd.SignerInfos[0]
	if len(si.UnsignedAttrs.FullBytes) == 0 {
		return t, false, nil
	}
	var attrs []cmsAttribute
	if _, err := asn1.UnmarshalWithParams(si.UnsignedAttrs.FullBytes, &attrs, "set,tag:1"); err != nil {
		return t, false, nil
	}
	for _, a := range attrs {
		if !a.Type.Equal(oidSignatureTimeStamp) {
			continue
		}
		ts, err := timestamp.Parse(a.Values.Bytes)
		if err != nil {
			return t, true, fmt.Errorf("signature timestamp: %v", err)
		}
		if !ts.HashAlgorithm.Available() {
			return t, true, errors.New("signature timestamp: unsupported digest")
		}
		h := ts.HashAlgorithm.New()
		h.Write(si.Signature)
		if !bytes.Equal(h.Sum(nil), ts.HashedMessage) {
			return t, true, errors.New("signature timestamp does not cover this signature")
		}
		return ts.Time, true, nil
	}
	return t, false, nil
}
