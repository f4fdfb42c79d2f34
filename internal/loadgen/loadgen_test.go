package loadgen_test

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/loadgen"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
)

// A small run against a real server (SQLite, sealed local blobs, signatures verified): every
// batch commits with a receipt that verifies and reads back; with every upload broken off
// once (whole PUTs, which a sealed store does not keep half-way) bytes are sent again and
// all still lands.
func TestRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	signer, rootPEM, err := loadgen.NewTestPKI("Người Duyệt Tải")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(rootPEM)
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fk, err := server.LoadOrCreateDataKey(filepath.Join(dir, server.DataKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	blobs, _, err := server.OpenBlobs(ctx, dir, server.BlobOptions{Keys: fk.BlobKeys()})
	if err != nil {
		t.Fatal(err)
	}
	key, err := server.LoadOrCreateReceiptKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{DataDir: dir, Store: st, Blobs: blobs, Key: key, FieldKey: fk,
		Verifier: server.SignatureVerifier{Roots: roots}, Logger: slog.New(slog.DiscardHandler), EnrollRate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewTLSServer(srv.Handler())
	defer hs.Close()
	tlsRoots := x509.NewCertPool()
	tlsRoots.AddCert(hs.Certificate())
	for _, flaky := range []int{0, 100} {
		var codes []string
		for i := 0; i < 3; i++ {
			c, err := server.NewEnrollCode(ctx, st, "HN-01", time.Hour, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			codes = append(codes, c)
		}
		_, reader, err := server.NewReaderToken(ctx, st, "cổng "+string(rune('a'+flaky%26)), "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		res, err := loadgen.Run(ctx, loadgen.Config{URL: hs.URL, RootCAs: tlsRoots, Codes: codes, ReaderToken: reader,
			Batches: 2, Docs: 2, PageSide: 120, FlakyPercent: flaky, ChunkSize: 64 << 10, Signer: signer, Seed: uint64(flaky + 1)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Committed != 6 || res.Failed != 0 || len(res.Commit) != 6 || len(res.Read) != 6 {
			t.Fatalf("flaky %d%%: %d committed, %d failed (%v), %d commit and %d read latencies", flaky, res.Committed, res.Failed, res.Errors,
				len(res.Commit), len(res.Read))
		}
		resent := res.BlobSent - res.BlobBytes
		switch {
		case flaky == 0 && resent != 0:
			t.Fatalf("a clean run sent %d blob bytes again", resent)
		case flaky == 100 && (resent <= 0 || res.Retries == 0 || res.BrokenFlaky == 0):
			t.Fatalf("every upload broken once: %d bytes re-sent, %d retries", resent, res.Retries)
		}
	}
	if _, err := loadgen.Run(ctx, loadgen.Config{URL: "https://192.0.2.1:1", Codes: []string{"x"}}); err == nil {
		t.Fatal("a non-loopback address accepted")
	}
}
