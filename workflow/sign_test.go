package workflow_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/internal/softhsmtest"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/workflow"
)

// testCA is a certificate authority for the tests' signing certificates.
type testCA struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
	pem  string // path of its PEM (a trust store)
}

var serial atomic.Int64

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: name, Country: []string{"VN"}},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	f := filepath.Join(t.TempDir(), "tin-cay.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &testCA{key: key, cert: cert, pem: f}
}

// issue makes a signing key and certificate for name valid from notBefore to notAfter.
func (ca *testCA) issue(t *testing.T, name string, notBefore, notAfter time.Time) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial.Add(1)), Subject: pkix.Name{CommonName: name, Country: []string{"VN"}},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return key, cert
}

// valid issues a certificate valid now.
func (ca *testCA) valid(t *testing.T, name string) (*ecdsa.PrivateKey, *x509.Certificate) {
	return ca.issue(t, name, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
}

// p12 writes key and cert (with the CA) as a .p12 file protected by password.
func (ca *testCA) p12(t *testing.T, key *ecdsa.PrivateKey, cert *x509.Certificate, password string) string {
	t.Helper()
	data, err := pkcs12.Modern.Encode(key, cert, []*x509.Certificate{ca.cert}, password)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "chu-ky.p12")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// world is a workstation store (admin, clerk, supervisor "sup") with its workflow.
type world struct {
	t   *testing.T
	ctx context.Context
	ws  *synctest.Workstation
	wf  *workflow.Workflow
	rng *mrand.Rand
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	ws, err := synctest.NewWorkstation(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Store.Close() })
	wf, err := workflow.New(ws.Store)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, ctx: ctx, ws: ws, wf: wf, rng: mrand.New(mrand.NewPCG(5, 6))}
}

