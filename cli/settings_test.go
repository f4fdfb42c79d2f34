package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestSettingsCommand: an administrator reads and sets workstation settings; values are
// checked, sync credentials cannot be set by hand, the token is never printed, and a clerk
// may read but not change them.
func TestSettingsCommand(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	r.must("settings", "autolock_minutes", "5")
	if res := r.must("settings", "autolock_minutes"); !strings.Contains(res.stdout, "5") {
		t.Fatalf("read back: %q", res.stdout)
	}
	if res := r.run("", "settings", "autolock_minutes", "-3"); res.code != 2 {
		t.Fatalf("negative minutes accepted: %d %s", res.code, res.stderr)
	}
	if res := r.run("", "settings", "sync.token", "abc"); res.code != 2 || !strings.Contains(res.stderr, "sync.token") {
		t.Fatalf("token set by hand: %d %s", res.code, res.stderr)
	}
	if res := r.must("settings"); !strings.Contains(res.stdout, "workstation_id") || strings.Contains(res.stdout, "abc") {
		t.Fatalf("settings list: %q", res.stdout)
	}
	r.env["SOHOA_NEW_PASSWORD"] = "mật-khẩu-nhập-liệu"
	r.must("user", "add", "--username", "thu", "--name", "Lê Thị Thu", "--role", "clerk")
	delete(r.env, "SOHOA_NEW_PASSWORD")
	r.env["SOHOA_USER"], r.env["SOHOA_PASSWORD"] = "thu", "mật-khẩu-nhập-liệu"
	if res := r.run("", "settings", "autolock_minutes", "60"); res.code == 0 {
		t.Fatal("a clerk changed a setting")
	}
	if res := r.must("settings", "autolock_minutes"); !strings.Contains(res.stdout, "5") {
		t.Fatalf("setting changed by a refused call: %q", res.stdout)
	}
}

// TestOCRLanguagesSetting: the OCR languages an administrator sets are the ones OCR uses
// (the model recorded with each page names them); a language without installed data is
// refused.
func TestOCRLanguagesSetting(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	if res := r.run("", "settings", "ocr_languages", "xyz"); res.code == 0 || !strings.Contains(res.stderr, "xyz") {
		t.Fatalf("a language without data: %+v", res)
	}
	r.must("settings", "office", "HN-01")
	r.must("settings", "ocr_languages", "eng")
	page := filepath.Join(t.TempDir(), "trang.png")
	writePNG(t, page, 400, 300)
	b := strings.TrimSpace(r.must("batch", "new", "--name", "Lô thử ngôn ngữ").stdout)
	r.must("import", "--batch", b, page)
	r.must("ocr", "--batch", b, "--workers", "1")
	st := openStore(t, r.data)
	defer st.Close()
	pages, err := st.BatchPages(context.Background(), b)
	if err != nil || len(pages) != 1 {
		t.Fatalf("pages %v %v", pages, err)
	}
	res, err := st.OCR(context.Background(), pages[0].ID)
	if err != nil || !strings.HasPrefix(res.Model, "eng@") {
		t.Fatalf("OCR model %q, %v", res.Model, err)
	}
}
