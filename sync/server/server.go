package server

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
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
	"os"
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

// Config wires a Server. Store, Blobs, Key and DataDir are required.
type Config struct {
	DataDir     string // holds uploads/ (partial resumable uploads)
	Store       store.Store
	Blobs       store.BlobStore
	Key         ed25519.PrivateKey // signs receipts
	Verifier    Verifier           // nil: HashOnlyVerifier
	MaxBlobSize int64              // 0: DefaultMaxBlobSize
	Rate        float64            // requests per second per workstation; 0: DefaultRate; <0: unlimited
	Burst       int                // 0: DefaultBurst
	EnrollRate  float64            // enrollment attempts per second per client address; 0: default
	Now         func() time.Time   // nil: time.Now
	Logger      *slog.Logger       // nil: slog.Default()
	// ClientCAs, when set, turns on mutual TLS in Serve: every connection must present a
	// client certificate that chains to one of these (tls.RequireAndVerifyClientCert), in
	// addition to the bearer token of each request.
	ClientCAs *x509.CertPool
}

// Defaults.
const (
	DefaultMaxBlobSize = 512 << 20
	DefaultRate        = 50
	DefaultBurst       = 200
	DefaultEnrollRate  = 0.2 // one attempt per 5 s, burst 5
	EnrollCodeTTL      = 24 * time.Hour
)

// Server is the central server's HTTP side. It holds no state of its own besides partial
// uploads, so several may run behind a load balancer on one PostgreSQL and one blob store (with
// sticky sessions for resumable uploads, or a shared uploads folder).
type Server struct {
	cfg      Config
	pub      ed25519.PublicKey
	verifier Verifier
	limiter  *rateLimiter
	enrollRL *rateLimiter
	metrics  metrics
	uploads  string
	log      *slog.Logger
	busy     sync.Map // staging name -> struct{}
	handler  http.Handler
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
	s := &Server{cfg: cfg, pub: cfg.Key.Public().(ed25519.PublicKey), verifier: cfg.Verifier, log: cfg.Logger,
		uploads: filepath.Join(cfg.DataDir, "uploads")}
	s.limiter = newRateLimiter(cfg.Rate, cfg.Burst, cfg.Now)
	s.enrollRL = newRateLimiter(cfg.EnrollRate, 5, cfg.Now)
	if err := os.MkdirAll(s.uploads, 0o700); err != nil {
		return nil, fmt.Errorf("uploads folder: %w", err)
	}
	s.pruneUploads(StaleUploadAge)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		s.metrics.write(w)
	})
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
	s.handler = s.count(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			s.fail(w, errNotFound)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	return s, nil
}

// StaleUploadAge is how long a partial resumable upload is kept.
const StaleUploadAge = 7 * 24 * time.Hour

// pruneUploads deletes partial uploads not touched for age.
func (s *Server) pruneUploads(age time.Duration) {
	ents, err := os.ReadDir(s.uploads)
	if err != nil {
		return
	}
	for _, e := range ents {
		if info, err := e.Info(); err == nil && s.cfg.Now().Sub(info.ModTime()) > age {
			os.Remove(filepath.Join(s.uploads, e.Name()))
		}
	}
}

// Handler is the HTTP handler (for httptest or an outer server).
func (s *Server) Handler() http.Handler { return s.handler }

// PublicKey is the receipt-signing key workstations verify receipts with.
func (s *Server) PublicKey() ed25519.PublicKey { return s.pub }

// Serve answers on l with TLS (cert) until ctx is cancelled, then shuts down gracefully: new
// connections are refused and running requests get up to 30 seconds to finish.
func (s *Server) Serve(ctx context.Context, l net.Listener, cert *tls.Certificate) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if cert != nil {
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}
		if s.cfg.ClientCAs != nil {
			hs.TLSConfig.ClientCAs = s.cfg.ClientCAs
			hs.TLSConfig.ClientAuth = tls.RequireAndVerifyClientCert
		}
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
	return err
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

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) enroll(w http.ResponseWriter, r *http.Request) {
	if !s.enrollRL.allow(clientAddr(r)) {
		s.metrics.rateLimited.Add(1)
		s.fail(w, errRateLimited)
		return
	}
	var req wire.EnrollRequest
	if e := s.readJSON(w, r, wire.MaxSmallBody, &req); e != nil {
		s.fail(w, e)
		return
	}
	name := strings.TrimSpace(req.Name)
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > 100 || strings.ContainsFunc(name, unicode.IsControl) {
		s.fail(w, errMalformed("name: at most 100 printable characters / tên tối đa 100 ký tự"))
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
		return errMalformed("body could not be read / không đọc được nội dung")
	}
	if err := wire.DecodeStrict(raw, v); err != nil {
		return errMalformed("JSON")
	}
	return nil
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
		if !s.limiter.allow(ws.ID) {
			s.metrics.rateLimited.Add(1)
			s.fail(w, errRateLimited)
			return
		}
		h(w, r, ws)
	}
}
