package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTypesAdd: an administrator adds a record type from a file without a new build; it is
// listed, a batch of it can be created, and the action is audited; a clerk is refused and a
// malformed file is refused with a clear message.
func TestTypesAdd(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	file := filepath.Join(t.TempDir(), "death.json")
	os.WriteFile(file, []byte(`{"key": "death", "name_vi": "Trích lục khai tử", "name_en": "Death certificate extract",
	  "fields": [{"key": "full_name", "label_vi": "Họ, chữ đệm, tên", "label_en": "Full name", "type": "name", "required": true,
	    "ocr": {"anchors": ["Họ, chữ đệm, tên"]}}]}`), 0o600)
	if res := r.must("types", "add", file); !strings.Contains(res.stdout, "death") {
		t.Fatalf("types add: %q", res.stdout)
	}
	if res := r.must("types"); !strings.Contains(res.stdout, "Trích lục khai tử") {
		t.Fatalf("types list: %q", res.stdout)
	}
	r.must("batch", "new", "--type", "death", "--name", "Khai tử 2020")
	if res := r.must("audit"); !strings.Contains(res.stdout, "recordtype.install") {
		t.Fatalf("audit: %q", res.stdout)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"key": "x", "name_vi": "X", "name_en": "X", "fields": []}`), 0o600)
	if res := r.run("", "types", "add", bad); res.code == 0 || !strings.Contains(res.stderr, "không hợp lệ") {
		t.Fatalf("malformed type: %+v", res)
	}
	r.env["SOHOA_NEW_PASSWORD"] = "mật-khẩu-nhập-liệu"
	r.must("user", "add", "--username", "thu", "--name", "Lê Thị Thu", "--role", "clerk")
	delete(r.env, "SOHOA_NEW_PASSWORD")
	r.env["SOHOA_USER"], r.env["SOHOA_PASSWORD"] = "thu", "mật-khẩu-nhập-liệu"
	if res := r.run("", "types", "add", file); res.code == 0 {
		t.Fatal("a clerk added a record type")
	}
}
