package server

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// Connections and enrollment attempts are counted per IPv4 address and per IPv6 /64.
func TestAddrKey(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"10.1.2.3", "10.1.2.3"},
		{"::ffff:10.1.2.3", "10.1.2.3"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2:ffff:ffff:ffff:ffff"},
		{"::1", "::2"},
	} {
		if ka, kb := addrKey(netip.MustParseAddr(c.a)), addrKey(netip.MustParseAddr(c.b)); ka != kb {
			t.Errorf("%s and %s count apart (%v, %v)", c.a, c.b, ka, kb)
		}
	}
	for _, c := range []struct{ a, b string }{
		{"10.1.2.3", "10.1.2.4"},
		{"2001:db8:1:2::1", "2001:db8:1:3::1"},
	} {
		if addrKey(netip.MustParseAddr(c.a)) == addrKey(netip.MustParseAddr(c.b)) {
			t.Errorf("%s and %s count together", c.a, c.b)
		}
	}
	if k := addrKey(netip.MustParseAddr("2001:db8:1:2:3:4:5:6")); k.String() != "2001:db8:1:2::/64" {
		t.Errorf("IPv6 key %v", k)
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "1", time.Nanosecond: "1", time.Second: "1",
		time.Second + time.Millisecond: "2", 2500 * time.Millisecond: "3", 4 * time.Second: "4"} {
		if got := retryAfter(d); got != want {
			t.Errorf("retryAfter(%v) = %s, want %s", d, got, want)
		}
	}
	// A rate near zero gives a long wait, never an overflowed (negative) one.
	l := newRateLimiter(1e-30, 1, time.Now)
	l.allow("k")
	if ok, wait := l.allow("k"); ok || wait <= 0 {
		t.Fatalf("near-zero rate: ok=%v wait=%v", ok, wait)
	}
}

// A flood of new keys (client addresses) never grows the map past maxBuckets: new keys then
// share one overflow bucket, old keys keep theirs, and idle buckets are forgotten.
func TestRateLimiterBounded(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	l := newRateLimiter(1, 2, func() time.Time { return now })
	for i := 0; i < maxBuckets; i++ {
		l.allow(fmt.Sprint("addr-", i))
	}
	for i := 0; i < 10; i++ {
		l.allow(fmt.Sprint("new-", i))
	}
	if n := len(l.buckets); n > maxBuckets+1 {
		t.Fatalf("%d buckets, want at most %d", n, maxBuckets+1)
	}
	// The ten new keys shared the overflow bucket (burst 2): only the first two passed.
	if ok, _ := l.allow("new-x"); ok {
		t.Fatal("the overflow bucket is not shared")
	}
	if ok, _ := l.allow("addr-7"); !ok {
		t.Fatal("a known key lost its own bucket")
	}
	now = now.Add(11 * time.Minute)
	if ok, _ := l.allow("later"); !ok || len(l.buckets) != 1 {
		t.Fatalf("after ten idle minutes: ok=%v, %d buckets, want the idle ones forgotten", ok, len(l.buckets))
	}
}

// The transfer deadline: the grace period, then the minimum rate for the bytes moved, and never
// more than the stall limit from now.
func TestTransferDeadline(t *testing.T) {
	s := &Server{cfg: Config{MinTransferRate: 1000, TransferGrace: 10 * time.Second, StallTimeout: 30 * time.Second}}
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	p := &pace{start: t0}
	if d := s.deadline(p, t0, 0); !d.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("nothing moved yet: %v after start, want the grace period", d.Sub(t0))
	}
	p.n = 5000 // 5 s of credit at the minimum rate
	if d := s.deadline(p, t0.Add(time.Second), 0); !d.Equal(t0.Add(15 * time.Second)) {
		t.Errorf("5000 bytes moved: %v after start, want 15 s", d.Sub(t0))
	}
	p.n = 1_000_000 // much credit, but a stall is still cut
	if d := s.deadline(p, t0.Add(2*time.Second), 0); !d.Equal(t0.Add(32 * time.Second)) {
		t.Errorf("a fast start: %v after start, want the stall limit from now (32 s)", d.Sub(t0))
	}
	p.n = 0 // a write of 2000 bytes is allowed the time the minimum rate needs for it
	if d := s.deadline(p, t0, 2000); !d.Equal(t0.Add(12 * time.Second)) {
		t.Errorf("write of 2000 bytes: %v after start, want 12 s", d.Sub(t0))
	}
}