// approved makes a batch of docs documents approved by the supervisor.
func (w *world) approved(docs int) string {
	w.t.Helper()
	id, err := w.ws.ApprovedBatch(w.ctx, synctest.BatchSpec{Office: "HN-01", Documents: docs, Pages: 2, ImageSize: 64}, w.rng)
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

func (w *world) bind(user string, cert *x509.Certificate) {
	w.t.Helper()
	if _, err := w.ws.Store.AddUserCert(w.ctx, w.ws.Admin, user, cert); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) state(id string) queue.State {
	w.t.Helper()
	b, err := w.ws.Store.Batch(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return b.State
}

// pinOf answers every PIN request with pin and counts the requests.
func pinOf(pin string, asked *int) workflow.PINFunc {
	return func(context.Context, workflow.PINRequest) (string, error) {
		*asked++
		return pin, nil
	}
}

// pdfsigValid runs poppler's pdfsig on every signed PDF of the batch.
func (w *world) pdfsigValid(id string) {
	w.t.Helper()
	sdocs, err := w.ws.Store.SignedDocuments(w.ctx, id)
	if err != nil || len(sdocs) == 0 {
		w.t.Fatalf("signed documents %+v, %v", sdocs, err)
	}
	for _, sd := range sdocs {
		out, err := exec.Command("pdfsig", "-nocert", w.ws.Store.Blobs.Path(sd.PDFSHA256)).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Signature Validation: Signature is Valid.") {
			w.t.Fatalf("pdfsig on document %d: %v\n%s", sd.DocumentID, err, out)
		}
	}
}

// TestSignBatchP12: the approving supervisor signs with a .p12 file. Someone else is refused
// before the password is asked; a wrong password and an unregistered certificate leave the
// batch approved; the signed batch has one PDF per document (accepted by pdfsig), progress
// came after each document, and it verifies through the workflow with the trust store.
func TestSignBatchP12(t *testing.T) {
	w := newWorld(t)
	id := w.approved(3)
	ca := newCA(t, "SoHoa Test CA")
	key, cert := ca.valid(t, w.ws.Supervisor.FullName)
	const pw = "mật khẩu .p12"
	p12 := ca.p12(t, key, cert, pw)
	src := workflow.SignerSource{P12File: p12}

	// Not the approver, not a supervisor: refused before any password is asked.
	asked := 0
	for _, u := range []queue.User{w.ws.Clerk, w.ws.Admin} {
		_, err := w.wf.SignBatch(w.ctx, u, workflow.SignInput{BatchID: id, Source: src, PIN: pinOf(pw, &asked)}, nil)
		if err == nil || asked != 0 {
			t.Fatalf("%s signs: %v (password asked %d times)", u.Username, err, asked)
		}
	}
	// The approver with a wrong password, then with the right one but not registered yet.
	if _, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, workflow.SignInput{BatchID: id, Source: src, PIN: pinOf("sai", &asked)}, nil); !errors.Is(err, sign.ErrP12Password) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, workflow.SignInput{BatchID: id, Source: src, PIN: pinOf(pw, &asked)}, nil); !errors.Is(err, queue.ErrSignerCert) {
		t.Fatalf("unregistered certificate: %v", err)
	}
	if s := w.state(id); s != queue.StateApproved {
		t.Fatalf("state %s after refusals", s)
	}
	w.bind("sup", cert)
	var events []workflow.Event
	res, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, workflow.SignInput{BatchID: id, Source: src, PIN: pinOf(pw, &asked)},
		func(ev workflow.Event) { events = append(events, ev) })
	if err != nil {
		t.Fatal(err)
	}
	if w.state(id) != queue.StateSigned || len(res.Documents) != 3 || res.Pages != 6 || res.Cert.Subject != w.ws.Supervisor.FullName || res.Override {
		t.Fatalf("result %+v, state %s", res, w.state(id))
	}
	docs := 0
	for _, ev := range events {
		if _, ok := ev.Detail.(workflow.SignedDocument); ok && ev.Step == workflow.StepDocument && ev.Total == 3 {
			docs++
			if ev.Done != docs {
				t.Fatalf("progress out of order: %+v", ev)
			}
		}
	}
	if docs != 3 || events[len(events)-1].Step != workflow.StepManifest {
		t.Fatalf("events %+v", events)
	}
	w.pdfsigValid(id)

	opts, err := w.wf.TrustOptions(w.ctx, ca.pem, false)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := w.wf.VerifyBatch(w.ctx, id, opts, nil)
	if err != nil || !rep.Intact || !rep.Trusted || rep.ManifestSigner != w.ws.Supervisor.FullName || len(rep.Documents) != 3 {
		t.Fatalf("verify batch: %+v, %v", rep, err)
	}
	for _, d := range rep.Documents {
		if len(d.Signatures) != 1 || !d.Signatures[0].CoversWholeFile || d.Signatures[0].Signer != w.ws.Supervisor.FullName {
			t.Fatalf("document %d: %+v", d.DocumentID, d.Signatures)
		}
	}
	// Signing twice is refused.
	if _, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, workflow.SignInput{BatchID: id, Source: src, PIN: pinOf(pw, &asked)}, nil); !errors.Is(err, queue.ErrNotApproved) {
		t.Fatalf("signed twice: %v", err)
	}
}

