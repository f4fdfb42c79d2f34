package app

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestLoginShowsLockout: after repeated wrong passwords the sign-in screen says, in the
// interface language, that sign-in is locked and for how long, and the button waits; the
// right password is refused meanwhile (the lock itself is queue's, tested there and with the
// real CLI).
func TestLoginShowsLockout(t *testing.T) {
	h := newHarness(t, Services{})
	h.admin()
	h.sh.start()
	user, pw := h.entry("Tên đăng nhập"), h.entry("Mật khẩu")
	test.Type(user, "quantri")
	for i := 0; i < 6; i++ { // five failures, then an attempt refused by the lock
		test.Type(pw, "sai-mat-khau")
		enter(pw)
		h.wait()
	}
	h.mustShow("đăng nhập sai quá nhiều lần: tạm khóa, hãy thử lại sau 30 giây (hoặc nhờ quản trị viên mở khóa)")
	if b := h.button("Đăng nhập"); !b.Disabled() {
		t.Fatal("the sign-in button stays enabled while sign-in is locked")
	}
	// Enter still reaches the store, which refuses the right password while the lock lasts.
	test.Type(pw, "matkhau-123")
	enter(pw)
	h.wait()
	if h.sh.user != nil {
		t.Fatal("signed in while locked")
	}
	h.mustShow("tạm khóa")
}
