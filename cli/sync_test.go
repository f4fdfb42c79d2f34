package cli

import (
	"context"
	"encoding/json"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/synctest"
)

func TestEnrollAndSyncCommands(t *testing.T) {
	ctx := context.Background()
	sdir := t.TempDir()
	pki, err := synctest.NewPKI("Người Ký")
	if err != nil {
		t.Fatal(err)
	}
	central, err := synctest.NewCentral(ctx, sdir, pki.Roots())
	if err != nil {
		t.Fatal(err)
	}
	defer central.Close()
	st, hs := central.Store, central.Server

	r := newRunner(t)
	ws, err := synctest.NewWorkstation(ctx, r.data)
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(3, 4))
	good, err := ws.SignedBatch(ctx, pki, synctest.BatchSpec{Office: "HN-01", Documents: 2}, rng)
	if err != nil {
		t.Fatal(err)
	}
	ws.Store.Close()

	r.env["SOHOA_USER"], r.env["SOHOA_PASSWORD"] = "sup", synctest.Password
	if res := r.run("", "sync", "--once"); res.code != 1 || !strings.Contains(res.stderr, "chưa đăng ký") {
		t.Fatalf("sync before enroll: %+v", res)
	}
	code, err := server.NewEnrollCode(ctx, st, "HN-01", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Only an administrator enrolls; the code comes on standard input.
	if res := r.run(code+"\n", "enroll", "--server", hs.URL, "--fingerprint", central.Pin); res.code == 0 {
		t.Fatalf("supervisor enrolled: %+v", res)
	}
	r.env["SOHOA_USER"] = "admin"
	res := r.run(code+"\n", "enroll", "--server", hs.URL, "--fingerprint", central.Pin)
	if res.code != 0 || !strings.Contains(res.stdout, "HN-01") {
		t.Fatalf("enroll: %+v", res)
	}
	r.env["SOHOA_USER"] = "sup"
	res = r.run("", "sync", "--once")
	if res.code != 0 || !strings.Contains(res.stdout, good) || !strings.Contains(res.stdout, "biên nhận") {
		t.Fatalf("sync: %+v", res)
	}
	if b, err := st.Batch(ctx, good); err != nil || !b.Committed {
		t.Fatalf("server batch: %+v %v", b, err)
	}

	// A batch signed outside the trust store: held, reason shown; a held batch is a state
	// to report, not a failure of the run (exit 0), and the next run says the same.
	q, err := queue.Open(r.data)
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := synctest.NewPKI("Người Lạ")
	w2 := &synctest.Workstation{Store: q, Admin: ws.Admin, Clerk: ws.Clerk, Supervisor: ws.Supervisor}
	bad, err := w2.SignedBatch(ctx, stranger, synctest.BatchSpec{Office: "HN-01"}, rng)
	q.Close()
	if err != nil {
		t.Fatal(err)
	}
	res = r.run("", "sync", "--once")
	if res.code != 0 || !strings.Contains(res.stdout, bad) || !strings.Contains(res.stdout, "verification_failed") ||
		!strings.Contains(res.stdout, "1 bị giữ lại") {
		t.Fatalf("sync of an untrusted batch: %+v", res)
	}
	if res := r.run("", "sync", "--once"); res.code != 0 || !strings.Contains(res.stdout, "0 đang chờ, 1 bị giữ lại, 1 đã gửi") ||
		!strings.Contains(res.stdout, bad+": bị máy chủ giữ lại: ") || !strings.Contains(res.stdout, "verification_failed") {
		t.Fatalf("sync again with a held batch: %+v", res)
	}
	// The JSON form: progress lines, then a summary naming the held batch and its reason.
	res = r.run("", "sync", "--once", "--json")
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	var sum struct {
		Event  string
		Outbox struct{ Pending, Held, Done int }
		Held   []struct{ Batch, Reason string }
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); res.code != 0 || err != nil || sum.Event != "summary" ||
		sum.Outbox.Held != 1 || sum.Outbox.Done != 1 || len(sum.Held) != 1 || sum.Held[0].Batch != bad ||
		!strings.Contains(sum.Held[0].Reason, "verification_failed") {
		t.Fatalf("sync --once --json with a held batch: %+v (%v)", res, err)
	}

	// A batch that cannot be sent (no server listens there) is a failure of the run: exit 1,
	// said in Vietnamese, the batch still waiting; sent once the server is back.
	q, err = queue.Open(r.data)
	if err != nil {
		t.Fatal(err)
	}
	w2.Store = q
	later, err := w2.SignedBatch(ctx, pki, synctest.BatchSpec{Office: "HN-01"}, rng)
	q.Close()
	if err != nil {
		t.Fatal(err)
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := strings.Replace(dead.URL, "http://", "https://", 1)
	dead.Close()
	res = r.run("", "sync", "--once", "--server", deadURL)
	if res.code != 1 || !strings.Contains(res.stderr, "1 lô chưa gửi được") || !strings.Contains(res.stdout, later) ||
		!strings.Contains(res.stdout, "1 đang chờ, 1 bị giữ lại, 1 đã gửi") {
		t.Fatalf("sync --once to no server: %+v", res)
	}
	// The sending loop (no --once) runs until stopped: stopped once the batch is sent, it
	// says so and exits 130, the batch sent and the outbox said.
	cctx, cancel := context.WithCancel(ctx)
	out := &cancelOnWrite{want: "biên nhận", cancel: cancel}
	var errb strings.Builder
	exit := r.runIn(cctx, "", out, &errb, "--data", r.data, "sync", "--server", hs.URL)
	if exit != exitCancelled || !strings.Contains(errb.String(), "sohoa sync: đã dừng") || !strings.Contains(out.buf.String(), later) ||
		!strings.Contains(out.buf.String(), "0 đang chờ, 1 bị giữ lại, 2 đã gửi") {
		t.Fatalf("sync loop stopped: exit %d, stdout %q, stderr %q", exit, out.buf.String(), errb.String())
	}
}
