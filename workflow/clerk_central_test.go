package workflow_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/internal/qpdfrecord"
	"github.com/sohoa/sohoa/internal/softhsmtest"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/store/pgtest"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/workflow"
)

// pgCentral starts a real central server on a throwaway PostgreSQL cluster (pgtest), trusting
// the signing CA roots.
func pgCentral(t *testing.T, roots *x509.CertPool) *synctest.Central {
	t.Helper()
	ctx := context.Background()
	cluster, err := pgtest.Start(ctx)
	if err != nil {
		t.Fatalf("the walk-through needs a local PostgreSQL server: %v", err)
	}
	t.Cleanup(func() { cluster.Stop() })
	dsn, err := cluster.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	c, err := synctest.NewCentralOn(st, t.TempDir(), roots)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// birthScans writes n generated birth certificates (one page each) as PNG scans into a new
// folder and returns it with the generator's truth.
func birthScans(t *testing.T, n int) (string, []docgen.Document) {
	t.Helper()
	dir := t.TempDir()
	var out []docgen.Document
	for i := 0; len(out) < n && i < 400; i++ {
		d, imgs, err := docgen.Generate(11, i, docgen.Options{DPI: 200, Clean: true})
		if err != nil {
			t.Fatal(err)
		}
		if d.Type != "birth" || len(imgs) != 1 {
			continue
		}
		var buf bytes.Buffer
		if err := docgen.EncodePNG(&buf, imgs[0]); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, d.ID+".png"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	if len(out) < n {
		t.Fatalf("generated %d birth certificates, want %d", len(out), n)
	}
	return dir, out
}

// reader is a data-sharing platform reading the central server with its own token.
type reader struct {
	t     *testing.T
	c     *synctest.Central
	token string
}

func (r *reader) get(path string) []byte {
	r.t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.c.URL()+path, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := r.c.Server.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		r.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("GET %s: %s %s", path, resp.Status, buf.Bytes())
	}
	return buf.Bytes()
}

// record is the record.json a signed PDF carries.
type record struct {
	BatchID    string `json:"batch_id"`
	DocumentID int64  `json:"document_id"`
	RecordType string `json:"record_type"`
	Office     string `json:"office"`
	Fields     []struct {
		Key, Value, Source string
	} `json:"fields"`
}

// attachedRecord reads the record.json a PDF file carries with a third-party reader (qpdf;
// the record is private data in the catalog's /PieceInfo, sign.RecordPiece).
func attachedRecord(t *testing.T, pdf string) record {
	t.Helper()
	data, err := qpdfrecord.Read(pdf)
	if err != nil {
		t.Fatal(err)
	}
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("record.json: %v", err)
	}
	return rec
}

// checkPDF runs poppler's pdfsig and qpdf --check on a signed PDF.
func checkPDF(t *testing.T, what, pdf string) {
	t.Helper()
	out, err := exec.Command("pdfsig", "-nocert", pdf).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature Validation: Signature is Valid.") {
		t.Fatalf("pdfsig on %s: %v\n%s", what, err, out)
	}
	if out, err := exec.Command("qpdf", "--check", pdf).CombinedOutput(); err != nil || !strings.Contains(string(out), "No syntax or stream encoding errors") {
		t.Fatalf("qpdf --check on %s: %v\n%s", what, err, out)
	}
	// PDF/A-2b as the application writes it: the XMP identification, nothing embedded
	// (the record is in /PieceInfo).
	if out, err := exec.Command("pdfinfo", "-meta", pdf).CombinedOutput(); err != nil || !strings.Contains(string(out), "<pdfaid:part>2</pdfaid:part>") || !strings.Contains(string(out), "<pdfaid:conformance>B</pdfaid:conformance>") {
		t.Errorf("%s is not PDF/A-2b by its XMP: %v", what, err)
	}
	if out, err := exec.Command("pdfdetach", "-list", pdf).CombinedOutput(); err != nil || !strings.Contains(string(out), "0 embedded files") {
		t.Errorf("pdfdetach -list on %s: %v %s", what, err, out)
	}
}

