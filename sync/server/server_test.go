package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/store/pgtest"
	"github.com/sohoa/sohoa/sync/wire"
)

var (
	cluster    *pgtest.Cluster
	clusterErr error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if cluster != nil {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop PostgreSQL:", err)
		}
	}
	os.Exit(code)
}

var fixedNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// testMetricsToken is the metrics token of the test servers.
const testMetricsToken = "metrics-token-for-tests-0123456789"

type env struct {
	t      testing.TB
	dir    string
	st     store.Store
	blobs  *store.LocalBlobs
	srv    *server.Server
	hs     *httptest.Server // nil for a live env
	url    string           // base URL of the server
	client *http.Client     // talks to it (over TLS for a live env)
}

type backend func(t testing.TB, dir string) store.Store

func sqliteBackend(t testing.TB, dir string) store.Store {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func pgBackend(t testing.TB, _ string) store.Store {
	if cluster == nil && clusterErr == nil {
		cluster, clusterErr = pgtest.Start(context.Background())
	}
	if clusterErr != nil {
		if testing.Short() {
			t.Skipf("-short: PostgreSQL not available: %v", clusterErr)
		}
		t.Fatalf("PostgreSQL tests need a local PostgreSQL server: %v", clusterErr)
	}
	dsn, err := cluster.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func newEnv(t testing.TB, open backend, mod func(*server.Config)) *env {
	t.Helper()
	dir := t.TempDir()
	st := open(t, dir)
	blobs, err := store.NewLocalBlobs(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := server.LoadOrCreateReceiptKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{DataDir: dir, Store: st, Blobs: blobs, Key: key, Now: func() time.Time { return fixedNow },
		Logger: slog.New(slog.DiscardHandler), MetricsToken: testMetricsToken}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); st.Close() })
	return &env{t: t, dir: dir, st: st, blobs: blobs, srv: srv, hs: hs, url: hs.URL, client: http.DefaultClient}
}

// enroll makes a code for office and exchanges it over HTTP for a token.
func (e *env) enroll(office string) wire.EnrollAnswer {
	e.t.Helper()
	code, err := server.NewEnrollCode(context.Background(), e.st, office, time.Hour, fixedNow)
	if err != nil {
		e.t.Fatal(err)
	}
	// Codes are accepted without dashes and in lower case too.
	body := fmt.Sprintf(`{"code":%q,"name":"Máy trạm 1"}`, strings.ToLower(strings.ReplaceAll(code, "-", "")))
	resp, raw := e.do("POST", "/v1/enroll", "", strings.NewReader(body), nil)
	if resp.StatusCode != 201 {
		e.t.Fatalf("enroll: %d %s", resp.StatusCode, raw)
	}
	var a wire.EnrollAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) do(method, path, token string, body io.Reader, hdr map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw
}

// wantError checks a refusal: status, JSON error code, both messages present.
func wantError(t *testing.T, resp *http.Response, raw []byte, status int, code string) *wire.Error {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, raw)
	}
	var e wire.Error
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("error body is not JSON: %q", raw)
	}
	if e.Code != code || e.MessageVI == "" || e.MessageEN == "" {
		t.Fatalf("error = %+v, want code %q with vi and en messages", e, code)
	}
	return &e
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

type fixture struct {
	id       string
	manifest []byte
	blobs    map[string][]byte
}

