package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// TestStrictCMS signs the same PDF with CMS structures that break one rule each (test
// signer: testsigner_test.go) and checks the verdict, with pdfsig's beside it.
func TestStrictCMS(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.signer(t, "Lê Thị Ĩ", "ecdsa")
	base := unsignedPDF(t)
	type want int
	const (
		intact want = iota
		cannotVerify
		broken
	)
	for _, tc := range []struct {
		name string
		sig  testSig
		want want
	}{
		{"adbe.pkcs7.detached, all attributes", testSig{}, intact},
		{"ETSI.CAdES.detached, all attributes", testSig{SubFilter: "ETSI.CAdES.detached"}, intact},
		{"adbe.pkcs7.detached without signed attributes", testSig{NoSignedAttrs: true}, intact},
		{"adbe.pkcs7.detached without signing-certificate-v2", testSig{NoSigningCertV2: true}, intact},
		{"ETSI.CAdES.detached without signing-certificate-v2", testSig{SubFilter: "ETSI.CAdES.detached", NoSigningCertV2: true}, cannotVerify},
		{"ETSI.CAdES.detached without signed attributes", testSig{SubFilter: "ETSI.CAdES.detached", NoSignedAttrs: true}, cannotVerify},
		{"content-type attribute missing", testSig{NoContentType: true}, cannotVerify},
		{"signing-certificate-v2 names another certificate", testSig{SubFilter: "ETSI.CAdES.detached", WrongCertHash: true}, broken},
		{"signature algorithm for another key type", testSig{SigAlg: oidRSASHA256}, cannotVerify},
		{"a key algorithm as signature algorithm", testSig{SigAlg: asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}}, cannotVerify},
		{"a signature algorithm as digest algorithm", testSig{DigestAlg: oidRSASHA256}, cannotVerify},
		{"message digest of other bytes", testSig{WrongDigest: true}, broken},
		{"detached with encapsulated content", testSig{EncapsulateEmpty: true}, cannotVerify},
		{"unsupported SubFilter", testSig{SubFilter: "adbe.x509.rsa_sha1"}, cannotVerify},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.sig.Name, tc.sig.Reason = "Lê Thị Ĩ", "Kiểm tra"
			out := testSignPDF(t, base, s.Key, s.Chain, tc.sig)
			rep, err := Verify(out, VerifyOptions{Roots: pki.roots()})
			if err != nil || len(rep.Signatures) != 1 {
				t.Fatalf("%v %+v", err, rep)
			}
			r := rep.Signatures[0]
			t.Logf("sohoa: intact=%v cannot-verify=%v problems=%q | pdfsig: %s", r.Intact, r.CannotVerify, r.Problems, pdfsigVerdict(pdfsig(t, out)))
			switch tc.want {
			case intact:
				if !r.Intact || !rep.Trusted || r.Name != "Lê Thị Ĩ" {
					t.Fatalf("want intact and trusted: %+v", r)
				}
			case cannotVerify:
				if r.Intact || !r.CannotVerify || rep.Trusted {
					t.Fatalf("want cannot verify: %+v", r)
				}
			case broken:
				if r.Intact || r.CannotVerify || r.SignatureValid && r.DigestValid {
					t.Fatalf("want broken: %+v", r)
				}
			}
		})
	}
}

// tsaToken returns an RFC 3161 token over data made by a TSA of pki (with its certificate
// in the token or not).
func tsaToken(t testing.TB, pki *testPKI, data []byte, withCert bool) []byte {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "SoHoa Test TSA"}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}, pki.Root, key.Public(), pki.rootKey)
	sum := crypto.SHA256.New()
	sum.Write(data)
	ts := timestamp.Timestamp{HashAlgorithm: crypto.SHA256, HashedMessage: sum.Sum(nil), Time: time.Now().UTC().Truncate(time.Second),
		Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, SerialNumber: big.NewInt(time.Now().UnixNano()), AddTSACertificate: withCert}
	resp, err := ts.CreateResponseWithOpts(cert, key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Status asn1.RawValue
		Token  asn1.RawValue
	}
	if _, err := asn1.Unmarshal(resp, &r); err != nil {
		t.Fatal(err)
	}
	return r.Token.FullBytes
}

