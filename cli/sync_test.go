package cli

import (
	"context"
	mrand "math/rand/v2"
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
	if res := r.run("", "sync", "--once"); res.code != 0 || !strings.Contains(res.stdout, "0 đang chờ, 1 bị giữ lại, 1 đã gửi") {
		t.Fatalf("sync again with a held batch: %+v", res)
	}
}
