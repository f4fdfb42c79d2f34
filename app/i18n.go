package app

import (
	"embed"
	"os"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/sohoa/sohoa/internal/l10n"
)

//go:embed translations/*.json
var translationsFS embed.FS

// appCatalogue holds the window's own messages (translations/{vi,en}.json), registered with
// internal/l10n beside the core's: tr finds both, and errors from the core say themselves in
// the interface language (errText).
var appCatalogue = l10n.MustRegister("app", translationsFS, "translations")

// prefLanguage is the fyne Preferences key holding the chosen language code.
const prefLanguage = "language"

// Languages the interface speaks; the first is the default.
var languages = l10n.Languages()

// languageNames are shown in the language selector, each in its own language.
var languageNames = map[string]string{l10n.Vi: "Tiếng Việt", l10n.En: "English"}

// langKey is a message present in every translation file whose value is the file's own code;
// it tells which file Fyne's localizer actually uses.
const langKey = "sohoa.lang"

// uiLang is the interface language, read by any goroutine that builds a text.
var uiLang atomic.Pointer[string]

// startLanguage is the language the window opens in: the one last chosen in the window
// (saved), else SOHOA_LANG (vi, en), as the command line reads it, else Vietnamese. LANG and
// LC_* are not followed: a Vietnamese office's machine often runs in an English locale.
func startLanguage(saved string, getenv func(string) string) string {
	if l, ok := l10n.Parse(saved); ok {
		return l
	}
	if l, ok := l10n.Parse(getenv("SOHOA_LANG")); ok {
		return l
	}
	return languages[0]
}

// tr translates a message key; data fills {{.Name}} placeholders.
func tr(key string, data ...any) string { return l10n.T(currentLanguage(), key, data...) }

// currentLanguage is the code of the interface language ("vi" or "en").
func currentLanguage() string {
	if l := uiLang.Load(); l != nil {
		return *l
	}
	return languages[0]
}

// applyLanguage makes code the interface language (an unknown code: Vietnamese).
//
// SoHoa's own texts follow it at once (tr). Fyne's widgets (dialog buttons, the file dialog)
// take theirs from Fyne's lang package, which picks its language from the system locale and
// has no setter: on Linux and the BSDs it reads LC_ALL, LC_MESSAGES, LANG and then LANGUAGE
// (which wins unless the locale is C/POSIX); on Windows and macOS it asks the OS. So we set
// LANGUAGE and load the chosen file, which holds Fyne's strings too ("Cancel"); when the
// system still decides otherwise (C locale, Windows, macOS), the chosen texts are loaded
// under the locale Fyne picked, which then speaks our language.
func applyLanguage(code string) {
	code = l10n.FromPreference(code)
	uiLang.Store(&code)
	data, err := translationsFS.ReadFile("translations/" + code + ".json")
	if err != nil {
		fyne.LogError("translations missing", err)
		return
	}
	_ = os.Setenv("LANGUAGE", code)
	if err := lang.AddTranslationsForLocale(data, fyne.Locale(code)); err != nil {
		fyne.LogError("bad translation file", err)
		return
	}
	if fyneLanguage() == code {
		return
	}
	for _, loc := range []fyne.Locale{lang.SystemLocale(), "en"} {
		_ = lang.AddTranslationsForLocale(data, loc)
		if fyneLanguage() == code {
			return
		}
	}
}

// fyneLanguage is the code of the translation file Fyne's own widgets use.
func fyneLanguage() string { return lang.X(langKey, "") }