// makeBatch builds a manifest of n documents, two pages each, with random content.
func makeBatch(t testing.TB, ws wire.EnrollAnswer, seq int64, n int) fixture {
	f := fixture{id: fmt.Sprintf("01934b2c-0000-7000-8000-%012d", seq), blobs: map[string][]byte{}}
	m := wire.Manifest{Version: 1, BatchID: f.id, WorkstationID: ws.WorkstationID, Office: ws.Office, Seq: seq,
		RecordType: "khai-sinh", CreatedAt: fixedNow}
	rnd := func(size int) []byte {
		b := make([]byte, size)
		rand.Read(b)
		return b
	}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("doc-%d", i)
		pdf := recordPDF(t, recordJSON(t, f.id, id, ws.Office, m.RecordType, []kv{{"ho_ten", fmt.Sprintf("Người Thử %d", i)}}), 8)
		f.blobs[sum(pdf)] = pdf
		d := wire.Document{ID: id, PDFSHA256: sum(pdf), PDFSize: int64(len(pdf))}
		for j := 0; j < 2; j++ {
			p := rnd(3000 + j)
			f.blobs[sum(p)] = p
			d.Pages = append(d.Pages, wire.Page{SHA256: sum(p), Size: int64(len(p))})
		}
		m.Documents = append(m.Documents, d)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	f.manifest = raw
	return f
}

func (e *env) putManifest(tok string, f fixture) wire.ManifestAnswer {
	e.t.Helper()
	resp, raw := e.do("PUT", "/v1/batches/"+f.id, tok, bytes.NewReader(f.manifest), nil)
	if resp.StatusCode != 200 {
		e.t.Fatalf("put manifest: %d %s", resp.StatusCode, raw)
	}
	var a wire.ManifestAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) uploadAll(tok string, f fixture, names []string) {
	e.t.Helper()
	for _, h := range names {
		resp, raw := e.do("PUT", "/v1/blobs/"+h, tok, bytes.NewReader(f.blobs[h]), nil)
		if resp.StatusCode != 201 {
			e.t.Fatalf("put blob: %d %s", resp.StatusCode, raw)
		}
	}
}

func (e *env) storedFiles() (blobs, temps int) {
	e.t.Helper()
	b, tmp, err := e.blobs.CountFiles()
	if err != nil {
		e.t.Fatal(err)
	}
	return b, tmp
}

func TestSyncSQLite(t *testing.T)   { testSync(t, sqliteBackend) }
func TestSyncPostgres(t *testing.T) { testSync(t, pgBackend) }

