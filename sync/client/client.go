package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/wire"
)

// Settings keys the client keeps in the local store. The token is a secret: in an encrypted
// store it is sealed under the data key (queue.SecretSettings, docs/ENCRYPTION.md); it is never
// logged, never audited by value.
const (
	SettingServer     = "sync.server_url"
	SettingToken      = "sync.token"
	SettingReceiptKey = "sync.receipt_key" // base64 ed25519 public key
	SettingOffice     = "sync.office"
	SettingTLSPin     = "sync.tls_sha256" // hex SHA-256 of the server's leaf certificate
	SettingWSID       = "workstation_id"  // queue.Store.WorkstationID
	// With mutual TLS (sohoa-central serve --client-ca), the workstation's client certificate
	// and key: PEM file paths (the key file belongs in the encrypted store with §8).
	SettingClientCert = "sync.client_cert"
	SettingClientKey  = "sync.client_key"
)

// Defaults.
const (
	DefaultChunkSize      = 8 << 20
	DefaultChunkThreshold = 16 << 20
	DefaultMinBackoff     = time.Second
	DefaultMaxBackoff     = 5 * time.Minute
	DefaultPollInterval   = 30 * time.Second
)

// Errors that stop a whole run (no batch is at fault, none is held).
var (
	ErrNotEnrolled = l10n.New("sync.client.notEnrolled")
	ErrReceiptKey  = l10n.New("sync.client.receiptKey")
)

// Client sends the outbox of one workstation store.
type Client struct {
	Store *queue.Store
	Actor queue.User // named in the audit events of completed and held batches

	BaseURL        string            // https://host:port
	Token          string            // bearer token from enrollment
	ReceiptKey     ed25519.PublicKey // pinned at enrollment
	TLSFingerprint string            // hex SHA-256 of the server's certificate; "" = system roots
	ClientCert     *tls.Certificate  // presented when the server asks (mutual TLS); nil = none
	HTTP           *http.Client      // nil: built from TLSFingerprint, ClientCert and the timeouts

	// Progress, when set, is called (from the sending goroutine) as batches move.
	Progress func(Progress)

	ChunkSize       int64         // resumable chunk size (DefaultChunkSize)
	ChunkThreshold  int64         // blobs larger than this go in chunks (DefaultChunkThreshold)
	StallTimeout    time.Duration // no byte moved for this long: the request is cut (1 min)
	ResponseTimeout time.Duration // waiting for the answer after the body is sent (5 min)
	MinBackoff      time.Duration // DefaultMinBackoff
	MaxBackoff      time.Duration // DefaultMaxBackoff
	PollInterval    time.Duration // Run looks for new entries this often (DefaultPollInterval)
	// ExitWhenIdle makes Run return once no entry is pending (held ones are not waited for).
	ExitWhenIdle bool

	once   sync.Once
	mu     sync.Mutex
	paused bool
	resume chan struct{}
	cancel context.CancelFunc // of the running pass, for Pause
	wake   chan struct{}
}

// FromStore makes a client from the settings stored by Enroll.
func FromStore(ctx context.Context, st *queue.Store, actor queue.User) (*Client, error) {
	get := func(k string) string {
		v, _ := st.Setting(ctx, k)
		return v
	}
	c := &Client{Store: st, Actor: actor, BaseURL: get(SettingServer), Token: get(SettingToken), TLSFingerprint: get(SettingTLSPin)}
	if c.BaseURL == "" || c.Token == "" {
		return nil, ErrNotEnrolled
	}
	if cf, kf := get(SettingClientCert), get(SettingClientKey); cf != "" || kf != "" {
		cert, err := LoadClientCert(cf, kf)
		if err != nil {
			return nil, err
		}
		c.ClientCert = cert
	}
	key, err := base64.StdEncoding.DecodeString(get(SettingReceiptKey))
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: receipt key", ErrNotEnrolled)
	}
	c.ReceiptKey = key
	return c, nil
}

// LoadClientCert reads the workstation's client certificate and key (PEM) for mutual TLS.
func LoadClientCert(certFile, keyFile string) (*tls.Certificate, error) {
	if certFile == "" || keyFile == "" {
		return nil, l10n.New("sync.client.certFiles")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, l10n.Wrap(err, "sync.client.certRead")
	}
	return &cert, nil
}

// EnrollResult is what Enroll stored.
type EnrollResult struct {
	wire.EnrollAnswer
	Fingerprint string // the pinned TLS certificate
	// PreviousID is set when the server gave another workstation id than the one this
	// workstation made: batches already signed with the old id must be signed again.
	PreviousID string
}

