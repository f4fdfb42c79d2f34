package app

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/sohoa/sohoa/queue"
)

// fakeClock is the injected idle clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// TestAutoLockAfterIdle: with an injected clock the window locks after the idle time (mouse
// and keyboard activity postpone it), hides the open keying screen and its keys, refuses a
// wrong password, and gives the same user their work back as they left it.
func TestAutoLockAfterIdle(t *testing.T) {
	h := newHarness(t, Services{})
	registerTypes(t, h)
	u := h.admin()
	h.login(u)
	clk := &fakeClock{t: time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)}
	l := h.sh.lock
	l.now, l.idle = clk.now, 10*time.Minute
	l.touch()

	b, _ := keyingBatch(t, h, u, "household", pagePNG(t, 800, 1100))
	h.sh.openKeying(b, 0, 0, "")
	h.wait()
	work := h.win.Canvas().Content()
	kb := &keyboard{h: h}
	kb.typeText("125/20") // unsaved, in the focused entry
	l.check()             // the typing counts as activity

	clk.advance(9 * time.Minute)
	l.check()
	if l.locked {
		t.Fatal("locked before the idle time")
	}
	// a mouse move over the work postpones the lock
	work.(desktop.Hoverable).MouseMoved(&desktop.MouseEvent{})
	clk.advance(9 * time.Minute)
	l.check()
	if l.locked {
		t.Fatal("locked although the mouse moved 9 minutes ago")
	}
	// so does typing
	kb.typeText("19")
	clk.advance(9 * time.Minute)
	l.check()
	if l.locked {
		t.Fatal("locked although a key was typed")
	}
	typed := h.sh.keying.rows[0].entry.Text
	if typed == "" {
		t.Fatal("nothing typed")
	}
	clk.advance(10 * time.Minute)
	l.check()
	if !l.locked {
		t.Fatal("not locked after 10 idle minutes")
	}
	h.mustShow("Máy đã khoá")
	if h.win.Canvas().Content() == work || h.win.Canvas().OnTypedKey() != nil {
		t.Fatal("the work or its keys are still reachable while locked")
	}
	if h.shows("Họ, chữ đệm, tên") {
		t.Fatal("a form label of the work shows while locked")
	}

	pw := h.entry("Mật khẩu")
	test.Type(pw, "sai-mat-khau")
	test.Tap(h.button("Mở khoá"))
	h.wait()
	if !l.locked {
		t.Fatal("unlocked with a wrong password")
	}
	h.mustShow(errText(queue.ErrBadLogin))

	test.Type(h.entry("Mật khẩu"), "matkhau-123")
	test.Tap(h.button("Mở khoá"))
	h.wait()
	if l.locked || h.win.Canvas().Content() != work {
		t.Fatal("the same user did not get the work back")
	}
	if h.sh.keying == nil || h.sh.keying.rows[0].entry.Text != typed {
		t.Fatalf("the unsaved value is gone: %q", h.sh.keying.rows[0].entry.Text)
	}
	if h.win.Canvas().OnTypedKey() == nil {
		t.Fatal("the screen's keys were not given back")
	}
	// the idle clock starts again
	clk.advance(9 * time.Minute)
	l.check()
	if l.locked {
		t.Fatal("locked again at once")
	}
}

// TestAutoLockOtherUserStartsFresh: another user who signs in on the lock does not get the
// locked user's work but the batch list, as themselves.
func TestAutoLockOtherUserStartsFresh(t *testing.T) {
	h := newHarness(t, Services{})
	registerTypes(t, h)
	admin := h.admin()
	other, err := h.e.st.CreateUser(context.Background(), &admin, "nhap.lieu", "Nguyễn Thị Nhập", "matkhau-nhap-1", []queue.Role{queue.RoleClerk})
	if err != nil {
		t.Fatal(err)
	}
	h.login(admin)
	clk := &fakeClock{t: time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)}
	l := h.sh.lock
	l.now, l.idle = clk.now, 5*time.Minute
	b, _ := keyingBatch(t, h, admin, "household", pagePNG(t, 800, 1100))
	h.sh.openKeying(b, 0, 0, "")
	h.wait()
	work := h.win.Canvas().Content()
	l.check()
	clk.advance(5 * time.Minute)
	l.check()
	if !l.locked {
		t.Fatal("not locked")
	}
	user := h.entry("Tên đăng nhập")
	if user.Text != admin.Username {
		t.Fatalf("user name on the lock %q", user.Text)
	}
	user.SetText(other.Username)
	test.Type(h.entry("Mật khẩu"), "matkhau-nhap-1")
	test.Tap(h.button("Mở khoá"))
	h.wait()
	if l.locked || h.sh.user == nil || h.sh.user.ID != other.ID {
		t.Fatalf("locked %v, user %+v", l.locked, h.sh.user)
	}
	if h.win.Canvas().Content() == work || h.sh.keying != nil || h.sh.list == nil {
		t.Fatal("another user took over the locked work")
	}
	h.mustShow("Người dùng: Nguyễn Thị Nhập")
}

func TestAutoLockSetting(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{{"", 10 * time.Minute, false}, {"5", 5 * time.Minute, false}, {" 30 ", 30 * time.Minute, false},
		{"0", 0, false}, {"-1", 10 * time.Minute, true}, {"mười", 10 * time.Minute, true}} {
		got, err := autoLockSetting(c.in)
		if got != c.want || (err != nil) != c.bad {
			t.Errorf("%q: %v, %v; want %v (error %v)", c.in, got, err, c.want, c.bad)
		}
	}
	// 0 never locks
	h := newHarness(t, Services{})
	h.login(h.admin())
	clk := &fakeClock{t: time.Now()}
	l := h.sh.lock
	l.now, l.idle = clk.now, 0
	l.check()
	clk.advance(1000 * time.Hour)
	l.check()
	if l.locked {
		t.Fatal("locked with auto-lock off")
	}
}
