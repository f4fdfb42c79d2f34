package workflow_test

import (
	"context"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/leakcheck"
	"github.com/sohoa/sohoa/internal/softhsmtest"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
	"github.com/sohoa/sohoa/sync/client"
	"github.com/sohoa/sohoa/workflow"
)

// TestEncryptedWorkstationLeavesNothing (issue 14, Must show): an enrolled workstation is
// switched to the encrypted store, then a clerk imports generated birth certificates, OCR and
// extraction run, the clerk keys every printed value, a supervisor approves and signs (SoftHSM2),
// the batch is synced to a central server. The workstation's whole data folder (database,
// WAL, blobs, temporary files, anything else) is then grepped for every name, ID number, address
// and other value of the batch, as written, in lower case and folded: no hit, and no sync token.
// The signed PDFs read back through the store pass pdfsig.
func TestEncryptedWorkstationLeavesNothing(t *testing.T) {
	ctx := context.Background()
	ca := newCA(t, "SoHoa Encrypted CA")
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	c := pgCentral(t, roots)
	ws := enrolledWorkstation(t, c, queue.RoleClerk)
	st, w, admin, clerk, sup := ws.st, ws.w, ws.admin, ws.clerk, ws.sup

	words, err := st.EnableEncryption(ctx, admin, "mật-khẩu-dài")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ConvertToEncrypted(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// The accounts made before: their passwords set again give them key slots.
	for _, u := range []queue.User{clerk, sup} {
		if err := st.SetPassword(ctx, admin, u.Username, "mật-khẩu-mới-"+u.Username); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func(u queue.User) {
		t.Helper()
		st.Lock()
		pw := "mật-khẩu-mới-" + u.Username
		if u.ID == admin.ID {
			pw = "mật-khẩu-dài"
		}
		if _, err := st.Authenticate(ctx, u.Username, pw); err != nil {
			t.Fatalf("sign in %s: %v", u.Username, err)
		}
	}

	signIn(clerk)
	b, err := st.CreateBatch(ctx, clerk, queue.BatchSpec{Name: "Khai sinh 2024", RecordType: "birth", Office: "HN-01"})
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
	docs, err := st.Documents(ctx, b.ID)
	if err != nil || len(docs) != 3 {
		t.Fatalf("documents %d, %v", len(docs), err)
	}
	rt, err := w.RecordType("birth")
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for i, d := range docs {
		if _, err := w.OpenDocument(ctx, clerk, d.ID); err != nil {
			t.Fatal(err)
		}
		for _, tf := range truth[i].Fields {
			values = append(values, tf.Value)
			fd, ok := rt.Field(tf.Key)
			if !ok {
				continue
			}
			values = append(values, records.Normalize(fd, tf.Value))
			if res, err := w.KeyField(ctx, clerk, workflow.KeyInput{Document: d.ID, Field: tf.Key, Value: tf.Value}); err != nil || res.Errors > 0 {
				t.Fatalf("key %s of document %d: %+v %v", tf.Key, d.ID, res, err)
			}
		}
		if fin, err := w.FinishDocument(ctx, clerk, workflow.FinishInput{Document: d.ID, ConfirmWarnings: true}); err != nil || !fin.Done {
			t.Fatalf("finish document %d: %+v %v", d.ID, fin, err)
		}
	}
	// The search finds a keyed name through the blind index.
	name := truth[0].Fields[0].Value
	for _, f := range truth[0].Fields {
		if strings.Contains(f.Key, "name") {
			name = f.Value
			break
		}
	}
	if hits, err := st.Search(ctx, queue.Fold(name), 10); err != nil || len(hits) == 0 {
		t.Fatalf("search for a keyed value: %d hits, %v", len(hits), err)
	}
	if sub, err := w.Submit(ctx, clerk, workflow.SubmitInput{Batch: b.ID, ConfirmWarnings: true}, nil); err != nil || sub.Documents != 3 {
		t.Fatalf("submit: %+v %v", sub, err)
	}

	signIn(sup)
	if _, err := w.Sample(ctx, sup, workflow.SampleInput{Batch: b.ID, Percent: 34, Seed: 2026}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Decide(ctx, sup, workflow.DecideInput{Batch: b.ID, AllSampled: true, Decision: workflow.Accept}); err != nil {
		t.Fatal(err)
	}
	if ab, err := w.Approve(ctx, sup, b.ID); err != nil || ab.State != queue.StateApproved {
		t.Fatalf("approve: %+v %v", ab, err)
	}
	key, cert := ca.valid(t, sup.FullName)
	softhsmtest.NewToken(t, key, []*x509.Certificate{cert, ca.cert})
	signIn(admin)
	if _, err := st.AddUserCert(ctx, admin, sup.Username, cert); err != nil {
		t.Fatal(err)
	}
	signIn(sup)
	asked := 0
	in := workflow.SignInput{BatchID: b.ID, Source: workflow.SignerSource{Module: softhsmtest.Module, Token: softhsmtest.Label}, PIN: pinOf(softhsmtest.PIN, &asked)}
	if sr, err := w.SignBatch(ctx, sup, in, nil); err != nil || len(sr.Documents) != 3 {
		t.Fatalf("sign: %+v %v", sr, err)
	}
	signed, err := st.SignedDocuments(ctx, b.ID)
	if err != nil || len(signed) != 3 {
		t.Fatalf("signed documents %d, %v", len(signed), err)
	}
	for _, sd := range signed {
		pdf, err := st.Blobs.Get(sd.PDFSHA256)
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(t.TempDir(), "signed.pdf")
		if err := os.WriteFile(f, pdf, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("pdfsig", "-nocert", f).CombinedOutput(); err != nil || !strings.Contains(string(out), "Signature is Valid") {
			t.Fatalf("pdfsig: %v\n%s", err, out)
		}
		if out, err := exec.Command("pdfsig", "-nocert", st.Blobs.Path(sd.PDFSHA256)).CombinedOutput(); err == nil && strings.Contains(string(out), "Signature is Valid") {
			t.Fatalf("the stored blob file is a readable PDF:\n%s", out)
		}
	}
	signIn(clerk)
	if sy, err := w.SyncOnce(ctx, clerk, workflow.SyncInput{}, nil); err != nil || sy.Done != 1 {
		t.Fatalf("sync: %+v %v", sy, err)
	}
	if !c.Committed(ctx, b.ID) {
		t.Fatal("the central server does not hold the batch committed")
	}
	token, err := st.Setting(ctx, client.SettingToken)
	if err != nil || token == "" {
		t.Fatalf("sync token: %v", err)
	}
	if err := st.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
	data := st.Dir()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	values = append(values, token)
	hits, err := leakcheck.Scan(data, values, queue.Fold)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		t.Errorf("readable in the data folder: %s", h)
	}
	files := 0
	filepath.WalkDir(data, func(string, os.DirEntry, error) error { files++; return nil })
	t.Logf("%d values of the batch grepped over %d files of the data folder: %d hits", len(values), files, len(hits))

	// The folder reopened: the recovery key opens it, a wrong password does not.
	st2, err := queue.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if _, err := st2.Authenticate(ctx, clerk.Username, "not the password"); err == nil || !st2.Locked() {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := st2.Blobs.Get(signed[0].PDFSHA256); err == nil {
		t.Fatal("a locked store returned a PDF")
	}
	if err := st2.UnlockWithRecovery(ctx, words); err != nil {
		t.Fatal(err)
	}
	if _, err := st2.Blobs.Get(signed[0].PDFSHA256); err != nil {
		t.Fatalf("PDF with the recovery key: %v", err)
	}
}
