package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/buildinfo"
)

// TestVersion: `sohoa --version` and `sohoa version` print the build and the versions of the
// real Tesseract, Leptonica, SANE and SQLite this process loaded, with no data folder (a
// path that does not exist stays so); --json gives the same as one object.
func TestVersion(t *testing.T) {
	data := t.TempDir() + "/never-made"
	var texts []string
	for _, args := range [][]string{{"--version"}, {"version"}, {"--data", data, "version"}} {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		texts = append(texts, out.String())
	}
	if texts[0] != texts[1] || texts[1] != texts[2] {
		t.Fatalf("--version and version differ:\n%s\n%s", texts[0], texts[1])
	}
	text := texts[0]
	if !strings.HasPrefix(text, "sohoa "+buildinfo.DefaultVersion+" (commit ") {
		t.Fatalf("first line: %q", text)
	}
	for _, lib := range []string{"Tesseract", "Leptonica", "SANE", "SQLite"} {
		if !regexp.MustCompile(`(?m)^  ` + lib + ` +[0-9]+\.[0-9]+(\.[0-9]+)?`).MatchString(text) {
			t.Errorf("no %s version in:\n%s", lib, text)
		}
	}
	var out bytes.Buffer
	if code := Run(context.Background(), []string{"version", "--json"}, Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}); code != 0 {
		t.Fatalf("version --json: exit %d: %s", code, out.String())
	}
	var in buildinfo.Info
	if err := json.Unmarshal(out.Bytes(), &in); err != nil {
		t.Fatalf("version --json: %v\n%s", err, out.String())
	}
	if in.Program != "sohoa" || in.Version != buildinfo.DefaultVersion || len(in.Components) != 4 || in.Components[0].Name != "Tesseract" {
		t.Fatalf("version --json: %+v", in)
	}
	if fi, err := statPath(data); err == nil {
		t.Fatalf("version made the data folder %s (%v)", data, fi.Mode())
	}
}

func statPath(p string) (fs.FileInfo, error) { return os.Stat(p) }