// TestSignBatchCancel: cancelling after the first document stops before the second, records
// nothing (the batch stays approved, no signed document, no outbox entry), and the batch
// signs afterwards.
func TestSignBatchCancel(t *testing.T) {
	w := newWorld(t)
	id := w.approved(3)
	ca := newCA(t, "SoHoa Test CA")
	key, cert := ca.valid(t, w.ws.Supervisor.FullName)
	w.bind("sup", cert)
	src := workflow.SignerSource{P12File: ca.p12(t, key, cert, "pw-123456")}
	ctx, cancel := context.WithCancel(w.ctx)
	asked, signedDocs := 0, 0
	_, err := w.wf.SignBatch(ctx, w.ws.Supervisor, workflow.SignInput{BatchID: id, Source: src, PIN: pinOf("pw-123456", &asked)}, func(ev workflow.Event) {
		if _, ok := ev.Detail.(workflow.SignedDocument); ok {
			signedDocs++
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || signedDocs != 1 {
		t.Fatalf("cancelled signing: %v after %d documents", err, signedDocs)
	}
	if s := w.state(id); s != queue.StateApproved {
		t.Fatalf("state %s after cancel", s)
	}
	if sd, err := w.ws.Store.SignedDocuments(w.ctx, id); err != nil || len(sd) != 0 {
		t.Fatalf("signed documents after cancel: %+v %v", sd, err)
	}
	if c, err := w.ws.Store.OutboxCounts(w.ctx); err != nil || c.Pending != 0 {
		t.Fatalf("outbox after cancel: %+v %v", c, err)
	}
	if _, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, workflow.SignInput{BatchID: id, Source: src, PIN: pinOf("pw-123456", &asked)}, nil); err != nil {
		t.Fatal(err)
	}
	w.pdfsigValid(id)
}

// TestSignBatchPKCS11: the approver signs with a key on a SoftHSM2 token. The token's
// certificate is checked before the PIN is asked: not registered, expired, or (with a trust
// store) untrusted are refused without asking; a wrong PIN is its own error; the token's
// certificates are listed with holder and expiry and whom each is registered to.
func TestSignBatchPKCS11(t *testing.T) {
	w := newWorld(t)
	id := w.approved(2)
	ca := newCA(t, "SoHoa Token CA")
	key, cert := ca.valid(t, w.ws.Supervisor.FullName)
	softhsmtest.NewToken(t, key, []*x509.Certificate{cert, ca.cert})
	src := workflow.SignerSource{Module: softhsmtest.Module, Token: softhsmtest.Label}
	asked := 0
	in := workflow.SignInput{BatchID: id, Source: src, PIN: pinOf(softhsmtest.PIN, &asked)}

	toks, err := w.wf.ListTokens(w.ctx, softhsmtest.Module)
	if err != nil || len(toks) != 1 || toks[0].Label != softhsmtest.Label {
		t.Fatalf("tokens %+v, %v", toks, err)
	}
	certs, err := w.wf.TokenCertificates(w.ctx, softhsmtest.Module, toks[0].Slot)
	if err != nil || len(certs) != 1 || certs[0].Subject != w.ws.Supervisor.FullName || !certs[0].NotAfter.Equal(cert.NotAfter) || certs[0].BoundTo != "" {
		t.Fatalf("token certificates %+v, %v", certs, err)
	}
	if _, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, in, nil); !errors.Is(err, queue.ErrSignerCert) || asked != 0 {
		t.Fatalf("unregistered token certificate: %v (PIN asked %d times)", err, asked)
	}
	w.bind("sup", cert)
	if certs, _ := w.wf.TokenCertificates(w.ctx, softhsmtest.Module, toks[0].Slot); len(certs) != 1 || certs[0].BoundTo != "sup" {
		t.Fatalf("binding not shown: %+v", certs)
	}
	// A trust store that does not hold the token's CA: refused before the PIN.
	other := newCA(t, "Another CA")
	if err := w.wf.SetSetting(w.ctx, w.ws.Admin, workflow.SettingTrustStore, other.pem); err != nil {
		t.Fatal(err)
	}
	var ce *workflow.CertificateError
	if _, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, in, nil); !errors.As(err, &ce) || ce.Reason != "untrusted" || asked != 0 {
		t.Fatalf("untrusted certificate: %v (PIN asked %d times)", err, asked)
	}
	if err := w.wf.SetSetting(w.ctx, w.ws.Admin, workflow.SettingTrustStore, ca.pem); err != nil {
		t.Fatal(err)
	}
	in.PIN = pinOf("000000", &asked)
	if _, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, in, nil); !errors.Is(err, sign.ErrWrongPIN) || asked != 1 {
		t.Fatalf("wrong PIN: %v", err)
	}
	if s := w.state(id); s != queue.StateApproved {
		t.Fatalf("state %s after a wrong PIN", s)
	}
	in.PIN = pinOf(softhsmtest.PIN, &asked)
	res, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.state(id) != queue.StateSigned || len(res.Documents) != 2 {
		t.Fatalf("signed %+v", res)
	}
	w.pdfsigValid(id)
	opts, _ := w.wf.TrustOptions(w.ctx, "", false) // the workstation's trust store
	if rep, err := w.wf.VerifyBatch(w.ctx, id, opts, nil); err != nil || !rep.Intact || !rep.Trusted {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// TestSignExpiredCertificate: an expired token certificate is refused before the PIN, with
// the date; so is a .p12 one after it is opened.
func TestSignExpiredCertificate(t *testing.T) {
	w := newWorld(t)
	id := w.approved(1)
	ca := newCA(t, "SoHoa Token CA")
	key, cert := ca.issue(t, w.ws.Supervisor.FullName, time.Now().Add(-40*time.Hour), time.Now().Add(-20*time.Hour))
	w.bind("sup", cert)
	softhsmtest.NewToken(t, key, []*x509.Certificate{cert, ca.cert})
	asked := 0
	var ce *workflow.CertificateError
	_, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, workflow.SignInput{BatchID: id,
		Source: workflow.SignerSource{Module: softhsmtest.Module}, PIN: pinOf(softhsmtest.PIN, &asked)}, nil)
	if !errors.As(err, &ce) || ce.Reason != "expired" || asked != 0 || !strings.Contains(ce.Localize(l10n.Vi), "hết hạn") {
		t.Fatalf("expired token certificate: %v (PIN asked %d times)", err, asked)
	}
	_, err = w.wf.SignBatch(w.ctx, w.ws.Supervisor, workflow.SignInput{BatchID: id,
		Source: workflow.SignerSource{P12File: ca.p12(t, key, cert, "pw-123456")}, PIN: pinOf("pw-123456", &asked)}, nil)
	if !errors.As(err, &ce) || ce.Reason != "expired" {
		t.Fatalf("expired .p12 certificate: %v", err)
	}
	if s := w.state(id); s != queue.StateApproved {
		t.Fatalf("state %s", s)
	}
}

