package app

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// Preferences of the sign screen (per person using this computer; the workstation-wide
// module is a setting, workflow.SettingPKCS11Module).
const (
	prefPKCS11Module = "sign.pkcs11Module"
	prefP12File      = "sign.p12File"
	prefSignSource   = "sign.source" // "token" or "p12": what this person signed with last
)

// knownModules are PKCS#11 modules of common token drivers, proposed when nothing is set.
var knownModules = []string{
	"/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
	"/usr/lib/libeTPkcs11.so",
	"/usr/lib/x86_64-linux-gnu/libeTPkcs11.so",
	"/usr/lib/softhsm/libsofthsm2.so",
}

// errPINCancelled: the person closed the PIN dialog without a PIN.
var errPINCancelled = errors.New("PIN dialog cancelled")

// signScreen is the supervisor's signing: the approved batches, the key (a .p12 file or a
// token through its PKCS#11 module, with the token's certificates listed by holder and
// expiry and whom each is registered to), the PIN asked in a dialog only after every check
// that needs no PIN (never kept, never logged), progress per document with Cancel, and the
// core's refusals in the interface language. The signing itself is workflow.SignBatch.
type signScreen struct {
	e        *env
	user     queue.User
	onBack   func()
	onVerify func(batchID string) // opens the verify screen on a signed batch
	onSigned func()               // a batch was signed (the sync sender is woken)

	batches  []queue.Batch
	types    []queue.RecordType
	selected int
	list     *widget.List
	info     *widget.Label // the chosen batch
	why      *widget.Label // why it cannot be signed now, or that it can

	source   *widget.RadioGroup
	p12Box   *fyne.Container
	p12Path  *widget.Entry
	tok      *tokenPicker
	tsa      *widget.Entry
	override *widget.Entry // administrators who approve: a reason to sign with an unregistered certificate

	signBtn, cancelBtn, verifyBtn *widget.Button
	bar                           *widget.ProgressBar
	progress                      *widget.Label
	result                        *widget.Label

	mu      sync.Mutex
	cancel  context.CancelFunc // of the signing in progress
	pinDlg  dialog.Dialog      // the PIN dialog on show
	busy    bool               // UI goroutine
	signed  string             // the batch signed last
	content fyne.CanvasObject
}