// testSync runs the whole protocol: enroll, manifest, blobs, commit twice, receipt check.
func testSync(t *testing.T, open backend) {
	e := newEnv(t, open, nil)
	ws := e.enroll("HN-01")
	if ws.Office != "HN-01" || !strings.HasPrefix(ws.WorkstationID, "ws-") || ws.Token == "" {
		t.Fatalf("enroll answer = %+v", ws)
	}
	f := makeBatch(t, ws, 1, 3)
	a := e.putManifest(ws.Token, f)
	if len(a.Missing) != 9 || a.Committed {
		t.Fatalf("first manifest answer: %d missing (want 9), committed=%v", len(a.Missing), a.Committed)
	}
	// Commit before the blobs are there: refused, listing what is missing.
	resp, raw := e.do("POST", "/v1/batches/"+f.id+"/commit", ws.Token, nil, nil)
	if er := wantError(t, resp, raw, 409, wire.CodeMissingBlobs); len(er.Missing) != 9 || er.IsPermanent() {
		t.Fatalf("missing list %d, permanent=%v", len(er.Missing), er.IsPermanent())
	}
	e.uploadAll(ws.Token, f, a.Missing[:4])
	// Resent manifest (as after a crash) lists only what is still missing.
	if a2 := e.putManifest(ws.Token, f); len(a2.Missing) != 5 {
		t.Fatalf("after 4 uploads: %d missing, want 5", len(a2.Missing))
	}
	e.uploadAll(ws.Token, f, a.Missing[4:])
	// An upload of a blob already held is answered 200 without storing again.
	resp, raw = e.do("PUT", "/v1/blobs/"+a.Missing[0], ws.Token, bytes.NewReader(f.blobs[a.Missing[0]]), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("re-upload: %d %s", resp.StatusCode, raw)
	}
	resp, _ = e.do("HEAD", "/v1/blobs/"+a.Missing[0], ws.Token, nil, nil)
	if resp.StatusCode != 200 || resp.ContentLength != int64(len(f.blobs[a.Missing[0]])) {
		t.Fatalf("HEAD stored blob: %d length %d", resp.StatusCode, resp.ContentLength)
	}
	resp, raw = e.do("POST", "/v1/batches/"+f.id+"/commit", ws.Token, nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("commit: %d %s", resp.StatusCode, raw)
	}
	pub, _ := base64.StdEncoding.DecodeString(ws.ReceiptKey)
	rc, err := wire.VerifyReceipt(ed25519.PublicKey(pub), raw)
	if err != nil {
		t.Fatal(err)
	}
	if rc.BatchID != f.id || rc.WorkstationID != ws.WorkstationID || rc.Office != "HN-01" || rc.Seq != 1 ||
		rc.Documents != 3 || rc.Blobs != 9 || rc.ManifestSHA256 != sum(f.manifest) || !rc.CommittedAt.Equal(fixedNow) {
		t.Fatalf("receipt = %+v", rc)
	}
	resp, raw2 := e.do("POST", "/v1/batches/"+f.id+"/commit", ws.Token, nil, nil)
	if resp.StatusCode != 200 || !bytes.Equal(raw, raw2) {
		t.Fatalf("second commit: %d, same bytes=%v", resp.StatusCode, bytes.Equal(raw, raw2))
	}
	// A tampered receipt does not verify; nor does one checked with another key.
	bad := bytes.Replace(raw, []byte(`"documents":3`), []byte(`"documents":4`), 1)
	if bytes.Equal(bad, raw) {
		t.Fatal("tamper did not change the receipt")
	}
	if _, err := wire.VerifyReceipt(ed25519.PublicKey(pub), bad); err == nil {
		t.Fatal("tampered receipt verified")
	}
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := wire.VerifyReceipt(other, raw); err == nil {
		t.Fatal("receipt verified with another key")
	}
	docs, err := e.st.Documents(context.Background(), f.id)
	if err != nil || len(docs) != 3 {
		t.Fatalf("documents stored: %d (%v), want 3", len(docs), err)
	}
	w, _ := e.st.Workstation(context.Background(), ws.WorkstationID)
	if w.AckedSeq != 1 {
		t.Fatalf("acked seq = %d", w.AckedSeq)
	}
	// The same manifest after commit says committed; a changed one is refused.
	if a3 := e.putManifest(ws.Token, f); !a3.Committed || len(a3.Missing) != 0 {
		t.Fatalf("manifest after commit: %+v", a3)
	}
	f2 := makeBatch(t, ws, 1, 1)
	resp, raw = e.do("PUT", "/v1/batches/"+f.id, ws.Token, bytes.NewReader(f2.manifest), nil)
	wantError(t, resp, raw, 409, "batch_conflict")
	if n, _ := e.storedFiles(); n != 9 {
		t.Fatalf("%d blobs on disk, want 9", n)
	}
	resp, raw = e.do("GET", "/metrics", testMetricsToken, nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("metrics: %d %s", resp.StatusCode, raw)
	}
	for _, want := range []string{"sohoa_batches_committed_total 1\n", "sohoa_commits_repeated_total 1\n", "sohoa_blobs_stored_total 9\n", "sohoa_blobs_existing_total 1\n"} {
		if !strings.Contains(string(raw), want) {
			t.Fatalf("metrics lack %q:\n%s", want, raw)
		}
	}
}

func TestConcurrentCommitsSQLite(t *testing.T)   { testConcurrentCommits(t, sqliteBackend) }
func TestConcurrentCommitsPostgres(t *testing.T) { testConcurrentCommits(t, pgBackend) }

