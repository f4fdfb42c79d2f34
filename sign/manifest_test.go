package sign

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/wire"
)

func testManifest() *wire.Manifest {
	return &wire.Manifest{Version: 1, BatchID: "01934b2c-0000-7000-8000-000000000001", WorkstationID: "ws-1",
		Office: "HN-01", Seq: 3, RecordType: "birth", CreatedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		Documents: []wire.Document{{ID: "1", PDFSHA256: string(bytes.Repeat([]byte("a"), 64)), PDFSize: 10,
			Pages: []wire.Page{{SHA256: string(bytes.Repeat([]byte("b"), 64)), Size: 5}}}}}
}

func TestManifestSignVerify(t *testing.T) {
	pki := newTestPKI(t)
	s := pki.signer(t, "Nguyễn Thị Ĩnh (Phó phòng)", "ecdsa")
	raw, err := SignManifest(testManifest(), s)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := wire.DecodeManifest(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("decode signed manifest: %v", err)
	}
	r, err := VerifyManifest(m, VerifyOptions{Roots: pki.roots()})
	if err != nil || !r.Trusted || r.Signer == nil || r.Signer.Subject.CommonName != "Nguyễn Thị Ĩnh (Phó phòng)" {
		t.Fatalf("verify: %+v, %v", r, err)
	}
	// Untrusted signer: intact, not trusted.
	other := newTestPKI(t)
	if r, err := VerifyManifest(m, VerifyOptions{Roots: other.roots()}); err != nil || r.Trusted || r.TrustError == "" {
		t.Fatalf("foreign roots: %+v, %v", r, err)
	}
	// Any change to a signed field breaks the signature.
	for name, change := range map[string]func(*wire.Manifest){
		"seq":      func(m *wire.Manifest) { m.Seq++ },
		"pdf hash": func(m *wire.Manifest) { m.Documents[0].PDFSHA256 = string(bytes.Repeat([]byte("c"), 64)) },
		"office":   func(m *wire.Manifest) { m.Office = "HN-02" },
	} {
		c, _, _ := wire.DecodeManifest(bytes.NewReader(raw))
		change(c)
		if _, err := VerifyManifest(c, VerifyOptions{Roots: pki.roots()}); !errors.Is(err, ErrManifestSignature) {
			t.Errorf("%s changed: %v, want ErrManifestSignature", name, err)
		}
	}
	u := testManifest()
	if _, err := VerifyManifest(u, VerifyOptions{}); !errors.Is(err, ErrManifestUnsigned) {
		t.Errorf("unsigned: %v", err)
	}
}
