package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// Transfer limits (sync/PROTOCOL.md "Timeouts and connection limits"). net/http's own
// ReadTimeout and WriteTimeout are fixed times for a whole request or answer: short enough to
// stop a slow-body attack they would cut an honest 512 MiB upload or download, long enough for
// those they stop nothing. Instead every request body and every answer must keep up a minimum
// average rate once a grace period is over, and must never stall (no byte moved) for longer
// than StallTimeout. The deadlines are set on the connection (http.ResponseController) before
// each read and write, so a cut is the kernel's timeout, not a goroutine watching.

// errSlowTransfer is what a body read returns once its deadline passed.
var errSlowTransfer = errors.New("transfer slower than the minimum rate, or stalled")

// pace is one direction of one request: when it started and the bytes moved since.
type pace struct {
	start time.Time
	n     int64
}

// deadline is when the next bytes must have moved: the minimum rate from the start (after the
// grace period) for the bytes moved so far plus more, and at most StallTimeout from now (plus
// the time the minimum rate allows for more).
func (s *Server) deadline(p *pace, now time.Time, more int64) time.Time {
	rate := float64(s.cfg.MinTransferRate)
	credit := p.start.Add(s.cfg.TransferGrace + time.Duration(float64(p.n+more)/rate*float64(time.Second)))
	stall := now.Add(s.cfg.StallTimeout + time.Duration(float64(more)/rate*float64(time.Second)))
	if stall.Before(credit) {
		return stall
	}
	return credit
}

// guardBody is a request body under the transfer limits. It is read by the handler's
// goroutine only.
type guardBody struct {
	io.ReadCloser
	s   *Server
	ctl *http.ResponseController
	p   pace
	on  bool // deadlines are set (MinTransferRate > 0)
	eof bool // read to the end: net/http reads the connection itself from then on
	cut bool // the deadline passed
}

func (b *guardBody) Read(p []byte) (int, error) {
	if b.cut {
		return 0, errSlowTransfer
	}
	if b.on && !b.eof {
		b.ctl.SetReadDeadline(b.s.deadline(&b.p, time.Now(), 0))
	}
	n, err := b.ReadCloser.Read(p)
	b.p.n += int64(n)
	switch {
	case err == io.EOF:
		b.eof = true
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		b.cut = true
		err = fmt.Errorf("%w: %w", errSlowTransfer, err)
	}
	return n, err
}

// unread says whether the client may still be sending body bytes nobody will read.
func (b *guardBody) unread() bool { return b != nil && !b.eof }

// guardWriter is the ResponseWriter under the transfer limits. It also makes every refusal
// whose body is left unread, and every 429, close its connection (Connection: close): the rest
// of such a body is not worth waiting for, and a client over its rate gets no kept-alive
// connection to send the next request on.
type guardWriter struct {
	http.ResponseWriter
	s       *Server
	ctl     *http.ResponseController
	body    *guardBody // nil: the request has no body
	p       pace
	wrote   bool
	closing bool // Connection: close was sent
	cut     bool // a write's deadline passed
}

func (w *guardWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *guardWriter) WriteHeader(code int) {
	if w.body != nil && w.body.cut {
		return // the connection is cut without an answer
	}
	if !w.wrote {
		w.wrote = true
		if code == http.StatusTooManyRequests || code >= 400 && w.body.unread() {
			w.Header().Set("Connection", "close")
			w.closing = true
		}
		w.p.start = time.Now()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *guardWriter) Write(b []byte) (int, error) {
	if w.body != nil && w.body.cut {
		return 0, errSlowTransfer
	}
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.s.cfg.MinTransferRate > 0 {
		w.ctl.SetWriteDeadline(w.s.deadline(&w.p, time.Now(), int64(len(b))))
	}
	n, err := w.ResponseWriter.Write(b)
	w.p.n += int64(n)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		w.cut = true
	}
	return n, err
}

func (w *guardWriter) Flush() {
	if w.body != nil && w.body.cut {
		return
	}
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.s.cfg.MinTransferRate > 0 {
		w.ctl.SetWriteDeadline(w.s.deadline(&w.p, time.Now(), 0))
	}
	w.ctl.Flush()
}

// refusalDrain is how long net/http may go on reading the body of a refused request, after
// the answer, before it closes the connection. An honest client has sent it by then and the
// connection closes cleanly (closing with unread bytes would make the kernel send a reset,
// which can cost the client the answer it was just sent: its Retry-After, say).
const refusalDrain = time.Second

// guard puts every request under the transfer limits.
func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctl := http.NewResponseController(w)
		limited := s.cfg.MinTransferRate > 0
		gw := &guardWriter{ResponseWriter: w, s: s, ctl: ctl}
		if limited {
			// A kept-alive connection still carries the last answer's write deadline.
			ctl.SetWriteDeadline(time.Time{})
		}
		if r.Body != nil && r.Body != http.NoBody {
			gb := &guardBody{ReadCloser: r.Body, s: s, ctl: ctl, p: pace{start: time.Now()}, on: limited}
			if limited {
				// Set now, not at the first read: a body the handler never reads is drained
				// by net/http after the answer, and that must not wait for ever either.
				ctl.SetReadDeadline(s.deadline(&gb.p, gb.p.start, 0))
			}
			// A shallow copy, as http.MaxBytesHandler does: net/http keeps looking at the
			// original request's body after the handler (to drain it or close cleanly).
			r2 := new(http.Request)
			*r2 = *r
			r2.Body = gb
			r, gw.body = r2, gb
		}
		h.ServeHTTP(gw, r)
		switch {
		case gw.body != nil && gw.body.cut:
			s.metrics.slowCut.Add(1)
			s.log.Info("request body too slow: connection cut", "client", clientKey(r), "method", r.Method, "route", r.Pattern,
				"bytes", gw.body.p.n)
			panic(http.ErrAbortHandler) // close the connection without an answer
		case gw.cut:
			s.metrics.slowCut.Add(1)
			s.log.Info("client reads the answer too slowly: connection cut", "client", clientKey(r), "method", r.Method,
				"route", r.Pattern, "bytes", gw.p.n)
		case gw.closing && gw.body.unread() && limited:
			if d := time.Now().Add(refusalDrain); d.Before(s.deadline(&gw.body.p, time.Now(), 0)) {
				ctl.SetReadDeadline(d)
			}
		case !gw.wrote && limited:
			ctl.SetWriteDeadline(time.Now().Add(s.cfg.TransferGrace + s.cfg.StallTimeout))
		}
	})
}
