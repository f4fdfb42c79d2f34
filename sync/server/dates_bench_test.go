package server_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
)

// cpuNow is this process's user+system processor time (the machine is shared: wall-clock
// times are noisy, processor time less so). PostgreSQL's own work is in its processes.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDateFilter measures the read API on 20,000 stored records with registration dates
// spread over 2020-2026 (written straight to the store, sealed and indexed as the server does):
// a search by exact value (the filter that existed before), a search and an export of one
// month by the record's date, and re-indexing every value as after an upgrade.
func BenchmarkDateFilter(b *testing.B) {
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		b.Run(name, func(b *testing.B) { benchDateFilter(b, pg) })
	}
}

func benchDateFilter(b *testing.B, pg bool) {
	var raw *sql.DB
	open := func(t testing.TB, dir string) store.Store {
		var st store.Store
		var err error
		if pg {
			dsn := pgDSN(t)
			if st, err = store.OpenPostgres(context.Background(), dsn); err == nil {
				raw, err = sql.Open("pgx", dsn)
			}
		} else {
			st = sqliteBackend(t, dir)
			raw, err = sql.Open("sqlite3", "file:"+filepath.Join(dir, "central.db")+"?_busy_timeout=15000")
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		return st
	}
	fk, err := server.NewFieldKey([]byte("benchmark data key, 32 bytes ..."))
	if err != nil {
		b.Fatal(err)
	}
	e := newEnv(b, open, func(c *server.Config) { c.Rate = -1; c.FieldKey = fk })
	ws := e.enroll("HN-01")
	ctx := context.Background()
	rng := mrand.New(mrand.NewPCG(3, 4))
	day0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	const batches, perBatch = 20, 1000
	inMarch := 0
	for seq := int64(1); seq <= batches; seq++ {
		id := fmt.Sprintf("01934b2c-0000-7000-8000-%012d", seq)
		if err := e.st.PutManifest(ctx, store.Batch{ID: id, WorkstationID: ws.WorkstationID, Office: ws.Office, Seq: seq,
			RecordType: "khai-sinh", Manifest: []byte(`{}`), ManifestSHA256: sum([]byte(id))}); err != nil {
			b.Fatal(err)
		}
		c := store.Commit{BatchID: id, WorkstationID: ws.WorkstationID, Seq: seq, Receipt: []byte("{}"), CommittedAt: fixedNow.Add(time.Duration(seq) * time.Minute)}
		for i := 0; i < perBatch; i++ {
			doc := fmt.Sprintf("doc-%04d", i)
			d := day0.AddDate(0, 0, rng.IntN(7*365))
			if d.Year() == 2026 && d.Month() == time.March {
				inMarch++
			}
			name, date := fmt.Sprintf("Nguyễn Văn %d-%d", seq, i), d.Format("02/01/2006")
			var fields []store.Field
			for pos, kv := range [][2]string{{"ho_ten", name}, {"ngay_dang_ky", date}} {
				sealed, err := fk.Seal(id, doc, kv[0], []byte(kv[1]))
				if err != nil {
					b.Fatal(err)
				}
				f := store.Field{Key: kv[0], Pos: pos, Value: sealed, Exact: fk.Index(kv[0], kv[1], false), Folded: fk.Index(kv[0], kv[1], true)}
				if t, ok := server.ParseRecordDate(kv[1]); ok {
					f.Dates = fk.DateIndexes(kv[0], t)
				}
				fields = append(fields, f)
			}
			c.Documents = append(c.Documents, store.Document{ID: doc, PDFSHA256: sum([]byte(id + doc)), PDFSize: 1, Fields: fields})
		}
		if _, _, err := e.st.CommitBatch(ctx, c); err != nil {
			b.Fatal(err)
		}
	}
	_, rt := e.readerToken("bench")
	const march = "date_field=ngay_dang_ky&date_from=2026-03-01&date_to=2026-03-31"
	for _, q := range []struct{ name, path string }{
		{"search-by-value", "/v1/read/search?field=ho_ten&value=" + esc("Nguyễn Văn 7-123")},
		{"search-month", "/v1/read/search?" + march + "&limit=100"},
		{"export-month", "/v1/read/export?" + march},
	} {
		b.Run(q.name, func(b *testing.B) {
			cpu := cpuNow()
			for i := 0; i < b.N; i++ {
				if resp, raw := e.do("GET", q.path, rt, nil, nil); resp.StatusCode != 200 {
					b.Fatalf("%s: %d %s", q.path, resp.StatusCode, raw)
				}
			}
			b.ReportMetric(float64(cpuNow()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
	resp, body := e.do("GET", "/v1/read/export?"+march, rt, nil, nil)
	var rows []server.ReadRow
	if err := json.Unmarshal(body, &rows); err != nil || resp.StatusCode != 200 || len(rows) != inMarch {
		b.Fatalf("export of March 2026: %d rows, want %d (%v)", len(rows), inMarch, err)
	}
	b.Run("reindex", func(b *testing.B) {
		n := 0
		var cpu time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			for _, q := range []string{`DELETE FROM document_field_dates`, `UPDATE document_fields SET dates_v = 0`} {
				if _, err := raw.Exec(q); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			c := cpuNow()
			m, err := e.srv.IndexDates(ctx)
			cpu += cpuNow() - c
			if err != nil || m != 2*batches*perBatch {
				b.Fatalf("indexed %d (%v)", m, err)
			}
			n += m
		}
		b.ReportMetric(float64(cpu)/float64(n)/1e3, "cpu-µs/value")
	})
}
