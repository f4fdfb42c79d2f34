package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// rateLimiter is a token bucket per key (workstation id, reader id, or client address before
// authentication). Buckets idle for ten minutes are forgotten. The number of buckets is bounded
// (keys by client address come from the network, not from a table): when maxBuckets are in use
// even after forgetting the idle ones, new keys share one overflow bucket, so a flood of
// addresses slows down only new addresses and never grows the map.
type rateLimiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	// shared, when set, holds the buckets (Config.SharedRateLimits) under name+key; the map
	// below is then only the fallback while the database fails.
	shared interface {
		TakeToken(ctx context.Context, bucket string, rate float64, burst int, now time.Time) (bool, time.Duration, error)
		SweepRateBuckets(ctx context.Context, before time.Time) error
	}
	name       string
	log        *slog.Logger
	sharedSwpt atomic.Int64 // unix seconds of the last sweep of the shared buckets

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds a rateLimiter's map (about 100 bytes a bucket).
const maxBuckets = 100_000

// maxWait bounds a refill time (a rate near zero would overflow a Duration).
const maxWait = 100 * 365 * 24 * time.Hour

// overflowKey is the bucket keys share when the map is full (no real key starts with a space).
const overflowKey = " overflow"

func newRateLimiter(rate float64, burst int, now func() time.Time) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket. When there is none it takes nothing and returns how
// long until the bucket holds a whole token again (the refill time, exact; the caller rounds
// it up for Retry-After).
func (l *rateLimiter) allow(key string) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	now := l.now()
	if l.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if last := l.sharedSwpt.Load(); now.Unix()-last > 600 && l.sharedSwpt.CompareAndSwap(last, now.Unix()) {
			l.shared.SweepRateBuckets(ctx, now.Add(-10*time.Minute))
		}
		ok, wait, err := l.shared.TakeToken(ctx, l.name+key, l.rate, int(l.burst), now)
		if err == nil {
			return ok, min(wait, maxWait)
		}
		l.log.Warn("shared rate limit unavailable: this server's own bucket is used", "error", err.Error())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// Sweep every ten minutes, or every minute while the map is full (not on every request
	// then: a sweep walks the whole map).
	if since := now.Sub(l.swept); since > 10*time.Minute || len(l.buckets) >= maxBuckets && since > time.Minute {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			key = overflowKey
			b = l.buckets[key]
		}
		if b == nil {
			b = &bucket{tokens: l.burst, last: now}
			l.buckets[key] = b
		}
	}
	if now.After(b.last) {
		b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
		b.last = now
	}
	if b.tokens < 1 {
		wait := math.Min((1-b.tokens)/l.rate, maxWait.Seconds()) // seconds
		return false, time.Duration(math.Ceil(wait * float64(time.Second)))
	}
	b.tokens--
	return true, 0
}

// sweep forgets buckets idle for ten minutes (full again by then at any rate the server uses).
func (l *rateLimiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.last) > 10*time.Minute {
			delete(l.buckets, k)
		}
	}
	l.swept = now
}

// retryAfter is the Retry-After value for a refill time: whole seconds, rounded up, at least 1.
func retryAfter(d time.Duration) string {
	s := int64(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return fmt.Sprint(s)
}

// metrics are plain counters and gauges shown at /metrics in Prometheus' text format.
type metrics struct {
	requests, errors, authFailures, rateLimited     atomic.Int64
	blobsStored, blobsExisting, blobBytes, mismatch atomic.Int64
	manifests, commits, commitsRepeated, enrolled   atomic.Int64
	reads                                           atomic.Int64
	connsRefused, slowCut                           atomic.Int64
	inFlight, connsOpen                             atomic.Int64 // gauges
}

func (m *metrics) write(w io.Writer) {
	for _, c := range []struct {
		name, help, kind string
		v                *atomic.Int64
	}{
		{"sohoa_http_requests_total", "HTTP requests received", "counter", &m.requests},
		{"sohoa_http_errors_total", "requests answered with an error", "counter", &m.errors},
		{"sohoa_auth_failures_total", "requests refused for authentication", "counter", &m.authFailures},
		{"sohoa_rate_limited_total", "requests refused by the rate limit", "counter", &m.rateLimited},
		{"sohoa_blobs_stored_total", "blobs written", "counter", &m.blobsStored},
		{"sohoa_blobs_existing_total", "blob uploads skipped because the office held the blob", "counter", &m.blobsExisting},
		{"sohoa_blob_bytes_total", "blob bytes written", "counter", &m.blobBytes},
		{"sohoa_blob_hash_mismatch_total", "blob uploads refused for a hash mismatch", "counter", &m.mismatch},
		{"sohoa_manifests_total", "manifests accepted", "counter", &m.manifests},
		{"sohoa_batches_committed_total", "batches committed", "counter", &m.commits},
		{"sohoa_commits_repeated_total", "commits answered with an existing receipt", "counter", &m.commitsRepeated},
		{"sohoa_workstations_enrolled_total", "workstations enrolled", "counter", &m.enrolled},
		{"sohoa_read_requests_total", "requests to the read API", "counter", &m.reads},
		{"sohoa_connections_refused_total", "connections closed at once: too many from one client address", "counter", &m.connsRefused},
		{"sohoa_slow_transfers_cut_total", "requests cut for a body or answer slower than the minimum rate, or stalled", "counter", &m.slowCut},
		{"sohoa_http_requests_in_flight", "requests being handled", "gauge", &m.inFlight},
		{"sohoa_connections_open", "connections open (counted by Serve's listener)", "gauge", &m.connsOpen},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", c.name, c.help, c.name, c.kind, c.name, c.v.Load())
	}
}

// count counts every request for /metrics.
func (s *Server) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.metrics.requests.Add(1)
		s.metrics.inFlight.Add(1)
		defer s.metrics.inFlight.Add(-1)
		h.ServeHTTP(w, r)
	})
}