// TestSignOverride: an approver who is also an administrator signs with a certificate bound
// to nobody only with a reason; the override is recorded.
func TestSignOverride(t *testing.T) {
	w := newWorld(t)
	ctx := w.ctx
	st := w.ws.Store
	id, err := w.ws.ApprovedBatch(ctx, synctest.BatchSpec{Office: "HN-01"}, w.rng)
	if err != nil {
		t.Fatal(err)
	}
	// returned, then approved again by the administrator, who becomes the approver
	if err := st.Transition(ctx, w.ws.Supervisor, id, queue.StateReturned, "lại"); err != nil {
		t.Fatal(err)
	}
	for _, to := range []queue.State{queue.StateKeying, queue.StateReview} {
		if err := st.Transition(ctx, w.ws.Clerk, id, to, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Transition(ctx, w.ws.Admin, id, queue.StateApproved, ""); err != nil {
		t.Fatal(err)
	}
	ca := newCA(t, "SoHoa Test CA")
	key, cert := ca.valid(t, "Người Khác")
	src := workflow.SignerSource{P12File: ca.p12(t, key, cert, "pw-123456")}
	asked := 0
	if _, err := w.wf.SignBatch(ctx, w.ws.Admin, workflow.SignInput{BatchID: id, Source: src, PIN: pinOf("pw-123456", &asked)}, nil); !errors.Is(err, queue.ErrSignerCert) {
		t.Fatalf("unbound certificate without a reason: %v", err)
	}
	res, err := w.wf.SignBatch(ctx, w.ws.Admin, workflow.SignInput{BatchID: id, Source: src, PIN: pinOf("pw-123456", &asked),
		Override: "Chứng thư mới, chưa kịp đăng ký"}, nil)
	if err != nil || !res.Override {
		t.Fatalf("override: %+v %v", res, err)
	}
	ov, err := st.SignerOverrides(ctx, id)
	if err != nil || len(ov) != 1 || ov[0].By != "admin" {
		t.Fatalf("overrides %+v %v", ov, err)
	}
}

// TestSignFormatSetting: sign.profile and sign.tsa_url are checked settings; the batch is
// signed in the format the setting names (here the older adbe format), and by default as
// PAdES B-B (no timestamp server); the workflow's verify report gives the level.
func TestSignFormatSetting(t *testing.T) {
	w := newWorld(t)
	var se *workflow.SettingError
	for _, bad := range [][2]string{{workflow.SettingSignProfile, "B-LTA"}, {workflow.SettingTSAURL, "ftp://tsa.example"}, {workflow.SettingTSAURL, "tsa"}} {
		if err := w.wf.SetSetting(w.ctx, w.ws.Admin, bad[0], bad[1]); !errors.As(err, &se) {
			t.Errorf("%s=%q accepted: %v", bad[0], bad[1], err)
		}
	}
	if err := w.wf.SaveSettings(w.ctx, w.ws.Admin, map[string]string{workflow.SettingSignProfile: "pades-b-t", workflow.SettingTSAURL: "http://127.0.0.1:1/tsa"}); err != nil {
		t.Fatal(err)
	}
	if s, _ := w.wf.ReadWorkstationSettings(w.ctx); s.SignProfile != "B-T" || s.TSAURL != "http://127.0.0.1:1/tsa" {
		t.Fatalf("read back %+v", s)
	}
	ca := newCA(t, "SoHoa Test CA")
	key, cert := ca.valid(t, w.ws.Supervisor.FullName)
	src := workflow.SignerSource{P12File: ca.p12(t, key, cert, "pw-123456")}
	w.bind("sup", cert)
	asked := 0
	// B-T from the settings with an unreachable TSA: an error, nothing signed.
	id := w.approved(1)
	if _, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, workflow.SignInput{BatchID: id, Source: src, PIN: pinOf("pw-123456", &asked)}, nil); !errors.Is(err, sign.ErrTSA) {
		t.Fatalf("unreachable TSA: %v", err)
	}
	opts, err := w.wf.TrustOptions(w.ctx, ca.pem, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ setting, input, subFilter, level string }{
		{"adbe", "", "adbe.pkcs7.detached", "adbe"},
		{"adbe", "B-B", "ETSI.CAdES.detached", "B-B"}, // the input wins over the setting
		{"", "", "ETSI.CAdES.detached", "B-B"},        // no TSA: B-B
	} {
		if err := w.wf.SaveSettings(w.ctx, w.ws.Admin, map[string]string{workflow.SettingSignProfile: tc.setting, workflow.SettingTSAURL: ""}); err != nil {
			t.Fatal(err)
		}
		id := w.approved(1)
		if _, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, workflow.SignInput{BatchID: id, Source: src, Profile: tc.input, PIN: pinOf("pw-123456", &asked)}, nil); err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		w.pdfsigValid(id)
		rep, err := w.wf.VerifyBatch(w.ctx, id, opts, nil)
		if err != nil || !rep.Trusted {
			t.Fatalf("%+v: verify %+v %v", tc, rep, err)
		}
		if s := rep.Documents[0].Signatures[0]; s.SubFilter != tc.subFilter || s.Level != tc.level {
			t.Errorf("%+v: subfilter %q level %q", tc, s.SubFilter, s.Level)
		}
	}
	if _, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, workflow.SignInput{BatchID: w.approved(1), Source: src, Profile: "x", PIN: pinOf("pw-123456", &asked)}, nil); !errors.Is(err, sign.ErrBadProfile) {
		t.Fatalf("bad profile: %v", err)
	}
}

