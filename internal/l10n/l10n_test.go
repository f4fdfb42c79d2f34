package l10n

import (
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// A catalogue of the tests' own, registered beside the core's.
var testCat = func() *Catalogue {
	fsys := fstest.MapFS{
		"vi.json": {Data: []byte(`{
			"test.plain": "Xin chào",
			"test.n": "Đã lưu {{.N}} trang",
			"test.viOnly": "chỉ tiếng Việt",
			"test.badVi": "thiếu {{.Missing}}",
			"test.struct": "lô {{.Name}}",
			"test.cause": "không nhập được {{.File}}",
			"test.placed": "thư mục {{.Dir}} không dùng được ({{.Err}})",
			"test.cond": "{{if .Want}}có {{.Want}}{{else}}không{{end}}"
		}`)},
		"en.json": {Data: []byte(`{
			"test.plain": "Hello",
			"test.n": "Stored {{.N}} pages",
			"test.enOnly": "English only",
			"test.badVi": "lacks nothing",
			"test.struct": "batch {{.Name}}",
			"test.cause": "cannot import {{.File}}",
			"test.placed": "folder {{.Dir}} unavailable ({{.Err}})",
			"test.cond": "{{if .Want}}has {{.Want}}{{else}}none{{end}}"
		}`)},
	}
	c, err := Load("test", fsys, ".")
	if err != nil {
		panic(err)
	}
	if err := Register(c); err != nil {
		panic(err)
	}
	return c
}()

func TestT(t *testing.T) {
	for _, c := range []struct {
		lang, key string
		data      any
		want      string
	}{
		{Vi, "test.plain", nil, "Xin chào"},
		{En, "test.plain", nil, "Hello"},
		{"en_GB.UTF-8", "test.plain", nil, "Hello"},
		{"fr", "test.plain", nil, "Xin chào"}, // a language SoHoa does not speak: the default
		{"", "test.plain", nil, "Xin chào"},
		{Vi, "test.n", Args{"N": 3}, "Đã lưu 3 trang"},
		{En, "test.n", map[string]int{"N": 3}, "Stored 3 pages"},
		{Vi, "test.struct", struct{ Name string }{"A"}, "lô A"},
		{Vi, "test.cond", Args{"Want": "HN-01"}, "có HN-01"},
		{En, "test.cond", Args{"Want": ""}, "none"},
		// A key one language lacks: the other language.
		{En, "test.viOnly", nil, "chỉ tiếng Việt"},
		{Vi, "test.enOnly", nil, "English only"},
		// A template that fails on the data: the other language, then the key.
		{Vi, "test.badVi", Args{}, "lacks nothing"},
		{Vi, "test.n", nil, "test.n"},
		{En, "test.n", Args{}, "test.n"},
		{Vi, "test.n", Args{"N": nil}, "test.n"}, // never "<no value>"
		{En, "test.struct", struct{ Other int }{1}, "test.struct"},
		{Vi, "test.struct", 42, "test.struct"},
		// No such key: the key.
		{Vi, "test.none", nil, "test.none"},
		{En, "", nil, ""},
	} {
		if got := T(c.lang, c.key, c.data); got != c.want {
			t.Errorf("T(%q, %q, %v) = %q, want %q", c.lang, c.key, c.data, got, c.want)
		}
	}
	if got := T(Vi, "test.n", Args{"N": 1}, Args{"N": 2}); got != "Đã lưu 1 trang" {
		t.Errorf("extra data: %q", got)
	}
	if got := T(Vi, "test.struct", panicky{}); got != "test.struct" {
		t.Errorf("a value that panics: %q", got)
	}
}

type panicky struct{}

func (panicky) Name() string { panic("boom") }

func TestCatalogueCheck(t *testing.T) {
	err := testCat.Check()
	if err == nil {
		t.Fatal("the test catalogue's gaps are not found")
	}
	for _, want := range []string{`en.json lacks "test.viOnly"`, `vi.json lacks "test.enOnly"`, `"test.badVi" placeholders differ`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check misses %s:\n%v", want, err)
		}
	}
	if n := len(strings.Split(err.Error(), "\n")); n != 3 {
		t.Errorf("Check found %d problems, want 3:\n%v", n, err)
	}
}

