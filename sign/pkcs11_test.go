package sign

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"
)

const softhsmModule = "/usr/lib/softhsm/libsofthsm2.so"

// softToken makes a SoftHSM2 token in a temporary directory (SOFTHSM2_CONF) holding the
// signer's key (imported with softhsm2-util) and its certificate chain.
func softToken(t *testing.T, s Signer) {
	t.Helper()
	if _, err := os.Stat(softhsmModule); err != nil {
		t.Fatalf("SoftHSM2 missing (apt-get install softhsm2): %v", err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.MkdirAll(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+filepath.Join(dir, "tokens")+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	run(t, "softhsm2-util", "--init-token", "--free", "--label", "SoHoa Test", "--pin", "123456", "--so-pin", "654321")
	der, err := x509.MarshalPKCS8PrivateKey(s.Key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "softhsm2-util", "--import", keyFile, "--token", "SoHoa Test", "--label", "signing key", "--id", "a1b2", "--pin", "123456")

	// Certificates go in through PKCS#11 itself.
	ctx := pkcs11.New(softhsmModule)
	if err := ctx.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer func() { ctx.Finalize(); ctx.Destroy() }()
	slots, err := ctx.GetSlotList(true)
	if err != nil || len(slots) == 0 {
		t.Fatalf("slots: %v %v", slots, err)
	}
	var slot uint
	for _, sl := range slots {
		if ti, err := ctx.GetTokenInfo(sl); err == nil && ti.Label == "SoHoa Test" {
			slot = sl
		}
	}
	sess, err := ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.CloseSession(sess)
	if err := ctx.Login(sess, pkcs11.CKU_USER, "123456"); err != nil {
		t.Fatal(err)
	}
	for i, c := range s.Chain {
		id := []byte{0xa1, 0xb2}
		if i > 0 {
			id = []byte{byte(i)}
		}
		_, err := ctx.CreateObject(sess, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
			pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_ID, id),
			pkcs11.NewAttribute(pkcs11.CKA_SUBJECT, c.RawSubject),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, c.Raw),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx.Logout(sess)
}

func TestPKCS11SoftHSM(t *testing.T) {
	pki := newTestPKI(t)
	for _, alg := range []string{"rsa", "ecdsa"} {
		t.Run(alg, func(t *testing.T) {
			softToken(t, pki.signer(t, "Nguyễn Văn Tĩnh (Giám đốc)", alg))
			if _, err := OpenPKCS11(softhsmModule, "SoHoa Test", "000000"); !errors.Is(err, ErrToken) {
				t.Errorf("wrong PIN: %v", err)
			}
			if _, err := OpenPKCS11(softhsmModule, "No Such Token", "123456"); !errors.Is(err, ErrToken) {
				t.Errorf("missing token: %v", err)
			}
			if _, err := OpenPKCS11("/nonexistent/module.so", "", "123456"); !errors.Is(err, ErrToken) {
				t.Errorf("missing module: %v", err)
			}
			s, err := OpenPKCS11(softhsmModule, "SoHoa Test", "123456")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if len(s.Chain) != 2 || s.Chain[0].Subject.CommonName != "Nguyễn Văn Tĩnh (Giám đốc)" {
				t.Fatalf("chain from token: %d certs", len(s.Chain))
			}
			out, err := Sign(unsignedPDF(t), s, SignInfo{Name: "Nguyễn Văn Tĩnh (Giám đốc)", Reason: "Phê duyệt"})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Verify(out, VerifyOptions{Roots: pki.roots()})
			if err != nil || !rep.Intact || !rep.Trusted {
				t.Fatalf("token signature: %+v %v", rep, err)
			}
			if sig := pdfsig(t, out); !strings.Contains(sig, "Signature is Valid") {
				t.Errorf("pdfsig:\n%s", sig)
			}
		})
	}
}
