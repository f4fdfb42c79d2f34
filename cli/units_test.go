package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/records"
)

// TestCatalogueLoad: an administrator loads the open dataset's later snapshot (Đồng Nai a city
// since Resolution 30/2026/QH16) with `sohoa catalogue load`, without a new build; `sohoa
// catalogue` then reports it, the address checks use it, the action is audited; a broken file
// is refused in Vietnamese and a clerk may not load one.
func TestCatalogueLoad(t *testing.T) {
	r := newRunner(t)
	r.withAdmin()
	t.Cleanup(func() { _, _ = records.UseDataDir("") })
	if res := r.must("catalogue"); !strings.Contains(res.stdout, "3321") || !strings.Contains(res.stdout, "2621 xã") {
		t.Fatalf("catalogue: %q", res.stdout)
	}
	file := filepath.Join(testenv.Corpus(), "admin-units-2025", "thanglequoc_HEAD_2026", "full_json_generated_data_vn_units.json")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("corpus: %v", err)
	}
	if res := r.must("catalogue", "load", file); !strings.Contains(res.stdout, "đã nạp") || !strings.Contains(res.stdout, "units.json") {
		t.Fatalf("catalogue load: %q", res.stdout)
	}
	if res := r.must("--json", "catalogue"); !strings.Contains(res.stdout, `"communes": 3321`) || !strings.Contains(res.stdout, "units.json") {
		t.Fatalf("catalogue --json: %q", res.stdout)
	}
	au, err := records.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := au.Province("Đồng Nai"); p.Kind != "Thành phố" {
		t.Errorf("Đồng Nai after the load: %+v", p)
	}
	if res := r.must("audit"); !strings.Contains(res.stdout, "catalogue.install") {
		t.Fatalf("audit: %q", res.stdout)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`[{"Code":"01","Name":"Hà Nội","Wards":[{"Code":"12","Name":"X","AdministrativeUnitShortName":"Xã"}]}]`), 0o600)
	if res := r.run("", "catalogue", "load", bad); res.code == 0 || !strings.Contains(res.stderr, "mã xã, phường 12 sai") {
		t.Fatalf("broken catalogue: %+v", res)
	}
	r.env["SOHOA_NEW_PASSWORD"] = "mật-khẩu-nhập-liệu"
	r.must("user", "add", "--username", "thu", "--name", "Lê Thị Thu", "--role", "clerk")
	delete(r.env, "SOHOA_NEW_PASSWORD")
	r.env["SOHOA_USER"], r.env["SOHOA_PASSWORD"] = "thu", "mật-khẩu-nhập-liệu"
	if res := r.run("", "catalogue", "load", file); res.code == 0 {
		t.Fatal("a clerk loaded a catalogue")
	}
}