// TestSignCopyFormSetting: a record type set to "SAO LỤC" (sign.copy_form.<type>) signs its
// batches as digitised copies (the copy information and its embedded Liberation Serif on the
// first page); the general setting applies to the other types; none without either.
func TestSignCopyFormSetting(t *testing.T) {
	w := newWorld(t)
	var se *workflow.SettingError
	for _, bad := range [][2]string{{workflow.SettingCopyForm, "BẢN SAO"}, {workflow.SettingCopyForm + ".x y", "SAO Y"}} {
		if err := w.wf.SetSetting(w.ctx, w.ws.Admin, bad[0], bad[1]); !errors.As(err, &se) {
			t.Errorf("%s=%q accepted: %v", bad[0], bad[1], err)
		}
	}
	ca := newCA(t, "SoHoa Test CA")
	key, cert := ca.valid(t, w.ws.Supervisor.FullName)
	src := workflow.SignerSource{P12File: ca.p12(t, key, cert, "pw-123456")}
	w.bind("sup", cert)
	asked := 0
	hasCopy := func(id string) bool {
		sdocs, err := w.ws.Store.SignedDocuments(w.ctx, id)
		if err != nil || len(sdocs) == 0 {
			t.Fatalf("signed documents %v", err)
		}
		out, err := exec.Command("pdffonts", w.ws.Store.Blobs.Path(sdocs[0].PDFSHA256)).CombinedOutput()
		if err != nil {
			t.Fatalf("pdffonts: %v\n%s", err, out)
		}
		return strings.Contains(string(out), "LiberationSerif")
	}
	sign1 := func() string {
		id := w.approved(1)
		if _, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, workflow.SignInput{BatchID: id, Source: src, PIN: pinOf("pw-123456", &asked)}, nil); err != nil {
			t.Fatal(err)
		}
		w.pdfsigValid(id)
		return id
	}
	id := sign1()
	if hasCopy(id) {
		t.Fatal("a copy form without any setting")
	}
	b, _ := w.ws.Store.Batch(w.ctx, id)
	if err := w.wf.SaveSettings(w.ctx, w.ws.Admin, map[string]string{workflow.SettingCopyForm + "." + b.RecordType: "sao lục",
		workflow.SettingCopyOrganization: "Ủy ban nhân dân phường Ba Đình"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := w.ws.Store.Setting(w.ctx, workflow.SettingCopyForm+"."+b.RecordType); v != "SAO LỤC" {
		t.Fatalf("stored %q", v)
	}
	if !hasCopy(sign1()) {
		t.Error("the record type's copy form was not drawn")
	}
	if err := w.wf.SaveSettings(w.ctx, w.ws.Admin, map[string]string{workflow.SettingCopyForm + "." + b.RecordType: "", workflow.SettingCopyForm: "TRÍCH SAO"}); err != nil {
		t.Fatal(err)
	}
	if !hasCopy(sign1()) {
		t.Error("the general copy form was not drawn")
	}
	// One batch's own setting: before it is signed only.
	if err := w.wf.SaveSettings(w.ctx, w.ws.Admin, map[string]string{workflow.SettingCopyForm: ""}); err != nil {
		t.Fatal(err)
	}
	id = w.approved(1)
	if err := w.wf.SetSetting(w.ctx, w.ws.Admin, workflow.SettingCopyForm+".batch."+id, "SAO Y"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, workflow.SignInput{BatchID: id, Source: src, PIN: pinOf("pw-123456", &asked)}, nil); err != nil {
		t.Fatal(err)
	}
	if !hasCopy(id) {
		t.Error("the batch's copy form was not drawn")
	}
	if err := w.wf.SetSetting(w.ctx, w.ws.Admin, workflow.SettingCopyForm+".batch."+id, "SAO LỤC"); !errors.As(err, &se) {
		t.Errorf("copy form of a signed batch changed: %v", err)
	}
	if err := w.wf.SetSetting(w.ctx, w.ws.Admin, workflow.SettingCopyForm+".batch.no-such-batch", "SAO Y"); !errors.As(err, &se) {
		t.Errorf("copy form of no batch: %v", err)
	}
}
