package records

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

const deathType = `{
  "key": "death",
  "name_vi": "Trích lục khai tử",
  "name_en": "Death certificate extract",
  "fields": [
    {"key": "full_name", "label_vi": "Họ, chữ đệm, tên người đã chết", "label_en": "Full name of the deceased", "type": "name", "required": true, "personal": true, "ocr": {"anchors": ["Họ, chữ đệm, tên"]}},
    {"key": "date_of_death", "label_vi": "Ngày chết", "label_en": "Date of death", "type": "date", "required": true, "ocr": {"anchors": ["Ngày chết"]}}
  ]
}`

// TestInstallLocalType: an administrator's record type file is checked, stored in the data
// folder and loaded beside the bundled types; it can be replaced; it can neither take a
// bundled key nor be malformed; a broken file never lands.
func TestInstallLocalType(t *testing.T) {
	dir := t.TempDir()
	rt, err := Install(dir, []byte(deathType))
	if err != nil {
		t.Fatal(err)
	}
	if rt.Key != "death" {
		t.Fatalf("installed %q", rt.Key)
	}
	reg, err := LoadAll(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := reg.Get("death"); !ok || got.NameVi != "Trích lục khai tử" || len(got.Fields) != 2 {
		t.Fatalf("local type not loaded: %+v", got)
	}
	if _, ok := reg.Get("birth"); !ok {
		t.Fatal("bundled types lost")
	}
	// A new version of the same local type replaces it.
	v2 := []byte(`{"key": "death", "name_vi": "Trích lục khai tử (bản sao)", "name_en": "Death certificate extract (copy)",
	  "fields": [{"key": "full_name", "label_vi": "Họ tên", "label_en": "Name", "type": "name", "required": true, "ocr": {"anchors": ["Họ tên"]}}]}`)
	if _, err := Install(dir, v2); err != nil {
		t.Fatalf("replace: %v", err)
	}
	reg, _ = LoadAll(dir)
	if got, _ := reg.Get("death"); got == nil || len(got.Fields) != 1 {
		t.Fatalf("replaced type: %+v", got)
	}
	// A bundled key is refused, and so is a malformed file; nothing is written for either.
	clash := []byte(`{"key": "birth", "name_vi": "Khai sinh khác", "name_en": "Other birth", "fields": [{"key": "a", "label_vi": "A", "label_en": "A", "type": "text", "ocr": {"anchors": ["A"]}}]}`)
	for name, data := range map[string][]byte{"bundled key": clash, "not JSON": []byte("{khai sinh"), "no fields": []byte(`{"key": "x", "name_vi": "X", "name_en": "X", "fields": []}`)} {
		if _, err := Install(dir, data); !errors.Is(err, ErrSchema) {
			t.Errorf("%s: %v, want ErrSchema", name, err)
		}
	}
	entries, _ := os.ReadDir(LocalDir(dir))
	if len(entries) != 1 || entries[0].Name() != "death.json" {
		t.Fatalf("local folder holds %v", entries)
	}
	if _, err := LoadAll(dir); err != nil {
		t.Fatalf("the set no longer loads: %v", err)
	}
	// No local folder at all: the bundled types.
	if reg, err := LoadAll(filepath.Join(dir, "nothing")); err != nil || len(reg.Types()) != 6 {
		t.Fatalf("no local types: %v", err)
	}
}
