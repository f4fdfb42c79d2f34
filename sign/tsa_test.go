package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// tsaServer is a real RFC 3161 responder (digitorus/timestamp) run inside the test, its
// certificate issued by pki.Inter with the CRL distribution points crlDP.
func tsaServer(t *testing.T, pki *testPKI, crlDP ...string) (*httptest.Server, *atomic.Int32) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "SoHoa Test TSA"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}, CRLDistributionPoints: crlDP}, pki.Inter, key.Public(), pki.interKey)
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts := timestamp.Timestamp{
			HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage,
			Time: time.Now().UTC().Truncate(time.Second), Nonce: req.Nonce,
			Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, SerialNumber: big.NewInt(time.Now().UnixNano()),
			Accuracy: time.Second, AddTSACertificate: true,
		}
		resp, err := ts.CreateResponseWithOpts(cert, key, crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestSignWithTSA(t *testing.T) {
	pki := newTestPKI(t)
	srv, calls := tsaServer(t, pki)
	s := pki.signer(t, "Lê Thị Ĩ", "rsa")
	s.TSAURL = srv.URL
	out, err := Sign(unsignedPDF(t), s, SignInfo{Name: "Lê Thị Ĩ"})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() == 0 {
		t.Fatal("TSA was not called")
	}
	if sig := pdfsig(t, out); !strings.Contains(sig, "Signature is Valid") {
		t.Fatalf("pdfsig:\n%s", sig)
	}
	rep, err := Verify(out, VerifyOptions{Roots: pki.roots()})
	if err != nil || !rep.Trusted {
		t.Fatalf("%+v %v", rep, err)
	}
	if tt := rep.Signatures[0].TimestampTime; tt.IsZero() || time.Since(tt) > time.Hour {
		t.Errorf("signature timestamp time = %v", tt)
	}

	// Offline path: no TSA configured, no timestamp, still valid.
	s.TSAURL = ""
	out, err = Sign(unsignedPDF(t), s, SignInfo{Name: "Lê Thị Ĩ"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Verify(out, VerifyOptions{Roots: pki.roots()})
	if err != nil || !rep.Trusted || !rep.Signatures[0].TimestampTime.IsZero() {
		t.Fatalf("offline: %+v %v", rep, err)
	}

	// An unreachable TSA is an error, not a silent unsigned result.
	s.TSAURL = "http://127.0.0.1:1/tsa"
	if _, err := Sign(unsignedPDF(t), s, SignInfo{Name: "A"}); err == nil {
		t.Error("signing with an unreachable TSA succeeded")
	}
}
