package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
)

// officeChoice is the office field of the open create or change-office dialog.
func (h *harness) officeChoice() *widget.SelectEntry {
	h.t.Helper()
	var found *widget.SelectEntry
	for _, r := range h.roots() {
		walk(r, func(o fyne.CanvasObject) {
			if e, ok := o.(*widget.SelectEntry); ok && e.Visible() {
				found = e
			}
		})
	}
	if found == nil {
		h.t.Fatalf("no office field; labels %q", h.texts())
	}
	return found
}

// selectBatch selects the batch named name in the batch table.
func (h *harness) selectBatch(name string) {
	h.t.Helper()
	for i, b := range h.sh.list.batches {
		if b.Name == name {
			h.sh.list.table.Select(widget.TableCellID{Row: i, Col: 0})
			return
		}
	}
	h.t.Fatalf("batch %q not listed", name)
}

// TestBatchOfficeFromEnrollment (finding 7): the new-batch dialog proposes the office this
// workstation is enrolled in; a batch of another office cannot go to keying (the Key button
// says why and how to fix it, in the user's language) until an administrator changes its
// office in the app, which is audited.
func TestBatchOfficeFromEnrollment(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Services{})
	admin := h.admin()
	// A batch made before enrollment, for another office.
	other, err := h.e.st.CreateBatch(ctx, admin, queue.BatchSpec{Name: "Lô đơn vị khác", Office: "HCM-02"})
	if err != nil {
		t.Fatal(err)
	}
	// Enrollment stores the office the central server assigned (sync/client.SettingOffice).
	if err := h.e.st.SetSettings(ctx, admin, map[string]string{"sync.office": "HN-01"}); err != nil {
		t.Fatal(err)
	}
	h.login(admin)

	test.Tap(h.button("Tạo lô mới"))
	if got := h.officeChoice().Text; got != "HN-01" {
		t.Fatalf("the dialog proposes office %q, want the enrolled HN-01", got)
	}
	test.Type(h.entry("Ví dụ: Khai sinh xã An Bình 1995"), "Khai sinh xã An Bình 1995")
	test.Tap(h.button("Tạo lô"))
	h.wait()
	bs, _ := h.e.st.ListBatches(ctx, queue.BatchFilter{})
	var made queue.Batch
	for _, b := range bs {
		if b.Name == "Khai sinh xã An Bình 1995" {
			made = b
		}
	}
	if made.Office != "HN-01" {
		t.Fatalf("new batch office %q, want HN-01 (batches %+v)", made.Office, bs)
	}
	h.mustShow("HN-01") // the office column

	// The other office's batch: keying refused, with the fix.
	h.selectBatch(other.Name)
	test.Tap(h.button("Nhập liệu"))
	h.wait()
	if h.sh.keying != nil {
		t.Fatal("the keying screen opened for a batch of another office")
	}
	h.mustShow("HCM-02")
	h.mustShow("HN-01")
	if !h.shows("sohoa batch office") && !h.shows("Đổi đơn vị") {
		t.Fatalf("the refusal does not say how to fix it: %q", h.texts())
	}
	for len(h.win.Canvas().Overlays().List()) > 0 {
		h.win.Canvas().Overlays().Top().Hide()
		h.win.Canvas().Overlays().Remove(h.win.Canvas().Overlays().Top())
	}

	// The administrator changes the batch's office in the app.
	h.selectBatch(other.Name)
	test.Tap(h.button("Đổi đơn vị"))
	h.wait()
	oc := h.officeChoice()
	oc.SetText("HN-01")
	test.Tap(h.button("Lưu"))
	h.wait()
	if b, _ := h.e.st.Batch(ctx, other.ID); b.Office != "HN-01" {
		t.Fatalf("office after change: %q", b.Office)
	}
	ev, _ := h.e.st.AuditLog(ctx, 5)
	found := false
	for _, e := range ev {
		found = found || e.Action == "batch.office" && strings.Contains(e.Detail, "HCM-02→HN-01")
	}
	if !found {
		t.Fatalf("office change not audited: %+v", ev)
	}
	h.selectBatch(other.Name)
	test.Tap(h.button("Nhập liệu"))
	h.wait()
	if h.sh.keying == nil {
		t.Fatalf("keying still refused after the fix: %q", h.texts())
	}
}
