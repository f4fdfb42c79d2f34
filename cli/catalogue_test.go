package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/internal/l10n"
)

// TestCatalogue: the command line's catalogue is consistent (every key in Vietnamese and
// English, the same placeholders in both), every key the code asks for (c.tr, l10n.New,
// l10n.Wrap) is in it, and every key is used; no text of the cli package is chosen between
// two literals any more.
func TestCatalogue(t *testing.T) {
	if err := cliCatalogue.Check(); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("sources: %v %v", files, err)
	}
	asked := 0
	used := map[string]bool{}
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
			if !ok {
				return true
			}
			arg := 0
			switch id, _ := se.X.(*ast.Ident); {
			case se.Sel.Name == "tr":
			case id != nil && id.Name == "l10n" && se.Sel.Name == "New":
			case id != nil && id.Name == "l10n" && se.Sel.Name == "Wrap" && len(ce.Args) > 1:
				arg = 1
			default:
				return true
			}
			lit, ok := ce.Args[arg].(*ast.BasicLit)
			if !ok {
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			asked++
			used[key] = true
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
	// Every key is used: by c.tr in the code, or by the command tree (describe, usageTemplate).
	tree := map[string]bool{}
	walk((&cmdCtx{lang: l10n.Vi}).newRoot(), func(cmd *cobra.Command) {
		key := "cli.cmd"
		if cmd.HasParent() {
			key += "." + strings.ReplaceAll(strings.TrimPrefix(cmd.CommandPath(), "sohoa "), " ", ".")
		}
		tree[key+".short"], tree[key+".long"], tree[key+".example"] = true, true, true
		add := func(f *pflag.Flag) { tree[key+".flag."+f.Name], tree["cli.flag."+f.Name] = true, true }
		cmd.LocalFlags().VisitAll(add)
		cmd.InheritedFlags().VisitAll(add)
	})
	for _, k := range cliCatalogue.Keys() {
		switch {
		case strings.HasPrefix(k, "cli.cmd") || strings.HasPrefix(k, "cli.flag."):
			if !tree[k] {
				t.Errorf("%q names no command or flag of the tree", k)
			}
		case strings.HasPrefix(k, "cli.help."):
		case !used[k]:
			t.Errorf("%q is used nowhere", k)
		}
	}
}
