// Package buildinfo says which build of SoHoa is running: its version and commit, and the
// libraries it runs with, for `sohoa --version` and `sohoa-central --version`.
//
// A release build sets the version and commit with the linker (see packaging/build.sh):
//
//	go build -ldflags "-X github.com/sohoa/sohoa/internal/buildinfo.version=0.1.0 \
//	    -X github.com/sohoa/sohoa/internal/buildinfo.commit=$(git rev-parse HEAD)"
//
// Without them the commit comes from the Go toolchain's own stamp (vcs.revision, present when
// the binary is built inside a git checkout), and the version is DefaultVersion.
package buildinfo

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// DefaultVersion is the version a build without -ldflags reports. It is the one of
// FyneApp.toml ([Details] Version) and packaging/ (a test keeps them equal).
const DefaultVersion = "0.1.0"

// Set by the linker (-X); empty otherwise.
var (
	version string
	commit  string
)

// Component is one library a binary runs with, as the library itself reports it at run time.
type Component struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Note    string `json:"note,omitempty"` // e.g. "not linked: the central server does no OCR"
}

// Info is the build of the running binary.
type Info struct {
	Program    string      `json:"program"`
	Version    string      `json:"version"`
	Commit     string      `json:"commit"`   // full hash, or "unknown"
	Modified   bool        `json:"modified"` // built from a checkout with uncommitted changes
	GoVersion  string      `json:"go"`
	Platform   string      `json:"platform"` // GOOS/GOARCH
	Components []Component `json:"components"`
}

// Get returns the build of the running binary, named program, with the given components.
func Get(program string, components ...Component) Info {
	in := Info{Program: program, Version: version, Commit: commit, GoVersion: runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH, Components: components}
	if in.Version == "" {
		in.Version = DefaultVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if in.Commit == "" {
					in.Commit = s.Value
				}
			case "vcs.modified":
				in.Modified = in.Modified || s.Value == "true"
			}
		}
	}
	if in.Commit == "" {
		in.Commit = "unknown"
	}
	return in
}

// ShortCommit is the commit's first 12 hex digits ("unknown" if it is not known), with
// "+dirty" when the checkout had uncommitted changes.
func (in Info) ShortCommit() string {
	c := in.Commit
	if len(c) > 12 && c != "unknown" {
		c = c[:12]
	}
	if in.Modified {
		c += "+dirty"
	}
	return c
}

// Write prints the build as plain lines, the first one "PROGRAM VERSION (commit C, goX, os/arch)"
// and then one line per component.
func (in Info) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s (commit %s, %s, %s)\n", in.Program, in.Version, in.ShortCommit(), in.GoVersion, in.Platform)
	width := 0
	for _, c := range in.Components {
		width = max(width, len(c.Name))
	}
	for _, c := range in.Components {
		line := fmt.Sprintf("  %-*s %s", width, c.Name, c.Version)
		if c.Note != "" {
			line += "  (" + c.Note + ")"
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
