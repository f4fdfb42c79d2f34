package app

import (
	"embed"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
)

//go:embed translations/*.json
var translationsFS embed.FS

// prefLanguage is the fyne Preferences key holding the chosen language code.
const prefLanguage = "language"

// Languages the interface speaks; the first is the default.
var languages = []string{"vi", "en"}

// languageNames are shown in the language selector, each in its own language.
var languageNames = map[string]string{"vi": "Tiếng Việt", "en": "English"}

// langKey is a message present in every translation file whose value is the file's own code;
// it tells which file the localizer actually uses.
const langKey = "sohoa.lang"

// tr translates a message key; data fills {{.Name}} placeholders.
func tr(key string, data ...any) string { return lang.L(key, data...) }

// currentLanguage is the code of the active translation ("vi" or "en").
func currentLanguage() string {
	if c := lang.X(langKey, ""); c == "vi" || c == "en" {
		return c
	}
	return "en"
}

// applyLanguage makes code the interface language.
//
// Fyne's lang package picks its language from the system locale and has no setter: on Linux
// and the BSDs it reads LC_ALL, LC_MESSAGES, LANG and then LANGUAGE (which wins unless the
// locale is C/POSIX); on Windows and macOS it asks the OS. So we set LANGUAGE and reload the
// chosen file; when the system still decides otherwise (C locale, Windows, macOS), the chosen
// texts are loaded under the locale Fyne picked, which then speaks our language.
func applyLanguage(code string) {
	if _, ok := languageNames[code]; !ok {
		code = languages[0]
	}
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
	if currentLanguage() == code {
		return
	}
	for _, loc := range []fyne.Locale{lang.SystemLocale(), "en"} {
		_ = lang.AddTranslationsForLocale(data, loc)
		if currentLanguage() == code {
			return
		}
	}
}
