package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/sync/wire"
)

// ErrFingerprint: the server's TLS certificate is not the pinned one.
var ErrFingerprint = l10n.New("sync.client.fingerprint")

// errStalled: no byte moved for StallTimeout.
var errStalled = l10n.New("sync.client.stalled")

// ServerError is an error answer of the server, with its Retry-After.
type ServerError struct {
	Wire       *wire.Error
	RetryAfter time.Duration
	Offset     int64 // Upload-Offset header, -1 when absent
}

func (e *ServerError) Error() string { return e.Wire.Error() }
func (e *ServerError) Unwrap() error { return e.Wire }

// Localize is the server's message in lang, with its code for whoever helps.
func (e *ServerError) Localize(lang string) string {
	return e.Wire.Localize(lang) + " (" + e.Wire.Code + ")"
}

// Reason is what is shown to people and kept on a held outbox entry: code, Vietnamese and
// English message (never personal data: the server's messages carry none).
func (e *ServerError) Reason() string {
	return e.Wire.Code + ": " + e.Wire.MessageVI + " / " + e.Wire.MessageEN
}

// pinnedTLS builds the TLS configuration: with a fingerprint, exactly that leaf certificate is
// accepted (a self-signed server); without, the system roots verify the server as usual.
func pinnedTLS(fingerprint string, clientCert *tls.Certificate) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if clientCert != nil {
		cfg.Certificates = []tls.Certificate{*clientCert}
	}
	if fingerprint == "" {
		return cfg
	}
	want := strings.ToLower(strings.ReplaceAll(fingerprint, ":", ""))
	cfg.InsecureSkipVerify = true // replaced by the pin check below
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return ErrFingerprint
		}
		sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
		if hex.EncodeToString(sum[:]) != want {
			return ErrFingerprint
		}
		return nil
	}
	return cfg
}

func (c *Client) httpClient() *http.Client {
	c.once.Do(func() {
		if c.HTTP != nil {
			return
		}
		c.HTTP = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       pinnedTLS(c.TLSFingerprint, c.ClientCert),
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: c.responseTimeout(),
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		}}
	})
	return c.HTTP
}

func (c *Client) stallTimeout() time.Duration {
	if c.StallTimeout > 0 {
		return c.StallTimeout
	}
	return time.Minute
}

func (c *Client) responseTimeout() time.Duration {
	if c.ResponseTimeout > 0 {
		return c.ResponseTimeout
	}
	return 5 * time.Minute
}

// watchdog cancels a request when no byte has moved for a while (a stalled connection never
// errors by itself). kick is called on every read of the request and response bodies.
type watchdog struct {
	mu     sync.Mutex
	t      *time.Timer
	d      time.Duration
	fired  bool
	cancel context.CancelFunc
}

func newWatchdog(ctx context.Context, d time.Duration) (context.Context, *watchdog) {
	ctx, cancel := context.WithCancel(ctx)
	w := &watchdog{d: d, cancel: cancel}
	w.t = time.AfterFunc(d, func() {
		w.mu.Lock()
		w.fired = true
		w.mu.Unlock()
		cancel()
	})
	return ctx, w
}

func (w *watchdog) kick()  { w.t.Reset(w.d) }
func (w *watchdog) pause() { w.t.Stop() }
func (w *watchdog) stop()  { w.t.Stop(); w.cancel() }
func (w *watchdog) stalled() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fired
}

// countingReader kicks the watchdog and counts bytes for progress.
type countingReader struct {
	r    io.Reader
	w    *watchdog
	n    int64
	tick func(int64)
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.w.kick()
		r.n += int64(n)
		if r.tick != nil {
			r.tick(int64(n))
		}
	}
	if err == io.EOF {
		// The body is sent; the server may now take its time to answer (ResponseTimeout).
		r.w.pause()
	}
	return n, err
}

// request is one call: method, path, optional body of known size, headers.
type request struct {
	method, path string
	body         io.Reader
	size         int64
	header       map[string]string
	auth         bool
	tick         func(int64) // bytes of the body sent
}

// answer is a successful (2xx) answer, or a 404 to a HEAD.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request. Non-2xx answers come back as *ServerError; transport failures as
// other errors (a stall as errStalled).
func (c *Client) do(ctx context.Context, rq request) (answer, error) {
	ctx, wd := newWatchdog(ctx, c.stallTimeout())
	defer wd.stop()
	var body io.Reader
	if rq.body != nil {
		body = &countingReader{r: rq.body, w: wd, tick: rq.tick}
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, strings.TrimRight(c.BaseURL, "/")+rq.path, body)
	if err != nil {
		return answer{}, err
	}
	if rq.body != nil {
		req.ContentLength = rq.size
		if rq.size == 0 {
			req.Body = http.NoBody
		}
	} else {
		wd.pause()
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	if rq.auth {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if wd.stalled() {
			return answer{}, fmt.Errorf("%s %s: %w", rq.method, rq.path, errStalled)
		}
		return answer{}, fmt.Errorf("%s %s: %w", rq.method, rq.path, err)
	}
	defer resp.Body.Close()
	wd.kick()
	raw, err := io.ReadAll(io.LimitReader(&countingReader{r: resp.Body, w: wd}, wire.MaxManifestBytes))
	if err != nil {
		if wd.stalled() {
			err = errStalled
		}
		return answer{}, fmt.Errorf("%s %s: read answer: %w", rq.method, rq.path, err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: raw}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 || rq.method == http.MethodHead && resp.StatusCode == 404 {
		return a, nil
	}
	se := &ServerError{Wire: wire.DecodeError(resp.StatusCode, raw), Offset: -1}
	if rq.method == http.MethodHead || len(raw) == 0 {
		// No body to read a code from (HEAD answers have none): name it by its status.
		switch st := resp.StatusCode; {
		case st == 401:
			se.Wire.Code = "unauthorized"
		case st == 403:
			se.Wire.Code = "workstation_revoked"
		case st == 429:
			se.Wire.Code = wire.CodeRateLimited
		case st >= 500:
			se.Wire.Code = wire.CodeUnavailable
		}
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if s, err := strconv.Atoi(ra); err == nil && s >= 0 {
			se.RetryAfter = time.Duration(s) * time.Second
		} else if t, err := http.ParseTime(ra); err == nil {
			se.RetryAfter = time.Until(t)
		}
	}
	if o := resp.Header.Get("Upload-Offset"); o != "" {
		if n, err := strconv.ParseInt(o, 10, 64); err == nil {
			se.Offset = n
		}
	}
	return a, se
}

func jsonBody(b []byte) (io.Reader, int64) { return bytes.NewReader(b), int64(len(b)) }
