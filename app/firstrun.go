package app

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// systemPanel is what the first run shows once the administrator exists (and the
// administration screen's "This machine" tab): whether Tesseract, its language data, the
// fonts and a scanner are there, with the one command that installs what is missing, and a
// button that makes a sample batch for a new user to try every step on.
type systemPanel struct {
	e       *env
	actor   queue.User
	list    *fyne.Container
	box     *fyne.Container // the panel's column: laid out again when the list changes height
	sample  *widget.Button
	status  *widget.Label
	content fyne.CanvasObject
	// onSample runs (UI goroutine) after a sample batch was made.
	onSample func(queue.Batch)
}

func newSystemPanel(e *env, actor queue.User, extra ...fyne.CanvasObject) *systemPanel {
	p := &systemPanel{e: e, actor: actor, list: container.NewVBox()}
	p.status = wrapLabel("", widget.MediumImportance)
	p.sample = widget.NewButtonWithIcon(tr("firstrun.sample"), theme.ContentAddIcon(), p.makeSample)
	if !actor.Can(queue.ActionCreateBatch) || !actor.Can(queue.ActionCapture) {
		p.sample.Disable()
	}
	recheck := widget.NewButtonWithIcon(tr("firstrun.recheck"), theme.ViewRefreshIcon(), p.check)
	intro := wrapLabel(tr("firstrun.intro", map[string]any{"Dir": e.st.Dir()}), widget.MediumImportance)
	sampleNote := wrapLabel(tr("firstrun.sample.note", map[string]any{"N": workflow.SampleDocuments}), widget.MediumImportance)
	p.box = container.NewVBox(
		widget.NewLabelWithStyle(tr("firstrun.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		intro, p.list, container.NewHBox(recheck), widget.NewSeparator(),
		sampleNote, container.NewHBox(p.sample), p.status)
	for _, o := range extra {
		p.box.Add(o)
	}
	p.content = container.NewVScroll(p.box)
	p.check()
	return p
}

// check runs the checks in the background (finding scanners takes a moment) and lists them.
func (p *systemPanel) check() {
	p.list.Objects = []fyne.CanvasObject{wrapLabel(tr("firstrun.checking"), widget.MediumImportance)}
	p.relayout()
	e := p.e
	e.bg.Go(func() {
		scs := workflow.NewScanners()
		scs.Discover(true) // network (eSCL) scanners too
		checks := workflow.CheckSystem(e.ctx, scs)
		scs.Close()
		e.do(func() { p.show(checks) })
	})
}

func (p *systemPanel) show(checks []workflow.Check) {
	p.list.Objects = nil
	lang := currentLanguage()
	for _, c := range checks {
		icon, imp := theme.ConfirmIcon(), widget.SuccessImportance
		switch {
		case !c.OK && c.Optional:
			icon, imp = theme.WarningIcon(), widget.WarningImportance
		case !c.OK:
			icon, imp = theme.ErrorIcon(), widget.DangerImportance
		}
		row := container.NewBorder(nil, nil, widget.NewIcon(icon), nil, wrapLabel(c.Message(lang), imp))
		p.list.Add(row)
		if c.Fix != "" {
			cmd := widget.NewEntry()
			cmd.SetText(c.Fix) // selectable, to copy into a terminal
			copyBtn := widget.NewButtonWithIcon(tr("firstrun.copy"), theme.ContentCopyIcon(), func() {
				fyne.CurrentApp().Clipboard().SetContent(c.Fix)
			})
			p.list.Add(container.NewBorder(nil, nil, widget.NewLabel("    "+tr("firstrun.install")), copyBtn, cmd))
		}
	}
	p.relayout()
}

// relayout lays the column out again: the list or the status line changed height.
func (p *systemPanel) relayout() {
	if p.box == nil {
		return
	}
	p.list.Refresh()
	p.box.Refresh()
	p.content.Refresh()
}

// makeSample makes the sample batch (workflow.SampleBatch): OCR starts on its own.
func (p *systemPanel) makeSample() {
	p.sample.Disable()
	p.setStatus(tr("firstrun.sample.running"), widget.MediumImportance)
	e, actor := p.e, p.actor
	name := tr("firstrun.sample.name")
	e.bg.Go(func() {
		b, res, err := e.flow().SampleBatch(e.ctx, actor, name, nil)
		e.do(func() {
			p.sample.Enable()
			if err != nil {
				p.setStatus(errText(err), widget.DangerImportance)
				return
			}
			p.setStatus(tr("firstrun.sample.done", map[string]any{"Name": b.Name, "Docs": res.Documents, "Pages": res.Pages}), widget.SuccessImportance)
			if p.onSample != nil {
				p.onSample(b)
			}
		})
	})
}

func (p *systemPanel) setStatus(s string, imp widget.Importance) {
	p.status.SetText(s)
	p.status.Importance = imp
	p.status.Refresh()
	p.relayout()
}

// firstRunScreen follows the set-up form: the checks and the sample batch, then sign-in.
func (s *shell) showFirstRun(admin queue.User) {
	s.show(func() fyne.CanvasObject {
		next := widget.NewButtonWithIcon(tr("firstrun.continue"), theme.NavigateNextIcon(), s.showLogin)
		next.Importance = widget.HighImportance
		p := newSystemPanel(s.e, admin, widget.NewSeparator(), container.NewHBox(next))
		return s.frame(container.NewPadded(p.content))
	})
}

// fingerprintGroups writes a hex SHA-256 in groups of four, easier to read out and compare.
func fingerprintGroups(fp string) string {
	var b strings.Builder
	for i := 0; i < len(fp); i += 4 {
		if i > 0 {
			if i%32 == 0 {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(fp[i:min(i+4, len(fp))])
	}
	return b.String()
}

// askTrust shows the self-signed server's fingerprint and asks the administrator to compare
// it with the one `sohoa-central status` shows on the server; trust runs when they confirm.
func askTrust(w fyne.Window, err error, trust func(fp string)) bool {
	var ue *workflow.UntrustedServerError
	if !errors.As(err, &ue) {
		return false
	}
	fp := widget.NewLabelWithStyle(fingerprintGroups(ue.Fingerprint), fyne.TextAlignCenter, fyne.TextStyle{Monospace: true, Bold: true})
	body := container.NewVBox(wrapLabel(tr("enroll.tofu.intro"), widget.MediumImportance), fp,
		wrapLabel(tr("enroll.tofu.compare"), widget.MediumImportance))
	d := dialog.NewCustomConfirm(tr("enroll.tofu.title"), tr("enroll.tofu.trust"), tr("btn.cancel"), body, func(ok bool) {
		if ok {
			trust(ue.Fingerprint)
		}
	}, w)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
	return true
}