// testConcurrentCommits sends six commits of one batch at once: one receipt, stored once. The
// clock ticks on every reading, so each racing commit signs a different receipt.
func testConcurrentCommits(t *testing.T, open backend) {
	var tick atomic.Int64
	e := newEnv(t, open, func(c *server.Config) {
		c.Now = func() time.Time { return fixedNow.Add(time.Duration(tick.Add(1)) * time.Second) }
	})
	ws := e.enroll("HN-01")
	f := makeBatch(t, ws, 5, 2)
	e.uploadAll(ws.Token, f, e.putManifest(ws.Token, f).Missing)
	var wg sync.WaitGroup
	out := make([][]byte, 6)
	for i := range out {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest("POST", e.hs.URL+"/v1/batches/"+f.id+"/commit", nil)
			req.Header.Set("Authorization", "Bearer "+ws.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			out[i], _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		}(i)
	}
	wg.Wait()
	for i := range out {
		if !bytes.Equal(out[i], out[0]) || len(out[i]) == 0 {
			t.Fatalf("commit %d answered %q, commit 0 %q", i, out[i], out[0])
		}
	}
	if docs, _ := e.st.Documents(context.Background(), f.id); len(docs) != 2 {
		t.Fatalf("%d documents, want 2", len(docs))
	}
}

func TestBlobHashMismatchStoresNothing(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	ws := e.enroll("HN-01")
	good := []byte("trang 1")
	resp, raw := e.do("PUT", "/v1/blobs/"+sum(good), ws.Token, strings.NewReader("trang 2"), nil)
	wantError(t, resp, raw, 400, "hash_mismatch")
	if b, tmp := e.storedFiles(); b != 0 || tmp != 0 {
		t.Fatalf("after mismatch: %d blobs, %d temp files, want none", b, tmp)
	}
	resp, _ = e.do("HEAD", "/v1/blobs/"+sum(good), ws.Token, nil, nil)
	if resp.StatusCode != 404 {
		t.Fatalf("HEAD after mismatch: %d", resp.StatusCode)
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t, sqliteBackend, func(c *server.Config) { c.MaxBlobSize = 1000 })
	ws := e.enroll("HN-01")
	other := e.enroll("HCM-02")
	revoked := e.enroll("HN-01")
	if err := e.st.Revoke(context.Background(), revoked.WorkstationID, fixedNow); err != nil {
		t.Fatal(err)
	}
	f := makeBatch(t, ws, 1, 1)
	fOther := makeBatch(t, other, 2, 1)
	wrongOffice := bytes.Replace(f.manifest, []byte(`"office":"HN-01"`), []byte(`"office":"HCM-02"`), 1)
	big := bytes.Repeat([]byte("x"), 1001)
	huge := bytes.Repeat([]byte(" "), wire.MaxManifestBytes+10)
	cases := []struct {
		name, method, path, token string
		body                      []byte
		hdr                       map[string]string
		status                    int
		code                      string
	}{
		{"no token", "PUT", "/v1/blobs/" + sum([]byte("a")), "", []byte("a"), nil, 401, "unauthorized"},
		{"unknown token", "PUT", "/v1/blobs/" + sum([]byte("a")), "sohoa_nope", []byte("a"), nil, 401, "unauthorized"},
		{"revoked", "PUT", "/v1/blobs/" + sum([]byte("a")), revoked.Token, []byte("a"), nil, 403, "workstation_revoked"},
		{"revoked manifest", "PUT", "/v1/batches/" + f.id, revoked.Token, f.manifest, nil, 403, "workstation_revoked"},
		{"wrong office", "PUT", "/v1/batches/" + f.id, ws.Token, wrongOffice, nil, 403, "wrong_office"},
		{"other's manifest", "PUT", "/v1/batches/" + fOther.id, ws.Token, fOther.manifest, nil, 403, "wrong_workstation"},
		{"oversized blob", "PUT", "/v1/blobs/" + sum(big), ws.Token, big, nil, 413, "too_large"},
		{"oversized chunked", "PUT", "/v1/blobs/" + sum(big), ws.Token, big, map[string]string{"Content-Range": "bytes 0-1000/1001"}, 413, "too_large"},
		{"oversized manifest", "PUT", "/v1/batches/" + f.id, ws.Token, huge, nil, 413, "too_large"},
		{"malformed manifest", "PUT", "/v1/batches/" + f.id, ws.Token, []byte(`{"version":1,`), nil, 400, "bad_manifest"},
		{"unknown field", "PUT", "/v1/batches/" + f.id, ws.Token, bytes.Replace(f.manifest, []byte(`{`), []byte(`{"x":1,`), 1), nil, 400, "bad_manifest"},
		{"malformed enroll", "POST", "/v1/enroll", "", []byte(`{"code":`), nil, 400, "malformed_request"},
		{"bad code", "POST", "/v1/enroll", "", []byte(`{"code":"AAAA-BBBB-CCCC-DDDD"}`), nil, 403, "enroll_code_invalid"},
		{"traversal", "PUT", "/v1/blobs/..%2F..%2F..%2Fetc%2Fpasswd", ws.Token, []byte("a"), nil, 400, "bad_blob_name"},
		{"traversal 64", "PUT", "/v1/blobs/" + "..%2F" + strings.Repeat("a", 59), ws.Token, []byte("a"), nil, 400, "bad_blob_name"},
		{"upper case", "PUT", "/v1/blobs/" + strings.ToUpper(sum([]byte("a"))), ws.Token, []byte("a"), nil, 400, "bad_blob_name"},
		{"bad batch id", "PUT", "/v1/batches/..%2Fx", ws.Token, f.manifest, nil, 400, "bad_batch_id"},
		{"path mismatch", "PUT", "/v1/batches/" + fOther.id, other.Token, f.manifest, nil, 400, "malformed_request"},
		{"commit unknown", "POST", "/v1/batches/" + f.id + "/commit", ws.Token, nil, nil, 404, "batch_unknown"},
		{"bad range", "PUT", "/v1/blobs/" + sum([]byte("a")), ws.Token, []byte("a"), map[string]string{"Content-Range": "bytes 5-1/3"}, 400, "bad_content_range"},
		{"unknown route", "GET", "/v1/nothing", ws.Token, nil, nil, 404, "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body io.Reader
			if c.body != nil {
				body = bytes.NewReader(c.body)
			}
			resp, raw := e.do(c.method, c.path, c.token, body, c.hdr)
			wantError(t, resp, raw, c.status, c.code)
		})
	}
	if b, tmp := e.storedFiles(); b != 0 || tmp != 0 {
		t.Fatalf("refused requests stored %d blobs, %d temp files", b, tmp)
	}
	if ents, _ := os.ReadDir(filepath.Join(e.dir, "uploads")); len(ents) != 0 {
		t.Fatalf("refused requests left %d partial uploads", len(ents))
	}
	for _, id := range []string{f.id, fOther.id} {
		if _, err := e.st.Batch(context.Background(), id); err == nil {
			t.Fatalf("a refused manifest was stored (%s)", id)
		}
	}
	if _, err := os.Stat("/etc/passwd"); err != nil {
		t.Fatal(err)
	}
}

