package workflow_test

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/internal/softhsmtest"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// TestUsersAndCertificates: the first account needs no actor and must be an administrator;
// afterwards only administrators add users, change roles, reset passwords, disable and
// unlock; certificates are registered from a PEM file, a .p12 (password asked only once the
// role allows it) or a token (no PIN), listed with the users and removed.
func TestUsersAndCertificates(t *testing.T) {
	w := newWorld(t)
	ctx, st := w.ctx, w.ws.Store
	if _, err := workflow.ParseRoles(" "); !errors.Is(err, workflow.ErrNoRole) {
		t.Fatalf("no role: %v", err)
	}
	roles, err := workflow.ParseRoles("clerk, supervisor")
	if err != nil || len(roles) != 2 {
		t.Fatalf("roles %v %v", roles, err)
	}
	if _, err := w.wf.AddUser(ctx, &w.ws.Clerk, workflow.NewUser{Username: "moi", Password: "mật-khẩu-dài", Roles: roles}); !errors.Is(err, queue.ErrNotPermitted) {
		t.Fatalf("a clerk adds a user: %v", err)
	}
	u, err := w.wf.AddUser(ctx, &w.ws.Admin, workflow.NewUser{Username: "kiemsoat2", FullName: "Lê Văn Hai", Password: "mật-khẩu-dài", Roles: roles})
	if err != nil || u.Username != "kiemsoat2" {
		t.Fatalf("add user: %+v %v", u, err)
	}
	if err := w.wf.SetRoles(ctx, w.ws.Clerk, "kiemsoat2", []queue.Role{queue.RoleAdmin}); !errors.Is(err, queue.ErrNotPermitted) {
		t.Fatalf("a clerk changes roles: %v", err)
	}
	if err := w.wf.SetRoles(ctx, w.ws.Admin, "kiemsoat2", []queue.Role{queue.RoleSupervisor}); err != nil {
		t.Fatal(err)
	}
	if err := w.wf.SetPassword(ctx, w.ws.Admin, "kiemsoat2", "mật-khẩu-mới-dài"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, "kiemsoat2", "mật-khẩu-mới-dài"); err != nil {
		t.Fatalf("sign in with the reset password: %v", err)
	}
	if err := w.wf.SetDisabled(ctx, w.ws.Admin, "kiemsoat2", true); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, "kiemsoat2", "mật-khẩu-mới-dài"); !errors.Is(err, queue.ErrUserDisabled) && !errors.Is(err, queue.ErrBadLogin) {
		t.Fatalf("disabled account signs in: %v", err)
	}
	if err := w.wf.SetDisabled(ctx, w.ws.Admin, "kiemsoat2", false); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 6; i++ {
		st.Authenticate(ctx, "kiemsoat2", "sai-mật-khẩu")
	}
	users, err := w.wf.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var k2 workflow.UserInfo
	for _, x := range users {
		if x.Username == "kiemsoat2" {
			k2 = x
		}
	}
	if k2.LockedUntil.IsZero() || k2.Failures < 5 || k2.Disabled || !k2.Has(queue.RoleSupervisor) || k2.Has(queue.RoleClerk) {
		t.Fatalf("listed %+v", k2)
	}
	if err := w.wf.Unlock(ctx, w.ws.Admin, "kiemsoat2"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, "kiemsoat2", "mật-khẩu-mới-dài"); err != nil {
		t.Fatalf("sign in after unlock: %v", err)
	}

	// Certificates: from a PEM file, a .p12 and a token.
	ca := newCA(t, "SoHoa Test CA")
	_, c1 := ca.valid(t, "Lê Văn Hai")
	pemFile := filepath.Join(t.TempDir(), "c.pem")
	os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c1.Raw}), 0o600)
	if _, err := w.wf.AddUserCert(ctx, w.ws.Supervisor, "kiemsoat2", workflow.CertSource{File: pemFile}); !errors.Is(err, queue.ErrNotPermitted) {
		t.Fatalf("a supervisor registers a certificate: %v", err)
	}
	if uc, err := w.wf.AddUserCert(ctx, w.ws.Admin, "kiemsoat2", workflow.CertSource{File: pemFile}); err != nil || uc.KeyID != queue.KeyID(c1) {
		t.Fatalf("register from PEM: %+v %v", uc, err)
	}
	k2key, c2 := ca.valid(t, "Lê Văn Hai")
	p12 := ca.p12(t, k2key, c2, "pw-123456")
	asked := 0
	if _, err := w.wf.AddUserCert(ctx, w.ws.Clerk, "kiemsoat2", workflow.CertSource{P12File: p12, PIN: pinOf("pw-123456", &asked)}); err == nil || asked != 0 {
		t.Fatalf("a clerk registers from a .p12: %v (password asked %d)", err, asked)
	}
	if _, err := w.wf.AddUserCert(ctx, w.ws.Admin, "kiemsoat2", workflow.CertSource{P12File: p12, PIN: pinOf("pw-123456", &asked)}); err != nil || asked != 1 {
		t.Fatalf("register from a .p12: %v", err)
	}
	k3, c3 := ca.valid(t, w.ws.Supervisor.FullName)
	softhsmtest.NewToken(t, k3, []*x509.Certificate{c3, ca.cert})
	if uc, err := w.wf.AddUserCert(ctx, w.ws.Admin, "sup", workflow.CertSource{Module: softhsmtest.Module, Token: softhsmtest.Label}); err != nil || uc.KeyID != queue.KeyID(c3) {
		t.Fatalf("register from a token: %+v %v", uc, err)
	}
	if _, err := w.wf.AddUserCert(ctx, w.ws.Admin, "kiemsoat2", workflow.CertSource{File: pemFile, P12File: p12}); !errors.Is(err, workflow.ErrNoSignerSource) {
		t.Fatalf("two sources: %v", err)
	}
	garbage := filepath.Join(t.TempDir(), "x.pem")
	os.WriteFile(garbage, []byte("không phải chứng thư"), 0o600)
	if _, err := w.wf.AddUserCert(ctx, w.ws.Admin, "kiemsoat2", workflow.CertSource{File: garbage}); !errors.Is(err, workflow.ErrNotCertificate) {
		t.Fatalf("garbage: %v", err)
	}
	users, _ = w.wf.Users(ctx)
	for _, x := range users {
		if x.Username == "kiemsoat2" && len(x.Certs) != 2 || x.Username == "sup" && len(x.Certs) != 1 {
			t.Fatalf("%s has %d certificates", x.Username, len(x.Certs))
		}
	}
	if err := w.wf.RemoveUserCert(ctx, w.ws.Admin, "kiemsoat2", queue.KeyID(c1)[:16]); err != nil {
		t.Fatal(err)
	}
	if cs, _ := w.wf.UserCerts(ctx, "kiemsoat2"); len(cs) != 1 || cs[0].KeyID != queue.KeyID(c2) {
		t.Fatalf("after removal: %+v", cs)
	}
}
