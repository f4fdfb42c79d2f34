package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"log"
	"log/slog"
	"math/big"
	mrand "math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/client"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/synctest"
)

// TestMutualTLSClientCert: against a server that requires client certificates, a workstation
// without one cannot even enroll; with its certificate (files named in the settings) it
// enrolls, and a client made from the store's settings presents it and sends a batch.
func TestMutualTLSClientCert(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// A client CA and a workstation certificate issued by it, as PEM files.
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "SoHoa máy trạm CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	wsKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	wsDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "máy trạm 1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, caCert, &wsKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(wsKey)
	certFile, keyFile := filepath.Join(dir, "ws.pem"), filepath.Join(dir, "ws.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: wsDER}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)

	pki, err := synctest.NewPKI("Người Ký mTLS")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, _ := store.NewLocalBlobs(filepath.Join(dir, "blobs"))
	rkey, _ := server.LoadOrCreateReceiptKey(dir)
	srv, err := server.New(server.Config{DataDir: dir, Store: st, Blobs: blobs, Key: rkey, Rate: -1,
		Verifier: server.SignatureVerifier{Roots: pki.Roots()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	hs.Config.ErrorLog = log.New(discard{}, "", 0) // refused handshakes
	hs.StartTLS()
	defer hs.Close()
	sum := sha256.Sum256(hs.Certificate().Raw)
	fp := hex.EncodeToString(sum[:])

	ws, err := synctest.NewWorkstation(ctx, filepath.Join(dir, "ws"))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Store.Close()
	code, err := server.NewEnrollCode(ctx, st, "HN-01", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Without a client certificate the handshake fails: nothing is enrolled.
	bare := &client.Client{Store: ws.Store, Actor: ws.Admin, TLSFingerprint: fp}
	if _, err := bare.Enroll(ctx, hs.URL, code); err == nil {
		t.Fatal("enrolled without a client certificate")
	}
	if v, _ := ws.Store.Setting(ctx, client.SettingToken); v != "" {
		t.Fatal("a token was stored after a refused enrollment")
	}
	// With it: enrollment, then the certificate's files in the settings for later runs.
	cert, err := client.LoadClientCert(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	withCert := &client.Client{Store: ws.Store, Actor: ws.Admin, TLSFingerprint: fp, ClientCert: cert}
	if _, err := withCert.Enroll(ctx, hs.URL, code); err != nil {
		t.Fatalf("enroll with a client certificate: %v", err)
	}
	if err := ws.Store.SetSettings(ctx, ws.Admin, map[string]string{client.SettingClientCert: certFile, client.SettingClientKey: keyFile}); err != nil {
		t.Fatal(err)
	}
	id, err := ws.SignedBatch(ctx, pki, synctest.BatchSpec{Office: "HN-01", Documents: 1}, mrand.New(mrand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.FromStore(ctx, ws.Store, ws.Supervisor)
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientCert == nil {
		t.Fatal("FromStore did not load the client certificate")
	}
	if sum, err := c.RunOnce(ctx); err != nil {
		t.Fatalf("sync over mutual TLS: %+v, %v", sum, err)
	}
	if e, err := ws.Store.OutboxEntryOf(ctx, id); err != nil || e.Status != queue.OutboxDone {
		t.Fatalf("outbox entry %+v, %v", e, err)
	}
	if b, err := st.Batch(ctx, id); err != nil || !b.Committed {
		t.Fatalf("central batch: %+v, %v", b, err)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
