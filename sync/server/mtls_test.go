package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
)

// testCA is a certificate authority made for a test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return testCA{cert: c, key: key}
}

// client issues a client certificate (ExtKeyUsageClientAuth) signed by the CA.
func (ca testCA) client(t *testing.T, cn string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestMutualTLS serves with a client CA: no certificate and a certificate from another CA are
// refused at the TLS handshake (no request reaches the server); a certificate from the CA
// works, and the bearer token is still required on top of it.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, _ := store.NewLocalBlobs(filepath.Join(dir, "blobs"))
	key, _ := server.LoadOrCreateReceiptKey(dir)
	cert, _, err := server.LoadOrCreateTLS(dir, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	ca, otherCA := newTestCA(t, "SoHoa clients"), newTestCA(t, "someone else")
	caFile := filepath.Join(dir, "client-ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600)
	pool, n, err := server.LoadClientCAs(caFile)
	if err != nil || n != 1 {
		t.Fatalf("LoadClientCAs: %d, %v", n, err)
	}
	srv, err := server.New(server.Config{DataDir: dir, Store: st, Blobs: blobs, Key: key, ClientCAs: pool, MetricsToken: testMetricsToken})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l, &cert) }()
	defer func() { cancel(); <-done }()
	addr := l.Addr().String()

	roots := x509.NewCertPool()
	roots.AddCert(mustParse(t, cert.Certificate[0]))
	tlsConf := func(max uint16, certs ...tls.Certificate) *tls.Config {
		return &tls.Config{RootCAs: roots, Certificates: certs, MaxVersion: max}
	}
	// A Go client only offers a certificate from a CA the server names; the intruder offers
	// its certificate regardless, so the server's verification is what refuses it.
	intruder := func(max uint16) *tls.Config {
		c := otherCA.client(t, "intruder")
		return &tls.Config{RootCAs: roots, MaxVersion: max,
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &c, nil }}
	}
	// TLS 1.2: the server's refusal ends the handshake itself.
	handshake := func(c *tls.Config) error {
		conn, err := tls.Dial("tcp", addr, c)
		if err != nil {
			return err
		}
		defer conn.Close()
		return conn.Handshake()
	}
	if err := handshake(tlsConf(tls.VersionTLS12)); err == nil {
		t.Fatal("TLS 1.2 handshake without a client certificate succeeded")
	}
	if err := handshake(intruder(tls.VersionTLS12)); err == nil {
		t.Fatal("TLS 1.2 handshake with another CA's certificate succeeded")
	}
	if err := handshake(tlsConf(tls.VersionTLS12, ca.client(t, "ws-1"))); err != nil {
		t.Fatalf("TLS 1.2 handshake with the CA's certificate: %v", err)
	}
	// TLS 1.3 (the default): the client learns of the refusal on its first read; any request fails.
	get := func(c *tls.Config, path, token string) (*http.Response, error) {
		cl := &http.Client{Transport: &http.Transport{TLSClientConfig: c}}
		defer cl.CloseIdleConnections()
		req, _ := http.NewRequest("GET", "https://"+addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := cl.Do(req)
		if err == nil {
			io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	if _, err := get(tlsConf(0), "/healthz", ""); err == nil || !strings.Contains(err.Error(), "certificate required") {
		t.Fatalf("request without a client certificate: %v, want a TLS certificate-required alert", err)
	}
	if _, err := get(intruder(0), "/healthz", ""); err == nil || !strings.Contains(err.Error(), "unknown certificate authority") {
		t.Fatalf("request with another CA's certificate: %v, want a TLS unknown-authority alert", err)
	}
	good := tlsConf(0, ca.client(t, "platform"))
	if resp, err := get(good, "/healthz", ""); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz with the CA's certificate: %v %v", resp, err)
	}
	// The certificate does not replace the token.
	if resp, err := get(good, "/v1/read/batches", ""); err != nil || resp.StatusCode != 401 {
		t.Fatalf("read without a token over mutual TLS: %v %v, want 401", resp, err)
	}
	_, rt, err := server.NewReaderToken(context.Background(), st, "platform", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := get(good, "/v1/read/batches", rt); err != nil || resp.StatusCode != 200 {
		t.Fatalf("read with certificate and token: %v %v", resp, err)
	}
	// Only the three requests made with the right certificate reached the HTTP server (the
	// fourth is this /metrics one).
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: good}}
	mreq, _ := http.NewRequest("GET", "https://"+addr+"/metrics", nil)
	mreq.Header.Set("Authorization", "Bearer "+testMetricsToken)
	resp, err := cl.Do(mreq)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	cl.CloseIdleConnections()
	if !strings.Contains(string(raw), "sohoa_http_requests_total 4\n") {
		t.Fatalf("refused handshakes reached the server:\n%s", raw)
	}
	// A file without a certificate is refused at start.
	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, _, err := server.LoadClientCAs(bad); err == nil {
		t.Fatal("a client CA file without a certificate was accepted")
	}
}

func mustParse(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
