// Package loadgen simulates many workstations syncing to a central server at once (issue 16):
// each enrolls, then uploads signed batches of realistic size (a grey page image and the
// signed PDF that embeds it, per document) over a link that breaks now and then, resuming as
// the real client does (HEAD for the offset, ranged PUTs), commits, verifies the receipt and
// reads the batch back through the read API. It is bounded (a fixed number of workstations and
// batches, one goroutine each) and talks to loopback only.
package loadgen

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/wire"
)

// Config is one load run.
type Config struct {
	URL          string         // https://127.0.0.1:PORT (a load balancer or one server); loopback only
	RootCAs      *x509.CertPool // trusts the server's TLS certificate
	Codes        []string       // one enrollment code per workstation
	ReaderToken  string         // read API token for the read-back ("" : no read-back)
	Batches      int            // batches per workstation
	Docs         int            // documents per batch
	PageSide     int            // page image side in pixels (grey PNG: about PageSide² bytes)
	FlakyPercent int            // chance in percent that one upload breaks off half-way
	ChunkSize    int64          // resumable chunk size; blobs above it go in chunks
	Signer       *sign.Signer   // signs PDFs and manifests; nil: the server must run --insecure-hash-only
	Seed         uint64
	// OnProgress, if set, is called after every committed batch with the count so far (the
	// orchestrator kills a server at some point).
	OnProgress func(committed int64)
}

// Result is what a run measured.
type Result struct {
	Workstations, Committed, Failed int
	Wall                            time.Duration
	Commit, Batch, Read, Put        []time.Duration // latencies
	BytesSent, BlobBytes            int64           // body bytes sent in all; bytes of the blobs the server was missing
	BlobSent                        int64           // body bytes sent in blob PUTs: BlobSent - BlobBytes were sent again
	BrokenFlaky, BrokenFault        int64           // bytes sent by uploads that broke: injected breaks / server faults
	Retries                         int64           // requests repeated after a transport error, 5xx or 429
	Errors                          []string        // the first few final errors
}

// Percentile returns the p-th percentile (0..100) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// NewTestPKI makes a throwaway root and signer (ECDSA P-256) for a load run; the root's PEM is
// what the servers are given with --trust.
func NewTestPKI(name string) (*sign.Signer, []byte, error) {
	rk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	rootT := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "SoHoa Load Root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, rootT, rootT, rk.Public(), rk)
	if err != nil {
		return nil, nil, err
	}
	root, _ := x509.ParseCertificate(der)
	sk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	leafT := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano() + 1), Subject: pkix.Name{CommonName: name, Country: []string{"VN"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	lder, err := x509.CreateCertificate(rand.Reader, leafT, root, sk.Public(), rk)
	if err != nil {
		return nil, nil, err
	}
	leaf, _ := x509.ParseCertificate(lder)
	s, err := sign.NewSigner(sk, []*x509.Certificate{leaf})
	if err != nil {
		return nil, nil, err
	}
	return &s, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

type run struct {
	cfg    Config
	client *http.Client
	mu     sync.Mutex
	res    Result
	done   atomic.Int64
	sent   atomic.Int64
	flaky  atomic.Int64
	fault  atomic.Int64
	retry  atomic.Int64
	blobB  atomic.Int64
	blobS  atomic.Int64
}

// Run runs the load: one goroutine per code, all at once.
func Run(ctx context.Context, cfg Config) (Result, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return Result{}, err
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return Result{}, fmt.Errorf("loadgen talks to loopback only, not %s", u.Host)
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = 8 << 20
	}
	r := &run{cfg: cfg, client: &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: cfg.RootCAs}, MaxIdleConnsPerHost: 4, ForceAttemptHTTP2: false}}}
	start := time.Now()
	var wg sync.WaitGroup
	for i, code := range cfg.Codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.workstation(ctx, i, code)
		}()
	}
	wg.Wait()
	r.res.Wall = time.Since(start)
	r.res.Workstations = len(cfg.Codes)
	r.res.BytesSent, r.res.BrokenFlaky, r.res.BrokenFault = r.sent.Load(), r.flaky.Load(), r.fault.Load()
	r.res.BlobSent = r.blobS.Load()
	r.res.Retries, r.res.BlobBytes = r.retry.Load(), r.blobB.Load()
	r.res.Committed = int(r.done.Load())
	return r.res, nil
}

func (r *run) fail(err error) {
	r.mu.Lock()
	r.res.Failed++
	if len(r.res.Errors) < 10 {
		r.res.Errors = append(r.res.Errors, err.Error())
	}
	r.mu.Unlock()
}

func (r *run) record(dst *[]time.Duration, d time.Duration) {
	r.mu.Lock()
	*dst = append(*dst, d)
	r.mu.Unlock()
}

// answer is one HTTP exchange.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// errBroken is the injected break of a flaky link.
var errBroken = errors.New("loadgen: link broken")

// brokenAfter reads n bytes of r, then fails.
type brokenAfter struct {
	r io.Reader
	n int64
}

func (b *brokenAfter) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, errBroken
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	return n, err
}

