package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/store/pgtest"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
)

// testDoc is one document of a signed test batch: its manifest id and its record.json (nil:
// the PDF embeds none).
type testDoc struct {
	id     string
	record []byte
}

// signedDocs builds a batch whose PDFs are really PAdES-signed by pki (one page each, with
// record.json as given) and whose manifest is CMS-signed by pki, as workflow.SignBatch does.
// mod, if given, changes the manifest before it is signed.
func signedDocs(t *testing.T, ws wire.EnrollAnswer, seq int64, pki *synctest.PKI, docs []testDoc, mod ...func(*wire.Manifest)) fixture {
	t.Helper()
	rng := mrand.New(mrand.NewPCG(uint64(seq), 7))
	f := fixture{id: fmt.Sprintf("01934b2c-0000-7000-8000-%012d", seq), blobs: map[string][]byte{}}
	m := &wire.Manifest{Version: 1, BatchID: f.id, WorkstationID: ws.WorkstationID, Office: ws.Office, Seq: seq,
		RecordType: "khai-sinh", CreatedAt: fixedNow}
	for _, d := range docs {
		img := synctest.PageImage(rng, 24, 24)
		pdf, err := sign.BuildPDF(sign.DocumentInput{Title: "Giấy khai sinh", Pages: []sign.PageInput{{Image: img, DPI: 300}}, FieldsJSON: d.record})
		if err != nil {
			t.Fatal(err)
		}
		spdf, err := sign.Sign(pdf, pki.Signer, sign.SignInfo{Name: "Người Duyệt Thử", Reason: "Phê duyệt"})
		if err != nil {
			t.Fatal(err)
		}
		f.blobs[sum(spdf)], f.blobs[sum(img)] = spdf, img
		m.Documents = append(m.Documents, wire.Document{ID: d.id, PDFSHA256: sum(spdf), PDFSize: int64(len(spdf)),
			Pages: []wire.Page{{SHA256: sum(img), Size: int64(len(img))}}})
	}
	for _, fn := range mod {
		fn(m)
	}
	var err error
	if f.manifest, err = sign.SignManifest(m, pki.Signer); err != nil {
		t.Fatal(err)
	}
	return f
}

// The personal data of the test: names, an ID number, a birthplace.
const (
	nameAn     = "Nguyễn Văn An"
	nameAnHat  = "Nguyễn Văn Ân" // another person: only the folded index finds both
	nameNgoc   = "Trần Thị Bích Ngọc"
	idNumber   = "001203004567"
	idNumber2  = "079188001234"
	birthplace = "Đà Nẵng"
	mother     = "Lê Thị Hoa"
)

// fieldsBatch is three documents: 1 and 2 the same name written differently (2 in NFD, lower
// case, with extra spaces), 3 a name that differs only by its diacritics, and a table field
// (household members) in document 1.
func fieldsBatch(t *testing.T, ws wire.EnrollAnswer, seq int64, pki *synctest.PKI) fixture {
	id := fmt.Sprintf("01934b2c-0000-7000-8000-%012d", seq)
	rec := func(doc int, fields []kv) []byte { return recordJSON(t, id, doc, ws.Office, "khai-sinh", fields) }
	return signedDocs(t, ws, seq, pki, []testDoc{
		{"1", rec(1, []kv{{"ho_ten", nameAn}, {"so_cccd", idNumber}, {"noi_sinh", birthplace},
			{"thanh_vien", []map[string]string{{"ho_ten": mother, "quan_he": "mẹ"}}}})},
		{"2", rec(2, []kv{{"ho_ten", "  " + norm.NFD.String(strings.ToLower(nameAn)) + "   "}, {"so_cccd", idNumber2}})},
		{"3", rec(3, []kv{{"ho_ten", nameAnHat}, {"ghi_chu", nameNgoc}})},
	})
}

