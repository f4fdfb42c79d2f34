package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/server"
)

func TestParsePrefixes(t *testing.T) {
	got, err := parsePrefixes(" 10.0.0.5, 192.168.1.7/24,::1,::ffff:10.9.9.9,")
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.5/32"), netip.MustParsePrefix("192.168.1.0/24"),
		netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("10.9.9.9/32")}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("parsePrefixes = %v, %v; want %v", got, err, want)
	}
	if _, err := parsePrefixes("10.0.0.0/33"); err == nil {
		t.Fatal("a bad prefix was accepted")
	}
	if got, err := parsePrefixes(""); err != nil || got != nil {
		t.Fatalf("empty list: %v %v", got, err)
	}
}

// serve --metrics-token-file: /metrics answers only with the token; the file and the
// environment variable exclude each other; the readers list shows a reader's office.
func TestServeMetricsToken(t *testing.T) {
	dir := t.TempDir()
	tokFile := filepath.Join(dir, "metrics-token")
	const token = "0123456789abcdef0123456789abcdef"
	if err := os.WriteFile(tokFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(MetricsTokenEnv, "")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- run(ctx, []string{"--data", dir, "--listen", addr, "--insecure-hash-only", "--metrics-token-file", tokFile,
			"--max-conns-per-addr", "8", "--conn-limit-exempt", "10.0.0.0/8", "--min-rate", "2048", "--stall-timeout", "30s"}, &out)
	}()
	get := func(c *http.Client, tok string) (int, string, error) {
		req, _ := http.NewRequest("GET", "https://"+addr+"/metrics", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw), nil
	}
	var client *http.Client
	for i := 0; ; i++ {
		if pemCert, err := os.ReadFile(filepath.Join(dir, server.TLSCertFile)); err == nil && client == nil {
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pemCert)
			client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		}
		if client != nil {
			if st, _, err := get(client, ""); err == nil {
				if st != 401 {
					t.Fatalf("/metrics without the token: %d, want 401", st)
				}
				break
			}
		}
		if i > 400 {
			t.Fatal("server did not come up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st, body, err := get(client, token); err != nil || st != 200 || !strings.Contains(body, "sohoa_http_requests_total") {
		t.Fatalf("/metrics with the token: %d %v %q", st, err, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}

	// The refusals below come before listening; a cancelled context keeps a regression from
	// serving for ever.
	gone, stop := context.WithCancel(context.Background())
	stop()
	t.Setenv(MetricsTokenEnv, token)
	if err := run(gone, []string{"--data", dir, "--listen", "127.0.0.1:0", "--insecure-hash-only", "--metrics-token-file", tokFile}, &out); err == nil ||
		!strings.Contains(err.Error(), "exclude") {
		t.Fatalf("file and environment both set: %v", err)
	}
	t.Setenv(MetricsTokenEnv, "short")
	if err := run(gone, []string{"--data", dir, "--listen", "127.0.0.1:0", "--insecure-hash-only"}, &out); err == nil {
		t.Fatal("a short metrics token from the environment was accepted")
	}
	os.WriteFile(tokFile, []byte("\n"), 0o600)
	t.Setenv(MetricsTokenEnv, "")
	if err := run(gone, []string{"--data", dir, "--listen", "127.0.0.1:0", "--insecure-hash-only", "--metrics-token-file", tokFile}, &out); err == nil {
		t.Fatal("an empty metrics token file was accepted")
	}
	if err := run(gone, []string{"--data", dir, "--listen", "127.0.0.1:0", "--insecure-hash-only", "--conn-limit-exempt", "nope"}, &out); err == nil {
		t.Fatal("a bad --conn-limit-exempt was accepted")
	}

	out.Reset()
	if err := run(context.Background(), []string{"reader-token", "--data", dir, "--name", "Cổng Hà Nội", "--office", "HN-01"}, &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"readers", "--data", dir}, &out); err != nil {
		t.Fatal(err)
	}
	if f := strings.Split(strings.TrimSpace(out.String()), "\t"); len(f) != 5 || f[3] != "HN-01" || f[4] != "Cổng Hà Nội" {
		t.Fatalf("readers: %q", out.String())
	}
}

// serve --data-key / $SOHOA_DATA_KEY: the data key is made where they say (0600), not in the
// data folder; the two must agree; a damaged key file stops serve before it listens.
func TestServeDataKey(t *testing.T) {
	dir, keyDir := t.TempDir(), t.TempDir()
	keyFile := filepath.Join(keyDir, "field-data.key")
	var out bytes.Buffer
	// A --client-ca without a certificate stops serve after the key is loaded and the store
	// opened, before it listens.
	badCA := filepath.Join(dir, "ca.pem")
	os.WriteFile(badCA, []byte("no certificate here"), 0o600)
	serve := func(extra ...string) error {
		return run(context.Background(), append([]string{"--data", dir, "--listen", "127.0.0.1:0", "--insecure-hash-only", "--client-ca", badCA}, extra...), &out)
	}
	t.Setenv(MetricsTokenEnv, "")
	t.Setenv(DataKeyEnv, "")
	if err := serve("--data-key", keyFile); err == nil || !strings.Contains(err.Error(), "client CA") {
		t.Fatal(err)
	}
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("data key at --data-key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, server.DataKeyFile)); !os.IsNotExist(err) {
		t.Fatalf("a data key was made in the data folder too: %v", err)
	}
	first, _ := os.ReadFile(keyFile)
	t.Setenv(DataKeyEnv, keyFile) // the same file: agreed, and read back unchanged
	if err := serve("--data-key", keyFile); err == nil || !strings.Contains(err.Error(), "client CA") {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(keyFile); !bytes.Equal(again, first) {
		t.Fatal("the data key file changed on the second start")
	}
	t.Setenv(DataKeyEnv, filepath.Join(keyDir, "other.key"))
	if err := serve("--data-key", keyFile); err == nil ||
		!strings.Contains(err.Error(), "different files") {
		t.Fatalf("--data-key and $%s disagreeing: %v", DataKeyEnv, err)
	}
	t.Setenv(DataKeyEnv, "")
	os.WriteFile(keyFile, []byte("not a key"), 0o600)
	if err := serve("--data-key", keyFile); err == nil ||
		!strings.Contains(err.Error(), "data key") {
		t.Fatalf("a damaged data key file: %v", err)
	}
}
