package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/wire"
)

// readerToken makes a read-only credential as `sohoa-central reader-token` does.
func (e *env) readerToken(name string) (id, token string) {
	e.t.Helper()
	id, token, err := server.NewReaderToken(context.Background(), e.st, name, "", fixedNow)
	if err != nil {
		e.t.Fatal(err)
	}
	return id, token
}

// readerToken2 makes a reader limited to offices and record types.
func (e *env) readerToken2(t *testing.T, name string, offices, recordTypes []string) (id, token string) {
	t.Helper()
	id, token, err := server.NewScopedReaderToken(context.Background(), e.st, name, offices, recordTypes, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	return id, token
}

// syncBatch uploads and commits a batch through the workstation API.
func (e *env) syncBatch(tok string, f fixture) {
	e.t.Helper()
	e.uploadAll(tok, f, e.putManifest(tok, f).Missing)
	if resp, raw := e.do("POST", "/v1/batches/"+f.id+"/commit", tok, nil, nil); resp.StatusCode != 200 {
		e.t.Fatalf("commit: %d %s", resp.StatusCode, raw)
	}
}

func getJSON[T any](t *testing.T, e *env, path, tok string) T {
	t.Helper()
	resp, raw := e.do("GET", path, tok, nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, raw)
	}
	return v
}

func TestReadAPISQLite(t *testing.T)   { testReadAPI(t, sqliteBackend) }
func TestReadAPIPostgres(t *testing.T) { testReadAPI(t, pgBackend) }

