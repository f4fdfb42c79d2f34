package main

import (
	"runtime/debug"

	mattn "github.com/mattn/go-sqlite3"

	"github.com/sohoa/sohoa/internal/buildinfo"
)

// buildInfo is the central server's build and what it runs with. It links no OCR and no
// scanner library (internal/layers TestCentralServerDeps): it says so rather than print
// versions it does not have.
func buildInfo() buildinfo.Info {
	lib, _, _ := mattn.Version()
	pgx := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/jackc/pgx/v5" {
				pgx = m.Version
			}
		}
	}
	return buildinfo.Get("sohoa-central",
		buildinfo.Component{Name: "SQLite", Version: lib, Note: "default database, linked in"},
		buildinfo.Component{Name: "pgx", Version: pgx, Note: "PostgreSQL client, for --db postgres://…"},
		buildinfo.Component{Name: "Tesseract", Version: "-", Note: "not linked: the central server does no OCR"},
		buildinfo.Component{Name: "Leptonica", Version: "-", Note: "not linked: the central server does no OCR"},
		buildinfo.Component{Name: "SANE", Version: "-", Note: "not linked: the central server drives no scanner"},
	)
}
