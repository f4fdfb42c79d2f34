package app

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
)

// Auto-lock: after a while without keyboard or mouse activity the window shows a sign-in over
// the work. The signed-in user unlocks with their password and finds the work as they left
// it; another user who signs in there starts from the batch list instead (nobody takes over
// someone else's open work).
//
// Fyne has no window-wide input hook: a focused widget receives its keys alone, and the
// canvas sees only what no widget took. So activity is noticed in two ways: every screen is
// wrapped in an activityWatcher, which receives mouse moves and presses over everything that
// is not itself interactive (labels, images, backgrounds: most of a screen); and each check
// compares a fingerprint of the keyboard state (the focused widget, an entry's text and
// cursor, the screen and the dialogs shown), which typing or clicking changes.

// settingAutoLock is the workstation setting holding the idle minutes before the lock
// (0: never); defaultAutoLock applies when it is unset.
const (
	settingAutoLock = "autolock_minutes"
	defaultAutoLock = 10 * time.Minute
	lockCheckEvery  = 5 * time.Second
)

// autoLock watches activity and locks the shell's window after idle time.
type autoLock struct {
	s    *shell
	now  func() time.Time // the idle clock (tests inject one)
	idle time.Duration    // 0: never lock
	last time.Time        // last activity
	fp   string           // keyboard state at the last check

	locked   bool
	owner    queue.User
	saved    fyne.CanvasObject // the work under the lock
	keyFn    func(*fyne.KeyEvent)
	runeFn   func(rune)
	overlays []fyne.CanvasObject
	lang     string
	msg      *widget.Label
	pw       *widget.Entry
}

func newAutoLock(s *shell) *autoLock {
	l := &autoLock{s: s, now: time.Now, idle: defaultAutoLock}
	l.last = l.now()
	return l
}

// autoLockSetting parses the idle minutes setting ("" gives the default).
func autoLockSetting(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return defaultAutoLock, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return defaultAutoLock, fmt.Errorf("%s: %q is not a number of minutes", settingAutoLock, v)
	}
	return time.Duration(n) * time.Minute, nil
}

// touch records activity now.
func (l *autoLock) touch() { l.last = l.now() }

// check runs on the UI goroutine: it notices keyboard activity since the last check and
// locks when the idle time has passed.
func (l *autoLock) check() {
	if l.locked || l.s.user == nil {
		l.last = l.now()
		return
	}
	if fp := l.fingerprint(); fp != l.fp {
		l.fp = fp
		l.touch()
		return
	}
	if l.idle > 0 && l.now().Sub(l.last) >= l.idle {
		l.lock()
	}
}

// fingerprint sums up the window's keyboard state: it changes when the user types, moves
// the cursor, changes focus, opens a screen or a dialog.
func (l *autoLock) fingerprint() string {
	w := l.s.e.win
	if w == nil {
		return ""
	}
	c := w.Canvas()
	var b strings.Builder
	fmt.Fprintf(&b, "%p|%p", w.Content(), c.Overlays().Top())
	if f := c.Focused(); f != nil {
		fmt.Fprintf(&b, "|%p", f)
		v := reflect.ValueOf(f)
		if v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
			s := v.Elem()
			for _, name := range []string{"Text", "CursorRow", "CursorColumn"} {
				if fv := s.FieldByName(name); fv.IsValid() {
					fmt.Fprintf(&b, "|%v", fv.Interface())
				}
			}
		}
	}
	return b.String()
}

// lock hides the work behind the sign-in. The screen's keys and dialogs are taken away
// until the same user unlocks.
func (l *autoLock) lock() {
	s := l.s
	if l.locked || s.user == nil || s.e.win == nil {
		return
	}
	if s.keying != nil {
		s.keying.leave(false) // what was typed is saved before the work is hidden
		// Then an encrypted store forgets its data key, unless the user is back already.
		s.keying.flush(func(bool) {
			if l.locked {
				s.e.st.Lock()
			}
		})
	} else {
		defer s.e.st.Lock()
	}
	w := s.e.win
	c := w.Canvas()
	l.locked, l.owner, l.lang = true, *s.user, currentLanguage()
	l.saved = w.Content()
	l.keyFn, l.runeFn = c.OnTypedKey(), c.OnTypedRune()
	l.overlays = append([]fyne.CanvasObject(nil), c.Overlays().List()...)
	for _, o := range l.overlays {
		c.Overlays().Remove(o)
	}
	for _, sc := range s.shortcuts {
		c.RemoveShortcut(sc)
	}
	c.SetOnTypedKey(nil)
	c.SetOnTypedRune(nil)
	c.Unfocus()
	w.SetContent(l.screen())
	c.Focus(l.pw)
}

