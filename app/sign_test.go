package app

import (
	"context"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/sohoa/sohoa/internal/softhsmtest"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/synctest"
)

// signWorld is a workstation store (admin, clerk, supervisor "sup") with an approved batch
// and a signing key for the supervisor, in a headless app on that store.
type signWorld struct {
	h   *harness
	ws  *synctest.Workstation
	pki *synctest.PKI
	id  string
}

func newSignWorld(t *testing.T, docs int) *signWorld {
	t.Helper()
	ctx := context.Background()
	ws, err := synctest.NewWorkstation(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id, err := ws.ApprovedBatch(ctx, synctest.BatchSpec{Office: "HN-01", Documents: docs, Pages: 1, ImageSize: 64}, mrand.New(mrand.NewPCG(7, 8)))
	if err != nil {
		t.Fatal(err)
	}
	pki, err := synctest.NewPKI(ws.Supervisor.FullName)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Services{})
	t.Cleanup(func() { ws.Store.Close() }) // after the harness's clean-up
	h.e.st = ws.Store
	return &signWorld{h: h, ws: ws, pki: pki, id: id}
}

func (w *signWorld) state() queue.State {
	w.h.t.Helper()
	b, err := w.ws.Store.Batch(context.Background(), w.id)
	if err != nil {
		w.h.t.Fatal(err)
	}
	return b.State
}

func (w *signWorld) bind() {
	w.h.t.Helper()
	if _, err := w.ws.Store.AddUserCert(context.Background(), w.ws.Admin, "sup", w.pki.Signer.Chain[0]); err != nil {
		w.h.t.Fatal(err)
	}
}

// p12 writes the supervisor's key as a .p12 file protected by password.
func (w *signWorld) p12(password string) string {
	w.h.t.Helper()
	data, err := pkcs12.Modern.Encode(w.pki.Signer.Key, w.pki.Signer.Chain[0], w.pki.Signer.Chain[1:], password)
	if err != nil {
		w.h.t.Fatal(err)
	}
	f := filepath.Join(w.h.t.TempDir(), "chu-ky.p12")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		w.h.t.Fatal(err)
	}
	return f
}

// pdfsigAll runs poppler's pdfsig on every signed PDF of the batch.
func (w *signWorld) pdfsigAll(n int) {
	w.h.t.Helper()
	sdocs, err := w.ws.Store.SignedDocuments(context.Background(), w.id)
	if err != nil || len(sdocs) != n {
		w.h.t.Fatalf("signed documents %+v, %v", sdocs, err)
	}
	for _, sd := range sdocs {
		out, err := exec.Command("pdfsig", "-nocert", w.ws.Store.Blobs.Path(sd.PDFSHA256)).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Signature Validation: Signature is Valid.") {
			w.h.t.Fatalf("pdfsig: %v\n%s", err, out)
		}
	}
}

// tapRadio taps option i of a radio group as a mouse click does.
func tapRadio(t *testing.T, g *widget.RadioGroup, i int) {
	t.Helper()
	var items []fyne.Tappable
	for _, o := range test.WidgetRenderer(g).Objects() {
		if tp, ok := o.(fyne.Tappable); ok {
			items = append(items, tp)
		}
	}
	if i >= len(items) {
		t.Fatalf("radio group has %d items", len(items))
	}
	test.Tap(items[i])
}

// overlays is the number of dialogs on show.
func (h *harness) overlays() int { return len(h.win.Canvas().Overlays().List()) }

