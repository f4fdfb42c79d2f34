package buildinfo

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDefaultVersionIsFyneAppVersion: the version a plain `go build` reports is the one the
// packages are built with (FyneApp.toml, which `fyne package` and packaging/build.sh read)
// and the newest release of the AppStream metadata.
func TestDefaultVersionIsFyneAppVersion(t *testing.T) {
	raw, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([^"]+)"`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("FyneApp.toml has no Version")
	}
	if string(m[1]) != DefaultVersion {
		t.Fatalf("FyneApp.toml says %s, buildinfo.DefaultVersion %s", m[1], DefaultVersion)
	}
	// The AppStream metadata's newest release is this version too.
	meta, err := os.ReadFile("../../assets/linux/vn.sohoa.workstation.metainfo.xml")
	if err != nil {
		t.Fatal(err)
	}
	r := regexp.MustCompile(`<release version="([^"]+)"`).FindSubmatch(meta)
	if r == nil || string(r[1]) != DefaultVersion {
		t.Fatalf("metainfo's first release: %q, want %s", r, DefaultVersion)
	}
}

func TestWrite(t *testing.T) {
	in := Get("sohoa", Component{Name: "Tesseract", Version: "5.3.0"}, Component{Name: "SANE", Version: "1.2.1", Note: "libsane"})
	if in.Version == "" || in.Commit == "" || !strings.HasPrefix(in.GoVersion, "go") {
		t.Fatalf("info %+v", in)
	}
	var b bytes.Buffer
	if err := in.Write(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "sohoa "+in.Version+" (commit ") ||
		lines[1] != "  Tesseract 5.3.0" || lines[2] != "  SANE      1.2.1  (libsane)" {
		t.Fatalf("output:\n%s", b.String())
	}
	long := Info{Commit: "0123456789abcdef0123", Modified: true}
	if got := long.ShortCommit(); got != "0123456789ab+dirty" {
		t.Fatalf("short commit %q", got)
	}
}
