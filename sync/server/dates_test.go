package server_test

import (
	"context"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
)

// TestParseRecordDate: dd/mm/yyyy (as SoHoa normalises dates), d/m/yyyy and yyyy-mm-dd are
// dates; anything else, impossible days included, is not.
func TestParseRecordDate(t *testing.T) {
	for in, want := range map[string]string{
		"15/03/2026": "2026-03-15", " 01/03/2026 ": "2026-03-01", "1/3/2026": "2026-03-01", "2026-03-31": "2026-03-31",
		"29/02/2024": "2024-02-29", "31/12/9999": "9999-12-31", "01/01/0001": "0001-01-01",
	} {
		if got, ok := server.ParseRecordDate(in); !ok || got.Format(time.DateOnly) != want {
			t.Errorf("ParseRecordDate(%q) = %v %v, want %s", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "31/02/2026", "29/02/2025", "15/13/2026", "15/03/26", "15-03-2026", "2026/03/15", "00/01/2026",
		"15/03/20261", "ngày 15 tháng 3 năm 2026", "Nguyễn Văn An", "001203004567", "01/01/0000"} {
		if got, ok := server.ParseRecordDate(in); ok {
			t.Errorf("ParseRecordDate(%q) = %v, want not a date", in, got)
		}
	}
}

// TestDateRangeCover: a date's indexes meet a range's exactly when the date is in the range
// (both ends included), for random ranges and dates and at the edges of months, years and
// centuries; ranges of other keys never match; the list stays short.
func TestDateRangeCover(t *testing.T) {
	k, err := server.NewFieldKey([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	day0 := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	span := int(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).Sub(day0).Hours() / 24)
	randDay := func(base time.Time, within int) time.Time { return base.AddDate(0, 0, rng.IntN(within)) }
	in := func(d time.Time, idx []string) bool {
		for _, x := range k.DateIndexes("ngay_dang_ky", d) {
			if slices.Contains(idx, x) {
				return true
			}
		}
		return false
	}
	longest := 0
	for i := 0; i < 400; i++ {
		var from, to time.Time
		switch i % 4 {
		case 0: // anywhere in the years 1-9999
			from, to = randDay(day0, span), randDay(day0, span)
		case 1: // within a few years of 2026
			from = randDay(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), 3000)
			to = from.AddDate(0, 0, rng.IntN(800))
		case 2: // a few days, across a month or year end
			from = time.Date(1999+rng.IntN(30), time.Month(1+rng.IntN(12)), 25+rng.IntN(4), 0, 0, 0, 0, time.UTC)
			to = from.AddDate(0, 0, rng.IntN(12))
		case 3: // whole months and years
			from = time.Date(1900+rng.IntN(200), time.Month(1+rng.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
			to = from.AddDate(rng.IntN(3), rng.IntN(14), -1)
		}
		if to.Before(from) {
			from, to = to, from
		}
		idx := k.DateRange("ngay_dang_ky", from, to)
		longest = max(longest, len(idx))
		probes := []time.Time{from, to, from.AddDate(0, 0, -1), to.AddDate(0, 0, 1)}
		for j := 0; j < 20; j++ {
			probes = append(probes, randDay(from.AddDate(0, 0, -40), int(to.Sub(from).Hours()/24)+80))
		}
		for _, d := range probes {
			if d.Before(day0) || d.Year() > 9999 {
				continue
			}
			want := !d.Before(from) && !d.After(to)
			if got := in(d, idx); got != want {
				t.Fatalf("range %s..%s (%d indexes): date %s matches %v, want %v", from.Format(time.DateOnly), to.Format(time.DateOnly),
					len(idx), d.Format(time.DateOnly), got, want)
			}
		}
		for _, x := range k.DateIndexes("ngay_sinh", from) { // another field's date never matches
			if slices.Contains(idx, x) {
				t.Fatalf("a ngay_sinh index matches a ngay_dang_ky range")
			}
		}
	}
	// March 2026 is one index (the month's); the longest list for any range is short.
	march := k.DateRange("ngay_dang_ky", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC))
	if len(march) != 1 || !slices.Contains(k.DateIndexes("ngay_dang_ky", time.Date(2026, 3, 17, 0, 0, 0, 0, time.UTC)), march[0]) {
		t.Fatalf("March 2026 covered by %d indexes", len(march))
	}
	worst := k.DateRange("ngay_dang_ky", time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 30, 0, 0, 0, 0, time.UTC))
	t.Logf("longest random cover: %d indexes; 0001-01-02..9999-12-30: %d", longest, len(worst))
	if len(worst) > 160 || longest > 160 {
		t.Fatalf("covers of %d and %d indexes: the list is meant to stay under 160", len(worst), longest)
	}
	if got := k.DateRange("ngay_dang_ky", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); len(got) != 0 {
		t.Fatalf("an empty range has %d indexes", len(got))
	}
}

func TestRecordDatesSQLite(t *testing.T)   { testRecordDates(t, false) }
func TestRecordDatesPostgres(t *testing.T) { testRecordDates(t, true) }

// testRecordDates commits really signed records of two offices with registration and birth
// dates and filters them by those dates through search and export, with the other filters,
// reader scopes and pages; malformed dates are refused in both languages; the database holds
// no date; and the date indexes of values stored without them are rebuilt by a new server.
func testRecordDates(t *testing.T, pg bool) {
	pki, err := synctest.NewPKI("Người Duyệt Thử")
	if err != nil {
		t.Fatal(err)
	}
	e, raw, logs := fieldsEnv(t, pg, pki)
	ctx := context.Background()
	hn, hcm := e.enroll("HN-01"), e.enroll("HCM-02")
	batch := func(ws wire.EnrollAnswer, seq int64, recs [][]kv) fixture {
		id := fmt.Sprintf("01934b2c-0000-7000-8000-%012d", seq)
		var docs []testDoc
		for i, fs := range recs {
			docs = append(docs, testDoc{fmt.Sprint(i + 1), recordJSON(t, id, i+1, ws.Office, "khai-sinh", fs)})
		}
		return signedDocs(t, ws, seq, pki, docs)
	}
	reg := func(name, date string, more ...kv) []kv {
		return append([]kv{{"ho_ten", name}, {"ngay_dang_ky", date}}, more...)
	}
	fHN := batch(hn, 1, [][]kv{
		reg(nameNgoc, "28/02/2026", kv{"ngay_sinh", "05/03/2026"}),
		reg("Phạm Văn Bình", "01/03/2026"),
		reg(nameAn, "15/03/2026"),
		reg(nameAnHat, "31/03/2026"),
		reg("Hoàng Thị Lan", "01/04/2026"),
		reg("Vũ Đức Minh", "2026-03-20"),
		reg("Đỗ Văn Hùng", "không rõ"),
		reg("Bùi Thị Mai", "31/02/2026"),
	})
	fHCM := batch(hcm, 2, [][]kv{reg("Lý Văn Tài", "10/03/2026"), reg("Trịnh Thị Hà", "10/03/2025")})
	e.syncBatch(hn.Token, fHN)
	e.syncBatch(hcm.Token, fHCM)
	_, rt := e.readerToken("Sở Tư pháp")
	_, rtHCM := e.readerToken2(t, "Phường Bến Thành", []string{"HCM-02"}, nil)

	// ids names the rows "office/document".
	ids := func(rows []server.ReadRow) string {
		var out []string
		for _, r := range rows {
			out = append(out, r.Office+"/"+r.DocumentID)
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	search := func(tok, query string) string {
		t.Helper()
		return ids(getJSON[server.ReadSearch](t, e, "/v1/read/search?"+query, tok).Results)
	}
	const march = "date_field=ngay_dang_ky&date_from=2026-03-01&date_to=2026-03-31"
	const inMarch = "HCM-02/1,HN-01/2,HN-01/3,HN-01/4,HN-01/6"
	for _, c := range []struct{ query, want string }{
		{march, inMarch},
		{"date_field=ngay_dang_ky&date_from=01/03/2026&date_to=31/03/2026", inMarch},
		{march + "&office=HN-01", "HN-01/2,HN-01/3,HN-01/4,HN-01/6"},
		{march + "&record_type=khai-sinh&office=HCM-02", "HCM-02/1"},
		{march + "&record_type=ket-hon", ""},
		{march + "&field=ho_ten&value=nguyen+van+an&fold=1", "HN-01/3,HN-01/4"},
		{march + "&field=ho_ten&value=" + esc(nameAn), "HN-01/3"},
		{march + "&q=" + fHCM.id, "HCM-02/1"},
		{"date_field=ngay_dang_ky&date_from=2026-03-15&date_to=2026-03-15", "HN-01/3"},
		{"date_field=ngay_dang_ky&date_to=2026-02-28", "HCM-02/2,HN-01/1"},
		{"date_field=ngay_dang_ky&date_from=2026-04-01", "HN-01/5"},
		{"date_field=ngay_dang_ky&date_from=2025-01-01&date_to=2025-12-31", "HCM-02/2"},
		{"date_field=ngay_sinh&date_from=2026-03-01&date_to=2026-03-31", "HN-01/1"},
		{"date_field=ho_ten&date_from=2026-01-01", ""}, // names are not dates
		{march + "&from=2026-11-23&to=2026-11-23", inMarch},
		{march + "&from=2026-11-24", ""}, // from= and to= still filter the commit time
	} {
		if got := search(rt, c.query); got != c.want {
			t.Errorf("search %s = %q, want %q", c.query, got, c.want)
		}
	}
	// A reader limited to HCM-02 sees its office only, and may not ask for another.
	if got := search(rtHCM, march); got != "HCM-02/1" {
		t.Errorf("scoped reader: %q", got)
	}
	resp, body := e.do("GET", "/v1/read/search?"+march+"&office=HN-01", rtHCM, nil, nil)
	wantError(t, resp, body, 403, "reader_office")
	// Pages of one row: every row once, newest first.
	var paged []server.ReadRow
	for next, n := "", 0; ; n++ {
		q := march + "&limit=2"
		if next != "" {
			q += "&after=" + next
		}
		page := getJSON[server.ReadSearch](t, e, "/v1/read/search?"+q, rt)
		if len(page.Results) > 2 || n > 5 {
			t.Fatalf("page %d: %d rows", n, len(page.Results))
		}
		paged = append(paged, page.Results...)
		if next = page.Next; next == "" {
			break
		}
	}
	if got := ids(paged); got != inMarch || paged[0].Office != "HCM-02" {
		t.Fatalf("paged search = %q (first %s), want %q newest first", got, paged[0].Office, inMarch)
	}

	// Export: JSON and CSV with the same filter.
	rows := getJSON[[]server.ReadRow](t, e, "/v1/read/export?"+march, rt)
	if got := ids(rows); got != inMarch || rows[0].Office != "HN-01" {
		t.Fatalf("export = %q, want %q oldest first", got, inMarch)
	}
	for _, r := range rows {
		if d, ok := server.ParseRecordDate(r.Fields["ngay_dang_ky"]); !ok || d.Month() != time.March || d.Year() != 2026 {
			t.Errorf("exported %s/%s registered %q", r.Office, r.DocumentID, r.Fields["ngay_dang_ky"])
		}
	}
	recs := getCSV(t, e, "/v1/read/export?format=csv&record_type=khai-sinh&office=HN-01&"+march, rt)
	col := slices.Index(recs[0], "ngay_dang_ky")
	if len(recs) != 5 || col < 0 {
		t.Fatalf("csv export: %d records, header %q", len(recs), recs[0])
	}
	var got []string
	for _, r := range recs[1:] {
		got = append(got, r[col])
	}
	if strings.Join(got, ",") != "01/03/2026,15/03/2026,31/03/2026,2026-03-20" {
		t.Fatalf("csv export dates %q", got)
	}
	if rows := getJSON[[]server.ReadRow](t, e, "/v1/read/export?date_field=ngay_dang_ky&date_from=2030-01-01", rt); len(rows) != 0 {
		t.Fatalf("export of a range with no record: %d rows", len(rows))
	}

	// Malformed: a clear 400 in Vietnamese and English, on search and on export.
	for _, c := range []struct{ query, vi, en string }{
		{"date_field=ngay_dang_ky", "date_field cần đi cùng date_from hoặc date_to", "date_field needs date_from or date_to"},
		{"date_from=2026-03-01", "date_field", "date_field"},
		{"date_field=ngay_dang_ky&date_from=2026-13-01", "date_from: ngày không hợp lệ", "date_from: a date YYYY-MM-DD or dd/mm/yyyy"},
		{"date_field=ngay_dang_ky&date_to=31/02/2026", "date_to: ngày không hợp lệ", "date_to: a date"},
		{"date_field=ngay_dang_ky&date_from=March", "date_from: ngày không hợp lệ", "date_from: a date"},
		{"date_field=ngay_dang_ky&date_from=2026-04-01&date_to=2026-03-01", "date_from không được sau date_to", "date_from must not be after date_to"},
		{"date_field=../x&date_from=2026-03-01", "date_field", "date_field"},
		{"date_field=ngay_dang_ky&date_from=2026-03-01&date_from=2026-03-02", "date_from", "date_from"},
	} {
		for _, path := range []string{"/v1/read/search?", "/v1/read/export?"} {
			resp, body := e.do("GET", path+c.query, rt, nil, nil)
			we := wantError(t, resp, body, 400, "malformed_request")
			if !strings.Contains(we.MessageVI, c.vi) || !strings.Contains(we.MessageEN, c.en) {
				t.Errorf("%s%s: %q / %q, want %q / %q", path, c.query, we.MessageVI, we.MessageEN, c.vi, c.en)
			}
		}
	}

	// At rest: no date in the database, in any form; the log names parameters, not dates.
	dates := []string{"28/02/2026", "05/03/2026", "15/03/2026", "31/03/2026", "2026-03-20", "10/03/2025",
		"2026-03-15", "2026-02-28", "2026-03-31", "2025-03-10"}
	checkNoPlaintext(t, raw, fHN.id, dates)
	for _, d := range dates[:6] {
		if strings.Contains(logs.String(), d) {
			t.Errorf("the server log holds %q", d)
		}
	}
	if !strings.Contains(logs.String(), `"params":["date_field","date_from","date_to"]`) {
		t.Error("the field read log does not name the date parameters")
	}

	// Values stored before date indexes (as migration 7 leaves them): none is found until a
	// server starts on the database and indexes them from the sealed values.
	var before int
	if err := raw.db.QueryRow(`SELECT COUNT(*) FROM document_field_dates`).Scan(&before); err != nil || before != 9*6 {
		t.Fatalf("%d date index rows (%v), want 6 for each of the 9 dates", before, err)
	}
	for _, q := range []string{`DELETE FROM document_field_dates`, `UPDATE document_fields SET dates_v = 0`} {
		if _, err := raw.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if got := search(rt, march); got != "" {
		t.Fatalf("search without date indexes = %q", got)
	}
	key, err := server.LoadOrCreateReceiptKey(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	// The new server serves at once and indexes in the background (held here until the test
	// lets it go): meanwhile a date-filtered search or export answers 503 with Retry-After and
	// a message in both languages, never an incomplete answer; other queries are answered.
	relog := &lockedBuffer{}
	gate := &gatedStore{Store: e.st, gate: make(chan struct{})}
	srv2, err := server.New(server.Config{DataDir: e.dir, Store: gate, Blobs: e.blobs, Key: key, Verifier: server.SignatureVerifier{Roots: pki.Roots()},
		Logger: slog.New(slog.NewJSONHandler(relog, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	hs2 := httptest.NewServer(srv2.Handler())
	defer hs2.Close()
	e2 := *e
	e2.hs, e2.url = hs2, hs2.URL
	if srv2.DatesIndexed() {
		t.Fatal("the new server says its dates are indexed while the indexing is held")
	}
	for _, path := range []string{"/v1/read/search?" + march, "/v1/read/export?format=csv&" + march} {
		resp, body := e2.do("GET", path, rt, nil, nil)
		we := wantError(t, resp, body, 503, "unavailable")
		if resp.Header.Get("Retry-After") != "30" || !strings.Contains(we.MessageVI, "chỉ mục ngày") || !strings.Contains(we.MessageEN, "indexing the dates") {
			t.Fatalf("%s while indexing: Retry-After %q, %+v", path, resp.Header.Get("Retry-After"), we)
		}
	}
	if got := ids(getJSON[server.ReadSearch](t, &e2, "/v1/read/search?field=ho_ten&value=nguyen+van+an&fold=1", rt).Results); got != "HN-01/3,HN-01/4" {
		t.Fatalf("a search without a date filter while indexing = %q", got)
	}
	close(gate.gate)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := srv2.WaitDatesIndexed(wctx); err != nil {
		t.Fatalf("the background indexing did not finish: %v (log %s)", err, relog.String())
	}
	if !strings.Contains(relog.String(), `"values":21`) { // the 21 scalar values of the 10 documents
		t.Errorf("restart log: %s", relog.String())
	}
	var after, undated int
	raw.db.QueryRow(`SELECT COUNT(*) FROM document_field_dates`).Scan(&after)
	raw.db.QueryRow(`SELECT COUNT(*) FROM document_fields WHERE dates_v = 0`).Scan(&undated)
	if after != before || undated != 0 {
		t.Fatalf("after the restart: %d date index rows (want %d), %d values still undated", after, before, undated)
	}
	if got := search(rt, march); got != inMarch {
		t.Fatalf("search after the restart = %q, want %q", got, inMarch)
	}
	if got := ids(getJSON[server.ReadSearch](t, &e2, "/v1/read/search?"+march, rt).Results); got != inMarch {
		t.Fatalf("search on the new server after indexing = %q, want %q", got, inMarch)
	}
	// A server started with nothing left to index is ready at once.
	srv3, err := server.New(server.Config{DataDir: e.dir, Store: e.st, Blobs: e.blobs, Key: key, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if !srv3.DatesIndexed() {
		t.Fatal("a server with every date indexed is not ready at once")
	}
	srv3.Close()
	if n, err := e.srv.IndexDates(ctx); err != nil || n != 0 {
		t.Fatalf("indexing again: %d values, %v", n, err)
	}
}

// gatedStore holds every UndatedFields call after the first (New's look whether any value
// lacks its dates) until gate is closed: the background indexing waits there.
type gatedStore struct {
	store.Store
	gate  chan struct{}
	calls atomic.Int32
}

func (g *gatedStore) UndatedFields(ctx context.Context, after *store.FieldRef, limit int) ([]store.UndatedField, error) {
	if g.calls.Add(1) > 1 {
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Store.UndatedFields(ctx, after, limit)
}
