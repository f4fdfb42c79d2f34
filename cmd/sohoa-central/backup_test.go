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

// TestBackupRestoreCommands: a scoped reader, then `backup`, `restore --check` and `restore`
// into another data folder, which then lists the same reader with its scope; a damaged
// backup is refused in both languages and restores nothing.
func TestBackupRestoreCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(ctx, []string{"reader-token", "--data", dir, "--name", "Cổng hộ tịch", "--office", "HN-01,HCM-02", "--record-type", "khai-sinh"}, &out); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "sao-lưu")
	if err := run(ctx, []string{"backup", "--data", dir, dest}, &out); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"backup", "--data", dir, dest}, &out); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("backup over an existing folder: %v", err)
	}
	if err := run(ctx, []string{"backup", "--data", dir}, &out); err == nil {
		t.Fatal("backup without DEST")
	}
	out.Reset()
	if err := run(ctx, []string{"restore", "--check", "--data", dir, dest}, &out); err != nil || !strings.Contains(out.String(), "is usable") {
		t.Fatalf("restore --check: %v %s", err, out.String())
	}
	other := filepath.Join(t.TempDir(), "central")
	out.Reset()
	if err := run(ctx, []string{"restore", "--data", other, "--data-key", filepath.Join(dir, server.DataKeyFile), dest}, &out); err != nil || !strings.Contains(out.String(), "restored") {
		t.Fatalf("restore: %v %s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"readers", "--data", other}, &out); err != nil {
		t.Fatal(err)
	}
	if f := strings.Split(strings.TrimSpace(out.String()), "\t"); len(f) != 5 || f[3] != "HCM-02,HN-01 types=khai-sinh" {
		t.Fatalf("readers after restore: %q", out.String())
	}
	// Not while another sohoa-central process (here: a lock holder) has the folder open.
	held, err := server.LockDataDir(other, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"restore", "--data", other, "--data-key", filepath.Join(dir, server.DataKeyFile), dest}, &out); err == nil || !strings.Contains(err.Error(), "đang được dùng") {
		held.Close()
		t.Fatalf("restore while in use: %v", err)
	}
	held.Close()
	// Damage the database: refused, nothing replaced.
	db := filepath.Join(dest, "central.db")
	raw, _ := os.ReadFile(db)
	raw[len(raw)/2] ^= 0xff
	os.WriteFile(db, raw, 0o600)
	before, _ := os.ReadFile(filepath.Join(other, "central.db"))
	err = run(ctx, []string{"restore", "--data", other, "--data-key", filepath.Join(dir, server.DataKeyFile), dest}, &out)
	if err == nil || !strings.Contains(err.Error(), "không khôi phục") || !strings.Contains(err.Error(), "not restored, the current data is unchanged") {
		t.Fatalf("damaged restore: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(other, "central.db")); !bytes.Equal(before, after) {
		t.Fatal("the data folder changed after a refused restore")
	}
}
