package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/wire"
)

// live is a server answering through the real Serve path: a TCP listener on 127.0.0.1, the
// per-address connection cap, TLS with the self-signed certificate, HTTP/1.1.
type live struct {
	*env
	addr  string
	roots *x509.CertPool
}

func newLive(t *testing.T, mod func(*server.Config)) *live {
	t.Helper()
	dir := t.TempDir()
	st := sqliteBackend(t, dir)
	blobs, err := store.NewLocalBlobs(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := server.LoadOrCreateReceiptKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	cert, _, err := server.LoadOrCreateTLS(dir, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Now (rate limits, receipts, enrollment codes) is fixed as in env; the network deadlines
	// always run on the real clock.
	cfg := server.Config{DataDir: dir, Store: st, Blobs: blobs, Key: key, Now: func() time.Time { return fixedNow },
		Logger: slog.New(slog.DiscardHandler), MetricsToken: testMetricsToken}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l, &cert) }()
	roots := x509.NewCertPool()
	roots.AddCert(mustParse(t, cert.Certificate[0]))
	lv := &live{addr: l.Addr().String(), roots: roots}
	tr := &http.Transport{TLSClientConfig: lv.tlsConfig()}
	lv.env = &env{t: t, dir: dir, st: st, blobs: blobs, srv: srv, url: "https://" + lv.addr, client: &http.Client{Transport: tr}}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		cancel()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Error("Serve did not return within a minute of cancel")
		}
		st.Close()
	})
	return lv
}

func (l *live) tlsConfig() *tls.Config { return &tls.Config{RootCAs: l.roots} }

// dialFrom opens a TLS connection from a local loopback address (127.0.0.0/8 is all loopback
// on Linux: each address is another client for the server).
func (l *live) dialFrom(from string) (*tls.Conn, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 30 * time.Second}
	return tls.DialWithDialer(d, "tcp", l.addr, l.tlsConfig())
}

// metric reads one value from /metrics.
func (e *env) metric(name string) int64 {
	e.t.Helper()
	resp, raw := e.do("GET", "/metrics", testMetricsToken, nil, nil)
	if resp.StatusCode != 200 {
		e.t.Fatalf("metrics: %d %s", resp.StatusCode, raw)
	}
	m := regexp.MustCompile(`(?m)^` + name + ` (\d+)$`).FindSubmatch(raw)
	if m == nil {
		e.t.Fatalf("metrics lack %s:\n%s", name, raw)
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n
}

// waitFor polls cond until it holds or limit passes (a bound to catch a hang, not a timing).
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %v", what, limit)
		}
	}
}

// closedByServer says whether err ends a read because the server closed the connection (a
// TLS close_notify or FIN: EOF; or a reset), not because the test's own deadline passed.
func closedByServer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE)
}

// slowResult is how one slow-body connection ended.
type slowResult struct {
	kind    string
	err     error // of the read that ended it
	answer  int   // bytes the server answered before closing
	elapsed time.Duration
}