func TestCommitRefusesDamagedBlob(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	ws := e.enroll("HN-01")
	f := makeBatch(t, ws, 1, 1)
	missing := e.putManifest(ws.Token, f).Missing
	e.uploadAll(ws.Token, f, missing)
	// Damage a page on the server's disk (as a bad disk would).
	page := missing[len(missing)-1]
	if err := os.WriteFile(filepath.Join(e.dir, "blobs", page[:2], page), []byte("hỏng"), 0o600); err != nil {
		t.Fatal(err)
	}
	resp, raw := e.do("POST", "/v1/batches/"+f.id+"/commit", ws.Token, nil, nil)
	wantError(t, resp, raw, 422, "verification_failed")
	if b, _ := e.st.Batch(context.Background(), f.id); b.Committed {
		t.Fatal("batch committed despite a damaged blob")
	}
}

func TestOtherWorkstationCannotCommit(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	a, b := e.enroll("HN-01"), e.enroll("HN-01")
	f := makeBatch(t, a, 1, 1)
	e.uploadAll(a.Token, f, e.putManifest(a.Token, f).Missing)
	resp, raw := e.do("POST", "/v1/batches/"+f.id+"/commit", b.Token, nil, nil)
	wantError(t, resp, raw, 403, "wrong_workstation")
	if bt, _ := e.st.Batch(context.Background(), f.id); bt.Committed {
		t.Fatal("committed by another workstation")
	}
}

