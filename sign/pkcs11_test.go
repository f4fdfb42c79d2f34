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
