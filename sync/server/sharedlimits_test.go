package server_test

import (
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/wire"
)

// Two servers on one PostgreSQL with SharedRateLimits hold one bucket per workstation
// between them: 3 tokens are 3 requests in all, whichever server gets them. Without it each
// server has its own (the control: the fourth request passes on the second server).
func TestSharedRateLimits(t *testing.T) {
	for _, shared := range []bool{true, false} {
		a := newEnv(t, pgBackend, func(c *server.Config) { c.Rate, c.Burst, c.SharedRateLimits = 1e-9, 3, shared })
		key, err := server.LoadOrCreateReceiptKey(a.dir)
		if err != nil {
			t.Fatal(err)
		}
		srvB, err := server.New(server.Config{DataDir: t.TempDir(), Store: a.st, Blobs: a.blobs, Key: key,
			Now: func() time.Time { return fixedNow }, Logger: slog.New(slog.DiscardHandler), Rate: 1e-9, Burst: 3, SharedRateLimits: shared})
		if err != nil {
			t.Fatal(err)
		}
		hsB := httptest.NewServer(srvB.Handler())
		b := &env{t: t, dir: a.dir, st: a.st, blobs: a.blobs, srv: srvB, hs: hsB, url: hsB.URL, client: a.client}
		ws := a.enroll("HN-01")
		h := sum([]byte("x"))
		for i, e := range []*env{a, b, a} {
			if resp, raw := e.do("HEAD", "/v1/blobs/"+h, ws.Token, nil, nil); resp.StatusCode != 404 {
				t.Fatalf("shared=%v: request %d: %d %s", shared, i, resp.StatusCode, raw)
			}
		}
		resp, raw := b.do("PUT", "/v1/blobs/"+h, ws.Token, strings.NewReader("x"), nil)
		if shared {
			wantError(t, resp, raw, 429, wire.CodeRateLimited)
			resp, raw = a.do("PUT", "/v1/blobs/"+h, ws.Token, strings.NewReader("x"), nil)
			wantError(t, resp, raw, 429, wire.CodeRateLimited)
		} else if resp.StatusCode != 201 {
			t.Fatalf("per-process buckets: the second server refused its second request: %d", resp.StatusCode)
		}
		hsB.Close()
	}
}
