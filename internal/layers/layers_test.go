package layers

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/sohoa/sohoa"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// list runs `go list -json` over the module (test files excluded: tests may reach across
// layers to set up the real parts).
func list(t *testing.T, args ...string) []pkg {
	t.Helper()
	goBin := "/usr/local/go/bin/go" // the README's Go, when go is not on PATH
	if p, err := exec.LookPath("go"); err == nil {
		goBin = p
	}
	cmd := exec.Command(goBin, append([]string{"list", "-tags", "sqlite_fts5", "-json"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

func rel(p string) string {
	if p == mod {
		return "."
	}
	return strings.TrimPrefix(p, mod+"/")
}

func under(p string, prefixes ...string) bool {
	for _, x := range prefixes {
		if p == x || strings.HasPrefix(p, x+"/") {
			return true
		}
	}
	return false
}

// The faces: the binary's main package, the window and the command line.
var faces = []string{".", "app", "cli"}

// Test-only helpers and tools may reach anywhere.
var tools = []string{"internal/docgen", "internal/pdfattack", "internal/softhsmtest", "internal/testenv",
	"internal/layers", "sync/synctest", "sync/store/pgtest", "sync/store/storetest", "sync/chaos", "bench", "testdata"}

func TestLayers(t *testing.T) {
	for _, p := range list(t, "./...") {
		name := rel(p.ImportPath)
		if under(name, tools...) {
			continue
		}
		for _, imp := range p.Imports {
			own := strings.HasPrefix(imp, mod+"/") || imp == mod
			ri := rel(imp)
			switch {
			case strings.HasPrefix(imp, "fyne.io/") && name != "app":
				// Only the window knows the UI toolkit (the main package starts it through app).
				t.Errorf("%s imports %s: only app/ may use Fyne", name, imp)
			case own && ri == "app" && name != ".":
				t.Errorf("%s imports app: nothing below the faces may", name)
			case own && ri == "cli" && name != ".":
				t.Errorf("%s imports cli: nothing below the faces may", name)
			case own && ri == "workflow" && !under(name, faces...):
				t.Errorf("%s imports workflow: only the faces call it", name)
			case own && under(name, "app") && ri == "cli", own && under(name, "cli") && ri == "app":
				t.Errorf("%s imports %s: the two faces share the workflow, not each other", name, ri)
			case own && under(name, "sync/server", "sync/store", "sync/wire", "cmd/sohoa-central") &&
				under(ri, "queue", "sync/client", "capture", "ocr", "pipeline", "records", "workflow"):
				t.Errorf("%s imports %s: the central server shares only wire types (and the verifier) with the workstation", name, ri)
			case own && under(name, "queue") && !under(ri, "queue", "internal", "assets"):
				t.Errorf("%s imports %s: the store is the bottom layer", name, ri)
			case own && under(name, faces...) && under(ri, "sign", "sync/client"):
				// Signing, verifying, enrolling and the sync loop are workflow operations
				// (workflow/sign.go, verify.go, enroll.go, sync.go): the faces call them.
				t.Errorf("%s imports %s: signing, verifying and syncing go through workflow", name, ri)
			}
		}
	}
}

// The central server is a separate binary without the UI toolkit, Tesseract or SANE.
func TestCentralServerDeps(t *testing.T) {
	all := list(t, "-deps", "./cmd/sohoa-central")
	if len(all) < 2 {
		t.Fatalf("go list -deps gave %d packages for the central server", len(all))
	}
	for _, d := range all {
		for _, bad := range []string{"fyne.io/", "github.com/otiai10/gosseract", mod + "/capture", mod + "/ocr", mod + "/app", mod + "/cli", mod + "/queue", mod + "/workflow"} {
			if strings.HasPrefix(d.ImportPath, bad) {
				t.Errorf("sohoa-central depends on %s", d.ImportPath)
			}
		}
	}
}

// The faces start the desk's operations (import, scan, re-scan, watch, OCR, extract, keying,
// review) through the workflow: they never reach the scanner drivers, the hot folder, batch
// separation, clean-up, the OCR pool or the pipeline themselves. (The main package starts
// the OCR workers: ocr.MaybeRunWorker.) Shared types they display may still come from
// capture, queue and records.
func TestFacesUseTheWorkflowForTheDesk(t *testing.T) {
	desk := []string{"capture/sane", "capture/escl", "capture/hotfolder", "capture/separate", "capture/cleanup", "pipeline", "ocr"}
	for _, p := range list(t, "./app/...", "./cli/...") {
		name := rel(p.ImportPath)
		for _, imp := range p.Imports {
			if ri := rel(imp); strings.HasPrefix(imp, mod+"/") && under(ri, desk...) {
				t.Errorf("%s imports %s: the desk's operations go through workflow", name, ri)
			}
		}
	}
}
