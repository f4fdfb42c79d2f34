package sign

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

var oidTimeStamping = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}

func writePEM(t *testing.T, path, typ string, ders ...[]byte) {
	t.Helper()
	var b []byte
	for _, d := range ders {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: d})...)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// opensslTSA is a real RFC 3161 responder: OpenSSL's `openssl ts -reply` behind a small HTTP
// wrapper. Its certificate (critical extended key usage timeStamping, as OpenSSL requires)
// is issued by pki's intermediate CA. It returns the URL and the folder with root.pem and
// untrusted.pem (intermediate and TSA certificates) for `openssl ts -verify`.
func opensslTSA(t *testing.T, pki *testPKI) (url, dir string) {
	dir = t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	eku, _ := asn1.Marshal([]asn1.ObjectIdentifier{oidTimeStamping})
	cert := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "SoHoa Test TSA (OpenSSL)"},
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Critical: true, Value: eku}}},
		pki.Inter, key.Public(), pki.interKey)
	k8, _ := x509.MarshalPKCS8PrivateKey(key)
	writePEM(t, filepath.Join(dir, "tsa.key"), "PRIVATE KEY", k8)
	writePEM(t, filepath.Join(dir, "tsa.pem"), "CERTIFICATE", cert.Raw)
	writePEM(t, filepath.Join(dir, "chain.pem"), "CERTIFICATE", pki.Inter.Raw)
	writePEM(t, filepath.Join(dir, "untrusted.pem"), "CERTIFICATE", pki.Inter.Raw, cert.Raw)
	writePEM(t, filepath.Join(dir, "root.pem"), "CERTIFICATE", pki.Root.Raw)
	if err := os.WriteFile(filepath.Join(dir, "serial"), []byte("01\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cnf := fmt.Sprintf(`[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = %s
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
certs = $dir/chain.pem
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`, dir)
	if err := os.WriteFile(filepath.Join(dir, "ts.cnf"), []byte(cnf), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/timestamp-query" {
			http.Error(w, "not a timestamp query", http.StatusBadRequest)
			return
		}
		q, resp := filepath.Join(dir, "q.tsq"), filepath.Join(dir, "r.tsr")
		if err := os.WriteFile(q, body, 0o600); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		out, err := exec.Command("openssl", "ts", "-reply", "-config", filepath.Join(dir, "ts.cnf"), "-queryfile", q, "-out", resp).CombinedOutput()
		if err != nil {
			http.Error(w, string(out), http.StatusInternalServerError)
			return
		}
		data, _ := os.ReadFile(resp)
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, dir
}

// signerInfoOf extracts the SignerInfo of the CMS in the signature at byte range br.
func signerInfoOf(t *testing.T, pdf []byte, br []int64) (cmsSignerInfo, map[string][]byte) {
	t.Helper()
	raw, err := hex.DecodeString(string(pdf[br[1]+1 : br[2]-1]))
	if err != nil {
		t.Fatal(err)
	}
	var ci cmsContentInfo
	if _, err := asn1.Unmarshal(raw, &ci); err != nil { // the rest is the zero padding
		t.Fatal(err)
	}
	var sd cmsSignedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(sd.SignerInfos) != 1 {
		t.Fatalf("SignedData: %v", err)
	}
	si := sd.SignerInfos[0]
	attrs, err := signedAttributes(si.SignedAttrs.FullBytes)
	if err != nil {
		t.Fatal(err)
	}
	return si, attrs
}

// TestPAdESBaselineBT: a B-T signature with a timestamp from OpenSSL's TSA. Our verifier and
// pdfsig both report ETSI.CAdES.detached; the CMS has the baseline's attributes and no
// signing-time; `openssl ts -verify` verifies the extracted token against the signature
// value it timestamps.
func TestPAdESBaselineBT(t *testing.T) {
	pki := newTestPKI(t)
	url, dir := opensslTSA(t, pki)
	for _, alg := range []string{"rsa", "ecdsa"} {
		t.Run(alg, func(t *testing.T) {
			s := pki.signer(t, "Trần Thị Ĩ", alg)
			s.TSAURL = url // the default profile with a TSA is B-T
			when := time.Date(2026, 12, 4, 9, 30, 0, 0, time.FixedZone("ICT", 7*3600))
			out, err := Sign(unsignedPDF(t), s, SignInfo{Name: "Trần Thị Ĩ", Reason: "Phê duyệt", Time: when})
			if err != nil {
				t.Fatal(err)
			}
			sig := pdfsig(t, out)
			if !strings.Contains(sig, "Signature Type: ETSI.CAdES.detached") || !strings.Contains(sig, "Signature is Valid") {
				t.Fatalf("pdfsig:\n%s", sig)
			}
			path := writeTemp(t, "bt.pdf", out)
			run(t, "qpdf", "--check", path)
			rep, err := Verify(out, VerifyOptions{Roots: pki.roots()})
			if err != nil || !rep.Trusted {
				t.Fatalf("%+v %v", rep, err)
			}
			r := rep.Signatures[0]
			if r.SubFilter != "ETSI.CAdES.detached" || r.Level != "B-T" || r.TimestampTime.IsZero() {
				t.Fatalf("subfilter %q level %q timestamp %v problems %v", r.SubFilter, r.Level, r.TimestampTime, r.Problems)
			}
			if !r.SigningTime.Equal(when) { // from /M
				t.Errorf("signing time %v, want %v (/M)", r.SigningTime, when)
			}
			si, attrs := signerInfoOf(t, out, r.ByteRange)
			if _, ok := attrs[oidSigningTime.String()]; ok {
				t.Error("the CMS has a signing-time attribute")
			}
			for _, o := range []asn1.ObjectIdentifier{oidContentType, oidMessageDigest, oidSigningCertV2} {
				if _, ok := attrs[o.String()]; !ok {
					t.Errorf("signed attribute %v missing", o)
				}
			}
			if len(attrs) != 3 {
				t.Errorf("%d signed attributes, want 3", len(attrs))
			}
			var unsigned []cmsAttribute
			if _, err := asn1.UnmarshalWithParams(si.UnsignedAttrs.FullBytes, &unsigned, "set,tag:1"); err != nil || len(unsigned) != 1 || !unsigned[0].Type.Equal(oidSignatureTimeStamp) {
				t.Fatalf("unsigned attributes: %v %v", unsigned, err)
			}
			var tok asn1.RawValue
			if _, err := asn1.Unmarshal(unsigned[0].Values.Bytes, &tok); err != nil {
				t.Fatal(err)
			}
			tokPath := filepath.Join(dir, alg+".tst")
			dataPath := filepath.Join(dir, alg+".sig")
			os.WriteFile(tokPath, tok.FullBytes, 0o600)
			os.WriteFile(dataPath, si.Signature, 0o600)
			v := run(t, "openssl", "ts", "-verify", "-in", tokPath, "-token_in", "-data", dataPath,
				"-CAfile", filepath.Join(dir, "root.pem"), "-untrusted", filepath.Join(dir, "untrusted.pem"))
			if !strings.Contains(v, "Verification: OK") {
				t.Fatalf("openssl ts -verify:\n%s", v)
			}
			// The token does not verify for other data.
			os.WriteFile(dataPath, append([]byte{1}, si.Signature...), 0o600)
			if o, err := execOutput("openssl", "ts", "-verify", "-in", tokPath, "-token_in", "-data", dataPath,
				"-CAfile", filepath.Join(dir, "root.pem"), "-untrusted", filepath.Join(dir, "untrusted.pem")); err == nil {
				t.Fatalf("openssl ts -verify accepted other data:\n%s", o)
			}
		})
	}
}

// TestPAdESBaselineBB: offline, no TSA: B-B; the old adbe profile stays available; B-T
// without a TSA is refused.
func TestPAdESBaselineBB(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.signer(t, "Phạm Văn Bình", "ecdsa")
	out, err := Sign(unsignedPDF(t), s, SignInfo{Name: "Phạm Văn Bình"})
	if err != nil {
		t.Fatal(err)
	}
	if sig := pdfsig(t, out); !strings.Contains(sig, "Signature Type: ETSI.CAdES.detached") || !strings.Contains(sig, "Signature is Valid") {
		t.Fatalf("pdfsig:\n%s", sig)
	}
	rep, err := Verify(out, VerifyOptions{Roots: pki.roots()})
	if err != nil || !rep.Trusted || rep.Signatures[0].Level != "B-B" || rep.Signatures[0].SigningTime.IsZero() {
		t.Fatalf("%+v %v", rep, err)
	}
	// A second signature keeps the first intact.
	s2 := pki.signer(t, "Lê Văn Hai", "rsa")
	out2, err := Sign(out, s2, SignInfo{Name: "Lê Văn Hai"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Verify(out2, VerifyOptions{Roots: pki.roots()})
	if err != nil || !rep.Trusted || len(rep.Signatures) != 2 || rep.Signatures[0].Level != "B-B" || rep.Signatures[1].Level != "B-B" {
		t.Fatalf("two signatures: %+v %v", rep, err)
	}

	s.Profile = ProfileAdbe
	out, err = Sign(unsignedPDF(t), s, SignInfo{Name: "Phạm Văn Bình"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Verify(out, VerifyOptions{Roots: pki.roots()})
	if err != nil || !rep.Trusted || rep.Signatures[0].SubFilter != "adbe.pkcs7.detached" || rep.Signatures[0].Level != "adbe" {
		t.Fatalf("adbe: %+v %v", rep, err)
	}

	for _, p := range []Profile{ProfileBT, ProfileBLT} {
		s.Profile = p
		if _, err := Sign(unsignedPDF(t), s, SignInfo{Name: "A"}); !errors.Is(err, ErrProfileNoTSA) {
			t.Errorf("%s without a TSA: %v", p, err)
		}
	}
	s.Profile = "B-LTA"
	if _, err := Sign(unsignedPDF(t), s, SignInfo{Name: "A"}); !errors.Is(err, ErrBadProfile) {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestParseProfile(t *testing.T) {
	for in, want := range map[string]Profile{"": ProfileDefault, "b-b": ProfileBB, "PAdES-B-T": ProfileBT, " B-LT ": ProfileBLT, "adbe": ProfileAdbe, "BLT": ProfileBLT} {
		if got, err := ParseProfile(in); err != nil || got != want {
			t.Errorf("ParseProfile(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"B-LTA", "cades", "x"} {
		if _, err := ParseProfile(in); !errors.Is(err, ErrBadProfile) {
			t.Errorf("ParseProfile(%q): %v", in, err)
		}
	}
}

// crlPKI is a root -> intermediate -> signer chain whose CAs publish CRLs (made with Go's
// x509.CreateRevocationList) from an HTTP server run in the test.
type crlPKI struct {
	*testPKI
	srv     *httptest.Server
	mu      sync.Mutex
	revoked map[string][]*big.Int // CRL name -> revoked serials
	fetches map[string]int
}

func newCRLPKI(t *testing.T) *crlPKI {
	p := &crlPKI{revoked: map[string][]*big.Int{}, fetches: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "ocsp" { // the intermediate CA's OCSP responder (it signs the responses itself)
			body, _ := io.ReadAll(r.Body)
			req, err := ocsp.ParseRequest(body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			p.fetches["ocsp"]++
			status := ocsp.Good
			for _, s := range p.revoked["ocsp"] {
				if s.Cmp(req.SerialNumber) == 0 {
					status = ocsp.Revoked
				}
			}
			resp, err := ocsp.CreateResponse(p.Inter, p.Inter, ocsp.Response{Status: status, SerialNumber: req.SerialNumber,
				ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(time.Hour), RevokedAt: time.Now().Add(-time.Minute)}, p.interKey)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/ocsp-response")
			w.Write(resp)
			return
		}
		issuer, key := p.Root, p.rootKey
		if name == "inter.crl" {
			issuer, key = p.Inter, p.interKey
		} else if name != "root.crl" {
			http.NotFound(w, r)
			return
		}
		p.fetches[name]++
		var entries []x509.RevocationListEntry
		for _, s := range p.revoked[name] {
			entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: time.Now().Add(-time.Minute)})
		}
		der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(int64(p.fetches[name])),
			ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(24 * time.Hour), RevokedCertificateEntries: entries}, issuer, key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(der)
	}))
	t.Cleanup(p.srv.Close)
	rk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "SoHoa Test Root CA (CRL)"},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, nil, rk.Public(), rk)
	ik, _ := rsa.GenerateKey(rand.Reader, 2048)
	inter := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "SoHoa Test Issuing CA (CRL)"},
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		CRLDistributionPoints: []string{p.srv.URL + "/root.crl"}}, root, ik.Public(), rk)
	p.testPKI = &testPKI{Root: root, Inter: inter, rootKey: rk, interKey: ik}
	return p
}

func (p *crlPKI) signer(t *testing.T, name string, withOCSP bool) Signer {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: name, Country: []string{"VN"}},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment, CRLDistributionPoints: []string{p.srv.URL + "/inter.crl"}}
	if withOCSP {
		tmpl.OCSPServer, tmpl.CRLDistributionPoints = []string{p.srv.URL + "/ocsp"}, nil
	}
	leaf := newCert(t, tmpl, p.Inter, key.Public(), p.interKey)
	s, err := NewSigner(key, []*x509.Certificate{leaf, p.Inter})
	if err != nil {
		t.Fatal(err)
	}
	s.Roots = p.roots()
	return s
}

// TestPAdESBaselineBLT: B-LT adds a DSS (incremental update) holding the whole chain and
// the CAs' CRLs (or an OCSP response, for a certificate naming a responder), and the same for
// the signature timestamp's TSA (ETSI EN 319 142-1 5.4; a CRL both need is fetched and stored
// once); the verifier reports B-LT, pdfsig and qpdf accept the file, and the signature stays
// intact (a DSS is validation data, allowed after signing). Without the TSA's validation data
// the level is B-T, and a TSA whose certificate cannot be checked gives no B-LT signature. A
// revoked certificate signs nothing.
func TestPAdESBaselineBLT(t *testing.T) {
	pki := newCRLPKI(t)
	tsa, _ := tsaServer(t, pki.testPKI, pki.srv.URL+"/inter.crl")
	s := pki.signer(t, "Đỗ Thị Lan", false)
	s.TSAURL, s.Profile = tsa.URL, ProfileBLT
	out, err := Sign(unsignedPDF(t), s, SignInfo{Name: "Đỗ Thị Lan"})
	if err != nil {
		t.Fatal(err)
	}
	if pki.fetches["inter.crl"] != 1 || pki.fetches["root.crl"] != 1 {
		t.Errorf("CRL fetches %v", pki.fetches)
	}
	if sig := pdfsig(t, out); !strings.Contains(sig, "Signature Type: ETSI.CAdES.detached") || !strings.Contains(sig, "Signature is Valid") {
		t.Fatalf("pdfsig:\n%s", sig)
	}
	run(t, "qpdf", "--check", writeTemp(t, "blt.pdf", out))
	rep, err := Verify(out, VerifyOptions{Roots: pki.roots()})
	if err != nil || !rep.Trusted {
		t.Fatalf("%+v %v", rep, err)
	}
	r := rep.Signatures[0]
	if r.Level != "B-LT" || r.CoversWholeFile || r.ModifiedAfterSigning || len(r.AllowedChanges) == 0 {
		t.Fatalf("level %q covers %v modified %v allowed %v problems %v", r.Level, r.CoversWholeFile, r.ModifiedAfterSigning, r.AllowedChanges, r.Problems)
	}
	rev, err := readRevision(t.Context(), out, int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	d := readDSS(rev)
	if d == nil || len(d.certs) != 4 || len(d.crls) != 2 {
		t.Fatalf("DSS: %d certificates, %d CRLs: %+v", len(d.certs), len(d.crls), d)
	}
	for _, c := range []*x509.Certificate{s.Chain[0], pki.Inter, pki.Root, r.timestampSigner} {
		if c == nil || !d.hasCert(c) {
			t.Errorf("the DSS lacks %v", c)
		}
	}
	if r.timestampSigner.Subject.CommonName != "SoHoa Test TSA" {
		t.Errorf("timestamp signer %s", r.timestampSigner.Subject.CommonName)
	}
	// Without the DSS's CRL of the intermediate the level is B-T: the DSS of a B-T file
	// with the chain only.
	bt := s
	bt.Profile = ProfileBT
	btOut, err := Sign(unsignedPDF(t), bt, SignInfo{Name: "Đỗ Thị Lan"})
	if err != nil {
		t.Fatal(err)
	}
	withCerts, err := addDSS(t.Context(), btOut, fullChain(s), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Verify(withCerts, VerifyOptions{Roots: pki.roots()})
	if err != nil || !rep.Trusted || rep.Signatures[0].Level != "B-T" {
		t.Fatalf("DSS without CRLs: %+v %v", rep, err)
	}
	// The signer's chain and CRLs in the DSS but nothing for the TSA: B-T.
	crls, ocsps, certs, err := revocationData(t.Context(), fullChain(s), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	signerOnly, err := addDSS(t.Context(), btOut, certs, crls, ocsps)
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Verify(signerOnly, VerifyOptions{Roots: pki.roots()})
	if err != nil || !rep.Trusted || rep.Signatures[0].Level != "B-T" || !strings.Contains(strings.Join(rep.Signatures[0].Problems, ";"), "signature timestamp") {
		t.Fatalf("DSS without the TSA's validation data: %+v %v", rep, err)
	}
	// A TSA whose certificate names no CRL or OCSP responder: no B-LT.
	bare, _ := tsaServer(t, pki.testPKI)
	sb := s
	sb.TSAURL = bare.URL
	if _, err := Sign(unsignedPDF(t), sb, SignInfo{Name: "Đỗ Thị Lan"}); !errors.Is(err, ErrRevocation) || !strings.Contains(err.Error(), "timestamp") {
		t.Fatalf("B-LT with an unverifiable TSA: %v", err)
	}

	// The signer's certificate names an OCSP responder (and no CRL): the DSS holds its OCSP
	// response, the intermediate's CRL (from the root) and the TSA's (from the intermediate).
	so := pki.signer(t, "Đỗ Văn Minh", true)
	so.TSAURL, so.Profile = tsa.URL, ProfileBLT
	outO, err := Sign(unsignedPDF(t), so, SignInfo{Name: "Đỗ Văn Minh"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Verify(outO, VerifyOptions{Roots: pki.roots()})
	if err != nil || !rep.Trusted || rep.Signatures[0].Level != "B-LT" || pki.fetches["ocsp"] != 1 {
		t.Fatalf("OCSP B-LT: %+v %v (fetches %v)", rep, err, pki.fetches)
	}
	revO, _ := readRevision(t.Context(), outO, int64(len(outO)))
	// (and the intermediate's CRL, the TSA's certificate's CRL, the root's)
	if d := readDSS(revO); d == nil || len(d.ocsps) != 1 || len(d.crls) != 2 {
		t.Fatalf("OCSP DSS: %+v", d)
	}
	pki.mu.Lock()
	pki.revoked["ocsp"] = []*big.Int{so.Chain[0].SerialNumber}
	pki.mu.Unlock()
	if _, err := Sign(unsignedPDF(t), so, SignInfo{Name: "Đỗ Văn Minh"}); !errors.Is(err, ErrRevocation) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked by OCSP: %v", err)
	}

	// Revoked: no signature.
	pki.mu.Lock()
	pki.revoked["inter.crl"] = []*big.Int{s.Chain[0].SerialNumber}
	pki.mu.Unlock()
	if _, err := Sign(unsignedPDF(t), s, SignInfo{Name: "Đỗ Thị Lan"}); !errors.Is(err, ErrRevocation) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked certificate: %v", err)
	}
	// No CRL server: no B-LT.
	pki.srv.Close()
	if _, err := Sign(unsignedPDF(t), s, SignInfo{Name: "Đỗ Thị Lan"}); !errors.Is(err, ErrRevocation) {
		t.Fatalf("unreachable CRL: %v", err)
	}
}
