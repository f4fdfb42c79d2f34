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

	"github.com/sohoa/sohoa/internal/l10n"
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
	ErrBadLogin     = l10n.New("queue.badLogin")
	ErrUserExists   = l10n.New("queue.userExists")
	ErrWeakPassword = l10n.New("queue.weakPassword")
	ErrBadUsername  = l10n.New("queue.badUsername")
	ErrNotPermitted = l10n.New("queue.notPermitted")
	ErrNoUsers      = l10n.New("queue.noUsers")
	ErrUserNotFound = l10n.New("queue.userNotFound")
	ErrUserDisabled = l10n.New("queue.userDisabled")
	// ErrUserTampered: the account's record (roles, password hash or status) does not carry
	// the workstation's seal: it was changed outside SoHoa. Sign-in is refused until an
	// administrator looks at it (sohoa audit --verify) and sets the roles again.
	ErrUserTampered = l10n.New("queue.userTampered")
	ErrLastAdmin    = l10n.New("queue.lastAdmin")
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
		if err := s.sealUser(tx, id); err != nil {
			return err
		}
		if err := s.userSlotTx(tx, id, password); err != nil {
			return err
		}
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

// Authenticate checks a user name and password. Every attempt goes through the durable
// throttle first (lockout.go): after LockFreeAttempts failures in a row no password is checked
// until the growing delay has passed (*LoginLockedError), the same for user names that do not
// exist. A failed attempt on an account is audited without the password; a record whose seal
// does not verify is refused (ErrUserTampered).
func (s *Store) Authenticate(ctx context.Context, username, password string) (User, error) {
	username = strings.TrimSpace(norm.NFC.String(username))
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return User{}, err
	}
	if n == 0 {
		return User{}, ErrNoUsers
	}
	row := s.r.QueryRowContext(ctx, `SELECT id, username, full_name, roles, pw_hash, disabled, mac FROM users WHERE username = ?`, username)
	u, hash, mac, err := scanSealedUser(row)
	known := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return User{}, err
	}
	key := s.throttleKey(u.ID, username, known)
	att, err := s.beginAttempt(ctx, key)
	if err != nil {
		return User{}, err
	}
	if !known {
		checkPassword(dummyHash, password) // even timing
		s.failAttempt(ctx, User{}, att)
		return User{}, ErrBadLogin
	}
	if !s.userSealOK(u, hash, mac) {
		s.write(ctx, func(tx *sql.Tx) error {
			return s.audit(tx, u.Username, "login.refused", fmt.Sprintf("user:%d", u.ID), "reason=record-not-sealed")
		})
		return User{}, ErrUserTampered
	}
	if !checkPassword(hash, password) {
		s.failAttempt(ctx, u, att)
		return User{}, ErrBadLogin
	}
	if err := s.endAttempt(ctx, key); err != nil {
		return User{}, err
	}
	if u.Disabled {
		return User{}, ErrUserDisabled
	}
	if err := s.unlockUser(ctx, u, password); err != nil { // an encrypted store opens (keys.go)
		return User{}, err
	}
	return u, nil
}

// dummyHash is checked for unknown user names, so that they cost the same time.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

func scanSealedUser(row interface{ Scan(...any) error }) (User, string, string, error) {
	var u User
	var roles, hash, mac string
	var disabled int
	if err := row.Scan(&u.ID, &u.Username, &u.FullName, &roles, &hash, &disabled, &mac); err != nil {
		return User{}, "", "", err
	}
	u.Roles = parseRoles(roles)
	u.Disabled = disabled != 0
	return u, hash, mac, nil
}

func parseRoles(roles string) []Role {
	var out []Role
	for _, r := range strings.Split(roles, ",") {
		if r != "" {
			out = append(out, Role(r))
		}
	}
	return out
}

// userSealFields are what a user's seal covers: everything that grants access.
func userSealFields(id int64, username, roles, hash string, disabled bool) []string {
	d := "0"
	if disabled {
		d = "1"
	}
	return []string{"user", fmt.Sprint(id), username, roles, hash, d}
}