// TestSignScreenSoftHSM: the supervisor opens the sign screen from the top bar with the
// approved batch chosen in the batch list, picks the SoftHSM2 token (a real PKCS#11 module),
// whose certificate is listed with the holder's name, expiry and registration. Not
// registered yet: refused with the fix, and no PIN is asked. Registered: a wrong PIN (typed,
// Enter) says so and signs nothing; the right PIN (typed, the dialog's button clicked) signs
// every document with progress, the store holds the signed batch, pdfsig accepts each PDF,
// and the PIN is nowhere in the audit log.
func TestSignScreenSoftHSM(t *testing.T) {
	w := newSignWorld(t, 3)
	h := w.h
	softhsmtest.NewToken(t, w.pki.Signer.Key, w.pki.Signer.Chain)
	fyne.CurrentApp().Preferences().SetString(prefPKCS11Module, softhsmtest.Module)
	h.login(w.ws.Supervisor)
	h.sh.list.selected = 0 // the approved batch, chosen in the batch list
	h.sh.list.updateButtons()
	test.Tap(h.button("Ký số"))
	h.wait()
	sc := h.sh.signing
	if sc == nil || sc.selected != 0 || sc.batches[0].ID != w.id {
		t.Fatalf("sign screen on %+v", sc)
	}
	h.mustShow("Bạn là người đã duyệt lô này và có thể ký.")
	h.mustShow("lô thử đồng bộ — ")

	tapRadio(t, sc.source, 1) // the token
	h.wait()
	if sc.tok.tokenSel.Selected == "" || !strings.HasPrefix(sc.tok.tokenSel.Selected, softhsmtest.Label+" (") {
		t.Fatalf("token chosen: %q", sc.tok.tokenSel.Selected)
	}
	if got := sc.tok.group.Selected; !strings.HasPrefix(got, w.ws.Supervisor.FullName+" · hạn đến ") || !strings.HasSuffix(got, "chưa đăng ký cho ai") {
		t.Fatalf("certificate listed as %q", got)
	}
	h.mustShow("chưa được đăng ký cho bạn")

	// Not registered: the workflow refuses before asking for the PIN.
	test.Tap(h.button("Ký lô"))
	h.wait()
	if h.overlays() != 0 {
		t.Fatal("a PIN dialog for an unregistered certificate")
	}
	h.mustShow("chưa được đăng ký cho sup")
	if w.state() != queue.StateApproved {
		t.Fatalf("state %s", w.state())
	}

	w.bind()
	test.Tap(h.button("Tìm USB ký số"))
	h.wait()
	if !strings.HasSuffix(sc.tok.group.Selected, "đã đăng ký cho bạn") {
		t.Fatalf("registered certificate listed as %q", sc.tok.group.Selected)
	}

	// A wrong PIN, typed and entered with the keyboard.
	test.Tap(h.button("Ký lô"))
	h.poll("the PIN dialog", func() bool { return h.shows("Nhập mã PIN của USB ký số") })
	h.mustShow("Chứng thư: " + w.ws.Supervisor.FullName + ", hạn đến ")
	pw := h.entry("Mã PIN hoặc mật khẩu")
	if h.win.Canvas().Focused() != pw {
		t.Fatal("the PIN entry does not have the focus")
	}
	h.typeFocused("000000")
	enter(pw)
	h.until("the wrong PIN is reported", func() bool { return !sc.busy && h.shows("sai mã PIN của USB ký số") })
	if w.state() != queue.StateApproved || h.overlays() != 0 {
		t.Fatalf("after a wrong PIN: state %s, %d dialogs", w.state(), h.overlays())
	}

	// The right PIN, the dialog's button clicked.
	test.Tap(h.button("Ký lô"))
	h.poll("the PIN dialog again", func() bool { return h.overlays() == 1 && h.shows("Nhập mã PIN của USB ký số") })
	pw = h.entry("Mã PIN hoặc mật khẩu")
	click(pw)
	h.typeFocused(softhsmtest.PIN)
	test.Tap(h.button("Ký"))
	h.until("signed", func() bool { return !sc.busy && h.shows("Đã ký lô lô thử đồng bộ: 3 hồ sơ, 3 trang.") })
	if sc.bar.Value != 1 {
		t.Fatalf("progress bar at %v", sc.bar.Value)
	}
	if w.state() != queue.StateSigned {
		t.Fatalf("state %s after signing", w.state())
	}
	w.pdfsigAll(3)
	if pw.Text != "" {
		t.Fatal("the PIN stays in the entry")
	}
	events, _ := w.ws.Store.AuditLog(context.Background(), 500)
	for _, e := range events {
		if strings.Contains(e.Detail, softhsmtest.PIN) || strings.Contains(e.Object, softhsmtest.PIN) {
			t.Fatalf("the PIN in the audit log: %+v", e)
		}
	}
	h.mustShowButton("Kiểm tra lô vừa ký")
}

