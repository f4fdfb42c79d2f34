// Package chaos holds the sync fault tests: a TCP proxy on loopback that drops, stalls and
// resets connections at random (seeded), a real sohoa-central process killed with SIGKILL and
// restarted, and clients cut off mid-upload.
package chaos

import (
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards TCP connections to Target and misbehaves on some of them.
type Proxy struct {
	Target string
	// Probabilities per connection (the rest pass untouched).
	Drop, Reset, Stall float64
	StallFor           time.Duration

	l       net.Listener
	mu      sync.Mutex
	rng     *rand.Rand
	enabled atomic.Bool
	wg      sync.WaitGroup
	conns   map[net.Conn]bool
	Counts  struct{ Conns, Dropped, Reset, Stalled atomic.Int64 }
}

// NewProxy listens on a loopback port.
func NewProxy(target string, seed uint64) (*Proxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{Target: target, l: l, rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), StallFor: 3 * time.Second}
	p.enabled.Store(true)
	go p.serve()
	return p, nil
}

// Addr is the proxy's address.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// SetFaults turns the faults on or off.
func (p *Proxy) SetFaults(on bool) { p.enabled.Store(on) }

// Close stops accepting and cuts every open connection.
func (p *Proxy) Close() error {
	err := p.l.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) track(c net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		p.conns = map[net.Conn]bool{}
	}
	if on {
		p.conns[c] = true
	} else {
		delete(p.conns, c)
	}
}

func (p *Proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() { defer p.wg.Done(); p.handle(c.(*net.TCPConn)) }()
	}
}

func (p *Proxy) decide() (mode int, after int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	x := p.rng.Float64()
	after = p.rng.Int64N(40000)
	if !p.enabled.Load() {
		return 0, 0
	}
	switch {
	case x < p.Drop:
		return 1, 0
	case x < p.Drop+p.Reset:
		return 2, after
	case x < p.Drop+p.Reset+p.Stall:
		return 3, after
	}
	return 0, 0
}

func (p *Proxy) handle(c *net.TCPConn) {
	p.Counts.Conns.Add(1)
	mode, after := p.decide()
	if mode == 1 {
		p.Counts.Dropped.Add(1)
		c.SetLinger(0)
		c.Close()
		return
	}
	up, err := net.DialTimeout("tcp", p.Target, 2*time.Second)
	if err != nil {
		c.SetLinger(0)
		c.Close()
		return
	}
	u := up.(*net.TCPConn)
	p.track(c, true)
	p.track(u, true)
	defer p.track(c, false)
	defer p.track(u, false)
	done := make(chan struct{}, 2)
	// client → server carries the uploads: the faults strike after `after` bytes of it.
	go func() {
		var src io.Reader = c
		if mode != 0 {
			src = io.LimitReader(c, after)
		}
		io.Copy(u, src)
		switch mode {
		case 2:
			p.Counts.Reset.Add(1)
			c.SetLinger(0)
			u.SetLinger(0)
			c.Close()
			u.Close()
		case 3:
			p.Counts.Stalled.Add(1)
			time.Sleep(p.StallFor)
			c.Close()
			u.Close()
		default:
			u.CloseWrite()
		}
		done <- struct{}{}
	}()
	go func() {
		io.Copy(c, u)
		c.CloseWrite()
		done <- struct{}{}
	}()
	<-done
	<-done
	c.Close()
	u.Close()
}
