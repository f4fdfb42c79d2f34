package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/sohoa/sohoa/queue"
)

// p12File writes key and cert (issued by ca) as a PKCS#12 file protected by pin.
func p12File(t *testing.T, key *ecdsa.PrivateKey, cert, ca *x509.Certificate, pin string) string {
	t.Helper()
	data, err := pkcs12.Modern.Encode(key, cert, []*x509.Certificate{ca}, pin)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "chu-ky.p12")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// certPEM writes cert as a PEM file.
func certPEM(t *testing.T, cert *x509.Certificate) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "chung-thu.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSignWithForeignCertificate (finding 8): the approving supervisor tries to sign with
// another supervisor's .p12 (a certificate registered to that colleague) and with a
// certificate registered to nobody: both are refused before any PDF is signed, saying why
// and what to do. Only an administrator registers certificates (audited). An override is
// refused to a supervisor who is not an administrator, needs a reason, and when allowed is
// audited without its text.
func TestSignWithForeignCertificate(t *testing.T) {
	r := newReviewRunner(t)
	r.signIn("thu").must("submit", "--batch", r.batch, "--confirm-warnings")
	r.signIn("kiemsoat").must("review", "--batch", r.batch, "--sample", "0", "--accept", "all-sampled")
	r.must("approve", "--batch", r.batch)

	const pin = "mật khẩu p12"
	mineKey, mine, mineCA, _ := testCert(t, approverName)
	otherKey, other, otherCA, _ := testCert(t, "Trần Văn Bình")
	minePath, otherPath := p12File(t, mineKey, mine, mineCA, pin), p12File(t, otherKey, other, otherCA, pin)

	// Registering is for administrators.
	if res := r.signIn("kiemsoat").run("", "user", "cert", "add", "--username", "kiemsoat", "--cert", certPEM(t, mine)); res.code != 1 || !strings.Contains(res.stderr, "không được phép") {
		t.Fatalf("a supervisor registers their own certificate: %+v", res)
	}
	r.signIn("admin").must("user", "cert", "add", "--username", "kiemsoat2", "--cert", certPEM(t, other))

	// The colleague's .p12: refused, nothing signed.
	res := r.signIn("kiemsoat").run(pin+"\n", "sign", "--batch", r.batch, "--p12", otherPath, "--pin-stdin")
	if res.code != 1 || !strings.Contains(res.stderr, "kiemsoat2") || !strings.Contains(res.stderr, "chứng thư") {
		t.Fatalf("sign with a colleague's certificate: %+v", res)
	}
	if s := r.state(); s != "approved" {
		t.Fatalf("state %s after a refused signing", s)
	}
	// The approver's own certificate, not registered yet: refused with the fix.
	res = r.run(pin+"\n", "sign", "--batch", r.batch, "--p12", minePath, "--pin-stdin")
	if res.code != 1 || !strings.Contains(res.stderr, "sohoa user cert add") {
		t.Fatalf("sign with an unregistered certificate: %+v", res)
	}
	// An override is not for a supervisor alone.
	res = r.run(pin+"\n", "sign", "--batch", r.batch, "--p12", otherPath, "--pin-stdin", "--override-signer", "Chứng thư mới, chưa kịp đăng ký")
	if res.code != 1 || !strings.Contains(res.stderr, "quản trị") {
		t.Fatalf("override by a supervisor: %+v", res)
	}
	st := openStore(t, r.data)
	if sd, _ := st.SignedDocuments(context.Background(), r.batch); len(sd) != 0 {
		t.Fatalf("signed documents after refusals: %+v", sd)
	}
	st.Close()

	// The administrator registers the approver's certificate (from its .p12): signing works.
	if res := r.signIn("admin").run(pin+"\n", "user", "cert", "add", "--username", "kiemsoat", "--p12", minePath, "--pin-stdin"); res.code != 0 || !strings.Contains(res.stdout, "đã đăng ký chứng thư") {
		t.Fatalf("register from the .p12: %+v", res)
	}
	list := r.must("user", "cert", "list", "--username", "kiemsoat").stdout
	if !strings.Contains(list, "kiemsoat") {
		t.Fatalf("cert list: %s", list)
	}
	res = r.signIn("kiemsoat").run(pin+"\n", "sign", "--batch", r.batch, "--p12", minePath, "--pin-stdin")
	if res.code != 0 {
		t.Fatalf("sign with the registered certificate: %+v", res)
	}
	audit := r.signIn("admin").must("audit", "--limit", "200").stdout
	if !strings.Contains(audit, "user.cert_add") || strings.Contains(audit, pin) {
		t.Fatalf("audit of the registration:\n%s", audit)
	}
}

// TestSignOverrideAudited: an approver who is also an administrator may sign with a
// certificate that is not theirs only with --override-signer and a reason; the audit log
// records the override (the certificate's fingerprint and the reason's length, not its text).
func TestSignOverrideAudited(t *testing.T) {
	r := newReviewRunner(t)
	r.signIn("thu").must("submit", "--batch", r.batch, "--confirm-warnings")
	r.signIn("admin").must("review", "--batch", r.batch, "--sample", "0", "--accept", "all-sampled")
	r.must("approve", "--batch", r.batch)
	const pin = "123-mật-khẩu"
	k, c, ca, _ := testCert(t, "Người Ký Khác")
	p := p12File(t, k, c, ca, pin)
	if res := r.run(pin+"\n", "sign", "--batch", r.batch, "--p12", p, "--pin-stdin"); res.code != 1 || !strings.Contains(res.stderr, "--override-signer") {
		t.Fatalf("sign with an unregistered certificate: %+v", res)
	}
	if res := r.run(pin+"\n", "sign", "--batch", r.batch, "--p12", p, "--pin-stdin", "--override-signer", "  "); res.code == 0 {
		t.Fatalf("override without a reason: %+v", res)
	}
	const reason = "Chứng thư của phó phòng đang gia hạn"
	if res := r.run(pin+"\n", "sign", "--batch", r.batch, "--p12", p, "--pin-stdin", "--override-signer", reason); res.code != 0 {
		t.Fatalf("override: %+v", res)
	}
	audit := r.must("audit", "--limit", "200").stdout
	if !strings.Contains(audit, "sign.override_signer") || !strings.Contains(audit, "reason_len="+strconv.Itoa(len([]rune(reason)))) || strings.Contains(audit, "gia hạn") {
		t.Fatalf("override audit:\n%s", audit)
	}
	st := openStore(t, r.data)
	ov, err := st.SignerOverrides(context.Background(), r.batch)
	if err != nil || len(ov) != 1 || ov[0].Reason != reason || ov[0].By != "admin" {
		t.Fatalf("overrides %+v %v", ov, err)
	}
	if b, _ := st.Batch(context.Background(), r.batch); b.State != queue.StateSigned {
		t.Fatalf("state %s", b.State)
	}
}
