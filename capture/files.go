package capture

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// importableExt lists the extensions picked up when a folder is imported. The content, not
// the extension, decides how a file is decoded.
var importableExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".jpe": true, ".jfif": true,
	".tif": true, ".tiff": true, ".pdf": true,
}

// ExpandPaths turns files and folders into the list of files to import, sorted naturally
// ("page2" before "page10"), without duplicates. Folders are walked recursively; inside
// them hidden files and folders (name starting with ".") and files without an image or PDF
// extension are skipped. Files named explicitly are always returned: their content decides.
func ExpandPaths(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		p = filepath.Clean(p)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, &DecodeError{File: filepath.Base(p), Page: -1, Kind: ErrNotFound, Err: err}
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !importableExt[strings.ToLower(filepath.Ext(d.Name()))] {
				return nil
			}
			if !d.Type().IsRegular() { // a symbolic link: keep it when it leads to a file
				if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
					return nil
				}
			}
			add(path)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("import folder %q: %w", filepath.Base(p), err)
		}
	}
	slices.SortStableFunc(out, naturalPathCompare)
	return out, nil
}

// naturalPathCompare orders paths folder by folder, each name in natural order.
func naturalPathCompare(a, b string) int {
	as := strings.Split(filepath.ToSlash(a), "/")
	bs := strings.Split(filepath.ToSlash(b), "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if c := naturalCompare(as[i], bs[i]); c != 0 {
			return c
		}
	}
	if c := len(as) - len(bs); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// naturalCompare compares names with runs of digits compared as numbers and letters
// without regard to case: "page2" < "Page10" < "page10a".
func naturalCompare(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na := strings.TrimLeft(a[si:i], "0")
			nb := strings.TrimLeft(b[sj:j], "0")
			if c := len(na) - len(nb); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			continue
		}
		ra, wa := utf8.DecodeRuneInString(a[i:])
		rb, wb := utf8.DecodeRuneInString(b[j:])
		if c := int(unicode.ToLower(ra)) - int(unicode.ToLower(rb)); c != 0 {
			return c
		}
		i += wa
		j += wb
	}
	if c := (len(a) - i) - (len(b) - j); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
