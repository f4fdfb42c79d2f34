package sign

import (
	"errors"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/softhsmtest"
)

const softhsmModule = softhsmtest.Module

// softToken makes a SoftHSM2 token holding the signer's key and certificate chain.
func softToken(t *testing.T, s Signer) { softhsmtest.NewToken(t, s.Key, s.Chain) }

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

// TestPKCS11TokensAndCertificates: the tokens a module sees and the certificates on a token
// are listed without the PIN (holder name, expiry); the signer is chosen by slot and
// certificate; the failures a person can act on have their own errors (wrong PIN, no such
// token, no key for the chosen certificate, a module that does not load, a token another
// signer of the process is logged in to); listing while a signer holds the module open does
// not close it under the signer.
func TestPKCS11TokensAndCertificates(t *testing.T) {
	pki := newTestPKI(t)
	s0 := pki.signer(t, "Trần Thị Ký", "ecdsa")
	softToken(t, s0)
	toks, err := ListTokens(softhsmModule)
	if err != nil || len(toks) != 1 || toks[0].Label != "SoHoa Test" || toks[0].PINLocked {
		t.Fatalf("tokens %+v, %v", toks, err)
	}
	certs, err := TokenCertificates(softhsmModule, toks[0].Slot)
	if err != nil || len(certs) != 2 {
		t.Fatalf("certificates %+v, %v", certs, err)
	}
	var leaf *TokenCert
	for i := range certs {
		if !certs[i].Cert.IsCA {
			leaf = &certs[i]
		}
	}
	if leaf == nil || leaf.Cert.Subject.CommonName != "Trần Thị Ký" || !leaf.Cert.NotAfter.Equal(s0.Chain[0].NotAfter) {
		t.Fatalf("leaf certificate %+v", leaf)
	}
	k := PKCS11Key{Module: softhsmModule, Slot: toks[0].Slot, HasSlot: true, CertSHA256: certHash(leaf.Cert)}
	if _, err := OpenPKCS11Key(k, "000000"); !errors.Is(err, ErrWrongPIN) || !errors.Is(err, ErrToken) {
		t.Errorf("wrong PIN: %v", err)
	}
	if _, err := OpenPKCS11Key(PKCS11Key{Module: softhsmModule, Slot: toks[0].Slot + 1000, HasSlot: true}, "123456"); !errors.Is(err, ErrTokenNotFound) {
		t.Errorf("no token in that slot: %v", err)
	}
	if _, err := OpenPKCS11Key(PKCS11Key{Module: softhsmModule, CertSHA256: strings.Repeat("ab", 32)}, "123456"); !errors.Is(err, ErrNoTokenKey) {
		t.Errorf("a certificate that is not there: %v", err)
	}
	if _, err := ListTokens("/nonexistent/module.so"); !errors.Is(err, ErrModule) {
		t.Errorf("missing module: %v", err)
	}
	s, err := OpenPKCS11Key(k, "123456")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPKCS11Key(k, "000000"); !errors.Is(err, ErrTokenBusy) {
		t.Errorf("a second login while the first holds the token: %v", err)
	}
	if again, err := ListTokens(softhsmModule); err != nil || len(again) != 1 {
		t.Fatalf("listing while a signer is open: %+v, %v", again, err)
	}
	out, err := Sign(unsignedPDF(t), s, SignInfo{Name: "Trần Thị Ký"})
	if err != nil {
		t.Fatalf("sign after listing: %v", err)
	}
	if rep, err := Verify(out, VerifyOptions{Roots: pki.roots()}); err != nil || !rep.Intact || !rep.Trusted {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The module was unloaded with the last user: opening again initialises it afresh.
	s, err = OpenPKCS11Key(k, "123456")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
