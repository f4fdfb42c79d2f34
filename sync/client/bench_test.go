package client_test

// The sync benchmarks of `make bench` (issue 6): upload throughput against curl on the same
// bytes, bytes re-sent after an interrupted upload, and the commit time of a 1,000-document
// batch on PostgreSQL and SQLite. Everything is real: signed batches in a real workstation
// store (synctest), the real server over TLS on 127.0.0.1, real PostgreSQL (pgtest). The heavy
// set-up happens only inside Benchmark functions, so `go test` without -bench stays fast.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/client"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/store/pgtest"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
)

var (
	benchDirs  []string // removed by TestMain
	pgCluster  *pgtest.Cluster
	pgErr      error
	uploadTmpl *template // the upload batches, built once per process
	commitTmpl *template // the 1,000-document batch
	tmplMu     sync.Mutex
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pgCluster != nil {
		if err := pgCluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop PostgreSQL:", err)
		}
	}
	for _, d := range benchDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// template is a closed workstation store holding signed batches; every iteration works on a
// copy of it (hard links for the blobs, which nobody writes), so each starts with a full outbox.
type template struct {
	dir      string
	pki      *synctest.PKI
	ws       synctest.Workstation // users; Store is closed
	wsID     string
	batches  []string
	blobs    map[string]int64 // every distinct blob of the batches and its size
	bytes    int64            // their total
	minBlob  int64
	maxBlob  int64
	blobPath func(h string) string
}

