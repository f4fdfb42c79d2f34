package chaos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/client"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
)

var centralBin string

// TestMain builds the real cmd/sohoa-central once.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sohoa-chaos-")
	if err != nil {
		panic(err)
	}
	centralBin = filepath.Join(dir, "sohoa-central")
	goBin := "/usr/local/go/bin/go" // the README's Go, when go is not on PATH
	if p, err := exec.LookPath("go"); err == nil {
		goBin = p
	}
	cmd := exec.Command(goBin, "build", "-tags", "sqlite_fts5", "-o", centralBin, "github.com/sohoa/sohoa/cmd/sohoa-central")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build sohoa-central:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// central is a real sohoa-central process.
type central struct {
	t          *testing.T
	dir, addr  string
	trust      string
	cmd        *exec.Cmd
	fp         string
	httpClient *http.Client
}

func (c *central) start() {
	c.t.Helper()
	c.cmd = exec.Command(centralBin, "serve", "--data", c.dir, "--listen", c.addr, "--trust", c.trust)
	c.cmd.Stderr = io.Discard
	if err := c.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	for i := 0; ; i++ {
		if c.httpClient == nil {
			if pemCert, err := os.ReadFile(filepath.Join(c.dir, server.TLSCertFile)); err == nil {
				cert, err := tls.X509KeyPair(pemCert, mustRead(c.t, filepath.Join(c.dir, server.TLSKeyFile)))
				if err == nil {
					sum := sha256.Sum256(cert.Certificate[0])
					c.fp = hex.EncodeToString(sum[:])
					c.httpClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
				}
			}
		}
		if c.httpClient != nil {
			if resp, err := c.httpClient.Get("https://" + c.addr + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return
				}
			}
		}
		if i > 400 {
			c.t.Fatal("sohoa-central did not start")
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (c *central) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
}

func (c *central) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	c.cmd.Wait()
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestChaos(t *testing.T) {
	rounds := 50
	if testing.Short() {
		rounds = 10
	}
	seed := uint64(20261123)
	if s := os.Getenv("SOHOA_CHAOS_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d, %d rounds", seed, rounds)
	rng := mrand.New(mrand.NewPCG(seed, 1))
	ctx := context.Background()
	tmp := t.TempDir()
	pki, err := synctest.NewPKI("Người Ký Hỗn Loạn")
	if err != nil {
		t.Fatal(err)
	}
	trust, err := pki.WriteRoot(tmp)
	if err != nil {
		t.Fatal(err)
	}
	srv := &central{t: t, dir: filepath.Join(tmp, "central"), addr: freeAddr(t), trust: trust}
	srv.start()
	defer func() { srv.cmd.Process.Kill(); srv.cmd.Wait() }()
	out, err := exec.Command(centralBin, "enroll-code", "--data", srv.dir, "--office", "HN-01").Output()
	if err != nil {
		t.Fatal(err)
	}
	ws, err := synctest.NewWorkstation(ctx, filepath.Join(tmp, "ws"))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Store.Close()
	enroller := &client.Client{Store: ws.Store, Actor: ws.Admin, TLSFingerprint: srv.fp}
	if _, err := enroller.Enroll(ctx, "https://"+srv.addr, strings.TrimSpace(string(out))); err != nil {
		t.Fatal(err)
	}
	proxy, err := NewProxy(srv.addr, seed)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.Drop, proxy.Reset, proxy.Stall, proxy.StallFor = 0.1, 0.15, 0.05, 1500*time.Millisecond
	newClient := func() *client.Client {
		c, err := client.FromStore(ctx, ws.Store, ws.Supervisor)
		if err != nil {
			t.Fatal(err)
		}
		c.BaseURL = "https://" + proxy.Addr()
		c.StallTimeout, c.ResponseTimeout = 700*time.Millisecond, 3*time.Second
		c.MinBackoff, c.MaxBackoff = 5*time.Millisecond, 40*time.Millisecond
		c.ChunkThreshold, c.ChunkSize = 6000, 4096 // the PDFs go in chunks
		return c
	}
	direct := func(method, path string) (int, []byte) {
		tok, _ := ws.Store.Setting(ctx, client.SettingToken)
		req, _ := http.NewRequest(method, "https://"+srv.addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.httpClient.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	var all []string
	var making time.Duration
	kills, cuts, outOfOrder, dups := 0, 0, 0, 0
	for round := 0; round < rounds; round++ {
		n := 1 + rng.IntN(2)
		t0 := time.Now()
		for i := 0; i < n; i++ {
			id, err := ws.SignedBatch(ctx, pki, synctest.BatchSpec{Office: "HN-01", Documents: 1 + rng.IntN(2), Pages: 1 + rng.IntN(2),
				ImageSize: 24 + rng.IntN(24), SharedPageAt: rng.IntN(2)}, rng)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, id)
		}
		making += time.Since(t0)
		c := newClient()
		rt := time.Now()
		act := rng.IntN(5)
		switch act {
		case 0: // the client is cut off mid-upload
			cctx, cancel := context.WithTimeout(ctx, time.Duration(rng.IntN(150))*time.Millisecond)
			c.RunPass(cctx, true)
			cancel()
			cuts++
		case 1: // the server is killed -9 at a random moment and restarted
			done := make(chan struct{})
			go func() { c.RunPass(ctx, true); close(done) }()
			time.Sleep(time.Duration(rng.IntN(120)) * time.Millisecond)
			srv.kill()
			<-done
			srv.start()
			kills++
		case 2: // out of order: the newest entry first
			pend, _ := ws.Store.Outbox(ctx, queue.OutboxPending)
			if len(pend) > 1 {
				c.Send(ctx, pend[len(pend)-1], nil)
				outOfOrder++
			}
			c.RunPass(ctx, true)
		case 3: // duplicates: two senders on one entry at once, and a repeated commit
			pend, _ := ws.Store.Outbox(ctx, queue.OutboxPending)
			if len(pend) > 0 {
				var wg sync.WaitGroup
				for k := 0; k < 2; k++ {
					wg.Add(1)
					go func() { defer wg.Done(); newClient().Send(ctx, pend[0], nil) }()
				}
				wg.Wait()
			}
			done, _ := ws.Store.Outbox(ctx, queue.OutboxDone)
			if len(done) > 0 {
				e := done[rng.IntN(len(done))]
				status, body := direct("POST", "/v1/batches/"+e.BatchID+"/commit")
				if status == 200 && !bytes.Equal(body, e.Receipt) {
					t.Fatalf("repeated commit of %s gave another receipt", e.BatchID)
				}
				dups++
			}
		default:
			c.RunPass(ctx, true)
		}
		if d := time.Since(rt); d > 5*time.Second {
			t.Logf("round %d (action %d) took %v", round, act, d)
		}
	}
	t.Logf("making signed batches took %v", making)
	t.Logf("rounds %d: batches %d, server kills %d, client cuts %d, out of order %d, duplicate commits %d; proxy conns %d dropped %d reset %d stalled %d",
		rounds, len(all), kills, cuts, outOfOrder, dups, proxy.Counts.Conns.Load(), proxy.Counts.Dropped.Load(), proxy.Counts.Reset.Load(), proxy.Counts.Stalled.Load())

	// Drain through the faulty proxy until the outbox is empty.
	drainStart := time.Now()
	defer func() { t.Logf("drain took %v", time.Since(drainStart)) }()
	// Drain through the faulty proxy with the client's own schedule (backoff, Retry-After).
	c := newClient()
	c.ExitWhenIdle = true
	nlog := 0
	c.Progress = func(p client.Progress) {
		if p.Phase == client.PhaseRetry && nlog < 8 {
			nlog++
			t.Logf("%s retry seq %d next in %v: %s", time.Now().Format("15:04:05.000"), p.Seq, time.Until(p.NextAttempt), p.Err)
		}
	}
	c.PollInterval = 100 * time.Millisecond
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	err = c.Run(dctx)
	cancel()
	if err != nil {
		t.Fatalf("drain: %v", err)
	}
	counts, err := ws.Store.OutboxCounts(ctx)
	if err != nil || counts.Pending != 0 || counts.Held != 0 {
		for _, st := range []string{queue.OutboxPending, queue.OutboxHeld} {
			pend, _ := ws.Store.Outbox(ctx, st)
			for _, e := range pend {
				t.Logf("%s %s seq %d attempts %d: %s", st, e.BatchID, e.Seq, e.Attempts, e.LastError)
			}
		}
		t.Fatalf("outbox after the drain: %+v %v", counts, err)
	}
	srv.stop()

	// The central store holds every batch exactly once, every blob intact, every receipt valid.
	cst, err := store.OpenSQLite(ctx, filepath.Join(srv.dir, server.CentralDBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer cst.Close()
	dk, err := server.LoadOrCreateDataKey(filepath.Join(srv.dir, server.DataKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	cblobs, _, err := server.OpenBlobs(ctx, srv.dir, server.BlobOptions{Keys: dk.BlobKeys()})
	if err != nil {
		t.Fatal(err)
	}
	pub := mustReceiptKey(t, ws.Store)
	for _, id := range all {
		e, err := ws.Store.OutboxEntryOf(ctx, id)
		if err != nil || e.Status != queue.OutboxDone {
			t.Fatalf("local entry %s: %+v %v", id, e.Status, err)
		}
		rec, err := wire.VerifyReceipt(pub, e.Receipt)
		if err != nil || rec.BatchID != id {
			t.Fatalf("receipt of %s: %+v %v", id, rec, err)
		}
		b, err := cst.Batch(ctx, id)
		if err != nil || !b.Committed || !bytes.Equal(b.Receipt, e.Receipt) {
			t.Fatalf("central batch %s: committed=%v %v", id, b.Committed, err)
		}
		local, _, _ := ws.Store.BatchManifest(ctx, id)
		if !bytes.Equal(local, b.Manifest) {
			t.Fatalf("central manifest of %s differs", id)
		}
		m, _, _ := wire.DecodeManifest(bytes.NewReader(b.Manifest))
		docs, err := cst.Documents(ctx, id)
		if err != nil || len(docs) != len(m.Documents) {
			t.Fatalf("central documents of %s: %d, want %d (%v)", id, len(docs), len(m.Documents), err)
		}
		for _, h := range m.Blobs() {
			rc, err := cblobs.Open(ctx, h)
			if err != nil {
				t.Fatalf("blob %s: %v", h, err)
			}
			hs := sha256.New()
			io.Copy(hs, rc)
			rc.Close()
			if hex.EncodeToString(hs.Sum(nil)) != h {
				t.Fatalf("blob %s damaged on the server", h)
			}
		}
	}
	db, err := sql.Open("sqlite3", filepath.Join(srv.dir, server.CentralDBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var nb, nd, want int
	db.QueryRow(`SELECT count(*) FROM batches`).Scan(&nb)
	db.QueryRow(`SELECT count(*) FROM documents`).Scan(&nd)
	for _, id := range all {
		docs, _ := ws.Store.Documents(ctx, id)
		want += len(docs)
	}
	if nb != len(all) || nd != want {
		t.Fatalf("central store: %d batches, %d documents; want %d and %d", nb, nd, len(all), want)
	}
	if counts, _ := ws.Store.OutboxCounts(ctx); counts.Pending != 0 || counts.Held != 0 || counts.Done != len(all) {
		t.Fatalf("outbox %+v", counts)
	}
}

func mustReceiptKey(t *testing.T, st *queue.Store) []byte {
	c, err := client.FromStore(context.Background(), st, queue.User{})
	if err != nil {
		t.Fatal(err)
	}
	return c.ReceiptKey
}
