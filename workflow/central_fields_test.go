package workflow_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	mrand "math/rand/v2"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/workflow"
)

// TestCentralKeepsFields: what a clerk keys reaches the centre's database as fields. Two birth
// certificates are keyed with Vietnamese values through the workflow, approved by another
// supervisor, signed with a .p12 key and sent; the central server (SQLite, verifying the
// signatures) read each signed PDF's record.json at commit. A platform then finds them by
// field, exactly and with the diacritics folded, and exports them as CSV with one column per
// field, every value as the clerk keyed it.
func TestCentralKeepsFields(t *testing.T) {
	ctx := context.Background()
	ca := newCA(t, "SoHoa Fields CA")
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	c, err := synctest.NewCentral(ctx, t.TempDir(), roots)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	ws := enrolledWorkstation(t, c, queue.RoleClerk)
	st, w, admin, clerk, sup := ws.st, ws.w, ws.admin, ws.clerk, ws.sup

	// Two scanned pages, keyed by the clerk.
	b, err := st.CreateBatch(ctx, clerk, queue.BatchSpec{Name: "Khai sinh phường Hàng Bạc", RecordType: "birth", Office: "HN-01"})
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(20, 26))
	common := map[string]string{"date_of_birth": "12/03/2024", "gender": "Nam", "registration_place": "Phường Hàng Bạc, Quận Hoàn Kiếm, Hà Nội",
		"registration_date": "20/03/2024", "issue_date": "20/03/2024", "signer_name": "Lê Thị Thư", "place_of_birth": "Bệnh viện Phụ sản Hà Nội"}
	keyedValues := []map[string]string{
		{"document_number": "101/2024", "full_name": "Nguyễn Văn An", "personal_id": "001224004567", "mother_full_name": "Đặng Thị Hương"},
		{"document_number": "102/2024", "full_name": "Nguyễn Văn Ân", "personal_id": "001224009876", "mother_full_name": "Vũ Thị Ngọc Ánh"},
	}
	want := map[string]map[string]string{} // document id (as the manifest has it) -> stored values
	rt, err := w.RecordType("birth")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for range keyedValues {
		img := synctest.PageImage(rng, 48, 48)
		d, _, err := st.AddDocument(ctx, clerk, queue.NewDocument{BatchID: b.ID, Origin: "thử",
			Pages: []queue.PageInput{{Data: img, Format: "png", Width: 48, Height: 48, DPI: 300}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	if res, err := w.OCR(ctx, clerk, workflow.OCRInput{Batch: b.ID, Options: workflow.OCROptions{Workers: 1}}, nil); err != nil || res.Done != 2 {
		t.Fatalf("OCR: %+v %v", res, err)
	}
	for i, vals := range keyedValues {
		doc := ids[i]
		id := jsonID(doc)
		want[id] = map[string]string{}
		for k, v := range vals {
			common[k] = v
		}
		for k, v := range common {
			fd, ok := rt.Field(k)
			if !ok {
				t.Fatalf("birth has no field %s", k)
			}
			want[id][k] = records.Normalize(fd, v)
		}
		if _, err := w.OpenDocument(ctx, clerk, doc); err != nil {
			t.Fatal(err)
		}
		for k, v := range common {
			if res, err := w.KeyField(ctx, clerk, workflow.KeyInput{Document: doc, Field: k, Value: v}); err != nil || res.Errors > 0 {
				t.Fatalf("key %s: %+v %v", k, res, err)
			}
		}
		if fin, err := w.FinishDocument(ctx, clerk, workflow.FinishInput{Document: doc, ConfirmWarnings: true}); err != nil || !fin.Done {
			t.Fatalf("finish: %+v %v", fin, err)
		}
	}
	if _, err := w.Submit(ctx, clerk, workflow.SubmitInput{Batch: b.ID, ConfirmWarnings: true}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Sample(ctx, sup, workflow.SampleInput{Batch: b.ID, Percent: 100, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Decide(ctx, sup, workflow.DecideInput{Batch: b.ID, AllSampled: true, Decision: workflow.Accept}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Approve(ctx, sup, b.ID); err != nil {
		t.Fatal(err)
	}
	key, cert := ca.valid(t, sup.FullName)
	if _, err := st.AddUserCert(ctx, admin, sup.Username, cert); err != nil {
		t.Fatal(err)
	}
	asked := 0
	if _, err := w.SignBatch(ctx, sup, workflow.SignInput{BatchID: b.ID, Source: workflow.SignerSource{P12File: ca.p12(t, key, cert, "pw-123456")},
		PIN: pinOf("pw-123456", &asked)}, nil); err != nil {
		t.Fatal(err)
	}
	if sy, err := w.SyncOnce(ctx, clerk, workflow.SyncInput{}, nil); err != nil || sy.Done != 1 || !c.Committed(ctx, b.ID) {
		t.Fatalf("sync: %+v %v", sy, err)
	}

	// The centre.
	_, token, err := server.NewReaderToken(ctx, c.Store, "Cơ sở dữ liệu hộ tịch", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rd := &reader{t: t, c: c, token: token}
	search := func(field, value string, fold bool) []string {
		t.Helper()
		q := url.Values{"field": {field}, "value": {value}}
		if fold {
			q.Set("fold", "1")
		}
		var s server.ReadSearch
		if err := json.Unmarshal(rd.get("/v1/read/search?"+q.Encode()), &s); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range s.Results {
			if !mapsEqual(r.Fields, want[r.DocumentID]) {
				t.Fatalf("search %s=%q: document %s fields %q, keyed %q", field, value, r.DocumentID, r.Fields, want[r.DocumentID])
			}
			ids = append(ids, r.DocumentID)
		}
		slices.Sort(ids)
		return ids
	}
	var an, anHat string
	for id, v := range want {
		if v["full_name"] == "Nguyễn Văn An" {
			an = id
		} else {
			anHat = id
		}
	}
	both := []string{an, anHat}
	slices.Sort(both)
	for _, c := range []struct {
		field, value string
		fold         bool
		want         []string
	}{
		{"full_name", "nguyễn văn an", false, []string{an}},
		{"full_name", "NGUYỄN VĂN ÂN", false, []string{anHat}},
		{"full_name", "nguyen van an", true, both},
		{"mother_full_name", "dang thi huong", true, []string{an}},
		{"personal_id", "001224009876", false, []string{anHat}},
		{"personal_id", "001224009876", true, []string{anHat}},
		{"place_of_birth", "Bệnh viện Phụ sản Hà Nội", false, both},
		{"full_name", "Đặng Thị Hương", false, nil},
	} {
		if got := search(c.field, c.value, c.fold); !slices.Equal(got, c.want) {
			t.Errorf("search %s=%q fold=%v: %v, want %v", c.field, c.value, c.fold, got, c.want)
		}
	}
	recs, err := csv.NewReader(bytes.NewReader(rd.get("/v1/read/export?format=csv&record_type=birth"))).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("CSV export: %d records, %v", len(recs), err)
	}
	head := recs[0]
	if !slices.Equal(head[:len(server.ExportColumns)], server.ExportColumns) || len(head) != len(server.ExportColumns)+len(common)+len(server.ArchiveColumns) ||
		!slices.Equal(head[len(head)-len(server.ArchiveColumns):], server.ArchiveColumns) {
		t.Fatalf("CSV header %q", head)
	}
	for _, r := range recs[1:] {
		got := map[string]string{}
		for i := len(server.ExportColumns); i < len(head)-len(server.ArchiveColumns); i++ {
			got[head[i]] = r[i]
		}
		if !mapsEqual(got, want[r[6]]) {
			t.Errorf("CSV document %s: %q, keyed %q", r[6], got, want[r[6]])
		}
	}
}

func jsonID(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}
