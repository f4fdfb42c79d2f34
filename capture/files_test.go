package capture

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

func TestExpandPaths(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		"batch/page10.png", "batch/page2.png", "batch/page1.JPG", "batch/Page3.tif",
		"batch/notes.txt", "batch/.hidden.png", "batch/.git/objects/x.png", "batch/scan.PDF",
		"batch/sub/page1.tiff", "batch/sub2/a.jpeg", "batch/sub10/a.jpeg", "batch/readme",
		"loose/explicit.txt", "loose/z-no-ext",
	}
	for _, f := range files {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ExpandPaths([]string{
		filepath.Join(dir, "batch"),
		filepath.Join(dir, "loose", "explicit.txt"),
		filepath.Join(dir, "loose", "z-no-ext"),
		filepath.Join(dir, "batch", "page2.png"), // also inside the folder: listed once
	})
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, p := range got {
		r, _ := filepath.Rel(dir, p)
		rel = append(rel, filepath.ToSlash(r))
	}
	want := []string{
		"batch/page1.JPG", "batch/page2.png", "batch/Page3.tif", "batch/page10.png", "batch/scan.PDF",
		"batch/sub/page1.tiff", "batch/sub2/a.jpeg", "batch/sub10/a.jpeg",
		"loose/explicit.txt", "loose/z-no-ext",
	}
	if !slices.Equal(rel, want) {
		t.Errorf("got  %q\nwant %q", rel, want)
	}

	if _, err := ExpandPaths([]string{filepath.Join(dir, "nope")}); err == nil {
		t.Error("missing path: no error")
	}
	empty, err := ExpandPaths([]string{t.TempDir()})
	if err != nil || len(empty) != 0 {
		t.Errorf("empty folder: %v %v", empty, err)
	}
}

func TestNaturalCompare(t *testing.T) {
	want := []string{"a", "page1", "page01a", "page2", "Page3", "page9", "page10", "page10a", "page100", "trang 2", "trang 11", "ảnh"}
	got := slices.Clone(want)
	sort.Slice(got, func(i, j int) bool { return naturalCompare(got[i], got[j]) < 0 })
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	for _, s := range want {
		if naturalCompare(s, s) != 0 {
			t.Errorf("%q != itself", s)
		}
	}
	if naturalCompare("page007", "page7") == 0 {
		t.Error("distinct names compare equal")
	}
}
