package queue

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Role is what a user may do.
type Role string

const (
	RoleClerk      Role = "clerk"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// ParseRole accepts a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleClerk, RoleSupervisor, RoleAdmin:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q (want clerk, supervisor or admin)", s)
}

// User is a local account.
type User struct {
	ID       int64
	Username string
	FullName string
	Roles    []Role
	Disabled bool
}

// Has reports whether u holds role r.
func (u User) Has(r Role) bool { return slices.Contains(u.Roles, r) }

// Errors about users. They never contain a password.
var (
	ErrBadLogin     = errors.New("wrong user name or password")
	ErrUserExists   = errors.New("user name already taken")
	ErrWeakPassword = errors.New("password too short: use at least 8 characters")
	ErrBadUsername  = errors.New("user name must be 2-64 letters, digits, '.', '-' or '_'")
	ErrNotPermitted = errors.New("not permitted for this user's role")
	ErrNoUsers      = errors.New("no users yet")
	ErrUserNotFound = errors.New("no such user")
	ErrUserDisabled = errors.New("user is disabled")
)

// argon2id parameters: OWASP's minimum for argon2id (19 MiB, t=2, p=1).
const (
	kdfTime    = 2
	kdfMemory  = 19 * 1024
	kdfThreads = 1
	kdfKeyLen  = 32
)

func hashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, kdfTime, kdfMemory, kdfThreads, kdfKeyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", kdfMemory, kdfTime, kdfThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

func checkPassword(phc, pw string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

func validUsername(u string) bool {
	if n := utf8.RuneCountInString(u); n < 2 || n > 64 {
		return false
	}
	for _, r := range u {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// UserCount is the number of accounts; 0 means the first-run set-up is due.
func (s *Store) UserCount(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

// CreateUser adds an account. actor must be an admin, except for the very first account,
// which must be an admin and is created by nobody (actor may be nil then).
func (s *Store) CreateUser(ctx context.Context, actor *User, username, fullName, password string, roles []Role) (User, error) {
	username = strings.TrimSpace(norm.NFC.String(username))
	fullName = strings.TrimSpace(norm.NFC.String(fullName))
	if !validUsername(username) {
		return User{}, ErrBadUsername
	}
	if utf8.RuneCountInString(password) < 8 {
		return User{}, ErrWeakPassword
	}
	if len(roles) == 0 {
		return User{}, errors.New("a user needs at least one role")
	}
	if fullName == "" {
		fullName = username
	}
	hash, err := hashPassword(password)
	if err != nil {
		return User{}, err
	}
	rs := make([]string, len(roles))
	for i, r := range roles {
		if _, err := ParseRole(string(r)); err != nil {
			return User{}, err
		}
		rs[i] = string(r)
	}
	var u User
	err = s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM users`).Scan(&n); err != nil {
			return err
		}
		actorName := "setup"
		if n == 0 {
			if !slices.Contains(roles, RoleAdmin) {
				return errors.New("the first user must be an admin")
			}
		} else {
			if actor == nil || !actor.Has(RoleAdmin) {
				return ErrNotPermitted
			}
			actorName = actor.Username
		}
		res, err := tx.Exec(`INSERT INTO users(username, full_name, roles, pw_hash, created_at) VALUES (?,?,?,?,?)`,
			username, fullName, strings.Join(rs, ","), hash, s.stamp())
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE") {
				return ErrUserExists
			}
			return err
		}
		id, _ := res.LastInsertId()
		u = User{ID: id, Username: username, FullName: fullName, Roles: roles}
		return s.audit(tx, actorName, "user.create", fmt.Sprintf("user:%d", id), "roles="+strings.Join(rs, ","))
	})
	return u, err
}

func scanUser(row interface{ Scan(...any) error }) (User, string, error) {
	var u User
	var roles, hash string
	var disabled int
	if err := row.Scan(&u.ID, &u.Username, &u.FullName, &roles, &hash, &disabled); err != nil {
		return User{}, "", err
	}
	for _, r := range strings.Split(roles, ",") {
		if r != "" {
			u.Roles = append(u.Roles, Role(r))
		}
	}
	u.Disabled = disabled != 0
	return u, hash, nil
}

// Authenticate checks a user name and password. A failed attempt is audited without the password.
func (s *Store) Authenticate(ctx context.Context, username, password string) (User, error) {
	username = strings.TrimSpace(norm.NFC.String(username))
	row := s.r.QueryRowContext(ctx, `SELECT id, username, full_name, roles, pw_hash, disabled FROM users WHERE username = ?`, username)
	u, hash, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		var n int
		if s.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); n == 0 {
			return User{}, ErrNoUsers
		}
		checkPassword("$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", password) // even timing
		return User{}, ErrBadLogin
	}
	if err != nil {
		return User{}, err
	}
	if !checkPassword(hash, password) {
		s.write(ctx, func(tx *sql.Tx) error {
			return s.audit(tx, u.Username, "login.fail", fmt.Sprintf("user:%d", u.ID), "")
		})
		return User{}, ErrBadLogin
	}
	if u.Disabled {
		return User{}, ErrUserDisabled
	}
	return u, nil
}

// UserByID returns an account.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	row := s.r.QueryRowContext(ctx, `SELECT id, username, full_name, roles, pw_hash, disabled FROM users WHERE id = ?`, id)
	u, _, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrUserNotFound
	}
	return u, err
}

// Users lists all accounts.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, username, full_name, roles, pw_hash, disabled FROM users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