// TestSlowBodiesCut opens 200 connections that send their headers and then trickle their body
// far below the minimum rate (plain and ranged blob PUTs, manifest PUTs of a workstation, and
// unauthenticated enrollments), over real TCP and TLS to Serve. While they are all held, a
// normal workstation uploads a batch and gets its receipt; then every slow one is cut by the
// server (closed, without an answer) within a generous bound.
func TestSlowBodiesCut(t *testing.T) {
	t.Parallel() // waits on the real clock; runs beside the other such tests
	const slow = 200
	lv := newLive(t, func(c *server.Config) {
		c.Rate, c.EnrollRate = -1, -1 // only the transfer limits are under test here
		c.MinTransferRate, c.TransferGrace, c.StallTimeout = 1000, 3*time.Second, 5*time.Second
		c.ReadHeaderTimeout = time.Minute // the connections wait at a barrier before their headers
		c.MaxConnsPerAddr = slow + 50
	})
	attacker, honest := lv.enroll("HN-01"), lv.enroll("HN-01")

	heads := make([]string, slow)
	kinds := []string{"blob", "chunk", "manifest", "enroll"}
	for i := range heads {
		var target, extra, token string
		switch kinds[i%4] {
		case "blob":
			target, token = "PUT /v1/blobs/"+sum([]byte(fmt.Sprint("slow blob ", i))), attacker.Token
		case "chunk":
			target, token = "PUT /v1/blobs/"+sum([]byte(fmt.Sprint("slow chunk ", i))), attacker.Token
			extra = "Content-Range: bytes 0-1048575/4194304\r\n"
		case "manifest":
			target, token = fmt.Sprintf("PUT /v1/batches/01934b2c-0000-7000-8000-%012d", 900000+i), attacker.Token
		case "enroll":
			target = "POST /v1/enroll"
		}
		h := target + " HTTP/1.1\r\nHost: sohoa\r\nContent-Length: 1048576\r\n" + extra
		if token != "" {
			h += "Authorization: Bearer " + token + "\r\n"
		}
		heads[i] = h + "\r\n"
	}
	// Connect all first (TLS handshakes done), then send every header at once, so all 200 are
	// in their body's grace period together.
	conns := make([]*tls.Conn, slow)
	var wg sync.WaitGroup
	errs := make([]error, slow)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conns[i], errs[i] = lv.dialFrom("127.0.0.2")
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("slow connection %d: %v", i, err)
		}
	}
	results := make(chan slowResult, slow)
	stop := make(chan struct{})
	defer close(stop)
	for i, c := range conns {
		go func() {
			defer c.Close()
			start := time.Now()
			if _, err := io.WriteString(c, heads[i]+"{"); err != nil {
				results <- slowResult{kind: kinds[i%4], err: err}
				return
			}
			go func() { // two bytes a second: 500 times slower than the minimum rate
				for t := time.NewTicker(500 * time.Millisecond); ; {
					select {
					case <-stop:
						return
					case <-t.C:
						if _, err := c.Write([]byte(" ")); err != nil {
							return
						}
					}
				}
			}()
			c.SetReadDeadline(time.Now().Add(2 * time.Minute)) // a hang, not a timing
			n, err := io.Copy(io.Discard, c)
			if err == nil {
				err = io.EOF
			}
			results <- slowResult{kind: kinds[i%4], err: err, answer: int(n), elapsed: time.Since(start)}
		}()
	}
	waitFor(t, time.Minute, "200 slow requests in flight", func() bool {
		return lv.metric("sohoa_http_requests_in_flight") >= slow+1 // +1: this /metrics request
	})

	// Meanwhile a workstation syncs a batch normally, on its own connections.
	f := makeBatch(t, honest, 1, 3)
	lv.syncBatch(honest.Token, f)
	resp, raw := lv.do("POST", "/v1/batches/"+f.id+"/commit", honest.Token, nil, nil)
	pub, _ := base64.StdEncoding.DecodeString(honest.ReceiptKey)
	if rc, err := wire.VerifyReceipt(ed25519.PublicKey(pub), raw); resp.StatusCode != 200 || err != nil || rc.BatchID != f.id {
		t.Fatalf("normal commit while 200 slow bodies are open: %d %v %s", resp.StatusCode, err, raw)
	}
	t.Logf("normal sync done with %d requests still in flight", lv.metric("sohoa_http_requests_in_flight")-1)

	for i := 0; i < slow; i++ {
		r := <-results
		if !closedByServer(r.err) {
			t.Fatalf("slow %s connection not closed by the server: %v after %v", r.kind, r.err, r.elapsed)
		}
		if r.answer != 0 {
			t.Fatalf("slow %s connection got %d bytes of answer; the server must cut it without one", r.kind, r.answer)
		}
	}
	if n := lv.metric("sohoa_slow_transfers_cut_total"); n != slow {
		t.Fatalf("%d requests cut for slowness, want %d", n, slow)
	}
	// The attacker's half-sent blobs are partial uploads at most, never blobs.
	for i := 0; i < slow; i += 4 {
		if ok, _ := lv.blobs.Has(context.Background(), sum([]byte(fmt.Sprint("slow blob ", i)))); ok {
			t.Fatal("a cut body was stored as a blob")
		}
	}
}

// pacedPut sends a plain PUT of a blob on its own connection, the body in pieces with a pause
// before each (a slow link), and reads the answer. An error means the connection was cut.
func (e *env) pacedPut(token, h string, data []byte, piece int, gap func(i int) time.Duration) (*http.Response, []byte, error) {
	e.t.Helper()
	conn, err := net.Dial("tcp", e.hs.Listener.Addr().String())
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "PUT /v1/blobs/%s HTTP/1.1\r\nHost: sohoa\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n",
		h, token, len(data)); err != nil {
		return nil, nil, err
	}
	for i := 0; len(data) > 0; i++ {
		time.Sleep(gap(i))
		n := min(piece, len(data))
		if _, err := conn.Write(data[:n]); err != nil {
			return nil, nil, err
		}
		data = data[n:]
	}
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, nil, err
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, raw, err
}

// An honest upload slower than instant, longer than the grace period and with a pause shorter
// than the stall limit, but above the minimum rate, is stored. The same blob sent below the
// minimum rate is cut, and what arrived is kept for the client to resume from.
func TestTransferRateHonestUploadNotCut(t *testing.T) {
	t.Parallel() // waits on the real clock; runs beside the other such tests
	e := newEnv(t, sqliteBackend, func(c *server.Config) {
		c.MinTransferRate, c.TransferGrace, c.StallTimeout = 2000, time.Second, 2*time.Second
	})
	ws := e.enroll("HN-01")
	slowData, data := make([]byte, 12000), make([]byte, 12000)
	rand.Read(slowData)
	rand.Read(data)
	// Too slow: 1000 bytes a second, half the minimum rate (beside the honest one below).
	slowDone := make(chan error, 1)
	go func() {
		resp, raw, err := e.pacedPut(ws.Token, sum(slowData), slowData, 1000, func(i int) time.Duration { return time.Duration(min(i, 1)) * time.Second })
		switch {
		case err == nil:
			err = fmt.Errorf("an upload below the minimum rate was answered: %d %s", resp.StatusCode, raw)
		case closedByServer(err):
			err = nil
		default:
			err = fmt.Errorf("upload below the minimum rate: %w, want the connection closed by the server", err)
		}
		slowDone <- err
	}()
	// Honest: 1000 bytes every 200 ms (5000 B/s) with one 1.2 s pause, 3.4 s in all.
	resp, raw, err := e.pacedPut(ws.Token, sum(data), data, 1000, func(i int) time.Duration {
		if i == 5 {
			return 1200 * time.Millisecond
		}
		return 200 * time.Millisecond
	})
	if err != nil {
		t.Fatalf("honest slow upload cut: %v", err)
	}
	if resp.StatusCode != 201 {
		t.Fatalf("honest slow upload: %d %s", resp.StatusCode, raw)
	}
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
	st, off := e.headOffset(ws.Token, sum(slowData))
	if n, _ := strconv.Atoi(off); st != 404 || n <= 0 || n >= len(slowData) {
		t.Fatalf("after the cut: HEAD %d, Upload-Offset %q; want the bytes received kept", st, off)
	}
	if n := e.metric("sohoa_slow_transfers_cut_total"); n != 1 {
		t.Fatalf("%d uploads counted as cut, want 1 (the slow one)", n)
	}
}