// TestClerkToCentral is the whole job through the workflow layer alone, with the real
// dependencies: an administrator enrolls the workstation with a central server (PostgreSQL);
// a clerk imports generated birth-certificate scans, OCR (Tesseract) and extraction fill the
// fields, the clerk accepts the confident values, keys the rest and submits; the clerk (also a
// supervisor) may not approve the batch they keyed (four eyes); another supervisor draws the
// sample, accepts it, approves and signs with a SoftHSM2 token; the batch is sent. At the end
// the central server holds it committed, the signed receipt is stored locally, the centre's
// search and export find every document and the PDF each one points to carries every field
// as the clerk keyed it (Vietnamese diacritics intact); the signed PDFs pass pdfsig and qpdf
// --check, are PDF/A-2b by their XMP with nothing embedded, and the audit chain verifies.
func TestClerkToCentral(t *testing.T) {
	ctx := context.Background()
	ca := newCA(t, "SoHoa Walk-through CA")
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	c := pgCentral(t, roots)

	// The workstation: a store with the bundled record types and its people, enrolled by
	// its administrator.
	ws := enrolledWorkstation(t, c, queue.RoleClerk, queue.RoleSupervisor)
	st, w, admin, clerk, sup := ws.st, ws.w, ws.admin, ws.clerk, ws.sup
	if ws.enrolled.Office != "HN-01" {
		t.Fatalf("enroll: %+v", ws.enrolled)
	}

	// Capture, OCR, extraction.
	b, err := st.CreateBatch(ctx, clerk, queue.BatchSpec{Name: "Khai sinh phường Hàng Bạc 2024", RecordType: "birth", Office: "HN-01"})
	if err != nil {
		t.Fatal(err)
	}
	dir, truth := birthScans(t, 3)
	if res, err := w.Import(ctx, clerk, workflow.ImportInput{Batch: b.ID, Paths: []string{dir}}, nil); err != nil || res.Documents != 3 || res.Failed != 0 {
		t.Fatalf("import: %+v %v", res, err)
	}
	if res, err := w.OCR(ctx, clerk, workflow.OCRInput{Batch: b.ID, Options: workflow.OCROptions{Workers: 2}}, nil); err != nil || res.Done != 3 {
		t.Fatalf("OCR: %+v %v", res, err)
	}
	if res, err := w.Extract(ctx, clerk, workflow.ExtractInput{Batch: b.ID}, nil); err != nil || res.Documents != 3 {
		t.Fatalf("extract: %+v %v", res, err)
	}

	// Keying: accept the confident OCR values, key every other printed value (and all of the last document).
	docs, err := st.Documents(ctx, b.ID)
	if err != nil || len(docs) != 3 {
		t.Fatalf("documents %d, %v", len(docs), err)
	}
	rt, err := w.RecordType("birth")
	if err != nil {
		t.Fatal(err)
	}
	// want[document][field] is what the clerk keyed or accepted, as stored.
	want := map[int64]map[string]string{}
	accepted, keyed, diacritics := 0, 0, 0
	for i, d := range docs {
		if _, err := w.OpenDocument(ctx, clerk, d.ID); err != nil {
			t.Fatal(err)
		}
		acc, err := w.AcceptConfident(ctx, clerk, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		accepted += len(acc.Accepted)
		vals, err := w.DocumentValues(ctx, clerk, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		cur := map[string]string{}
		for _, v := range vals {
			cur[v.Key] = v.Value
		}
		want[d.ID] = map[string]string{}
		for _, tf := range truth[i].Fields {
			fd, ok := rt.Field(tf.Key)
			if !ok {
				continue
			}
			norm := records.Normalize(fd, tf.Value)
			want[d.ID][tf.Key] = norm
			if !utf8.ValidString(norm) {
				t.Fatalf("document %d: %s is not UTF-8", d.ID, tf.Key)
			}
			if strings.ContainsFunc(norm, func(r rune) bool { return r > 0x7f }) {
				diacritics++
			}
			// The last document is keyed in full, as a clerk keys a page they check by eye
			// (OCR now reads every field of these scans right).
			if cur[tf.Key] == norm && i < len(docs)-1 {
				continue
			}
			res, err := w.KeyField(ctx, clerk, workflow.KeyInput{Document: d.ID, Field: tf.Key, Value: tf.Value})
			if err != nil || res.Errors > 0 {
				t.Fatalf("key %s of document %d: %+v %v", tf.Key, d.ID, res, err)
			}
			keyed++
		}
		fin, err := w.FinishDocument(ctx, clerk, workflow.FinishInput{Document: d.ID, ConfirmWarnings: true})
		if err != nil || !fin.Done {
			t.Fatalf("finish document %d: %+v %v", d.ID, fin, err)
		}
	}
	if accepted == 0 || keyed == 0 || diacritics == 0 {
		t.Fatalf("accepted %d OCR values, keyed %d, %d values with diacritics: the walk-through needs all three", accepted, keyed, diacritics)
	}
	t.Logf("%d OCR values accepted, %d keyed, %d with diacritics", accepted, keyed, diacritics)
	if sub, err := w.Submit(ctx, clerk, workflow.SubmitInput{Batch: b.ID, ConfirmWarnings: true}, nil); err != nil || sub.Documents != 3 {
		t.Fatalf("submit: %+v %v", sub, err)
	}

	// Review: the clerk, a supervisor too, may not approve what they keyed.
	if _, err := w.Sample(ctx, sup, workflow.SampleInput{Batch: b.ID, Percent: 34, Seed: 2026}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Decide(ctx, sup, workflow.DecideInput{Batch: b.ID, AllSampled: true, Decision: workflow.Accept}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Approve(ctx, clerk, b.ID); !errors.Is(err, queue.ErrFourEyes) {
		t.Fatalf("the clerk approves their own batch: %v", err)
	}
	if ab, err := w.Approve(ctx, sup, b.ID); err != nil || ab.State != queue.StateApproved {
		t.Fatalf("approve: %+v %v", ab, err)
	}

	// Signing with the supervisor's key on a SoftHSM2 token.
	key, cert := ca.valid(t, sup.FullName)
	softhsmtest.NewToken(t, key, []*x509.Certificate{cert, ca.cert})
	if _, err := st.AddUserCert(ctx, admin, sup.Username, cert); err != nil {
		t.Fatal(err)
	}
	asked := 0
	in := workflow.SignInput{BatchID: b.ID, Source: workflow.SignerSource{Module: softhsmtest.Module, Token: softhsmtest.Label}, PIN: pinOf(softhsmtest.PIN, &asked)}
	if _, err := w.SignBatch(ctx, clerk, in, nil); err == nil || asked != 0 {
		t.Fatalf("the clerk signs their own batch: %v (PIN asked %d times)", err, asked)
	}
	sr, err := w.SignBatch(ctx, sup, in, nil)
	if err != nil || len(sr.Documents) != 3 || asked != 1 {
		t.Fatalf("sign: %+v %v (PIN asked %d times)", sr, err, asked)
	}
	signed, err := st.SignedDocuments(ctx, b.ID)
	if err != nil || len(signed) != 3 {
		t.Fatalf("signed documents %d, %v", len(signed), err)
	}
	for _, sd := range signed {
		checkPDF(t, fmt.Sprintf("local document %d", sd.DocumentID), st.Blobs.Path(sd.PDFSHA256))
	}

	// Sync.
	sy, err := w.SyncOnce(ctx, clerk, workflow.SyncInput{}, nil)
	if err != nil || sy.Done != 1 || len(sy.Receipts) != 1 || sy.Receipts[0].BatchID != b.ID || sy.Outbox.Pending != 0 {
		t.Fatalf("sync: %+v %v", sy, err)
	}
	if !c.Committed(ctx, b.ID) {
		t.Fatal("the central server does not hold the batch committed")
	}
	ov, err := w.Outbox(ctx, c.Key.Public().(ed25519.PublicKey), 10)
	if err != nil || len(ov.Done) != 1 || ov.Done[0].Err != nil || ov.Done[0].Entry.BatchID != b.ID || ov.Done[0].Receipt.BatchID != b.ID || ov.Done[0].Receipt.Office != "HN-01" {
		t.Fatalf("stored receipt: %+v %v", ov, err)
	}

	// The centre: a platform searches for the batch, exports, fetches each PDF.
	_, token, err := server.NewReaderToken(ctx, c.Store, "Cổng dữ liệu thành phố", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rd := &reader{t: t, c: c, token: token}
	var found server.ReadSearch
	if err := json.Unmarshal(rd.get("/v1/read/search?q="+url.QueryEscape(b.ID)), &found); err != nil {
		t.Fatal(err)
	}
	var exported []server.ReadRow
	if err := json.Unmarshal(rd.get("/v1/read/export?format=json&office=HN-01&record_type=birth"), &exported); err != nil {
		t.Fatal(err)
	}
	if len(found.Results) != 3 || len(exported) != 3 {
		t.Fatalf("the centre finds %d documents and exports %d, want 3", len(found.Results), len(exported))
	}
	inSearch := map[string]server.ReadRow{}
	for _, r := range found.Results {
		inSearch[r.DocumentID] = r
	}
	seen := map[int64]bool{}
	for _, row := range exported {
		if s, ok := inSearch[row.DocumentID]; !ok || s.PDFSHA256 != row.PDFSHA256 || row.BatchID != b.ID {
			t.Fatalf("exported row %+v not found by search (%+v)", row, s)
		}
		pdf := filepath.Join(t.TempDir(), "central.pdf")
		if err := os.WriteFile(pdf, rd.get(row.PDF), 0o600); err != nil {
			t.Fatal(err)
		}
		checkPDF(t, "central document "+row.DocumentID, pdf)
		rec := attachedRecord(t, pdf)
		exp, ok := want[rec.DocumentID]
		if !ok || seen[rec.DocumentID] || rec.BatchID != b.ID || rec.RecordType != "birth" || rec.Office != "HN-01" {
			t.Fatalf("central document %s carries record %d of batch %s (%s, %s)", row.DocumentID, rec.DocumentID, rec.BatchID, rec.RecordType, rec.Office)
		}
		seen[rec.DocumentID] = true
		got := map[string]string{}
		for _, f := range rec.Fields {
			got[f.Key] = f.Value
		}
		for k, v := range exp {
			if got[k] != v {
				t.Errorf("central document %s: field %s is %q, the clerk keyed %q", row.DocumentID, k, got[k], v)
			}
		}
	}
	if len(seen) != 3 {
		t.Fatalf("the centre holds records %v", seen)
	}
	if err := st.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// workstation is an office's workstation for the end-to-end tests: its store with the bundled
// record types, its workflow, an administrator, a clerk and a supervisor, office HN-01,
// enrolled with a central server.
type workstation struct {
	st                *queue.Store
	w                 *workflow.Workflow
	admin, clerk, sup queue.User
	enrolled          workflow.EnrollResult
}

// enrolledWorkstation makes a workstation whose clerk has clerkRoles, and has its
// administrator set the office and enroll it with c through the workflow.
func enrolledWorkstation(t *testing.T, c *synctest.Central, clerkRoles ...queue.Role) workstation {
	t.Helper()
	ctx := context.Background()
	st, err := queue.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := records.Register(ctx, st); err != nil {
		t.Fatal(err)
	}
	admin, err := st.CreateUser(ctx, nil, "quan.tri", "Nguyễn Văn Quản", "mật-khẩu-dài", []queue.Role{queue.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	user := func(name, full string, roles ...queue.Role) queue.User {
		u, err := st.CreateUser(ctx, &admin, name, full, "mật-khẩu-dài", roles)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	ws := workstation{st: st, admin: admin,
		clerk: user("nhap.lieu", "Trần Thị Nhập", clerkRoles...),
		sup:   user("kiem.soat", "Phạm Văn Kiểm", queue.RoleSupervisor)}
	if ws.w, err = workflow.New(st); err != nil {
		t.Fatal(err)
	}
	if err := ws.w.SetSetting(ctx, admin, queue.SettingOffice, "HN-01"); err != nil {
		t.Fatal(err)
	}
	code, err := c.EnrollCode(ctx, "HN-01")
	if err != nil {
		t.Fatal(err)
	}
	if ws.enrolled, err = ws.w.Enroll(ctx, admin, workflow.EnrollInput{Server: c.URL(), Code: code, Fingerprint: c.Pin}, nil); err != nil {
		t.Fatalf("enroll: %v", err)
	}
	return ws
}
