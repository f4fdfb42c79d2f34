package server

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/wire"
)

// Config wires a Server. Store, Blobs, Key and DataDir are required; every other field has a
// default (sync/PROTOCOL.md "Timeouts and connection limits" explains the numbers).
type Config struct {
	DataDir string // holds uploads/ (partial resumable uploads) unless Staging is set
	// Staging keeps the partial resumable uploads; nil: the folder DataDir/uploads. Servers
	// behind one load balancer share one (store.S3Blobs.Staging) so that an upload started
	// on one resumes on another.
	Staging store.Staging
	Store   store.Store
	Blobs   store.BlobStore
	Key     ed25519.PrivateKey // signs receipts
	// FieldKey seals the field values kept in the database (fields.go). nil: the data key in
	// DataDir/data-key.pem, created (0600) on first start.
	FieldKey    *FieldKey
	Verifier    Verifier // nil: HashOnlyVerifier
	MaxBlobSize int64    // 0: DefaultMaxBlobSize
	Rate        float64  // requests per second per workstation; 0: DefaultRate; <0: unlimited
	Burst       int      // 0: DefaultBurst
	EnrollRate  float64  // enrollment attempts per second per client address; 0: default
	// SharedRateLimits keeps the rate limits' token buckets in the Store (its rate_buckets
	// table) instead of in this process, so several servers on one PostgreSQL enforce one
	// limit together. A database error falls back to this process's own bucket.
	SharedRateLimits bool
	Now              func() time.Time // nil: time.Now (rate limits and receipts; not the network deadlines)
	Logger           *slog.Logger     // nil: slog.Default()
	// ClientCAs, when set, turns on mutual TLS in Serve: every connection must present a
	// client certificate that chains to one of these (tls.RequireAndVerifyClientCert), in
	// addition to the bearer token of each request.
	ClientCAs *x509.CertPool

	// Timeouts. ReadHeaderTimeout bounds the TLS handshake and the request line and headers
	// (0: DefaultReadHeaderTimeout); IdleTimeout a kept-alive connection waiting for its next
	// request (0: DefaultIdleTimeout).
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	// Every request body and every answer must average at least MinTransferRate bytes per
	// second, counted from its start once TransferGrace is over, and may never go StallTimeout
	// without moving a byte; otherwise the connection is cut. 0: the defaults; a negative
	// MinTransferRate turns these limits off.
	MinTransferRate int64
	TransferGrace   time.Duration
	StallTimeout    time.Duration
	// MaxConnsPerAddr caps the connections Serve keeps open at a time from one client address
	// (an IPv4 address, or an IPv6 /64); more are closed as soon as they are accepted. 0:
	// DefaultMaxConnsPerAddr; <0: no cap. Addresses in ConnLimitExempt (a load balancer or a
	// reverse proxy in front of the server) are not capped.
	MaxConnsPerAddr int
	ConnLimitExempt []netip.Prefix
	// MaxPartialBytes caps the bytes of partial (resumable) uploads one workstation may have
	// staged in uploads/ at a time: beyond it, a plain upload that breaks is not kept for
	// resuming and a new chunked upload is answered 503 with Retry-After until some finish or
	// expire (StaleUploadAge), so no workstation can fill the server's disk with uploads it
	// never finishes. 0: DefaultMaxPartialBytes; <0: no cap.
	MaxPartialBytes int64
	// MetricsToken is the bearer token GET /metrics requires (at least 16 characters). Empty:
	// /metrics answers 404, as if it did not exist.
	MetricsToken string
}

// Defaults.
const (
	DefaultMaxBlobSize = 512 << 20
	DefaultRate        = 50
	DefaultBurst       = 200
	DefaultEnrollRate  = 0.2 // one attempt per 5 s, burst 5
	EnrollCodeTTL      = 24 * time.Hour

	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultMinTransferRate   = 4 << 10 // bytes per second (32 kbit/s)
	DefaultTransferGrace     = 30 * time.Second
	DefaultStallTimeout      = time.Minute
	DefaultMaxConnsPerAddr   = 64
	DefaultMaxPartialBytes   = 4 << 30 // 8 blobs of the default maximum size
	partialRetryAfter        = "600"   // seconds: a partial upload finishes or goes by then
	MaxHeaderBytes           = 64 << 10
	MinMetricsToken          = 16 // characters
)

