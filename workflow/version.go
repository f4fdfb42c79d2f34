package workflow

import (
	"strings"

	mattn "github.com/mattn/go-sqlite3"

	"github.com/sohoa/sohoa/capture/sane"
	"github.com/sohoa/sohoa/internal/buildinfo"
	"github.com/sohoa/sohoa/ocr"
)

// BuildInfo is the workstation's build and the libraries it runs with, each as the library
// reports itself in this process: Tesseract, Leptonica, SANE (libsane's sane_init) and SQLite.
// It needs no data folder.
func BuildInfo() buildinfo.Info {
	tess := buildinfo.Component{Name: "Tesseract", Version: strings.TrimPrefix(ocr.EngineVersion(), "tesseract ")}
	lept := buildinfo.Component{Name: "Leptonica", Version: ocr.LeptonicaVersion()}
	sn := buildinfo.Component{Name: "SANE", Version: "unknown"}
	if v, err := sane.LibraryVersion(); err == nil {
		sn.Version = v
	} else {
		sn.Note = err.Error()
	}
	lib, _, _ := mattn.Version()
	return buildinfo.Get("sohoa", tess, lept, sn, buildinfo.Component{Name: "SQLite", Version: lib})
}
