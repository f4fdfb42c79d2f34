package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"

	"github.com/sohoa/sohoa/queue"
)

func readTranslations(t *testing.T, code string) map[string]string {
	t.Helper()
	data, err := translationsFS.ReadFile("translations/" + code + ".json")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s.json: %v", code, err)
	}
	return m
}

// TestTranslationsComplete checks that every key the code uses exists in both languages and
// that both files hold the same keys and the same {{.Placeholders}}.
func TestTranslationsComplete(t *testing.T) {
	vi, en := readTranslations(t, "vi"), readTranslations(t, "en")
	used := map[string]bool{}
	files, _ := filepath.Glob("*.go")
	lit := regexp.MustCompile(`tr\("([^"]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
		}
	}
	delete(used, "state.")
	for _, st := range []queue.State{queue.StateCapturing, queue.StateKeying, queue.StateReview, queue.StateReturned,
		queue.StateApproved, queue.StateSigned, queue.StateSynced} {
		used["state."+string(st)] = true
	}
	for _, k := range colKeys {
		used[k] = true
	}
	if len(used) < 50 {
		t.Fatalf("found only %d keys in the code: the scan is broken", len(used))
	}
	// The error messages are the window's own (errText, the setup and sign screens): one no
	// code says is a leftover of an older mechanism (the core's errors say themselves).
	for k := range en {
		if strings.HasPrefix(k, "err.") && !used[k] {
			t.Errorf("%q is in the catalogue but no code uses it", k)
		}
	}
	for k := range used {
		if _, ok := vi[k]; !ok {
			t.Errorf("vi.json lacks %q", k)
		}
		if _, ok := en[k]; !ok {
			t.Errorf("en.json lacks %q", k)
		}
	}
	// Both files have every key with the same placeholders (the check every catalogue passes).
	if err := appCatalogue.Check(); err != nil {
		t.Error(err)
	}
	if vi[langKey] != "vi" || en[langKey] != "en" {
		t.Errorf("%s: vi=%q en=%q", langKey, vi[langKey], en[langKey])
	}
}

// TestApplyLanguage checks both languages can be made current, whatever the system locale.
func TestApplyLanguage(t *testing.T) {
	for _, code := range []string{"en", "vi", "en", "xx"} {
		applyLanguage(code)
		want := code
		if code == "xx" {
			want = "vi" // unknown codes fall back to the default
		}
		if got := currentLanguage(); got != want {
			t.Fatalf("after applyLanguage(%q) the language is %q", code, got)
		}
	}
	if got := tr("login.submit"); got != "Đăng nhập" {
		t.Fatalf("login.submit = %q", got)
	}
	if got := lang.L("Cancel"); got != "Hủy" {
		t.Fatalf("Fyne's own Cancel button = %q", got)
	}
	applyLanguage("en")
	defer applyLanguage("vi")
	if got, fyneGot := tr("login.submit"), lang.L("Cancel"); got != "Sign in" || fyneGot != "Cancel" {
		t.Fatalf("in English: login.submit = %q, Fyne's Cancel = %q", got, fyneGot)
	}
}

// TestStartLanguage: the window opens in the language last chosen in it; on a first start,
// in SOHOA_LANG's (as the command line speaks); else Vietnamese, whatever LANG says.
func TestStartLanguage(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	for _, c := range []struct {
		saved string
		env   func(string) string
		want  string
	}{
		{"", env(), "vi"},
		{"", env("LANG", "en_US.UTF-8"), "vi"},
		{"", env("SOHOA_LANG", "en"), "en"},
		{"", env("SOHOA_LANG", "en_GB.UTF-8"), "en"},
		{"", env("SOHOA_LANG", "fr"), "vi"},
		{"vi", env("SOHOA_LANG", "en"), "vi"},
		{"en", env(), "en"},
	} {
		if got := startLanguage(c.saved, c.env); got != c.want {
			t.Errorf("saved %q, SOHOA_LANG %q, LANG %q: %q, want %q", c.saved, c.env("SOHOA_LANG"), c.env("LANG"), got, c.want)
		}
	}
}