// TestDocumentTimestampStrict: a document timestamp verifies through the strict CMS path; one
// whose token carries no certificate cannot be verified (digitorus/timestamp would accept it
// without checking its signature at all).
func TestDocumentTimestampStrict(t *testing.T) {
	pki := newTestPKI(t)
	signed, err := Sign(unsignedPDF(t), pki.signer(t, "Lê Thị Ĩ", "ecdsa"), SignInfo{Name: "Lê Thị Ĩ"})
	if err != nil {
		t.Fatal(err)
	}
	for _, withCert := range []bool{true, false} {
		out := testSignPDF(t, signed, nil, nil, testSig{SubFilter: "ETSI.RFC3161", Token: func(b []byte) []byte { return tsaToken(t, pki, b, withCert) }})
		rep, err := Verify(out, VerifyOptions{Roots: pki.roots()})
		if err != nil || len(rep.Signatures) != 2 {
			t.Fatalf("%v %+v", err, rep)
		}
		first, dts := rep.Signatures[0], rep.Signatures[1]
		t.Logf("with certificate %v: first %v %q allowed %v; timestamp intact=%v %q; pdfsig: %s", withCert, first.Intact, first.Changes, first.AllowedChanges, dts.Intact, dts.Problems, pdfsigVerdict(pdfsig(t, out)))
		if !first.Intact || !dts.Timestamp {
			t.Fatalf("a document timestamp must not break the signature before it: %+v", first)
		}
		if withCert && (!dts.Intact || !dts.Trusted || dts.SigningTime.IsZero()) {
			t.Errorf("timestamp with certificate: %+v", dts)
		}
		if !withCert && (dts.Intact || !dts.CannotVerify) {
			t.Errorf("timestamp without certificate: %+v", dts)
		}
	}
}

// TestEncryptedSignedPDF: an AES-256 encrypted PDF (qpdf, empty user password) signed with
// its signature dictionary's strings encrypted, as ISO 32000-2 7.6 wants: the signer's name
// and reason are shown decrypted.
func TestEncryptedSignedPDF(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.signer(t, "Lê Thị Ĩ", "ecdsa")
	dir := t.TempDir()
	plain, enc := filepath.Join(dir, "plain.pdf"), filepath.Join(dir, "enc.pdf")
	if err := os.WriteFile(plain, unsignedPDF(t), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "qpdf", "--encrypt", "", "chu-so-huu", "256", "--", plain, enc)
	in, err := os.ReadFile(enc)
	if err != nil {
		t.Fatal(err)
	}
	out := testSignPDF(t, in, s.Key, s.Chain, testSig{SubFilter: "ETSI.CAdES.detached", Name: "Lê Thị Ĩ", Reason: "Phê duyệt hồ sơ"})
	if bytes.Contains(out, utf16Text("Lê Thị Ĩ")) {
		t.Fatal("the name is stored in clear")
	}
	sig := pdfsig(t, out)
	if !strings.Contains(sig, "Signature is Valid") || !strings.Contains(sig, "Total document signed") {
		t.Fatalf("pdfsig does not accept the encrypted signed file:\n%s", sig)
	}
	path := writeTemp(t, "enc-signed.pdf", out)
	run(t, "qpdf", "--check", path)
	rep, err := Verify(out, VerifyOptions{Roots: pki.roots()})
	if err != nil || !rep.Intact || !rep.Trusted {
		t.Fatalf("%v %+v", err, rep)
	}
	r := rep.Signatures[0]
	if r.Name != "Lê Thị Ĩ" || r.Reason != "Phê duyệt hồ sơ" || r.SigningTime.IsZero() {
		t.Errorf("strings not decrypted: name %q reason %q", r.Name, r.Reason)
	}
	// A change after signing is seen in the encrypted file too.
	two := appendUpdate(t, out, contentObject(t, unsignedPDF(t)), "<< /Length 0 >>\nstream\n\nendstream")
	if rep, err := Verify(two, VerifyOptions{IntegrityOnly: true}); err != nil || rep.Intact || !rep.Signatures[0].ModifiedAfterSigning {
		t.Errorf("change in the encrypted file not seen: %v %+v", err, rep)
	}
}
