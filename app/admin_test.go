package app

import (
	"context"
	"crypto/ed25519"
	"encoding/pem"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
	"github.com/sohoa/sohoa/workflow"
)

func (h *harness) userByName(name string) (queue.User, bool) {
	h.t.Helper()
	us, err := h.e.st.Users(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, u := range us {
		if u.Username == name {
			return u, true
		}
	}
	return queue.User{}, false
}

// selectUser picks the user named name in the users panel.
func selectUser(t *testing.T, p *usersPanel, name string) {
	t.Helper()
	for i, u := range p.users {
		if u.Username == name {
			p.list.Select(i)
			return
		}
	}
	t.Fatalf("%s not listed", name)
}

// TestAdminUsers: an administrator adds a user through the dialog (moving between the
// fields with the mouse and with Tab), changes the roles, resets the password (two that
// differ are refused), disables and enables the account, lifts a sign-in lock and registers
// and removes a signing certificate; the store holds each change. A clerk is not offered
// the screen.
func TestAdminUsers(t *testing.T) {
	h := newHarness(t, Services{})
	ctx := context.Background()
	admin := h.admin()
	h.login(admin)
	test.Tap(h.button("Quản trị"))
	h.wait()
	a := h.sh.admin
	if a == nil {
		t.Fatal("no administration screen")
	}
	p := a.users
	test.Tap(h.button("Thêm người dùng…"))
	h.wait()
	name := h.entry("2-64 chữ, số, '.', '-' hoặc '_'")
	if h.win.Canvas().Focused() != name {
		t.Fatal("the user name does not have the focus")
	}
	h.typeFocused("thu")
	h.win.Canvas().FocusNext() // Tab
	h.typeFocused("Le Thi Thu")
	click(h.entry("Ít nhất 8 ký tự"))
	h.typeFocused("mật-khẩu-dài")
	h.win.Canvas().FocusNext()
	h.typeFocused("mật-khẩu-khác")
	test.Tap(h.button("Tạo người dùng"))
	h.wait()
	h.mustShow("Hai mật khẩu không khớp.")
	if _, ok := h.userByName("thu"); ok {
		t.Fatal("created with two different passwords")
	}
	again := h.entry("Nhập lại mật khẩu")
	pw := h.entry("Ít nhất 8 ký tự")
	pw.SetText("mật-khẩu-dài")
	again.SetText("mật-khẩu-dài")
	test.Tap(h.button("Tạo người dùng"))
	h.wait()
	u, ok := h.userByName("thu")
	if !ok || u.FullName != "Le Thi Thu" || !slices.Equal(u.Roles, []queue.Role{queue.RoleClerk}) {
		t.Fatalf("created %+v", u)
	}
	if h.overlays() != 0 {
		t.Fatal("the dialog stays open")
	}
	h.mustShow("Đã tạo người dùng thu.")
	if p.selected < 0 || p.users[p.selected].Username != "thu" {
		t.Fatal("the new user is not chosen")
	}

	// roles
	p.roles.SetSelected([]string{roleLabel(queue.RoleClerk), roleLabel(queue.RoleSupervisor)})
	test.Tap(h.button("Lưu vai trò"))
	h.wait()
	if u, _ := h.userByName("thu"); !slices.Equal(u.Roles, []queue.Role{queue.RoleClerk, queue.RoleSupervisor}) {
		t.Fatalf("roles %v", u.Roles)
	}
	// password
	test.Tap(h.button("Đặt lại mật khẩu…"))
	h.wait()
	h.typeFocused("mật-khẩu-mới-123")
	h.win.Canvas().FocusNext()
	h.typeFocused("mật-khẩu-mới-123")
	test.Tap(h.button("Đặt mật khẩu"))
	h.wait()
	if _, err := h.e.st.Authenticate(ctx, "thu", "mật-khẩu-mới-123"); err != nil {
		t.Fatalf("sign in with the new password: %v", err)
	}
	// disable, enable
	test.Tap(h.button("Khóa tài khoản"))
	h.wait()
	if u, _ := h.userByName("thu"); !u.Disabled {
		t.Fatal("not disabled")
	}
	test.Tap(h.button("Mở lại tài khoản"))
	h.wait()
	if u, _ := h.userByName("thu"); u.Disabled {
		t.Fatal("not enabled")
	}
	// sign-in lock
	for i := 0; i < 6; i++ {
		h.e.st.Authenticate(ctx, "thu", "sai-mật-khẩu")
	}
	p.reload()
	h.wait()
	selectUser(t, p, "thu")
	h.mustShow("Tạm khóa đăng nhập đến ")
	test.Tap(h.button("Mở khóa đăng nhập"))
	h.wait()
	if _, err := h.e.st.Authenticate(ctx, "thu", "mật-khẩu-mới-123"); err != nil {
		t.Fatalf("sign in after unlock: %v", err)
	}
	// a signing certificate from a PEM file
	pki, err := synctest.NewPKI("Le Thi Thu")
	if err != nil {
		t.Fatal(err)
	}
	pemFile := filepath.Join(t.TempDir(), "chung-thu.pem")
	os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pki.Signer.Chain[0].Raw}), 0o600)
	test.Tap(h.button("Thêm chứng thư…"))
	h.wait()
	h.entry("Đường dẫn tệp chứng thư hoặc tệp .p12").SetText(pemFile)
	test.Tap(h.button("Đăng ký chứng thư"))
	h.wait()
	certs, _ := h.e.st.UserCerts(ctx, "thu")
	if len(certs) != 1 || certs[0].KeyID != queue.KeyID(pki.Signer.Chain[0]) {
		t.Fatalf("certificates %+v", certs)
	}
	h.mustShow("Le Thi Thu · hạn đến ")
	test.Tap(h.button("Gỡ"))
	h.wait()
	test.Tap(h.button("Có")) // the confirmation
	h.wait()
	if certs, _ := h.e.st.UserCerts(ctx, "thu"); len(certs) != 0 {
		t.Fatalf("not removed: %+v", certs)
	}
	// the last administrator cannot lose the role
	selectUser(t, p, "quantri")
	p.roles.SetSelected([]string{roleLabel(queue.RoleClerk)})
	test.Tap(h.button("Lưu vai trò"))
	h.wait()
	h.mustShow("phải còn ít nhất một quản trị viên đang hoạt động")

	// a clerk: no administration button
	h.login(u)
	for _, b := range h.allButtons() {
		if b == "Quản trị" {
			t.Fatal("a clerk is offered the administration")
		}
	}
}