// lockedBuffer collects the server's log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// rawDB is a second connection to the env's database, for what only an attacker with the
// database (and not the data key) would do.
type rawDB struct {
	db    *sql.DB
	pg    bool
	files []string // SQLite: the database's files
}

func (r *rawDB) q(query string) string {
	if !r.pg {
		return query
	}
	for n := 1; strings.Contains(query, "?"); n++ {
		query = strings.Replace(query, "?", "$"+strconv.Itoa(n), 1)
	}
	return query
}

// fieldsEnv is an env whose server verifies real signatures and logs into a buffer, with raw
// access to its database.
func fieldsEnv(t *testing.T, pg bool, pki *synctest.PKI) (*env, *rawDB, *lockedBuffer) {
	logs := &lockedBuffer{}
	raw := &rawDB{pg: pg}
	open := func(t testing.TB, dir string) store.Store {
		if pg {
			dsn := pgDSN(t)
			st, err := store.OpenPostgres(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			if raw.db, err = sql.Open("pgx", dsn); err != nil {
				t.Fatal(err)
			}
			return st
		}
		st := sqliteBackend(t, dir)
		path := filepath.Join(dir, "central.db")
		db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=15000")
		if err != nil {
			t.Fatal(err)
		}
		raw.db, raw.files = db, []string{path, path + "-wal", path + "-shm"}
		return st
	}
	e := newEnv(t, open, func(c *server.Config) {
		c.Verifier = server.SignatureVerifier{Roots: pki.Roots()}
		c.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	})
	t.Cleanup(func() { raw.db.Close() })
	return e, raw, logs
}

// pgDSN makes a fresh database in the package's PostgreSQL cluster (as pgBackend does) and
// returns its DSN.
func pgDSN(t testing.TB) string {
	t.Helper()
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
	return dsn
}

func TestFieldsSQLite(t *testing.T)   { testFields(t, false) }
func TestFieldsPostgres(t *testing.T) { testFields(t, true) }

// testFields commits a really signed batch with Vietnamese field values and reads them back
// through every read endpoint; the database holds none of them in plaintext.
func testFields(t *testing.T, pg bool) {
	pki, err := synctest.NewPKI("Người Duyệt Thử")
	if err != nil {
		t.Fatal(err)
	}
	e, raw, logs := fieldsEnv(t, pg, pki)
	ctx := context.Background()
	ws := e.enroll("HN-01")
	f := fieldsBatch(t, ws, 1, pki)
	e.uploadAll(ws.Token, f, e.putManifest(ws.Token, f).Missing)
	resp, receipt := e.do("POST", "/v1/batches/"+f.id+"/commit", ws.Token, nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("commit: %d %s", resp.StatusCode, receipt)
	}
	before, err := e.st.Documents(ctx, f.id)
	if err != nil {
		t.Fatal(err)
	}
	// Committing again answers the same receipt and stores nothing twice: the sealed values
	// (fresh random nonces on every seal) are still the first ones.
	resp, again := e.do("POST", "/v1/batches/"+f.id+"/commit", ws.Token, nil, nil)
	if resp.StatusCode != 200 || !bytes.Equal(again, receipt) {
		t.Fatalf("second commit: %d %s", resp.StatusCode, again)
	}
	after, err := e.st.Documents(ctx, f.id)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := raw.db.QueryRow(raw.q(`SELECT COUNT(*) FROM document_fields WHERE batch_id = ?`), f.id).Scan(&n); err != nil || n != 8 {
		t.Fatalf("%d field rows (%v), want 8", n, err)
	}
	for i := range before {
		if len(after[i].Fields) != len(before[i].Fields) {
			t.Fatalf("document %s: %d fields after the second commit, %d before", before[i].ID, len(after[i].Fields), len(before[i].Fields))
		}
		for j := range before[i].Fields {
			if !bytes.Equal(after[i].Fields[j].Value, before[i].Fields[j].Value) {
				t.Fatalf("document %s field %s rewritten by the second commit", before[i].ID, before[i].Fields[j].Key)
			}
		}
	}

	_, rt := e.readerToken("Cổng dữ liệu dân cư")
	wantFields := map[string]map[string]string{
		"1": {"ho_ten": nameAn, "so_cccd": idNumber, "noi_sinh": birthplace, "thanh_vien": `[{"ho_ten":"` + mother + `","quan_he":"mẹ"}]`},
		"2": {"ho_ten": "  " + norm.NFD.String(strings.ToLower(nameAn)) + "   ", "so_cccd": idNumber2},
		"3": {"ho_ten": nameAnHat, "ghi_chu": nameNgoc},
	}
	checkFields := func(where, doc string, got map[string]string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(wantFields[doc]) {
			t.Fatalf("%s: document %s fields = %q, want %q", where, doc, got, wantFields[doc])
		}
	}

	// Search by field: exact on the normalised value, folded with fold=1, with other filters.
	search := func(query string) string {
		t.Helper()
		s := getJSON[server.ReadSearch](t, e, "/v1/read/search?"+query, rt)
		var ids []string
		for _, r := range s.Results {
			checkFields("search "+query, r.DocumentID, r.Fields)
			ids = append(ids, r.DocumentID)
		}
		slices.Sort(ids)
		return strings.Join(ids, ",")
	}
	for _, c := range []struct{ query, want string }{
		{"field=ho_ten&value=" + esc(nameAn), "1,2"},
		{"field=ho_ten&value=" + esc(" NGUYỄN  VĂN an"), "1,2"},
		{"field=ho_ten&value=" + esc(norm.NFD.String(nameAn)), "1,2"},
		{"field=ho_ten&value=" + esc(nameAnHat), "3"},
		{"field=ho_ten&value=nguyen+van+an", ""},
		{"field=ho_ten&value=nguyen+van+an&fold=1", "1,2,3"},
		{"field=ho_ten&value=" + esc(nameAnHat) + "&fold=1", "1,2,3"},
		{"field=noi_sinh&value=da+nang&fold=1", "1"},
		{"field=noi_sinh&value=" + esc(birthplace), "1"},
		{"field=so_cccd&value=" + idNumber, "1"},
		{"field=so_cccd&value=" + idNumber + "&office=HN-01&record_type=khai-sinh", "1"},
		{"field=so_cccd&value=" + idNumber + "&record_type=ket-hon", ""},
		{"field=ghi_chu&value=" + idNumber, ""},                   // another field's value
		{"field=thanh_vien&value=" + esc(mother) + "&fold=1", ""}, // tables are not indexed
		{"field=ho_ten&value=" + esc(nameAn) + "&q=" + f.id[:8], "1,2"},
		{"field=ho_ten&value=" + esc(nameAn) + "&q=nothing-like-it", ""},
		{"q=" + f.id, "1,2,3"},
	} {
		if got := search(c.query); got != c.want {
			t.Errorf("search %s = %q, want %q", c.query, got, c.want)
		}
	}
	for _, bad := range []string{"field=ho_ten", "value=x", "field=../x&value=x", "field=ho_ten&value=+++", "field=ho_ten&value=x&fold=2", "fold=1", ""} {
		resp, body := e.do("GET", "/v1/read/search?"+bad, rt, nil, nil)
		wantError(t, resp, body, 400, "malformed_request")
	}

	// The batch's documents carry their fields.
	d := getJSON[server.ReadBatchDetail](t, e, "/v1/read/batches/"+f.id, rt)
	if len(d.DocumentList) != 3 {
		t.Fatalf("batch detail: %+v", d)
	}
	for _, doc := range d.DocumentList {
		checkFields("batch detail", doc.ID, doc.Fields)
	}

	// JSON export: the fields object.
	rows := getJSON[[]server.ReadRow](t, e, "/v1/read/export", rt)
	if len(rows) != 3 {
		t.Fatalf("export: %d rows", len(rows))
	}
	for _, r := range rows {
		checkFields("json export", r.DocumentID, r.Fields)
	}
	// CSV export with record_type=: a column per field key after the existing columns, in the
	// order of record.json (first position, then key).
	recs := getCSV(t, e, "/v1/read/export?format=csv&record_type=khai-sinh", rt)
	keys := []string{"ho_ten", "ghi_chu", "so_cccd", "noi_sinh", "thanh_vien"}
	if want := append(append(slices.Clone(server.ExportColumns), keys...), server.ArchiveColumns...); !slices.Equal(recs[0], want) || len(recs) != 4 {
		t.Fatalf("csv header %q (%d records), want %q", recs[0], len(recs), want)
	}
	for _, r := range recs[1:] {
		got := map[string]string{}
		for i, k := range keys {
			if v := r[len(server.ExportColumns)+i]; v != "" {
				got[k] = v
			}
		}
		checkFields("csv export", r[6], got)
	}
	// Without record_type=: one "fields" column holding the JSON object.
	recs = getCSV(t, e, "/v1/read/export?format=csv", rt)
	if !slices.Equal(recs[0], append(append(slices.Clone(server.ExportColumns), server.FieldsColumn), server.ArchiveColumns...)) || len(recs) != 4 {
		t.Fatalf("csv header %q (%d records)", recs[0], len(recs))
	}
	for _, r := range recs[1:] {
		var got map[string]string
		if err := json.Unmarshal([]byte(r[len(server.ExportColumns)]), &got); err != nil {
			t.Fatalf("fields column %q: %v", r[len(server.ExportColumns)], err)
		}
		checkFields("csv export (fields column)", r[6], got)
	}

	// Reads of field values are logged: reader, operation, parameter names, counts; no value.
	log := logs.String()
	for _, op := range []string{`"op":"search"`, `"op":"batch"`, `"op":"export"`} {
		if !strings.Contains(log, `"msg":"reader read field values"`) || !strings.Contains(log, op) {
			t.Errorf("no field read log for %s", op)
		}
	}
	if !strings.Contains(log, `"params":["field","fold","value"]`) || !strings.Contains(log, `"documents":3,"values":8`) {
		t.Errorf("field read log lacks parameter names or counts:\n%s", log)
	}
	personal := []string{nameAn, strings.ToLower(nameAn), norm.NFD.String(nameAn), nameAnHat, nameNgoc, idNumber, idNumber2, birthplace, mother,
		"nguyen van an", "da nang"}
	for _, p := range personal {
		if strings.Contains(log, p) || strings.Contains(log, strings.Trim(mustJSONString(p), `"`)) {
			t.Errorf("the server log holds %q", p)
		}
	}

	// At rest: no value in the database, in plaintext or hex.
	checkNoPlaintext(t, raw, f.id, personal)

	// A ciphertext moved to another document's row does not decrypt: the server refuses to
	// serve it (500 field_integrity) and logs an integrity error, never a wrong value.
	swapValues(t, raw, f.id, "1", "3", "ho_ten")
	for _, path := range []string{"/v1/read/search?field=so_cccd&value=" + idNumber, "/v1/read/batches/" + f.id,
		"/v1/read/export", "/v1/read/export?format=csv&record_type=khai-sinh", "/v1/read/search?q=" + f.id} {
		resp, body := e.do("GET", path, rt, nil, nil)
		wantError(t, resp, body, 500, "field_integrity")
		for _, p := range personal {
			if bytes.Contains(body, []byte(p)) {
				t.Fatalf("GET %s served %q after the swap: %s", path, p, body)
			}
		}
	}
	if !strings.Contains(logs.String(), "integrity check") {
		t.Error("no integrity error in the server log")
	}
	// Documents the swap did not touch are still served.
	if got := search("field=so_cccd&value=" + idNumber2); got != "2" {
		t.Fatalf("untouched document: %q", got)
	}
}

func esc(s string) string {
	return strings.NewReplacer(" ", "+").Replace(urlEscape(s))
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == ' ' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func mustJSONString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func getCSV(t *testing.T, e *env, path, tok string) [][]string {
	t.Helper()
	resp, raw := e.do("GET", path, tok, nil, nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
	}
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("GET %s: CSV %v", path, err)
	}
	return recs
}

// checkNoPlaintext looks for each value in the database: SQLite's files byte by byte, every
// row of every PostgreSQL table as text (bytea shows as hex, so the hex form is looked for too).
func checkNoPlaintext(t *testing.T, raw *rawDB, control string, values []string) {
	t.Helper()
	var hay [][]byte
	if raw.pg {
		var tables []string
		rows, err := raw.db.Query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n string
			rows.Scan(&n)
			tables = append(tables, n)
		}
		rows.Close()
		if !slices.Contains(tables, "document_fields") {
			t.Fatalf("tables %v: no document_fields", tables)
		}
		for _, tb := range tables {
			rows, err := raw.db.Query(`SELECT t::text FROM ` + tb + ` t`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var s string
				rows.Scan(&s)
				hay = append(hay, []byte(s))
			}
			rows.Close()
		}
	} else {
		if _, err := raw.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			t.Fatal(err)
		}
		for _, p := range raw.files {
			b, err := os.ReadFile(p)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			hay = append(hay, b)
		}
	}
	all := bytes.Join(hay, []byte{0})
	if !bytes.Contains(all, []byte(control)) { // what is stored plainly is found
		t.Fatalf("the batch id %s is not found in the %d bytes read: the search looks in the wrong place", control, len(all))
	}
	for _, v := range values {
		for _, form := range []string{v, hex.EncodeToString([]byte(v))} {
			if bytes.Contains(all, []byte(form)) {
				t.Errorf("the database holds %q", form)
			}
		}
	}
}

