package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/sohoa/sohoa/internal/softhsmtest"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/wire"
)

// testCert makes a signing certificate for name issued by a test CA; it returns the key, the
// certificate, the CA and the path of the CA's PEM (the trust store of the tests).
func testCert(t *testing.T, name string) (*ecdsa.PrivateKey, *x509.Certificate, *x509.Certificate, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "SoHoa Test CA", Country: []string{"VN"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name, Country: []string{"VN"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pemFile := filepath.Join(t.TempDir(), "tin-cay.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	return key, cert, ca, pemFile
}

// approvedBatch brings the review runner's batch to approved by kiemsoat.
func approvedBatch(t *testing.T) *reviewRunner {
	r := newReviewRunner(t)
	r.signIn("thu").must("submit", "--batch", r.batch, "--confirm-warnings")
	r.signIn("kiemsoat").must("review", "--batch", r.batch, "--sample", "0", "--accept", "all-sampled")
	r.must("approve", "--batch", r.batch)
	return r
}

type batchVerifyOut struct {
	Intact    bool   `json:"intact"`
	Trusted   bool   `json:"trusted"`
	Manifest  string `json:"manifest"`
	Signer    string `json:"manifest_signer"`
	Documents []struct {
		Intact     bool `json:"intact"`
		Signatures []struct {
			Name   string `json:"name"`
			Signer string `json:"signer"`
		} `json:"signatures"`
	} `json:"documents"`
}

// TestSignBatchP12: only the approving supervisor signs; the batch is signed with a PKCS#12
// key whose password comes from standard input; every signed PDF is accepted by poppler's
// pdfsig and by `sohoa verify --batch`, its text layer gives back the OCR words, and the
// manifest lists the PDFs and page blobs. One changed byte or appended bytes are rejected.
func TestSignBatchP12(t *testing.T) {
	r := approvedBatch(t)
	key, cert, ca, trust := testCert(t, approverName)
	const pin = "mật khẩu p12 bí mật"
	p12, err := pkcs12.Modern.Encode(key, cert, []*x509.Certificate{ca}, pin)
	if err != nil {
		t.Fatal(err)
	}
	p12File := filepath.Join(t.TempDir(), "ky-so.p12")
	if err := os.WriteFile(p12File, p12, 0o600); err != nil {
		t.Fatal(err)
	}
	r.signIn("admin").must("user", "cert", "add", "--username", "kiemsoat", "--cert", certPEM(t, cert))
	// Not the approver (four-eyes), not a supervisor: refused before the PIN is read.
	if res := r.signIn("kiemsoat2").run(pin+"\n", "sign", "--batch", r.batch, "--p12", p12File, "--pin-stdin"); res.code != 1 || !strings.Contains(res.stderr, "bốn mắt") {
		t.Fatalf("sign by another supervisor: %+v", res)
	}
	if res := r.signIn("thu").run(pin+"\n", "sign", "--batch", r.batch, "--p12", p12File, "--pin-stdin"); res.code != 1 || !strings.Contains(res.stderr, "không được phép") {
		t.Fatalf("sign by a clerk: %+v", res)
	}
	if res := r.signIn("kiemsoat").run("sai\n", "sign", "--batch", r.batch, "--p12", p12File, "--pin-stdin"); res.code != 1 || !strings.Contains(res.stderr, "sai mật khẩu của tệp chữ ký số .p12") {
		t.Fatalf("wrong password: %+v", res)
	}
	if res := r.run(pin+"\n", "sign", "--batch", r.batch, "--p12", p12File, "--pin-stdin", "--profile", "B-LTA"); res.code != 1 || !strings.Contains(res.stderr, "định dạng chữ ký không hợp lệ") {
		t.Fatalf("bad --profile: %+v", res)
	}
	res := r.run(pin+"\n", "sign", "--batch", r.batch, "--p12", p12File, "--pin-stdin", "--profile", "B-B")
	if res.code != 0 || !strings.Contains(res.stdout, "đã được "+approverName+" ký: 1 hồ sơ, 1 trang") {
		t.Fatalf("sign: %+v", res)
	}
	if s := r.state(); s != "signed" {
		t.Fatalf("state %s", s)
	}
	if res := r.run(pin+"\n", "sign", "--batch", r.batch, "--p12", p12File, "--pin-stdin"); res.code != 1 {
		t.Fatalf("signing twice: %+v", res)
	}
	audit := r.signIn("admin").must("audit", "--limit", "100").stdout
	if strings.Contains(audit, pin) || !strings.Contains(audit, "approved→signed") {
		t.Fatalf("audit:\n%s", audit)
	}

	st := openStore(t, r.data)
	ctx := context.Background()
	sdocs, err := st.SignedDocuments(ctx, r.batch)
	if err != nil || len(sdocs) != 1 || sdocs[0].Signer != approverName {
		t.Fatalf("signed documents %+v %v", sdocs, err)
	}
	pdfFile := st.Blobs.Path(sdocs[0].PDFSHA256)
	out, err := exec.Command("pdfsig", "-nocert", pdfFile).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Signature Validation: Signature is Valid.") || !strings.Contains(string(out), "Signature Type: ETSI.CAdES.detached") {
		t.Fatalf("pdfsig: %v\n%s", err, out)
	}
	// The text layer comes from the stored OCR words.
	pages, _ := st.BatchPages(ctx, r.batch)
	ocr, err := st.OCR(ctx, pages[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command("pdftotext", "-layout", pdfFile, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, w := range ocr.Words {
		if len([]rune(w.Text)) >= 4 && strings.Contains(string(text), w.Text) {
			found++
		}
	}
	if found < 10 {
		t.Fatalf("pdftotext finds %d OCR words of the page:\n%s", found, text)
	}
	// The manifest: signed, this batch, its PDF and page blob.
	raw, seq, err := st.BatchManifest(ctx, r.batch)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := wire.DecodeManifest(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Seq != seq || m.BatchID != r.batch || m.Office != "HN-01" || m.RecordType != "birth" || !strings.HasPrefix(m.WorkstationID, "ws-") ||
		len(m.Documents) != 1 || m.Documents[0].PDFSHA256 != sdocs[0].PDFSHA256 || m.Documents[0].Pages[0].SHA256 != pages[0].Blob {
		t.Fatalf("manifest %+v", m)
	}
	st.Close()

	res = r.run("", "verify", "--batch", r.batch, "--trust", trust, "--json")
	var v batchVerifyOut
	if err := json.Unmarshal([]byte(res.stdout), &v); err != nil || res.code != 0 || !v.Intact || !v.Trusted || v.Manifest != "ok" || v.Signer != approverName {
		t.Fatalf("verify --batch: %+v\n%+v", res, v)
	}
	if len(v.Documents) != 1 || len(v.Documents[0].Signatures) != 1 || norm.NFC.String(v.Documents[0].Signatures[0].Name) != approverName {
		t.Fatalf("signature name: %+v", v.Documents)
	}
	if res := r.run("", "verify", "--batch", r.batch); res.code != 1 || !strings.Contains(res.stdout, "KHÔNG có trong danh sách tin cậy") {
		t.Fatalf("verify without trust store: %+v", res)
	}

	// One changed byte, then appended bytes: both rejected by pdfsig and sohoa verify.
	orig, err := os.ReadFile(pdfFile)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(pdfFile, 0o644)
	changed := append([]byte{}, orig...)
	changed[len(changed)/4] ^= 0x01
	appended := append(append([]byte{}, orig...), []byte("\n% thêm vào sau khi ký\n")...)
	for name, data := range map[string][]byte{"changed byte": changed, "appended bytes": appended} {
		if err := os.WriteFile(pdfFile, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if res := r.run("", "verify", "--batch", r.batch, "--integrity-only"); res.code != 1 || !strings.Contains(res.stdout, "KHÔNG HỢP LỆ") {
			t.Errorf("%s: sohoa verify: %+v", name, res)
		}
		out, _ := exec.Command("pdfsig", "-nocert", pdfFile).CombinedOutput()
		if name == "changed byte" && strings.Contains(string(out), "Signature Validation: Signature is Valid.") {
			t.Errorf("%s: pdfsig accepts:\n%s", name, out)
		}
		if name == "appended bytes" && !strings.Contains(string(out), "Not total document signed") {
			t.Errorf("%s: pdfsig does not flag the unsigned tail:\n%s", name, out)
		}
	}
	if err := os.WriteFile(pdfFile, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if res := r.run("", "verify", "--batch", r.batch, "--integrity-only"); res.code != 0 {
		t.Fatalf("restored: %+v", res)
	}
}

// TestSignBatchPKCS11: the approving supervisor signs with a key on a SoftHSM2 token (a real
// PKCS#11 module), the PIN coming from $SOHOA_PIN, once an administrator registered the
// token's certificate to them (refused before); the batch verifies.
func TestSignBatchPKCS11(t *testing.T) {
	const module = "/usr/lib/softhsm/libsofthsm2.so"
	if _, err := os.Stat(module); err != nil {
		t.Fatalf("SoftHSM2 missing (apt-get install softhsm2): %v", err)
	}
	r := approvedBatch(t)
	key, cert, ca, trust := testCert(t, approverName)
	softToken(t, module, key, cert, ca)
	// The token's certificate signs only once an administrator registered it to the approver.
	r.signIn("kiemsoat")
	r.env["SOHOA_PIN"] = "123456"
	if res := r.run("", "sign", "--batch", r.batch, "--pkcs11", module, "--token", "SoHoa Test"); res.code != 1 || !strings.Contains(res.stderr, "sohoa user cert add") {
		t.Fatalf("unregistered token certificate: %+v", res)
	}
	delete(r.env, "SOHOA_PIN")
	// `sign tokens` lists the token and its certificate without a PIN, with whom it is
	// registered to: nobody yet, then the approver.
	res := r.run("", "sign", "tokens", "--pkcs11", module)
	if res.code != 0 || !strings.Contains(res.stdout, "USB ký số “SoHoa Test”") || !strings.Contains(res.stdout, "chứng thư của "+approverName) ||
		!strings.Contains(res.stdout, "gắn với: chưa gắn với ai") || strings.Contains(res.stdout+res.stderr, "123456") {
		t.Fatalf("sign tokens: %+v", res)
	}
	r.signIn("admin").must("user", "cert", "add", "--username", "kiemsoat", "--cert", certPEM(t, cert))
	r.signIn("kiemsoat")
	res = r.run("", "--json", "sign", "tokens", "--pkcs11", module)
	var listed struct {
		Tokens []struct {
			Label        string
			Certificates []struct {
				Subject, SHA256 string
				RegisteredTo    string `json:"registered_to"`
			}
		}
	}
	if err := json.Unmarshal([]byte(res.stdout), &listed); res.code != 0 || err != nil || len(listed.Tokens) != 1 ||
		listed.Tokens[0].Label != "SoHoa Test" || len(listed.Tokens[0].Certificates) != 1 ||
		listed.Tokens[0].Certificates[0].RegisteredTo != "kiemsoat" || listed.Tokens[0].Certificates[0].Subject != approverName {
		t.Fatalf("sign tokens --json: %+v %v %+v", res, err, listed)
	}
	if res := r.signIn("thu").run("", "sign", "tokens", "--pkcs11", module); res.code != 1 || !strings.Contains(res.stderr, "không được phép") {
		t.Fatalf("sign tokens by a clerk: %+v", res)
	}
	r.signIn("kiemsoat")
	if res := r.run("", "sign", "--batch", r.batch, "--pkcs11", module, "--token", "SoHoa Test"); res.code != 1 || !strings.Contains(res.stderr, "SOHOA_PIN") {
		t.Fatalf("no PIN: %+v", res)
	}
	r.env["SOHOA_PIN"] = "000000"
	if res := r.run("", "sign", "--batch", r.batch, "--pkcs11", module, "--token", "SoHoa Test"); res.code != 1 || !strings.Contains(res.stderr, "sai mã PIN") {
		t.Fatalf("wrong PIN: %+v", res)
	}
	r.env["SOHOA_PIN"] = "123456"
	if res := r.run("", "sign", "--batch", r.batch, "--pkcs11", module, "--token", "SoHoa Test"); res.code != 0 {
		t.Fatalf("sign with the token: %+v", res)
	}
	delete(r.env, "SOHOA_PIN")
	if res := r.run("", "verify", "--batch", r.batch, "--trust", trust); res.code != 0 || !strings.Contains(res.stdout, "lô nguyên vẹn") {
		t.Fatalf("verify: %+v", res)
	}
	st := openStore(t, r.data)
	sdocs, _ := st.SignedDocuments(context.Background(), r.batch)
	if len(sdocs) != 1 {
		t.Fatalf("signed documents: %+v", sdocs)
	}
	if out, err := exec.Command("pdfsig", "-nocert", st.Blobs.Path(sdocs[0].PDFSHA256)).CombinedOutput(); err != nil ||
		!strings.Contains(string(out), "Signature Validation: Signature is Valid.") {
		t.Fatalf("pdfsig: %v\n%s", err, out)
	}
	if b, _ := st.Batch(context.Background(), r.batch); b.State != queue.StateSigned {
		t.Fatalf("state %s", b.State)
	}
}

// softToken makes a SoftHSM2 token "SoHoa Test" (user PIN 123456) holding key, its
// certificate and the issuing CA's.
func softToken(t *testing.T, module string, key *ecdsa.PrivateKey, cert, ca *x509.Certificate) {
	t.Helper()
	if module != softhsmtest.Module {
		t.Fatalf("module %s: softhsmtest makes tokens for %s", module, softhsmtest.Module)
	}
	softhsmtest.NewToken(t, key, []*x509.Certificate{cert, ca})
}
