package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n"
)

// TestCatalogue: the command line's catalogue is consistent (every key in Vietnamese and
// English, the same placeholders in both), and every key the code asks for with c.tr is in it;
// no text of the cli package is chosen between two literals any more.
func TestCatalogue(t *testing.T) {
	if err := cliCatalogue.Check(); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("sources: %v %v", files, err)
	}
	asked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			if fd, ok := n.(*ast.FuncDecl); ok && fd.Recv != nil && fd.Name.Name == "t" {
				t.Errorf("%s: method t is back", fset.Position(fd.Pos()))
			}
			ce, ok := n.(*ast.CallExpr)
			if !ok || len(ce.Args) == 0 {
				return true
			}
			se, ok := ce.Fun.(*ast.SelectorExpr)
			if !ok || se.Sel.Name != "tr" {
				return true
			}
			lit, ok := ce.Args[0].(*ast.BasicLit)
			if !ok {
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			asked++
			for _, lang := range l10n.Languages() {
				if _, ok := cliCatalogue.Source(lang, key); !ok {
					t.Errorf("%s: %q missing from %s.json", fset.Position(ce.Pos()), key, lang)
				}
			}
			return true
		})
	}
	if asked < 100 {
		t.Errorf("only %d keys asked for: the walk missed the sources", asked)
	}
}