func TestEnrollCodeOneTime(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	code, err := server.NewEnrollCode(context.Background(), e.st, "HN-01", time.Hour, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf(`{"code":%q}`, code)
	resp, raw := e.do("POST", "/v1/enroll", "", strings.NewReader(body), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("%d %s", resp.StatusCode, raw)
	}
	resp, raw = e.do("POST", "/v1/enroll", "", strings.NewReader(body), nil)
	wantError(t, resp, raw, 403, "enroll_code_invalid")
	if _, err := server.NewEnrollCode(context.Background(), e.st, "../x", time.Hour, fixedNow); err == nil {
		t.Fatal("bad office code accepted")
	}
}

func TestResumableUpload(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	ws := e.enroll("HN-01")
	data := make([]byte, 10000)
	rand.Read(data)
	h := sum(data)
	put := func(from, to int, total int) (*http.Response, []byte) {
		return e.do("PUT", "/v1/blobs/"+h, ws.Token, bytes.NewReader(data[from:to]),
			map[string]string{"Content-Range": fmt.Sprintf("bytes %d-%d/%d", from, to-1, total)})
	}
	resp, raw := put(0, 4000, len(data))
	if resp.StatusCode != 202 || resp.Header.Get("Upload-Offset") != "4000" {
		t.Fatalf("first chunk: %d offset %q %s", resp.StatusCode, resp.Header.Get("Upload-Offset"), raw)
	}
	resp, _ = e.do("HEAD", "/v1/blobs/"+h, ws.Token, nil, nil)
	if resp.StatusCode != 404 || resp.Header.Get("Upload-Offset") != "4000" {
		t.Fatalf("HEAD partial: %d offset %q", resp.StatusCode, resp.Header.Get("Upload-Offset"))
	}
	// A chunk at the wrong offset is refused and tells where to resume.
	resp, raw = put(5000, 6000, len(data))
	wantError(t, resp, raw, 409, wire.CodeUploadOffset)
	if resp.Header.Get("Upload-Offset") != "4000" {
		t.Fatalf("offset hint %q", resp.Header.Get("Upload-Offset"))
	}
	resp, raw = put(4000, len(data), len(data))
	if resp.StatusCode != 201 {
		t.Fatalf("last chunk: %d %s", resp.StatusCode, raw)
	}
	resp, _ = e.do("HEAD", "/v1/blobs/"+h, ws.Token, nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("HEAD after resume: %d", resp.StatusCode)
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
	// A resumable upload whose bytes do not match: refused, partial file removed.
	bad := sum([]byte("other"))
	resp, raw = e.do("PUT", "/v1/blobs/"+bad, ws.Token, bytes.NewReader(data[:100]), map[string]string{"Content-Range": "bytes 0-99/100"})
	wantError(t, resp, raw, 400, "hash_mismatch")
	if ents, _ := os.ReadDir(filepath.Join(e.dir, "uploads")); len(ents) != 0 {
		t.Fatalf("%d partial uploads left", len(ents))
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, sqliteBackend, func(c *server.Config) { c.Rate = 1e-9; c.Burst = 3 })
	ws := e.enroll("HN-01")
	h := sum([]byte("x"))
	for i := 0; i < 3; i++ {
		if resp, raw := e.do("HEAD", "/v1/blobs/"+h, ws.Token, nil, nil); resp.StatusCode != 404 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, raw)
		}
	}
	resp, raw := e.do("PUT", "/v1/blobs/"+h, ws.Token, strings.NewReader("x"), nil)
	wantError(t, resp, raw, 429, wire.CodeRateLimited)
	if resp.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	// Another workstation has its own bucket.
	ws2 := e.enroll("HN-01")
	if resp, _ := e.do("HEAD", "/v1/blobs/"+h, ws2.Token, nil, nil); resp.StatusCode != 404 {
		t.Fatalf("other workstation limited: %d", resp.StatusCode)
	}
	// Enrollment attempts are limited per client address.
	for i := 0; ; i++ {
		resp, raw := e.do("POST", "/v1/enroll", "", strings.NewReader(`{"code":"AAAA-AAAA-AAAA-AAAA"}`), nil)
		if resp.StatusCode == 429 {
			break
		}
		wantError(t, resp, raw, 403, "enroll_code_invalid")
		if i > 10 {
			t.Fatal("enrollment guesses are not rate limited")
		}
	}
}

