package app

import (
	"bytes"
	"context"
	"os"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/sohoa/sohoa/queue"
)

// TestEncryptAtSignIn: an administrator signing in to a plaintext store is offered
// encryption; a wrong password is refused in the dialog; with theirs the recovery key is
// shown, then the conversion runs behind a progress dialog and the batch list follows. The
// page stored before is encrypted on disk and still reads; signing out forgets the key.
func TestEncryptAtSignIn(t *testing.T) {
	encryptAtSignIn = true
	defer func() { encryptAtSignIn = false }()
	h := newHarness(t, Services{})
	admin := h.admin()
	ctx := context.Background()
	b, err := h.e.st.CreateBatch(ctx, admin, queue.BatchSpec{Name: "Lô cũ"})
	if err != nil {
		t.Fatal(err)
	}
	_, pages := storeDoc(t, h.e.st, admin, b.ID, "cu.png", [2]int{200, 300})
	plain, err := h.e.st.PageImage(pages[0])
	if err != nil {
		t.Fatal(err)
	}
	h.sh.start()
	test.Type(h.entry("Tên đăng nhập"), "quantri")
	pw := h.entry("Mật khẩu")
	test.Type(pw, "matkhau-123")
	enter(pw)
	h.wait()
	h.mustShow("Mã hoá dữ liệu trên máy")
	again := h.entry("Mật khẩu của bạn")
	test.Type(again, "sai-mat-khau")
	test.Tap(h.button("Mã hoá ngay"))
	h.wait()
	h.mustShow("Sai tên đăng nhập hoặc mật khẩu")
	if st, _ := h.e.st.EncryptionState(ctx); st != queue.EncryptionOff {
		t.Fatalf("state %q after a wrong password", st)
	}
	again.SetText("")
	test.Type(again, "matkhau-123")
	test.Tap(h.button("Mã hoá ngay"))
	h.wait()
	h.mustShow("Khoá khôi phục")
	test.Tap(h.button("Tôi đã chép lại khoá"))
	h.wait()
	if st, _ := h.e.st.EncryptionState(ctx); st != queue.EncryptionOn {
		t.Fatalf("state %q after the conversion", st)
	}
	raw, err := os.ReadFile(h.e.st.Blobs.Path(pages[0].Blob))
	if err != nil || bytes.Equal(raw, plain) || bytes.Contains(raw, plain[:32]) {
		t.Fatalf("the old page is not encrypted on disk (%v)", err)
	}
	if got, err := h.e.st.PageImage(pages[0]); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("the old page after the conversion: %v", err)
	}
	if h.sh.user == nil {
		t.Fatal("not signed in after the conversion")
	}
	h.sh.logout()
	h.wait()
	if !h.e.st.Locked() {
		t.Fatal("signing out left the store unlocked")
	}
}