// screen is the lock's sign-in: the user name filled in, the password asked.
func (l *autoLock) screen() fyne.CanvasObject {
	user := newIdentEntry()
	user.SetText(l.owner.Username)
	user.SetPlaceHolder(tr("login.username"))
	l.pw = widget.NewPasswordEntry()
	l.pw.SetPlaceHolder(tr("login.password"))
	l.msg = widget.NewLabel("")
	l.msg.Importance = widget.DangerImportance
	l.msg.Wrapping = fyne.TextWrapWord
	var btn *widget.Button
	busy := false
	e := l.s.e
	submit := func() {
		if busy || !l.locked {
			return
		}
		if user.Text == "" {
			l.msg.SetText(tr("login.err.empty"))
			return
		}
		u, p := user.Text, l.pw.Text
		busy = true
		btn.Disable()
		l.msg.SetText("")
		e.bg.Go(func() {
			got, err := e.st.Authenticate(e.ctx, u, p)
			e.do(func() {
				busy = false
				btn.Enable()
				if err != nil {
					l.msg.SetText(errText(err))
					l.pw.SetText("")
					return
				}
				l.unlock(got)
			})
		})
	}
	btn = widget.NewButton(tr("lock.unlock"), submit)
	btn.Importance = widget.HighImportance
	user.OnSubmitted = func(string) { submit() }
	l.pw.OnSubmitted = func(string) { submit() }

	title := widget.NewLabelWithStyle(tr("lock.title"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	note := widget.NewLabel(tr("lock.note", map[string]any{"Name": l.owner.FullName, "Min": int(l.idle / time.Minute)}))
	note.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(
		widget.NewFormItem(tr("login.username"), user),
		widget.NewFormItem(tr("login.password"), l.pw),
	)
	box := container.NewVBox(title, note, form, btn, l.msg)
	return container.NewCenter(container.New(&fixedWidth{w: 460}, box))
}

// unlock ends the lock for u: the same user gets the work back as it was; another user
// starts on the batch list.
func (l *autoLock) unlock(u queue.User) {
	if !l.locked {
		return
	}
	s := l.s
	w := s.e.win
	c := w.Canvas()
	l.locked = false
	saved, overlays := l.saved, l.overlays
	l.saved, l.overlays, l.pw, l.msg = nil, nil, nil, nil
	s.user = &u
	l.touch()
	if u.ID != l.owner.ID {
		s.showBatches()
		return
	}
	if currentLanguage() != l.lang && s.rebuild != nil {
		s.show(s.rebuild) // the language changed while locked: the screen is built again
		return
	}
	w.SetContent(saved)
	for i, sc := range s.shortcuts {
		c.AddShortcut(sc, s.shortcutFns[i])
	}
	c.SetOnTypedKey(l.keyFn)
	c.SetOnTypedRune(l.runeFn)
	for _, o := range overlays {
		c.Overlays().Add(o)
	}
	l.fp = l.fingerprint()
}

// serve reads the idle setting and checks for idleness every interval until ctx ends.
func (l *autoLock) serve(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, err := l.s.e.st.Setting(ctx, settingAutoLock)
		if err != nil && ctx.Err() != nil {
			return
		}
		d, perr := autoLockSetting(v)
		if err != nil || perr != nil {
			d = defaultAutoLock // an unreadable setting must not disable the lock
		}
		l.s.e.do(func() {
			l.idle = d
			l.check()
		})
	}
}

// wrap puts a screen inside an activity watcher.
func (l *autoLock) wrap(o fyne.CanvasObject) fyne.CanvasObject {
	a := &activityWatcher{child: o, touch: l.touch}
	a.ExtendBaseWidget(a)
	return a
}

// activityWatcher is the root of every screen: mouse moves and presses over its
// non-interactive parts count as activity.
type activityWatcher struct {
	widget.BaseWidget
	child fyne.CanvasObject
	touch func()
}

var (
	_ desktop.Hoverable = (*activityWatcher)(nil)
	_ desktop.Mouseable = (*activityWatcher)(nil)
)

func (a *activityWatcher) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(a.child)
}

func (a *activityWatcher) MouseIn(*desktop.MouseEvent)    { a.touch() }
func (a *activityWatcher) MouseMoved(*desktop.MouseEvent) { a.touch() }
func (a *activityWatcher) MouseOut()                      {}
func (a *activityWatcher) MouseDown(*desktop.MouseEvent)  { a.touch() }
func (a *activityWatcher) MouseUp(*desktop.MouseEvent)    { a.touch() }
