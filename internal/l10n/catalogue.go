package l10n

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"

	"github.com/sohoa/sohoa/assets"
)

// Catalogue is one set of messages in every language: a flat JSON object per language
// ("vi.json", "en.json") from a message key to a Go text/template whose placeholders name
// the fields of the data passed to T ("Đã lưu {{.N}} trang"). It is the format of the app's
// translations, which Fyne's lang package reads too.
type Catalogue struct {
	Name string
	src  map[string]map[string]string             // lang → key → source text
	tmpl map[string]map[string]*template.Template // lang → key → parsed, for texts with actions
}

// Load reads dir/vi.json and dir/en.json from fsys. Every text must parse as a template.
func Load(name string, fsys fs.FS, dir string) (*Catalogue, error) {
	c := &Catalogue{Name: name, src: map[string]map[string]string{}, tmpl: map[string]map[string]*template.Template{}}
	for _, l := range languages {
		file := path.Join(dir, l+".json")
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("catalogue %s: %w", name, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("catalogue %s: %s: %w", name, file, err)
		}
		c.src[l], c.tmpl[l] = m, map[string]*template.Template{}
		for k, v := range m {
			if !strings.Contains(v, "{{") {
				continue
			}
			t, err := template.New(k).Option("missingkey=error").Parse(v)
			if err != nil {
				return nil, fmt.Errorf("catalogue %s: %s: %q: %w", name, file, k, err)
			}
			c.tmpl[l][k] = t
		}
	}
	return c, nil
}

// Keys lists every key of the catalogue, in any language, sorted.
func (c *Catalogue) Keys() []string {
	seen := map[string]bool{}
	for _, m := range c.src {
		for k := range m {
			seen[k] = true
		}
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Source is the text of key in lang as the file holds it.
func (c *Catalogue) Source(lang, key string) (string, bool) {
	s, ok := c.src[lang][key]
	return s, ok
}

// Check reports every key missing from a language and every key whose languages do not use
// the same placeholders, each as one error (nil when the catalogue is consistent).
func (c *Catalogue) Check() error {
	var errs []error
	for _, k := range c.Keys() {
		var first []string
		for i, l := range languages {
			s, ok := c.src[l][k]
			if !ok {
				errs = append(errs, fmt.Errorf("catalogue %s: %s.json lacks %q", c.Name, l, k))
				continue
			}
			if strings.TrimSpace(s) == "" {
				errs = append(errs, fmt.Errorf("catalogue %s: %s.json: %q is empty", c.Name, l, k))
			}
			ph := Placeholders(c.tmpl[l][k])
			if i == 0 {
				first = ph
			} else if !slices.Equal(first, ph) {
				errs = append(errs, fmt.Errorf("catalogue %s: %q placeholders differ: %s %v, %s %v", c.Name, k, languages[0], first, l, ph))
			}
		}
	}
	return errors.Join(errs...)
}

// Placeholders lists the data fields a template uses ({{.N}}, {{if .Want}}...), sorted and
// without repeats; nil for nil.
func Placeholders(t *template.Template) []string {
	if t == nil || t.Tree == nil {
		return nil
	}
	seen := map[string]bool{}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, x := range n.Nodes {
					walk(x)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			seen[n.Ident[0]] = true
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		}
	}
	walk(t.Tree.Root)
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The registry: every catalogue the program has, searched together by T.
var (
	mu         sync.RWMutex
	catalogues []*Catalogue
	owner      = map[string]*Catalogue{} // key → the catalogue that has it
)

// Register adds c to the catalogues T searches. A key may be in one catalogue only.
func Register(c *Catalogue) error {
	mu.Lock()
	defer mu.Unlock()
	for _, old := range catalogues {
		if old.Name == c.Name {
			return fmt.Errorf("catalogue %s is registered already", c.Name)
		}
	}
	keys := c.Keys()
	for _, k := range keys {
		if o := owner[k]; o != nil {
			return fmt.Errorf("catalogue %s: key %q is in catalogue %s already", c.Name, k, o.Name)
		}
	}
	for _, k := range keys {
		owner[k] = c
	}
	catalogues = append(catalogues, c)
	return nil
}

// MustRegister loads and registers a catalogue bundled into the binary (go:embed), for a
// package's init: a broken bundled file is a programming error, and tests find it first.
func MustRegister(name string, fsys fs.FS, dir string) *Catalogue {
	c, err := Load(name, fsys, dir)
	if err == nil {
		err = Register(c)
	}
	if err != nil {
		panic(err)
	}
	return c
}

// Catalogues returns the registered catalogues, in registration order ("core" first).
func Catalogues() []*Catalogue {
	mu.RLock()
	defer mu.RUnlock()
	return append([]*Catalogue(nil), catalogues...)
}

// Core is the catalogue of the core packages' messages (assets/l10n).
var Core = MustRegister("core", assets.L10n(), ".")

// Has reports whether a registered catalogue has key.
func Has(key string) bool {
	mu.RLock()
	defer mu.RUnlock()
	return owner[key] != nil
}

// T is the message key in lang, its placeholders filled from data[0] (a map or a struct).
// It never panics and never shows a half-filled template: when lang lacks the key or its
// template fails on data (a missing field, say), the other language is tried, and when no
// language works T returns the key itself.
func T(lang, key string, data ...any) string {
	var d any
	if len(data) > 0 {
		d = data[0]
	}
	mu.RLock()
	c := owner[key]
	mu.RUnlock()
	if c == nil {
		return key
	}
	for _, l := range fallbacks(lang) {
		if s, ok := c.render(l, key, d); ok {
			return s
		}
	}
	return key
}

func (c *Catalogue) render(lang, key string, data any) (s string, ok bool) {
	src, ok := c.src[lang][key]
	if !ok {
		return "", false
	}
	t := c.tmpl[lang][key]
	if t == nil {
		return src, true
	}
	defer func() {
		if r := recover(); r != nil { // a method or a Stringer of the data panicked
			s, ok = "", false
		}
	}()
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", false
	}
	out := b.String()
	if strings.Contains(out, "<no value>") && !strings.Contains(src, "<no value>") {
		return "", false // a nil value in the data
	}
	return out, true
}