// Server is the central server's HTTP side. It holds no state of its own besides partial
// uploads, so several may run behind a load balancer on one PostgreSQL and one blob store (with
// a shared Staging, the S3 bucket's, for resumable uploads).
type Server struct {
	cfg      Config
	pub      ed25519.PublicKey
	verifier Verifier
	limiter  *rateLimiter
	enrollRL *rateLimiter
	metrics  metrics
	stage    store.Staging
	log      *slog.Logger
	busy     sync.Map // staging name -> struct{}
	handler  http.Handler
	metricsH [sha256.Size]byte // SHA-256 of Config.MetricsToken
	fields   *FieldKey

	datesDone chan struct{}      // closed once every stored value has its date indexes
	stopDates context.CancelFunc // stops the background IndexDates (Close)
	datesExit chan struct{}      // closed when the background IndexDates has returned
}

// New makes a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Blobs == nil || cfg.Key == nil || cfg.DataDir == "" {
		return nil, errors.New("server: Store, Blobs, Key and DataDir are required")
	}
	if cfg.Verifier == nil {
		cfg.Verifier = HashOnlyVerifier{}
	}
	if cfg.MaxBlobSize == 0 {
		cfg.MaxBlobSize = DefaultMaxBlobSize
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.EnrollRate == 0 {
		cfg.EnrollRate = DefaultEnrollRate
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout}, {&cfg.IdleTimeout, DefaultIdleTimeout},
		{&cfg.TransferGrace, DefaultTransferGrace}, {&cfg.StallTimeout, DefaultStallTimeout}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if cfg.MinTransferRate == 0 {
		cfg.MinTransferRate = DefaultMinTransferRate
	}
	if cfg.MaxPartialBytes == 0 {
		cfg.MaxPartialBytes = DefaultMaxPartialBytes
	}
	if cfg.MaxConnsPerAddr == 0 {
		cfg.MaxConnsPerAddr = DefaultMaxConnsPerAddr
	}
	if cfg.MetricsToken != "" && len(cfg.MetricsToken) < MinMetricsToken {
		return nil, fmt.Errorf("server: the metrics token must have at least %d characters", MinMetricsToken)
	}
	s := &Server{cfg: cfg, pub: cfg.Key.Public().(ed25519.PublicKey), verifier: cfg.Verifier, log: cfg.Logger,
		stage: cfg.Staging}
	s.metricsH = sha256.Sum256([]byte(cfg.MetricsToken))
	if s.fields = cfg.FieldKey; s.fields == nil {
		fk, err := LoadOrCreateDataKey(filepath.Join(cfg.DataDir, DataKeyFile))
		if err != nil {
			return nil, err
		}
		s.fields = fk
	}
	s.limiter = newRateLimiter(cfg.Rate, cfg.Burst, cfg.Now)
	s.enrollRL = newRateLimiter(cfg.EnrollRate, 5, cfg.Now)
	if cfg.SharedRateLimits {
		s.limiter.shared, s.limiter.name, s.limiter.log = cfg.Store, "api:", cfg.Logger
		s.enrollRL.shared, s.enrollRL.name, s.enrollRL.log = cfg.Store, "enroll:", cfg.Logger
	}
	if s.stage == nil {
		ls, err := store.NewLocalStaging(filepath.Join(cfg.DataDir, "uploads"))
		if err != nil {
			return nil, err
		}
		s.stage = ls
	}
	s.pruneUploads(StaleUploadAge)
	if err := s.startIndexDates(); err != nil {
		return nil, fmt.Errorf("index the dates of stored field values: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.HandleFunc("GET /v1/info", s.info)
	mux.HandleFunc("POST /v1/enroll", s.enroll)
	mux.HandleFunc("HEAD /v1/blobs/{sha}", s.auth(s.headBlob))
	mux.HandleFunc("PUT /v1/blobs/{sha}", s.auth(s.putBlob))
	mux.HandleFunc("PUT /v1/batches/{id}", s.auth(s.putManifest))
	mux.HandleFunc("POST /v1/batches/{id}/commit", s.auth(s.commit))
	mux.HandleFunc("GET /v1/read/batches", s.readAuth(s.readBatches))
	mux.HandleFunc("GET /v1/read/batches/{id}", s.readAuth(s.readBatch))
	mux.HandleFunc("GET /v1/read/documents/{batch}/{doc}/pdf", s.readAuth(s.readPDF))
	mux.HandleFunc("GET /v1/read/search", s.readAuth(s.readSearch))
	mux.HandleFunc("GET /v1/read/export", s.readAuth(s.readExport))
	s.handler = s.count(s.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			s.fail(w, errNotFound)
			return
		}
		mux.ServeHTTP(w, r)
	})))
	return s, nil
}

// StaleUploadAge is how long a partial resumable upload is kept.
const StaleUploadAge = 7 * 24 * time.Hour

