package app

import (
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// textEntry is the app's one text entry: a widget.Entry with the built-in Telex mode
// (telex.go) and Ctrl+Shift+T to turn it on or off. Every text field of the app is one:
// keying fields (keyEntry embeds it), comments, batch names, search, user names. Tab and
// Shift+Tab move the focus forward and back as in any Fyne form (the entry does not take Tab),
// also in multi-line entries, where a tab character has no use.
type textEntry struct {
	widget.Entry
	telex *telexState
}

// telexState is whether Telex composes letters, shared by the entries of one kind.
type telexState struct{ on bool }

var (
	// telexFree is for free text: names, addresses, comments, batch names, search. On.
	telexFree = &telexState{on: true}
	// telexIdent is for identifiers typed as they are: user names ("quantri" would become
	// "quảnti"), addresses of scanners. Off until Ctrl+Shift+T.
	telexIdent = &telexState{}
)

// newTextEntry is a one-line entry with Telex on (free text).
func newTextEntry() *textEntry {
	e := &textEntry{telex: telexFree}
	e.ExtendBaseWidget(e)
	return e
}

// newMultiLineTextEntry is a multi-line entry with Telex on (comments).
func newMultiLineTextEntry() *textEntry {
	e := &textEntry{telex: telexFree}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.ExtendBaseWidget(e)
	return e
}

// newIdentEntry is a one-line entry for identifiers: Telex off until Ctrl+Shift+T.
func newIdentEntry() *textEntry {
	e := &textEntry{telex: telexIdent}
	e.ExtendBaseWidget(e)
	return e
}

// AcceptsTab: Tab moves the focus, also out of a multi-line entry.
func (e *textEntry) AcceptsTab() bool { return false }

func (e *textEntry) telexOn() bool { return e.telex != nil && e.telex.on && !e.Password }

func (e *textEntry) TypedRune(r rune) {
	if e.telexOn() && e.SelectedText() == "" {
		rs := []rune(e.Text)
		// the cursor's offset in the text (rows are separated by one '\n')
		col, row := 0, 0
		for col < len(rs) && row < e.CursorRow {
			if rs[col] == '\n' {
				row++
			}
			col++
		}
		col = min(col+e.CursorColumn, len(rs))
		start := col
		for start > 0 && unicode.IsLetter(rs[start-1]) {
			start--
		}
		if nw, ok := TelexKey(string(rs[start:col]), r); ok {
			nr := []rune(nw)
			out := append(append(append([]rune{}, rs[:start]...), nr...), rs[col:]...)
			cursorRow, cursorCol := e.CursorRow, e.CursorColumn+len(nr)-(col-start)
			e.SetText(string(out))
			e.CursorRow, e.CursorColumn = cursorRow, cursorCol
			e.Refresh()
			return
		}
	}
	e.Entry.TypedRune(r)
}

func (e *textEntry) TypedShortcut(s fyne.Shortcut) {
	if cs, ok := s.(*desktop.CustomShortcut); ok && cs.KeyName == fyne.KeyT && cs.Modifier == fyne.KeyModifierShortcutDefault|fyne.KeyModifierShift && e.telex != nil {
		e.telex.on = !e.telex.on
		return
	}
	e.Entry.TypedShortcut(s)
}

// KeyDown and KeyUp follow the Shift keys (shiftHeld).
func (e *textEntry) KeyDown(ev *fyne.KeyEvent) {
	noteShift(ev, true)
	e.Entry.KeyDown(ev)
}

func (e *textEntry) KeyUp(ev *fyne.KeyEvent) {
	noteShift(ev, false)
	e.Entry.KeyUp(ev)
}

// shiftDown is the Shift state the entries saw go down and up (UI goroutine).
var shiftDown bool

func noteShift(ev *fyne.KeyEvent, down bool) {
	if ev.Name == desktop.KeyShiftLeft || ev.Name == desktop.KeyShiftRight {
		shiftDown = down
	}
}

// shiftHeld reports whether Shift is down now. Fyne 2.7 makes no shortcut of Shift+Tab: an
// entry that takes Tab receives a plain Tab. The desktop driver knows the modifiers held
// (desktop.Driver); elsewhere (the test driver) the Shift key events the entries saw tell.
func shiftHeld() bool {
	if d, ok := fyne.CurrentApp().Driver().(desktop.Driver); ok {
		return d.CurrentKeyModifiers()&fyne.KeyModifierShift != 0
	}
	return shiftDown
}
