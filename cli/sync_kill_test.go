package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
)

// slowBody hands the server a blob upload a little at a time, so that a client killed at a
// random moment is usually killed in the middle of one.
type slowBody struct {
	io.ReadCloser
	started func()
}

func (b *slowBody) Read(p []byte) (int, error) {
	if b.started != nil {
		b.started()
		b.started = nil
	}
	if len(p) > 2048 {
		p = p[:2048]
	}
	time.Sleep(2 * time.Millisecond)
	return b.ReadCloser.Read(p)
}

// TestKillNineDuringSync runs the real `sohoa sync --once` (this test binary in its sohoa role)
// and kills it with SIGKILL while it uploads, 12 times over a growing outbox, then lets a last
// run finish: the central store holds every batch exactly once with every blob intact, every
// local receipt verifies and matches the server's, and the outbox is empty.
func TestKillNineDuringSync(t *testing.T) {
	ctx := context.Background()
	sdir := t.TempDir()
	pki, err := synctest.NewPKI("Người Ký Thử")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(sdir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, _ := store.NewLocalBlobs(filepath.Join(sdir, "blobs"))
	key, _ := server.LoadOrCreateReceiptKey(sdir)
	srv, err := server.New(server.Config{DataDir: sdir, Store: st, Blobs: blobs, Key: key, Rate: -1,
		Verifier: server.SignatureVerifier{Roots: pki.Roots()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	uploading := make(chan struct{}, 64)
	var blobPuts atomic.Int64
	hs := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/v1/blobs/") {
			blobPuts.Add(1)
			r.Body = &slowBody{ReadCloser: r.Body, started: func() {
				select {
				case uploading <- struct{}{}:
				default:
				}
			}}
		}
		srv.Handler().ServeHTTP(w, r)
	}))
	defer hs.Close()
	fp := sha256.Sum256(hs.Certificate().Raw)

	r := newRunner(t)
	ws, err := synctest.NewWorkstation(ctx, r.data)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 23))
	var all []string
	addBatch := func() {
		id, err := ws.SignedBatch(ctx, pki, synctest.BatchSpec{Office: "HN-01", Documents: 2, Pages: 2, ImageSize: 160}, rng)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, id)
	}
	addBatch()
	addBatch()
	code, err := server.NewEnrollCode(ctx, st, "HN-01", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r.env["SOHOA_USER"], r.env["SOHOA_PASSWORD"] = "admin", synctest.Password
	if res := r.run(code+"\n", "enroll", "--server", hs.URL, "--fingerprint", hex.EncodeToString(fp[:])); res.code != 0 {
		t.Fatalf("enroll: %+v", res)
	}

	killed := 0
	for round := 0; round < 12; round++ {
		if round%3 == 0 {
			addBatch() // more arrives while earlier sends were cut
		}
		for len(uploading) > 0 {
			<-uploading
		}
		cmd := exec.Command(os.Args[0], "sync", "--once", "--data", r.data)
		cmd.Env = append(os.Environ(), "SOHOA_CLI_CHILD=1", "SOHOA_USER=sup", "SOHOA_PASSWORD="+synctest.Password, "SOHOA_LANG=en")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		select {
		case <-exited: // nothing left to upload
		case <-uploading:
			time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
			cmd.Process.Kill()
			<-exited
			killed++
		case <-time.After(2 * time.Minute):
			cmd.Process.Kill()
			t.Fatal("sync neither uploaded nor finished")
		}
	}
	if killed < 6 {
		t.Fatalf("only %d of 12 runs were killed while uploading; the test needs at least 6", killed)
	}
	// A last run, left alone, finishes everything.
	r.env["SOHOA_USER"] = "sup"
	if res := r.run("", "sync", "--once"); res.code != 0 {
		t.Fatalf("final sync: %+v", res)
	}
	t.Logf("%d runs killed mid-upload, %d blob uploads started, %d batches", killed, blobPuts.Load(), len(all))

	q, err := queue.Open(r.data)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if c, err := q.OutboxCounts(ctx); err != nil || c.Pending != 0 || c.Held != 0 || c.Done != len(all) {
		t.Fatalf("outbox after the last run: %+v, %v", c, err)
	}
	for _, id := range all {
		e, err := q.OutboxEntryOf(ctx, id)
		if err != nil || e.Status != queue.OutboxDone {
			t.Fatalf("local entry %s: %+v %v", id, e, err)
		}
		rec, err := wire.VerifyReceipt(key.Public().(ed25519.PublicKey), e.Receipt)
		if err != nil || rec.BatchID != id {
			t.Fatalf("receipt of %s: %+v %v", id, rec, err)
		}
		b, err := st.Batch(ctx, id)
		if err != nil || !b.Committed || !bytes.Equal(b.Receipt, e.Receipt) {
			t.Fatalf("central batch %s: %+v %v", id, b.Committed, err)
		}
		m, _, err := wire.DecodeManifest(bytes.NewReader(b.Manifest))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range m.Blobs() {
			rc, err := blobs.Open(ctx, h)
			if err != nil {
				t.Fatalf("blob %s: %v", h, err)
			}
			sum := sha256.New()
			io.Copy(sum, rc)
			rc.Close()
			if hex.EncodeToString(sum.Sum(nil)) != h {
				t.Fatalf("blob %s damaged on the server", h)
			}
		}
	}
	bs, err := st.CommittedBatches(ctx, store.BatchFilter{}, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != len(all) {
		t.Fatalf("central store holds %d committed batches, want %d (each exactly once)", len(bs), len(all))
	}
}
