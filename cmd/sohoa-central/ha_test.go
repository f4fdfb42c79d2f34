package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sohoa/sohoa/internal/loadgen"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/store/pgtest"
	"github.com/sohoa/sohoa/sync/store/s3test"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer runs `sohoa-central serve` (this test binary as the child) on addr with args
// and the environment env added, and waits until its /healthz answers.
func startServer(t *testing.T, dir, addr string, args, env []string) *child {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	all := append([]string{"--data", dir, "--listen", addr, "--insecure-hash-only"}, args...)
	cmd.Env = append(append(os.Environ(), env...), "SOHOA_CENTRAL_CHILD=1", "SOHOA_CENTRAL_ARGS="+strings.Join(all, "\x1f"))
	logf, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, addr: addr}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	if c.client = waitHealthy(addr, 1200, trustServerCert(dir, "127.0.0.1")); c.client == nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		t.Fatalf("server did not come up: %s", log)
	}
	return c
}

func startHAProxy(t *testing.T, dir, front string, servers []string) {
	t.Helper()
	if _, err := exec.LookPath("haproxy"); err != nil {
		t.Fatalf("haproxy not installed (Debian package haproxy: make setup): %v", err)
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(loadgen.HAProxyConfig(front, servers, "first")), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("haproxy", "-db", "-f", cfg)
	logf, _ := os.Create(filepath.Join(dir, "haproxy.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", front); err == nil {
			c.Close()
			return
		}
		if i > 200 {
			log, _ := os.ReadFile(filepath.Join(dir, "haproxy.log"))
			t.Fatalf("haproxy did not listen: %s", log)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// copyKeys gives dst the receipt key, data key and TLS certificate of src: servers behind one
// load balancer sign receipts with one key and present one certificate.
func copyKeys(t *testing.T, src, dst string) {
	t.Helper()
	os.MkdirAll(dst, 0o700)
	for _, f := range []string{server.ReceiptKeyFile, server.DataKeyFile, server.TLSCertFile, server.TLSKeyFile} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// haCluster is two servers on one PostgreSQL and one SeaweedFS bucket behind HAProxy.
type haCluster struct {
	dirs    [2]string
	addrs   [2]string
	srv     [2]*child
	lb      *child // talks to the load balancer
	args    []string
	env     []string
	dsn     string
	s3cfg   store.S3Config
	dataDir string
}

func startHACluster(t *testing.T) *haCluster {
	t.Helper()
	ctx := context.Background()
	pg, err := pgtest.Start(ctx)
	if err != nil {
		t.Fatalf("PostgreSQL: %v", err)
	}
	t.Cleanup(func() { pg.Stop() })
	dsn, err := pg.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	weed, err := s3test.Start(ctx, "")
	if err != nil {
		t.Fatalf("SeaweedFS: %v", err)
	}
	t.Cleanup(func() { weed.Stop(); os.RemoveAll(weed.Dir) })
	cfg := weed.Config()
	cfg.PartSize = 5 << 20
	h := &haCluster{dsn: dsn, s3cfg: cfg, dataDir: t.TempDir()}
	h.args = []string{"--db", dsn, "--blobs", s3test.URL(cfg) + "&part_size=5242880"}
	h.env = []string{"AWS_ACCESS_KEY_ID=" + weed.AccessKey, "AWS_SECRET_ACCESS_KEY=" + weed.SecretKey}
	for i := range h.dirs {
		h.dirs[i] = filepath.Join(h.dataDir, fmt.Sprintf("server%d", i+1))
		h.addrs[i] = freeAddr(t)
	}
	h.srv[0] = startServer(t, h.dirs[0], h.addrs[0], h.args, h.env)
	copyKeys(t, h.dirs[0], h.dirs[1])
	h.srv[1] = startServer(t, h.dirs[1], h.addrs[1], h.args, h.env)
	front := freeAddr(t)
	// balance first: every connection goes to server 1 while it is up, so the test knows
	// which server an upload runs on.
	startHAProxy(t, h.dataDir, front, h.addrs[:])
	h.lb = &child{addr: front, client: h.srv[0].client}
	return h
}

// do sends a request with the body in a plain reader, reporting a transport error instead of
// failing the test (the server behind may have just been killed).
func (c *child) try(method, path, token string, body []byte, hdr map[string]string) (int, http.Header, []byte, error) {
	req, _ := http.NewRequest(method, "https://"+c.addr+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw, err
}

// TestTwoServersBehindHAProxy (issue 16): two sohoa-central processes on one PostgreSQL and one
// SeaweedFS bucket behind HAProxy. A chunked upload runs on server 1, which is killed (-9)
// half-way through a chunk; the client asks the load balancer where the upload stands, and
// server 2 answers from the staging both share and takes the rest: only the bytes of the
// piece server 1 was receiving are sent again. A commit raced on both servers at once happens
// once (one receipt, the same bytes from both); every receipt verifies with the one receipt
// key, whichever server signed it; each batch is stored exactly once.
func TestTwoServersBehindHAProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the multi-server test (PostgreSQL, SeaweedFS, HAProxy) runs in the full pass")
	}
	h := startHACluster(t)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"enroll-code", "--data", h.dirs[0], "--db", h.dsn, "--office", "HN-01"}, &out); err != nil {
		t.Fatal(err)
	}
	st, raw := h.lb.do(t, "POST", "/v1/enroll", "", []byte(fmt.Sprintf(`{"code":%q}`, strings.TrimSpace(out.String()))))
	var ws wire.EnrollAnswer
	if err := json.Unmarshal(raw, &ws); err != nil || st != 201 {
		t.Fatalf("enroll: %d %s", st, raw)
	}
	pub, _ := base64.StdEncoding.DecodeString(ws.ReceiptKey)

	// Three batches: the second's large page is the upload the kill cuts.
	const pageSize = 20 << 20
	type batch struct {
		id       string
		manifest []byte
		blobs    [][]byte
	}
	var batches []batch
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("01934b2c-0000-7000-8000-0000000000%02d", i)
		record, _ := json.Marshal(map[string]any{"batch_id": id, "document_id": "d1", "record_type": "khai-sinh", "office": "HN-01",
			"fields": []map[string]string{{"key": "ho_ten", "value": "Nguyễn Văn An"}}})
		pdf, err := sign.BuildPDF(sign.DocumentInput{Title: "Hồ sơ thử", FieldsJSON: record,
			Pages: []sign.PageInput{{Image: synctest.PageImage(mrand.New(mrand.NewPCG(uint64(i), 2)), 16, 16)}}})
		if err != nil {
			t.Fatal(err)
		}
		size := 300 << 10
		if i == 2 {
			size = pageSize
		}
		page := make([]byte, size)
		rand.Read(page)
		m := wire.Manifest{Version: 1, BatchID: id, WorkstationID: ws.WorkstationID, Office: "HN-01", Seq: int64(i), RecordType: "khai-sinh",
			CreatedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Documents: []wire.Document{{ID: "d1", PDFSHA256: hexsum(pdf),
				PDFSize: int64(len(pdf)), Pages: []wire.Page{{SHA256: hexsum(page), Size: int64(len(page))}}}}}
		manifest, _ := json.Marshal(m)
		batches = append(batches, batch{id: id, manifest: manifest, blobs: [][]byte{pdf, page}})
	}
	receipts := map[string][]byte{}
	commit := func(c *child, b batch) []byte {
		t.Helper()
		st, receipt := c.do(t, "POST", "/v1/batches/"+b.id+"/commit", ws.Token, nil)
		if st != 200 {
			t.Fatalf("commit %s: %d %s", b.id, st, receipt)
		}
		return receipt
	}
	manifest := func(b batch) {
		t.Helper()
		if st, raw := h.lb.do(t, "PUT", "/v1/batches/"+b.id, ws.Token, b.manifest); st != 200 {
			t.Fatalf("manifest %s: %d %s", b.id, st, raw)
		}
	}

	// Batch 1, all through the load balancer (server 1).
	manifest(batches[0])
	for _, blob := range batches[0].blobs {
		if st, raw := h.lb.do(t, "PUT", "/v1/blobs/"+hexsum(blob), ws.Token, blob); st != 201 {
			t.Fatalf("upload: %d %s", st, raw)
		}
	}
	receipts[batches[0].id] = commit(h.lb, batches[0])

	// Batch 2: the page in 8 MiB chunks; the second chunk is cut by killing server 1 after
	// 6 MiB of it went out (one 5 MiB piece staged in the bucket, 1 MiB in flight).
	b2 := batches[1]
	manifest(b2)
	if st, raw := h.lb.do(t, "PUT", "/v1/blobs/"+hexsum(b2.blobs[0]), ws.Token, b2.blobs[0]); st != 201 {
		t.Fatalf("upload pdf: %d %s", st, raw)
	}
	page := b2.blobs[1]
	path := "/v1/blobs/" + hexsum(page)
	const chunk = 8 << 20
	rng := func(off, end int) map[string]string {
		return map[string]string{"Content-Range": fmt.Sprintf("bytes %d-%d/%d", off, end-1, len(page))}
	}
	if st, _, raw, err := h.lb.try("PUT", path, ws.Token, page[:chunk], rng(0, chunk)); err != nil || st != 202 {
		t.Fatalf("chunk 1: %d %s %v", st, raw, err)
	}
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", "https://"+h.lb.addr+path, pr)
	req.ContentLength = chunk
	req.Header.Set("Authorization", "Bearer "+ws.Token)
	for k, v := range rng(chunk, 2*chunk) {
		req.Header.Set(k, v)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := h.lb.client.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	sent := 0
	var mu sync.Mutex
	go func() {
		for sent < 6<<20 {
			n, err := pw.Write(page[chunk+sent : chunk+sent+64<<10])
			mu.Lock()
			sent += n
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	// Wait until the first piece of the chunk is in the bucket, then kill server 1.
	staging := waitStaged(t, h, ws.WorkstationID+"."+hexsum(page), chunk+5<<20)
	h.srv[0].cmd.Process.Signal(syscall.SIGKILL)
	h.srv[0].cmd.Wait()
	pw.CloseWithError(io.ErrClosedPipe)
	<-done

	// The client resumes through the load balancer: HEAD says where the upload stands.
	var off int
	for i := 0; ; i++ {
		st, hdr, _, err := h.lb.try("HEAD", path, ws.Token, nil, nil)
		if err == nil && st == 404 {
			off, _ = strconv.Atoi(hdr.Get("Upload-Offset"))
			break
		}
		if i > 100 {
			t.Fatalf("HEAD after the kill: %d %v", st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if off != staging {
		t.Fatalf("after the kill the upload stands at %d, the bucket holds %d", off, staging)
	}
	resent := 0
	for off < len(page) {
		end := min(off+chunk, len(page))
		st, hdr, raw, err := h.lb.try("PUT", path, ws.Token, page[off:end], rng(off, end))
		if err != nil {
			t.Fatalf("resume at %d: %v", off, err)
		}
		if st != 202 && st != 201 {
			t.Fatalf("resume at %d: %d %s (offset %s)", off, st, raw, hdr.Get("Upload-Offset"))
		}
		off = end
	}
	mu.Lock()
	resent = chunk + sent - staging
	mu.Unlock()
	t.Logf("killed server 1 with %d bytes of the second chunk sent; %d staged; the client re-sent %d bytes through server 2", sent, staging-chunk, resent)
	if resent < 0 || resent > 5<<20 {
		t.Fatalf("%d bytes sent again after the kill (at most a piece, 5 MiB, expected)", resent)
	}
	receipts[b2.id] = commit(h.lb, b2)

	// Server 1 comes back; batch 3's commit is raced on both servers at once.
	h.srv[0] = startServer(t, h.dirs[0], h.addrs[0], h.args, h.env)
	b3 := batches[2]
	manifest(b3)
	for _, blob := range b3.blobs {
		if st, raw := h.lb.do(t, "PUT", "/v1/blobs/"+hexsum(blob), ws.Token, blob); st != 201 {
			t.Fatalf("upload: %d %s", st, raw)
		}
	}
	var race [2][]byte
	var wg sync.WaitGroup
	for i := range race {
		wg.Add(1)
		go func() { defer wg.Done(); race[i] = commit(h.srv[i], b3) }()
	}
	wg.Wait()
	if !bytes.Equal(race[0], race[1]) {
		t.Fatal("the commit raced on two servers answered two receipts")
	}
	receipts[b3.id] = race[0]

	// Every receipt verifies with the one key, from either server; each batch is stored once.
	st2, err := store.OpenPostgres(context.Background(), h.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	for _, b := range batches {
		for i, c := range h.srv {
			again := commit(c, b)
			if !bytes.Equal(again, receipts[b.id]) {
				t.Fatalf("batch %s: server %d answers another receipt", b.id, i+1)
			}
		}
		r, err := wire.VerifyReceipt(ed25519.PublicKey(pub), receipts[b.id])
		if err != nil || r.BatchID != b.id || r.Blobs != 2 {
			t.Fatalf("receipt of %s: %+v %v", b.id, r, err)
		}
		got, err := st2.Batch(context.Background(), b.id)
		if err != nil || !got.Committed || !bytes.Equal(got.Receipt, receipts[b.id]) {
			t.Fatalf("stored batch %s: committed=%v %v", b.id, got.Committed, err)
		}
	}
	list, err := st2.CommittedBatches(context.Background(), store.BatchFilter{}, "", 100)
	if err != nil || len(list) != len(batches) {
		t.Fatalf("%d committed batches (%v), want %d", len(list), err, len(batches))
	}
	// The page reads back whole (decrypted) from the bucket, and no object holds it in clear.
	dk, err := server.LoadOrCreateDataKey(filepath.Join(h.dirs[1], server.DataKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range h.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	blobs, _, err := server.OpenBlobs(context.Background(), h.dirs[1], server.BlobOptions{URL: h.args[3], Keys: dk.BlobKeys()})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := blobs.Open(context.Background(), hexsum(page))
	if err != nil {
		t.Fatal(err)
	}
	back, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(back, page) {
		t.Fatalf("the resumed page reads back %d bytes (%v)", len(back), err)
	}
	c, err := minio.New(h.s3cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(h.s3cfg.AccessKey, h.s3cfg.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	obj, err := c.GetObject(context.Background(), h.s3cfg.Bucket, "blobs/"+hexsum(page)[:2]+"/"+hexsum(page), minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || len(stored) != int(store.SealedSize(int64(len(page)))) || bytes.Contains(stored, page[1000:1064]) {
		t.Fatalf("the stored object: %d bytes (%v), want %d sealed bytes", len(stored), err, store.SealedSize(int64(len(page))))
	}
	// No partial upload is left in the bucket.
	if n, err := sbStaging(t, h).StagedBytes(context.Background(), ""); err != nil || n != 0 {
		t.Fatalf("%d staged bytes left (%v)", n, err)
	}
}

func sbStaging(t *testing.T, h *haCluster) *store.S3Staging {
	t.Helper()
	sb, err := store.NewS3Blobs(context.Background(), h.s3cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sb.Staging()
}

// waitStaged waits until the bucket's staging holds at least n bytes of name and returns how
// many it holds.
func waitStaged(t *testing.T, h *haCluster, name string, n int) int {
	t.Helper()
	stg := sbStaging(t, h)
	for i := 0; ; i++ {
		got, err := stg.Staged(context.Background(), name)
		if err == nil && got >= int64(n) {
			return int(got)
		}
		if i > 600 {
			t.Fatalf("staging holds %d bytes (%v), waited for %d", got, err, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