// swapValues swaps the ciphertexts of field key between two documents of batch.
func swapValues(t *testing.T, raw *rawDB, batch, a, b, key string) {
	t.Helper()
	get := func(doc string) []byte {
		var v []byte
		if err := raw.db.QueryRow(raw.q(`SELECT value_enc FROM document_fields WHERE batch_id = ? AND doc_id = ? AND field_key = ?`),
			batch, doc, key).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	va, vb := get(a), get(b)
	for doc, v := range map[string][]byte{a: vb, b: va} {
		if _, err := raw.db.Exec(raw.q(`UPDATE document_fields SET value_enc = ? WHERE batch_id = ? AND doc_id = ? AND field_key = ?`),
			v, batch, doc, key); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFieldsRefusedSQLite(t *testing.T)   { testFieldsRefused(t, false) }
func TestFieldsRefusedPostgres(t *testing.T) { testFieldsRefused(t, true) }

// testFieldsRefused: a signed PDF without record.json, with one that does not parse, with one
// of another document or with a repeated key is refused at commit (422, a reason in Vietnamese
// and English naming the document, no value) and nothing of the batch is stored; the same
// batch with proper records then commits.
func testFieldsRefused(t *testing.T, pg bool) {
	pki, err := synctest.NewPKI("Người Duyệt Thử")
	if err != nil {
		t.Fatal(err)
	}
	e, raw, _ := fieldsEnv(t, pg, pki)
	ctx := context.Background()
	ws := e.enroll("HN-01")
	good := func(seq int64, doc int) []byte {
		return recordJSON(t, fmt.Sprintf("01934b2c-0000-7000-8000-%012d", seq), doc, ws.Office, "khai-sinh", []kv{{"ho_ten", nameAn}})
	}
	for i, c := range []struct {
		name   string
		record func(seq int64) []byte
		vi, en string
	}{
		{"no record.json", func(int64) []byte { return nil }, "không chứa record.json", "holds no record.json"},
		{"not JSON", func(int64) []byte { return []byte("{ho_ten: " + nameAn) }, "không phải là bản ghi SoHoa hợp lệ", "not a valid SoHoa record"},
		{"fields not a list", func(seq int64) []byte {
			return bytes.Replace(good(seq, 2), []byte(`"fields": [`), []byte(`"fields": {"x": [`), 1)
		}, "không phải là bản ghi SoHoa hợp lệ", "not a valid SoHoa record"},
		{"another document", func(seq int64) []byte { return good(seq, 7) }, "thuộc về lô, hồ sơ", "belongs to another batch, document"},
		{"another batch", func(seq int64) []byte { return good(seq+100, 2) }, "thuộc về lô, hồ sơ", "belongs to another batch, document"},
		{"repeated key", func(seq int64) []byte {
			return recordJSON(t, fmt.Sprintf("01934b2c-0000-7000-8000-%012d", seq), 2, ws.Office, "khai-sinh", []kv{{"ho_ten", nameAn}, {"ho_ten", nameNgoc}})
		}, "khóa trường sai dạng hoặc lặp lại (trường thứ 2)", "malformed or repeated field key (field 2)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			seq := int64(10 + i)
			f := signedDocs(t, ws, seq, pki, []testDoc{{"1", good(seq, 1)}, {"2", c.record(seq)}})
			e.uploadAll(ws.Token, f, e.putManifest(ws.Token, f).Missing)
			resp, body := e.do("POST", "/v1/batches/"+f.id+"/commit", ws.Token, nil, nil)
			we := wantError(t, resp, body, 422, "verification_failed")
			if !strings.Contains(we.MessageVI, "hồ sơ 2") || !strings.Contains(we.MessageVI, c.vi) ||
				!strings.Contains(we.MessageEN, "document 2") || !strings.Contains(we.MessageEN, c.en) {
				t.Fatalf("refusal %q / %q, want %q / %q", we.MessageVI, we.MessageEN, c.vi, c.en)
			}
			if bytes.Contains(body, []byte(nameAn)) || bytes.Contains(body, []byte(nameNgoc)) {
				t.Fatalf("the refusal holds a value: %s", body)
			}
			if b, err := e.st.Batch(ctx, f.id); err != nil || b.Committed {
				t.Fatalf("batch after the refusal: %+v %v", b, err)
			}
			var docs, fields int
			raw.db.QueryRow(raw.q(`SELECT COUNT(*) FROM documents WHERE batch_id = ?`), f.id).Scan(&docs)
			raw.db.QueryRow(raw.q(`SELECT COUNT(*) FROM document_fields WHERE batch_id = ?`), f.id).Scan(&fields)
			if docs != 0 || fields != 0 {
				t.Fatalf("%d documents and %d fields stored for a refused batch", docs, fields)
			}
		})
	}
	// Control: the same batch shape with proper records commits, fields and all.
	f := signedDocs(t, ws, 99, pki, []testDoc{{"1", good(99, 1)}, {"2", good(99, 2)}})
	e.syncBatch(ws.Token, f)
	var fields int
	if err := raw.db.QueryRow(raw.q(`SELECT COUNT(*) FROM document_fields WHERE batch_id = ?`), f.id).Scan(&fields); err != nil || fields != 2 {
		t.Fatalf("%d fields stored for the good batch (%v), want 2", fields, err)
	}
}

// TestNormalizeAndFold: exact search compares NFC, trimmed, collapsed, lower-cased values; the
// folded index also drops every Vietnamese diacritic.
func TestNormalizeAndFold(t *testing.T) {
	for in, want := range map[string]string{
		"  Nguyễn   Văn\tAn ":            "nguyễn văn an",
		norm.NFD.String("NGUYỄN VĂN AN"): "nguyễn văn an",
		"Đặng Thị Ánh Tuyết":             "đặng thị ánh tuyết",
		"":                               "",
	} {
		if got := server.NormalizeValue(in); got != want || !norm.NFC.IsNormalString(got) {
			t.Errorf("NormalizeValue(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"nguyễn văn an":                            "nguyen van an",
		"đ ư ơ â ă ê ô Đ Ư Ơ Â Ă Ê Ô":              "d u o a a e o D U O A A E O",
		"à á ả ã ạ ằ ắ ẳ ẵ ặ ầ ấ ẩ ẫ ậ":            "a a a a a a a a a a a a a a a",
		"è é ẻ ẽ ẹ ề ế ể ễ ệ ì í ỉ ĩ ị":            "e e e e e e e e e e i i i i i",
		"ò ó ỏ õ ọ ồ ố ổ ỗ ộ ờ ớ ở ỡ ợ":            "o o o o o o o o o o o o o o o",
		"ù ú ủ ũ ụ ừ ứ ử ữ ự ỳ ý ỷ ỹ ỵ":            "u u u u u u u u u u y y y y y",
		norm.NFD.String("Trần Thị Bích Ngọc, Huế"): "Tran Thi Bich Ngoc, Hue",
	} {
		if got := server.FoldVietnamese(in); got != want {
			t.Errorf("FoldVietnamese(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDataKey: the data key file is made once (0600) and read back the same; a value sealed
// for one row opens only there, and not under another key.
func TestDataKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", server.DataKeyFile)
	k1, err := server.LoadOrCreateDataKey(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("data key file: %v %v, want mode 0600", st.Mode(), err)
	}
	k2, err := server.LoadOrCreateDataKey(path)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k1.Seal("b", "d", "ho_ten", []byte(nameAn))
	if err != nil || bytes.Contains(sealed, []byte(nameAn)) {
		t.Fatalf("seal: %v", err)
	}
	if v, err := k2.Open("b", "d", "ho_ten", sealed); err != nil || string(v) != nameAn {
		t.Fatalf("open with the key read back: %q %v", v, err)
	}
	if k1.Index("ho_ten", nameAn, false) != k2.Index("ho_ten", " nguyễn văn AN", false) ||
		k1.Index("ho_ten", nameAn, false) == k1.Index("so_cccd", nameAn, false) ||
		k1.Index("ho_ten", nameAn, true) != k2.Index("ho_ten", "nguyen van an", true) ||
		k1.Index("ho_ten", nameAn, true) == k1.Index("ho_ten", nameAn, false) {
		t.Fatal("blind indexes differ for equal values, or agree across keys or kinds")
	}
	for _, c := range [][3]string{{"b2", "d", "ho_ten"}, {"b", "d2", "ho_ten"}, {"b", "d", "so_cccd"}} {
		if _, err := k1.Open(c[0], c[1], c[2], sealed); !errors.Is(err, server.ErrFieldIntegrity) {
			t.Errorf("opened in row %v: %v", c, err)
		}
	}
	other, err := server.LoadOrCreateDataKey(filepath.Join(t.TempDir(), server.DataKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open("b", "d", "ho_ten", sealed); !errors.Is(err, server.ErrFieldIntegrity) {
		t.Errorf("opened under another data key: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k1.Open("b", "d", "ho_ten", sealed); !errors.Is(err, server.ErrFieldIntegrity) {
		t.Errorf("opened a changed ciphertext: %v", err)
	}
	os.WriteFile(path, []byte("not a key"), 0o600)
	if _, err := server.LoadOrCreateDataKey(path); err == nil {
		t.Error("a damaged data key file was accepted")
	}
}

// TestFieldColumn: a field key that is also an export column is headed "field:KEY".
func TestFieldColumn(t *testing.T) {
	if got := server.FieldColumn("ho_ten"); got != "ho_ten" {
		t.Errorf("FieldColumn(ho_ten) = %q", got)
	}
	for _, c := range append(slices.Clone(server.ExportColumns), server.ArchiveColumns...) {
		if got := server.FieldColumn(c); got != "field:"+c {
			t.Errorf("FieldColumn(%s) = %q, want field:%s", c, got, c)
		}
	}
}