func TestHealthzAndInfo(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	resp, raw := e.do("GET", "/healthz", "", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(raw), `"ok"`) {
		t.Fatalf("healthz: %d %s", resp.StatusCode, raw)
	}
	resp, raw = e.do("GET", "/v1/info", "", nil, nil)
	var info server.Info
	if err := json.Unmarshal(raw, &info); err != nil || resp.StatusCode != 200 || info.Protocol != 1 ||
		info.ReceiptKey != base64.StdEncoding.EncodeToString(e.srv.PublicKey()) {
		t.Fatalf("info: %d %s", resp.StatusCode, raw)
	}
}

func TestStaleUploadsPruned(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	up := filepath.Join(e.dir, "uploads")
	old, fresh := filepath.Join(up, "ws-x."+sum([]byte("a"))), filepath.Join(up, "ws-x."+sum([]byte("b")))
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("part"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.Chtimes(old, fixedNow.Add(-8*24*time.Hour), fixedNow.Add(-8*24*time.Hour))
	os.Chtimes(fresh, fixedNow.Add(-time.Hour), fixedNow.Add(-time.Hour))
	key, _ := server.LoadOrCreateReceiptKey(e.dir)
	if _, err := server.New(server.Config{DataDir: e.dir, Store: e.st, Blobs: e.blobs, Key: key, Now: func() time.Time { return fixedNow }}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatal("stale partial upload kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatal("fresh partial upload removed")
	}
}

func TestOutOfOrderSQLite(t *testing.T)   { testOutOfOrder(t, sqliteBackend) }
func TestOutOfOrderPostgres(t *testing.T) { testOutOfOrder(t, pgBackend) }

// testOutOfOrder commits sequence 3, then 1, then 3 again, then 2: each batch is stored once and
// the acknowledged sequence is the highest.
func testOutOfOrder(t *testing.T, open backend) {
	e := newEnv(t, open, nil)
	ws := e.enroll("HN-01")
	fs := map[int64]fixture{}
	for seq := int64(1); seq <= 3; seq++ {
		fs[seq] = makeBatch(t, ws, seq, 1)
		e.uploadAll(ws.Token, fs[seq], e.putManifest(ws.Token, fs[seq]).Missing)
	}
	receipts := map[int64][]byte{}
	for _, seq := range []int64{3, 1, 3, 2} {
		resp, raw := e.do("POST", "/v1/batches/"+fs[seq].id+"/commit", ws.Token, nil, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("commit %d: %d %s", seq, resp.StatusCode, raw)
		}
		if prev, ok := receipts[seq]; ok && !bytes.Equal(prev, raw) {
			t.Fatalf("seq %d: second receipt differs", seq)
		}
		receipts[seq] = raw
	}
	w, err := e.st.Workstation(context.Background(), ws.WorkstationID)
	if err != nil || w.AckedSeq != 3 {
		t.Fatalf("acked seq %d (%v), want 3", w.AckedSeq, err)
	}
	for seq, f := range fs {
		if d, err := e.st.Documents(context.Background(), f.id); err != nil || len(d) != 1 {
			t.Fatalf("seq %d: %d documents (%v)", seq, len(d), err)
		}
	}
}
