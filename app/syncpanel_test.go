package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	imgpng "image/png"
	mrand "math/rand/v2"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/client"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
	"github.com/sohoa/sohoa/workflow"
)

// syncWorld is a real central server (SQLite store, local blobs, signature verification
// trusting pki) over TLS on loopback, and a workstation store enrolled with it.
type syncWorld struct {
	t       *testing.T
	central store.Store
	hs      *httptest.Server
	keyID   string // the server's receipt key id
	pki     *synctest.PKI
	ws      *synctest.Workstation
	rng     *mrand.Rand
}

func newSyncWorld(t *testing.T) *syncWorld {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	w := &syncWorld{t: t, rng: mrand.New(mrand.NewPCG(11, 12))}
	var err error
	if w.pki, err = synctest.NewPKI("Trần Văn Kiểm"); err != nil {
		t.Fatal(err)
	}
	c, err := synctest.NewCentral(ctx, filepath.Join(dir, "central"), w.pki.Roots())
	if err != nil {
		t.Fatal(err)
	}
	w.central, w.hs = c.Store, c.Server
	w.keyID = wire.KeyID(c.Key.Public().(ed25519.PublicKey))
	if w.ws, err = synctest.NewWorkstation(ctx, filepath.Join(dir, "ws")); err != nil {
		t.Fatal(err)
	}
	// registered first, so it runs after the harness has stopped the sender
	t.Cleanup(func() { c.Close(); w.ws.Store.Close() })
	code, err := c.EnrollCode(ctx, "HN-01")
	if err != nil {
		t.Fatal(err)
	}
	cl := &client.Client{Store: w.ws.Store, Actor: w.ws.Admin, TLSFingerprint: c.Pin}
	if _, err := cl.Enroll(ctx, w.hs.URL, code); err != nil {
		t.Fatal(err)
	}
	return w
}

// batch signs a batch of docs documents with pki (the trusted one when nil).
func (w *syncWorld) batch(pki *synctest.PKI, docs int) string {
	w.t.Helper()
	if pki == nil {
		pki = w.pki
	}
	id, err := w.ws.SignedBatch(context.Background(), pki, synctest.BatchSpec{Office: "HN-01", Documents: docs, Pages: 2}, w.rng)
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *syncWorld) committed(id string) bool {
	b, err := w.central.Batch(context.Background(), id)
	return err == nil && b.Committed
}

// syncHarness is a headless app on the workstation store ws with a fast-retrying sender.
func syncHarness(t *testing.T, ws *synctest.Workstation) *harness {
	h := newHarness(t, Services{})
	h.e.st = ws.Store
	h.sh.sync.minBackoff, h.sh.sync.maxBackoff = 10*time.Millisecond, 50*time.Millisecond
	return h
}

// until runs the posted UI updates until cond holds (cond runs on the test goroutine, which
// plays the UI goroutine). It fails after many rounds without it.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	for i := 0; i < 20000; i++ {
		h.drain()
		if cond() {
			h.wait()
			return
		}
		time.Sleep(time.Millisecond)
	}
	h.t.Fatalf("never: %s; labels: %q", what, h.texts())
}