func newSignScreen(e *env, user queue.User, preselect string, onBack func()) *signScreen {
	s := &signScreen{e: e, user: user, onBack: onBack, selected: -1}
	s.list = widget.NewList(func() int { return len(s.batches) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(s.itemText(i)) })
	s.list.OnSelected = func(i widget.ListItemID) { s.pick(i) }
	s.info = widget.NewLabel(tr("sign.pick"))
	s.info.Wrapping = fyne.TextWrapWord
	s.why = widget.NewLabel("")
	s.why.Wrapping = fyne.TextWrapWord

	s.p12Path = widget.NewEntry()
	s.p12Path.SetPlaceHolder(tr("sign.p12.hint"))
	s.p12Path.SetText(fyne.CurrentApp().Preferences().String(prefP12File))
	s.p12Path.OnChanged = func(string) { s.updateButtons() }
	p12Browse := widget.NewButtonWithIcon(tr("sign.browse"), theme.FolderOpenIcon(), func() {
		s.browse([]string{".p12", ".pfx"}, s.p12Path)
	})
	p12Show := widget.NewButtonWithIcon(tr("sign.p12.show"), theme.InfoIcon(), s.showP12)
	s.p12Box = container.NewVBox(widget.NewLabel(tr("sign.p12.label")),
		container.NewBorder(nil, nil, nil, container.NewHBox(p12Browse, p12Show), s.p12Path))

	s.tok = newTokenPicker(e, user, true, s.updateButtons)
	s.source = widget.NewRadioGroup([]string{tr("sign.src.p12"), tr("sign.src.token")}, func(string) { s.sourceChanged() })
	s.source.Horizontal = true
	s.source.Required = true

	s.tsa = widget.NewEntry()
	s.tsa.SetPlaceHolder(tr("sign.tsa.hint"))
	s.override = widget.NewEntry()
	s.override.SetPlaceHolder(tr("sign.override.hint"))

	s.signBtn = widget.NewButtonWithIcon(tr("sign.go"), theme.ConfirmIcon(), s.start)
	s.signBtn.Importance = widget.HighImportance
	s.cancelBtn = widget.NewButtonWithIcon(tr("btn.cancel"), theme.CancelIcon(), s.stop)
	s.cancelBtn.Disable()
	s.verifyBtn = widget.NewButtonWithIcon(tr("sign.verify"), theme.VisibilityIcon(), func() {
		if s.onVerify != nil && s.signed != "" {
			s.onVerify(s.signed)
		}
	})
	s.verifyBtn.Hide()
	s.bar = widget.NewProgressBar()
	s.bar.Hide()
	s.progress = widget.NewLabel("")
	s.progress.Wrapping = fyne.TextWrapWord
	s.progress.Hide()
	s.result = widget.NewLabel("")
	s.result.Wrapping = fyne.TextWrapWord
	s.result.Hide()

	bold := func(k string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(tr(k), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	form := container.NewVBox(bold("sign.batch"), s.info, s.why, widget.NewSeparator(),
		bold("sign.src"), s.source, s.p12Box, s.tok.box, widget.NewSeparator(),
		container.NewBorder(nil, nil, widget.NewLabel(tr("sign.tsa.label")), nil, s.tsa))
	if user.Can(queue.ActionManageSettings) {
		note := widget.NewLabel(tr("sign.override.note"))
		note.Wrapping = fyne.TextWrapWord
		form.Add(container.NewBorder(nil, nil, widget.NewLabel(tr("sign.override.label")), nil, s.override))
		form.Add(note)
	}
	// The actions and what they report stay in view below the form, however long it is.
	actions := container.NewVBox(widget.NewSeparator(), container.NewHBox(s.signBtn, s.cancelBtn, s.verifyBtn), s.bar, s.progress, s.result)
	right := container.NewBorder(nil, actions, nil, nil, container.NewVScroll(form))

	head := widget.NewLabelWithStyle(tr("sign.waiting"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	split := container.NewHSplit(container.NewBorder(head, nil, nil, nil, s.list), right)
	split.Offset = 0.34
	back := widget.NewButtonWithIcon(tr("viewer.back"), theme.NavigateBackIcon(), func() {
		s.stop()
		if s.onBack != nil {
			s.onBack()
		}
	})
	refresh := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() { s.reload("") })
	title := widget.NewLabelWithStyle(tr("sign.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.content = container.NewBorder(container.NewBorder(nil, nil, container.NewHBox(back, title), refresh), nil, nil, nil, split)

	if fyne.CurrentApp().Preferences().String(prefSignSource) == "token" {
		s.source.SetSelected(tr("sign.src.token"))
	} else {
		s.source.SetSelected(tr("sign.src.p12"))
	}
	if !user.Can(queue.ActionSign) {
		s.setResult(errText(queue.Require(user, queue.ActionSign)), widget.DangerImportance)
	}
	s.reload(preselect)
	return s
}

// itemText is one line of the list: name, type, documents, office.
func (s *signScreen) itemText(i int) string {
	if i < 0 || i >= len(s.batches) {
		return ""
	}
	b := s.batches[i]
	return tr("sign.item", map[string]any{"Name": b.Name, "Type": recordTypeName(s.types, b.RecordType), "Docs": b.Documents, "Office": b.Office})
}

// reload reads the approved batches off the UI goroutine; preselect (a batch ID) is chosen.
func (s *signScreen) reload(preselect string) {
	if preselect == "" && s.selected >= 0 && s.selected < len(s.batches) {
		preselect = s.batches[s.selected].ID
	}
	e := s.e
	e.bg.Go(func() {
		bs, err := e.st.ListBatches(e.ctx, queue.BatchFilter{State: queue.StateApproved})
		var ts []queue.RecordType
		if err == nil {
			ts, err = e.st.RecordTypes(e.ctx)
		}
		e.do(func() {
			if err != nil {
				s.setResult(errText(err), widget.DangerImportance)
				return
			}
			s.batches, s.types, s.selected = bs, ts, -1
			s.list.UnselectAll()
			s.list.Refresh()
			s.info.SetText(tr("sign.pick"))
			if len(bs) == 0 {
				s.info.SetText(tr("sign.none"))
			}
			s.why.SetText("")
			s.why.Hide()
			for i, b := range bs {
				if b.ID == preselect {
					s.list.Select(i)
				}
			}
			s.updateButtons()
		})
	})
}

// pick shows batch i and asks the workflow whether this user may sign it now.
func (s *signScreen) pick(i int) {
	if i < 0 || i >= len(s.batches) {
		return
	}
	s.selected = i
	b := s.batches[i]
	s.info.SetText(tr("sign.batchInfo", map[string]any{"Name": b.Name, "Type": recordTypeName(s.types, b.RecordType),
		"Docs": b.Documents, "Pages": b.Pages, "Office": b.Office}))
	s.why.SetText("")
	s.why.Hide()
	e, u := s.e, s.user
	e.bg.Go(func() {
		err := e.flow().CanSign(e.ctx, u, b.ID)
		e.do(func() {
			if s.selected != i {
				return
			}
			if err != nil {
				s.why.SetText(signErrText(err))
				s.why.Importance = widget.DangerImportance
			} else {
				s.why.SetText(tr("sign.can"))
				s.why.Importance = widget.SuccessImportance
			}
			s.why.Refresh()
			s.why.Show()
		})
	})
	s.updateButtons()
}

func (s *signScreen) usesToken() bool { return s.source.Selected == tr("sign.src.token") }

func (s *signScreen) sourceChanged() {
	if s.usesToken() {
		s.p12Box.Hide()
		s.tok.box.Show()
		s.tok.open()
	} else {
		s.tok.box.Hide()
		s.p12Box.Show()
	}
	s.updateButtons()
}

// browse opens a file dialog and puts the chosen path into entry.
func (s *signScreen) browse(exts []string, entry *widget.Entry) {
	browseFile(s.e.win, exts, entry)
}

// browseFile opens a file dialog for files ending in exts and puts the chosen path into entry.
func browseFile(win fyne.Window, exts []string, entry *widget.Entry) {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		entry.SetText(path)
	}, win)
	if len(exts) > 0 {
		d.SetFilter(storage.NewExtensionFileFilter(exts))
	}
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// source is the key the form names.
func (s *signScreen) signerSource() (workflow.SignerSource, bool) {
	if !s.usesToken() {
		p := strings.TrimSpace(s.p12Path.Text)
		return workflow.SignerSource{P12File: p}, p != ""
	}
	return s.tok.source()
}

func (s *signScreen) updateButtons() {
	_, srcOK := s.signerSource()
	if s.busy || !srcOK || s.selected < 0 || !s.user.Can(queue.ActionSign) {
		s.signBtn.Disable()
	} else {
		s.signBtn.Enable()
	}
	if s.busy {
		s.cancelBtn.Enable()
	} else {
		s.cancelBtn.Disable()
	}
}

func (s *signScreen) setResult(msg string, imp widget.Importance) {
	s.result.SetText(msg)
	s.result.Importance = imp
	s.result.Refresh()
	showIf(s.result, msg != "")
}

func (s *signScreen) setProgress(msg string) {
	s.progress.SetText(msg)
	showIf(s.progress, msg != "")
}

// showIf shows o when cond holds, else hides it (an empty line takes no room).
func showIf(o fyne.CanvasObject, cond bool) {
	if cond {
		o.Show()
	} else {
		o.Hide()
	}
}

// start signs the chosen batch in the background: the workflow checks what it can, asks for
// the PIN through the dialog, then signs document after document.
func (s *signScreen) start() {
	if s.busy || s.selected < 0 || s.selected >= len(s.batches) {
		return
	}
	src, ok := s.signerSource()
	if !ok {
		return
	}
	if src.P12File != "" {
		fyne.CurrentApp().Preferences().SetString(prefP12File, src.P12File)
		fyne.CurrentApp().Preferences().SetString(prefSignSource, "p12")
	} else {
		fyne.CurrentApp().Preferences().SetString(prefSignSource, "token")
	}
	b := s.batches[s.selected]
	ctx, cancel := context.WithCancel(s.e.ctx)
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	s.busy = true
	s.verifyBtn.Hide()
	s.bar.SetValue(0)
	s.bar.Show()
	s.setProgress(tr("sign.checking"))
	s.setResult("", widget.MediumImportance)
	s.updateButtons()
	in := workflow.SignInput{BatchID: b.ID, Source: src, TSAURL: strings.TrimSpace(s.tsa.Text), Override: strings.TrimSpace(s.override.Text),
		Lang: currentLanguage(), PIN: s.askPIN}
	e, u := s.e, s.user
	e.bg.Go(func() {
		defer cancel()
		res, err := e.flow().SignBatch(ctx, u, in, func(ev workflow.Event) { e.do(func() { s.showProgress(ev) }) })
		e.do(func() { s.finished(b, res, err) })
	})
}

// stop cancels the signing in progress (between documents: nothing is recorded).
func (s *signScreen) stop() {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func (s *signScreen) showProgress(ev workflow.Event) {
	switch ev.Step {
	case workflow.StepKey:
		s.setProgress(tr("sign.opening"))
	case workflow.StepDocument:
		if ev.Total > 0 {
			s.bar.SetValue(float64(ev.Done) / float64(ev.Total))
		}
		s.setProgress(tr("sign.progress", map[string]any{"Done": ev.Done, "Total": ev.Total}))
	case workflow.StepManifest:
		s.bar.SetValue(1)
		s.setProgress(tr("sign.recording"))
	}
}

func (s *signScreen) finished(b queue.Batch, res workflow.SignResult, err error) {
	s.mu.Lock()
	s.cancel = nil
	s.mu.Unlock()
	s.busy = false
	s.hidePIN()
	s.setProgress("")
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, errPINCancelled):
		s.bar.Hide()
		s.setResult(tr("sign.cancelled", map[string]any{"Batch": b.Name}), widget.WarningImportance)
	case err != nil:
		s.bar.Hide()
		s.setResult(tr("sign.failed", map[string]any{"Err": signErrText(err)}), widget.DangerImportance)
	default:
		s.signed = res.BatchID
		msg := tr("sign.done", map[string]any{"Batch": res.BatchName, "Docs": len(res.Documents), "Pages": res.Pages,
			"Holder": res.Cert.Subject, "Until": formatDate(res.Cert.NotAfter)})
		if res.Override {
			msg += " " + tr("sign.done.override")
		}
		s.setResult(msg, widget.SuccessImportance)
		s.verifyBtn.Show()
		if s.onSigned != nil {
			s.onSigned()
		}
		s.reload("")
	}
	s.updateButtons()
}

// askPIN is the workflow's PINFunc: it shows the PIN dialog on the UI goroutine and waits
// for the answer (or the end of ctx). The PIN goes straight back to the workflow and the
// entry is emptied; nothing keeps it.
func (s *signScreen) askPIN(ctx context.Context, req workflow.PINRequest) (string, error) {
	ch := make(chan pinAnswer, 1)
	s.e.do(func() { s.showPIN(req, ch) })
	select {
	case a := <-ch:
		return a.pin, a.err
	case <-ctx.Done():
		s.e.do(s.hidePIN)
		return "", ctx.Err()
	}
}

type pinAnswer struct {
	pin string
	err error
}

func (s *signScreen) showPIN(req workflow.PINRequest, ch chan<- pinAnswer) {
	title, what := tr("sign.pin.p12Title"), tr("sign.pin.p12", map[string]any{"File": req.Name})
	if req.Token {
		title, what = tr("sign.pin.tokenTitle"), tr("sign.pin.token", map[string]any{"Token": req.Name})
		if req.Cert != nil {
			what += "\n" + tr("sign.pin.cert", map[string]any{"Holder": req.Cert.Subject, "Until": formatDate(req.Cert.NotAfter)})
		}
	}
	s.setProgress(tr("sign.pin.waiting"))
	msg := widget.NewLabel(what)
	msg.Wrapping = fyne.TextWrapWord
	pw := widget.NewPasswordEntry()
	pw.SetPlaceHolder(tr("sign.pin.hint"))
	note := widget.NewLabel(tr("sign.pin.note"))
	note.Wrapping = fyne.TextWrapWord
	var once sync.Once
	answer := func(ok bool) {
		once.Do(func() {
			pin := pw.Text
			pw.SetText("")
			if ok {
				ch <- pinAnswer{pin: pin}
			} else {
				ch <- pinAnswer{err: errPINCancelled}
			}
		})
	}
	d := dialog.NewCustomConfirm(title, tr("sign.pin.ok"), tr("btn.cancel"), container.NewVBox(msg, pw, note), answer, s.e.win)
	pw.OnSubmitted = func(string) {
		answer(true)
		d.Hide()
	}
	d.SetOnClosed(func() {
		answer(false) // closed any other way: no PIN
		s.mu.Lock()
		if s.pinDlg == d {
			s.pinDlg = nil
		}
		s.mu.Unlock()
	})
	d.Resize(fyne.NewSize(460, 0))
	s.mu.Lock()
	s.pinDlg = d
	s.mu.Unlock()
	d.Show()
	s.e.win.Canvas().Focus(pw)
}

func (s *signScreen) hidePIN() {
	s.mu.Lock()
	d := s.pinDlg
	s.pinDlg = nil
	s.mu.Unlock()
	if d != nil {
		d.Hide()
	}
}

// showP12 asks the .p12 file's password and shows its certificate (holder, issuer, expiry,
// whom it is registered to); the password is dropped.
func (s *signScreen) showP12() {
	path := strings.TrimSpace(s.p12Path.Text)
	if path == "" {
		return
	}
	pw := widget.NewPasswordEntry()
	pw.SetPlaceHolder(tr("sign.pin.hint"))
	e := s.e
	d := dialog.NewCustomConfirm(tr("sign.pin.p12Title"), tr("sign.p12.open"), tr("btn.cancel"), pw, func(ok bool) {
		pin := pw.Text
		pw.SetText("")
		if !ok {
			return
		}
		e.bg.Go(func() {
			certs, err := e.flow().P12Certificates(e.ctx, path, pin)
			e.do(func() {
				if err != nil {
					showMessage(e.win, tr("dlg.error"), signErrText(err))
					return
				}
				var lines []string
				for _, c := range certs {
					lines = append(lines, tr("sign.p12.cert", map[string]any{"Holder": c.Subject, "Issuer": c.Issuer,
						"Until": formatDate(c.NotAfter)})+" · "+certText(c, s.user))
				}
				showMessage(e.win, tr("sign.p12.show"), strings.Join(lines, "\n"))
			})
		})
	}, e.win)
	d.Resize(fyne.NewSize(420, 0))
	d.Show()
	e.win.Canvas().Focus(pw)
}

// formatDate is a date in the interface language's style, in local time.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return l10n.Date(currentLanguage(), t)
}

// signErrText is the message for a signing, verifying or administration error: the core's
// own message where it names the cause (wrong PIN, locked token, wrong .p12 password, expired
// or untrusted certificate, four-eyes, office), the window's advice where the core only knows
// that the token or the .p12 file cannot be used, else errText.
func signErrText(err error) string {
	switch {
	case errors.Is(err, errPINCancelled), errors.Is(err, context.Canceled):
		return tr("err.cancelled")
	case specificSignError(err):
		return errText(err)
	case errors.Is(err, workflow.ErrToken):
		return tr("sign.err.token")
	case errors.Is(err, workflow.ErrPKCS12):
		return tr("sign.err.p12")
	}
	return errText(err)
}

// specificSignError reports whether err's chain holds one of the token or .p12 errors that
// name their cause (they are made with the generic error as their Kind).
func specificSignError(err error) bool {
	var le *l10n.Error
	for e := err; errors.As(e, &le); e = le.Err {
		if le.Kind == workflow.ErrToken || le.Kind == workflow.ErrPKCS12 {
			return true
		}
	}
	return false
}
