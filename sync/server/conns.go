package server

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// addrKey is the client address that limits count: the IPv4 address, or the /64 network of an
// IPv6 address (one subscriber usually holds a whole /64, so counting single IPv6 addresses
// would limit nothing). IPv4-mapped IPv6 addresses count as IPv4.
func addrKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// remoteAddr reads the client address of a connection or request ("host:port").
func remoteAddr(s string) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// clientKey is the rate-limit key of an unauthenticated request: its addrKey.
func clientKey(r *http.Request) string {
	if a, ok := remoteAddr(r.RemoteAddr); ok {
		return addrKey(a).String()
	}
	return r.RemoteAddr
}

// connLimiter wraps the TCP listener of Serve: at most max connections at a time from one
// client address (addrKey); a connection over the cap is closed as soon as it is accepted,
// before any TLS handshake, so it costs the server nothing. Addresses inside exempt (a load
// balancer, a reverse proxy on loopback) are not counted. The map holds only addresses with an
// open connection, so it is bounded by the number of connections.
type connLimiter struct {
	net.Listener
	max    int
	exempt []netip.Prefix
	m      *metrics
	warn   func(addr netip.Prefix)

	mu     sync.Mutex
	open   map[netip.Prefix]int
	warned time.Time
}

func newConnLimiter(l net.Listener, max int, exempt []netip.Prefix, m *metrics, warn func(netip.Prefix)) *connLimiter {
	return &connLimiter{Listener: l, max: max, exempt: exempt, m: m, warn: warn, open: map[netip.Prefix]int{}}
}

func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		a, ok := remoteAddr(c.RemoteAddr().String())
		if !ok || l.max <= 0 || l.isExempt(a) {
			l.m.connsOpen.Add(1)
			return &countedConn{Conn: c, release: func() { l.m.connsOpen.Add(-1) }}, nil
		}
		key := addrKey(a)
		l.mu.Lock()
		if l.open[key] >= l.max {
			warn := time.Since(l.warned) > time.Minute
			if warn {
				l.warned = time.Now()
			}
			l.mu.Unlock()
			l.m.connsRefused.Add(1)
			c.Close()
			if warn && l.warn != nil {
				l.warn(key) // at most once a minute, so a flood does not flood the log
			}
			continue
		}
		l.open[key]++
		l.mu.Unlock()
		l.m.connsOpen.Add(1)
		return &countedConn{Conn: c, release: func() {
			l.m.connsOpen.Add(-1)
			l.mu.Lock()
			if l.open[key]--; l.open[key] <= 0 {
				delete(l.open, key)
			}
			l.mu.Unlock()
		}}, nil
	}
}

func (l *connLimiter) isExempt(a netip.Addr) bool {
	for _, p := range l.exempt {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// countedConn releases its slot once, on the first Close.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