// TestAdminSettings: an administrator changes the auto-lock and the OCR languages; a bad
// value is refused with the reason and stores nothing.
func TestAdminSettings(t *testing.T) {
	h := newHarness(t, Services{})
	ctx := context.Background()
	h.login(h.admin())
	h.sh.showAdmin(adminSettings)
	h.wait()
	p := h.sh.admin.settings
	if p.office.Text != "HN-01" || p.autolock.Text != "10" {
		t.Fatalf("read: office %q, autolock %q", p.office.Text, p.autolock.Text)
	}
	click(h.entry("0: không tự khóa"))
	p.autolock.SetText("")
	h.typeFocused("-1")
	test.Tap(h.button("Lưu cấu hình"))
	h.wait()
	h.mustShow("giá trị không hợp lệ cho autolock_minutes")
	if v, _ := h.e.st.Setting(ctx, workflow.SettingAutoLock); v != "" {
		t.Fatalf("stored %q", v)
	}
	p.autolock.SetText("3")
	p.langs.SetSelected([]string{langLabel("vie")})
	p.profile.SetSelected("B-LT")
	p.tsa.SetText("http://tsa.example.vn/tsa")
	test.Tap(h.button("Lưu cấu hình"))
	h.wait()
	h.mustShow("Đã lưu cấu hình.")
	if v, _ := h.e.st.Setting(ctx, workflow.SettingAutoLock); v != "3" {
		t.Fatalf("autolock %q", v)
	}
	if v, _ := h.e.st.Setting(ctx, workflow.SettingOCRLanguages); v != "vie" {
		t.Fatalf("OCR languages %q", v)
	}
	if v, _ := h.e.st.Setting(ctx, workflow.SettingSignProfile); v != "B-LT" {
		t.Fatalf("signature format %q", v)
	}
	if v, _ := h.e.st.Setting(ctx, workflow.SettingTSAURL); v != "http://tsa.example.vn/tsa" {
		t.Fatalf("TSA %q", v)
	}
	h.mustShow("Chưa đăng ký với máy chủ trung tâm (mã máy trạm ws-")
}