func (s *Store) userSealOK(u User, hash, mac string) bool {
	if s.key == nil {
		return true
	}
	return s.key.sealOK(mac, userSealFields(u.ID, u.Username, joinRoles(u.Roles), hash, u.Disabled)...)
}

func joinRoles(rs []Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ",")
}

// sealUser (re)computes the seal of user id inside tx, after a change SoHoa made.
func (s *Store) sealUser(tx *sql.Tx, id int64) error {
	if s.key == nil {
		return nil
	}
	return sealUserWith(tx, s.key, id)
}

func sealUserWith(tx *sql.Tx, k *auditKey, id int64) error {
	var username, roles, hash string
	var disabled int
	if err := tx.QueryRow(`SELECT username, roles, pw_hash, disabled FROM users WHERE id = ?`, id).Scan(&username, &roles, &hash, &disabled); err != nil {
		return err
	}
	_, err := tx.Exec(`UPDATE users SET mac = ? WHERE id = ?`, k.seal(userSealFields(id, username, roles, hash, disabled != 0)...), id)
	return err
}

// sealLegacyUsers seals the accounts made before the store had its key (once, when the key
// is made) and returns how many.
func sealLegacyUsers(tx *sql.Tx, k *auditKey) (int, error) {
	rows, err := tx.Query(`SELECT id FROM users WHERE mac = ''`)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := sealUserWith(tx, k, id); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
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

// userByName finds an account inside tx.
func userByNameTx(tx *sql.Tx, username string) (User, error) {
	username = strings.TrimSpace(norm.NFC.String(username))
	row := tx.QueryRow(`SELECT id, username, full_name, roles, pw_hash, disabled FROM users WHERE username = ?`, username)
	u, _, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrUserNotFound
	}
	return u, err
}

// activeAdminsBut counts the enabled administrators other than user id.
func activeAdminsBut(tx *sql.Tx, id int64) (int, error) {
	var n int
	err := tx.QueryRow(`SELECT count(*) FROM users WHERE id <> ? AND disabled = 0 AND (',' || roles || ',') LIKE '%,admin,%'`, id).Scan(&n)
	return n, err
}

// SetRoles (administrators only) replaces a user's roles, with an audit event naming the new
// roles; the record is sealed again. The last active administrator keeps the admin role.
func (s *Store) SetRoles(ctx context.Context, actor User, username string, roles []Role) error {
	if err := Require(actor, ActionManageUsers); err != nil {
		return err
	}
	if len(roles) == 0 {
		return errors.New("a user needs at least one role")
	}
	var rs []string
	for _, r := range roles {
		if _, err := ParseRole(string(r)); err != nil {
			return err
		}
		if !slices.Contains(rs, string(r)) {
			rs = append(rs, string(r))
		}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		u, err := userByNameTx(tx, username)
		if err != nil {
			return err
		}
		if u.Has(RoleAdmin) && !slices.Contains(rs, string(RoleAdmin)) {
			if n, err := activeAdminsBut(tx, u.ID); err != nil {
				return err
			} else if n == 0 {
				return ErrLastAdmin
			}
		}
		joined := strings.Join(rs, ",")
		if _, err := tx.Exec(`UPDATE users SET roles = ? WHERE id = ?`, joined, u.ID); err != nil {
			return err
		}
		if err := s.sealUser(tx, u.ID); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "user.roles", fmt.Sprintf("user:%d", u.ID), "roles="+joined)
	})
}

// SetPassword gives a user a new password: administrators for anyone, every user for their
// own account (the caller signed them in with the old one). The audit event says who did it,
// never the password.
func (s *Store) SetPassword(ctx context.Context, actor User, username, password string) error {
	if utf8.RuneCountInString(password) < 8 {
		return ErrWeakPassword
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		u, err := userByNameTx(tx, username)
		if err != nil {
			return err
		}
		by := "self"
		if u.ID != actor.ID {
			if err := Require(actor, ActionManageUsers); err != nil {
				return err
			}
			by = "admin"
		} else if actor.Disabled {
			return ErrUserDisabled
		}
		if _, err := tx.Exec(`UPDATE users SET pw_hash = ? WHERE id = ?`, hash, u.ID); err != nil {
			return err
		}
		if err := s.sealUser(tx, u.ID); err != nil {
			return err
		}
		if err := s.userSlotTx(tx, u.ID, password); err != nil { // re-wrap only (keys.go)
			return err
		}
		return s.audit(tx, actor.Username, "user.password", fmt.Sprintf("user:%d", u.ID), "by="+by)
	})
}

