package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sohoa/sohoa/sync/client"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
)

// cutReader gives the server at most limit bytes of a request body, then cuts the client off
// (cancels its run) and breaks the body, as a connection lost half-way does.
type cutReader struct {
	io.ReadCloser
	limit int64
	n     int64
	cut   func()
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.n >= c.limit {
		c.cut()
		return 0, io.ErrUnexpectedEOF
	}
	p = p[:min(int64(len(p)), c.limit-c.n)]
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	return n, err
}

// A blob sent in one PUT and cut off half-way is not sent again: the restarted client asks the
// server about the first missing blob, learns how many bytes it holds and sends only the rest
// in a ranged PUT. The server counts the blob bytes it reads over both runs: exactly the
// batch's bytes.
func TestCutPlainPutResumes(t *testing.T) {
	e := newEnv(t)
	id := e.batch(synctest.BatchSpec{Documents: 2, Pages: 2, ImageSize: 64})
	ctx := context.Background()
	var (
		mu       sync.Mutex
		read     = map[string]*atomic.Int64{} // blob -> bytes the server read, over both runs
		ranges   []string                     // Content-Range of every blob PUT after the cut
		heads    atomic.Int32
		puts     atomic.Int32
		cutBlob  string
		cutSize  int64
		settled  = make(chan struct{})
		run1, cf = context.WithCancel(ctx)
	)
	defer cf()
	f := func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/v1/blobs/") {
			return false
		}
		h := strings.TrimPrefix(r.URL.Path, "/v1/blobs/")
		if r.Method == http.MethodHead {
			heads.Add(1)
			return false
		}
		if r.Method != http.MethodPut {
			return false
		}
		mu.Lock()
		// The count grows as the server reads, so it is complete once the response is out.
		seen := read[h]
		if seen == nil {
			seen = new(atomic.Int64)
			read[h] = seen
		}
		body := &countingBody{ReadCloser: r.Body, seen: seen}
		r.Body = body
		first := cutBlob == ""
		if cutBlob != "" {
			ranges = append(ranges, r.Header.Get("Content-Range"))
		}
		mu.Unlock()
		// Cut the second blob PUT half-way, so one blob of the batch is already stored.
		cut := puts.Add(1) == 2 && first
		if cut {
			mu.Lock()
			cutBlob, cutSize = h, r.ContentLength
			mu.Unlock()
			body.ReadCloser = &cutReader{ReadCloser: body.ReadCloser, limit: r.ContentLength / 2, cut: cf}
		}
		e.srv.Handler().ServeHTTP(w, r)
		if cut {
			close(settled)
		}
		return true
	}
	e.fault.Store(&f)

	if _, err := e.c.RunOnce(run1); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v, want it cut off", err)
	}
	<-settled
	mu.Lock()
	half := cutSize / 2
	readCut := read[cutBlob].Load()
	var before int64
	for _, n := range read {
		before += n.Load()
	}
	mu.Unlock()
	if readCut != half || half == 0 {
		t.Fatalf("the server read %d bytes of the cut blob, want %d", readCut, half)
	}
	heads.Store(0)

	again, err := client.FromStore(ctx, e.ws.Store, e.ws.Supervisor)
	if err != nil {
		t.Fatal(err)
	}
	var final client.Progress
	again.Progress = func(p client.Progress) { final = p }
	if sum, err := again.RunOnce(ctx); err != nil || sum.Done != 1 {
		t.Fatalf("second run: %+v %v", sum, err)
	}
	e.checkCommitted(id)

	var total, got int64
	raw, _, _ := e.ws.Store.BatchManifest(ctx, id)
	m, _, _ := wire.DecodeManifest(bytes.NewReader(raw))
	for _, h := range m.Blobs() {
		data, err := e.ws.Store.Blobs.Get(h)
		if err != nil {
			t.Fatal(err)
		}
		total += int64(len(data))
	}
	mu.Lock()
	defer mu.Unlock()
	for _, n := range read {
		got += n.Load()
	}
	if got != total {
		t.Fatalf("the server read %d blob bytes over both runs, want the batch's %d (%d re-sent)", got, total, got-total)
	}
	if n := read[cutBlob].Load(); n != cutSize {
		t.Fatalf("the server read %d bytes of the cut blob, want its %d once", n, cutSize)
	}
	if want := fmt.Sprintf("bytes %d-%d/%d", half, cutSize-1, cutSize); len(ranges) == 0 || ranges[0] != want {
		t.Fatalf("the first PUT after the cut had Content-Range %q, want %q", ranges, want)
	}
	for _, cr := range ranges[1:] {
		if cr != "" {
			t.Fatalf("a later small blob went as a ranged PUT (%q)", cr)
		}
	}
	if heads.Load() != 1 {
		t.Fatalf("%d HEAD requests in the second run, want 1 (the first missing blob)", heads.Load())
	}
	if final.BytesSent != total-before {
		t.Fatalf("the second run reports %d bytes sent, want %d", final.BytesSent, total-before)
	}
}
