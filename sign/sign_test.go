package sign

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
)

var (
	basePDFOnce sync.Once
	basePDF     []byte
)

func unsignedPDF(t testing.TB) []byte {
	basePDFOnce.Do(func() {
		var err error
		basePDF, err = BuildPDF(testDocument(t))
		if err != nil {
			t.Fatal(err)
		}
	})
	return bytes.Clone(basePDF)
}

// pdfsig runs poppler's verifier and returns its output (it exits non-zero for invalid
// signatures, so the exit status is not an error here).
func pdfsig(t testing.TB, pdf []byte) string {
	t.Helper()
	path := writeTemp(t, "s.pdf", pdf)
	out, _ := execOutput("pdfsig", "-nocert", path)
	return out
}

var vietNames = []struct{ name, alg string }{
	{"Lê Thị Ĩ", "rsa"},
	{"Nguyễn Văn Tĩnh (Giám đốc)", "ecdsa"},
	{`Trần \ Hùng`, "rsa"},
	{"Phạm Thị Ngọc Ánh (", "ecdsa"},
}

func TestSignVietnameseNames(t *testing.T) {
	pki := newTestPKI(t)
	for _, tc := range vietNames {
		t.Run(tc.alg, func(t *testing.T) {
			s := pki.signer(t, tc.name, tc.alg)
			out, err := Sign(unsignedPDF(t), s, SignInfo{Name: tc.name, Reason: "Phê duyệt hồ sơ", Location: "Hà Nội", Contact: "(024) 123\\456"})
			if err != nil {
				t.Fatal(err)
			}
			sig := pdfsig(t, out)
			if !strings.Contains(sig, "Signature Validation: Signature is Valid.") || !strings.Contains(sig, "Total document signed") {
				t.Fatalf("pdfsig does not accept the signature:\n%s", sig)
			}
			// pdfsig shows the certificate's common name (with backslashes escaped).
			if !strings.Contains(sig, "Common Name: "+strings.ReplaceAll(tc.name, `\`, `\\`)) {
				t.Errorf("pdfsig lacks the signer name %q:\n%s", tc.name, sig)
			}
			path := writeTemp(t, "signed.pdf", out)
			run(t, "qpdf", "--check", path)
			if info := run(t, "pdfinfo", "-enc", "UTF-8", path); !strings.Contains(info, "Giấy khai sinh số 12") {
				t.Errorf("metadata lost after signing:\n%s", info)
			}
			if txt := run(t, "pdftotext", "-f", "1", "-l", "1", "-enc", "UTF-8", path, "-"); !strings.Contains(strings.Join(strings.Fields(txt), " "), "Nguyễn Văn Đức Ủy ban nhân dân Hồ Chí Minh") {
				t.Errorf("text lost after signing: %q", txt)
			}
			rep, err := Verify(out, VerifyOptions{Roots: pki.roots()})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Intact || !rep.Trusted || len(rep.Signatures) != 1 {
				t.Fatalf("report: %+v", rep)
			}
			r := rep.Signatures[0]
			// pdfsign cannot write a backslash or an unbalanced parenthesis inside a
			// non-ASCII text (see dictString): such a name is left out of the dictionary
			// and lives in the certificate (checked below and by pdfsig above).
			wantName := tc.name
			if dictString(tc.name) == "" {
				wantName = ""
			}
			if r.Name != wantName || r.Reason != "Phê duyệt hồ sơ" || r.Location != "Hà Nội" || r.Contact != "(024) 123\\456" {
				t.Errorf("signature dictionary: name %q reason %q location %q contact %q", r.Name, r.Reason, r.Location, r.Contact)
			}
			if r.Signer.Subject.CommonName != tc.name || !r.CoversWholeFile || r.SubFilter != "ETSI.CAdES.detached" || r.Level != "B-B" {
				t.Errorf("result: %+v", r)
			}
		})
	}
}

func TestSignTwiceKeepsFirstValid(t *testing.T) {
	pki := newTestPKI(t)
	one, err := Sign(unsignedPDF(t), pki.signer(t, "Lê Thị Ĩ", "rsa"), SignInfo{Name: "Lê Thị Ĩ"})
	if err != nil {
		t.Fatal(err)
	}
	two, err := Sign(one, pki.signer(t, "Trần Hùng", "ecdsa"), SignInfo{Name: "Trần Hùng"})
	if err != nil {
		t.Fatal(err)
	}
	if sig := pdfsig(t, two); strings.Count(sig, "Signature is Valid") != 2 {
		t.Fatalf("pdfsig:\n%s", sig)
	}
	rep, err := Verify(two, VerifyOptions{Roots: pki.roots()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Signatures) != 2 || !rep.Intact || !rep.Trusted {
		t.Fatalf("report: %+v", rep)
	}
	if rep.Signatures[0].CoversWholeFile || !rep.Signatures[1].CoversWholeFile || rep.Signatures[0].Name != "Lê Thị Ĩ" {
		t.Errorf("order/coverage wrong: %+v", rep.Signatures)
	}
}

func TestVerifyTrust(t *testing.T) {
	pki := newTestPKI(t)
	out, err := Sign(unsignedPDF(t), pki.signer(t, "Lê Thị Ĩ", "ecdsa"), SignInfo{Name: "Lê Thị Ĩ"})
	if err != nil {
		t.Fatal(err)
	}
	other := newTestPKI(t)
	for name, tc := range map[string]struct {
		opts    VerifyOptions
		trusted bool
	}{
		"own root":       {VerifyOptions{Roots: pki.roots()}, true},
		"other root":     {VerifyOptions{Roots: other.roots()}, false},
		"no trust store": {VerifyOptions{}, false},
		"integrity only": {VerifyOptions{Roots: pki.roots(), IntegrityOnly: true}, false},
	} {
		rep, err := Verify(out, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Intact || rep.Trusted != tc.trusted {
			t.Errorf("%s: intact %v trusted %v (%s)", name, rep.Intact, rep.Trusted, rep.Signatures[0].TrustError)
		}
	}
}

func TestTamperDetected(t *testing.T) {
	pki := newTestPKI(t)
	signed, err := Sign(unsignedPDF(t), pki.signer(t, "Nguyễn Văn Tĩnh (Giám đốc)", "rsa"), SignInfo{Name: "Nguyễn Văn Tĩnh (Giám đốc)"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(signed, VerifyOptions{Roots: pki.roots()})
	if err != nil || !rep.Intact {
		t.Fatalf("untouched file: %+v %v", rep, err)
	}
	br := rep.Signatures[0].ByteRange
	n := int64(len(signed))
	positions := map[string]int64{
		"header":             5,
		"image data":         br[1] / 3,
		"before Contents":    br[1] - 3,
		"Contents start":     br[1] + 1,
		"Contents middle":    br[1] + 40,
		"after Contents":     br[2] + 2,
		"trailer":            n - 20,
		"signature dict end": br[2] + (n-br[2])/2,
	}
	for name, pos := range positions {
		t.Run(name, func(t *testing.T) {
			b := bytes.Clone(signed)
			if b[pos] == '0' {
				b[pos] = '1'
			} else {
				b[pos] = '0'
			}
			rep, err := Verify(b, VerifyOptions{Roots: pki.roots()})
			if err == nil && rep.Intact {
				t.Errorf("byte %d changed: Verify still says intact", pos)
			}
			if sig := pdfsig(t, b); strings.Contains(sig, "Signature is Valid") {
				t.Errorf("byte %d changed: pdfsig still says valid:\n%s", pos, sig)
			}
		})
	}
	t.Run("appended bytes", func(t *testing.T) {
		b := append(bytes.Clone(signed), []byte("\n% hello\n1 0 obj (x) endobj\n")...)
		rep, err := Verify(b, VerifyOptions{Roots: pki.roots()})
		if err != nil || rep.Intact || !rep.Signatures[0].ModifiedAfterSigning {
			t.Errorf("appended bytes not flagged: %+v %v", rep, err)
		}
	})
	t.Run("incremental update changes page content", func(t *testing.T) {
		b := appendUpdate(t, signed, contentObject(t, signed), fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(visibleText), visibleText))
		rep, err := Verify(b, VerifyOptions{Roots: pki.roots()})
		if err != nil || rep.Intact || !rep.Signatures[0].ModifiedAfterSigning {
			t.Fatalf("content change not flagged: %+v %v", rep, err)
		}
		t.Logf("changes: %v", rep.Signatures[0].Changes)
		path := writeTemp(t, "upd.pdf", b)
		run(t, "qpdf", "--check", path) // the update itself is well formed
	})
	t.Run("incremental update only touches Info", func(t *testing.T) {
		info := regexp.MustCompile(`/Info (\d+) 0 R`).FindSubmatch(signed)
		var num int
		fmt.Sscan(string(info[1]), &num)
		b := appendUpdate(t, signed, num, "<< /Title (Renamed) /Producer (SoHoa) >>")
		rep, err := Verify(b, VerifyOptions{Roots: pki.roots()})
		if err != nil || !rep.Intact {
			t.Fatalf("metadata-only update should keep the signature intact: %+v %v", rep, err)
		}
	})
}

const visibleText = "BT /F1 9 Tf 0 Tr 10 10 Td <0001> Tj ET"

// contentObject returns the object number of the first page's content stream.
func contentObject(t *testing.T, pdf []byte) int {
	m := regexp.MustCompile(`/Contents (\d+) 0 R`).FindSubmatch(pdf)
	if m == nil {
		t.Fatal("no /Contents reference")
	}
	var n int
	fmt.Sscan(string(m[1]), &n)
	return n
}

// appendUpdate writes a classic incremental update that replaces object num.
func appendUpdate(t *testing.T, pdf []byte, num int, body string) []byte {
	prev := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(pdf)
	root := regexp.MustCompile(`/Root (\d+) 0 R`).FindAllSubmatch(pdf, -1)
	size := regexp.MustCompile(`/Size (\d+)`).FindAllSubmatch(pdf, -1)
	if prev == nil || root == nil || size == nil {
		t.Fatal("cannot find the trailer")
	}
	b := bytes.Clone(pdf)
	off := len(b)
	b = fmt.Appendf(b, "%d 0 obj\n%s\nendobj\n", num, body)
	x := len(b)
	b = fmt.Appendf(b, "xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %s /Root %s 0 R /Prev %s >>\nstartxref\n%d\n%%%%EOF\n",
		num, off, size[len(size)-1][1], root[len(root)-1][1], prev[1], x)
	return b
}

func TestVerifyRejectsNonPDF(t *testing.T) {
	if _, err := Verify([]byte("hello"), VerifyOptions{}); !errors.Is(err, ErrNotPDF) {
		t.Errorf("non-PDF: %v", err)
	}
	if _, err := Verify(unsignedPDF(t), VerifyOptions{}); !errors.Is(err, ErrNoSignature) {
		t.Errorf("unsigned PDF: %v", err)
	}
	if _, err := Sign([]byte("%PDF-1.7 garbage"), newTestPKI(t).signer(t, "A", "ecdsa"), SignInfo{}); err == nil {
		t.Error("signing garbage succeeded")
	}
}

func TestLoadPKCS12(t *testing.T) {
	pki := newTestPKI(t)
	for _, alg := range []string{"rsa", "ecdsa"} {
		s := pki.signer(t, "Lê Thị Ĩ", alg)
		p12, err := pkcs12.Modern.Encode(s.Key, s.Chain[0], s.Chain[1:], "mật khẩu")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "k.p12")
		if err := os.WriteFile(path, p12, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadPKCS12(path, "wrong"); !errors.Is(err, ErrPKCS12) || !errors.Is(err, ErrP12Password) {
			t.Errorf("wrong password: %v", err)
		}
		loaded, err := LoadPKCS12(path, "mật khẩu")
		if err != nil {
			t.Fatal(err)
		}
		if len(loaded.Chain) != 2 || !loaded.Chain[0].Equal(s.Chain[0]) {
			t.Fatalf("chain: %d certs", len(loaded.Chain))
		}
		out, err := Sign(unsignedPDF(t), loaded, SignInfo{Name: "Lê Thị Ĩ"})
		if err != nil {
			t.Fatal(err)
		}
		if rep, err := Verify(out, VerifyOptions{Roots: pki.roots()}); err != nil || !rep.Trusted {
			t.Errorf("%s: %+v %v", alg, rep, err)
		}
	}
	if _, err := NewSigner(pki.signer(t, "A", "rsa").Key, []*x509.Certificate{pki.Inter}); !errors.Is(err, ErrKeyMismatch) {
		t.Errorf("mismatched key: %v", err)
	}
}

func TestSignedBytesRanges(t *testing.T) {
	data := []byte("0123456789")
	for _, tc := range []struct {
		br   []int64
		want string
		ok   bool
	}{
		{[]int64{0, 3, 5, 5}, "01256789", true},
		{[]int64{0, 3, 2, 2}, "", false},     // overlap
		{[]int64{0, 3, 5, 6}, "", false},     // past the end
		{[]int64{0, -1, 5, 5}, "", false},    // negative
		{[]int64{0, 3, 5}, "", false},        // odd
		{[]int64{0, 10}, "0123456789", true}, // no hole: Verify flags it separately
	} {
		got, ok := signedBytes(data, tc.br)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("%v: %q %v", tc.br, got, ok)
		}
	}
}

func TestDictString(t *testing.T) {
	cases := map[string]string{
		"Lê Thị Ĩ":                   "Lê Thị I\u0303",
		"Nguyễn Văn Tĩnh (Giám đốc)": "Nguyễn Văn Ti\u0303nh (Giám đốc)",
		"Trần \\ Hùng":               "",
		"Phạm (Ánh":                  "",
		"Phạm )Ánh(":                 "",
		"ASCII (only \\ here":        "ASCII (only \\ here",
	}
	for in, want := range cases {
		if got := dictString(in); got != want {
			t.Errorf("dictString(%q) = %q, want %q", in, got, want)
		}
	}
}
