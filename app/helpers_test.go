package app

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
	"github.com/sohoa/sohoa/workflow"
)

func TestMain(m *testing.M) {
	ocr.MaybeRunWorker() // the background OCR test starts real Tesseract workers from this binary
	// A real locale, so that Fyne's lang package does not log about "C".
	os.Setenv("LANG", "en_US.UTF-8")
	encryptAtSignIn = false // the encryption offer has its own test (encrypt_test.go)
	os.Exit(m.Run())
}

// harness is a headless app with a real store in a temporary folder.
type harness struct {
	t   *testing.T
	app fyne.App
	win fyne.Window
	e   *env
	sh  *shell

	mu     sync.Mutex
	queued []func() // UI updates posted by background work
}

// post queues fn for the UI goroutine (the test goroutine).
func (h *harness) post(fn func()) {
	h.mu.Lock()
	h.queued = append(h.queued, fn)
	h.mu.Unlock()
}

func newHarness(t *testing.T, svc Services) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	// The test theme has no font for bold+underline (used for low-confidence words); the
	// real default theme, which the workstation uses, has.
	a.Settings().SetTheme(theme.DefaultTheme())
	applyLanguage("vi")
	st, err := queue.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The workstation's office, as installation sets it (sohoa settings office): batches get
	// it by default and may then go to keying (queue/office.go).
	installer := queue.User{Username: "cai.dat", Roles: []queue.Role{queue.RoleAdmin}}
	if err := st.SetSetting(context.Background(), installer, queue.SettingOffice, "HN-01"); err != nil {
		t.Fatal(err)
	}
	desk, err := workflow.New(st)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1300, 850))
	h := &harness{t: t, app: a, win: w}
	e := &env{st: st, win: w, ctx: ctx, bg: &tasks{}, svc: svc, ui: h.post, wf: desk}
	h.e, h.sh = e, newShell(a, e)
	t.Cleanup(func() {
		cancel()
		h.sh.sync.stop()
		h.wait()
		st.Close()
	})
	return h
}

// drain runs the UI updates posted so far.
func (h *harness) drain() {
	h.mu.Lock()
	q := h.queued
	h.queued = nil
	h.mu.Unlock()
	for _, fn := range q {
		fn()
	}
}

// wait lets background jobs finish and runs their UI updates here, until nothing is left.
func (h *harness) wait() {
	for {
		h.e.bg.Wait()
		h.mu.Lock()
		q := h.queued
		h.queued = nil
		h.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, fn := range q {
			fn()
		}
	}
}

// admin creates the first account directly in the store.
func (h *harness) admin() queue.User {
	h.t.Helper()
	u, err := h.e.st.CreateUser(context.Background(), nil, "quantri", "Nguyễn Văn Quản", "matkhau-123", []queue.Role{queue.RoleAdmin})
	if err != nil {
		h.t.Fatal(err)
	}
	return u
}

// walk visits o and everything rendered inside it.
func walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	if o == nil {
		return
	}
	f(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(c, f)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walk(c, f)
		}
	}
}

// everything is the window content plus its overlays (dialogs).
func (h *harness) roots() []fyne.CanvasObject {
	c := h.win.Canvas()
	out := []fyne.CanvasObject{c.Content()}
	out = append(out, c.Overlays().List()...)
	return out
}

func (h *harness) entry(placeholder string) *widget.Entry {
	h.t.Helper()
	var found *widget.Entry
	for _, r := range h.roots() {
		walk(r, func(o fyne.CanvasObject) {
			e, ok := o.(*widget.Entry)
			if te, isText := o.(*textEntry); isText {
				e, ok = &te.Entry, true
			}
			if ok && e.PlaceHolder == placeholder && e.Visible() {
				found = e
			}
		})
	}
	if found == nil {
		h.t.Fatalf("no entry with placeholder %q", placeholder)
	}
	return found
}

// shown is the last visible object of type T, in the window and its overlays, that match
// accepts; ok is false when there is none.
func shown[T fyne.CanvasObject](h *harness, match func(T) bool) (found T, ok bool) {
	for _, r := range h.roots() {
		walk(r, func(o fyne.CanvasObject) {
			if x, isT := o.(T); isT && o.Visible() && match(x) {
				found, ok = x, true
			}
		})
	}
	return found, ok
}

func (h *harness) button(text string) *widget.Button {
	h.t.Helper()
	b, ok := shown(h, func(b *widget.Button) bool { return b.Text == text })
	if !ok {
		h.t.Fatalf("no button %q", text)
	}
	return b
}

// texts is every label and rich text string shown.
func (h *harness) texts() []string {
	var out []string
	for _, r := range h.roots() {
		walk(r, func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *widget.Label:
				if x.Visible() {
					out = append(out, x.Text)
				}
			case *widget.RichText:
				out = append(out, x.String())
			}
		})
	}
	return out
}

// shows reports whether some label contains s.
func (h *harness) shows(s string) bool {
	for _, t := range h.texts() {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

func (h *harness) mustShow(s string) {
	h.t.Helper()
	if !h.shows(s) {
		h.t.Fatalf("%q not shown; labels: %q", s, h.texts())
	}
}

func enter(e fyne.Focusable) { e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) }

// pagePNG draws a w×h page with a few dark bars (stand-ins for text lines).
func pagePNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := 40; y < h-40; y += 60 {
		for x := 30; x < w-30; x++ {
			for dy := 0; dy < 16; dy++ {
				img.SetGray(x, y+dy, color.Gray{Y: 0x20})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// recordRegistryFor is the record types of the store in dataDir, bundled and local, as the
// workflow loads them.
func recordRegistryFor(dataDir string) (*records.Registry, error) { return records.LoadAll(dataDir) }