// Enroll exchanges a one-time code for this workstation's credential at url (https only) and
// stores server, token, receipt key, office and the TLS certificate's fingerprint in one
// transaction. When c.TLSFingerprint is set the server must present that certificate;
// otherwise it must verify with the system roots, and the certificate seen is pinned.
func (c *Client) Enroll(ctx context.Context, url, code string) (EnrollResult, error) {
	var res EnrollResult
	url = strings.TrimRight(strings.TrimSpace(url), "/")
	if !strings.HasPrefix(url, "https://") {
		return res, l10n.New("sync.client.https")
	}
	wsID, err := c.Store.WorkstationID(ctx)
	if err != nil {
		return res, err
	}
	name, _ := os.Hostname()
	body, err := json.Marshal(wire.EnrollRequest{Code: strings.TrimSpace(code), Name: name, WorkstationID: wsID})
	if err != nil {
		return res, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/enroll", bytes.NewReader(body))
	if err != nil {
		return res, err
	}
	req.Header.Set("Content-Type", "application/json")
	c.BaseURL = url
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return res, l10n.Wrap(err, "sync.client.enroll")
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, wire.MaxSmallBody))
	if err != nil {
		return res, l10n.Wrap(err, "sync.client.enroll")
	}
	if resp.StatusCode != http.StatusCreated {
		return res, &ServerError{Wire: wire.DecodeError(resp.StatusCode, raw), Offset: -1}
	}
	if err := json.Unmarshal(raw, &res.EnrollAnswer); err != nil {
		return res, l10n.Wrap(err, "sync.client.enrollAnswer")
	}
	key, err := base64.StdEncoding.DecodeString(res.ReceiptKey)
	if err != nil || len(key) != ed25519.PublicKeySize || res.Token == "" || !wire.ValidWorkstationID(res.WorkstationID) {
		return res, l10n.New("sync.client.enrollIncomplete")
	}
	if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 {
		return res, l10n.New("sync.client.enrollNoTLS")
	}
	sum := sha256.Sum256(resp.TLS.PeerCertificates[0].Raw)
	res.Fingerprint = hex.EncodeToString(sum[:])
	kv := map[string]string{SettingServer: url, SettingToken: res.Token, SettingReceiptKey: res.ReceiptKey,
		SettingOffice: res.Office, SettingTLSPin: res.Fingerprint}
	if res.WorkstationID != wsID {
		res.PreviousID = wsID
		kv[SettingWSID] = res.WorkstationID
	}
	if err := c.Store.SetSettings(ctx, c.Actor, kv); err != nil {
		return res, err
	}
	c.Token, c.ReceiptKey, c.TLSFingerprint = res.Token, key, res.Fingerprint
	return res, nil
}

// Pause stops sending at once (the request in flight is cut; it is redone from its manifest
// step on Resume). Resume continues.
func (c *Client) Pause() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.paused {
		c.paused = true
		c.resume = make(chan struct{})
	}
	if c.cancel != nil {
		c.cancel()
	}
}

// Resume undoes Pause.
func (c *Client) Resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.paused {
		c.paused = false
		close(c.resume)
	}
}

// Paused tells whether the client is paused.
func (c *Client) Paused() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paused
}

// Wake makes Run look at the outbox now (a batch was just signed).
func (c *Client) Wake() {
	c.mu.Lock()
	if c.wake == nil {
		c.wake = make(chan struct{}, 1)
	}
	w := c.wake
	c.mu.Unlock()
	select {
	case w <- struct{}{}:
	default:
	}
}

// Run sends the outbox until ctx is cancelled: every due entry, then it sleeps until the next
// retry is due, PollInterval passes or Wake is called. It stops with an error only for a
// fault no retry can mend (not enrolled, revoked, wrong server certificate or receipt key).
func (c *Client) Run(ctx context.Context) error {
	c.Wake() // ensure the channel exists
	for {
		c.mu.Lock()
		paused, resume := c.paused, c.resume
		c.mu.Unlock()
		if paused {
			select {
			case <-resume:
			case <-ctx.Done():
				return nil
			}
		}
		sum, err := c.RunOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !errors.Is(err, errPaused) {
			return err
		}
		if c.ExitWhenIdle {
			counts, err := c.Store.OutboxCounts(ctx)
			if err != nil {
				return err
			}
			if counts.Pending == 0 {
				return nil
			}
		}
		wait := c.PollInterval
		if wait <= 0 {
			wait = DefaultPollInterval
		}
		if !sum.NextDue.IsZero() {
			if d := time.Until(sum.NextDue); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		case <-c.wake:
			t.Stop()
		}
	}
}

// Summary tells what one pass did.
type Summary struct {
	Done, Held, Retry int
	Receipts          []wire.Receipt
	NextDue           time.Time // earliest next attempt of a pending entry (zero: none)
}

