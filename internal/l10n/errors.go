package l10n

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// Localizer is a value that can say itself in a language ("vi", "en"). Errors that a person
// reads implement it; Text finds it anywhere in an error's chain.
type Localizer interface {
	Localize(lang string) string
}

// Args fills a message's placeholders: {{.N}} is Args{"N": n}.
type Args = map[string]any

// Error is an error whose message is a catalogue entry: Key with Args, followed by its cause
// Err when there is one (": " and the cause, in the same language), unless the message places
// the cause itself with {{.Err}}. Errors.Is and errors.As see Err; Kind, when set, is a
// sentinel the error also matches (errors.Is) without showing it. Args hold no personal
// values (field values, names, ID numbers, addresses): messages may be logged.
type Error struct {
	Key  string
	Args Args
	Err  error // the cause, shown after the message
	Kind error // a sentinel this error matches, not shown
}

// New returns an error with the message key (and its placeholders' values). Package-level
// sentinels are made with it: var ErrNoPages = l10n.New("sign.noPages").
func New(key string, args ...Args) *Error {
	e := &Error{Key: key}
	if len(args) > 0 {
		e.Args = args[0]
	}
	return e
}

// Wrap returns an error that says the message key and then err, its cause; nil when err is
// nil. Use it for context a person should read in their language:
// l10n.Wrap(err, "hotfolder.unavailable", nil).
func Wrap(err error, key string, args ...Args) error {
	if err == nil {
		return nil
	}
	e := New(key, args...)
	e.Err = err
	return e
}

// Localize is the message in lang: the catalogue text, then the cause's Text.
func (e *Error) Localize(lang string) string {
	if e.Err == nil {
		return T(lang, e.Key, e.Args)
	}
	cause := Text(lang, e.Err)
	if usesErr(e.Key) {
		return T(lang, e.Key, withErr(e.Args, cause))
	}
	return T(lang, e.Key, e.Args) + ": " + cause
}

// Error is the message in Vietnamese and English ("tiếng Việt / English"), then the cause's
// own Error(): the form logs and older messages of SoHoa have.
func (e *Error) Error() string {
	args := e.Args
	cause := ""
	if e.Err != nil {
		cause = e.Err.Error()
		if usesErr(e.Key) {
			args, cause = withErr(args, cause), ""
		}
	}
	msg := Both(e.Key, args)
	if cause != "" {
		msg += ": " + cause
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the error's Kind (or what Kind matches).
func (e *Error) Is(target error) bool { return e.Kind != nil && errors.Is(e.Kind, target) }

// Both is the message key in Vietnamese and in English, "tiếng Việt / English" (one text when
// the two are the same): what Error methods return for logs.
func Both(key string, data ...any) string {
	vi, en := T(Vi, key, data...), T(En, key, data...)
	if vi == en {
		return vi
	}
	return vi + " / " + en
}

// usesErr reports whether the message places its cause itself ({{.Err}}).
func usesErr(key string) bool {
	mu.RLock()
	c := owner[key]
	mu.RUnlock()
	if c == nil {
		return false
	}
	for _, l := range languages {
		for _, p := range Placeholders(c.tmpl[l][key]) {
			if p == "Err" {
				return true
			}
		}
	}
	return false
}

func withErr(args Args, cause string) Args {
	m := make(Args, len(args)+1)
	for k, v := range args {
		m[k] = v
	}
	m["Err"] = cause
	return m
}

// Sentinels that are plain errors (errors.New, the standard library's) with a catalogue key.
var (
	sentMu    sync.RWMutex
	sentinels = map[error]string{}
)

// RegisterSentinel gives a plain sentinel error a catalogue message: Text says key wherever
// err appears in a chain. It is for sentinels whose declaration stays as it is (the standard
// library's, or one in a file another change owns); new sentinels are made with New.
func RegisterSentinel(err error, key string) {
	sentMu.Lock()
	defer sentMu.Unlock()
	sentinels[err] = key
}

func init() {
	RegisterSentinel(context.Canceled, "l10n.cancelled")
	RegisterSentinel(context.DeadlineExceeded, "l10n.timeout")
}

// sentinelKey is the key registered for err itself (not its chain).
func sentinelKey(err error) (string, bool) {
	if t := reflect.TypeOf(err); t == nil || !t.Comparable() {
		return "", false
	}
	sentMu.RLock()
	defer sentMu.RUnlock()
	k, ok := sentinels[err]
	return k, ok
}

// Translatable reports whether Text has a translation for some part of err's chain.
func Translatable(err error) bool {
	found := false
	walk(err, 0, func(e error) bool {
		if _, ok := e.(Localizer); ok {
			found = true
		} else if _, ok := sentinelKey(e); ok {
			found = true
		}
		return !found
	})
	return found
}

func walk(err error, depth int, fn func(error) bool) bool {
	if err == nil || depth > maxDepth {
		return true
	}
	if !fn(err) {
		return false
	}
	for _, k := range children(err) {
		if !walk(k, depth+1, fn) {
			return false
		}
	}
	return true
}

const maxDepth = 64

func children(err error) []error {
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if k := u.Unwrap(); k != nil {
			return []error{k}
		}
	case interface{ Unwrap() []error }:
		return u.Unwrap()
	}
	return nil
}

// Text is what a person reads for err, in lang. An error that is a Localizer says itself;
// a wrapped one keeps its wrapping text, with the translatable part replaced by its
// translation: fmt.Errorf("import %s: %w", name, err) reads "import scan.pdf: " and err in
// lang. So a face that wants the context in the person's language too wraps with Wrap and
// a catalogue key. An error with nothing translatable reads as its Error(). nil is "".
func Text(lang string, err error) (s string) {
	if err == nil {
		return ""
	}
	defer func() {
		if r := recover(); r != nil { // a nil pointer behind an error interface, say
			s = fmt.Sprintf("%T", err)
		}
	}()
	return text(Lang(lang), err, 0)
}

func text(lang string, err error, depth int) string {
	if loc, ok := err.(Localizer); ok {
		return loc.Localize(lang)
	}
	if key, ok := sentinelKey(err); ok {
		return T(lang, key)
	}
	s := err.Error()
	if depth > maxDepth {
		return s
	}
	kids := children(err)
	for _, k := range kids {
		if k == nil || !Translatable(k) {
			continue
		}
		inner, local := k.Error(), text(lang, k, depth+1)
		switch {
		case inner != "" && strings.Contains(s, inner):
			i := strings.LastIndex(s, inner) // "context: cause": the cause comes last
			s = s[:i] + local + s[i+len(inner):]
		case len(kids) == 1:
			// The wrapper does not show its cause's text: the translated cause is what
			// the person can act on.
			return local
		default:
			s += "\n" + local
		}
	}
	return s
}
