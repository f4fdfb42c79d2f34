package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"image"
	"image/png"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/pdfattack"
	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/sign"
)

// TestVerifyCommand signs a real PDF and checks `sohoa verify`: intact and trusted with the
// signer's certificate in the trust store, not trusted without it (unless --integrity-only),
// rejected after one changed byte, and rejected with the reason (the changed object) after a
// forged incremental update; a broken file of the shared corpus is rejected too.
func TestVerifyCommand(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Nguyễn Văn Tĩnh"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	s, err := sign.NewSigner(key, []*x509.Certificate{cert})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 200, 280))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	var pngBuf bytes.Buffer
	png.Encode(&pngBuf, img)
	pdf, err := sign.BuildPDF(sign.DocumentInput{Title: "Giấy khai sinh", Pages: []sign.PageInput{{Image: pngBuf.Bytes(), DPI: 50,
		Words: []sign.Word{{Text: "Hà", X0: 10, Y0: 10, X1: 40, Y1: 30, Conf: 95}}}}})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := sign.Sign(pdf, s, sign.SignInfo{Name: "Nguyễn Văn Tĩnh", Reason: "Phê duyệt"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "ky.pdf")
	os.WriteFile(good, signed, 0o644)
	trust := filepath.Join(dir, "tin-cay.pem")
	os.WriteFile(trust, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	bad := append([]byte{}, signed...)
	bad[len(bad)/3] ^= 0x01
	badFile := filepath.Join(dir, "sua.pdf")
	os.WriteFile(badFile, bad, 0o644)

	r := newRunner(t)
	res := r.run("", "verify", good, "--trust", trust)
	if res.code != 0 || !strings.Contains(res.stdout, "nguyên vẹn") || !strings.Contains(res.stdout, "Nguyễn Văn Tĩnh") {
		t.Fatalf("trusted signed PDF: %+v", res)
	}
	if res := r.run("", "verify", good); res.code != 1 || !strings.Contains(res.stdout, "KHÔNG có trong danh sách tin cậy") {
		t.Fatalf("untrusted signer: %+v", res)
	}
	if res := r.run("", "verify", good, "--integrity-only"); res.code != 0 {
		t.Fatalf("--integrity-only: %+v", res)
	}
	if res := r.run("", "verify", badFile, "--integrity-only", "--json"); res.code != 1 || !strings.Contains(res.stdout, `"intact": false`) {
		t.Fatalf("changed byte: %+v", res)
	}
	// A forgery appended after signing (the holder's page redrawn, hidden in an object
	// stream): the signed bytes are untouched, the reason names the changed object, in
	// Vietnamese by default and in English with SOHOA_LANG=en.
	forged, err := pdfattack.Shadow()[6].Apply(signed) // objstm-asciihex-flate
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := pdfattack.Objects(signed)
	forgedFile := filepath.Join(dir, "gia-mao.pdf")
	os.WriteFile(forgedFile, forged, 0o644)
	res = r.run("", "verify", forgedFile, "--trust", trust)
	wantVI := fmt.Sprintf("đối tượng %d (trang 1): /Contents bị thay đổi sau chữ ký 1", objs["page1"])
	if res.code != 1 || !strings.Contains(res.stdout, "KHÔNG HỢP LỆ: tệp bị sửa sau khi ký") || !strings.Contains(res.stdout, "bị sửa sau khi ký:") || !strings.Contains(res.stdout, wantVI) {
		t.Fatalf("forged PDF (Vietnamese): %+v", res)
	}
	r.env["SOHOA_LANG"] = "en"
	res = r.run("", "verify", forgedFile, "--trust", trust)
	wantEN := fmt.Sprintf("object %d (page 1): /Contents changed after signature 1", objs["page1"])
	if res.code != 1 || !strings.Contains(res.stdout, "INVALID: the file was changed after signing") || !strings.Contains(res.stdout, "CHANGED AFTER SIGNING") || !strings.Contains(res.stdout, wantEN) {
		t.Fatalf("forged PDF (English): %+v", res)
	}
	res = r.run("", "verify", forgedFile, "--integrity-only", "--json")
	if res.code != 1 || !strings.Contains(res.stdout, `"modified_after_signing": true`) || !strings.Contains(res.stdout, wantEN) || !strings.Contains(res.stdout, fmt.Sprintf(`"object": %d`, objs["page1"])) {
		t.Fatalf("forged PDF (JSON): %+v", res)
	}
	t.Logf("sohoa verify:\n%s", res.stdout)
	r.env["SOHOA_LANG"] = "vi"

	corrupt := filepath.Join(testenv.Corpus(), "signed-pdfs", "invalid", "pdf-signed-corrupted.pdf")
	if res := r.run("", "verify", corrupt, "--integrity-only"); res.code != 1 {
		t.Fatalf("corpus invalid file: %+v", res)
	}
	if res := r.run("", "verify"); res.code != 2 {
		t.Fatalf("no file: %+v", res)
	}
}