var errPaused = errors.New("paused")

// RunOnce works through every due pending entry once, in sequence order.
func (c *Client) RunOnce(ctx context.Context) (Summary, error) {
	return c.RunPass(ctx, false)
}

// RunPass is RunOnce; with all it ignores the backoff schedule and tries every pending entry
// now (a person asked: `sohoa sync --once`).
func (c *Client) RunPass(ctx context.Context, all bool) (Summary, error) {
	var sum Summary
	if c.Token == "" || c.BaseURL == "" || len(c.ReceiptKey) != ed25519.PublicKeySize {
		return sum, ErrNotEnrolled
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.mu.Lock()
	if c.paused {
		c.mu.Unlock()
		return sum, errPaused
	}
	c.cancel = cancel
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.cancel = nil
		c.mu.Unlock()
	}()
	due := time.Now()
	if all {
		due = due.Add(1000 * time.Hour)
	}
	entries, err := c.Store.DueOutbox(ctx, due)
	if err != nil {
		return sum, err
	}
	ov := overall{total: len(entries)}
	var runErr error
	for _, e := range entries {
		rec, err := c.Send(pctx, e, &ov)
		if err == nil {
			sum.Done++
			sum.Receipts = append(sum.Receipts, rec)
			ov.done++
			continue
		}
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
		if pctx.Err() != nil && c.Paused() {
			runErr = errPaused
			break
		}
		if reason, ok := permanent(err); ok {
			if herr := c.Store.OutboxHold(ctx, c.Actor, e.BatchID, reason); herr != nil {
				return sum, herr
			}
			sum.Held++
			ov.done++
			c.report(Progress{BatchID: e.BatchID, BatchName: e.BatchName, Seq: e.Seq, Phase: PhaseHeld, Err: reason,
				Batches: ov.total, BatchesDone: ov.done})
			continue
		}
		next := time.Now().Add(c.backoff(e.Attempts, err))
		if aerr := c.Store.OutboxAttempt(ctx, e.BatchID, errText(err), next); aerr != nil {
			return sum, aerr
		}
		sum.Retry++
		c.report(Progress{BatchID: e.BatchID, BatchName: e.BatchName, Seq: e.Seq, Phase: PhaseRetry, Err: errText(err),
			NextAttempt: next, Batches: ov.total, BatchesDone: ov.done})
		if fatal(err) {
			runErr = err
			break
		}
	}
	pending, err := c.Store.Outbox(ctx, queue.OutboxPending)
	if err != nil {
		return sum, err
	}
	for _, e := range pending {
		if sum.NextDue.IsZero() || e.NextAttempt.Before(sum.NextDue) {
			sum.NextDue = e.NextAttempt
		}
	}
	return sum, runErr
}

// backoff is the delay before the next attempt after attempts failed ones: exponential from
// MinBackoff to MaxBackoff with jitter (half fixed, half random), and never less than the
// server's Retry-After.
func (c *Client) backoff(attempts int, err error) time.Duration {
	lo, hi := c.MinBackoff, c.MaxBackoff
	if lo <= 0 {
		lo = DefaultMinBackoff
	}
	if hi <= 0 {
		hi = DefaultMaxBackoff
	}
	d := lo
	for i := 0; i < attempts && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	d = d/2 + time.Duration(mrand.Int64N(int64(d/2)+1))
	var se *ServerError
	if errors.As(err, &se) && se.RetryAfter > d {
		d = se.RetryAfter
	}
	return d
}

// localError is a fault of the local copy (a blob missing or corrupt, a bad stored manifest):
// retrying cannot mend it; the batch is held and a person must look.
type localError struct{ msg string }

func (e *localError) Error() string { return e.msg }

// permanent says whether err puts the batch on hold, and why.
func permanent(err error) (string, bool) {
	var le *localError
	if errors.As(err, &le) {
		return "local: " + le.msg, true
	}
	var se *ServerError
	if errors.As(err, &se) && se.Wire.IsPermanent() && !fatal(err) {
		return se.Reason(), true
	}
	return "", false
}

// fatal errors are nobody's batch's fault: the run stops, entries stay pending.
func fatal(err error) bool {
	if errors.Is(err, ErrFingerprint) || errors.Is(err, ErrReceiptKey) || errors.Is(err, ErrNotEnrolled) {
		return true
	}
	var se *ServerError
	if errors.As(err, &se) {
		switch se.Wire.Code {
		case "unauthorized", "workstation_revoked", "not_found":
			return true
		}
	}
	return false
}

func errText(err error) string {
	var se *ServerError
	if errors.As(err, &se) {
		return se.Reason()
	}
	s := err.Error()
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
