package leakcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScanFinds: a value is found as written, in lower case and folded, in a nested file;
// short values are not looked for.
func TestScanFinds(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "blobs", "ab"), 0o700)
	os.WriteFile(filepath.Join(dir, "blobs", "ab", "x"), []byte("\x00\x01NGUYỄN VĂN AN\x00"), 0o600)
	os.WriteFile(filepath.Join(dir, "db"), []byte("... 001203004567 ... thon dong ..."), 0o600)
	os.WriteFile(filepath.Join(dir, "clean"), []byte("nothing here"), 0o600)
	fold := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "ô", "o") }
	hits, err := Scan(dir, []string{"Nguyễn Văn An", "001203004567", "Thôn Đông", "Nữ", "absent value"}, fold)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]string{}
	for _, h := range hits {
		got[h.Index] = h.File
	}
	if len(hits) != 2 || got[0] != filepath.Join("blobs", "ab", "x") || got[1] != "db" {
		t.Fatalf("hits %v", hits)
	}
	if strings.Contains(hits[0].String(), "Nguy") {
		t.Fatalf("a hit prints the value: %s", hits[0])
	}
}
