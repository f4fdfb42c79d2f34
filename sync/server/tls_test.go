package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
)

func TestKeysPersist(t *testing.T) {
	dir := t.TempDir()
	k1, err := server.LoadOrCreateReceiptKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := server.LoadOrCreateReceiptKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1, k2) {
		t.Fatal("receipt key changed between starts")
	}
	if st, _ := os.Stat(filepath.Join(dir, server.ReceiptKeyFile)); st.Mode().Perm() != 0o600 {
		t.Fatalf("receipt key mode %v", st.Mode().Perm())
	}
	_, fp1, err := server.LoadOrCreateTLS(dir, "", "", []string{"central.example", "10.0.0.5"})
	if err != nil {
		t.Fatal(err)
	}
	_, fp2, err := server.LoadOrCreateTLS(dir, "", "", nil)
	if err != nil || fp1 != fp2 {
		t.Fatalf("certificate changed between starts (%v)", err)
	}
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, server.ReceiptKeyFile), []byte("not a key"), 0o600)
	if _, err := server.LoadOrCreateReceiptKey(bad); err == nil {
		t.Fatal("garbage receipt key accepted")
	}
}

// TestServeTLS runs the real listener with the self-signed certificate and shuts it down.
func TestServeTLS(t *testing.T) {
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
	srv, err := server.New(server.Config{DataDir: dir, Store: st, Blobs: blobs, Key: key})
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

	pemCert, _ := os.ReadFile(filepath.Join(dir, server.TLSCertFile))
	blk, _ := pem.Decode(pemCert)
	c, _ := x509.ParseCertificate(blk.Bytes)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + l.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("healthz over TLS: %d %s", resp.StatusCode, body)
	}
	// Plain HTTP on the TLS port is not served.
	if r, err := http.Get("http://" + l.Addr().String() + "/healthz"); err == nil {
		if r.StatusCode == 200 {
			t.Fatal("plain HTTP answered 200 on the TLS port")
		}
		r.Body.Close()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil && err != http.ErrServerClosed {
			t.Fatalf("Serve returned %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := client.Get("https://" + l.Addr().String() + "/healthz"); err == nil {
		t.Fatal("server still answering after shutdown")
	}
}
