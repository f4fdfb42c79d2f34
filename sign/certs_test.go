package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"
)

var oidDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// testPKI is a small CA chain made in the test: root -> intermediate -> signer.
type testPKI struct {
	Root, Inter *x509.Certificate
	rootKey     crypto.Signer
	interKey    crypto.Signer
}

var serial int64 = 100

func newCert(t testing.TB, tmpl *x509.Certificate, parent *x509.Certificate, pub crypto.PublicKey, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	}
	if parent == nil {
		parent = tmpl
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newTestPKI(t testing.TB) *testPKI {
	rk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "SoHoa Test Root CA", Organization: []string{"SoHoa test"}},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, nil, rk.Public(), rk)
	ik, _ := rsa.GenerateKey(rand.Reader, 2048)
	inter := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "SoHoa Test Issuing CA"},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, root, ik.Public(), rk)
	return &testPKI{Root: root, Inter: inter, rootKey: rk, interKey: ik}
}

// signer issues a signing certificate for name with an RSA-2048 ("rsa") or ECDSA P-256 key.
func (p *testPKI) signer(t testing.TB, name, alg string) Signer {
	var key crypto.Signer
	switch alg {
	case "rsa":
		key, _ = rsa.GenerateKey(rand.Reader, 2048)
	default:
		key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	leaf := p.leaf(t, name, key.Public())
	s, err := NewSigner(key, []*x509.Certificate{leaf, p.Inter})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (p *testPKI) leaf(t testing.TB, name string, pub crypto.PublicKey) *x509.Certificate {
	return newCert(t, &x509.Certificate{
		Subject:            pkix.Name{CommonName: name, Organization: []string{"Ủy ban nhân dân"}, Country: []string{"VN"}},
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection, x509.ExtKeyUsageClientAuth},
		UnknownExtKeyUsage: []asn1.ObjectIdentifier{oidDocumentSigning},
	}, p.Inter, pub, p.interKey)
}

func (p *testPKI) roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.Root)
	return pool
}
