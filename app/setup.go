package app

import (
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
)

// minPassword is the shortest password the set-up form accepts (queue enforces it too).
const minPassword = 8

// newSetupScreen is the first-run form that creates the administrator account; onDone runs
// (on the UI goroutine) with the account once it exists. The data folder itself was made
// when the store opened (queue.Open); the form says where it is. first is the user name
// field, which takes the focus (keyboard first, as the sign-in).
func newSetupScreen(e *env, onDone func(queue.User)) (screen fyne.CanvasObject, first fyne.Focusable) {
	user := newIdentEntry()
	user.SetPlaceHolder(tr("setup.username.hint"))
	full := newTextEntry()
	full.SetPlaceHolder(tr("setup.fullname.hint"))
	pw := widget.NewPasswordEntry()
	pw.SetPlaceHolder(tr("setup.password.hint"))
	pw2 := widget.NewPasswordEntry()
	pw2.SetPlaceHolder(tr("setup.password2.hint"))
	msg := widget.NewLabel("")
	msg.Importance = widget.DangerImportance
	msg.Wrapping = fyne.TextWrapWord

	var create *widget.Button
	submit := func() {
		msg.SetText("")
		switch {
		case user.Text == "":
			msg.SetText(tr("setup.err.username"))
			return
		case utf8.RuneCountInString(pw.Text) < minPassword:
			msg.SetText(tr("err.weakPassword"))
			return
		case pw.Text != pw2.Text:
			msg.SetText(tr("setup.err.mismatch"))
			return
		}
		u, f, p := user.Text, full.Text, pw.Text
		create.Disable()
		msg.Importance = widget.MediumImportance
		msg.SetText(tr("setup.creating"))
		e.bg.Go(func() {
			admin, err := e.st.CreateUser(e.ctx, nil, u, f, p, []queue.Role{queue.RoleAdmin})
			e.do(func() {
				create.Enable()
				if err != nil {
					msg.Importance = widget.DangerImportance
					msg.SetText(errText(err))
					return
				}
				onDone(admin)
			})
		})
	}
	create = widget.NewButton(tr("setup.create"), submit)
	create.Importance = widget.HighImportance
	pw2.OnSubmitted = func(string) { submit() }

	form := widget.NewForm(
		widget.NewFormItem(tr("setup.username"), user),
		widget.NewFormItem(tr("setup.fullname"), full),
		widget.NewFormItem(tr("setup.password"), pw),
		widget.NewFormItem(tr("setup.password2"), pw2),
	)
	title := widget.NewLabelWithStyle(tr("setup.title"), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	intro := widget.NewLabel(tr("setup.intro"))
	intro.Wrapping = fyne.TextWrapWord
	where := wrapLabel(tr("setup.dataDir", map[string]any{"Dir": e.st.Dir()}), widget.LowImportance)
	box := container.NewVBox(title, intro, where, form, create, msg)
	return container.NewCenter(container.New(&fixedWidth{w: 520}, box)), user
}

// fixedWidth lays its single child out at a set width (for forms centred in a big window).
type fixedWidth struct{ w float32 }

func (l *fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(l.w, h)
}

func (l *fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}
