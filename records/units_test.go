package records

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n/l10ntest"
	"github.com/sohoa/sohoa/internal/testenv"
)

// TestBundledCommunes: the bundled catalogue holds the 34 provinces and the 3,321 communes of
// 1 July 2025 (2,621 xã, 687 phường, 13 đặc khu) with the General Statistics Office's codes,
// as the official letter 1027/CTK-CSCL of the shared corpus lists them.
func TestBundledCommunes(t *testing.T) {
	au, err := bundledCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if len(au.Provinces) != 34 || len(au.Communes) != 3321 {
		t.Fatalf("%d provinces, %d communes", len(au.Provinces), len(au.Communes))
	}
	kinds := map[string]int{}
	for _, c := range au.Communes {
		kinds[c.Kind]++
	}
	if kinds["Xã"] != 2621 || kinds["Phường"] != 687 || kinds["Đặc khu"] != 13 {
		t.Errorf("kinds %v", kinds)
	}
	gso, err := os.ReadFile(filepath.Join(testenv.Corpus(), "admin-units-2025", "gso_official", "1027_CTK-CSCL.md"))
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	missing := 0
	for _, c := range au.Communes {
		if !containsWord(string(gso), c.Code) {
			missing++
		}
	}
	// CROSSCHECK.txt: two codes were corrected after the letter (Ba Chẽ, Ia Mơ).
	if missing != 2 {
		t.Errorf("%d bundled codes are not in letter 1027/CTK-CSCL, want the 2 later corrections", missing)
	}
}

func containsWord(s, w string) bool {
	for i := 0; ; {
		j := indexFrom(s, w, i)
		if j < 0 {
			return false
		}
		before := j == 0 || s[j-1] < '0' || s[j-1] > '9'
		after := j+len(w) == len(s) || s[j+len(w)] < '0' || s[j+len(w)] > '9'
		if before && after {
			return true
		}
		i = j + 1
	}
}

func indexFrom(s, w string, i int) int {
	for k := i; k+len(w) <= len(s); k++ {
		if s[k:k+len(w)] == w {
			return k
		}
	}
	return -1
}

func TestAddressCheck(t *testing.T) {
	au, err := bundledCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		addr, commune, suggestion string
		other                     int
	}{
		{"Số 5 ngõ 12, Phường Ba Đình, Thành phố Hà Nội", "00004", "", 0},
		{"Phường Ba Đình, Hà Nội", "00004", "", 0},
		{"phuong ba dinh, ha noi", "00004", "Phường Ba Đình, Thành phố Hà Nội", 0},
		// Old province, the district abolished: the commune's name is unique in the new province.
		{"Xã Bản Lầu, Huyện Mường Khương, Tỉnh Lào Cai", "", "", 0},
		{"Phường Ba Đình, Tỉnh Lào Cai", "", "", 1},
		// Part of a unit's name ("Phường Móng Cái 1"): not flagged, no commune either.
		{"Phường Móng Cái, Tỉnh Quảng Ninh", "", "", 0},
	} {
		c, ok := au.Check(tc.addr)
		if !ok {
			t.Errorf("%q: no province", tc.addr)
			continue
		}
		got := ""
		if c.Commune != nil {
			got = c.Commune.Code
		}
		if tc.commune != "" && got != tc.commune || c.Suggestion != tc.suggestion && tc.commune != "" || len(c.OtherProvince) != tc.other ||
			strings.Contains(tc.addr, "Móng Cái") && !c.Partial {
			t.Errorf("%q: commune %q suggestion %q other %d", tc.addr, got, c.Suggestion, len(c.OtherProvince))
		}
	}
	// A pre-2025 province and district, a commune whose name the new province has once.
	var sample Commune
	for _, c := range au.CommunesOf("15") { // Lào Cai, which absorbed Yên Bái
		if n := len(au.communeFold[Fold(c.Name)]); n == 1 && c.Kind == "Xã" {
			sample = c
			break
		}
	}
	c, ok := au.Check(sample.FullName() + ", Huyện Văn Yên, Tỉnh Yên Bái")
	if !ok || c.Commune == nil || c.Commune.Code != sample.Code || c.OldProvince != "Yên Bái" ||
		c.Suggestion != sample.FullName()+", Tỉnh Lào Cai" || c.District != "Huyện Văn Yên" {
		t.Errorf("old address: %+v", c)
	}
	if ToneKey("Hoà Bình") != ToneKey("HÒA BÌNH") || ToneKey("Hoa Bình") == ToneKey("Hòa Bình") {
		t.Errorf("tone keys %q %q", ToneKey("Hoà Bình"), ToneKey("HÒA BÌNH"))
	}
}

// TestLoadUpdatedCatalogue: an administrator loads the dataset's later snapshot (Resolution
// 30/2026/QH16 makes Đồng Nai a city; 202 names in the other tone placement) into a data
// folder; validation then uses it, names in either placement still match, and a broken file
// is refused with a translated message and leaves the catalogue as it was.
func TestLoadUpdatedCatalogue(t *testing.T) {
	dir := t.TempDir()
	t.Cleanup(func() { _, _ = UseDataDir("") })
	data, err := os.ReadFile(filepath.Join(testenv.Corpus(), "admin-units-2025", "thanglequoc_HEAD_2026", "full_json_generated_data_vn_units.json"))
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	before, _ := bundledCatalog()
	if p, _ := before.Province("Đồng Nai"); p.Kind != "Tỉnh" {
		t.Fatalf("bundled Đồng Nai is %q", p.Kind)
	}
	if _, err := InstallUnitFile(dir, data); err != nil {
		t.Fatal(err)
	}
	au, err := UseDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := Catalog()
	if cur != au || len(au.Communes) != 3321 {
		t.Fatalf("catalogue in use: %d communes", len(cur.Communes))
	}
	if p, _ := au.Province("Đồng Nai"); p.Kind != "Thành phố" || len(p.MergedFrom) == 0 {
		t.Errorf("Đồng Nai after the update: %+v", p)
	}
	// A name the update writes in the other tone placement matches as the bundled one wrote it.
	changed := 0
	for i, c := range au.Communes {
		old := before.Communes[i]
		if c.Code == old.Code && c.Name != old.Name && ToneKey(c.Name) == ToneKey(old.Name) {
			changed++
			p := au.byCode[c.Province]
			chk, ok := au.Check(old.FullName() + ", " + p.FullName())
			if !ok || chk.Commune == nil || chk.Commune.Code != c.Code {
				t.Errorf("%s written %q not found after the update", c.Code, old.Name)
			}
		}
	}
	if changed < 40 { // 49 commune names in the 2026 snapshot
		t.Errorf("only %d names changed tone placement in the update", changed)
	}
	for _, bad := range []string{`{`, `[]`, `[{"Code":"01","Name":"Hà Nội","Wards":[{"Code":"1","Name":"X","AdministrativeUnitShortName":"Xã"}]}]`, `[{"Code":"99","Name":"Nowhere","Wards":[{"Code":"99999","Name":"X","AdministrativeUnitShortName":"Xã"}]}]`} {
		_, err := InstallUnitFile(dir, []byte(bad))
		if err == nil {
			t.Errorf("%s accepted", bad)
			continue
		}
		l10ntest.Translated(t, "bad catalogue", err)
	}
	if again, err := UseDataDir(dir); err != nil || len(again.Communes) != 3321 {
		t.Errorf("after refused loads: %v", err)
	}
}
