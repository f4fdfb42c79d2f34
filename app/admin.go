package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
)

// Tabs of the administration screen.
const (
	adminUsers    = "users"
	adminSettings = "settings"
	adminEnroll   = "enroll"
	adminSystem   = "system"
)

// adminScreen is the administrator's: users (roles, passwords, disabling, sign-in locks,
// signing certificates), the workstation's settings, and enrollment with the central
// server. The workflow and the store enforce the roles; the screen is offered to
// administrators only.
type adminScreen struct {
	e        *env
	user     queue.User
	tabs     *container.AppTabs
	users    *usersPanel
	settings *settingsPanel
	enroll   *enrollPanel
	system   *systemPanel
	content  fyne.CanvasObject
}

// newAdminScreen opens the screen on tab; onEnrolled runs after a successful enrollment (the
// sync sender reads its settings again).
func newAdminScreen(e *env, user queue.User, tab string, onBack, onEnrolled func()) *adminScreen {
	a := &adminScreen{e: e, user: user}
	a.users = newUsersPanel(e, user)
	a.settings = newSettingsPanel(e, user)
	a.enroll = newEnrollPanel(e, user, func() {
		a.settings.reload()
		if onEnrolled != nil {
			onEnrolled()
		}
	})
	a.settings.onEnroll = func() { a.tabs.SelectIndex(2) }
	a.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(tr("admin.tab.users"), theme.AccountIcon(), a.users.content),
		container.NewTabItemWithIcon(tr("admin.tab.settings"), theme.SettingsIcon(), a.settings.content),
		container.NewTabItemWithIcon(tr("admin.tab.enroll"), theme.UploadIcon(), a.enroll.content),
	)
	if tab == adminSystem { // the checks look for scanners: only when asked
		a.system = newSystemPanel(e, user)
		a.tabs.Append(container.NewTabItemWithIcon(tr("admin.tab.system"), theme.ComputerIcon(), a.system.content))
	} else {
		item := container.NewTabItemWithIcon(tr("admin.tab.system"), theme.ComputerIcon(), widget.NewLabel(""))
		a.tabs.Append(item)
		a.tabs.OnSelected = func(ti *container.TabItem) {
			if ti == item && a.system == nil {
				a.system = newSystemPanel(e, user)
				item.Content = a.system.content
				a.tabs.Refresh()
			}
		}
	}
	switch tab {
	case adminSettings:
		a.tabs.SelectIndex(1)
	case adminEnroll:
		a.tabs.SelectIndex(2)
	case adminSystem:
		a.tabs.SelectIndex(3)
	}
	back := widget.NewButtonWithIcon(tr("viewer.back"), theme.NavigateBackIcon(), func() {
		if onBack != nil {
			onBack()
		}
	})
	title := widget.NewLabelWithStyle(tr("admin.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	var note fyne.CanvasObject
	if !user.Can(queue.ActionManageUsers) {
		l := widget.NewLabel(errText(queue.Require(user, queue.ActionManageUsers)))
		l.Importance = widget.DangerImportance
		note = l
	}
	a.content = container.NewBorder(container.NewHBox(back, title), note, nil, nil, a.tabs)
	return a
}