// SetDisabled (administrators only) disables or enables an account, with an audit event. An
// administrator cannot disable their own account, nor the last active administrator.
func (s *Store) SetDisabled(ctx context.Context, actor User, username string, disabled bool) error {
	if err := Require(actor, ActionManageUsers); err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		u, err := userByNameTx(tx, username)
		if err != nil {
			return err
		}
		if u.Disabled == disabled {
			return nil
		}
		action, flag := "user.enable", 0
		if disabled {
			if u.ID == actor.ID {
				return l10n.New("queue.disableSelf")
			}
			if u.Has(RoleAdmin) {
				if n, err := activeAdminsBut(tx, u.ID); err != nil {
					return err
				} else if n == 0 {
					return ErrLastAdmin
				}
			}
			action, flag = "user.disable", 1
			// A disabled account can no longer unlock the store: its key slot goes (an
			// administrator who enables it again sets a password, which makes a new one).
			if _, err := tx.Exec(`DELETE FROM key_slots WHERE kind = 'user' AND user_id = ?`, u.ID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`UPDATE users SET disabled = ? WHERE id = ?`, flag, u.ID); err != nil {
			return err
		}
		if err := s.sealUser(tx, u.ID); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, action, fmt.Sprintf("user:%d", u.ID), "")
	})
}

// checkUsers verifies every account: its seal, and its roles and disabled flag against the
// audit history (the last user.create or user.roles event, the last user.disable or
// user.enable event).
func (s *Store) checkUsers(ctx context.Context, r *AuditReport) error {
	roles := map[string]string{}
	disabled := map[string]bool{}
	rows, err := s.r.QueryContext(ctx, `SELECT action, object, detail FROM audit
		WHERE action IN ('user.create', 'user.roles', 'user.disable', 'user.enable') ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var action, obj, detail string
		if err := rows.Scan(&action, &obj, &detail); err != nil {
			rows.Close()
			return err
		}
		switch action {
		case "user.create", "user.roles":
			v, _, _ := strings.Cut(strings.TrimPrefix(detail, "roles="), " ")
			roles[obj] = v
		case "user.disable":
			disabled[obj] = true
		case "user.enable":
			disabled[obj] = false
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.r.QueryContext(ctx, `SELECT id, username, full_name, roles, pw_hash, disabled, mac FROM users ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		u, hash, mac, err := scanSealedUser(rows)
		if err != nil {
			return err
		}
		obj := fmt.Sprintf("user:%d", u.ID)
		if !s.userSealOK(u, hash, mac) {
			r.problem("tài khoản %s (id %d) bị sửa ngoài SoHoa (vai trò, mật khẩu hoặc trạng thái) / the account %s (id %d) was changed outside SoHoa (roles, password or status)",
				u.Username, u.ID, u.Username, u.ID)
		}
		want, ok := roles[obj]
		if !ok {
			r.problem("tài khoản %s (id %d) không có sự kiện tạo trong nhật ký / the account %s (id %d) has no audited creation", u.Username, u.ID, u.Username, u.ID)
		} else if !sameRoles(want, joinRoles(u.Roles)) {
			r.problem("vai trò của %s (id %d) khác với nhật ký: %q, nhật ký ghi %q / the roles of %s (id %d) differ from the audit log: %q, audited %q",
				u.Username, u.ID, joinRoles(u.Roles), want, u.Username, u.ID, joinRoles(u.Roles), want)
		}
		if disabled[obj] != u.Disabled {
			r.problem("trạng thái khóa của %s (id %d) khác với nhật ký / the disabled flag of %s (id %d) differs from the audit log", u.Username, u.ID, u.Username, u.ID)
		}
	}
	return rows.Err()
}

func sameRoles(a, b string) bool {
	set := func(s string) []string {
		var out []string
		for _, r := range strings.Split(s, ",") {
			if r = strings.TrimSpace(r); r != "" && !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(set(a), set(b))
}