// testReadAPI commits batches from two offices with a ticking clock, then reads them back
// through every read endpoint with a reader token.
func testReadAPI(t *testing.T, open backend) {
	var tick atomic.Int64
	e := newEnv(t, open, func(c *server.Config) {
		c.Now = func() time.Time { return fixedNow.Add(time.Duration(tick.Add(1)) * time.Minute) }
	})
	hn, hcm := e.enroll("HN-01"), e.enroll("HCM-02")
	fs := []fixture{makeBatch(t, hn, 1, 2), makeBatch(t, hcm, 2, 3), makeBatch(t, hn, 3, 1)}
	for _, f := range fs {
		e.syncBatch(map[bool]string{true: hn.Token, false: hcm.Token}[f.id != fs[1].id], f)
	}
	pending := makeBatch(t, hn, 4, 1)
	e.putManifest(hn.Token, pending)
	_, rt := e.readerToken("Cổng dữ liệu tỉnh")

	// List: newest first, the pending batch never shown, paged with after=.
	list := getJSON[server.ReadBatchList](t, e, "/v1/read/batches", rt)
	if len(list.Batches) != 3 || list.Next != "" || list.Batches[0].ID != fs[2].id || list.Batches[2].ID != fs[0].id {
		t.Fatalf("list = %+v", list)
	}
	if b := list.Batches[1]; b.Office != "HCM-02" || b.RecordType != "khai-sinh" || b.Documents != 3 || b.Seq != 2 || b.WorkstationID != hcm.WorkstationID {
		t.Fatalf("batch summary = %+v", b)
	}
	p1 := getJSON[server.ReadBatchList](t, e, "/v1/read/batches?limit=2", rt)
	if len(p1.Batches) != 2 || p1.Next != fs[1].id {
		t.Fatalf("page 1 = %+v", p1)
	}
	p2 := getJSON[server.ReadBatchList](t, e, "/v1/read/batches?limit=2&after="+p1.Next, rt)
	if len(p2.Batches) != 1 || p2.Batches[0].ID != fs[0].id || p2.Next != "" {
		t.Fatalf("page 2 = %+v", p2)
	}
	if l := getJSON[server.ReadBatchList](t, e, "/v1/read/batches?office=HN-01&record_type=khai-sinh", rt); len(l.Batches) != 2 {
		t.Fatalf("office filter: %+v", l)
	}
	// The clock ticks a minute on every reading, so every batch has its own commit time: select the middle one.
	mid := list.Batches[1].CommittedAt
	from, to := mid.Format(time.RFC3339), mid.Add(time.Second).Format(time.RFC3339)
	if l := getJSON[server.ReadBatchList](t, e, "/v1/read/batches?from="+from+"&to="+to, rt); len(l.Batches) != 1 || l.Batches[0].ID != fs[1].id {
		t.Fatalf("time filter %s..%s: %+v", from, to, l)
	}
	if l := getJSON[server.ReadBatchList](t, e, "/v1/read/batches?to="+fixedNow.Format(time.DateOnly), rt); len(l.Batches) != 3 {
		t.Fatalf("to=<date> covers that whole day: %d batches", len(l.Batches))
	}

	// One batch: documents, receipt and manifest as stored.
	d := getJSON[server.ReadBatchDetail](t, e, "/v1/read/batches/"+fs[1].id, rt)
	if d.ID != fs[1].id || len(d.DocumentList) != 3 || !bytes.Equal(d.Manifest, fs[1].manifest) {
		t.Fatalf("detail = %+v", d.ReadBatch)
	}
	rc, err := wire.VerifyReceipt(e.srv.PublicKey(), d.Receipt)
	if err != nil || rc.BatchID != fs[1].id || rc.Documents != 3 {
		t.Fatalf("receipt in the detail: %+v %v", rc, err)
	}
	doc := d.DocumentList[0]
	if doc.ID != "doc-0" || len(doc.Pages) != 2 || doc.PDF != "/v1/read/documents/"+fs[1].id+"/doc-0/pdf" {
		t.Fatalf("document = %+v", doc)
	}

	// The PDF: the exact signed bytes, as application/pdf.
	resp, raw := e.do("GET", doc.PDF, rt, nil, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.Equal(raw, fs[1].blobs[doc.PDFSHA256]) ||
		resp.Header.Get("ETag") != `"`+doc.PDFSHA256+`"` {
		t.Fatalf("PDF: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(raw))
	}
	resp, raw = e.do("GET", doc.PDF, rt, nil, map[string]string{"Range": "bytes=0-7"})
	if resp.StatusCode != 206 || string(raw) != "%PDF-1.7" {
		t.Fatalf("PDF range: %d %q", resp.StatusCode, raw)
	}

	// Search: newest first over ids, office and record type, paged.
	s := getJSON[server.ReadSearch](t, e, "/v1/read/search?q=hcm", rt)
	if len(s.Results) != 3 || s.Results[0].BatchID != fs[1].id || s.Results[0].DocumentID != "doc-2" || s.Results[0].Office != "HCM-02" {
		t.Fatalf("search hcm = %+v", s)
	}
	if s := getJSON[server.ReadSearch](t, e, "/v1/read/search?q="+fs[2].id, rt); len(s.Results) != 1 || s.Results[0].PDF == "" {
		t.Fatalf("search by batch id = %+v", s)
	}
	if s := getJSON[server.ReadSearch](t, e, "/v1/read/search?q=DOC-1&office=HN-01", rt); len(s.Results) != 1 || s.Results[0].BatchID != fs[0].id {
		t.Fatalf("search doc-1 in HN-01 = %+v", s)
	}
	var all []server.ReadRow
	next := ""
	for i := 0; i < 10; i++ {
		page := getJSON[server.ReadSearch](t, e, "/v1/read/search?q=doc&limit=2&after="+next, rt)
		all = append(all, page.Results...)
		if next = page.Next; next == "" {
			break
		}
	}
	if len(all) != 6 || all[0].BatchID != fs[2].id || all[5].BatchID != fs[0].id {
		t.Fatalf("search paged: %d rows %+v", len(all), all)
	}

	// Export: one row per document, oldest first, JSON and CSV agree.
	rows := getJSON[[]server.ReadRow](t, e, "/v1/read/export?format=json", rt)
	if len(rows) != 6 || rows[0].BatchID != fs[0].id || rows[5].BatchID != fs[2].id {
		t.Fatalf("export json: %+v", rows)
	}
	resp, raw = e.do("GET", "/v1/read/export?format=csv&office=HCM-02", rt, nil, nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export csv: %d %s", resp.StatusCode, raw)
	}
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || strings.Join(recs[0], ",") != strings.Join(server.ExportColumns, ",")+","+server.FieldsColumn+","+strings.Join(server.ArchiveColumns, ",") {
		t.Fatalf("csv = %q", recs)
	}
	for i, r := range recs[1:] {
		want := rows[2+i] // the HCM batch is the second committed
		if r[0] != want.BatchID || r[2] != "HCM-02" || r[6] != want.DocumentID || r[7] != want.PDFSHA256 || r[9] != "2" ||
			r[8] != fmt.Sprint(want.PDFSize) || r[5] != want.CommittedAt.Format(time.RFC3339Nano) ||
			r[11] != fmt.Sprintf(`{"ho_ten":"Người Thử %d"}`, i) {
			t.Fatalf("csv row %d = %q, json row %+v", i, r, want)
		}
	}
	if rows := getJSON[[]server.ReadRow](t, e, "/v1/read/export?office=nowhere", rt); rows == nil || len(rows) != 0 {
		t.Fatalf("empty export = %#v, want []", rows)
	}
	resp, raw = e.do("GET", "/metrics", testMetricsToken, nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(raw), "sohoa_read_requests_total ") {
		t.Fatalf("metrics lack read requests:\n%s", raw)
	}
}

// TestExportManyPages streams more rows than one store page holds (written straight to the
// store: the export reads only the database).
func TestExportManyPages(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	ws := e.enroll("HN-01")
	ctx := context.Background()
	for seq := int64(1); seq <= 2; seq++ { // 2 batches of 600 documents: 1,200 rows
		id := fmt.Sprintf("01934b2c-0000-7000-8000-%012d", seq)
		if err := e.st.PutManifest(ctx, store.Batch{ID: id, WorkstationID: ws.WorkstationID, Office: ws.Office, Seq: seq,
			RecordType: "khai-sinh", Manifest: []byte(id), ManifestSHA256: sum([]byte(id))}); err != nil {
			t.Fatal(err)
		}
		c := store.Commit{BatchID: id, WorkstationID: ws.WorkstationID, Seq: seq, Receipt: []byte("{}"), CommittedAt: fixedNow.Add(time.Duration(seq) * time.Minute)}
		for i := 0; i < 600; i++ {
			c.Documents = append(c.Documents, store.Document{ID: fmt.Sprintf("doc-%04d", i), PDFSHA256: sum([]byte(fmt.Sprint(id, i))), PDFSize: 1})
		}
		if _, _, err := e.st.CommitBatch(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	_, rt := e.readerToken("export")
	rows := getJSON[[]server.ReadRow](t, e, "/v1/read/export?format=json", rt)
	if len(rows) != 1200 {
		t.Fatalf("%d rows, want 1200", len(rows))
	}
	seen := map[string]bool{}
	for i, r := range rows {
		k := r.BatchID + "/" + r.DocumentID
		if seen[k] {
			t.Fatalf("row %s exported twice", k)
		}
		seen[k] = true
		if want := fmt.Sprintf("doc-%04d", i%600); r.DocumentID != want {
			t.Fatalf("row %d is %s, want %s (oldest batch first, documents in order)", i, r.DocumentID, want)
		}
	}
	resp, raw := e.do("GET", "/v1/read/export?format=csv", rt, nil, nil)
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if resp.StatusCode != 200 || err != nil || len(recs) != 1201 {
		t.Fatalf("csv export: %d, %d records (%v)", resp.StatusCode, len(recs), err)
	}
}

// TestReadAuth keeps the two kinds of credentials apart: workstation tokens cannot read,
// reader tokens cannot upload, revoked readers cannot read; bad parameters are refused.
func TestReadAuth(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	ws := e.enroll("HN-01")
	f := makeBatch(t, ws, 1, 1)
	e.syncBatch(ws.Token, f)
	_, rt := e.readerToken("reader")
	revokedID, revoked := e.readerToken("old reader")
	if err := e.st.RevokeReader(context.Background(), revokedID, fixedNow); err != nil {
		t.Fatal(err)
	}
	var m wire.Manifest
	json.Unmarshal(f.manifest, &m)
	pdf := "/v1/read/documents/" + f.id + "/" + m.Documents[0].ID + "/pdf"
	pending := makeBatch(t, ws, 2, 1)
	e.putManifest(ws.Token, pending)
	blob := []byte("một trang")
	cases := []struct {
		name, method, path, token string
		body                      []byte
		status                    int
		code                      string
	}{
		{"no token", "GET", "/v1/read/batches", "", nil, 401, "unauthorized"},
		{"workstation token lists", "GET", "/v1/read/batches", ws.Token, nil, 401, "unauthorized"},
		{"workstation token pdf", "GET", pdf, ws.Token, nil, 401, "unauthorized"},
		{"workstation token export", "GET", "/v1/read/export", ws.Token, nil, 401, "unauthorized"},
		{"revoked reader", "GET", "/v1/read/batches", revoked, nil, 403, "reader_revoked"},
		{"reader uploads a blob", "PUT", "/v1/blobs/" + sum(blob), rt, blob, 401, "unauthorized"},
		{"reader sends a manifest", "PUT", "/v1/batches/" + pending.id, rt, pending.manifest, 401, "unauthorized"},
		{"reader commits", "POST", "/v1/batches/" + pending.id + "/commit", rt, nil, 401, "unauthorized"},
		{"reader heads a blob", "HEAD", "/v1/blobs/" + sum(blob), rt, nil, 401, ""},
		{"reader posts to read", "POST", "/v1/read/batches", rt, nil, 404, "not_found"},
		{"pending batch", "GET", "/v1/read/batches/" + pending.id, rt, nil, 404, "not_found"},
		{"unknown batch", "GET", "/v1/read/batches/01934b2c-0000-7000-8000-999999999999", rt, nil, 404, "not_found"},
		{"bad batch id", "GET", "/v1/read/batches/..%2Fx", rt, nil, 400, "bad_batch_id"},
		{"unknown document", "GET", "/v1/read/documents/" + f.id + "/nope/pdf", rt, nil, 404, "not_found"},
		{"traversal document", "GET", "/v1/read/documents/" + f.id + "/..%2F..%2Fetc/pdf", rt, nil, 404, "not_found"},
		{"pending pdf", "GET", "/v1/read/documents/" + pending.id + "/doc-0/pdf", rt, nil, 404, "not_found"},
		{"mistyped filter", "GET", "/v1/read/batches?ofice=HN-01", rt, nil, 400, "malformed_request"},
		{"filter twice", "GET", "/v1/read/batches?office=A&office=B", rt, nil, 400, "malformed_request"},
		{"bad office", "GET", "/v1/read/batches?office=%27%20OR%201=1", rt, nil, 400, "malformed_request"},
		{"bad time", "GET", "/v1/read/batches?from=yesterday", rt, nil, 400, "malformed_request"},
		{"from after to", "GET", "/v1/read/batches?from=2026-12-01&to=2026-11-01", rt, nil, 400, "malformed_request"},
		{"limit 0", "GET", "/v1/read/batches?limit=0", rt, nil, 400, "malformed_request"},
		{"limit huge", "GET", "/v1/read/batches?limit=100000", rt, nil, 400, "malformed_request"},
		{"after unknown", "GET", "/v1/read/batches?after=01934b2c-0000-7000-8000-999999999999", rt, nil, 400, "bad_cursor"},
		{"after pending", "GET", "/v1/read/batches?after=" + pending.id, rt, nil, 400, "bad_cursor"},
		{"search empty", "GET", "/v1/read/search?q=", rt, nil, 400, "malformed_request"},
		{"search long", "GET", "/v1/read/search?q=" + strings.Repeat("a", 101), rt, nil, 400, "malformed_request"},
		{"search bad after", "GET", "/v1/read/search?q=a&after=nope", rt, nil, 400, "bad_cursor"},
		{"export format", "GET", "/v1/read/export?format=xml", rt, nil, 400, "malformed_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body *bytes.Reader
			if c.body != nil {
				body = bytes.NewReader(c.body)
			}
			var resp *http.Response
			var raw []byte
			if body != nil {
				resp, raw = e.do(c.method, c.path, c.token, body, nil)
			} else {
				resp, raw = e.do(c.method, c.path, c.token, nil, nil)
			}
			if c.code == "" {
				if resp.StatusCode != c.status {
					t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
				}
				return
			}
			wantError(t, resp, raw, c.status, c.code)
		})
	}
	if ok, _ := e.blobs.Has(context.Background(), sum(blob)); ok {
		t.Fatal("a reader token stored a blob")
	}
	if b, _ := e.st.Batch(context.Background(), pending.id); b.Committed {
		t.Fatal("a reader token committed a batch")
	}
	if _, _, err := server.NewReaderToken(context.Background(), e.st, "reader", "", fixedNow); err == nil {
		t.Fatal("a second active reader with the same name was created")
	}
	if _, _, err := server.NewReaderToken(context.Background(), e.st, " ", "", fixedNow); err == nil {
		t.Fatal("a reader without a name was created")
	}
}

func TestReadRateLimit(t *testing.T) {
	e := newEnv(t, sqliteBackend, func(c *server.Config) { c.Rate = 1e-9; c.Burst = 2 })
	_, rt := e.readerToken("busy")
	_, other := e.readerToken("other")
	for i := 0; i < 2; i++ {
		if resp, raw := e.do("GET", "/v1/read/batches", rt, nil, nil); resp.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, raw)
		}
	}
	resp, raw := e.do("GET", "/v1/read/export", rt, nil, nil)
	wantError(t, resp, raw, 429, wire.CodeRateLimited)
	if resp, _ := e.do("GET", "/v1/read/batches", other, nil, nil); resp.StatusCode != 200 {
		t.Fatalf("another reader limited: %d", resp.StatusCode)
	}
}