// A client that stops reading a large answer (a signed PDF) is cut once the answer stalls;
// one that reads at full speed gets all of it.
func TestTransferRateSlowReaderCut(t *testing.T) {
	t.Parallel() // waits on the real clock; runs beside the other such tests
	e := newEnv(t, sqliteBackend, func(c *server.Config) {
		c.MinTransferRate, c.TransferGrace, c.StallTimeout = 64<<10, time.Second, time.Second
	})
	ws := e.enroll("HN-01")
	page := []byte("một trang")
	id := "01934b2c-0000-7000-8000-000000000077"
	pdf := recordPDF(t, recordJSON(t, id, "d1", ws.Office, "khai-sinh", nil), 3600) // 12 MiB of random pixels
	f := fixture{id: id, blobs: map[string][]byte{sum(pdf): pdf, sum(page): page}}
	m := wire.Manifest{Version: 1, BatchID: f.id, WorkstationID: ws.WorkstationID, Office: ws.Office, Seq: 1, RecordType: "khai-sinh",
		CreatedAt: fixedNow, Documents: []wire.Document{{ID: "d1", PDFSHA256: sum(pdf), PDFSize: int64(len(pdf)),
			Pages: []wire.Page{{SHA256: sum(page), Size: int64(len(page))}}}}}
	f.manifest, _ = json.Marshal(m)
	e.syncBatch(ws.Token, f)
	_, rt := e.readerToken("cổng")
	path := "/v1/read/documents/" + f.id + "/d1/pdf"

	conn, err := net.Dial("tcp", e.hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: sohoa\r\nAuthorization: Bearer %s\r\n\r\n", path, rt)
	waitFor(t, time.Minute, "the stalled answer cut", func() bool { return e.metric("sohoa_slow_transfers_cut_total") == 1 })
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	n, err := io.Copy(io.Discard, conn)
	if err != nil && !closedByServer(err) {
		t.Fatalf("reading the cut answer: %v", err)
	}
	if n >= int64(len(pdf)) {
		t.Fatalf("the stalled client still got all %d bytes", n)
	}
	resp, raw := e.do("GET", path, rt, nil, nil)
	if resp.StatusCode != 200 || !bytes.Equal(raw, pdf) {
		t.Fatalf("full-speed download: %d, %d bytes of %d", resp.StatusCode, len(raw), len(pdf))
	}
}

// TestConnCapPerAddress: at most MaxConnsPerAddr connections from one address; the next is
// closed before its TLS handshake, other addresses are served meanwhile, a freed slot is
// usable again, and an exempt address is not capped.
func TestConnCapPerAddress(t *testing.T) {
	const max = 3
	lv := newLive(t, func(c *server.Config) {
		c.MaxConnsPerAddr = max
		c.ReadHeaderTimeout = 5 * time.Minute // held connections stay open for the test
		c.ConnLimitExempt = []netip.Prefix{netip.MustParsePrefix("127.0.0.4/32")}
	})
	var held []*tls.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := 0; i < max; i++ {
		c, err := lv.dialFrom("127.0.0.3")
		if err != nil {
			t.Fatalf("connection %d of %d: %v", i+1, max, err)
		}
		held = append(held, c)
	}
	if c, err := lv.dialFrom("127.0.0.3"); err == nil {
		c.Close()
		t.Fatalf("connection %d from one address was accepted (cap %d)", max+1, max)
	} else if !closedByServer(err) {
		t.Fatalf("connection over the cap: %v, want closed by the server", err)
	}
	if resp, raw := lv.do("GET", "/healthz", "", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("another address refused while one is at its cap: %d %s", resp.StatusCode, raw)
	}
	if n := lv.metric("sohoa_connections_refused_total"); n != 1 {
		t.Fatalf("refused connections = %d, want 1", n)
	}
	// A slot freed is usable again (once the server has seen the close).
	held[0].Close()
	held = held[1:]
	waitFor(t, time.Minute, "a freed slot reused", func() bool {
		c, err := lv.dialFrom("127.0.0.3")
		if err != nil {
			return false
		}
		held = append(held, c)
		return true
	})
	// The held connections work: a request on one of them is answered.
	fmt.Fprint(held[0], "GET /healthz HTTP/1.1\r\nHost: sohoa\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(held[0]), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("request on a held connection: %v %v", resp, err)
	}
	// An exempt address (a load balancer) is not capped.
	for i := 0; i < max+2; i++ {
		c, err := lv.dialFrom("127.0.0.4")
		if err != nil {
			t.Fatalf("exempt address, connection %d: %v", i+1, err)
		}
		held = append(held, c)
	}
}

// TestRateLimitRetryAfterCloses: a 429 carries the bucket's real refill time as Retry-After
// (rounded up to whole seconds), says Connection: close and closes the connection, also when
// the refused request's body is not sent.
func TestRateLimitRetryAfterCloses(t *testing.T) {
	var clock atomic.Int64 // nanoseconds after fixedNow
	e := newEnv(t, sqliteBackend, func(c *server.Config) {
		c.Rate, c.Burst = 0.25, 2 // one token every 4 s
		c.Now = func() time.Time { return fixedNow.Add(time.Duration(clock.Load())) }
		c.TransferGrace = 10 * time.Minute // a close below is the refusal's, not the body deadline's
	})
	ws := e.enroll("HN-01")
	// Enrollment attempts: one per 5 s per address, burst 5 (the enrollment above took one).
	for i := 0; i < 4; i++ {
		resp, raw := e.do("POST", "/v1/enroll", "", strings.NewReader(`{"code":"AAAA-AAAA-AAAA-AAAA"}`), nil)
		wantError(t, resp, raw, 403, "enroll_code_invalid")
	}
	resp, raw := e.do("POST", "/v1/enroll", "", strings.NewReader(`{"code":"AAAA-AAAA-AAAA-AAAA"}`), nil)
	wantError(t, resp, raw, 429, wire.CodeRateLimited)
	if resp.Header.Get("Retry-After") != "5" || !resp.Close {
		t.Fatalf("enrollment refused: Retry-After %q close=%v, want 5 and Connection: close", resp.Header.Get("Retry-After"), resp.Close)
	}

	h := sum([]byte("không có"))
	conn, err := net.Dial("tcp", e.hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	head := func() *http.Response {
		t.Helper()
		req, _ := http.NewRequest("HEAD", "http://sohoa/v1/blobs/"+h, nil)
		req.Header.Set("Authorization", "Bearer "+ws.Token)
		if err := req.Write(conn); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := 0; i < 2; i++ { // the burst, on one kept-alive connection
		if resp := head(); resp.StatusCode != 404 || resp.Close {
			t.Fatalf("request %d: %d close=%v", i, resp.StatusCode, resp.Close)
		}
	}
	resp = head()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "4" || !resp.Close {
		t.Fatalf("over the rate: %d Retry-After %q close=%v; want 429, 4, Connection: close", resp.StatusCode,
			resp.Header.Get("Retry-After"), resp.Close)
	}
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	if _, err := br.ReadByte(); !closedByServer(err) {
		t.Fatalf("connection after a 429: %v, want closed by the server", err)
	}
	// 1.5 s later the bucket holds 0.375 tokens: 2.5 s to the next one, answered as 3.
	clock.Store(int64(1500 * time.Millisecond))
	resp, raw = e.do("HEAD", "/v1/blobs/"+h, ws.Token, nil, nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Fatalf("1.5 s later: %d Retry-After %q %s, want 429 and 3", resp.StatusCode, resp.Header.Get("Retry-After"), raw)
	}
	// After the announced wait (4 s from the refusal) a request passes, and the next waits 4 s.
	clock.Store(int64(4 * time.Second))
	if resp, _ := e.do("HEAD", "/v1/blobs/"+h, ws.Token, nil, nil); resp.StatusCode != 404 {
		t.Fatalf("after Retry-After: %d, want the request through", resp.StatusCode)
	}
	if resp, _ := e.do("HEAD", "/v1/blobs/"+h, ws.Token, nil, nil); resp.Header.Get("Retry-After") != "4" {
		t.Fatalf("Retry-After %q, want 4", resp.Header.Get("Retry-After"))
	}
	// A refused upload whose body was never sent: the answer comes, then the close.
	c2, err := net.Dial("tcp", e.hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	fmt.Fprintf(c2, "PUT /v1/blobs/%s HTTP/1.1\r\nHost: sohoa\r\nAuthorization: Bearer %s\r\nContent-Length: 1048576\r\n\r\nabc", h, ws.Token)
	c2.SetReadDeadline(time.Now().Add(time.Minute))
	br2 := bufio.NewReader(c2)
	resp, err = http.ReadResponse(br2, nil)
	if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "4" || !resp.Close {
		t.Fatalf("refused upload: %v %v", resp, err)
	}
	body, _ := io.ReadAll(resp.Body)
	wantError(t, resp, body, 429, wire.CodeRateLimited)
	if _, err := br2.ReadByte(); !closedByServer(err) {
		t.Fatalf("connection after a refused upload: %v, want closed by the server", err)
	}
}

// /metrics: absent without a configured token; with one, refused without it.
func TestMetricsNeedToken(t *testing.T) {
	open := newEnv(t, sqliteBackend, func(c *server.Config) { c.MetricsToken = "" })
	ws := open.enroll("HN-01")
	for _, tok := range []string{"", ws.Token, testMetricsToken} {
		resp, raw := open.do("GET", "/metrics", tok, nil, nil)
		wantError(t, resp, raw, 404, "not_found")
		if bytes.Contains(raw, []byte("sohoa_")) {
			t.Fatalf("metrics leaked without a configured token: %s", raw)
		}
	}
	e := newEnv(t, sqliteBackend, nil)
	ws = e.enroll("HN-01")
	_, rt := e.readerToken("cổng")
	for _, tok := range []string{"", "nope", ws.Token, rt, testMetricsToken + "x", testMetricsToken[:len(testMetricsToken)-1]} {
		resp, raw := e.do("GET", "/metrics", tok, nil, nil)
		wantError(t, resp, raw, 401, "unauthorized")
		if bytes.Contains(raw, []byte("sohoa_")) || resp.Header.Get("WWW-Authenticate") != `Bearer realm="sohoa-metrics"` {
			t.Fatalf("refused metrics: %q, WWW-Authenticate %q", raw, resp.Header.Get("WWW-Authenticate"))
		}
	}
	if n := e.metric("sohoa_auth_failures_total"); n != 6 {
		t.Fatalf("auth failures = %d, want the 6 refused metrics requests", n)
	}
	resp, _ := e.do("GET", "/metrics", testMetricsToken, nil, nil)
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("metrics Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	key, _ := server.LoadOrCreateReceiptKey(e.dir)
	if _, err := server.New(server.Config{DataDir: e.dir, Store: e.st, Blobs: e.blobs, Key: key, MetricsToken: "short"}); err == nil {
		t.Fatal("a 5-character metrics token was accepted")
	}
}

// TestBlobsBelongToOffices: a blob one office sent is, for another office, exactly like an
// absent blob (HEAD, PUT, the manifest's missing list, commit), until that office sends every
// byte of it itself; the server keeps one copy. Reader tokens limited to an office see only it.
func TestBlobsBelongToOffices(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	hn, hn2, hcm := e.enroll("HN-01"), e.enroll("HN-01"), e.enroll("HCM-02")
	fa := makeBatch(t, hn, 1, 1)
	e.syncBatch(hn.Token, fa)
	var m wire.Manifest
	json.Unmarshal(fa.manifest, &m)
	x := m.Documents[0].PDFSHA256 // HN-01's committed PDF
	absent := sum([]byte("never sent"))

	// HEAD: the same answer as for an absent blob, to the header.
	ra, _ := e.do("HEAD", "/v1/blobs/"+absent, hcm.Token, nil, nil)
	rx, _ := e.do("HEAD", "/v1/blobs/"+x, hcm.Token, nil, nil)
	if rx.StatusCode != 404 || rx.StatusCode != ra.StatusCode || rx.ContentLength != ra.ContentLength || len(rx.Header) != len(ra.Header) {
		t.Fatalf("HEAD of another office's blob: %d %v; of an absent one: %d %v", rx.StatusCode, rx.Header, ra.StatusCode, ra.Header)
	}
	// Another workstation of the same office sees it (blobs are the office's, not the workstation's).
	if r, _ := e.do("HEAD", "/v1/blobs/"+x, hn2.Token, nil, nil); r.StatusCode != 200 {
		t.Fatalf("HEAD by the same office: %d", r.StatusCode)
	}
	// A manifest of HCM-02 naming it lists it as missing; its commit is refused until it is sent.
	fb := makeBatch(t, hcm, 2, 1)
	var mb wire.Manifest
	json.Unmarshal(fb.manifest, &mb)
	mb.Documents[0].PDFSHA256, mb.Documents[0].PDFSize = x, int64(len(fa.blobs[x]))
	fb.blobs[x] = fa.blobs[x]
	fb.manifest, _ = json.Marshal(mb)
	ans := e.putManifest(hcm.Token, fb)
	if len(ans.Missing) != 3 || ans.Missing[0] != x {
		t.Fatalf("missing for HCM-02 = %v, want all 3 blobs, the shared PDF first", ans.Missing)
	}
	resp, raw := e.do("POST", "/v1/batches/"+fb.id+"/commit", hcm.Token, nil, nil)
	if er := wantError(t, resp, raw, 409, wire.CodeMissingBlobs); len(er.Missing) != 3 {
		t.Fatalf("commit before upload: missing %v", er.Missing)
	}
	// A PUT is read whole and checked: wrong bytes are a mismatch, a cut body keeps nothing
	// that counts, the right bytes answer 201 as for a new blob.
	resp, raw = e.do("PUT", "/v1/blobs/"+x, hcm.Token, strings.NewReader("not the PDF"), nil)
	wantError(t, resp, raw, 400, "hash_mismatch")
	e.cutPut(hcm.Token, x, fa.blobs[x][:100], len(fa.blobs[x]))
	if st, _ := e.headOffset(hcm.Token, x); st != 404 {
		t.Fatalf("HEAD after a cut PUT of another office's blob: %d", st)
	}
	resp, raw = e.do("PUT", "/v1/blobs/"+x, hcm.Token, bytes.NewReader(fa.blobs[x]), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("PUT of a blob another office holds: %d %s, want 201 as for a new one", resp.StatusCode, raw)
	}
	if r, _ := e.do("HEAD", "/v1/blobs/"+x, hcm.Token, nil, nil); r.StatusCode != 200 {
		t.Fatalf("HEAD after HCM-02 sent it: %d", r.StatusCode)
	}
	// A ranged upload of another office's blob is treated the same (no early 200).
	y := m.Documents[0].Pages[0].SHA256
	yb := fa.blobs[y]
	resp, raw = e.do("PUT", "/v1/blobs/"+y, hcm.Token, bytes.NewReader(yb[:1000]),
		map[string]string{"Content-Range": fmt.Sprintf("bytes 0-999/%d", len(yb))})
	if resp.StatusCode != 202 {
		t.Fatalf("first chunk of another office's blob: %d %s, want 202", resp.StatusCode, raw)
	}
	resp, raw = e.do("PUT", "/v1/blobs/"+y, hcm.Token, bytes.NewReader(yb[1000:]),
		map[string]string{"Content-Range": fmt.Sprintf("bytes 1000-%d/%d", len(yb)-1, len(yb))})
	if resp.StatusCode != 201 {
		t.Fatalf("last chunk: %d %s", resp.StatusCode, raw)
	}
	e.uploadAll(hcm.Token, fb, e.putManifest(hcm.Token, fb).Missing)
	// Every blob is now HCM-02's, so the commit gets to verification, which refuses it: the
	// PDF's record.json belongs to HN-01's batch (a signed PDF is never another batch's).
	resp, raw = e.do("POST", "/v1/batches/"+fb.id+"/commit", hcm.Token, nil, nil)
	if we := wantError(t, resp, raw, 422, "verification_failed"); !strings.Contains(we.MessageEN, "belongs to another batch") {
		t.Fatalf("commit of another batch's PDF after HCM-02 sent every blob: %s", raw)
	}
	// One copy on disk: batch A's 3 blobs, batch B's 2 own pages; the shared PDF and page once.
	if n, _ := e.storedFiles(); n != 5 {
		t.Fatalf("%d blob files, want 5 (shared content stored once)", n)
	}
	// HCM-02's own batch, for the readers below.
	fb = makeBatch(t, hcm, 3, 1)
	e.syncBatch(hcm.Token, fb)

	// Readers limited to an office.
	_, all := e.readerToken("toàn tỉnh")
	id, hnOnly, err := server.NewReaderToken(context.Background(), e.st, "chỉ Hà Nội", "HN-01", fixedNow)
	if err != nil || id == "" {
		t.Fatal(err)
	}
	if _, _, err := server.NewReaderToken(context.Background(), e.st, "sai", "../x", fixedNow); err == nil {
		t.Fatal("a reader limited to a malformed office was created")
	}
	if l := getJSON[server.ReadBatchList](t, e, "/v1/read/batches", all); len(l.Batches) != 2 {
		t.Fatalf("unlimited reader sees %d batches, want 2", len(l.Batches))
	}
	l := getJSON[server.ReadBatchList](t, e, "/v1/read/batches", hnOnly)
	if len(l.Batches) != 1 || l.Batches[0].Office != "HN-01" {
		t.Fatalf("HN-01 reader sees %+v", l.Batches)
	}
	if l := getJSON[server.ReadBatchList](t, e, "/v1/read/batches?office=HN-01", hnOnly); len(l.Batches) != 1 {
		t.Fatalf("HN-01 reader asking for HN-01: %d batches", len(l.Batches))
	}
	if s := getJSON[server.ReadSearch](t, e, "/v1/read/search?q=01934b2c", hnOnly); len(s.Results) != 1 || s.Results[0].Office != "HN-01" {
		t.Fatalf("HN-01 reader's search: %+v", s.Results)
	}
	if rows := getJSON[[]server.ReadRow](t, e, "/v1/read/export", hnOnly); len(rows) != 1 || rows[0].Office != "HN-01" {
		t.Fatalf("HN-01 reader's export: %+v", rows)
	}
	for _, c := range []struct{ path, code string }{
		{"/v1/read/batches?office=HCM-02", "reader_office"},
		{"/v1/read/search?q=a&office=HCM-02", "reader_office"},
		{"/v1/read/export?office=HCM-02", "reader_office"},
		{"/v1/read/batches/" + fb.id, "not_found"},
		{"/v1/read/documents/" + fb.id + "/doc-0/pdf", "not_found"},
	} {
		resp, raw := e.do("GET", c.path, hnOnly, nil, nil)
		wantError(t, resp, raw, map[string]int{"reader_office": 403, "not_found": 404}[c.code], c.code)
	}
	// Readers limited to several offices and to record types (every batch here is khai-sinh).
	_, both := e.readerToken2(t, "hai đơn vị", []string{"HN-01", "HCM-02"}, nil)
	if l := getJSON[server.ReadBatchList](t, e, "/v1/read/batches", both); len(l.Batches) != 2 {
		t.Fatalf("reader of HN-01 and HCM-02 sees %d batches, want 2", len(l.Batches))
	}
	if l := getJSON[server.ReadBatchList](t, e, "/v1/read/batches?office=HCM-02", both); len(l.Batches) != 1 || l.Batches[0].Office != "HCM-02" {
		t.Fatalf("reader of two offices asking for HCM-02: %+v", l.Batches)
	}
	_, marriages := e.readerToken2(t, "kết hôn", nil, []string{"ket-hon"})
	if l := getJSON[server.ReadBatchList](t, e, "/v1/read/batches", marriages); len(l.Batches) != 0 {
		t.Fatalf("ket-hon reader sees %+v", l.Batches)
	}
	if rows := getJSON[[]server.ReadRow](t, e, "/v1/read/export", marriages); len(rows) != 0 {
		t.Fatalf("ket-hon reader's export: %+v", rows)
	}
	_, hcmBirths := e.readerToken2(t, "khai sinh HCM", []string{"HCM-02"}, []string{"khai-sinh", "khai-tu"})
	if l := getJSON[server.ReadBatchList](t, e, "/v1/read/batches?record_type=khai-sinh", hcmBirths); len(l.Batches) != 1 || l.Batches[0].Office != "HCM-02" {
		t.Fatalf("HCM-02 khai-sinh reader sees %+v", l.Batches)
	}
	for _, c := range []struct{ path, tok, code string }{
		{"/v1/read/batches?record_type=khai-sinh", marriages, "reader_record_type"},
		{"/v1/read/search?q=a&record_type=khai-sinh", marriages, "reader_record_type"},
		{"/v1/read/export?record_type=khai-sinh", marriages, "reader_record_type"},
		{"/v1/read/batches/" + fa.id, marriages, "not_found"},
		{"/v1/read/documents/" + fa.id + "/doc-0/pdf", marriages, "not_found"},
		{"/v1/read/batches/" + fa.id, hcmBirths, "not_found"},
		{"/v1/read/batches?office=HN-01", hcmBirths, "reader_office"},
	} {
		resp, raw := e.do("GET", c.path, c.tok, nil, nil)
		we := wantError(t, resp, raw, map[string]int{"reader_record_type": 403, "reader_office": 403, "not_found": 404}[c.code], c.code)
		if we.MessageVI == "" || we.MessageEN == "" {
			t.Fatalf("%s: error without its message: %s", c.path, raw)
		}
	}
	if _, _, err := server.NewScopedReaderToken(context.Background(), e.st, "sai loại", nil, []string{"khai sinh"}, fixedNow); err == nil {
		t.Fatal("a reader limited to a malformed record type was created")
	}
	// The same batch and PDF answer the unlimited reader; HN-01's own answer the limited one.
	for _, c := range []struct{ path, tok string }{
		{"/v1/read/documents/" + fb.id + "/doc-0/pdf", all},
		{"/v1/read/documents/" + fa.id + "/doc-0/pdf", hnOnly},
		{"/v1/read/batches/" + fa.id, hnOnly},
		{"/v1/read/batches/" + fb.id, hcmBirths},
		{"/v1/read/documents/" + fb.id + "/doc-0/pdf", hcmBirths},
	} {
		if resp, raw := e.do("GET", c.path, c.tok, nil, nil); resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", c.path, resp.StatusCode, raw)
		}
	}
}

// TestTLSSuites makes real handshakes with Serve, for the self-signed ECDSA certificate and an
// RSA one: TLS 1.2 completes only with ECDHE and an AEAD cipher, TLS 1.1 and below never, TLS
// 1.3 does. openssl s_client cross-checks the same when it is installed.
func TestTLSSuites(t *testing.T) {
	aead := map[uint16]bool{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: true, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: true,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: true, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: true,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: true, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: true,
	}
	var suites []*tls.CipherSuite
	suites = append(suites, tls.CipherSuites()...)
	suites = append(suites, tls.InsecureCipherSuites()...)
	for _, keyType := range []string{"ecdsa", "rsa"} {
		t.Run(keyType, func(t *testing.T) {
			addr, roots := serveWithKey(t, keyType)
			hs := func(c *tls.Config) (tls.ConnectionState, error) {
				c.RootCAs = roots
				conn, err := tls.Dial("tcp", addr, c)
				if err != nil {
					return tls.ConnectionState{}, err
				}
				defer conn.Close()
				return conn.ConnectionState(), nil
			}
			accepted := 0
			for _, cs := range suites {
				if !supportsTLS12(cs) {
					continue
				}
				_, err := hs(&tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{cs.ID}})
				if err == nil && !aead[cs.ID] {
					t.Errorf("TLS 1.2 with %s was accepted", cs.Name)
				}
				if err == nil {
					accepted++
				}
				if err != nil && aead[cs.ID] && strings.Contains(cs.Name, strings.ToUpper(keyType)) {
					t.Errorf("TLS 1.2 with %s refused: %v", cs.Name, err)
				}
			}
			if accepted != 3 {
				t.Errorf("%d TLS 1.2 suites accepted for a %s key, want its 3 AEAD ones", accepted, keyType)
			}
			// A client offering only CBC suites, as a downgrade attempt would.
			if _, err := hs(&tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{
				tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
				tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
				tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA}}); err == nil {
				t.Error("a client offering only CBC suites completed a handshake")
			}
			if _, err := hs(&tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}); err == nil {
				t.Error("TLS 1.1 accepted")
			}
			st, err := hs(&tls.Config{MinVersion: tls.VersionTLS13})
			if err != nil || st.Version != tls.VersionTLS13 || st.NegotiatedProtocol != "http/1.1" && st.NegotiatedProtocol != "" {
				t.Errorf("TLS 1.3: %v, version %x, ALPN %q", err, st.Version, st.NegotiatedProtocol)
			}
			if st, err := hs(&tls.Config{NextProtos: []string{"h2", "http/1.1"}}); err != nil || st.NegotiatedProtocol != "http/1.1" {
				t.Errorf("ALPN offering h2: %v, negotiated %q, want http/1.1 only", err, st.NegotiatedProtocol)
			}
			opensslCheck(t, addr, keyType)
		})
	}
}

func supportsTLS12(cs *tls.CipherSuite) bool {
	for _, v := range cs.SupportedVersions {
		if v == tls.VersionTLS12 {
			return true
		}
	}
	return false
}

// opensslCheck runs openssl s_client against addr: the AEAD suite for the key completes, a
// CBC one and TLS 1.1 do not.
func opensslCheck(t *testing.T, addr, keyType string) {
	t.Helper()
	bin, err := execLookPath("openssl")
	if err != nil {
		t.Log("openssl not installed: the cross-check with openssl s_client is not run (the Go handshakes above are)")
		return
	}
	auth := map[string]string{"ecdsa": "ECDSA", "rsa": "RSA"}[keyType]
	for _, c := range []struct {
		args []string
		want string // in the output: the suite agreed, or the server's handshake_failure alert
	}{
		{[]string{"-tls1_2", "-cipher", "ECDHE-" + auth + "-AES128-GCM-SHA256"}, "Ciphersuite: ECDHE-" + auth + "-AES128-GCM-SHA256"},
		{[]string{"-tls1_2", "-cipher", "ECDHE-" + auth + "-CHACHA20-POLY1305"}, "Ciphersuite: ECDHE-" + auth + "-CHACHA20-POLY1305"},
		{[]string{"-tls1_2", "-cipher", "ECDHE-" + auth + "-AES128-SHA:ECDHE-" + auth + "-AES256-SHA384:AES128-SHA256"}, "alert handshake failure"},
		{[]string{"-tls1_3"}, "Protocol version: TLSv1.3"},
	} {
		args := append([]string{"s_client", "-connect", addr, "-servername", "localhost", "-brief"}, c.args...)
		out, err := runWithStdin(bin, args, "Q\n")
		refused := strings.Contains(c.want, "alert")
		if (err != nil) != refused || !strings.Contains(string(out), c.want) {
			t.Errorf("openssl %s: %v, want %q in:\n%s", strings.Join(c.args, " "), err, c.want, out)
		}
	}
}

// serveWithKey runs Serve with a fresh self-signed certificate of the key type.
func serveWithKey(t *testing.T, keyType string) (string, *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	cert := selfSigned(t, keyType)
	st := sqliteBackend(t, dir)
	t.Cleanup(func() { st.Close() })
	blobs, _ := store.NewLocalBlobs(filepath.Join(dir, "blobs"))
	key, _ := server.LoadOrCreateReceiptKey(dir)
	srv, err := server.New(server.Config{DataDir: dir, Store: st, Blobs: blobs, Key: key, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l, &cert) }()
	t.Cleanup(func() { cancel(); <-done })
	roots := x509.NewCertPool()
	roots.AddCert(mustParse(t, cert.Certificate[0]))
	return l.Addr().String(), roots
}

// selfSigned makes a certificate for localhost and 127.0.0.1 with a P-256 or RSA-2048 key.
func selfSigned(t *testing.T, keyType string) tls.Certificate {
	t.Helper()
	var priv crypto.Signer
	var err error
	if keyType == "rsa" {
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "sohoa-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}
}

func execLookPath(name string) (string, error) { return exec.LookPath(name) }

// runWithStdin runs a command with stdin, bounded by a minute.
func runWithStdin(bin string, args []string, stdin string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	return cmd.CombinedOutput()
}

// TestHostileRequests: what an attacker tries first, on the real Serve path. Headers trickled
// in are cut by the header timeout; oversized headers answer 431; a request with two
// Content-Lengths is refused (no smuggling); deeply nested JSON is refused as malformed; a
// path with dot segments never reaches a handler.
func TestHostileRequests(t *testing.T) {
	lv := newLive(t, func(c *server.Config) { c.ReadHeaderTimeout = time.Second; c.Rate, c.EnrollRate = -1, -1 })
	ws := lv.enroll("HN-01")
	raw := func(req string, trickle bool) (string, error) {
		t.Helper()
		c, err := lv.dialFrom("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if trickle {
			go func() {
				for _, b := range []byte(req) {
					if _, err := c.Write([]byte{b}); err != nil {
						return
					}
					time.Sleep(200 * time.Millisecond)
				}
			}()
		} else if _, err := io.WriteString(c, req); err != nil {
			return "", err
		}
		c.SetReadDeadline(time.Now().Add(time.Minute))
		out, err := io.ReadAll(c)
		return string(out), err
	}
	out, err := raw("GET /healthz HTTP/1.1\r\nHost: sohoa\r\nX-Slow: "+strings.Repeat("a", 100)+"\r\n\r\n", true)
	if err != nil && !closedByServer(err) || strings.Contains(out, "200 OK") {
		t.Fatalf("trickled headers: %q %v, want the connection closed by the header timeout", out, err)
	}
	out, _ = raw("GET /healthz HTTP/1.1\r\nHost: sohoa\r\nX-Big: "+strings.Repeat("a", 80<<10)+"\r\n\r\n", false)
	if !strings.HasPrefix(out, "HTTP/1.1 431") {
		t.Fatalf("80 KiB header: %.60q, want 431", out)
	}
	out, _ = raw("PUT /v1/blobs/"+sum([]byte("a"))+" HTTP/1.1\r\nHost: sohoa\r\nAuthorization: Bearer "+ws.Token+
		"\r\nContent-Length: 1\r\nContent-Length: 40\r\n\r\naPUT /v1/blobs/x HTTP/1.1\r\n\r\n", false)
	if !strings.HasPrefix(out, "HTTP/1.1 400") || strings.Count(out, "HTTP/1.1") != 1 {
		t.Fatalf("two Content-Lengths: %q, want one 400 and nothing after it", out)
	}
	bomb := strings.Repeat("[", 60000)
	resp, body := lv.do("POST", "/v1/enroll", "", strings.NewReader(`{"code":`+bomb), nil)
	wantError(t, resp, body, 400, "malformed_request")
	resp, body = lv.do("PUT", "/v1/batches/01934b2c-0000-7000-8000-000000000001", ws.Token,
		strings.NewReader(`{"documents":`+strings.Repeat("[", 1<<20)), nil)
	wantError(t, resp, body, 400, "bad_manifest")
	for _, p := range []string{"/v1/blobs/../metrics", "/v1/read/../blobs/" + sum([]byte("a")), "/./metrics"} {
		out, _ := raw("GET "+p+" HTTP/1.1\r\nHost: sohoa\r\nAuthorization: Bearer "+ws.Token+"\r\nConnection: close\r\n\r\n", false)
		if strings.HasPrefix(out, "HTTP/1.1 200") || strings.Contains(out, "sohoa_") {
			t.Fatalf("GET %s answered: %.200q", p, out)
		}
	}
}
