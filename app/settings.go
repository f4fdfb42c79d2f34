package app

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// settingsPanel edits the workstation's settings: the office, the auto-lock, the OCR
// languages (those installed), the trust store for signing and verifying and the signing
// tokens' module; it shows the central server the workstation is enrolled with. The values
// are checked and stored together by the workflow (workflow.SaveSettings).
type settingsPanel struct {
	e        *env
	actor    queue.User
	onEnroll func() // shows the enrollment tab

	office   *widget.Entry
	officeNo *widget.Label
	autolock *widget.Entry
	langs    *widget.CheckGroup
	trust    *widget.Entry
	module   *widget.Entry
	profile  *widget.Select
	tsa      *widget.Entry
	server   *widget.Label
	saveBtn  *widget.Button
	status   *widget.Label
	loaded   workflow.Settings
	content  fyne.CanvasObject
}

func newSettingsPanel(e *env, actor queue.User) *settingsPanel {
	p := &settingsPanel{e: e, actor: actor}
	p.office = widget.NewEntry()
	p.office.SetPlaceHolder(tr("settings.office.hint"))
	p.officeNo = wrapLabel("", widget.MediumImportance)
	p.autolock = widget.NewEntry()
	p.autolock.SetPlaceHolder(tr("settings.autolock.hint"))
	p.langs = widget.NewCheckGroup(nil, nil)
	p.langs.Horizontal = true
	p.trust = widget.NewEntry()
	p.trust.SetPlaceHolder(tr("settings.trust.hint"))
	trustBrowse := widget.NewButtonWithIcon(tr("sign.browse"), theme.FolderOpenIcon(), func() {
		browseFile(e.win, []string{".pem", ".crt", ".cer"}, p.trust)
	})
	p.module = widget.NewEntry()
	p.module.SetPlaceHolder(tr("sign.module.hint"))
	moduleBrowse := widget.NewButtonWithIcon(tr("sign.browse"), theme.FolderOpenIcon(), func() {
		browseFile(e.win, []string{".so", ".dll", ".dylib"}, p.module)
	})
	p.profile = widget.NewSelect([]string{"", "B-B", "B-T", "B-LT", "adbe"}, nil)
	p.profile.PlaceHolder = tr("settings.profile.hint")
	p.tsa = widget.NewEntry()
	p.tsa.SetPlaceHolder(tr("settings.tsa.hint"))
	p.server = wrapLabel("", widget.MediumImportance)
	enroll := widget.NewButtonWithIcon(tr("settings.enroll"), theme.UploadIcon(), func() {
		if p.onEnroll != nil {
			p.onEnroll()
		}
	})
	p.saveBtn = widget.NewButtonWithIcon(tr("settings.save"), theme.DocumentSaveIcon(), p.save)
	p.saveBtn.Importance = widget.HighImportance
	p.status = wrapLabel("", widget.MediumImportance)

	form := widget.NewForm(
		widget.NewFormItem(tr("settings.office"), container.NewVBox(p.office, p.officeNo)),
		widget.NewFormItem(tr("settings.autolock"), p.autolock),
		widget.NewFormItem(tr("settings.langs"), p.langs),
		widget.NewFormItem(tr("settings.trust"), container.NewBorder(nil, nil, nil, trustBrowse, p.trust)),
		widget.NewFormItem(tr("settings.module"), container.NewBorder(nil, nil, nil, moduleBrowse, p.module)),
		widget.NewFormItem(tr("settings.profile"), p.profile),
		widget.NewFormItem(tr("settings.tsa"), p.tsa),
	)
	bold := func(k string) fyne.CanvasObject {
		return widget.NewLabelWithStyle(tr(k), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	body := container.NewVBox(bold("settings.title"), form, container.NewHBox(p.saveBtn), p.status,
		widget.NewSeparator(), bold("settings.server"), p.server, container.NewHBox(enroll))
	p.content = container.NewVScroll(body)
	if !actor.Can(queue.ActionManageSettings) {
		p.saveBtn.Disable()
	}
	p.reload()
	return p
}

// reload reads the settings off the UI goroutine.
func (p *settingsPanel) reload() {
	e := p.e
	e.bg.Go(func() {
		s, err := e.flow().ReadWorkstationSettings(e.ctx)
		avail := workflow.AvailableOCRLanguages()
		e.do(func() {
			if err != nil {
				p.setStatus(signErrText(err), widget.DangerImportance)
				return
			}
			p.loaded = s
			p.office.SetText(s.Office)
			if s.EnrolledOffice != "" {
				p.office.SetText(s.EnrolledOffice)
				p.office.Disable()
				p.officeNo.SetText(tr("settings.office.enrolled", map[string]any{"Office": s.EnrolledOffice}))
			} else {
				p.office.Enable()
				p.officeNo.SetText(tr("settings.office.note"))
			}
			p.autolock.SetText(strconv.Itoa(s.AutoLockMinutes))
			var opts []string
			for _, l := range avail {
				opts = append(opts, langLabel(l))
			}
			for _, l := range s.OCRLanguages { // configured but not installed: shown, so it can be unchecked
				if !containsStr(avail, l) {
					opts = append(opts, langLabel(l))
				}
			}
			p.langs.Options = opts
			var sel []string
			for _, l := range s.OCRLanguages {
				sel = append(sel, langLabel(l))
			}
			p.langs.Selected = sel
			p.langs.Refresh()
			p.trust.SetText(s.TrustStore)
			p.module.SetText(s.PKCS11Module)
			p.profile.SetSelected(s.SignProfile)
			p.tsa.SetText(s.TSAURL)
			if s.Enrolled {
				p.server.SetText(tr("settings.server.enrolled", map[string]any{"URL": s.Server, "WS": s.WorkstationID,
					"Office": s.EnrolledOffice, "SHA": shortHex(s.ServerTLSSHA256)}))
			} else {
				p.server.SetText(tr("settings.server.none", map[string]any{"WS": s.WorkstationID}))
			}
		})
	})
}

func shortHex(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// langLabel is a Tesseract language code with its name, e.g. "vie — Tiếng Việt".
func langLabel(code string) string {
	names := map[string]string{"vie": tr("lang.vie"), "eng": tr("lang.eng"), "fra": tr("lang.fra"), "chi_sim": tr("lang.chi_sim")}
	if n, ok := names[code]; ok {
		return code + " — " + n
	}
	return code
}

func (p *settingsPanel) setStatus(s string, imp widget.Importance) {
	p.status.SetText(s)
	p.status.Importance = imp
	p.status.Refresh()
}

// save stores what changed, all together.
func (p *settingsPanel) save() {
	kv := map[string]string{}
	if o := strings.TrimSpace(p.office.Text); !p.office.Disabled() && o != p.loaded.Office {
		kv[workflow.SettingOffice] = o
	}
	if a := strings.TrimSpace(p.autolock.Text); a != strconv.Itoa(p.loaded.AutoLockMinutes) {
		kv[workflow.SettingAutoLock] = a
	}
	// The order is the list's, Vietnamese first, not the order of the clicks: Tesseract's
	// first language is the page's main one (a Vietnamese page is read with it alone).
	var langs []string
	for _, o := range p.langs.Options {
		if containsStr(p.langs.Selected, o) {
			code, _, _ := strings.Cut(o, " — ")
			if code == "vie" {
				langs = append([]string{code}, langs...)
			} else {
				langs = append(langs, code)
			}
		}
	}
	if j := strings.Join(langs, "+"); j != strings.Join(p.loaded.OCRLanguages, "+") {
		kv[workflow.SettingOCRLanguages] = j
	}
	if t := strings.TrimSpace(p.trust.Text); t != p.loaded.TrustStore {
		kv[workflow.SettingTrustStore] = t
	}
	if m := strings.TrimSpace(p.module.Text); m != p.loaded.PKCS11Module {
		kv[workflow.SettingPKCS11Module] = m
	}
	if v := p.profile.Selected; v != p.loaded.SignProfile {
		kv[workflow.SettingSignProfile] = v
	}
	if v := strings.TrimSpace(p.tsa.Text); v != p.loaded.TSAURL {
		kv[workflow.SettingTSAURL] = v
	}
	if len(kv) == 0 {
		p.setStatus(tr("settings.unchanged"), widget.MediumImportance)
		return
	}
	e, actor := p.e, p.actor
	p.saveBtn.Disable()
	e.bg.Go(func() {
		err := e.flow().SaveSettings(e.ctx, actor, kv)
		e.do(func() {
			p.saveBtn.Enable()
			if err != nil {
				p.setStatus(signErrText(err), widget.DangerImportance)
				return
			}
			p.setStatus(tr("settings.saved"), widget.SuccessImportance)
			p.reload()
		})
	})
}
