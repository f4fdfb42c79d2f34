package app

import (
	"context"
	mrand "math/rand/v2"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/sync/synctest"
)

// TestOutboxStatusLine: three signed batches wait for upload; the server holds one back.
// The main window's status line counts them (read off the UI goroutine, also by the
// periodic refresher), and a click opens the sync panel listing the held batch with the
// server's reason in the clerk's language.
func TestOutboxStatusLine(t *testing.T) {
	ctx := context.Background()
	w, err := synctest.NewWorkstation(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pki, err := synctest.NewPKI("Trần Văn Kiểm")
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(3, 4))
	var ids []string
	for i := 0; i < 3; i++ {
		id, err := w.SignedBatch(ctx, pki, synctest.BatchSpec{Office: "HN-01", Documents: 1}, rng)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	const reason = "untrusted_signer: người ký không có trong danh sách tin cậy / signer not trusted"
	if err := w.Store.OutboxHold(ctx, w.Supervisor, ids[1], reason); err != nil {
		t.Fatal(err)
	}

	h := newHarness(t, Services{})
	t.Cleanup(func() { w.Store.Close() }) // runs before the harness's clean-up
	h.e.st = w.Store
	h.sh.outbox.e.st = w.Store
	h.login(w.Clerk)
	h.mustShow("Đang đọc hàng đợi tải lên")
	h.sh.outbox.refresh()
	h.wait()
	h.mustShowButton("Đang chờ tải lên: 2 lô · Bị giữ lại: 1")
	if h.sh.outbox.btn.Importance != widget.WarningImportance {
		t.Fatal("held batches are not highlighted")
	}

	// the periodic refresher sees a change without any click
	if err := w.Store.OutboxComplete(ctx, w.Supervisor, ids[0], []byte(`{"receipt":{}}`)); err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { h.sh.outbox.serve(sctx, time.Millisecond); close(done) }()
	for i := 0; i < 10000 && h.sh.outbox.btn.Text != "Đang chờ tải lên: 1 lô · Bị giữ lại: 1"; i++ {
		time.Sleep(time.Millisecond)
		h.drain()
	}
	stop()
	<-done
	h.drain()
	h.mustShowButton("Đang chờ tải lên: 1 lô · Bị giữ lại: 1")

	test.Tap(h.sh.outbox.btn)
	h.wait()
	h.mustShow("Bị máy chủ giữ lại: 1 lô")
	h.mustShow("người ký không có trong danh sách tin cậy (untrusted_signer)") // the clerk's language only
	if h.shows("signer not trusted") {
		t.Fatal("the English half of the reason shown to a Vietnamese clerk")
	}
	h.mustShow("Đang chờ tải lên: 1 lô")
	h.mustShow("chưa đăng ký với máy chủ trung tâm") // no sync settings in this store
}

// mustShowButton fails unless a shown button has exactly text.
func (h *harness) mustShowButton(text string) {
	h.t.Helper()
	h.button(text)
}
