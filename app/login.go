package app

import (
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
)

// loginScreen asks for a user name and password; onLogin runs (on the UI goroutine) with the
// signed-in user. Enter in either field submits. It also returns the user name entry, which
// the shell focuses.
func loginScreen(e *env, onLogin func(queue.User)) (fyne.CanvasObject, *textEntry) {
	user := newIdentEntry()
	user.SetPlaceHolder(tr("login.username"))
	pw := widget.NewPasswordEntry()
	pw.SetPlaceHolder(tr("login.password"))
	msg := widget.NewLabel("")
	msg.Importance = widget.DangerImportance
	msg.Wrapping = fyne.TextWrapWord

	var btn *widget.Button
	busy := false
	submit := func() {
		if busy {
			return
		}
		if user.Text == "" {
			msg.SetText(tr("login.err.empty"))
			return
		}
		u, p := user.Text, pw.Text
		busy = true
		btn.Disable()
		msg.SetText("")
		e.bg.Go(func() {
			// Password hashing takes tens of milliseconds: never on the UI goroutine.
			got, err := e.st.Authenticate(e.ctx, u, p)
			e.do(func() {
				busy = false
				btn.Enable()
				if err != nil {
					msg.SetText(errText(err)) // a lock says, in the UI language, how long it lasts
					pw.SetText("")
					holdWhileLocked(e, err, btn)
					return
				}
				onLogin(got)
			})
		})
	}
	btn = widget.NewButton(tr("login.submit"), submit)
	btn.Importance = widget.HighImportance
	user.OnSubmitted = func(string) { submit() }
	pw.OnSubmitted = func(string) { submit() }

	title := widget.NewLabelWithStyle(tr("login.title"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	form := widget.NewForm(
		widget.NewFormItem(tr("login.username"), user),
		widget.NewFormItem(tr("login.password"), pw),
	)
	box := container.NewVBox(title, form, btn, msg)
	return container.NewCenter(container.New(&fixedWidth{w: 420}, box)), user
}

// holdWhileLocked keeps the sign-in button disabled while a sign-in lock (after repeated
// failures, queue/lockout.go) lasts: no attempt is checked before then anyway.
func holdWhileLocked(e *env, err error, btn *widget.Button) {
	var locked *queue.LoginLockedError
	if !errors.As(err, &locked) || locked.Wait <= 0 {
		return
	}
	btn.Disable()
	time.AfterFunc(locked.Wait, func() { e.do(btn.Enable) })
}