func entryStatus(t *testing.T, st *queue.Store, id string) string {
	t.Helper()
	e, err := st.OutboxEntryOf(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e.Status
}

// errorDialogs counts the error dialogs shown (titled like showError's).
func (h *harness) errorDialogs() int {
	n := 0
	for _, t := range h.texts() {
		if t == tr("dlg.error") {
			n++
		}
	}
	return n
}

// TestSyncSendsAndShowsReceipt: once the clerk signs in on an enrolled workstation, the
// background sender uploads the signed batches to a real central server; the panel opened
// from the status line shows the synced batch with its receipt (time, server key, documents)
// and the batch the server refused, with the server's reason in the clerk's language.
func TestSyncSendsAndShowsReceipt(t *testing.T) {
	w := newSyncWorld(t)
	good := w.batch(nil, 2)
	stranger, err := synctest.NewPKI("Người Lạ")
	if err != nil {
		t.Fatal(err)
	}
	bad := w.batch(stranger, 1) // signed by someone the server does not trust
	h := syncHarness(t, w.ws)
	h.login(w.ws.Clerk)
	test.Tap(h.sh.outbox.btn)
	h.wait()
	h.mustShow("Đồng bộ với máy chủ trung tâm") // the panel, not the old list

	h.until("both batches dealt with", func() bool {
		return h.sh.sync.st.SentBatches == 1 && h.sh.sync.st.Batches[bad].Phase == workflow.SyncHeld && !h.sh.sync.st.Sending
	})
	if !w.committed(good) || w.committed(bad) {
		t.Fatalf("central store: good committed %v, refused committed %v", w.committed(good), w.committed(bad))
	}
	if s := entryStatus(t, w.ws.Store, good); s != queue.OutboxDone {
		t.Fatalf("good batch outbox status %s", s)
	}
	h.until("the panel shows the receipt", func() bool { return h.shows("đã đồng bộ: máy chủ nhận lúc") })
	h.mustShow("#1 — đã đồng bộ: máy chủ nhận lúc")
	h.mustShow("khóa " + w.keyID + ", 2 hồ sơ, đơn vị HN-01")
	h.mustShow("Biên nhận của máy chủ (đã đồng bộ 1 lô)")
	h.mustShow("Đã gửi từ khi mở máy: 1 lô")
	h.mustShow("Máy chủ: " + w.hs.URL)
	// the refused batch: the server's reason, Vietnamese half only, with its code
	h.mustShow("Bị máy chủ giữ lại: 1 lô")
	held, err := w.ws.Store.OutboxEntryOf(context.Background(), bad)
	if err != nil || held.Status != queue.OutboxHeld {
		t.Fatalf("refused batch: %+v, %v", held.Status, err)
	}
	vi, en, ok := strings.Cut(strings.SplitN(held.LastError, ": ", 2)[1], " / ")
	if !ok {
		t.Fatalf("reason %q is not bilingual", held.LastError)
	}
	h.mustShow(vi)
	if h.shows(en) {
		t.Fatalf("the English half %q shown to a Vietnamese clerk", en)
	}
	h.until("the status line counts", func() bool {
		return strings.HasPrefix(h.sh.outbox.btn.Text, "Đang chờ tải lên: 0 lô · Bị giữ lại: 1 · Máy chủ trả lời lúc ")
	})
	if h.errorDialogs() != 0 {
		t.Fatal("an error dialog was shown")
	}

	// in English, the same reason in English
	h.sh.setLanguage("en")
	defer applyLanguage("vi")
	test.Tap(h.sh.outbox.btn)
	h.wait()
	h.mustShow(en)
	h.mustShow("key " + w.keyID + ", 2 documents, office HN-01")
}

// TestSyncPauseResume: while paused nothing is sent, a batch signed meanwhile stays pending
// however often the sender wakes; Resume sends it.
func TestSyncPauseResume(t *testing.T) {
	w := newSyncWorld(t)
	h := syncHarness(t, w.ws)
	h.login(w.ws.Clerk)
	h.until("a first pass", func() bool { return h.sh.sync.st.Rounds >= 1 && !h.sh.sync.st.Sending })
	test.Tap(h.sh.outbox.btn)
	h.wait()
	// nothing to send: the server was not contacted, and the panel does not claim a connection
	h.mustShow("Không còn lô nào chờ gửi lúc này. Chưa liên lạc với máy chủ")
	if h.shows("Đã kết nối") {
		t.Fatal("connected claimed without any contact")
	}

	test.Tap(h.button("Tạm dừng"))
	r := h.sh.sync.st.Rounds
	h.until("the sender sees the pause", func() bool { return h.sh.sync.st.Rounds > r })
	id := w.batch(nil, 1)
	if h.button("Gửi ngay").Disabled() == false {
		t.Fatal("Send now is enabled while paused")
	}
	for i := 0; i < 3; i++ { // poll ticks while paused
		r = h.sh.sync.st.Rounds
		h.sh.sync.wake()
		h.until("the sender wakes while paused", func() bool { return h.sh.sync.st.Rounds > r })
	}
	if s := entryStatus(t, w.ws.Store, id); s != queue.OutboxPending || w.committed(id) {
		t.Fatalf("sent while paused: outbox %s, committed %v", s, w.committed(id))
	}
	h.sh.outbox.refresh()
	h.wait()
	h.until("the panel lists the waiting batch", func() bool { return h.shows("#1 — đang chờ: tệp 0/3") })
	h.mustShow("Đã tạm dừng gửi.")
	h.mustShowButton("Đang chờ tải lên: 1 lô · Bị giữ lại: 0 · Tạm dừng gửi")

	test.Tap(h.button("Tiếp tục"))
	h.until("the batch is synced", func() bool { return h.sh.sync.st.SentBatches == 1 })
	if !w.committed(id) || entryStatus(t, w.ws.Store, id) != queue.OutboxDone {
		t.Fatal("not synced after Resume")
	}
	h.until("the receipt shows", func() bool { return h.shows("#1 — đã đồng bộ") })
	h.until("the last contact shows", func() bool { return h.shows("Lần liên lạc gần nhất với máy chủ: ") })
	if h.button("Gửi ngay").Disabled() {
		t.Fatal("Send now stays disabled after Resume")
	}
}

// TestSyncOffline: an enrolled workstation whose server does not answer shows "offline,
// will retry at HH:MM" in the status line and the panel, keeps the batch pending, and shows
// no error dialog. Send now tries again at once.
func TestSyncOffline(t *testing.T) {
	ctx := context.Background()
	ws, err := synctest.NewWorkstation(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Store.Close() })
	pki, err := synctest.NewPKI("Trần Văn Kiểm")
	if err != nil {
		t.Fatal(err)
	}
	id, err := ws.SignedBatch(ctx, pki, synctest.BatchSpec{Office: "HN-01"}, mrand.New(mrand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	// a loopback port nobody listens on
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	if err := ws.Store.SetSettings(ctx, ws.Admin, map[string]string{client.SettingServer: "https://" + addr,
		client.SettingToken: "tok", client.SettingReceiptKey: base64.StdEncoding.EncodeToString(pub),
		client.SettingTLSPin: strings.Repeat("ab", 32)}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Services{})
	h.e.st = ws.Store
	h.sh.sync.minBackoff, h.sh.sync.maxBackoff = time.Minute, time.Minute
	h.login(ws.Clerk)
	h.until("offline", func() bool { return h.sh.sync.st.Offline && !h.sh.sync.st.Sending })
	at := hhmm(h.sh.sync.st.RetryAt)
	if h.sh.sync.st.RetryAt.Before(time.Now()) {
		t.Fatalf("retry at %v is not in the future", h.sh.sync.st.RetryAt)
	}
	h.until("the status line says offline", func() bool {
		return h.sh.outbox.btn.Text == "Đang chờ tải lên: 1 lô · Bị giữ lại: 0 · Ngoại tuyến, sẽ thử lại lúc "+at
	})
	if h.errorDialogs() != 0 || len(h.win.Canvas().Overlays().List()) != 0 {
		t.Fatal("a dialog appeared for an unreachable server")
	}
	e, err := ws.Store.OutboxEntryOf(ctx, id)
	if err != nil || e.Status != queue.OutboxPending || e.Attempts < 1 {
		t.Fatalf("outbox entry %+v, %v", e, err)
	}
	test.Tap(h.sh.outbox.btn)
	h.wait()
	h.mustShow("Ngoại tuyến — sẽ thử lại lúc " + at)
	h.mustShow("Lần thử gần nhất:")
	h.mustShow("sẽ thử lại lúc " + hhmm(e.NextAttempt))

	// Send now ignores the one-minute back-off: one more attempt, still offline
	r := h.sh.sync.st.Rounds
	test.Tap(h.button("Gửi ngay"))
	h.until("another pass", func() bool { return h.sh.sync.st.Rounds > r && !h.sh.sync.st.Sending })
	e2, err := ws.Store.OutboxEntryOf(ctx, id)
	if err != nil || e2.Attempts != e.Attempts+1 || e2.Status != queue.OutboxPending {
		t.Fatalf("after Send now: %+v (before %d attempts), %v", e2, e.Attempts, err)
	}
	if h.errorDialogs() != 0 {
		t.Fatal("an error dialog appeared")
	}
}

// TestSyncNotEnrolled: without sync settings nothing runs and the panel tells who can enroll
// the workstation, and how.
func TestSyncNotEnrolled(t *testing.T) {
	h := newHarness(t, Services{})
	h.login(h.admin())
	h.until("the sender read the settings", func() bool { return h.sh.sync.st.Known })
	if h.sh.sync.st.Enrolled {
		t.Fatal("enrolled without settings")
	}
	test.Tap(h.sh.outbox.btn)
	h.wait()
	h.mustShow("chưa đăng ký với máy chủ trung tâm")
	h.mustShow("sohoa enroll --server")
	if !h.button("Gửi ngay").Disabled() || !h.button("Tạm dừng").Disabled() {
		t.Fatal("sync buttons enabled on a workstation that is not enrolled")
	}
	h.sh.outbox.refresh()
	h.wait()
	h.mustShowButton("Đang chờ tải lên: 0 lô · Bị giữ lại: 0") // nothing added for a sender that does not run
}

func TestPickLanguage(t *testing.T) {
	defer applyLanguage("vi")
	const r = "untrusted_signer: người ký không được tin cậy / signer not trusted"
	applyLanguage("vi")
	if g := pickLanguage(r); g != "người ký không được tin cậy (untrusted_signer)" {
		t.Fatalf("vi: %q", g)
	}
	applyLanguage("en")
	if g := pickLanguage(r); g != "signer not trusted (untrusted_signer)" {
		t.Fatalf("en: %q", g)
	}
	if g := pickLanguage("local: blob abc: missing"); g != "blob abc: missing (local)" {
		t.Fatalf("local: %q", g)
	}
	if g := pickLanguage(`Put "https://h/v1": dial tcp: refused`); g != `Put "https://h/v1": dial tcp: refused` {
		t.Fatalf("network: %q", g)
	}
}

// TestSyncPanelCapture renders the sync panel with a synced batch and its receipt, a batch
// the server held back, and one waiting while sending is paused;
// SOHOA_SYNC_SCREENSHOT=path.png also writes the picture (docs/screenshots/sync.png).
func TestSyncPanelCapture(t *testing.T) {
	w := newSyncWorld(t)
	w.batch(nil, 3)
	stranger, err := synctest.NewPKI("Người Lạ")
	if err != nil {
		t.Fatal(err)
	}
	w.batch(stranger, 1)
	w.batch(nil, 2)
	h := syncHarness(t, w.ws)
	h.win.Resize(fyne.NewSize(1300, 1000)) // the whole panel in view
	h.login(w.ws.Clerk)
	h.until("sent", func() bool { return h.sh.sync.st.SentBatches == 2 && !h.sh.sync.st.Sending })
	test.Tap(h.sh.outbox.btn)
	h.wait()
	test.Tap(h.button("Tạm dừng"))
	r := h.sh.sync.st.Rounds
	h.until("paused", func() bool { return h.sh.sync.st.Rounds > r })
	w.batch(nil, 4)
	h.sh.outbox.refresh()
	h.sh.sync.changed()
	h.until("the waiting batch", func() bool { return h.shows("#4 — đang chờ") })
	h.mustShow("#3 — đã đồng bộ")
	h.mustShow("#1 — đã đồng bộ")
	h.mustShow("#2: Kiểm tra lô hồ sơ không đạt")
	img := h.win.Canvas().Capture()
	if img.Bounds().Dx() < 1000 {
		t.Fatalf("capture is %v", img.Bounds())
	}
	if path := os.Getenv("SOHOA_SYNC_SCREENSHOT"); path != "" {
		var buf bytes.Buffer
		if err := imgpng.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSyncServerDownNothingToSend: an enrolled workstation with nothing to send, whose server
// is down, never says "connected"; once a batch is signed, the failed attempt shows.
func TestSyncServerDownNothingToSend(t *testing.T) {
	ctx := context.Background()
	ws, err := synctest.NewWorkstation(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Store.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nobody listens there: the server is down
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	if err := ws.Store.SetSettings(ctx, ws.Admin, map[string]string{client.SettingServer: "https://" + addr,
		client.SettingToken: "tok", client.SettingReceiptKey: base64.StdEncoding.EncodeToString(pub),
		client.SettingTLSPin: strings.Repeat("ab", 32)}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Services{})
	h.e.st = ws.Store
	h.sh.sync.minBackoff, h.sh.sync.maxBackoff = time.Minute, time.Minute
	h.login(ws.Clerk)
	h.until("a first pass", func() bool { return h.sh.sync.st.Rounds >= 1 && !h.sh.sync.st.Sending })
	h.sh.outbox.refresh()
	h.wait()
	test.Tap(h.sh.outbox.btn)
	h.wait()
	for _, s := range append(h.texts(), h.sh.outbox.btn.Text) {
		if strings.Contains(s, "Đã kết nối") || strings.Contains(s, "trả lời lúc") {
			t.Fatalf("the server is down, yet: %q", s)
		}
	}
	h.mustShow("Chưa liên lạc với máy chủ")
}
