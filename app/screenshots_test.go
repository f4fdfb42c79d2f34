package app

import (
	"bytes"
	"context"
	"image"
	imgpng "image/png"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/workflow"
)

// capture takes the window's picture, checks it is a real screen (not one colour) and, when
// SOHOA_SCREENSHOT_DIR is set (make screenshots), writes it there as name.
func (h *harness) capture(name string) {
	h.t.Helper()
	img := h.win.Canvas().Capture()
	if img.Bounds().Dx() < 1000 || uniform(img) {
		h.t.Fatalf("%s: capture %v is blank", name, img.Bounds())
	}
	dir := os.Getenv("SOHOA_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	var buf bytes.Buffer
	if err := imgpng.Encode(&buf, img); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func uniform(img image.Image) bool {
	b := img.Bounds()
	r0, g0, b0, _ := img.At(b.Min.X, b.Min.Y).RGBA()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			if r, g, bl, _ := img.At(x, y).RGBA(); r != r0 || g != g0 || bl != b0 {
				return false
			}
		}
	}
	return true
}

// TestFirstRunScreens: the set-up form, the machine's checks with the sample batch made (in
// Vietnamese and English) and the enrollment's fingerprint question, at 1024×768, as the
// guides show them (make screenshots writes them to docs/screenshots).
func TestFirstRunScreens(t *testing.T) {
	h := newHarness(t, Services{})
	h.win.Resize(fyne.NewSize(1024, 768))
	h.sh.start()
	h.wait()
	h.mustShow("Thiết lập lần đầu")
	h.capture("setup.png")

	admin := h.admin()
	h.sh.showFirstRun(admin)
	h.wait()
	test.Tap(h.button("Tạo lô mẫu"))
	h.wait()
	h.mustShow("Đã tạo lô “Lô mẫu (thử)”")
	h.capture("firstrun.png")

	applyLanguage("en")
	t.Cleanup(func() { applyLanguage("vi") })
	h.sh.showFirstRun(admin)
	h.wait()
	h.mustShow("Is this machine ready?")
	h.mustShow("Vietnamese data for Tesseract: present")
	h.capture("firstrun-en.png")
	applyLanguage("vi")

	ctx := context.Background()
	pki, err := synctest.NewPKI("Trần Văn Kiểm")
	if err != nil {
		t.Fatal(err)
	}
	c, err := synctest.NewCentral(ctx, t.TempDir(), pki.Roots())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	h.login(admin)
	h.sh.showAdmin(adminEnroll)
	h.wait()
	h.entry("https://may-chu:8443").SetText("https://trungtam.example.vn:8443")
	h.entry("Ví dụ ES7X-ZP37-WG47-GVVU").SetText("ES7X-ZP37-WG47-GVVU")
	askTrust(h.win, untrustedFor(c.Pin), func(string) {})
	h.mustShow(fingerprintGroups(c.Pin))
	h.capture("enroll-fingerprint.png")
}

// untrustedFor is the error enrolling with a self-signed server gives (workflow.Enroll).
func untrustedFor(fp string) error { return &workflow.UntrustedServerError{Fingerprint: fp} }
