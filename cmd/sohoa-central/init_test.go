package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/server"
)

// writeCert makes a certificate (a CA, or a leaf the CA signed) and writes it as PEM.
func writeCert(t *testing.T, path string, isCA bool, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "test " + filepath.Base(path)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: isCA, BasicConstraintsValid: true}
	if isCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key
}

// TestInit: init prepares a data folder (database, keys, TLS certificate, trust store) that
// serve then opens with --trust DATA/trust; a signer's own (non-CA) certificate is refused
// and changes nothing; running it again keeps what exists and adds no duplicate root.
func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "central")
	certs := t.TempDir()
	ca, caKey := writeCert(t, filepath.Join(certs, "root.pem"), true, nil, nil)
	writeCert(t, filepath.Join(certs, "signer.pem"), false, ca, caKey)

	var out bytes.Buffer
	if err := run(context.Background(), []string{"init", "--data", dir, "--trust-from", filepath.Join(certs, "signer.pem")}, &out); err == nil || !strings.Contains(err.Error(), "not a CA") {
		t.Fatalf("a leaf certificate as trust root: %v", err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("a refused init made the data folder")
	}
	// Without roots: everything but the trust anchors, and serve refuses the empty store.
	if err := run(context.Background(), []string{"init", "--data", dir}, &out); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{server.CentralDBFile, server.ReceiptKeyFile, server.DataKeyFile, server.TLSCertFile, server.TLSKeyFile, TrustDir} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("init made no %s: %v", f, err)
		}
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data folder mode: %v %v", fi.Mode(), err)
	}
	if !strings.Contains(out.String(), "0 root certificates") || !strings.Contains(out.String(), "--trust-from") {
		t.Fatalf("init output:\n%s", out.String())
	}
	fp := fingerprintLine(t, out.String())
	if err := run(context.Background(), []string{"serve", "--data", dir, "--listen", "127.0.0.1:0", "--trust", filepath.Join(dir, TrustDir)}, &out); err == nil || !strings.Contains(err.Error(), "no certificate") {
		t.Fatalf("serve over an empty trust store: %v", err)
	}
	// With the root, twice: one file, the same TLS certificate.
	for i := 0; i < 2; i++ {
		out.Reset()
		if err := run(context.Background(), []string{"init", "--data", dir, "--trust-from", certs + "/root.pem"}, &out); err != nil {
			t.Fatal(err)
		}
		want := "1 root certificates, 1 added now"
		if i == 1 {
			want = "1 root certificates, 0 added now"
		}
		if !strings.Contains(out.String(), want) {
			t.Fatalf("init %d: want %q in\n%s", i, want, out.String())
		}
		if got := fingerprintLine(t, out.String()); got != fp {
			t.Fatalf("init %d changed the TLS certificate: %s, then %s", i, fp, got)
		}
	}
	pool, n, err := server.LoadTrust(filepath.Join(dir, TrustDir))
	if err != nil || n != 1 {
		t.Fatalf("trust store: %d, %v", n, err)
	}
	if _, err := ca.Verify(x509.VerifyOptions{Roots: pool}); err != nil {
		t.Fatalf("the root is not trusted from the store: %v", err)
	}
}

func fingerprintLine(t *testing.T, out string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "TLS fingerprint:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no fingerprint in\n%s", out)
	return ""
}
