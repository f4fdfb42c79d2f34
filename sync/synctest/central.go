package synctest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"time"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
)

// Central is a real central server for tests: SQLite store and local blobs in a folder,
// signature verification trusting roots, served over TLS on loopback (httptest).
type Central struct {
	Store  store.Store
	Server *httptest.Server
	Key    ed25519.PrivateKey // the receipt key
	// Pin is the hex SHA-256 of the server's TLS certificate (enrollment's fingerprint).
	Pin string
}

// NewCentral starts a central server keeping its data in dir. Close stops it.
func NewCentral(ctx context.Context, dir string, roots *x509.CertPool) (*Central, error) {
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "central.db"))
	if err != nil {
		return nil, err
	}
	return NewCentralOn(st, dir, roots)
}

// NewCentralOn starts a central server on an open store (a PostgreSQL one from
// store.OpenPostgres, say), keeping its blobs and receipt key in dir. It takes the store
// over: Close (or a failure here) closes it.
func NewCentralOn(st store.Store, dir string, roots *x509.CertPool) (*Central, error) {
	blobs, err := store.NewLocalBlobs(filepath.Join(dir, "blobs"))
	if err != nil {
		st.Close()
		return nil, err
	}
	key, err := server.LoadOrCreateReceiptKey(dir)
	if err != nil {
		st.Close()
		return nil, err
	}
	srv, err := server.New(server.Config{DataDir: dir, Store: st, Blobs: blobs, Key: key, Rate: -1,
		Verifier: server.SignatureVerifier{Roots: roots}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		st.Close()
		return nil, err
	}
	hs := httptest.NewTLSServer(srv.Handler())
	sum := sha256.Sum256(hs.Certificate().Raw)
	return &Central{Store: st, Server: hs, Key: key, Pin: hex.EncodeToString(sum[:])}, nil
}

// URL is the server's https address.
func (c *Central) URL() string { return c.Server.URL }

// EnrollCode makes a one-time enrollment code for office, valid for an hour.
func (c *Central) EnrollCode(ctx context.Context, office string) (string, error) {
	return server.NewEnrollCode(ctx, c.Store, office, time.Hour, time.Now())
}

// Committed tells whether the server holds batch id, committed.
func (c *Central) Committed(ctx context.Context, id string) bool {
	b, err := c.Store.Batch(ctx, id)
	return err == nil && b.Committed
}

// Close stops the server and closes its store.
func (c *Central) Close() {
	c.Server.Close()
	c.Store.Close()
}