// pruneUploads deletes partial uploads not touched for age.
func (s *Server) pruneUploads(age time.Duration) {
	if err := s.stage.PruneStaged(context.Background(), s.cfg.Now().Add(-age)); err != nil {
		s.log.Warn("prune partial uploads", "error", err.Error())
	}
}

// partialRoom reports whether workstation ws may stage another partial upload: the partial
// uploads it has staged hold less than MaxPartialBytes.
func (s *Server) partialRoom(ctx context.Context, ws store.Workstation) bool {
	if s.cfg.MaxPartialBytes < 0 {
		return true
	}
	n, err := s.stage.StagedBytes(ctx, ws.ID+".")
	return err == nil && n < s.cfg.MaxPartialBytes
}

// Handler is the HTTP handler (for httptest or an outer server).
func (s *Server) Handler() http.Handler { return s.handler }

// PublicKey is the receipt-signing key workstations verify receipts with.
func (s *Server) PublicKey() ed25519.PublicKey { return s.pub }

// TLSConfig is the server's TLS: version 1.2 or 1.3; with 1.2 only ECDHE key exchange with
// AEAD ciphers (AES-GCM, ChaCha20-Poly1305), never CBC, RC4, 3DES or RSA key exchange; 1.3 as
// Go does it (its suites are all AEAD and not configurable); HTTP/1.1 only. With clientCAs
// every client must present a certificate chaining to one of them.
func TLSConfig(cert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos: []string{"http/1.1"},
	}
	if clientCAs != nil {
		cfg.ClientCAs = clientCAs
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg
}

// Serve answers on l with TLS (cert; nil: plain HTTP, for tests and a TLS-terminating proxy)
// until ctx is cancelled, then shuts down gracefully: new connections are refused and running
// requests get up to 30 seconds to finish. It caps the connections per client address
// (Config.MaxConnsPerAddr) and serves HTTP/1.1 only: HTTP/2 would multiplex many slow
// streams on one connection past that cap, and the workstations do not use it.
func (s *Server) Serve(ctx context.Context, l net.Listener, cert *tls.Certificate) error {
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout, // also bounds the TLS handshake
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		Protocols:         protocols,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelInfo),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	l = newConnLimiter(l, s.cfg.MaxConnsPerAddr, s.cfg.ConnLimitExempt, &s.metrics, func(addr netip.Prefix) {
		s.log.Warn("too many connections from one address: new ones are closed", "client", addr.String(), "max", s.cfg.MaxConnsPerAddr)
	})
	if cert != nil {
		hs.TLSConfig = TLSConfig(*cert, s.cfg.ClientCAs)
		l = tls.NewListener(l, hs.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc
	s.Close()
	return err
}

// serveMetrics answers GET /metrics: 404 when no metrics token is configured, 401 without the
// right one (compared in constant time), the counters otherwise.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if s.cfg.MetricsToken == "" {
		s.fail(w, errNotFound)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if got := sha256.Sum256([]byte(tok)); !ok || subtle.ConstantTimeCompare(got[:], s.metricsH[:]) != 1 {
		s.unknownToken(w, "sohoa-metrics", errMetricsUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	w.Header().Set("Cache-Control", "no-store")
	s.metrics.write(w)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if _, err := s.cfg.Store.Batch(ctx, "00000000-0000-0000-0000-000000000000"); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, errUnavailable)
		return
	}
	writeJSON(w, 200, map[string]string{"status": "ok"})
}

// Info is the answer of GET /v1/info.
type Info struct {
	Protocol    int    `json:"protocol"`
	ReceiptKey  string `json:"receipt_key"`
	KeyID       string `json:"key_id"`
	MaxBlobSize int64  `json:"max_blob_size"`
	MaxManifest int    `json:"max_manifest_size"`
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, Info{Protocol: wire.Version, ReceiptKey: base64.StdEncoding.EncodeToString(s.pub), KeyID: wire.KeyID(s.pub),
		MaxBlobSize: s.cfg.MaxBlobSize, MaxManifest: wire.MaxManifestBytes})
}

// HashSecret is how codes and tokens are stored: SHA-256 hex (they carry 80+ bits of entropy).
func HashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func normalizeCode(c string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return unicode.ToUpper(r)
	}, c)
}

var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewEnrollCode creates a one-time enrollment code for office, valid for ttl (0: 24 hours),
// and returns it as XXXX-XXXX-XXXX-XXXX (80 random bits). Only its hash is stored.
func NewEnrollCode(ctx context.Context, st store.Store, office string, ttl time.Duration, now time.Time) (string, error) {
	if office == "" || len(office) > wire.MaxIDLen || strings.ContainsFunc(office, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.')
	}) {
		return "", errors.New("office code must be 1-64 of [A-Za-z0-9._-]")
	}
	if ttl <= 0 {
		ttl = EnrollCodeTTL
	}
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	raw := codeEncoding.EncodeToString(b) // 16 characters
	code := raw[0:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:16]
	if err := st.CreateEnrollCode(ctx, HashSecret(normalizeCode(code)), office, now.Add(ttl)); err != nil {
		return "", err
	}
	return code, nil
}

