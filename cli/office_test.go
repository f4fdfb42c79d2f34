package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/png"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/internal/qpdfrecord"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/wire"
)

// TestOfficeSameInRecordManifestReceipt (finding 7): the office set with `sohoa settings
// office` becomes the office of a batch created without --office; after review, signing and
// sync to a real central server, the signed PDF's record.json, the signed manifest and the
// server's receipt all name it. A batch of another office is refused before keying (submit
// and `sohoa key`) with the fix, until an administrator changes its office with `sohoa batch
// office`; the office cannot change once the batch is signed.
func TestOfficeSameInRecordManifestReceipt(t *testing.T) {
	ctx := context.Background()
	r := newRunner(t)
	r.withAdmin()
	r.addUser("thu", "Lê Thị Thu", "clerk")
	r.addUser("kiemsoat", approverName, "supervisor")
	if res := r.run("", "settings", "office", "UBND xã An Bình"); res.code == 0 {
		t.Fatalf("an office code with spaces accepted: %+v", res)
	}
	r.must("settings", "office", "HN-01")

	r.signIn("thu")
	var b, other jsonBatch
	json.Unmarshal([]byte(r.must("batch", "new", "--type", "birth", "--json").stdout), &b)
	json.Unmarshal([]byte(r.must("batch", "new", "--type", "birth", "--office", "HCM-02", "--json").stdout), &other)
	if b.Office != "HN-01" || other.Office != "HCM-02" {
		t.Fatalf("offices %q %q", b.Office, other.Office)
	}
	dir := t.TempDir()
	writeBirthPage(t, dir)
	r.must("import", "--batch", b.ID, dir)
	r.must("ocr", "--batch", b.ID, "--workers", "1")
	r.must("extract", "--batch", b.ID)
	var doc struct {
		Document int64 `json:"document_id"`
	}
	if err := json.Unmarshal([]byte(strings.Split(r.must("import", "--batch", other.ID, dir, "--json").stdout, "\n")[0]), &doc); err != nil {
		t.Fatal(err)
	}

	// The central server: its enrollment code is for office HN-01.
	key, cert, ca, _ := testCert(t, approverName)
	hs, st := startCentral(t, ca)
	code, err := server.NewEnrollCode(ctx, st, "HN-01", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	fp := sha256.Sum256(hs.Certificate().Raw)
	r.signIn("admin").must("enroll", "--server", hs.URL, "--fingerprint", hex.EncodeToString(fp[:]), "--code", code)

	// The other office's batch cannot go to keying.
	res := r.signIn("thu").run("", "submit", "--batch", other.ID, "--confirm-warnings")
	if res.code != 1 || !strings.Contains(res.stderr, "HCM-02") || !strings.Contains(res.stderr, "HN-01") || !strings.Contains(res.stderr, "sohoa batch office") {
		t.Fatalf("submit of another office's batch: %+v", res)
	}
	if res := r.run("", "key", "--doc", fmt.Sprint(doc.Document), "--field", "full_name", "--value", "Nguyễn Văn An"); res.code == 0 || !strings.Contains(res.stderr, "HCM-02") {
		t.Fatalf("keying a document of another office's batch: %+v", res)
	}
	if res := r.run("", "batch", "office", "--batch", other.ID, "HN-01"); res.code != 1 || !strings.Contains(res.stderr, "không được phép") {
		t.Fatalf("a clerk changes the office: %+v", res)
	}
	if res := r.signIn("admin").run("", "batch", "office", "--batch", other.ID, "HCM 02"); res.code == 0 {
		t.Fatalf("bad office code accepted: %+v", res)
	}
	var fixed jsonBatch
	json.Unmarshal([]byte(r.must("batch", "office", "--batch", other.ID, "HN-01", "--json").stdout), &fixed)
	if fixed.Office != "HN-01" {
		t.Fatalf("office after the change: %+v", fixed)
	}
	if audit := r.must("audit", "--limit", "20").stdout; !strings.Contains(audit, "HCM-02→HN-01") {
		t.Fatalf("office change not audited:\n%s", audit)
	}
	r.signIn("thu").must("key", "--doc", fmt.Sprint(doc.Document), "--field", "full_name", "--value", "Nguyễn Văn An")

	// The batch made with the default office: review, approve, sign, sync.
	r.must("submit", "--batch", b.ID, "--confirm-warnings")
	r.signIn("kiemsoat").must("review", "--batch", b.ID, "--sample", "0", "--accept", "all-sampled")
	r.must("approve", "--batch", b.ID)
	const pin = "mật khẩu ký"
	p12 := p12File(t, key, cert, ca, pin)
	r.signIn("admin").must("user", "cert", "add", "--username", "kiemsoat", "--cert", certPEM(t, cert))
	if res := r.signIn("kiemsoat").run(pin+"\n", "sign", "--batch", b.ID, "--p12", p12, "--pin-stdin"); res.code != 0 {
		t.Fatalf("sign: %+v", res)
	}
	if res := r.signIn("admin").run("", "batch", "office", "--batch", b.ID, "HN-02"); res.code != 1 {
		t.Fatalf("office changed after signing: %+v", res)
	}
	r.signIn("kiemsoat")
	if res := r.run("", "sync", "--once"); res.code != 0 {
		t.Fatalf("sync: %+v", res)
	}

	q := openStore(t, r.data)
	sdocs, err := q.SignedDocuments(ctx, b.ID)
	if err != nil || len(sdocs) != 1 {
		t.Fatalf("signed %+v %v", sdocs, err)
	}
	raw, err := qpdfrecord.Read(q.Blobs.Path(sdocs[0].PDFSHA256)) // a third-party reader
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Office string `json:"office"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	mraw, _, err := q.BatchManifest(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := wire.DecodeManifest(strings.NewReader(string(mraw)))
	if err != nil {
		t.Fatal(err)
	}
	ob, err := q.OutboxEntryOf(ctx, b.ID)
	if err != nil || len(ob.Receipt) == 0 {
		t.Fatalf("outbox %+v %v", ob, err)
	}
	var sr wire.SignedReceipt
	var rc wire.Receipt
	if err := json.Unmarshal(ob.Receipt, &sr); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(sr.Receipt, &rc); err != nil {
		t.Fatal(err)
	}
	if rec.Office != "HN-01" || m.Office != "HN-01" || rc.Office != "HN-01" {
		t.Fatalf("office: record.json %q, manifest %q, receipt %q; want HN-01 in all three", rec.Office, m.Office, rc.Office)
	}
}

// startCentral runs a real central server (SQLite store, local blobs) over TLS in the test,
// trusting signers issued by ca.
func startCentral(t *testing.T, ca *x509.Certificate) (*httptest.Server, store.Store) {
	t.Helper()
	ctx := context.Background()
	sdir := t.TempDir()
	st, err := store.OpenSQLite(ctx, filepath.Join(sdir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := store.NewLocalBlobs(filepath.Join(sdir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := server.LoadOrCreateReceiptKey(sdir)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	srv, err := server.New(server.Config{DataDir: sdir, Store: st, Blobs: blobs, Key: key,
		Verifier: server.SignatureVerifier{Roots: roots}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewTLSServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs, st
}

// writeBirthPage writes one generated birth certificate page (clean, 300 DPI) into dir as
// khai-sinh.png and returns its ground-truth field values.
func writeBirthPage(t *testing.T, dir string) map[string]string {
	t.Helper()
	for i := 0; i < 200; i++ {
		d, imgs, err := docgen.Generate(5, i, docgen.Options{DPI: 300, Clean: true})
		if err != nil || d.Type != "birth" {
			continue
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, imgs[0]); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "khai-sinh.png"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		truth := map[string]string{}
		for _, f := range d.Fields {
			truth[f.Key] = f.Value
		}
		return truth
	}
	t.Fatal("no birth certificate generated")
	return nil
}
