package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/sync/server"
)

// TestReaderCommands makes a read-only token, lists and revokes it, and checks serve refuses a
// --client-ca file that holds no certificate.
func TestReaderCommands(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"reader-token", "--data", dir, "--name", "Cổng dữ liệu tỉnh"}, &out); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	if !strings.HasPrefix(token, server.ReaderTokenPrefix) || len(token) < 40 {
		t.Fatalf("token %q", token)
	}
	if err := run(ctx, []string{"reader-token", "--data", dir, "--name", "Cổng dữ liệu tỉnh"}, &out); err == nil {
		t.Fatal("a second active reader with the same name was created")
	}
	if err := run(ctx, []string{"reader-token", "--data", dir}, &out); err == nil {
		t.Fatal("a reader without --name was created")
	}
	out.Reset()
	if err := run(ctx, []string{"readers", "--data", dir}, &out); err != nil {
		t.Fatal(err)
	}
	line := out.String()
	if strings.Count(line, "\n") != 1 || !strings.Contains(line, "active") || !strings.Contains(line, "Cổng dữ liệu tỉnh") || strings.Contains(line, token) {
		t.Fatalf("readers: %q", line)
	}
	id := strings.Fields(line)[0]
	if err := run(ctx, []string{"revoke-reader", "--data", dir, "--reader", id}, &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	run(ctx, []string{"readers", "--data", dir}, &out)
	if !strings.Contains(out.String(), "revoked") {
		t.Fatalf("after revoke: %q", out.String())
	}
	if err := run(ctx, []string{"revoke-reader", "--data", dir, "--reader", "rd-nope"}, &out); err == nil {
		t.Fatal("revoking an unknown reader succeeded")
	}
	bad := filepath.Join(dir, "ca.pem")
	os.WriteFile(bad, []byte("no certificate here"), 0o600)
	err := run(ctx, []string{"--data", dir, "--listen", "127.0.0.1:0", "--insecure-hash-only", "--client-ca", bad}, &out)
	if err == nil || !strings.Contains(err.Error(), "client CA") {
		t.Fatalf("serve with a bad --client-ca: %v", err)
	}
}
