package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// textEntryWith finds the shown textEntry with the placeholder.
func (h *harness) textEntryWith(placeholder string) *textEntry {
	h.t.Helper()
	var found *textEntry
	for _, r := range h.roots() {
		walk(r, func(o fyne.CanvasObject) {
			if e, ok := o.(*textEntry); ok && e.PlaceHolder == placeholder && e.Visible() {
				found = e
			}
		})
	}
	if found == nil {
		h.t.Fatalf("no text entry with placeholder %q", placeholder)
	}
	return found
}

// TestTelexInEveryTextEntry: the built-in Telex works in the app's other text entries too —
// batch name, search, the supervisor's comment (over several lines) — and stays off
// in the user name field until Ctrl+Shift+T turns it on ("quantri" would else become
// "quảnti"). Tab is not taken by any of them, so Tab and Shift+Tab move the focus.
func TestTelexInEveryTextEntry(t *testing.T) {
	h := newHarness(t, Services{})
	u := h.admin()
	h.login(u)
	test.Tap(h.button("Tạo lô mới"))
	name := h.textEntryWith("Ví dụ: Khai sinh xã An Bình 1995")
	test.Type(name, TelexKeys("Khai sinh xã Tân Lập 2024"))
	if name.Text != "Khai sinh xã Tân Lập 2024" {
		t.Fatalf("batch name typed with Telex: %q", name.Text)
	}
	search := h.textEntryWith("Tìm trong nội dung và trường dữ liệu (không cần gõ dấu)")
	test.Type(search, "Kieerm tra laji")
	if search.Text != "Kiểm tra lại" {
		t.Fatalf("search typed with Telex: %q", search.Text)
	}

	askComment(h.win, "Trả lại", "Trả lại", func(string) {})
	c := h.textEntryWith("Cần sửa gì, ở đâu (bắt buộc)")
	test.Type(c, "Kieerm tra laji\nsoos hoof sow")
	if c.Text != "Kiểm tra lại\nsố hồ sơ" {
		t.Fatalf("comment typed with Telex: %q", c.Text)
	}
	for _, e := range []*textEntry{name, search, c} {
		if e.AcceptsTab() {
			t.Fatal("a text entry takes Tab: Shift+Tab would not go back")
		}
	}

	h.sh.showLogin()
	user := h.textEntryWith("Tên đăng nhập")
	test.Type(user, "quantri")
	if user.Text != "quantri" {
		t.Fatalf("user name typed %q, want it as typed", user.Text)
	}
	user.SetText("")
	user.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyT, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift})
	defer func() { telexIdent.on = false }()
	test.Type(user, "nhaapj1")
	if user.Text != "nhập1" {
		t.Fatalf("user name with Telex turned on: %q", user.Text)
	}
}
