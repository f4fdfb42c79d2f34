package server

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// rateLimiter is a token bucket per key (workstation id, or client address before
// authentication). Buckets idle for ten minutes are forgotten.
type rateLimiter struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst int, now func() time.Time) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

func (l *rateLimiter) allow(key string) bool {
	if l == nil || l.rate <= 0 {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > 10*time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.last) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens += now.Sub(b.last).Seconds() * l.rate
	if b.tokens > l.burst {
		b.tokens = l.burst
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// metrics are plain counters shown at /metrics in Prometheus' text format.
type metrics struct {
	requests, errors, authFailures, rateLimited     atomic.Int64
	blobsStored, blobsExisting, blobBytes, mismatch atomic.Int64
	manifests, commits, commitsRepeated, enrolled   atomic.Int64
	reads                                           atomic.Int64
}

func (m *metrics) write(w io.Writer) {
	for _, c := range []struct {
		name, help string
		v          *atomic.Int64
	}{
		{"sohoa_http_requests_total", "HTTP requests received", &m.requests},
		{"sohoa_http_errors_total", "requests answered with an error", &m.errors},
		{"sohoa_auth_failures_total", "requests refused for authentication", &m.authFailures},
		{"sohoa_rate_limited_total", "requests refused by the rate limit", &m.rateLimited},
		{"sohoa_blobs_stored_total", "blobs written", &m.blobsStored},
		{"sohoa_blobs_existing_total", "blob uploads skipped because the blob was stored", &m.blobsExisting},
		{"sohoa_blob_bytes_total", "blob bytes written", &m.blobBytes},
		{"sohoa_blob_hash_mismatch_total", "blob uploads refused for a hash mismatch", &m.mismatch},
		{"sohoa_manifests_total", "manifests accepted", &m.manifests},
		{"sohoa_batches_committed_total", "batches committed", &m.commits},
		{"sohoa_commits_repeated_total", "commits answered with an existing receipt", &m.commitsRepeated},
		{"sohoa_workstations_enrolled_total", "workstations enrolled", &m.enrolled},
		{"sohoa_read_requests_total", "requests to the read API", &m.reads},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", c.name, c.help, c.name, c.name, c.v.Load())
	}
}

// count counts every request for /metrics.
func (s *Server) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.metrics.requests.Add(1)
		h.ServeHTTP(w, r)
	})
}