// TestSignScreenP12Cancel: with a .p12 file (path typed after moving the focus there with
// the mouse), cancelling the password dialog signs nothing; signing again with the password
// works, and "Verify signatures" opens the verify screen on the signed batch.
func TestSignScreenP12Cancel(t *testing.T) {
	w := newSignWorld(t, 2)
	h := w.h
	w.bind()
	const password = "mật khẩu .p12"
	file := w.p12(password)
	h.login(w.ws.Supervisor)
	h.sh.showSign(w.id)
	h.wait()
	sc := h.sh.signing
	if sc.selected != 0 {
		t.Fatal("the batch is not chosen")
	}
	path := h.entry("Đường dẫn tệp .p12, ví dụ /home/kiemsoat/chu-ky.p12")
	path.SetText("")
	click(path)
	if h.win.Canvas().Focused() != path {
		t.Fatal("a click did not move the focus to the path")
	}
	h.typeFocused(file)
	if sc.signBtn.Disabled() {
		t.Fatal("Sign disabled with a batch and a file")
	}
	test.Tap(sc.signBtn)
	h.poll("the password dialog", func() bool { return h.shows("Nhập mật khẩu tệp chữ ký số") })
	h.mustShow("Tệp: chu-ky.p12")
	test.Tap(h.button("Hủy"))
	h.until("cancelled", func() bool { return !sc.busy })
	h.mustShow("Đã hủy: lô lô thử đồng bộ chưa được ký, không có gì được ghi lại.")
	if w.state() != queue.StateApproved {
		t.Fatalf("state %s after cancel", w.state())
	}
	if sd, _ := w.ws.Store.SignedDocuments(context.Background(), w.id); len(sd) != 0 {
		t.Fatalf("signed documents after cancel: %+v", sd)
	}

	test.Tap(sc.signBtn)
	h.poll("the password dialog again", func() bool { return h.overlays() == 1 })
	h.typeFocused(password)
	enter(h.entry("Mã PIN hoặc mật khẩu"))
	h.until("signed", func() bool { return !sc.busy && h.shows("Đã ký lô lô thử đồng bộ: 2 hồ sơ, 2 trang.") })
	w.pdfsigAll(2)
	if got := fyne.CurrentApp().Preferences().String(prefP12File); got != file {
		t.Fatalf("the .p12 path is not remembered: %q", got)
	}
	test.Tap(h.button("Kiểm tra lô vừa ký"))
	h.wait()
	if h.sh.verify == nil {
		t.Fatal("the verify screen did not open")
	}
	h.mustShow("Lô lô thử đồng bộ nguyên vẹn: bản kê và 2 tệp PDF đã ký đều nguyên vẹn")
}

// TestSignScreenClerk: a clerk sees no sign button in the top bar, and the sign screen (were
// it opened) says the role does not allow signing and keeps Sign disabled.
func TestSignScreenClerk(t *testing.T) {
	w := newSignWorld(t, 1)
	h := w.h
	h.login(w.ws.Clerk)
	for _, b := range h.allButtons() {
		if b == "Ký số" {
			t.Fatal("a clerk is offered signing")
		}
	}
	h.sh.showSign(w.id)
	h.wait()
	h.mustShow("Tài khoản của bạn không có quyền làm việc này.")
	if !h.sh.signing.signBtn.Disabled() {
		t.Fatal("Sign enabled for a clerk")
	}
}

// allButtons lists the texts of the buttons shown.
func (h *harness) allButtons() []string {
	var out []string
	for _, r := range h.roots() {
		walk(r, func(o fyne.CanvasObject) {
			if b, ok := o.(*widget.Button); ok && b.Visible() {
				out = append(out, b.Text)
			}
		})
	}
	return out
}

// poll runs the posted UI updates until cond holds, without waiting for the background
// jobs (one of them waits for the PIN the test is about to type).
func (h *harness) poll(what string, cond func() bool) {
	h.t.Helper()
	for i := 0; i < 20000; i++ {
		h.drain()
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	h.t.Fatalf("never: %s; labels: %q", what, h.texts())
}

// typeFocused types s into the widget that has the keyboard focus, as the keyboard does.
func (h *harness) typeFocused(s string) {
	h.t.Helper()
	f := h.win.Canvas().Focused()
	if f == nil {
		h.t.Fatal("nothing has the focus")
	}
	for _, r := range s {
		f.TypedRune(r)
	}
}
