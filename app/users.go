package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// usersPanel manages the accounts: add, roles, reset a password, disable or enable, lift a
// sign-in lock, and register or remove signing certificates. Every change is a workflow
// call off the UI goroutine; the store checks the role and audits it.
type usersPanel struct {
	e     *env
	actor queue.User

	users    []workflow.UserInfo
	selected int
	list     *widget.List

	head        *widget.Label
	state       *widget.Label
	roles       *widget.CheckGroup
	saveRoles   *widget.Button
	resetPw     *widget.Button
	disableBtn  *widget.Button
	unlockBtn   *widget.Button
	addCert     *widget.Button
	certs       *fyne.Container
	status      *widget.Label
	detail      fyne.CanvasObject
	content     fyne.CanvasObject
	lastChanged string // the user changed last, selected again after a reload
}

// roleNames are the roles in the order they are shown.
var roleNames = []queue.Role{queue.RoleClerk, queue.RoleSupervisor, queue.RoleAdmin}

func roleLabel(r queue.Role) string {
	switch r {
	case queue.RoleClerk:
		return tr("role.clerk")
	case queue.RoleSupervisor:
		return tr("role.supervisor")
	case queue.RoleAdmin:
		return tr("role.admin")
	}
	return string(r)
}

func newUsersPanel(e *env, actor queue.User) *usersPanel {
	p := &usersPanel{e: e, actor: actor, selected: -1}
	p.list = widget.NewList(func() int { return len(p.users) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(p.itemText(i)) })
	p.list.OnSelected = func(i widget.ListItemID) { p.pick(i) }
	addUser := widget.NewButtonWithIcon(tr("users.add"), theme.ContentAddIcon(), p.showAdd)
	addUser.Importance = widget.HighImportance

	p.head = widget.NewLabelWithStyle(tr("users.pick"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.head.Wrapping = fyne.TextWrapWord
	p.state = widget.NewLabel("")
	p.state.Wrapping = fyne.TextWrapWord
	var opts []string
	for _, r := range roleNames {
		opts = append(opts, roleLabel(r))
	}
	p.roles = widget.NewCheckGroup(opts, nil)
	p.roles.Horizontal = true
	p.saveRoles = widget.NewButtonWithIcon(tr("users.saveRoles"), theme.DocumentSaveIcon(), p.doSaveRoles)
	p.resetPw = widget.NewButtonWithIcon(tr("users.resetPw"), theme.LoginIcon(), p.showResetPw)
	p.disableBtn = widget.NewButtonWithIcon(tr("users.disable"), theme.CancelIcon(), p.toggleDisabled)
	p.unlockBtn = widget.NewButtonWithIcon(tr("users.unlock"), theme.ViewRefreshIcon(), p.doUnlock)
	p.addCert = widget.NewButtonWithIcon(tr("users.addCert"), theme.ContentAddIcon(), p.showAddCert)
	p.certs = container.NewVBox()
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord

	bold := func(k string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(tr(k), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	p.detail = container.NewVBox(p.head, p.state, widget.NewSeparator(),
		bold("users.roles"), p.roles, container.NewHBox(p.saveRoles),
		widget.NewSeparator(), bold("users.account"),
		container.NewGridWrap(fyne.NewSize(220, 36), p.resetPw, p.disableBtn, p.unlockBtn),
		widget.NewSeparator(), bold("users.certs"), p.certs, container.NewHBox(p.addCert),
		widget.NewSeparator(), p.status)
	left := container.NewBorder(container.NewHBox(addUser), nil, nil, nil, p.list)
	split := container.NewHSplit(left, container.NewVScroll(p.detail))
	split.Offset = 0.38
	p.content = split
	p.enable(false)
	p.reload()
	return p
}

func (p *usersPanel) itemText(i int) string {
	if i < 0 || i >= len(p.users) {
		return ""
	}
	u := p.users[i]
	var rs []string
	for _, r := range u.Roles {
		rs = append(rs, roleLabel(r))
	}
	s := u.Username + " — " + u.FullName + " (" + strings.Join(rs, ", ") + ")"
	switch {
	case u.Disabled:
		s += " · " + tr("users.state.disabled")
	case u.Locked(time.Now()):
		s += " · " + tr("users.state.locked")
	}
	return s
}

func (p *usersPanel) enable(on bool) {
	for _, b := range []*widget.Button{p.saveRoles, p.resetPw, p.disableBtn, p.addCert} {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	if on {
		p.roles.Enable()
	} else {
		p.roles.Disable()
		p.unlockBtn.Disable()
	}
}

// reload reads the users off the UI goroutine.
func (p *usersPanel) reload() {
	e := p.e
	e.bg.Go(func() {
		users, err := e.flow().Users(e.ctx)
		e.do(func() {
			if err != nil {
				p.setStatus(signErrText(err), widget.DangerImportance)
				return
			}
			sel := p.lastChanged
			if sel == "" && p.selected >= 0 && p.selected < len(p.users) {
				sel = p.users[p.selected].Username
			}
			p.users, p.selected = users, -1
			p.list.UnselectAll()
			p.list.Refresh()
			for i, u := range users {
				if u.Username == sel {
					p.list.Select(i)
				}
			}
			if p.selected < 0 {
				p.enable(false)
			}
		})
	})
}

func (p *usersPanel) current() (workflow.UserInfo, bool) {
	if p.selected < 0 || p.selected >= len(p.users) {
		return workflow.UserInfo{}, false
	}
	return p.users[p.selected], true
}

// pick shows user i.
func (p *usersPanel) pick(i int) {
	if i < 0 || i >= len(p.users) {
		return
	}
	p.selected = i
	u := p.users[i]
	p.head.SetText(u.FullName + " (" + u.Username + ")")
	var state []string
	switch {
	case u.Disabled:
		state = append(state, tr("users.state.disabledLong"))
	default:
		state = append(state, tr("users.state.active"))
	}
	if u.Locked(time.Now()) {
		state = append(state, tr("users.state.lockedLong", map[string]any{"Time": formatLocal(u.LockedUntil), "N": u.Failures}))
	} else if u.Failures > 0 {
		state = append(state, tr("users.state.failures", map[string]any{"N": u.Failures}))
	}
	p.state.SetText(strings.Join(state, " "))
	var sel []string
	for _, r := range u.Roles {
		sel = append(sel, roleLabel(r))
	}
	p.roles.SetSelected(sel)
	p.enable(true)
	if u.Disabled {
		p.disableBtn.SetText(tr("users.enable"))
		p.disableBtn.SetIcon(theme.ConfirmIcon())
	} else {
		p.disableBtn.SetText(tr("users.disable"))
		p.disableBtn.SetIcon(theme.CancelIcon())
	}
	if u.Failures > 0 || !u.LockedUntil.IsZero() {
		p.unlockBtn.Enable()
	} else {
		p.unlockBtn.Disable()
	}
	var rows []fyne.CanvasObject
	if len(u.Certs) == 0 {
		rows = append(rows, wrapLabel(tr("users.certs.none"), widget.MediumImportance))
	}
	for _, c := range u.Certs {
		c := c
		text := tr("users.cert", map[string]any{"Holder": c.Subject, "Until": formatDate(c.NotAfter), "Key": c.KeyID[:16], "By": c.AddedBy})
		imp := widget.MediumImportance
		if time.Now().After(c.NotAfter) {
			text += " · " + tr("users.cert.expired")
			imp = widget.DangerImportance
		}
		rm := widget.NewButtonWithIcon(tr("users.cert.remove"), theme.DeleteIcon(), func() { p.removeCert(u.Username, c) })
		rows = append(rows, container.NewBorder(nil, nil, nil, rm, wrapLabel(text, imp)))
	}
	p.certs.Objects = rows
	p.certs.Refresh()
	if u.Username != p.lastChanged { // another user: the last change's message goes
		p.setStatus("", widget.MediumImportance)
	}
	p.lastChanged = ""
}

func (p *usersPanel) setStatus(s string, imp widget.Importance) {
	p.status.SetText(s)
	p.status.Importance = imp
	p.status.Refresh()
}

// run does fn in the background and shows done (or the error), then reloads.
func (p *usersPanel) run(username string, fn func(ctx context.Context, w *workflow.Workflow) error, done string) {
	e := p.e
	e.bg.Go(func() {
		err := fn(e.ctx, e.flow())
		e.do(func() {
			if err != nil {
				p.setStatus(userErrText(err, username), widget.DangerImportance)
				return
			}
			p.lastChanged = username
			p.setStatus(done, widget.SuccessImportance)
			p.reload()
		})
	})
}

// userErrText adds the user name to the store's plain refusals.
func userErrText(err error, username string) string {
	switch {
	case errors.Is(err, queue.ErrUserExists):
		return tr("users.err.exists", map[string]any{"User": username})
	case errors.Is(err, queue.ErrUserNotFound):
		return tr("users.err.notFound", map[string]any{"User": username})
	case errors.Is(err, queue.ErrLastAdmin):
		return pickLanguage(err.Error())
	}
	return signErrText(err)
}

func (p *usersPanel) checkedRoles(g *widget.CheckGroup) []queue.Role {
	var out []queue.Role
	for _, r := range roleNames {
		for _, s := range g.Selected {
			if s == roleLabel(r) {
				out = append(out, r)
			}
		}
	}
	return out
}

func (p *usersPanel) doSaveRoles() {
	u, ok := p.current()
	if !ok {
		return
	}
	roles := p.checkedRoles(p.roles)
	p.run(u.Username, func(ctx context.Context, w *workflow.Workflow) error {
		return w.SetRoles(ctx, p.actor, u.Username, roles)
	}, tr("users.done.roles", map[string]any{"User": u.Username}))
}

func (p *usersPanel) toggleDisabled() {
	u, ok := p.current()
	if !ok {
		return
	}
	to := !u.Disabled
	done := tr("users.done.disabled", map[string]any{"User": u.Username})
	if !to {
		done = tr("users.done.enabled", map[string]any{"User": u.Username})
	}
	p.run(u.Username, func(ctx context.Context, w *workflow.Workflow) error {
		return w.SetDisabled(ctx, p.actor, u.Username, to)
	}, done)
}

func (p *usersPanel) doUnlock() {
	u, ok := p.current()
	if !ok {
		return
	}
	p.run(u.Username, func(ctx context.Context, w *workflow.Workflow) error {
		return w.Unlock(ctx, p.actor, u.Username)
	}, tr("users.done.unlocked", map[string]any{"User": u.Username}))
}

func (p *usersPanel) removeCert(username string, c queue.UserCert) {
	dialog.ShowConfirm(tr("users.cert.removeTitle"), tr("users.cert.removeAsk", map[string]any{"Holder": c.Subject, "User": username}), func(ok bool) {
		if !ok {
			return
		}
		p.run(username, func(ctx context.Context, w *workflow.Workflow) error {
			return w.RemoveUserCert(ctx, p.actor, username, c.KeyID)
		}, tr("users.done.certRemoved", map[string]any{"User": username}))
	}, p.e.win)
}

// passwordPair is two password entries that must agree.
func passwordPair() (*widget.Entry, *widget.Entry) {
	pw, again := widget.NewPasswordEntry(), widget.NewPasswordEntry()
	pw.SetPlaceHolder(tr("users.pw.hint"))
	again.SetPlaceHolder(tr("users.pw.again"))
	return pw, again
}

// showAdd asks for a new account.
func (p *usersPanel) showAdd() {
	name := widget.NewEntry()
	name.SetPlaceHolder(tr("users.username.hint"))
	full := newTextEntry()
	full.SetPlaceHolder(tr("users.fullname.hint"))
	pw, again := passwordPair()
	var opts []string
	for _, r := range roleNames {
		opts = append(opts, roleLabel(r))
	}
	roles := widget.NewCheckGroup(opts, nil)
	roles.Horizontal = true
	roles.SetSelected([]string{roleLabel(queue.RoleClerk)})
	msg := wrapLabel("", widget.DangerImportance)
	items := []*widget.FormItem{
		widget.NewFormItem(tr("users.username"), name),
		widget.NewFormItem(tr("users.fullname"), full),
		widget.NewFormItem(tr("users.pw"), pw),
		widget.NewFormItem(tr("users.pw.againLabel"), again),
		widget.NewFormItem(tr("users.roles"), roles),
	}
	form := widget.NewForm(items...)
	var d dialog.Dialog
	create := widget.NewButtonWithIcon(tr("users.add.go"), theme.ConfirmIcon(), func() {
		if pw.Text != again.Text {
			msg.SetText(tr("users.pw.differ"))
			return
		}
		in := workflow.NewUser{Username: strings.TrimSpace(name.Text), FullName: strings.TrimSpace(full.Text), Password: pw.Text,
			Roles: p.checkedRoles(roles)}
		pw.SetText("")
		again.SetText("")
		e, actor := p.e, p.actor
		e.bg.Go(func() {
			_, err := e.flow().AddUser(e.ctx, &actor, in)
			e.do(func() {
				if err != nil {
					msg.SetText(userErrText(err, in.Username))
					return
				}
				d.Hide()
				p.lastChanged = in.Username
				p.setStatus(tr("users.done.added", map[string]any{"User": in.Username}), widget.SuccessImportance)
				p.reload()
			})
		})
	})
	create.Importance = widget.HighImportance
	cancel := widget.NewButton(tr("btn.cancel"), func() { d.Hide() })
	d = dialog.NewCustomWithoutButtons(tr("users.add.title"), container.NewVBox(form, msg,
		container.NewHBox(layout.NewSpacer(), cancel, create)), p.e.win)
	d.Resize(fyne.NewSize(560, 0))
	d.Show()
	p.e.win.Canvas().Focus(name)
}

// showResetPw asks for the new password of the selected user.
func (p *usersPanel) showResetPw() {
	u, ok := p.current()
	if !ok {
		return
	}
	pw, again := passwordPair()
	msg := wrapLabel("", widget.DangerImportance)
	var d dialog.Dialog
	save := widget.NewButtonWithIcon(tr("users.resetPw.go"), theme.ConfirmIcon(), func() {
		if pw.Text != again.Text {
			msg.SetText(tr("users.pw.differ"))
			return
		}
		newPw := pw.Text
		pw.SetText("")
		again.SetText("")
		e, actor := p.e, p.actor
		e.bg.Go(func() {
			err := e.flow().SetPassword(e.ctx, actor, u.Username, newPw)
			e.do(func() {
				if err != nil {
					msg.SetText(userErrText(err, u.Username))
					return
				}
				d.Hide()
				p.setStatus(tr("users.done.pw", map[string]any{"User": u.Username}), widget.SuccessImportance)
			})
		})
	})
	save.Importance = widget.HighImportance
	cancel := widget.NewButton(tr("btn.cancel"), func() { d.Hide() })
	form := widget.NewForm(widget.NewFormItem(tr("users.pw"), pw), widget.NewFormItem(tr("users.pw.againLabel"), again))
	d = dialog.NewCustomWithoutButtons(tr("users.resetPw.title", map[string]any{"User": u.Username}),
		container.NewVBox(form, msg, container.NewHBox(layout.NewSpacer(), cancel, save)), p.e.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
	p.e.win.Canvas().Focus(pw)
}

// showAddCert registers a signing certificate to the selected user: from a certificate file,
// a .p12 file (with its password) or a token (no PIN).
func (p *usersPanel) showAddCert() {
	u, ok := p.current()
	if !ok {
		return
	}
	path := widget.NewEntry()
	path.SetPlaceHolder(tr("users.cert.file.hint"))
	browse := widget.NewButtonWithIcon(tr("sign.browse"), theme.FolderOpenIcon(), func() {
		browseFile(p.e.win, []string{".pem", ".crt", ".cer", ".der", ".p12", ".pfx"}, path)
	})
	pw := widget.NewPasswordEntry()
	pw.SetPlaceHolder(tr("users.cert.p12pw"))
	fileBox := container.NewVBox(container.NewBorder(nil, nil, nil, browse, path), pw)
	tok := newTokenPicker(p.e, u.User, false, nil)
	srcFile, srcToken := tr("users.cert.src.file"), tr("users.cert.src.token")
	src := widget.NewRadioGroup([]string{srcFile, srcToken}, func(v string) {
		if v == srcToken {
			fileBox.Hide()
			tok.box.Show()
			tok.open()
		} else {
			tok.box.Hide()
			fileBox.Show()
		}
	})
	src.Horizontal = true
	src.Required = true
	src.SetSelected(srcFile)
	msg := wrapLabel("", widget.DangerImportance)
	var d dialog.Dialog
	add := widget.NewButtonWithIcon(tr("users.cert.add.go"), theme.ConfirmIcon(), func() {
		var cs workflow.CertSource
		if src.Selected == srcToken {
			ts, ok := tok.source()
			if !ok {
				msg.SetText(tr("sign.token.noneFound"))
				return
			}
			cs = workflow.CertSource{Module: ts.Module, Slot: ts.Slot, HasSlot: true, CertSHA256: ts.CertSHA256}
		} else {
			f := strings.TrimSpace(path.Text)
			if lf := strings.ToLower(f); strings.HasSuffix(lf, ".p12") || strings.HasSuffix(lf, ".pfx") {
				secret := pw.Text
				cs = workflow.CertSource{P12File: f, PIN: func(context.Context, workflow.PINRequest) (string, error) { return secret, nil }}
			} else {
				cs = workflow.CertSource{File: f}
			}
		}
		pw.SetText("")
		e, actor := p.e, p.actor
		e.bg.Go(func() {
			_, err := e.flow().AddUserCert(e.ctx, actor, u.Username, cs)
			e.do(func() {
				if err != nil {
					msg.SetText(userErrText(err, u.Username))
					return
				}
				d.Hide()
				p.lastChanged = u.Username
				p.setStatus(tr("users.done.cert", map[string]any{"User": u.Username}), widget.SuccessImportance)
				p.reload()
			})
		})
	})
	add.Importance = widget.HighImportance
	cancel := widget.NewButton(tr("btn.cancel"), func() { d.Hide() })
	note := wrapLabel(tr("users.cert.note", map[string]any{"User": u.Username}), widget.MediumImportance)
	d = dialog.NewCustomWithoutButtons(tr("users.cert.title", map[string]any{"User": u.Username}),
		container.NewVBox(note, src, fileBox, tok.box, msg, container.NewHBox(layout.NewSpacer(), cancel, add)), p.e.win)
	d.Resize(fyne.NewSize(640, 0))
	d.Show()
}