// TestAdminEnrollTakesEffect: the workstation is not enrolled while its sender runs; the
// administrator enrolls it from the administration screen with a real central server's
// one-time code, and the running sender sends the signed batch at once, without a restart.
func TestAdminEnrollTakesEffect(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pki, err := synctest.NewPKI("Trần Văn Kiểm")
	if err != nil {
		t.Fatal(err)
	}
	c, err := synctest.NewCentral(ctx, filepath.Join(dir, "central"), pki.Roots())
	if err != nil {
		t.Fatal(err)
	}
	ws, err := synctest.NewWorkstation(ctx, filepath.Join(dir, "ws"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); ws.Store.Close() })
	id, err := ws.SignedBatch(ctx, pki, synctest.BatchSpec{Office: "HN-01"}, mrand.New(mrand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	code, err := c.EnrollCode(ctx, "HN-01")
	if err != nil {
		t.Fatal(err)
	}

	h := newHarness(t, Services{})
	h.e.st = ws.Store
	h.sh.sync.minBackoff, h.sh.sync.maxBackoff = 10*time.Millisecond, 50*time.Millisecond
	h.login(ws.Admin)
	h.until("the sender knows it is not enrolled", func() bool { return h.sh.sync.st.Known && !h.sh.sync.st.Enrolled })
	h.sh.showAdmin(adminEnroll)
	h.wait()
	h.win.Resize(fyne.NewSize(1024, 768))
	click(h.entry("https://may-chu:8443"))
	h.typeFocused(c.URL())
	h.win.Canvas().FocusNext()
	h.typeFocused(code)
	h.win.Canvas().FocusNext()
	h.typeFocused(c.Pin)
	test.Tap(h.button("Đăng ký"))
	h.until("the batch is committed centrally", func() bool {
		return c.Committed(ctx, id) && h.sh.sync.st.SentBatches == 1
	})
	h.mustShow("Đã đăng ký: mã máy trạm ws-")
	if e, _ := ws.Store.OutboxEntryOf(ctx, id); e.Status != queue.OutboxDone {
		t.Fatalf("outbox %+v", e)
	}
	if !ed25519.PublicKey(h.sh.sync.st.Key).Equal(c.Key.Public()) || wire.KeyID(h.sh.sync.st.Key) == "" {
		t.Fatal("the sender does not hold the pinned receipt key")
	}
	// the code is used once: the field was emptied, and typed again the server refuses it
	if c := h.entry("Ví dụ ES7X-ZP37-WG47-GVVU"); c.Text != "" {
		t.Fatalf("the used code stays in the form: %q", c.Text)
	} else {
		c.SetText(code)
	}
	test.Tap(h.button("Đăng ký"))
	h.wait()
	h.mustShow("Không đăng ký được: ")
}

// TestAdminEnrollTrustOnFirstUse: enrolling with a self-signed server and the fingerprint
// left empty shows the server certificate's SHA-256, in groups, to compare with the one
// `sohoa-central status` prints; confirming enrolls with it pinned.
func TestAdminEnrollTrustOnFirstUse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pki, err := synctest.NewPKI("Trần Văn Kiểm")
	if err != nil {
		t.Fatal(err)
	}
	c, err := synctest.NewCentral(ctx, filepath.Join(dir, "central"), pki.Roots())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	code, err := c.EnrollCode(ctx, "HN-01")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Services{})
	h.login(h.admin())
	h.sh.showAdmin(adminEnroll)
	h.wait()
	h.entry("https://may-chu:8443").SetText(c.URL())
	h.entry("Ví dụ ES7X-ZP37-WG47-GVVU").SetText(code)
	test.Tap(h.button("Đăng ký"))
	h.wait()
	h.mustShow("Tin cậy chứng chỉ của máy chủ?")
	h.mustShow(fingerprintGroups(c.Pin))
	h.mustShow("sohoa-central status")
	if v, _ := h.e.st.Setting(ctx, "sync.server_url"); v != "" {
		t.Fatalf("enrolled before the fingerprint was confirmed: %q", v)
	}
	test.Tap(h.button("Tin cậy và đăng ký"))
	h.wait()
	h.mustShow("Đã đăng ký: mã máy trạm ws-")
	if v, _ := h.e.st.Setting(ctx, "sync.tls_sha256"); v != c.Pin {
		t.Fatalf("pinned %q, want %s", v, c.Pin)
	}
}

// TestAdminSettingsLanguageOrder: with Vietnamese alone configured, ticking English, then
// unticking and ticking Vietnamese again with the mouse puts it after English in the check
// group's selection; the setting still stores Vietnamese first, the language a Vietnamese page
// is read with alone.
func TestAdminSettingsLanguageOrder(t *testing.T) {
	h := newHarness(t, Services{})
	ctx := context.Background()
	admin := h.admin()
	if err := h.e.st.SetSetting(ctx, admin, workflow.SettingOCRLanguages, "vie"); err != nil {
		t.Fatal(err)
	}
	h.login(admin)
	h.sh.showAdmin(adminSettings)
	h.wait()
	p := h.sh.admin.settings
	if len(p.langs.Selected) != 1 {
		t.Fatalf("selection read: %q", p.langs.Selected)
	}
	vie := h.check(langLabel("vie"))
	test.Tap(h.check(langLabel("eng")))
	test.Tap(vie)
	test.Tap(vie)
	if len(p.langs.Selected) != 2 || p.langs.Selected[0] != langLabel("eng") {
		t.Fatalf("selection after two taps: %q", p.langs.Selected)
	}
	test.Tap(h.button("Lưu cấu hình"))
	h.wait()
	h.mustShow("Đã lưu cấu hình.")
	if v, _ := h.e.st.Setting(ctx, workflow.SettingOCRLanguages); v != "vie+eng" {
		t.Fatalf("OCR languages stored %q, want vie+eng", v)
	}
}

func (h *harness) check(text string) *widget.Check {
	h.t.Helper()
	c, ok := shown(h, func(c *widget.Check) bool { return c.Text == text })
	if !ok {
		h.t.Fatalf("no check box %q", text)
	}
	return c
}
