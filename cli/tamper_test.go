package cli

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/wire"
)

type auditVerifyOut struct {
	Intact   bool            `json:"intact"`
	Events   int64           `json:"events"`
	Anchored queue.AuditHead `json:"anchored"`
	Batches  int             `json:"signed_batches"`
	Problems []string        `json:"problems"`
}

func (r *runner) auditVerify() (auditVerifyOut, result) {
	r.t.Helper()
	res := r.signIn("admin").run("", "audit", "--verify", "--json")
	var out auditVerifyOut
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		r.t.Fatalf("audit --verify --json: %+v", res)
	}
	if out.Intact != (res.code == 0) {
		r.t.Fatalf("audit --verify: exit %d, intact %v", res.code, out.Intact)
	}
	return out, res
}

func hasProblem(out auditVerifyOut, substr string) bool {
	for _, p := range out.Problems {
		if strings.Contains(p, substr) {
			return true
		}
	}
	return false
}

// attackerDB opens the data folder's database with plain SQL, as someone holding the file
// (and no SoHoa) would.
func attackerDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, queue.DBFile)+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec1(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// TestTamperedStoreDetected: a batch signed by the real command and synced to a real central
// server carries the audit head in its signed manifest and in the server's signed receipt.
// Then, with SQL on the database file: a field value changed after signing is reported by
// `sohoa audit --verify` and refused by `sohoa export`; a user's roles changed are reported
// and the user's sign-in refused; the newest audit rows deleted (the append-only triggers
// dropped first) are reported, by the head file and by the manifest's and receipt's anchors.
func TestTamperedStoreDetected(t *testing.T) {
	ctx := context.Background()
	r := approvedBatch(t)
	key, cert, ca, _ := testCert(t, approverName)
	const pin = "mật khẩu p12"
	p12, err := pkcs12.Modern.Encode(key, cert, []*x509.Certificate{ca}, pin)
	if err != nil {
		t.Fatal(err)
	}
	p12File := filepath.Join(t.TempDir(), "ky-so.p12")
	os.WriteFile(p12File, p12, 0o600)
	r.signIn("admin").must("user", "cert", "add", "--username", "kiemsoat", "--cert", certPEM(t, cert)) // the approver's own key
	if res := r.signIn("kiemsoat").run(pin+"\n", "sign", "--batch", r.batch, "--p12", p12File, "--pin-stdin"); res.code != 0 {
		t.Fatalf("sign: %+v", res)
	}

	// A central server that trusts the test CA; enroll and sync.
	sdir := t.TempDir()
	cst, err := store.OpenSQLite(ctx, filepath.Join(sdir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer cst.Close()
	blobs, _ := store.NewLocalBlobs(filepath.Join(sdir, "blobs"))
	rkey, _ := server.LoadOrCreateReceiptKey(sdir)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	srv, err := server.New(server.Config{DataDir: sdir, Store: cst, Blobs: blobs, Key: rkey,
		Verifier: server.SignatureVerifier{Roots: roots}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewTLSServer(srv.Handler())
	defer hs.Close()
	fp := sha256.Sum256(hs.Certificate().Raw)
	code, err := server.NewEnrollCode(ctx, cst, "HN-01", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res := r.signIn("admin").run(code+"\n", "enroll", "--server", hs.URL, "--fingerprint", hex.EncodeToString(fp[:])); res.code != 0 {
		t.Fatalf("enroll: %+v", res)
	}
	if res := r.signIn("kiemsoat").run("", "sync", "--once"); res.code != 0 {
		t.Fatalf("sync: %+v", res)
	}

	// The manifest and the receipt carry the same audit head.
	st := openStore(t, r.data)
	raw, _, err := st.BatchManifest(ctx, r.batch)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := wire.DecodeManifest(strings.NewReader(string(raw)))
	if err != nil || m.AuditHead == nil {
		t.Fatalf("manifest audit head: %+v %v", m, err)
	}
	if err := st.CheckAuditHead(ctx, queue.AuditHead{Seq: m.AuditHead.Seq, Hash: m.AuditHead.Hash}); err != nil {
		t.Fatal(err)
	}
	entry, err := st.OutboxEntryOf(ctx, r.batch)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := wire.VerifyReceipt(srv.PublicKey(), entry.Receipt)
	if err != nil || rc.AuditHead == nil || *rc.AuditHead != *m.AuditHead {
		t.Fatalf("receipt audit head: %+v (manifest %+v) %v", rc.AuditHead, m.AuditHead, err)
	}
	fields, _ := st.Fields(ctx, mustID(t, r.doc))
	st.Close()
	if len(fields) == 0 {
		t.Fatal("the signed document has no fields")
	}

	out, res := r.auditVerify()
	if !out.Intact || out.Batches != 1 {
		t.Fatalf("untouched store: %+v\n%s", out, res.stdout)
	}
	exported := r.signIn("admin").must("export", "--batch", r.batch, "--format", "json").stdout
	if !strings.Contains(exported, fields[0].Value) {
		t.Fatal("export lacks the signed value")
	}

	db := attackerDB(t, r.data)

	// 1. A field value edited after signing.
	forged := "Giá Trị Giả Mạo"
	exec1(t, db, `UPDATE field_values SET value = ? WHERE document_id = ? AND key = ? AND current = 1`, forged, r.doc, fields[0].Key)
	out, res = r.auditVerify()
	if !hasProblem(out, `field "`+fields[0].Key+`" differs from the signed value`) {
		t.Fatalf("edited field: %+v", out)
	}
	if strings.Contains(res.stdout, forged) || strings.Contains(res.stdout, fields[0].Value) {
		t.Fatal("audit --verify printed a field value")
	}
	for _, format := range []string{"json", "csv"} {
		res := r.signIn("admin").run("", "export", "--batch", r.batch, "--format", format)
		if res.code != 1 || !strings.Contains(res.stderr, "khác với bản đã ký") || strings.Contains(res.stdout, forged) {
			t.Fatalf("export %s of an edited signed batch: %+v", format, res)
		}
	}
	exec1(t, db, `UPDATE field_values SET value = ? WHERE document_id = ? AND key = ? AND current = 1`, fields[0].Value, r.doc, fields[0].Key)
	if out, _ := r.auditVerify(); !out.Intact {
		t.Fatalf("field restored: %+v", out)
	}

	// 2. A role edited: the clerk made administrator.
	exec1(t, db, `UPDATE users SET roles = 'clerk,admin' WHERE username = 'thu'`)
	out, _ = r.auditVerify()
	if !hasProblem(out, "the account thu (id 2) was changed outside SoHoa") || !hasProblem(out, "the roles of thu (id 2) differ from the audit log") {
		t.Fatalf("edited role: %+v", out)
	}
	if res := r.signIn("thu").run("", "user", "add", "--username", "moi", "--role", "admin"); res.code != 1 || !strings.Contains(res.stderr, "bị sửa ngoài SoHoa") {
		t.Fatalf("sign-in with edited roles: %+v", res)
	}
	exec1(t, db, `UPDATE users SET roles = 'clerk' WHERE username = 'thu'`)
	if out, _ := r.auditVerify(); !out.Intact {
		t.Fatalf("role restored: %+v", out)
	}

	// 3. The newest audit rows deleted, back past the signing: the head file, the signed
	// manifest and the server's receipt all name an event that is gone.
	exec1(t, db, `DROP TRIGGER audit_no_delete`)
	exec1(t, db, `DELETE FROM audit WHERE id >= ?`, m.AuditHead.Seq)
	out, _ = r.auditVerify()
	if !hasProblem(out, queue.AuditHeadFile) || !hasProblem(out, "the audit head in its signed manifest") ||
		!hasProblem(out, "the audit head in the server's receipt") {
		t.Fatalf("deleted rows: %+v", out)
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	if err := json.Unmarshal([]byte(s), &id); err != nil {
		t.Fatal(err)
	}
	return id
}
