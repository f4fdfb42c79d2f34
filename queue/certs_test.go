package queue

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

var testSerial int64 = 1

// selfCert makes a certificate for name over key (a new key when nil).
func selfCert(t *testing.T, name string, key *ecdsa.PrivateKey) *x509.Certificate {
	t.Helper()
	if key == nil {
		var err error
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	testSerial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(testSerial), Subject: pkix.Name{CommonName: name, Country: []string{"VN"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSignerCertificateBinding (finding 8): only an administrator binds a key to an account
// (audited, by fingerprint); the approver signs with their own key; another person's key is
// refused even with an override; an unbound key passes only with an administrator's override
// and a reason, which MarkSigned records and audits without its text.
func TestSignerCertificateBinding(t *testing.T) {
	ctx := context.Background()
	f := newReviewFixture(t, 1)
	s := f.s
	f.submit(t)
	if err := s.Approve(ctx, f.sup1, f.batch.ID); err != nil {
		t.Fatal(err)
	}
	mineKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mine := selfCert(t, "Trần Văn Kiểm", mineKey)
	renewed := selfCert(t, "Trần Văn Kiểm", mineKey) // same key, new certificate
	colleague := selfCert(t, "Lê Thị Duyệt", nil)
	nobody := selfCert(t, "Người Lạ", nil)

	if _, err := s.AddUserCert(ctx, f.sup1, f.sup1.Username, mine); !errors.Is(err, ErrNotPermitted) {
		t.Fatalf("a supervisor binds their own key: %v", err)
	}
	uc, err := s.AddUserCert(ctx, f.admin, f.sup1.Username, mine)
	if err != nil || uc.Username != f.sup1.Username || uc.KeyID != KeyID(mine) || uc.AddedBy != "admin" {
		t.Fatalf("bind: %+v %v", uc, err)
	}
	if _, err := s.AddUserCert(ctx, f.admin, f.sup1.Username, renewed); err != nil {
		t.Fatalf("binding the same key again: %v", err)
	}
	var taken *CertTakenError
	if _, err := s.AddUserCert(ctx, f.admin, f.sup2.Username, mine); !errors.As(err, &taken) || taken.Owner != f.sup1.Username {
		t.Fatalf("binding sup1's key to sup2: %v", err)
	}
	if _, err := s.AddUserCert(ctx, f.admin, f.sup2.Username, colleague); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddUserCert(ctx, f.admin, "khong.co", nobody); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	if cs, _ := s.UserCerts(ctx, ""); len(cs) != 2 {
		t.Fatalf("certificates %+v", cs)
	}

	build := func(int64) ([]byte, error) { return []byte(`{}`), nil }
	sd := []SignedDocument{{DocumentID: f.docs[0].ID, PDFSHA256: must(s.Blobs.Put([]byte("%PDF-1.7 thử"))), PDFSize: 12}}
	var se *SignerError
	// the colleague's key: refused, with or without override, nothing recorded
	for _, key := range []SigningKey{{Cert: colleague}, {Cert: colleague, Override: "cần ký gấp"}} {
		err := s.CheckSigner(ctx, f.sup1, f.batch.ID, key)
		if !errors.As(err, &se) {
			t.Fatalf("colleague's key %+v: %v", key, err)
		}
		if err := s.MarkSigned(ctx, f.sup1, f.batch.ID, key, sd, build); !errors.Is(err, ErrSignerCert) {
			t.Fatalf("MarkSigned with the colleague's key: %v", err)
		}
	}
	if err := s.CheckSigner(ctx, f.sup1, f.batch.ID, SigningKey{Cert: colleague}); !errors.As(err, &se) || se.Reason != "other_user" ||
		se.Owner != f.sup2.Username || !strings.Contains(err.Error(), "không được ký thay người khác") || strings.Contains(err.Error(), "Lê Thị Duyệt") {
		t.Fatalf("colleague's key message: %v", err)
	}
	// an unbound key: refused; the override is for administrators, with a reason
	if err := s.CheckSigner(ctx, f.sup1, f.batch.ID, SigningKey{Cert: nobody}); !errors.As(err, &se) || se.Reason != "unbound" ||
		!strings.Contains(err.Error(), "sohoa user cert add --username "+f.sup1.Username) {
		t.Fatalf("unbound key: %v", err)
	}
	if err := s.CheckSigner(ctx, f.sup1, f.batch.ID, SigningKey{Cert: nobody, Override: "chứng thư mới"}); !errors.As(err, &se) || se.Reason != "override_not_admin" {
		t.Fatalf("override by a supervisor: %v", err)
	}
	if b, _ := s.Batch(ctx, f.batch.ID); b.State != StateApproved {
		t.Fatalf("state %s", b.State)
	}
	// the approver's own key (the renewed certificate too) signs
	if err := s.CheckSigner(ctx, f.sup1, f.batch.ID, SigningKey{Cert: renewed}); err != nil {
		t.Fatalf("own key: %v", err)
	}
	if err := s.MarkSigned(ctx, f.sup1, f.batch.ID, SigningKey{Cert: mine}, sd, build); err != nil {
		t.Fatalf("MarkSigned with the approver's key: %v", err)
	}
	if ov, _ := s.SignerOverrides(ctx, f.batch.ID); len(ov) != 0 {
		t.Fatalf("overrides %+v", ov)
	}

	// An approver who is also an administrator overrides an unbound key, with a reason.
	g := newReviewFixture(t, 1)
	boss, err := g.s.CreateUser(ctx, &g.admin, "truong.phong", "Phạm Trưởng Phòng", "mật-khẩu-dài", []Role{RoleSupervisor, RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	g.submit(t)
	if err := g.s.Approve(ctx, boss, g.batch.ID); err != nil {
		t.Fatal(err)
	}
	gsd := []SignedDocument{{DocumentID: g.docs[0].ID, PDFSHA256: must(g.s.Blobs.Put([]byte("%PDF-1.7 hai"))), PDFSize: 12}}
	if err := g.s.MarkSigned(ctx, boss, g.batch.ID, SigningKey{Cert: nobody, Override: "   "}, gsd, build); !errors.As(err, &se) || se.Reason != "override_reason" {
		t.Fatalf("blank override: %v", err)
	}
	if err := g.s.MarkSigned(ctx, boss, g.batch.ID, SigningKey{Cert: nobody, Override: strings.Repeat("x", MaxOverrideReasonRunes+1)}, gsd, build); !errors.As(err, &se) || se.Reason != "override_reason" {
		t.Fatalf("long override: %v", err)
	}
	const reason = "Chứng thư mới cấp, đang chờ đăng ký"
	if err := g.s.MarkSigned(ctx, boss, g.batch.ID, SigningKey{Cert: nobody, Override: reason}, gsd, build); err != nil {
		t.Fatalf("override: %v", err)
	}
	ov, err := g.s.SignerOverrides(ctx, g.batch.ID)
	if err != nil || len(ov) != 1 || ov[0].Reason != reason || ov[0].By != "truong.phong" || ov[0].CertSHA256 != CertSHA256(nobody) {
		t.Fatalf("overrides %+v %v", ov, err)
	}
	ev, _ := g.s.AuditLog(ctx, 0)
	found := false
	for _, e := range ev {
		if strings.Contains(e.Detail, "chờ đăng ký") {
			t.Fatalf("override reason in the audit log: %+v", e)
		}
		found = found || e.Action == "sign.override_signer" && strings.Contains(e.Detail, "key="+KeyID(nobody)[:16])
	}
	if !found {
		t.Fatal("override not audited")
	}
	// unbinding (administrators) is audited and stops the key
	if err := s.RemoveUserCert(ctx, f.admin, f.sup1.Username, KeyID(mine)[:16]); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.UserCerts(ctx, f.sup1.Username); len(cs) != 0 {
		t.Fatalf("after removal: %+v", cs)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