// countReader counts the body bytes read off it (what went out on the wire, near enough).
type countReader struct {
	r io.Reader
	n *int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// send does one request, without retrying; sent is the body bytes read off by the transport.
func (r *run) send(ctx context.Context, method, path, token string, body []byte, hdr map[string]string, cut int64) (answer, int64, error) {
	var sent int64
	var rd io.Reader = bytes.NewReader(body)
	if cut >= 0 {
		rd = &brokenAfter{r: rd, n: cut}
	}
	req, err := http.NewRequestWithContext(ctx, method, r.cfg.URL+path, &countReader{r: rd, n: &sent})
	if err != nil {
		return answer{}, 0, err
	}
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := r.client.Do(req)
	r.sent.Add(sent)
	if err != nil {
		return answer{}, sent, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return answer{status: resp.StatusCode, header: resp.Header, body: raw}, sent, err
}

// do repeats a request after a transport error, a 5xx or a 429 (waiting Retry-After, at most
// 20 times); faults counts the body bytes sent by attempts that failed that way.
func (r *run) do(ctx context.Context, method, path, token string, body []byte, hdr map[string]string) (answer, error) {
	var last error
	for attempt := 0; attempt < 20; attempt++ {
		a, sent, err := r.send(ctx, method, path, token, body, hdr, -1)
		if err == nil && a.status < 500 && a.status != 429 {
			return a, nil
		}
		r.retry.Add(1)
		r.fault.Add(sent)
		wait := time.Duration(200*(attempt+1)) * time.Millisecond
		if err != nil {
			last = err
		} else {
			last = fmt.Errorf("%s %s: %d %s", method, path, a.status, bytes.TrimSpace(a.body))
			if s, e := strconv.Atoi(a.header.Get("Retry-After")); e == nil && s > 0 {
				wait = min(time.Duration(s)*time.Second, 5*time.Second)
			}
		}
		select {
		case <-ctx.Done():
			return answer{}, ctx.Err()
		case <-time.After(wait):
		}
	}
	return answer{}, last
}

func hexsum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func pageImage(rng *mrand.Rand, side int) []byte {
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.IntN(256))
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func (r *run) workstation(ctx context.Context, i int, code string) {
	rng := mrand.New(mrand.NewPCG(r.cfg.Seed, uint64(i)))
	a, err := r.do(ctx, "POST", "/v1/enroll", "", fmt.Appendf(nil, `{"code":%q,"name":"máy tải %d"}`, code, i), nil)
	if err != nil || a.status != 201 {
		r.fail(fmt.Errorf("enroll: %d %s %v", a.status, bytes.TrimSpace(a.body), err))
		return
	}
	var ws wire.EnrollAnswer
	if err := json.Unmarshal(a.body, &ws); err != nil {
		r.fail(err)
		return
	}
	pub, _ := base64.StdEncoding.DecodeString(ws.ReceiptKey)
	for seq := 1; seq <= r.cfg.Batches; seq++ {
		if err := r.batch(ctx, rng, ws, ed25519.PublicKey(pub), int64(seq)); err != nil {
			r.fail(err)
			return // later batches need this one's sequence number acknowledged
		}
	}
}

func (r *run) batch(ctx context.Context, rng *mrand.Rand, ws wire.EnrollAnswer, pub ed25519.PublicKey, seq int64) error {
	var idb [16]byte
	for i := range idb {
		idb[i] = byte(rng.IntN(256))
	}
	idb[6] = idb[6]&0x0f | 0x70
	idb[8] = idb[8]&0x3f | 0x80
	h := hex.EncodeToString(idb[:])
	id := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	m := &wire.Manifest{Version: 1, BatchID: id, WorkstationID: ws.WorkstationID, Office: ws.Office, Seq: seq,
		RecordType: "khai-sinh", CreatedAt: time.Now().UTC().Truncate(time.Second)}
	blobs := map[string][]byte{}
	for d := 1; d <= r.cfg.Docs; d++ {
		page := pageImage(rng, r.cfg.PageSide)
		record, _ := json.Marshal(map[string]any{"batch_id": id, "document_id": strconv.Itoa(d), "record_type": "khai-sinh", "office": ws.Office,
			"fields": []map[string]string{{"key": "ho_ten", "value": fmt.Sprintf("Người Thử %d", rng.IntN(1e6))}, {"key": "so_cccd", "value": fmt.Sprintf("%012d", rng.Int64N(1e12))}}})
		pdf, err := sign.BuildPDF(sign.DocumentInput{Title: "Giấy khai sinh", FieldsJSON: record, Pages: []sign.PageInput{{Image: page, DPI: 300}}})
		if err != nil {
			return err
		}
		if r.cfg.Signer != nil {
			if pdf, err = sign.Sign(pdf, *r.cfg.Signer, sign.SignInfo{Name: "Người Duyệt Tải", Reason: "Phê duyệt"}); err != nil {
				return err
			}
		}
		blobs[hexsum(pdf)], blobs[hexsum(page)] = pdf, page
		m.Documents = append(m.Documents, wire.Document{ID: strconv.Itoa(d), PDFSHA256: hexsum(pdf), PDFSize: int64(len(pdf)),
			Pages: []wire.Page{{SHA256: hexsum(page), Size: int64(len(page))}}})
	}
	var manifest []byte
	var err error
	if r.cfg.Signer != nil {
		manifest, err = sign.SignManifest(m, *r.cfg.Signer)
	} else {
		manifest, err = json.Marshal(m)
	}
	if err != nil {
		return err
	}
	start := time.Now()
	a, err := r.do(ctx, "PUT", "/v1/batches/"+id, ws.Token, manifest, nil)
	if err != nil || a.status != 200 {
		return fmt.Errorf("manifest: %d %s %v", a.status, bytes.TrimSpace(a.body), err)
	}
	var ma wire.ManifestAnswer
	if err := json.Unmarshal(a.body, &ma); err != nil {
		return err
	}
	for _, sum := range ma.Missing {
		t0 := time.Now()
		if err := r.upload(ctx, rng, ws.Token, sum, blobs[sum]); err != nil {
			return fmt.Errorf("upload %s: %w", sum[:12], err)
		}
		r.record(&r.res.Put, time.Since(t0))
		r.blobB.Add(int64(len(blobs[sum])))
	}
	t0 := time.Now()
	a, err = r.do(ctx, "POST", "/v1/batches/"+id+"/commit", ws.Token, nil, nil)
	if err != nil || a.status != 200 {
		return fmt.Errorf("commit: %d %s %v", a.status, bytes.TrimSpace(a.body), err)
	}
	r.record(&r.res.Commit, time.Since(t0))
	rec, err := wire.VerifyReceipt(pub, a.body)
	if err != nil || rec.BatchID != id {
		return fmt.Errorf("receipt of %s does not verify: %v", id, err)
	}
	r.record(&r.res.Batch, time.Since(start))
	if r.cfg.ReaderToken != "" {
		t0 := time.Now()
		a, err := r.do(ctx, "GET", "/v1/read/batches/"+id, r.cfg.ReaderToken, nil, nil)
		if err != nil || a.status != 200 || !bytes.Contains(a.body, []byte(id)) {
			return fmt.Errorf("read back: %d %v", a.status, err)
		}
		r.record(&r.res.Read, time.Since(t0))
	}
	n := r.done.Add(1)
	if r.cfg.OnProgress != nil {
		r.cfg.OnProgress(n)
	}
	return nil
}

// upload sends one blob as the sync client does: whole when small, in chunks when large;
// after a break (injected, or the server gone) it asks where the server stands (HEAD) and
// sends the rest with ranged PUTs.
func (r *run) upload(ctx context.Context, rng *mrand.Rand, token, sum string, data []byte) error {
	path := "/v1/blobs/" + sum
	size := int64(len(data))
	hdr := map[string]string{"Content-Type": "application/octet-stream"}
	if size <= r.cfg.ChunkSize {
		cut := int64(-1)
		if rng.IntN(100) < r.cfg.FlakyPercent && size > 1 {
			cut = 1 + rng.Int64N(size-1)
		}
		a, sent, err := r.send(ctx, "PUT", path, token, data, hdr, cut)
		r.blobS.Add(sent)
		if err == nil && (a.status == 201 || a.status == 200) {
			return nil
		}
		if cut >= 0 {
			r.flaky.Add(sent)
		} else {
			r.fault.Add(sent)
		}
		r.retry.Add(1)
	}
	return r.resume(ctx, rng, token, path, data)
}

// resume finishes an upload from the offset the server reports, chunk by chunk.
func (r *run) resume(ctx context.Context, rng *mrand.Rand, token, path string, data []byte) error {
	size := int64(len(data))
	for attempt := 0; attempt < 40; attempt++ {
		a, err := r.do(ctx, "HEAD", path, token, nil, nil)
		if err != nil {
			return err
		}
		if a.status == 200 {
			return nil
		}
		off, _ := strconv.ParseInt(a.header.Get("Upload-Offset"), 10, 64)
		if off < 0 || off > size {
			off = 0
		}
		if off >= size {
			off = size - 1
		}
		for off < size {
			end := min(off+r.cfg.ChunkSize, size)
			cut := int64(-1)
			if rng.IntN(100) < r.cfg.FlakyPercent/2 && end-off > 1 {
				cut = 1 + rng.Int64N(end-off-1)
			}
			a, sent, err := r.send(ctx, "PUT", path, token, data[off:end], map[string]string{"Content-Type": "application/octet-stream",
				"Content-Range": fmt.Sprintf("bytes %d-%d/%d", off, end-1, size)}, cut)
			r.blobS.Add(sent)
			if err == nil && (a.status == 201 || a.status == 200) {
				return nil
			}
			if err == nil && a.status == 202 {
				off = end
				continue
			}
			// A break: what the server kept is asked for again; count what it may not have kept.
			if cut >= 0 {
				r.flaky.Add(sent)
			} else {
				r.fault.Add(sent)
			}
			r.retry.Add(1)
			if err == nil && a.status == 409 { // another offset
				break
			}
			time.Sleep(time.Duration(100*(attempt+1)) * time.Millisecond)
			break
		}
	}
	return errors.New("upload did not complete")
}
