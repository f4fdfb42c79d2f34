package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

// TestEncryptAndRecover: `sohoa encrypt` prints the recovery key once and converts an imported
// store (its page blobs no longer hold the page); the pages still export signed in; `sohoa
// recover` sets a forgotten password with the recovery key, and refuses a wrong key.
func TestEncryptAndRecover(t *testing.T) {
	r := newRunner(t)
	r.env["SOHOA_NEW_PASSWORD"] = "mật-khẩu-quản-trị"
	if res := r.run("", "user", "add", "--username", "admin", "--role", "admin,clerk"); res.code != 0 {
		t.Fatalf("admin: %+v", res)
	}
	delete(r.env, "SOHOA_NEW_PASSWORD")
	r.env["SOHOA_USER"], r.env["SOHOA_PASSWORD"] = "admin", "mật-khẩu-quản-trị"
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "trang1.png"), 300, 200)
	page, _ := os.ReadFile(filepath.Join(dir, "trang1.png"))
	res := r.must("batch", "new", "--type", "generic", "--name", "Lô mã hoá", "--office", "HN", "--json")
	var b jsonBatch
	if err := json.Unmarshal([]byte(res.stdout), &b); err != nil {
		t.Fatal(err)
	}
	r.must("import", "--batch", b.ID, dir)
	res = r.run("", "encrypt")
	words := strings.TrimSpace(res.stdout)
	if res.code != 0 || len(strings.Fields(words)) != 18 || !strings.Contains(res.stderr, "KHOÁ KHÔI PHỤC") {
		t.Fatalf("encrypt: %+v", res)
	}
	if res := r.run("", "encrypt"); res.code != 0 || strings.TrimSpace(res.stdout) == words {
		t.Fatalf("encrypt again: %+v", res)
	}
	// The imported page is converted; a page imported now is written encrypted.
	writePNG(t, filepath.Join(dir, "trang2.png"), 320, 200)
	r.must("import", "--batch", b.ID, filepath.Join(dir, "trang2.png"))
	blobs := 0
	filepath.WalkDir(filepath.Join(r.data, "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			blobs++
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, page[:64]) {
				t.Errorf("a blob holds the page in clear: %s", p)
			}
		}
		return nil
	})
	if blobs < 2 {
		t.Fatalf("%d blob files", blobs)
	}
	if res := r.run("", "export", "--batch", b.ID, "--format", "json"); res.code != 0 || !strings.Contains(res.stdout, "trang2.png") {
		t.Fatalf("export after encryption: %+v", res)
	}
	// Exports: a plaintext file warns; --encrypt writes an age file only the passphrase opens.
	plainOut := filepath.Join(t.TempDir(), "lo.json")
	if res := r.run("", "export", "--batch", b.ID, "--format", "json", "--out", plainOut); res.code != 0 || !strings.Contains(res.stderr, "dữ liệu cá nhân") {
		t.Fatalf("plain export: %+v", res)
	}
	r.env["SOHOA_EXPORT_PASSPHRASE"] = "mật-khẩu-tệp-xuất"
	encOut := filepath.Join(t.TempDir(), "lo.json.age")
	if res := r.run("", "export", "--batch", b.ID, "--format", "json", "--out", encOut, "--encrypt"); res.code != 0 || strings.Contains(res.stderr, "dữ liệu cá nhân") {
		t.Fatalf("encrypted export: %+v", res)
	}
	sealed, _ := os.ReadFile(encOut)
	if bytes.Contains(sealed, []byte("trang2.png")) {
		t.Fatal("the encrypted export is readable")
	}
	id, err := age.NewScryptIdentity("mật-khẩu-tệp-xuất")
	if err != nil {
		t.Fatal(err)
	}
	dr, err := age.Decrypt(bytes.NewReader(sealed), id)
	if err != nil {
		t.Fatal(err)
	}
	opened, _ := io.ReadAll(dr)
	plainJSON, _ := os.ReadFile(plainOut)
	if !bytes.Equal(opened, plainJSON) {
		t.Fatal("the decrypted export differs from the plain one")
	}
	wrong, _ := age.NewScryptIdentity("sai-mật-khẩu")
	if _, err := age.Decrypt(bytes.NewReader(sealed), wrong); err == nil {
		t.Fatal("a wrong passphrase opens the export")
	}
	// Recovery: a wrong key is refused, the right one sets a new password.
	r.env["SOHOA_NEW_PASSWORD"] = "mật-khẩu-khôi-phục"
	bad := strings.Fields(words)
	bad[3], bad[4] = bad[4], bad[3]
	if res := r.run(strings.Join(bad, " ")+"\n", "recover", "--username", "admin"); res.code == 0 {
		t.Fatalf("recover with a wrong key: %+v", res)
	}
	if res := r.run(words+"\n", "recover", "--username", "admin"); res.code != 0 {
		t.Fatalf("recover: %+v", res)
	}
	r.env["SOHOA_PASSWORD"] = "mật-khẩu-khôi-phục"
	if res := r.run("", "list"); res.code != 0 {
		t.Fatalf("list with the recovered password: %+v", res)
	}
	r.env["SOHOA_PASSWORD"] = "mật-khẩu-quản-trị"
	if res := r.run("", "list"); res.code == 0 {
		t.Fatalf("the old password still signs in: %+v", res)
	}
}
