// Package leakcheck looks for personal values left readable in a data folder: every file
// under it (database, WAL, blobs, temporary files, logs), for each value as written, in
// lower case, and folded (no diacritics, as the search index would hold it). The encrypted-store
// test greps the workstation's folder with it; the same call serves the central server's folder.
//
// A hit is reported by file and by the value's index, never by the value itself, so that a
// failing test does not print personal data either.
package leakcheck

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// MinLen is the shortest value (in bytes) looked for.
const MinLen = 6

// Hit is one value found in one file.
type Hit struct {
	File  string // relative to the folder
	Index int    // of the value in the list given
	Form  string // "as written", "lower case", "folded", "NFD"
}

func (h Hit) String() string { return fmt.Sprintf("value #%d (%s) in %s", h.Index, h.Form, h.File) }

// Scan reads every regular file under dir and returns where any of values appears. fold is
// the folding the search index uses (queue.Fold), or nil. Values shorter than MinLen bytes
// are skipped: a year, "Nữ", "Kinh" occur by chance in hex hashes or in the record types'
// own definitions (choice lists); names, ID numbers, dates and addresses are longer.
func Scan(dir string, values []string, fold func(string) string) ([]Hit, error) {
	type form struct {
		name string
		b    []byte
	}
	forms := make([][]form, len(values))
	for i, v := range values {
		if len(v) < MinLen {
			continue
		}
		add := func(name, s string) {
			for _, f := range forms[i] {
				if string(f.b) == s {
					return
				}
			}
			forms[i] = append(forms[i], form{name, []byte(s)})
		}
		add("as written", v)
		add("lower case", strings.ToLower(v))
		add("NFD", norm.NFD.String(v))
		if fold != nil {
			add("folded", fold(v))
		}
	}
	var hits []Hit
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		lower := bytes.ToLower(data)
		for i, fs := range forms {
			for _, f := range fs {
				if bytes.Contains(data, f.b) || bytes.Contains(lower, bytes.ToLower(f.b)) {
					hits = append(hits, Hit{File: rel, Index: i, Form: f.name})
					break
				}
			}
		}
		return nil
	})
	return hits, err
}