// TestCoreCatalogue: the core's catalogue has every key in both languages with the same
// placeholders, and every core key the code names is in it.
func TestCoreCatalogue(t *testing.T) {
	if err := Core.Check(); err != nil {
		t.Error(err)
	}
	if n := len(Core.Keys()); n < 300 {
		t.Errorf("the core catalogue has only %d keys", n)
	}
	// Keys in the Go code of the core packages: string literals on lines that call l10n, and
	// in files named l10n.go ("queue.badLogin"; keys built at run time, "queue.action."+a,
	// are checked by their packages' tests, which fail on a text that is its key).
	lit := regexp.MustCompile(`"((?:queue|sign|capture|cleanup|separate|hotfolder|records|ocr|pipeline|workflow|sync\.server|sync\.client|sync\.wire|l10n)\.[A-Za-z0-9_.]*[A-Za-z0-9_])"`)
	var files, found int
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if name == "app" || name == "cli" || name == "testdata" || strings.HasPrefix(name, ".") && name != ".." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !strings.Contains(string(src), "internal/l10n\"") {
			return nil
		}
		files++
		for _, line := range strings.Split(string(src), "\n") {
			if !strings.Contains(line, "l10n.") && name != "l10n.go" {
				continue
			}
			for _, m := range lit.FindAllStringSubmatch(line, -1) {
				found++
				if !Has(m[1]) {
					t.Errorf("%s names %q, which no catalogue has", path, m[1])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 || found < 50 {
		t.Fatalf("the scan found %d keys in %d files: it is broken", found, files)
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	good := `{"a.b": "x"}`
	for name, files := range map[string][2]string{
		"bad JSON":     {`{"a.b": `, good},
		"not a string": {`{"a.b": {"other": "x"}}`, good},
		"bad template": {`{"a.b": "{{.N"}`, good},
	} {
		fsys := fstest.MapFS{"vi.json": {Data: []byte(files[0])}, "en.json": {Data: []byte(files[1])}}
		if _, err := Load("bad", fsys, "."); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if _, err := Load("half", fstest.MapFS{"vi.json": {Data: []byte(good)}}, "."); err == nil {
		t.Error("a catalogue without en.json loaded")
	}
}

func TestRegisterRefusesDuplicates(t *testing.T) {
	fsys := fstest.MapFS{"vi.json": {Data: []byte(`{"test.plain": "x"}`)}, "en.json": {Data: []byte(`{"test.plain": "x"}`)}}
	c, err := Load("dup", fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	if err := Register(c); err == nil || !strings.Contains(err.Error(), `"test.plain" is in catalogue test`) {
		t.Errorf("duplicate key registered: %v", err)
	}
	c.Name = "test"
	if err := Register(c); err == nil {
		t.Error("a second catalogue named test registered")
	}
	if got := T(En, "test.plain"); got != "Hello" {
		t.Errorf("a refused catalogue changed a text: %q", got)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("MustRegister of a broken catalogue did not panic")
			}
		}()
		MustRegister("broken", fstest.MapFS{}, ".")
	}()
}

func TestPlaceholders(t *testing.T) {
	for src, want := range map[string]string{
		"{{.A}} {{.B}} {{.A}}":                        "A B",
		`{{printf "%q" .Office}}`:                     "Office",
		"{{if .X}}{{.Y}}{{else}}{{.Z}}{{end}}":        "X Y Z",
		"{{range .L}}{{.}}{{end}}{{with .W}}x{{end}}": "L W",
		"{{.S.Field}}":                                "S",
	} {
		fsys := fstest.MapFS{"vi.json": {Data: fmt.Appendf(nil, "{%q: %q}", "k", src)}, "en.json": {Data: []byte(`{"k": "x"}`)}}
		c, err := Load("p", fsys, ".")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(Placeholders(c.tmpl[Vi]["k"]), " "); got != want {
			t.Errorf("Placeholders(%q) = %q, want %q", src, got, want)
		}
	}
	if Placeholders(nil) != nil {
		t.Error("Placeholders(nil)")
	}
}

func TestLanguages(t *testing.T) {
	if l := Languages(); len(l) != 2 || l[0] != Vi || l[1] != En {
		t.Fatalf("Languages() = %v", l)
	}
	for in, want := range map[string]string{
		"vi": Vi, "en": En, "EN": En, "en_US.UTF-8": En, "en-GB": En, "vi_VN.UTF-8": Vi, "vi@x": Vi, " en ": En,
		"": "", "C": "", "C.UTF-8": "", "POSIX": "", "fr_FR.UTF-8": "", "english": "", "env": "", "vie": "",
	} {
		got, ok := Parse(in)
		if got != want || ok != (want != "") {
			t.Errorf("Parse(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{nil, Vi},
		{map[string]string{"LANG": "en_US.UTF-8"}, En},
		{map[string]string{"LANG": "C.UTF-8"}, Vi},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_MESSAGES": "vi_VN.UTF-8"}, Vi},
		{map[string]string{"LC_MESSAGES": "vi_VN.UTF-8", "LC_ALL": "en_US.UTF-8"}, En},
		{map[string]string{"LC_ALL": "C", "LANG": "en_US.UTF-8"}, En}, // C names no language: the next one decides
		{map[string]string{"SOHOA_LANG": "vi", "LC_ALL": "en_US.UTF-8"}, Vi},
		{map[string]string{"SOHOA_LANG": "en"}, En},
		{map[string]string{"SOHOA_LANG": "de", "LANG": "fr_FR.UTF-8"}, Vi},
	} {
		if got := FromEnv(env(c.env)); got != c.want {
			t.Errorf("FromEnv(%v) = %q, want %q", c.env, got, c.want)
		}
	}
	for in, want := range map[string]string{"en": En, "vi": Vi, "": Vi, "xx": Vi} {
		if got := FromPreference(in); got != want {
			t.Errorf("FromPreference(%q) = %q", in, got)
		}
	}
}

// A typed error with a Localize method, as the core's error types have.
type quotaError struct{ N int }

func (e *quotaError) Error() string { return fmt.Sprintf("quota %d", e.N) }
func (e *quotaError) Localize(lang string) string {
	if lang == En {
		return fmt.Sprintf("over the quota of %d", e.N)
	}
	return fmt.Sprintf("vượt hạn mức %d", e.N)
}

var errPlainSentinel = errors.New("plain sentinel")

func init() { RegisterSentinel(errPlainSentinel, "test.plain") }

func TestText(t *testing.T) {
	sentinel := New("test.n", Args{"N": 2})
	placed := Wrap(errors.New("permission denied"), "test.placed", Args{"Dir": "/in"})
	for _, c := range []struct {
		name   string
		err    error
		vi, en string
	}{
		{"nil", nil, "", ""},
		{"plain", errors.New("disk full"), "disk full", "disk full"},
		{"plain wrapped", fmt.Errorf("save: %w", errors.New("disk full")), "save: disk full", "save: disk full"},
		{"l10n.Error", sentinel, "Đã lưu 2 trang", "Stored 2 pages"},
		{"wrapped once", fmt.Errorf("import a.png: %w", sentinel), "import a.png: Đã lưu 2 trang", "import a.png: Stored 2 pages"},
		{"wrapped three times", fmt.Errorf("a: %w", fmt.Errorf("b %d: %w", 1, fmt.Errorf("c: %w", sentinel))),
			"a: b 1: c: Đã lưu 2 trang", "a: b 1: c: Stored 2 pages"},
		{"detail after", fmt.Errorf("%w: page 3", sentinel), "Đã lưu 2 trang: page 3", "Stored 2 pages: page 3"},
		{"Localizer type", fmt.Errorf("x: %w", &quotaError{5}), "x: vượt hạn mức 5", "x: over the quota of 5"},
		{"registered sentinel", fmt.Errorf("batch 7: %w", errPlainSentinel), "batch 7: Xin chào", "batch 7: Hello"},
		{"context.Canceled", fmt.Errorf("ocr: %w", context.Canceled), "ocr: Đã hủy.", "ocr: Cancelled."},
		{"Wrap: cause after", Wrap(fmt.Errorf("open: %w", &quotaError{1}), "test.cause", Args{"File": "a.pdf"}),
			"không nhập được a.pdf: open: vượt hạn mức 1", "cannot import a.pdf: open: over the quota of 1"},
		{"Wrap: cause placed", placed, "thư mục /in không dùng được (permission denied)", "folder /in unavailable (permission denied)"},
		{"Wrap in Wrap", Wrap(Wrap(sentinel, "test.cause", Args{"File": "b"}), "test.cause", Args{"File": "a"}),
			"không nhập được a: không nhập được b: Đã lưu 2 trang", "cannot import a: cannot import b: Stored 2 pages"},
		{"joined", errors.Join(sentinel, errors.New("disk full"), &quotaError{3}),
			"Đã lưu 2 trang\ndisk full\nvượt hạn mức 3", "Stored 2 pages\ndisk full\nover the quota of 3"},
		{"two %w", fmt.Errorf("%w, then %w", sentinel, errPlainSentinel), "Đã lưu 2 trang, then Xin chào", "Stored 2 pages, then Hello"},
		{"hidden cause", hiding{sentinel}, "Đã lưu 2 trang", "Stored 2 pages"},
		{"typed nil", (*quotaError)(nil), "*l10n.quotaError", "*l10n.quotaError"},
	} {
		if got := Text(Vi, c.err); got != c.vi {
			t.Errorf("%s: Text(vi) = %q, want %q", c.name, got, c.vi)
		}
		if got := Text(En, c.err); got != c.en {
			t.Errorf("%s: Text(en) = %q, want %q", c.name, got, c.en)
		}
	}
	if Translatable(errors.New("x")) || Translatable(nil) || !Translatable(fmt.Errorf("a: %w", errPlainSentinel)) ||
		!Translatable(errors.Join(errors.New("x"), &quotaError{})) {
		t.Error("Translatable")
	}
}

// hiding is a wrapper whose text does not show its cause.
type hiding struct{ err error }

func (h hiding) Error() string { return "something failed" }
func (h hiding) Unwrap() error { return h.err }

func TestError(t *testing.T) {
	kind := errors.New("kind")
	e := &Error{Key: "test.n", Args: Args{"N": 4}, Kind: kind}
	if e.Error() != "Đã lưu 4 trang / Stored 4 pages" {
		t.Errorf("Error() = %q", e.Error())
	}
	if !errors.Is(fmt.Errorf("x: %w", e), kind) || errors.Is(e, errPlainSentinel) {
		t.Error("Kind is not matched")
	}
	cause := &quotaError{2}
	w := Wrap(cause, "test.cause", Args{"File": "a"})
	var q *quotaError
	if !errors.As(w, &q) || q != cause || !errors.Is(w, cause) {
		t.Error("Wrap hides its cause from errors.As")
	}
	if w.Error() != "không nhập được a / cannot import a: quota 2" {
		t.Errorf("Wrap Error() = %q", w.Error())
	}
	placed := Wrap(errors.New("denied"), "test.placed", Args{"Dir": "d"})
	if placed.Error() != "thư mục d không dùng được (denied) / folder d unavailable (denied)" {
		t.Errorf("placed Error() = %q", placed.Error())
	}
	if Wrap(nil, "test.cause") != nil {
		t.Error("Wrap(nil) is not nil")
	}
	if New("test.plain").Error() != "Xin chào / Hello" || New("test.viOnly").Error() != "chỉ tiếng Việt" {
		t.Error("Error() of a sentinel")
	}
	if got := New("no.such.key").Error(); got != "no.such.key" {
		t.Errorf("Error() of an unknown key: %q", got)
	}
	if Both("test.n", Args{"N": 1}) != "Đã lưu 1 trang / Stored 1 pages" {
		t.Error("Both")
	}
}

// TestImports: the package stays at the bottom, usable by every layer: the standard library
// and the bundled catalogues (assets) only, no Fyne, no other SoHoa package.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) < 3 {
		t.Fatalf("%v %v", files, err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p != "github.com/sohoa/sohoa/assets" && strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

// TestConcurrentUse: texts are read from many goroutines while a catalogue registers (the app
// registers its own at start-up while the core's errors are already in use); run with -race.
func TestConcurrentUse(t *testing.T) {
	fsys := fstest.MapFS{"vi.json": {Data: []byte(`{"late.x": "muộn {{.N}}"}`)}, "en.json": {Data: []byte(`{"late.x": "late {{.N}}"}`)}}
	c, err := Load("late", fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	for i := 0; i < 8; i++ {
		go func() {
			defer func() { done <- true }()
			for j := 0; j < 200; j++ {
				if T(En, "test.n", Args{"N": j}) != fmt.Sprintf("Stored %d pages", j) || Text(Vi, fmt.Errorf("x: %w", context.Canceled)) != "x: Đã hủy." {
					t.Error("wrong text under concurrency")
					return
				}
				if got := T(Vi, "late.x", Args{"N": 1}); got != "late.x" && got != "muộn 1" {
					t.Errorf("late.x = %q", got)
					return
				}
			}
		}()
	}
	if err := Register(c); err != nil {
		t.Error(err)
	}
	for i := 0; i < 8; i++ {
		<-done
	}
	if T(Vi, "late.x", Args{"N": 2}) != "muộn 2" {
		t.Error("the late catalogue is not used")
	}
}

// TestDate: a day in each language's style.
func TestDate(t *testing.T) {
	d := time.Date(2026, 3, 9, 12, 0, 0, 0, time.Local)
	if got := Date(Vi, d); got != "09/03/2026" {
		t.Errorf("vi: %q", got)
	}
	if got := Date(En, d); got != "2026-03-09" {
		t.Errorf("en: %q", got)
	}
	if got := Date("fr", d); got != "09/03/2026" {
		t.Errorf("unknown language: %q, want Vietnamese", got)
	}
}