// buildTemplate makes a workstation store in a new folder with one signed batch per spec.
func buildTemplate(b *testing.B, specs []synctest.BatchSpec) *template {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sohoa-syncbench-")
	if err != nil {
		b.Fatal(err)
	}
	benchDirs = append(benchDirs, dir)
	t := &template{dir: filepath.Join(dir, "ws"), blobs: map[string]int64{}}
	if t.pki, err = synctest.NewPKI("Người Ký Thử"); err != nil {
		b.Fatal(err)
	}
	w, err := synctest.NewWorkstation(ctx, t.dir)
	if err != nil {
		b.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(6, 6))
	for _, s := range specs {
		s.Office = "HN-01"
		id, err := w.SignedBatch(ctx, t.pki, s, rng)
		if err != nil {
			b.Fatal(err)
		}
		t.batches = append(t.batches, id)
		raw, _, err := w.Store.BatchManifest(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		m, _, err := wire.DecodeManifest(bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		for _, d := range m.Documents {
			t.blobs[d.PDFSHA256] = d.PDFSize
			for _, p := range d.Pages {
				t.blobs[p.SHA256] = p.Size
			}
		}
	}
	for _, n := range t.blobs {
		t.bytes += n
		if t.minBlob == 0 || n < t.minBlob {
			t.minBlob = n
		}
		t.maxBlob = max(t.maxBlob, n)
	}
	if t.wsID, err = w.Store.WorkstationID(ctx); err != nil {
		b.Fatal(err)
	}
	blobs := w.Store.Blobs
	t.blobPath = blobs.Path
	t.ws = *w
	if err := w.Store.Close(); err != nil {
		b.Fatal(err)
	}
	return t
}

// uploadTemplate: two batches, 126 MB of blobs. Two documents of 20 pages of about 1 MB (random
// grey 1000x1000 PNGs, incompressible like scans) whose signed PDFs of about 20 MB go in
// resumable chunks, and 60 one-page documents of about 360 KB (a page and its PDF each).
func getUploadTemplate(b *testing.B) *template {
	tmplMu.Lock()
	defer tmplMu.Unlock()
	if uploadTmpl == nil {
		uploadTmpl = buildTemplate(b, []synctest.BatchSpec{
			{Documents: 2, Pages: 20, ImageSize: 1000},
			{Documents: 60, Pages: 1, ImageSize: 600},
		})
	}
	return uploadTmpl
}

func getCommitTemplate(b *testing.B) *template {
	tmplMu.Lock()
	defer tmplMu.Unlock()
	if commitTmpl == nil {
		commitTmpl = buildTemplate(b, []synctest.BatchSpec{{Documents: 1000, Pages: 1, ImageSize: 48}})
	}
	return commitTmpl
}

// workstation copies the template into a new folder and opens it.
func (t *template) workstation(b *testing.B) (*synctest.Workstation, string) {
	dir, err := os.MkdirTemp(filepath.Dir(t.dir), "copy-")
	if err != nil {
		b.Fatal(err)
	}
	err = filepath.WalkDir(t.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(t.dir, p)
		to := filepath.Join(dir, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o700)
		case strings.HasPrefix(rel, "blobs"+string(filepath.Separator)):
			return os.Link(p, to)
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, data, 0o600)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	st, err := queue.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	w := t.ws
	w.Store = st
	return &w, dir
}

// central is one fresh central server on 127.0.0.1 over TLS.
type central struct {
	url, fp, cert string
	st            store.Store
	srv           *server.Server
	stop          func()
	dir           string
}

// startCentral starts a server trusting pki on a new store (a new PostgreSQL database when pg).
// With wrap nil it is served by server.Serve (what sohoa-central runs); otherwise wrap's handler
// is served by an http.Server with the same TLS and limits.
func startCentral(b *testing.B, pki *synctest.PKI, pg bool, wrap func(http.Handler) http.Handler) *central {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sohoa-central-bench-")
	if err != nil {
		b.Fatal(err)
	}
	benchDirs = append(benchDirs, dir) // also removed when a benchmark fails before stop
	c := &central{dir: dir}
	if pg {
		if pgCluster == nil && pgErr == nil {
			pgCluster, pgErr = pgtest.Start(ctx)
		}
		if pgErr != nil {
			b.Fatalf("the PostgreSQL benchmark needs a local PostgreSQL server (make setup): %v", pgErr)
		}
		dsn, err := pgCluster.NewDatabase(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if c.st, err = store.OpenPostgres(ctx, dsn); err != nil {
			b.Fatal(err)
		}
	} else if c.st, err = store.OpenSQLite(ctx, filepath.Join(dir, "central.db")); err != nil {
		b.Fatal(err)
	}
	blobs, err := store.NewLocalBlobs(filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	key, err := server.LoadOrCreateReceiptKey(dir)
	if err != nil {
		b.Fatal(err)
	}
	c.srv, err = server.New(server.Config{DataDir: dir, Store: c.st, Blobs: blobs, Key: key, Rate: -1,
		Verifier: server.SignatureVerifier{Roots: pki.Roots()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	cert, fp, err := server.LoadOrCreateTLS(dir, "", "", nil)
	if err != nil {
		b.Fatal(err)
	}
	c.fp, c.cert = fp, filepath.Join(dir, server.TLSCertFile)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	c.url = "https://" + l.Addr().String()
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	if wrap == nil {
		go func() { c.srv.Serve(sctx, l, &cert); close(done) }()
	} else {
		hs := &http.Server{Handler: wrap(c.srv.Handler()), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10,
			TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
		go func() { hs.Serve(tls.NewListener(l, hs.TLSConfig)); close(done) }()
		go func() { <-sctx.Done(); hs.Close() }()
	}
	c.stop = func() {
		cancel()
		<-done
		c.st.Close()
		os.RemoveAll(dir)
	}
	return c
}

// enrollClient enrolls the workstation w with c and returns its client.
func (c *central) enrollClient(b *testing.B, w *synctest.Workstation) *client.Client {
	ctx := context.Background()
	code, err := server.NewEnrollCode(ctx, c.st, "HN-01", time.Hour, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	e := &client.Client{Store: w.Store, Actor: w.Admin, TLSFingerprint: c.fp}
	if _, err := e.Enroll(ctx, c.url, code); err != nil {
		b.Fatal(err)
	}
	cl, err := client.FromStore(ctx, w.Store, w.Supervisor)
	if err != nil {
		b.Fatal(err)
	}
	cl.MinBackoff, cl.MaxBackoff = 10*time.Millisecond, 50*time.Millisecond
	return cl
}

// httpClient trusts c's self-signed certificate.
func (c *central) httpClient(b *testing.B) *http.Client {
	pem, err := os.ReadFile(c.cert)
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// enrollRaw enrolls a workstation named wsID over plain HTTP calls and returns its token.
func (c *central) enrollRaw(b *testing.B, hc *http.Client, wsID string) string {
	code, err := server.NewEnrollCode(context.Background(), c.st, "HN-01", time.Hour, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(wire.EnrollRequest{Code: code, Name: "bench", WorkstationID: wsID})
	resp, err := hc.Post(c.url+"/v1/enroll", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var a wire.EnrollAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil || resp.StatusCode != 201 || (wsID != "" && a.WorkstationID != wsID) {
		b.Fatalf("enroll: %d %+v %v", resp.StatusCode, a, err)
	}
	return a.Token
}

// sendOutbox runs passes until the outbox is empty (a request cut just before may make the
// server answer upload_busy once).
func sendOutbox(b *testing.B, cl *client.Client, st *queue.Store) {
	ctx := context.Background()
	for pass := 0; ; pass++ {
		if _, err := cl.RunPass(ctx, true); err != nil {
			b.Fatalf("pass %d: %v", pass, err)
		}
		n, err := st.OutboxCounts(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n.Pending == 0 && n.Held == 0 {
			return
		}
		if n.Held > 0 || pass > 20 {
			b.Fatalf("outbox after pass %d: %+v", pass, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkCommitted asserts every template batch is committed on c.
func (c *central) checkCommitted(b *testing.B, t *template) {
	for _, id := range t.batches {
		if bt, err := c.st.Batch(context.Background(), id); err != nil || !bt.Committed {
			b.Fatalf("batch %s on the server: committed %v, %v", id, bt.Committed, err)
		}
	}
}

// curlUpload PUTs every blob of t to c with one curl process, blob after blob (curl reuses the
// connection), as PROTOCOL.md shows; the token is read from a header file, not the command line.
func curlUpload(b *testing.B, c *central, t *template, token string) time.Duration {
	hdr := filepath.Join(c.dir, "curl-headers")
	if err := os.WriteFile(hdr, []byte("Authorization: Bearer "+token+"\nContent-Type: application/octet-stream\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	args := []string{"-sS", "--cacert", c.cert, "-H", "@" + hdr, "-w", "%{http_code}\n"}
	for h := range t.blobs {
		args = append(args, "-T", t.blobPath(h), "-o", "/dev/null", c.url+"/v1/blobs/"+h)
	}
	cmd := exec.Command("curl", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	codes := strings.Fields(out.String())
	if err != nil || len(codes) != len(t.blobs) {
		b.Fatalf("curl: %v: %s (%d answers for %d blobs: %.300q)", err, errb.String(), len(codes), len(t.blobs), out.String())
	}
	for _, code := range codes {
		if code != "201" {
			b.Fatalf("curl answer %s, want 201", code)
		}
	}
	return d
}

// BenchmarkUploadVsCurl: the client sends two signed batches (126 MB: 2 PDFs of ~20 MB in
// resumable chunks, 40 pages of ~1 MB, 120 blobs of ~360 KB) to a fresh server over TLS on
// loopback; in the same iteration curl PUTs the same blob files to another fresh server. Metrics:
// MB/s-client-upload (the upload phases, from the first blob to the last, as the client's
// progress reports them), MB/s-client-total (the whole RunOnce: manifests, uploads, commits with
// the server's re-verification of every blob and signature, receipts), MB/s-curl, and
// client/curl = upload phases vs curl (target ≥ 0.8).
func BenchmarkUploadVsCurl(b *testing.B) {
	if _, err := exec.LookPath("curl"); err != nil {
		b.Fatal("curl is needed as the reference: apt-get install curl")
	}
	t := getUploadTemplate(b)
	var upload, total, viaCurl time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w, wdir := t.workstation(b)
		c := startCentral(b, t.pki, false, nil)
		cl := c.enrollClient(b, w)
		var phaseStart time.Time
		cl.Progress = func(p client.Progress) {
			switch p.Phase {
			case client.PhaseUpload:
				if phaseStart.IsZero() {
					phaseStart = time.Now()
				}
			case client.PhaseCommit:
				if !phaseStart.IsZero() {
					upload += time.Since(phaseStart)
					phaseStart = time.Time{}
				}
			}
		}
		b.StartTimer()
		start := time.Now()
		sum, err := cl.RunOnce(context.Background())
		total += time.Since(start)
		b.StopTimer()
		if err != nil || sum.Done != len(t.batches) {
			b.Fatalf("RunOnce = %+v, %v", sum, err)
		}
		c.checkCommitted(b, t)
		w.Store.Close()
		os.RemoveAll(wdir)
		c.stop()

		c = startCentral(b, t.pki, false, nil)
		token := c.enrollRaw(b, c.httpClient(b), "")
		b.StartTimer()
		viaCurl += curlUpload(b, c, t, token)
		b.StopTimer()
		c.stop()
	}
	mb := float64(t.bytes) * float64(b.N) / 1e6
	b.ReportMetric(mb/upload.Seconds(), "MB/s-client-upload")
	b.ReportMetric(mb/total.Seconds(), "MB/s-client-total")
	b.ReportMetric(mb/viaCurl.Seconds(), "MB/s-curl")
	b.ReportMetric(viaCurl.Seconds()/upload.Seconds(), "client/curl")
	b.ReportMetric(float64(t.bytes)/1e6, "MB/batch-set")
}

// countingBody counts the blob bytes the server reads and cuts the client at a chosen moment.
type countingBody struct {
	io.ReadCloser
	n    int64
	half int64
	hit  func()
	seen *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.seen.Add(int64(n))
	c.n += int64(n)
	if c.hit != nil && c.n >= c.half {
		c.hit()
		c.hit = nil
	}
	return n, err
}

// BenchmarkResendAfterCut: the client is cut (its context cancelled, which closes the
// connection) when the server has read half of a blob request, after a quarter of the batches'
// bytes: "large" cuts a resumable 8 MiB chunk of a ~20 MB PDF, "small" a blob sent in one PUT (a
// page or PDF of 0.36 to 1 MB). A new client (as after a restart) then sends the outbox to the
// end. The server counts every blob byte it reads: resent-bytes is that count minus the
// batches' bytes (mean per iteration), max-resent/min-blob the worst iteration's against the
// smallest blob (target < 1), cut-blob-bytes the size of the blob that was cut.
func BenchmarkResendAfterCut(b *testing.B) {
	for _, large := range []bool{true, false} {
		name := "small"
		if large {
			name = "large"
		}
		b.Run(name, func(b *testing.B) { benchResend(b, large) })
	}
}

func benchResend(b *testing.B, large bool) {
	t := getUploadTemplate(b)
	var resent, worst, cutBlob int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w, wdir := t.workstation(b)
		var seen atomic.Int64
		var cut atomic.Bool
		var cancel atomic.Pointer[context.CancelFunc]
		wrap := func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/v1/blobs/") {
					cb := &countingBody{ReadCloser: r.Body, seen: &seen, half: r.ContentLength / 2}
					chunked := r.Header.Get("Content-Range") != ""
					if chunked == large && seen.Load() >= t.bytes/4 && !cut.Load() {
						size := r.ContentLength
						if chunked {
							size = t.maxBlob // the ~20 MB PDFs are the only chunked blobs
						}
						cb.hit = func() {
							if cut.CompareAndSwap(false, true) {
								cutBlob += size
								(*cancel.Load())()
							}
						}
					}
					r.Body = cb
				}
				h.ServeHTTP(rw, r)
			})
		}
		c := startCentral(b, t.pki, false, wrap)
		cl := c.enrollClient(b, w)
		ctx, cf := context.WithCancel(context.Background())
		cancel.Store(&cf)
		b.StartTimer()
		_, err := cl.RunOnce(ctx)
		if !cut.Load() || !errors.Is(err, context.Canceled) {
			b.Fatalf("the client was not cut: %v", err)
		}
		again, err := client.FromStore(context.Background(), w.Store, w.Supervisor)
		if err != nil {
			b.Fatal(err)
		}
		sendOutbox(b, again, w.Store)
		b.StopTimer()
		c.checkCommitted(b, t)
		r := seen.Load() - t.bytes
		if r < 0 {
			b.Fatalf("the server read %d blob bytes, fewer than the batches' %d", seen.Load(), t.bytes)
		}
		resent += r
		worst = max(worst, r)
		w.Store.Close()
		os.RemoveAll(wdir)
		c.stop()
	}
	b.ReportMetric(float64(resent)/float64(b.N), "resent-bytes")
	b.ReportMetric(float64(worst)/float64(t.minBlob), "max-resent/min-blob")
	b.ReportMetric(float64(t.minBlob), "min-blob-bytes")
	b.ReportMetric(float64(cutBlob)/float64(b.N), "cut-blob-bytes")
	b.ReportMetric(float64(t.bytes)/1e6, "MB/batch-set")
}

// BenchmarkCommit1000Docs: a signed batch of 1,000 one-page documents (2,000 blobs) whose
// manifest and blobs are on a fresh server; the timed part is POST commit: every blob re-read
// and hashed, every PDF's PAdES signature and the manifest's CMS signature verified against
// the trusted root, the documents written in one transaction, the receipt signed.
func BenchmarkCommit1000Docs(b *testing.B) {
	for _, pg := range []bool{true, false} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		b.Run(name, func(b *testing.B) { benchCommit1000(b, pg) })
	}
}

func benchCommit1000(b *testing.B, pg bool) {
	t := getCommitTemplate(b)
	id := t.batches[0]
	w, wdir := t.workstation(b)
	manifest, _, err := w.Store.BatchManifest(context.Background(), id)
	if err != nil {
		b.Fatal(err)
	}
	w.Store.Close()
	os.RemoveAll(wdir)
	var took time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := startCentral(b, t.pki, pg, nil)
		hc := c.httpClient(b)
		token := c.enrollRaw(b, hc, t.wsID)
		call := func(method, path string, body []byte) []byte {
			req, _ := http.NewRequest(method, c.url+path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode/100 != 2 {
				b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
			}
			return raw
		}
		var ans wire.ManifestAnswer
		if err := json.Unmarshal(call(http.MethodPut, "/v1/batches/"+id, manifest), &ans); err != nil || len(ans.Missing) != len(t.blobs) {
			b.Fatalf("manifest answer: %d missing of %d, %v", len(ans.Missing), len(t.blobs), err)
		}
		for _, h := range ans.Missing {
			data, err := os.ReadFile(t.blobPath(h))
			if err != nil {
				b.Fatal(err)
			}
			call(http.MethodPut, "/v1/blobs/"+h, data)
		}
		b.StartTimer()
		start := time.Now()
		signed := call(http.MethodPost, "/v1/batches/"+id+"/commit", nil)
		took += time.Since(start)
		b.StopTimer()
		rec, err := wire.VerifyReceipt(c.srv.PublicKey(), signed)
		if err != nil || rec.Documents != 1000 || rec.Blobs != len(t.blobs) {
			b.Fatalf("receipt %+v, %v", rec, err)
		}
		c.checkCommitted(b, t)
		c.stop()
	}
	b.ReportMetric(took.Seconds()*1000/float64(b.N), "ms/commit")
	b.ReportMetric(1000/(took.Seconds()/float64(b.N)), "docs/s")
}
