package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/wire"
)

// cutPut sends a plain PUT of a blob declared as total bytes but stops after the bytes of
// sent (half-closing the connection, as a client cut off would) and returns the answer. The
// answer comes after the server has settled what it received, so the test can look at once.
func (e *env) cutPut(token, h string, sent []byte, total int) (*http.Response, []byte) {
	e.t.Helper()
	conn, err := net.Dial("tcp", e.hs.Listener.Addr().String())
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /v1/blobs/%s HTTP/1.1\r\nHost: sohoa\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", h, token, total)
	if _, err := conn.Write(sent); err != nil {
		e.t.Fatal(err)
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw
}

func (e *env) partials() int {
	e.t.Helper()
	ents, err := os.ReadDir(filepath.Join(e.dir, "uploads"))
	if err != nil {
		e.t.Fatal(err)
	}
	return len(ents)
}

func (e *env) headOffset(token, h string) (int, string) {
	e.t.Helper()
	resp, _ := e.do("HEAD", "/v1/blobs/"+h, token, nil, nil)
	return resp.StatusCode, resp.Header.Get("Upload-Offset")
}

// A plain PUT cut off half-way keeps the bytes received as the blob's partial upload: HEAD
// reports them (still 404: a partial is never a blob) and a ranged PUT finishes the blob, whose
// hash the server checks as for any upload.
func TestPlainPutCutResumes(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	ws := e.enroll("HN-01")
	data := make([]byte, 10000)
	rand.Read(data)
	h := sum(data)

	resp, raw := e.cutPut(ws.Token, h, data[:4000], len(data))
	wantError(t, resp, raw, 400, "malformed_request")
	if st, off := e.headOffset(ws.Token, h); st != 404 || off != "4000" {
		t.Fatalf("HEAD after a cut PUT: %d, Upload-Offset %q; want 404, 4000", st, off)
	}
	if ok, _ := e.blobs.Has(context.Background(), h); ok {
		t.Fatal("a partial upload was stored as a blob")
	}
	if b, tmp := e.storedFiles(); b != 0 || tmp != 0 {
		t.Fatalf("after the cut: %d blobs, %d temp files, want none", b, tmp)
	}
	// A second plain PUT cut off sooner does not shorten what is held.
	resp, raw = e.cutPut(ws.Token, h, data[:1000], len(data))
	wantError(t, resp, raw, 400, "malformed_request")
	if _, off := e.headOffset(ws.Token, h); off != "4000" {
		t.Fatalf("Upload-Offset after a shorter cut PUT: %q, want 4000", off)
	}

	resp, raw = e.do("PUT", "/v1/blobs/"+h, ws.Token, bytes.NewReader(data[4000:]),
		map[string]string{"Content-Range": fmt.Sprintf("bytes 4000-9999/%d", len(data))})
	if resp.StatusCode != 201 {
		t.Fatalf("rest of the blob: %d %s", resp.StatusCode, raw)
	}
	if st, _ := e.headOffset(ws.Token, h); st != 200 {
		t.Fatalf("HEAD after the rest: %d", st)
	}
	rc, err := e.blobs.Open(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("resumed blob differs")
	}
	if n := e.partials(); n != 0 {
		t.Fatalf("%d partial uploads left after the blob was stored", n)
	}
}

// The partial made by a cut PUT is checked like any other: wrong bytes in it end in
// hash_mismatch and nothing stored.
func TestPlainPutCutWrongBytesRefused(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	ws := e.enroll("HN-01")
	data := make([]byte, 5000)
	rand.Read(data)
	h := sum(data)
	bad := bytes.Clone(data)
	bad[10] ^= 0xff
	resp, raw := e.cutPut(ws.Token, h, bad[:3000], len(data))
	wantError(t, resp, raw, 400, "malformed_request")
	resp, raw = e.do("PUT", "/v1/blobs/"+h, ws.Token, bytes.NewReader(data[3000:]),
		map[string]string{"Content-Range": fmt.Sprintf("bytes 3000-4999/%d", len(data))})
	wantError(t, resp, raw, 400, "hash_mismatch")
	if b, _ := e.storedFiles(); b != 0 || e.partials() != 0 {
		t.Fatalf("after the mismatch: %d blobs, %d partial uploads, want none", b, e.partials())
	}
}

// Plain PUTs that end (stored, refused, or after a held partial) leave no partial upload.
func TestPlainPutLeavesNoPartial(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	ws := e.enroll("HN-01")
	data := make([]byte, 3000)
	rand.Read(data)
	h := sum(data)
	resp, raw := e.do("PUT", "/v1/blobs/"+h, ws.Token, strings.NewReader("khác"), nil)
	wantError(t, resp, raw, 400, "hash_mismatch")
	if n := e.partials(); n != 0 {
		t.Fatalf("a refused PUT left %d partial uploads", n)
	}
	e.cutPut(ws.Token, h, data[:1000], len(data))
	if n := e.partials(); n != 1 {
		t.Fatalf("%d partial uploads after a cut PUT, want 1", n)
	}
	// The client may also send the whole blob again in one PUT: stored, and the partial goes.
	resp, raw = e.do("PUT", "/v1/blobs/"+h, ws.Token, bytes.NewReader(data), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("whole PUT: %d %s", resp.StatusCode, raw)
	}
	if n := e.partials(); n != 0 {
		t.Fatalf("%d partial uploads left after the blob was stored", n)
	}
	resp, raw = e.do("PUT", "/v1/blobs/"+h, ws.Token, bytes.NewReader(data), nil)
	if resp.StatusCode != 200 || e.partials() != 0 {
		t.Fatalf("PUT of a stored blob: %d %s, %d partials", resp.StatusCode, raw, e.partials())
	}
}

// A workstation's unfinished uploads are capped (MaxPartialBytes): once its partials reach
// the cap, a plain PUT cut off keeps nothing and a new chunked upload is answered 503 with
// Retry-After; a partial it already has still resumes and, once finished, frees the room.
// Another workstation is not affected.
func TestPartialUploadsCapped(t *testing.T) {
	e := newEnv(t, sqliteBackend, func(c *server.Config) { c.MaxPartialBytes = 6000 })
	ws := e.enroll("HN-01")
	other := e.enroll("HN-01")
	blob := func() ([]byte, string) {
		d := make([]byte, 10000)
		rand.Read(d)
		return d, sum(d)
	}
	a, ha := blob()
	b, hb := blob()
	resp, raw := e.cutPut(ws.Token, ha, a[:4000], len(a))
	wantError(t, resp, raw, 400, "malformed_request")
	resp, raw = e.cutPut(ws.Token, hb, b[:3000], len(b))
	wantError(t, resp, raw, 400, "malformed_request")
	if e.partials() != 2 {
		t.Fatalf("%d partial uploads, want 2 (4000 + 3000 bytes: the cap is reached only now)", e.partials())
	}
	// Over the cap: a third cut PUT keeps nothing, a new chunked upload waits.
	c, hc := blob()
	resp, raw = e.cutPut(ws.Token, hc, c[:2000], len(c))
	wantError(t, resp, raw, 400, "malformed_request")
	if st, off := e.headOffset(ws.Token, hc); st != 404 || off != "" && off != "0" {
		t.Fatalf("a partial was kept over the cap: HEAD %d, Upload-Offset %q", st, off)
	}
	resp, raw = e.do("PUT", "/v1/blobs/"+hc, ws.Token, bytes.NewReader(c[:1000]),
		map[string]string{"Content-Range": fmt.Sprintf("bytes 0-999/%d", len(c))})
	wantError(t, resp, raw, 503, wire.CodeUnavailable)
	if ra := resp.Header.Get("Retry-After"); ra == "" {
		t.Fatal("no Retry-After on the refused chunked upload")
	}
	if !strings.Contains(string(raw), "dở dang") {
		t.Fatalf("refusal does not say why in Vietnamese: %s", raw)
	}
	if e.partials() != 2 {
		t.Fatalf("%d partial uploads after the refusals, want 2", e.partials())
	}
	// Another workstation has its own room.
	resp, raw = e.do("PUT", "/v1/blobs/"+hc, other.Token, bytes.NewReader(c[:1000]),
		map[string]string{"Content-Range": fmt.Sprintf("bytes 0-999/%d", len(c))})
	if resp.StatusCode != 202 {
		t.Fatalf("another workstation's chunked upload: %d %s", resp.StatusCode, raw)
	}
	// A held partial resumes; once stored it frees room for a new chunked upload.
	resp, raw = e.do("PUT", "/v1/blobs/"+ha, ws.Token, bytes.NewReader(a[4000:]),
		map[string]string{"Content-Range": fmt.Sprintf("bytes 4000-9999/%d", len(a))})
	if resp.StatusCode != 201 {
		t.Fatalf("resuming a held partial over the cap: %d %s", resp.StatusCode, raw)
	}
	resp, raw = e.do("PUT", "/v1/blobs/"+hc, ws.Token, bytes.NewReader(c[:1000]),
		map[string]string{"Content-Range": fmt.Sprintf("bytes 0-999/%d", len(c))})
	if resp.StatusCode != 202 {
		t.Fatalf("chunked upload after room was freed: %d %s", resp.StatusCode, raw)
	}
}
