package workflow

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"strings"
	"time"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sign"
)

// Users and their signing certificates. The store checks roles and seals every account
// (queue/users.go, certs.go); what is here is the rest of each operation: parsing roles,
// the first account, reading a certificate from a file, a .p12 or a token.

// ParseRoles reads a comma-separated role list ("clerk,supervisor").
func ParseRoles(list string) ([]queue.Role, error) {
	var roles []queue.Role
	for _, r := range strings.Split(list, ",") {
		if strings.TrimSpace(r) == "" {
			continue
		}
		role, err := queue.ParseRole(r)
		if err != nil {
			return nil, err
		}
		roles = append(roles, role)
	}
	if len(roles) == 0 {
		return nil, ErrNoRole
	}
	return roles, nil
}

// ErrNoRole: a user needs at least one role.
var ErrNoRole = l10n.New("workflow.noRole")

// NewUser is an account to create.
type NewUser struct {
	Username, FullName, Password string
	Roles                        []queue.Role
}

// AddUser creates an account. actor is nil only for the first account (which must be an
// administrator); afterwards only administrators add users (the store checks).
func (w *Workflow) AddUser(ctx context.Context, actor *queue.User, in NewUser) (queue.User, error) {
	if len(in.Roles) == 0 {
		return queue.User{}, ErrNoRole
	}
	if actor != nil {
		if err := queue.Require(*actor, queue.ActionManageUsers); err != nil {
			return queue.User{}, err
		}
	}
	return w.Store.CreateUser(ctx, actor, in.Username, in.FullName, in.Password, in.Roles)
}

// UserInfo is an account as the users screen shows it.
type UserInfo struct {
	queue.User
	Failures    int       // failed sign-ins in a row
	LockedUntil time.Time // sign-in locked until then (zero: not locked)
	Certs       []queue.UserCert
}

// Locked tells whether sign-in is locked at now.
func (u UserInfo) Locked(now time.Time) bool {
	return !u.LockedUntil.IsZero() && now.Before(u.LockedUntil)
}

// Users lists every account with its sign-in lock and signing certificates.
func (w *Workflow) Users(ctx context.Context) ([]UserInfo, error) {
	users, err := w.Store.Users(ctx)
	if err != nil {
		return nil, err
	}
	locks, err := w.Store.LoginLocks(ctx)
	if err != nil {
		return nil, err
	}
	certs, err := w.Store.UserCerts(ctx, "")
	if err != nil {
		return nil, err
	}
	byUser := map[string][]queue.UserCert{}
	for _, c := range certs {
		byUser[c.Username] = append(byUser[c.Username], c)
	}
	out := make([]UserInfo, 0, len(users))
	for _, u := range users {
		out = append(out, UserInfo{User: u, Failures: locks[u.ID].Failures, LockedUntil: locks[u.ID].Until, Certs: byUser[u.Username]})
	}
	return out, nil
}

// SetRoles gives username these roles (administrators; at least one active administrator
// remains).
func (w *Workflow) SetRoles(ctx context.Context, actor queue.User, username string, roles []queue.Role) error {
	if len(roles) == 0 {
		return ErrNoRole
	}
	return w.Store.SetRoles(ctx, actor, username, roles)
}

// SetPassword sets username's password (administrators, or the user for their own).
func (w *Workflow) SetPassword(ctx context.Context, actor queue.User, username, password string) error {
	return w.Store.SetPassword(ctx, actor, username, password)
}

// SetDisabled disables or enables username (administrators).
func (w *Workflow) SetDisabled(ctx context.Context, actor queue.User, username string, disabled bool) error {
	return w.Store.SetDisabled(ctx, actor, username, disabled)
}

// Unlock lifts username's sign-in lock after failed attempts (administrators).
func (w *Workflow) Unlock(ctx context.Context, actor queue.User, username string) error {
	return w.Store.UnlockUser(ctx, actor, username)
}

// CertSource says where a certificate to register comes from: a certificate file (PEM or
// DER), a .p12 file (its password through PIN), or a token (no PIN: a token's certificates
// are public; CertSHA256 picks one when it holds several).
type CertSource struct {
	File       string
	P12File    string
	Module     string
	Token      string
	Slot       uint
	HasSlot    bool
	CertSHA256 string
	PIN        PINFunc // for a .p12 file
}

// ErrCertChoice: the token holds several signing certificates and none was chosen.
var ErrCertChoice = l10n.New("workflow.certChoice")

// AddUserCert binds a signing certificate's key to username (administrators only, checked
// before any PIN is asked): signing then accepts that key from that user alone.
func (w *Workflow) AddUserCert(ctx context.Context, actor queue.User, username string, src CertSource) (queue.UserCert, error) {
	if err := queue.Require(actor, queue.ActionManageSettings); err != nil {
		return queue.UserCert{}, err
	}
	n := 0
	for _, v := range []string{src.File, src.P12File, src.Module} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return queue.UserCert{}, ErrNoSignerSource
	}
	var cert *x509.Certificate
	var err error
	switch {
	case src.File != "":
		cert, err = ReadCertFile(src.File)
	case src.P12File != "":
		if src.PIN == nil {
			return queue.UserCert{}, ErrNoPIN
		}
		cert, err = func() (*x509.Certificate, error) {
			pin, err := src.PIN(ctx, PINRequest{Name: src.P12File})
			if err != nil {
				return nil, err
			}
			s, err := sign.LoadPKCS12(src.P12File, pin)
			if err != nil {
				return nil, err
			}
			defer s.Close()
			return s.Chain[0], nil
		}()
	default:
		var certs []CertInfo
		_, certs, err = w.tokenCerts(ctx, SignerSource{Module: src.Module, Token: src.Token, Slot: src.Slot, HasSlot: src.HasSlot})
		if err == nil {
			c := pickTokenCert(certs, src.CertSHA256)
			switch {
			case c != nil:
				cert = c.cert
			case src.CertSHA256 != "" || len(certs) == 0:
				err = sign.ErrNoTokenKey
			default:
				err = ErrCertChoice
			}
		}
	}
	if err != nil {
		return queue.UserCert{}, err
	}
	return w.Store.AddUserCert(ctx, actor, username, cert)
}

// UserCerts lists the certificates registered to username ("" for everyone).
func (w *Workflow) UserCerts(ctx context.Context, username string) ([]queue.UserCert, error) {
	return w.Store.UserCerts(ctx, username)
}

// RemoveUserCert unbinds the certificate whose key or certificate fingerprint starts with
// fingerprint from username (administrators).
func (w *Workflow) RemoveUserCert(ctx context.Context, actor queue.User, username, fingerprint string) error {
	return w.Store.RemoveUserCert(ctx, actor, username, fingerprint)
}

// ErrNotCertificate: the file is not an X.509 certificate.
var ErrNotCertificate = l10n.New("workflow.notCertificate")

// ReadCertFile reads an X.509 certificate, PEM (the first CERTIFICATE block) or DER.
func ReadCertFile(name string) (*x509.Certificate, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			data = b.Bytes
			break
		}
	}
	cert, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, ErrNotCertificate
	}
	return cert, nil
}
