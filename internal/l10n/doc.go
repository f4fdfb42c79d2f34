// Package l10n is SoHoa's one localisation mechanism, for the core, the app and the CLI:
// the languages (Vietnamese first, English), message catalogues, and errors that say
// themselves in the person's language wherever they sit in a wrapped chain.
//
// # Catalogues
//
// A catalogue is a flat JSON object per language, vi.json and en.json, from a message key
// to a Go text/template: "queue.fourEyes.keyed": "nguyên tắc bốn mắt: {{.User}} đã nhập…".
// The core's messages are in assets/l10n (registered here as Core); the app registers
// app/translations (the same format, which Fyne's lang package also reads for Fyne's own
// widget strings). T(lang, key, data) renders a message; a key or a template that fails in
// lang falls back to the other language, then to the key itself: never a panic, never a
// half-filled "<no value>". Every catalogue's test checks (Catalogue.Check) that both
// languages have every key with the same placeholders.
//
// Keys are namespaced by who owns them: the core's by package ("queue.", "sign.",
// "capture.", "cleanup.", "records.", "ocr.", "sync.server.", "sync.client.", "l10n."), the
// app's by screen ("keying.", "review.", ...), the CLI's under "cli." (see below). A key
// lives in one catalogue only (Register refuses a duplicate).
//
// # Errors a person reads
//
// An error is translated when it, or anything it wraps, is
//   - an *Error (New for sentinels, Wrap for a cause with context): a key, its Args, an
//     optional cause (shown after the message, or where the message puts {{.Err}}) and an
//     optional Kind sentinel it matches with errors.Is;
//   - a type with a Localize(lang string) string method (Localizer): the core's error
//     types with fields (queue.PermissionError, capture.DecodeError, wire.Error, …);
//   - a plain sentinel given a key with RegisterSentinel (context.Canceled, and sentinels
//     whose declaration another change owns).
//
// Text(lang, err) finds them with the errors.Unwrap chain (single and multiple %w): a
// wrapper made by fmt.Errorf keeps its own words and has the translatable part replaced
// ("import scan.pdf: " + the translation); an error with nothing translatable reads as its
// Error(). Error() methods return "tiếng Việt / English" (Both): logs and older callers
// keep reading both languages. Messages carry no personal values.
//
// # Choosing the language
//
// FromEnv(getenv) is the command line's rule: SOHOA_LANG, LC_ALL, LC_MESSAGES, LANG, the
// first that names vi or en, else Vietnamese. FromPreference(pref) is the app's: its saved
// "language" preference, else Vietnamese.
//
// # Converting the CLI's inline texts (recipe for the cobra change)
//
// The CLI still writes c.t(en, vi) pairs. Move each into a catalogue cli/l10n/{vi,en}.json
// registered from package cli (l10n.MustRegister("cli", cliFS, "l10n")), keys under "cli.":
// "cli.<command>.<name>" for a command's texts ("cli.import.stored": "Đã lưu {{.N}} trang"),
// "cli.flag.<command>.<flag>" for flag help (the global ones "cli.flag.data", …),
// "cli.err.<name>" for the CLI's own errors (return l10n.New("cli.err.noUser") so errText
// translates them like any other). Give cmdCtx one helper, func (c *cmdCtx) tr(key string,
// data ...any) string { return l10n.T(c.lang, key, data...) }; a format string with %d
// becomes a template with a named field. The consistency test (Catalogue.Check) then covers
// the CLI's texts too.
package l10n
