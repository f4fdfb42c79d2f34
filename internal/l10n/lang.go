package l10n

import (
	"strings"
	"time"
)

// The languages SoHoa speaks.
const (
	Vi = "vi" // Vietnamese, the default
	En = "en" // English
)

// languages in order of preference: the first is the default and the first fallback.
var languages = []string{Vi, En}

// Languages returns the language codes SoHoa speaks, the default (Vietnamese) first.
func Languages() []string { return append([]string(nil), languages...) }

// Parse reads a language code or a locale name ("vi", "en-GB", "en_US.UTF-8", "VI_vn") and
// returns the language SoHoa speaks that it names.
func Parse(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, l := range languages {
		if s == l || strings.HasPrefix(s, l) && len(s) > len(l) && strings.ContainsRune("_-.@", rune(s[len(l)])) {
			return l, true
		}
	}
	return "", false
}

// Lang returns code when SoHoa speaks it, else the default language (Vietnamese). It accepts
// what Parse accepts.
func Lang(code string) string {
	if l, ok := Parse(code); ok {
		return l
	}
	return languages[0]
}

// FromEnv chooses the language from the environment: the first of SOHOA_LANG, LC_ALL,
// LC_MESSAGES and LANG that names a language SoHoa speaks; Vietnamese when none does (an
// unset variable, "C", "POSIX" or another language are passed over).
func FromEnv(getenv func(string) string) string {
	for _, k := range []string{"SOHOA_LANG", "LC_ALL", "LC_MESSAGES", "LANG"} {
		if l, ok := Parse(getenv(k)); ok {
			return l
		}
	}
	return languages[0]
}

// FromPreference chooses the language from a saved preference (the app's "language"
// setting): the language it names, else Vietnamese.
func FromPreference(pref string) string { return Lang(pref) }

// fallbacks is lang followed by the other languages, in order.
func fallbacks(lang string) []string {
	lang = Lang(lang)
	out := []string{lang}
	for _, l := range languages {
		if l != lang {
			out = append(out, l)
		}
	}
	return out
}

// Date is a day as lang writes it, in local time: 02/01/2006 in Vietnamese, 2006-01-02 in
// English.
func Date(lang string, t time.Time) string {
	if Lang(lang) == En {
		return t.Local().Format("2006-01-02")
	}
	return t.Local().Format("02/01/2006")
}
