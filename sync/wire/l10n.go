package wire

import "github.com/sohoa/sohoa/internal/l10n"

// Localize is the server's message in lang: each answer carries both languages (the other
// one stands in when one is empty).
func (e *Error) Localize(lang string) string {
	vi, en := e.MessageVI, e.MessageEN
	if l10n.Lang(lang) == l10n.En {
		vi, en = en, vi
	}
	switch {
	case vi != "":
		return vi
	case en != "":
		return en
	}
	return e.Code
}