func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	if ok, wait := s.enrollRL.allow(clientKey(r)); !ok {
		s.rateLimited(w, wait)
		return
	}
	var req wire.EnrollRequest
	if e := s.readJSON(w, r, wire.MaxSmallBody, &req); e != nil {
		s.fail(w, e)
		return
	}
	name := strings.TrimSpace(req.Name)
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 100 || strings.ContainsFunc(name, unicode.IsControl) {
		s.fail(w, errMalformed("badName"))
		return
	}
	tok := make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		s.fail(w, errInternal)
		return
	}
	token := "sohoa_" + base64.RawURLEncoding.EncodeToString(tok)
	ws := store.Workstation{ID: "ws-" + uuid.Must(uuid.NewV7()).String(), Name: name, TokenHash: HashSecret(token)}
	// Manifests are signed offline, before enrollment, and carry the workstation's own id: keep
	// it when it is well formed and unused. An id already enrolled (even revoked) is never
	// handed to another code: the workstation gets a fresh one and must re-sign.
	if req.WorkstationID != "" && wire.ValidWorkstationID(req.WorkstationID) {
		_, err := s.cfg.Store.Workstation(r.Context(), req.WorkstationID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			ws.ID = req.WorkstationID
		case err != nil:
			s.internal(w, "enroll", err)
			return
		}
	}
	ws, err := s.cfg.Store.Enroll(r.Context(), HashSecret(normalizeCode(req.Code)), ws, s.cfg.Now())
	if errors.Is(err, store.ErrCodeInvalid) {
		s.metrics.authFailures.Add(1)
		s.fail(w, errEnrollCode)
		return
	}
	if err != nil {
		s.internal(w, "enroll", err)
		return
	}
	s.metrics.enrolled.Add(1)
	s.log.Info("workstation enrolled", "workstation", ws.ID, "office", ws.Office)
	writeJSON(w, 201, wire.EnrollAnswer{WorkstationID: ws.ID, Office: ws.Office, Token: token,
		ReceiptKey: base64.StdEncoding.EncodeToString(s.pub)})
}

func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	s.log.Error("request failed", "op", what, "err", err)
	s.fail(w, errInternal)
}

// readJSON decodes a small JSON body strictly.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) *wire.Error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	if err != nil {
		return errMalformed("bodyUnreadable")
	}
	if err := wire.DecodeStrict(raw, v); err != nil {
		return errMalformed("json")
	}
	return nil
}

// rateLimited answers 429 with the bucket's refill time as Retry-After (whole seconds, rounded
// up) and closes the connection (guardWriter sends Connection: close for every 429).
func (s *Server) rateLimited(w http.ResponseWriter, wait time.Duration) {
	s.metrics.rateLimited.Add(1)
	w.Header().Set("Retry-After", retryAfter(wait))
	s.fail(w, errRateLimited)
}

// bearer returns the SHA-256 of the request's bearer token; without a usable token it answers
// 401 with the realm and returns false.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request, realm string, unauthorized *wire.Error) (string, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" || len(tok) > 200 {
		s.unknownToken(w, realm, unauthorized)
		return "", false
	}
	return HashSecret(tok), true
}

// unknownToken answers 401 for a missing or unknown token.
func (s *Server) unknownToken(w http.ResponseWriter, realm string, unauthorized *wire.Error) {
	s.metrics.authFailures.Add(1)
	w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
	s.fail(w, unauthorized)
}

// auth checks the bearer token, refuses revoked workstations and applies the rate limit.
func (s *Server) auth(h func(http.ResponseWriter, *http.Request, store.Workstation)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hash, ok := s.bearer(w, r, "sohoa", errUnauthorized)
		if !ok {
			return
		}
		ws, err := s.cfg.Store.WorkstationByToken(r.Context(), hash)
		if errors.Is(err, store.ErrNotFound) {
			s.unknownToken(w, "sohoa", errUnauthorized)
			return
		}
		if err != nil {
			s.internal(w, "auth", err)
			return
		}
		if ws.RevokedAt != nil {
			s.metrics.authFailures.Add(1)
			s.fail(w, errRevoked)
			return
		}
		if ok, wait := s.limiter.allow(ws.ID); !ok {
			s.rateLimited(w, wait)
			return
		}
		h(w, r, ws)
	}
}
