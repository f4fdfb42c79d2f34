// Package softhsmtest makes SoftHSM2 tokens (a real PKCS#11 module, Debian's softhsm2) for
// tests: a token in a temporary folder holding a signing key and its certificate chain, the
// way Vietnamese CAs deliver keys on USB tokens.
package softhsmtest

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/miekg/pkcs11"
)

// The module, the token label and the user PIN NewToken uses.
const (
	Module = "/usr/lib/softhsm/libsofthsm2.so"
	Label  = "SoHoa Test"
	PIN    = "123456"
)

// NewToken makes token Label (user PIN PIN) in a temporary folder, points SOFTHSM2_CONF at it
// for the rest of the test, imports key with softhsm2-util and stores chain (the signer's
// certificate first, with the key's CKA_ID) through PKCS#11 itself.
func NewToken(t *testing.T, key crypto.PrivateKey, chain []*x509.Certificate) {
	t.Helper()
	if _, err := os.Stat(Module); err != nil {
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
	run := func(args ...string) {
		if out, err := exec.Command("softhsm2-util", args...).CombinedOutput(); err != nil {
			t.Fatalf("softhsm2-util %v: %v\n%s", args, err, out)
		}
	}
	run("--init-token", "--free", "--label", Label, "--pin", PIN, "--so-pin", "654321")
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	run("--import", keyFile, "--token", Label, "--label", "signing key", "--id", "a1b2", "--pin", PIN)

	ctx := pkcs11.New(Module)
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
		if ti, err := ctx.GetTokenInfo(sl); err == nil && ti.Label == Label {
			slot = sl
		}
	}
	sess, err := ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.CloseSession(sess)
	if err := ctx.Login(sess, pkcs11.CKU_USER, PIN); err != nil {
		t.Fatal(err)
	}
	defer ctx.Logout(sess)
	for i, c := range chain {
		id := []byte{0xa1, 0xb2}
		if i > 0 {
			id = []byte{byte(i)}
		}
		if _, err := ctx.CreateObject(sess, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
			pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_ID, id),
			pkcs11.NewAttribute(pkcs11.CKA_SUBJECT, c.RawSubject),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, c.Raw),
		}); err != nil {
			t.Fatal(err)
		}
	}
}
