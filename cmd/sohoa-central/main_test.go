package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/wire"
)

// TestSmoke runs the program's commands in process: make a code, serve over TLS with the
// self-signed certificate, enroll, list, revoke, and shut down on cancel.
func TestSmoke(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"enroll-code", "--data", dir, "--office", "HN-01"}, &out); err != nil {
		t.Fatal(err)
	}
	code := strings.TrimSpace(out.String())
	if len(code) != 19 || strings.Count(code, "-") != 3 {
		t.Fatalf("code %q", code)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"--data", dir, "--listen", addr, "--insecure-hash-only"}, &out) }()

	var client *http.Client
	var resp *http.Response
	for i := 0; ; i++ {
		if pemCert, err := os.ReadFile(filepath.Join(dir, server.TLSCertFile)); err == nil && client == nil {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pemCert)
			client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		}
		if client != nil {
			if resp, err = client.Post("https://"+addr+"/v1/enroll", "application/json", strings.NewReader(fmt.Sprintf(`{"code":%q}`, code))); err == nil {
				break
			}
		}
		if i > 200 {
			t.Fatalf("server did not come up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var a wire.EnrollAnswer
	json.NewDecoder(resp.Body).Decode(&a)
	resp.Body.Close()
	if resp.StatusCode != 201 || a.Office != "HN-01" {
		t.Fatalf("enroll: %d %+v", resp.StatusCode, a)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"revoke", "--data", dir, "--workstation", a.WorkstationID}, &out); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"workstations", "--data", dir}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), a.WorkstationID) || !strings.Contains(out.String(), "revoked") {
		t.Fatalf("workstations: %q", out.String())
	}
	if err := run(context.Background(), []string{"frobnicate", "--data", dir}, &out); err == nil {
		t.Fatal("unknown command accepted")
	}
	if err := run(context.Background(), []string{"enroll-code", "--data", dir, "--office", "../x"}, &out); err == nil {
		t.Fatal("bad office accepted")
	}
}

// TestVersion: `sohoa-central --version` (and `version`) print the build without a data folder,
// the SQLite it links, and say that it has no OCR and no scanner library.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		text := out.String()
		if !strings.HasPrefix(text, "sohoa-central ") || !strings.Contains(text, "(commit ") {
			t.Fatalf("%v: %q", args, text)
		}
		for _, want := range []string{"SQLite    3.", "pgx       v5.", "does no OCR", "drives no scanner"} {
			if !strings.Contains(text, want) {
				t.Errorf("%v: no %q in\n%s", args, want, text)
			}
		}
	}
}
