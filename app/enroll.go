package app

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// enrollPanel enrolls the workstation with the central server (administrators): the
// server's address, the one-time code its administrator made, optionally the server
// certificate's fingerprint and a client certificate for mutual TLS. It takes effect at
// once: the running sync sender reads the new settings (onEnrolled).
type enrollPanel struct {
	e          *env
	actor      queue.User
	onEnrolled func()

	server, code, fingerprint, clientCert, clientKey *widget.Entry
	btn                                              *widget.Button
	status                                           *widget.Label
	content                                          fyne.CanvasObject
}

func newEnrollPanel(e *env, actor queue.User, onEnrolled func()) *enrollPanel {
	p := &enrollPanel{e: e, actor: actor, onEnrolled: onEnrolled}
	entry := func(hint string) *widget.Entry {
		en := widget.NewEntry()
		en.SetPlaceHolder(tr(hint))
		return en
	}
	p.server = entry("enroll.server.hint")
	p.code = entry("enroll.code.hint")
	p.fingerprint = entry("enroll.fp.hint")
	p.clientCert = entry("enroll.cert.hint")
	p.clientKey = entry("enroll.key.hint")
	certBrowse := widget.NewButtonWithIcon(tr("sign.browse"), theme.FolderOpenIcon(), func() {
		browseFile(e.win, []string{".pem", ".crt"}, p.clientCert)
	})
	keyBrowse := widget.NewButtonWithIcon(tr("sign.browse"), theme.FolderOpenIcon(), func() {
		browseFile(e.win, []string{".pem", ".key"}, p.clientKey)
	})
	p.btn = widget.NewButtonWithIcon(tr("enroll.go"), theme.ConfirmIcon(), p.enroll)
	p.btn.Importance = widget.HighImportance
	p.status = wrapLabel("", widget.MediumImportance)
	form := widget.NewForm(
		widget.NewFormItem(tr("enroll.server"), p.server),
		widget.NewFormItem(tr("enroll.code"), p.code),
		widget.NewFormItem(tr("enroll.fp"), p.fingerprint),
		widget.NewFormItem(tr("enroll.cert"), container.NewBorder(nil, nil, nil, certBrowse, p.clientCert)),
		widget.NewFormItem(tr("enroll.key"), container.NewBorder(nil, nil, nil, keyBrowse, p.clientKey)),
	)
	intro := wrapLabel(tr("enroll.intro"), widget.MediumImportance)
	p.content = container.NewVScroll(container.NewVBox(
		widget.NewLabelWithStyle(tr("enroll.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		intro, form, container.NewHBox(p.btn), p.status))
	if !actor.Can(queue.ActionManageSettings) {
		p.btn.Disable()
	}
	return p
}

func (p *enrollPanel) enroll() {
	in := workflow.EnrollInput{Server: strings.TrimSpace(p.server.Text), Code: strings.TrimSpace(p.code.Text),
		Fingerprint: strings.TrimSpace(p.fingerprint.Text), ClientCert: strings.TrimSpace(p.clientCert.Text),
		ClientKey: strings.TrimSpace(p.clientKey.Text)}
	p.btn.Disable()
	p.setStatus(tr("enroll.running", map[string]any{"URL": in.Server}), widget.MediumImportance)
	e, actor := p.e, p.actor
	e.bg.Go(func() {
		res, err := e.flow().Enroll(e.ctx, actor, in, nil)
		e.do(func() {
			p.btn.Enable()
			if err != nil {
				p.setStatus(tr("enroll.failed", map[string]any{"Err": pickLanguage(signErrText(err))}), widget.DangerImportance)
				// A self-signed server: show its fingerprint to compare, then pin it.
				askTrust(e.win, err, func(fp string) {
					p.fingerprint.SetText(fp)
					p.enroll()
				})
				return
			}
			p.code.SetText("") // used once
			msg := tr("enroll.done", map[string]any{"WS": res.WorkstationID, "Office": res.Office, "SHA": fingerprintGroups(res.Fingerprint)})
			if res.PreviousID != "" {
				msg += "\n" + tr("enroll.newID", map[string]any{"Old": res.PreviousID})
			}
			p.setStatus(msg, widget.SuccessImportance)
			if p.onEnrolled != nil {
				p.onEnrolled()
			}
		})
	})
}

func (p *enrollPanel) setStatus(s string, imp widget.Importance) {
	p.status.SetText(s)
	p.status.Importance = imp
	p.status.Refresh()
}
