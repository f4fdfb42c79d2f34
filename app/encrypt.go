package app

// Encryption at rest in the workstation (docs/ENCRYPTION.md): after an administrator signs in
// to a store that is not encrypted yet, a dialog offers to encrypt it (their password again,
// for their key slot); the recovery key is then shown once, and the conversion runs with a
// progress bar. A conversion a crash interrupted goes on, with the same progress bar, at the
// next administrator's sign-in. firstrun-docs' first-run screens call offerEncryption too.

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
)

// encryptAtSignIn: the offer is made after an administrator's sign-in (the app's tests of
// other screens switch it off, encrypt_test.go on).
var encryptAtSignIn = true

// afterSignIn runs the encryption steps due for u, then next (on the UI goroutine).
func (s *shell) afterSignIn(u queue.User, next func()) {
	if !u.Can(queue.ActionManageUsers) {
		next()
		return
	}
	state, err := s.e.st.EncryptionState(s.e.ctx)
	switch {
	case err != nil:
		next()
	case state == queue.EncryptionConverting:
		s.convertWithProgress(next)
	case state == queue.EncryptionOff && encryptAtSignIn:
		s.offerEncryption(u, next)
	default:
		next()
	}
}

// offerEncryption asks the administrator to switch encryption on (or to leave it for later).
func (s *shell) offerEncryption(u queue.User, next func()) {
	pw := widget.NewPasswordEntry()
	pw.SetPlaceHolder(tr("encrypt.password"))
	msg := widget.NewLabel("")
	msg.Wrapping = fyne.TextWrapWord
	msg.Importance = widget.DangerImportance
	note := widget.NewLabel(tr("encrypt.offer"))
	note.Wrapping = fyne.TextWrapWord
	var d dialog.Dialog
	var start, later *widget.Button
	start = widget.NewButton(tr("encrypt.start"), func() {
		p := pw.Text
		start.Disable()
		later.Disable()
		s.e.bg.Go(func() {
			words, err := s.e.st.EnableEncryption(s.e.ctx, u, p)
			s.e.do(func() {
				if err != nil {
					msg.SetText(errText(err))
					start.Enable()
					later.Enable()
					return
				}
				d.Hide()
				s.showRecoveryKey(words, func() { s.convertWithProgress(next) })
			})
		})
	})
	start.Importance = widget.HighImportance
	later = widget.NewButton(tr("encrypt.later"), func() {
		d.Hide()
		next()
	})
	pw.OnSubmitted = func(string) { start.OnTapped() }
	body := container.NewVBox(note, pw, msg, container.NewHBox(later, start))
	d = dialog.NewCustomWithoutButtons(tr("encrypt.title"), container.New(&fixedWidth{w: 520}, body), s.e.win)
	d.Show()
	s.e.win.Canvas().Focus(pw)
}

// showRecoveryKey shows the recovery words once; then runs when the administrator says
// they are written down.
func (s *shell) showRecoveryKey(words string, then func()) {
	note := widget.NewLabel(tr("encrypt.recoveryNote"))
	note.Wrapping = fyne.TextWrapWord
	key := widget.NewLabelWithStyle(words, fyne.TextAlignCenter, fyne.TextStyle{Monospace: true, Bold: true})
	key.Wrapping = fyne.TextWrapWord
	var d dialog.Dialog
	done := widget.NewButton(tr("encrypt.recoveryDone"), func() {
		d.Hide()
		then()
	})
	done.Importance = widget.HighImportance
	body := container.NewVBox(note, key, done)
	d = dialog.NewCustomWithoutButtons(tr("encrypt.recoveryTitle"), container.New(&fixedWidth{w: 560}, body), s.e.win)
	d.Show()
}

// convertWithProgress converts the store (ConvertToEncrypted) behind a progress dialog.
func (s *shell) convertWithProgress(next func()) {
	bar := widget.NewProgressBar()
	label := widget.NewLabel(tr("encrypt.converting"))
	label.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomWithoutButtons(tr("encrypt.title"), container.New(&fixedWidth{w: 480}, container.NewVBox(label, bar)), s.e.win)
	d.Show()
	s.e.bg.Go(func() {
		err := s.e.st.ConvertToEncrypted(s.e.ctx, func(p queue.ConvertProgress) {
			if p.Total > 0 {
				v := float64(p.Done) / float64(p.Total)
				s.e.do(func() { bar.SetValue(v) })
			}
		})
		s.e.do(func() {
			d.Hide()
			if err != nil {
				dialog.ShowError(errorText(err), s.e.win)
			}
			next()
		})
	})
}

// errorText is err with its text in the UI language (for dialog.ShowError).
func errorText(err error) error { return uiError{errText(err)} }

type uiError struct{ msg string }

func (e uiError) Error() string { return e.msg }
