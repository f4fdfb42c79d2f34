package app

import (
	"testing"

	"fyne.io/fyne/v2"
)

// TestNewScreensFit1024: the sign, verify, administration and first-run screens (with the top bar and
// the status line) need no more than 1024×768, so they work at 1024×768 and 1366×768 and,
// Fyne scaling every size, on 4K screens.
func TestNewScreensFit1024(t *testing.T) {
	w := newSignWorld(t, 2)
	h := w.h
	h.login(w.ws.Admin) // every role: every button of the top bar, the override field
	screens := map[string]func(){
		"sign (.p12)": func() { h.sh.showSign(w.id) },
		"sign (token)": func() {
			h.sh.showSign(w.id)
			h.wait()
			h.sh.signing.source.SetSelected(tr("sign.src.token"))
		},
		"verify":          func() { h.sh.showVerify("") },
		"admin users":     func() { h.sh.showAdmin(adminUsers) },
		"admin settings":  func() { h.sh.showAdmin(adminSettings) },
		"admin enrolment": func() { h.sh.showAdmin(adminEnroll) },
		"admin machine":   func() { h.sh.showAdmin(adminSystem) },
		"first run":       func() { h.sh.showFirstRun(w.ws.Admin) },
	}
	for _, lang := range []string{"vi", "en"} {
		applyLanguage(lang)
		for name, open := range screens {
			open()
			h.wait()
			for _, size := range []fyne.Size{{Width: 1024, Height: 768}, {Width: 1366, Height: 768}} {
				h.win.Resize(size)
				min := h.win.Canvas().Content().MinSize()
				if min.Width > 1024 || min.Height > 768 {
					t.Errorf("%s (%s) needs %v, more than 1024×768", name, lang, min)
				}
				if got := h.win.Canvas().Size(); got.Width < size.Width-1 {
					t.Errorf("%s (%s): the window is %v at %v", name, lang, got, size)
				}
			}
		}
	}
	applyLanguage("vi")
}
