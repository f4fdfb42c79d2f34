package assets

import (
	"embed"
	"io/fs"
)

//go:embed l10n/*.json
var l10nFiles embed.FS

// L10n returns the core's message catalogues: "vi.json" and "en.json", flat maps from a
// message key to a Go text/template (package internal/l10n loads them).
func L10n() fs.FS {
	sub, err := fs.Sub(l10nFiles, "l10n")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}
