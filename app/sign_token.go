package app

import (
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// tokenPicker chooses a signing certificate on a token: the PKCS#11 module (remembered),
// the tokens it sees and the certificates on the chosen one, each with its holder, expiry
// and whom it is registered to; no PIN is needed for any of it. The sign screen and the
// certificate registration use it.
type tokenPicker struct {
	e        *env
	user     queue.User // "yours" is said of certificates registered to this user
	signing  bool       // choosing a key to sign with (else: a certificate to register)
	onChange func()

	module   *widget.Entry
	tokenSel *widget.Select
	tokens   []workflow.TokenInfo
	certs    []workflow.CertInfo
	group    *widget.RadioGroup
	note     *widget.Label
	box      *fyne.Container
	opened   bool
}

func newTokenPicker(e *env, user queue.User, signing bool, onChange func()) *tokenPicker {
	p := &tokenPicker{e: e, user: user, signing: signing, onChange: onChange}
	p.module = widget.NewEntry()
	p.module.SetPlaceHolder(tr("sign.module.hint"))
	browse := widget.NewButtonWithIcon(tr("sign.browse"), theme.FolderOpenIcon(), func() {
		browseFile(e.win, []string{".so", ".dll", ".dylib"}, p.module)
	})
	find := widget.NewButtonWithIcon(tr("sign.findTokens"), theme.SearchIcon(), p.find)
	p.tokenSel = widget.NewSelect(nil, func(string) { p.tokenChosen() })
	p.tokenSel.PlaceHolder = tr("sign.token.none")
	p.group = widget.NewRadioGroup(nil, func(string) { p.certChosen() })
	p.note = widget.NewLabel("")
	p.note.Wrapping = fyne.TextWrapWord
	p.box = container.NewVBox(
		widget.NewLabel(tr("sign.module.label")),
		container.NewBorder(nil, nil, nil, container.NewHBox(browse, find), p.module),
		container.NewBorder(nil, nil, widget.NewLabel(tr("sign.token.label")), nil, p.tokenSel),
		widget.NewLabelWithStyle(tr("sign.certs.label"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		p.group, p.note)
	p.box.Hide()
	return p
}

func (p *tokenPicker) changed() {
	if p.onChange != nil {
		p.onChange()
	}
}

// open fills the module path the first time (the one this person used last, else the
// workstation's setting, else an installed driver) and lists its tokens.
func (p *tokenPicker) open() {
	if p.opened {
		return
	}
	p.opened = true
	if m := fyne.CurrentApp().Preferences().String(prefPKCS11Module); m != "" && p.module.Text == "" {
		p.module.SetText(m)
	}
	if p.module.Text != "" {
		p.find()
		return
	}
	e := p.e
	e.bg.Go(func() {
		m, _ := e.st.Setting(e.ctx, workflow.SettingPKCS11Module)
		if m == "" {
			for _, k := range knownModules {
				if _, err := os.Stat(k); err == nil {
					m = k
					break
				}
			}
		}
		e.do(func() {
			if p.module.Text == "" && m != "" {
				p.module.SetText(m)
				p.find()
			}
		})
	})
}

// find lists the tokens the module sees, off the UI goroutine.
func (p *tokenPicker) find() {
	module := strings.TrimSpace(p.module.Text)
	if module == "" {
		p.setNote(tr("sign.err.noModule"), widget.WarningImportance)
		return
	}
	p.setNote(tr("sign.token.looking"), widget.MediumImportance)
	e := p.e
	e.bg.Go(func() {
		toks, err := e.flow().ListTokens(e.ctx, module)
		e.do(func() {
			p.tokens, p.certs = toks, nil
			p.group.Options, p.group.Selected = nil, ""
			p.group.Refresh()
			var opts []string
			for _, t := range toks {
				opts = append(opts, tokenText(t))
			}
			p.tokenSel.Options = opts
			p.tokenSel.ClearSelected()
			p.tokenSel.Refresh()
			switch {
			case err != nil:
				p.setNote(signErrText(err), widget.DangerImportance)
			case len(toks) == 0:
				p.setNote(tr("sign.token.noneFound"), widget.WarningImportance)
			default:
				p.setNote("", widget.MediumImportance)
				fyne.CurrentApp().Preferences().SetString(prefPKCS11Module, module)
				p.tokenSel.SetSelectedIndex(0)
			}
			p.changed()
		})
	})
}

func tokenText(t workflow.TokenInfo) string {
	s := tr("sign.token.item", map[string]any{"Label": t.Label, "Maker": strings.TrimSpace(t.Manufacturer + " " + t.Model), "Slot": t.Slot})
	if t.PINLocked {
		s += " — " + tr("sign.token.locked")
	}
	return s
}

func (p *tokenPicker) token() (workflow.TokenInfo, bool) {
	i := p.tokenSel.SelectedIndex()
	if i < 0 || i >= len(p.tokens) {
		return workflow.TokenInfo{}, false
	}
	return p.tokens[i], true
}

// tokenChosen lists the chosen token's certificates.
func (p *tokenPicker) tokenChosen() {
	t, ok := p.token()
	if !ok {
		return
	}
	module := strings.TrimSpace(p.module.Text)
	e := p.e
	e.bg.Go(func() {
		certs, err := e.flow().TokenCertificates(e.ctx, module, t.Slot)
		e.do(func() {
			if cur, ok := p.token(); !ok || cur.Slot != t.Slot {
				return
			}
			p.certs = certs
			var opts []string
			for _, c := range certs {
				opts = append(opts, certText(c, p.user))
			}
			p.group.Options, p.group.Selected = opts, ""
			p.group.Refresh()
			switch {
			case err != nil:
				p.setNote(signErrText(err), widget.DangerImportance)
			case len(certs) == 0:
				p.setNote(tr("sign.certs.none"), widget.WarningImportance)
			default:
				p.setNote("", widget.MediumImportance)
				pick := 0 // the one registered to this user first
				for i, c := range certs {
					if c.BoundTo == p.user.Username {
						pick = i
						break
					}
				}
				p.group.SetSelected(opts[pick])
			}
			p.changed()
		})
	})
}

// certText is one certificate for people: holder, expiry, registration.
func certText(c workflow.CertInfo, user queue.User) string {
	until := formatDate(c.NotAfter)
	state := tr("sign.cert.until", map[string]any{"Date": until})
	if !c.ValidAt(time.Now()) {
		state = tr("sign.cert.expired", map[string]any{"Date": until})
	}
	var bound string
	switch c.BoundTo {
	case "":
		bound = tr("sign.cert.unbound")
	case user.Username:
		bound = tr("sign.cert.yours")
	default:
		bound = tr("sign.cert.other", map[string]any{"User": c.BoundTo})
	}
	return c.Subject + " · " + state + " · " + bound
}

func (p *tokenPicker) cert() (workflow.CertInfo, bool) {
	for i, o := range p.group.Options {
		if o == p.group.Selected && i < len(p.certs) {
			return p.certs[i], true
		}
	}
	return workflow.CertInfo{}, false
}

// certChosen says at once what is wrong with the chosen certificate (the workflow refuses it
// anyway): expired, or registered to nobody or someone else.
func (p *tokenPicker) certChosen() {
	c, ok := p.cert()
	switch {
	case !ok:
		p.setNote("", widget.MediumImportance)
	case !c.ValidAt(time.Now()):
		p.setNote(tr("sign.cert.expiredNote"), widget.DangerImportance)
	case !p.signing:
		p.setNote(tr("sign.cert.issuer", map[string]any{"Issuer": c.Issuer, "SHA": c.SHA256[:16]}), widget.MediumImportance)
	case c.BoundTo == "":
		p.setNote(tr("sign.cert.unboundNote"), widget.WarningImportance)
	case c.BoundTo != p.user.Username:
		p.setNote(tr("sign.cert.otherNote", map[string]any{"User": c.BoundTo}), widget.DangerImportance)
	default:
		p.setNote(tr("sign.cert.issuer", map[string]any{"Issuer": c.Issuer, "SHA": c.SHA256[:16]}), widget.MediumImportance)
	}
	p.changed()
}

func (p *tokenPicker) setNote(s string, imp widget.Importance) {
	p.note.SetText(s)
	p.note.Importance = imp
	p.note.Refresh()
}

// source is the token and certificate chosen.
func (p *tokenPicker) source() (workflow.SignerSource, bool) {
	t, ok := p.token()
	if !ok {
		return workflow.SignerSource{}, false
	}
	src := workflow.SignerSource{Module: strings.TrimSpace(p.module.Text), Token: t.Label, Slot: t.Slot, HasSlot: true}
	if c, ok := p.cert(); ok {
		src.CertSHA256 = c.SHA256
	}
	return src, true
}
