package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/store/pgtest"
	"github.com/sohoa/sohoa/sync/store/storetest"
)

var (
	cluster    *pgtest.Cluster
	clusterErr error
)

func TestMain(m *testing.M) {
	// testing.Short is not parsed before m.Run; start the cluster lazily in the first test.
	code := m.Run()
	stopSeaweed()
	if cluster != nil {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop PostgreSQL:", err)
		}
	}
	os.Exit(code)
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "central.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestSQLiteReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "central.db")
	for i := 0; i < 2; i++ { // the second open finds the schema migrated
		s, err := store.OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if i == 0 {
			if err := s.CreateEnrollCode(context.Background(), "h", "HN", time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
	}
}

// PostgresCluster returns the package's throwaway cluster, starting it on first use. Missing
// binaries fail the test (run `make setup`) unless -short.
func postgresCluster(t *testing.T) *pgtest.Cluster {
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
	return cluster
}

func TestPostgres(t *testing.T) {
	c := postgresCluster(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		dsn, err := c.NewDatabase(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		s, err := store.OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPostgresReopen(t *testing.T) {
	c := postgresCluster(t)
	dsn, err := c.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		s, err := store.OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		s.Close()
	}
}

func TestPostgresBadDSN(t *testing.T) {
	c := postgresCluster(t)
	_, err := store.OpenPostgres(context.Background(), c.DSN("no_such_db"))
	if err == nil {
		t.Fatal("opening a missing database succeeded")
	}
}

// testUpgrade opens a database at schema version 1 holding a committed batch, upgrades it and
// checks migration 2 filled record_type from the stored manifest and migration 3 gave the
// committed blobs to the batch's office.
func testUpgrade(t *testing.T, openAt func(version int) store.Store) {
	ctx := context.Background()
	s := openAt(1)
	if err := s.CreateEnrollCode(ctx, "code", "HN-01", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enroll(ctx, "code", store.Workstation{ID: "ws-1", Name: "m", TokenHash: "t"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	const id = "01900000-0000-7000-8000-000000000001"
	for i, m := range []string{`{"version":1,"record_type":"khai-tu","documents":[]}`, `{"version":1}`} {
		bid := id[:len(id)-1] + fmt.Sprint(i+1)
		if err := store.ExecRaw(ctx, s, `INSERT INTO batches (id, workstation_id, office, seq, manifest, manifest_sha256, committed_us, receipt)
			VALUES (?, 'ws-1', 'HN-01', ?, ?, 'x', 1, ?)`, bid, i+1, []byte(m), []byte("r")); err != nil {
			t.Fatal(err)
		}
	}
	// Version 2 adds readers; the batch above gets a document with a PDF and two pages.
	s.Close()
	s = openAt(2)
	for _, q := range []string{
		`INSERT INTO documents (batch_id, id, pdf_sha256, pdf_size) VALUES ('` + id + `', 'd1', 'pdf-1', 10)`,
		`INSERT INTO pages (batch_id, doc_id, idx, sha256) VALUES ('` + id + `', 'd1', 0, 'page-1')`,
		`INSERT INTO pages (batch_id, doc_id, idx, sha256) VALUES ('` + id + `', 'd1', 1, 'page-2')`,
		`INSERT INTO readers (id, name, token_hash, created_us) VALUES ('rd-1', 'cổng', 'th', 1)`,
	} {
		if err := store.ExecRaw(ctx, s, q); err != nil {
			t.Fatal(err)
		}
	}
	// Version 4 has one office per reader in readers.office; migration 6 moves it to
	// reader_scopes.
	s.Close()
	s = openAt(4)
	if err := store.ExecRaw(ctx, s, `INSERT INTO readers (id, name, office, token_hash, created_us) VALUES ('rd-2', 'hà nội', 'HN-01', 'th2', 2)`); err != nil {
		t.Fatal(err)
	}
	// Version 6 has field values without date indexes and manifests with archive data.
	s.Close()
	s = openAt(6)
	const archived = "01900000-0000-7000-8000-000000000009"
	arch := `{"file_code":"KS-2026-ĐN01","title":"Hồ sơ khai sinh tháng 3","keywords":["khai sinh","Hải Châu"]}`
	if err := store.ExecRaw(ctx, s, `INSERT INTO batches (id, workstation_id, office, seq, record_type, manifest, manifest_sha256, committed_us, receipt)
		VALUES (?, 'ws-1', 'HN-01', 9, 'khai-sinh', ?, 'y', 2, ?)`, archived,
		[]byte(`{"version":1,"record_type":"khai-sinh","archive":`+arch+`,"documents":[]}`), []byte("r")); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO documents (batch_id, id, pdf_sha256, pdf_size) VALUES ('` + archived + `', 'd1', 'pdf-9', 10)`,
		`INSERT INTO document_fields (batch_id, doc_id, field_key, pos, value_enc, exact_idx, folded_idx) VALUES ('` + archived + `', 'd1', 'ho_ten', 0, ?, 'e1', 'f1')`,
		`INSERT INTO document_fields (batch_id, doc_id, field_key, pos, value_enc, exact_idx, folded_idx) VALUES ('` + archived + `', 'd1', 'ngay_dang_ky', 1, ?, 'e2', 'f2')`,
		`INSERT INTO document_fields (batch_id, doc_id, field_key, pos, value_enc, exact_idx, folded_idx) VALUES ('` + archived + `', 'd1', 'thanh_vien', 2, ?, NULL, NULL)`,
	} {
		args := []any{}
		if strings.Contains(q, "?") {
			args = append(args, []byte("sealed"))
		}
		if err := store.ExecRaw(ctx, s, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	// Version 7 copied file codes out of the manifests as they were (here in NFD, as a
	// workstation before NFC normalisation could send them) and has no document-level archive
	// columns: migration 8 puts the codes in NFC and fills the columns from the manifests.
	s.Close()
	s = openAt(7)
	const hue, huePending = "01900000-0000-7000-8000-000000000010", "01900000-0000-7000-8000-000000000011"
	nfdCode := norm.NFD.String("KS-2026-HUẾ01")
	hueManifest := `{"version":1,"record_type":"khai-sinh","archive":{"file_code":"` + nfdCode + `"},"documents":[
		{"id":"d1","archive":{"id":"` + nfdCode + `.001","number":"15","symbol":"` + norm.NFD.String("QĐ-UBND  Huế") + `","date":"2026-03-10"}},
		{"id":"d2","archive":{"id":"` + nfdCode + `.002","date":"không rõ"}},
		{"id":"d3"}]}`
	for _, b := range []struct {
		id        string
		committed any
	}{{hue, 3}, {huePending, nil}} {
		if err := store.ExecRaw(ctx, s, `INSERT INTO batches (id, workstation_id, office, seq, record_type, file_code, manifest, manifest_sha256, committed_us, receipt)
			VALUES (?, 'ws-1', 'HN-01', 10, 'khai-sinh', ?, ?, 'z', ?, ?)`, b.id, nfdCode, []byte(hueManifest), b.committed, []byte("r")); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"d1", "d2", "d3"} {
		if err := store.ExecRaw(ctx, s, `INSERT INTO documents (batch_id, id, pdf_sha256, pdf_size) VALUES (?, ?, ?, 10)`, hue, d, "pdf-h"+d); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s = openAt(-1)
	defer s.Close()
	// Migration 8: file codes in NFC (pending batches too), document archive keys filled.
	for _, id := range []string{hue, huePending} {
		if b, err := s.Batch(ctx, id); err != nil || b.FileCode != "KS-2026-HUẾ01" || !norm.NFC.IsNormalString(b.FileCode) {
			t.Fatalf("file code of %s after migration 8: %q (%v)", id, b.FileCode, err)
		}
	}
	if list, err := s.CommittedBatches(ctx, store.BatchFilter{FileCode: "KS-2026-HUẾ01"}, "", 10); err != nil || len(list) != 1 || list[0].ID != hue {
		t.Fatalf("file_code filter on a pre-upgrade NFD code: %+v (%v)", list, err)
	}
	docIDs := func(f store.DocumentFilter) string {
		t.Helper()
		rows, err := s.DocumentRows(ctx, f, nil, false, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.DocID)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct {
		f    store.DocumentFilter
		want string
	}{
		{store.DocumentFilter{Doc: store.DocArchiveKeys("KS-2026-HUẾ01.001", "", "", "")}, "d1"},
		{store.DocumentFilter{Doc: store.DocArchiveKeys("KS-2026-HUẾ01.002", "", "", "")}, "d2"},
		{store.DocumentFilter{Doc: store.DocArchiveKeys("", "15", "qđ-ubnd huế", "")}, "d1"},
		{store.DocumentFilter{DocDateFrom: "2026-03-10", DocDateTo: "2026-03-10"}, "d1"},
		{store.DocumentFilter{DocDateTo: "2026-12-31"}, "d1"}, // d2's date is no date, d3 has none
	} {
		if got := docIDs(c.f); got != c.want {
			t.Errorf("documents %+v after migration 8 = %q, want %q", c.f, got, c.want)
		}
	}
	// Migration 7: the archive file's data copied out of the stored manifest; the scalar
	// values (not the table) listed as undated until the server gives them their dates.
	ab, err := s.Batch(ctx, archived)
	var gotArch, wantArch any
	json.Unmarshal(ab.Archive, &gotArch)
	json.Unmarshal([]byte(arch), &wantArch)
	if err != nil || ab.FileCode != "KS-2026-ĐN01" || !reflect.DeepEqual(gotArch, wantArch) {
		t.Fatalf("archived batch after upgrade: %q %s (%v)", ab.FileCode, ab.Archive, err)
	}
	if b, _ := s.Batch(ctx, id); b.FileCode != "" || b.Archive != nil {
		t.Fatalf("batch without archive after upgrade: %q %s", b.FileCode, b.Archive)
	}
	if list, err := s.CommittedBatches(ctx, store.BatchFilter{FileCode: "KS-2026-ĐN01"}, "", 10); err != nil || len(list) != 1 {
		t.Fatalf("file code filter after upgrade: %d (%v)", len(list), err)
	}
	undated, err := s.UndatedFields(ctx, nil, 1)
	if err != nil || len(undated) != 1 || undated[0].Key != "ho_ten" || string(undated[0].Value) != "sealed" {
		t.Fatalf("undated after upgrade: %+v (%v)", undated, err)
	}
	undated, err = s.UndatedFields(ctx, &undated[0].FieldRef, 10)
	if err != nil || len(undated) != 1 || undated[0].Key != "ngay_dang_ky" {
		t.Fatalf("undated after ho_ten: %+v (%v)", undated, err)
	}
	if err := s.SetFieldDates(ctx, []store.FieldDates{{FieldRef: store.FieldRef{BatchID: archived, DocID: "d1", Key: "ho_ten"}},
		{FieldRef: undated[0].FieldRef, Dates: []string{"march-2026"}}}); err != nil {
		t.Fatal(err)
	}
	if u, err := s.UndatedFields(ctx, nil, 10); err != nil || len(u) != 0 {
		t.Fatalf("undated after SetFieldDates: %+v (%v)", u, err)
	}
	rows, err := s.DocumentRows(ctx, store.DocumentFilter{Date: &store.DateMatch{Key: "ngay_dang_ky", Indexes: []string{"march-2026"}}}, nil, false, 10)
	if err != nil || len(rows) != 1 || rows[0].DocID != "d1" || rows[0].FileCode != "KS-2026-ĐN01" {
		t.Fatalf("date match after upgrade: %+v (%v)", rows, err)
	}
	b, err := s.Batch(ctx, id)
	if err != nil || b.RecordType != "khai-tu" {
		t.Fatalf("record type after upgrade = %q (%v), want khai-tu", b.RecordType, err)
	}
	b, err = s.Batch(ctx, id[:len(id)-1]+"2")
	if err != nil || b.RecordType != "" {
		t.Fatalf("manifest without record type: %q (%v)", b.RecordType, err)
	}
	if list, err := s.CommittedBatches(ctx, store.BatchFilter{RecordType: "khai-tu"}, "", 10); err != nil || len(list) != 1 {
		t.Fatalf("filter on the upgraded column: %d (%v)", len(list), err)
	}
	// Migration 3: the blobs of batches committed before it belong to the batch's office.
	held, err := s.OfficeBlobs(ctx, "HN-01", []string{"pdf-1", "page-1", "page-2", "pending"})
	if err != nil || len(held) != 3 || !held["pdf-1"] || !held["page-1"] || !held["page-2"] {
		t.Fatalf("blobs of HN-01 after upgrade: %v (%v), want pdf-1, page-1, page-2", held, err)
	}
	if held, _ := s.OfficeBlobs(ctx, "HCM-02", []string{"pdf-1", "page-1"}); len(held) != 0 {
		t.Fatalf("another office holds %v after upgrade", held)
	}
	rd, err := s.Readers(ctx)
	if err != nil || len(rd) != 2 || rd[0].Offices != nil || rd[0].RecordTypes != nil {
		t.Fatalf("reader made before migration 3: %+v (%v), want one reading every office", rd, err)
	}
	if fmt.Sprint(rd[1].Offices) != "[HN-01]" || rd[1].RecordTypes != nil {
		t.Fatalf("reader of one office made before migration 6: %+v, want limited to HN-01", rd[1])
	}
}

func TestSQLiteUpgrade(t *testing.T) {
	path := filepath.Join(t.TempDir(), "central.db")
	testUpgrade(t, func(v int) store.Store {
		s, err := store.OpenSQLiteVersion(context.Background(), path, v)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPostgresUpgrade(t *testing.T) {
	c := postgresCluster(t)
	dsn, err := c.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	testUpgrade(t, func(v int) store.Store {
		s, err := store.OpenPostgresVersion(context.Background(), dsn, v)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
