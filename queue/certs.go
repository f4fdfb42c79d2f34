package queue

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Signing certificates (DESIGN.md §5: a batch is signed "by the approving supervisor's own
// certificate"). An administrator binds each supervisor's signing key to their account
// (AddUserCert); signing checks that the key used belongs to the supervisor who approved the
// batch (CheckSigner, and MarkSigned in the signing transaction). A key is named by the
// SHA-256 of its SubjectPublicKeyInfo, so a certificate renewed for the same key (or the same
// key on a PKCS#11 token and in a .p12) stays bound, and a key belongs to one account at a
// time. A key bound to nobody may sign only with an explicit override, given by an approver
// who is also an administrator, with a reason; the override is recorded (signer_overrides)
// and audited. A key bound to another person never signs: that is signing as someone else.

// KeyID is the hex SHA-256 of a certificate's SubjectPublicKeyInfo: what binds it to a user.
func KeyID(c *x509.Certificate) string {
	h := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(h[:])
}

// CertSHA256 is the hex SHA-256 of a certificate (its DER), as certificate viewers show it.
func CertSHA256(c *x509.Certificate) string {
	h := sha256.Sum256(c.Raw)
	return hex.EncodeToString(h[:])
}

// UserCert is a signing certificate bound to a user account.
type UserCert struct {
	ID         int64
	Username   string
	KeyID      string // SHA-256 of the SubjectPublicKeyInfo
	CertSHA256 string
	Subject    string // subject common name
	NotAfter   time.Time
	AddedBy    string
	AddedAt    string
}

// MaxOverrideReasonRunes bounds the reason of a signer override.
const MaxOverrideReasonRunes = 500

// SigningKey is the certificate a batch is being signed with and, when it is not bound to
// the approver, the reason given to sign anyway (empty: no override).
type SigningKey struct {
	Cert     *x509.Certificate
	Override string
}

// ErrSignerCert matches every *SignerError.
var ErrSignerCert = l10n.New("queue.signer")

// SignerError refuses a signing certificate (no personal data: user names and the
// certificate's fingerprint only).
type SignerError struct {
	User   string // who signs
	Owner  string // the user the key is bound to ("" when none)
	Key    string // KeyID of the certificate (its first 16 hex digits are shown)
	Reason string // "no_cert", "unbound", "other_user", "override_not_admin", "override_reason"
}

func (e *SignerError) Error() string { return e.Localize(l10n.Vi) + " / " + e.Localize(l10n.En) }
func (e *SignerError) Unwrap() error { return ErrSignerCert }

func (e *SignerError) short() string {
	if len(e.Key) > 16 {
		return e.Key[:16]
	}
	return e.Key
}

// Localize is the message in lang: why the certificate is refused and what to do.
func (e *SignerError) Localize(lang string) string {
	key := "queue.signer.unbound"
	switch e.Reason {
	case "no_cert", "other_user", "override_not_admin", "override_reason":
		key = "queue.signer." + e.Reason
	}
	return l10n.T(lang, key, l10n.Args{"User": e.User, "Owner": e.Owner, "Key": e.short(), "Max": MaxOverrideReasonRunes})
}

// CertTakenError refuses to bind a key that is already bound to another account.
type CertTakenError struct{ Owner string }

func (e *CertTakenError) Error() string { return e.Localize(l10n.Vi) + " / " + e.Localize(l10n.En) }

// Localize is the message in lang.
func (e *CertTakenError) Localize(lang string) string {
	return l10n.T(lang, "queue.certTaken", l10n.Args{"Owner": e.Owner})
}

func userIDByName(q queryer, username string) (int64, error) {
	var id int64
	err := q.QueryRow(`SELECT id FROM users WHERE username = ?`, strings.TrimSpace(norm.NFC.String(username))).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: %s", ErrUserNotFound, username)
	}
	return id, err
}

// AddUserCert (administrators only) binds cert's key to the account username, with an audit
// event naming the user and the key's fingerprint. Binding the same key to the same user
// again changes nothing; a key bound to another account is refused (*CertTakenError).
func (s *Store) AddUserCert(ctx context.Context, actor User, username string, cert *x509.Certificate) (UserCert, error) {
	if err := Require(actor, ActionManageSettings); err != nil {
		return UserCert{}, err
	}
	if cert == nil {
		return UserCert{}, &SignerError{Reason: "no_cert"}
	}
	key := KeyID(cert)
	err := s.write(ctx, func(tx *sql.Tx) error {
		uid, err := userIDByName(tx, username)
		if err != nil {
			return err
		}
		var owner int64
		var ownerName string
		err = tx.QueryRow(`SELECT c.user_id, u.username FROM user_certs c JOIN users u ON u.id = c.user_id
			WHERE c.spki_sha256 = ? AND c.removed_at = ''`, key).Scan(&owner, &ownerName)
		switch {
		case err == nil && owner == uid:
			return nil
		case err == nil:
			return &CertTakenError{Owner: ownerName}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.Exec(`INSERT INTO user_certs(user_id, spki_sha256, cert_sha256, subject, not_after, cert, added_by, added_at) VALUES (?,?,?,?,?,?,?,?)`,
			uid, key, CertSHA256(cert), cert.Subject.CommonName, cert.NotAfter.UTC().Format(time.RFC3339), cert.Raw, actor.ID, s.stamp()); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "user.cert_add", fmt.Sprintf("user:%d", uid), "key="+key[:16])
	})
	if err != nil {
		return UserCert{}, err
	}
	certs, err := s.UserCerts(ctx, username)
	if err != nil {
		return UserCert{}, err
	}
	for _, c := range certs {
		if c.KeyID == key {
			return c, nil
		}
	}
	return UserCert{}, fmt.Errorf("certificate of %s: %w", username, ErrNotFound)
}

// RemoveUserCert (administrators only) unbinds the key whose KeyID or certificate SHA-256
// starts with fingerprint (at least 16 hex digits) from username, audited.
func (s *Store) RemoveUserCert(ctx context.Context, actor User, username, fingerprint string) error {
	if err := Require(actor, ActionManageSettings); err != nil {
		return err
	}
	fp := strings.ToLower(strings.TrimSpace(fingerprint))
	if len(fp) < 16 {
		return l10n.New("queue.cert.shortFingerprint")
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		uid, err := userIDByName(tx, username)
		if err != nil {
			return err
		}
		var id int64
		var key string
		err = tx.QueryRow(`SELECT id, spki_sha256 FROM user_certs WHERE user_id = ? AND removed_at = ''
			AND (substr(spki_sha256, 1, ?2) = ?3 OR substr(cert_sha256, 1, ?2) = ?3)`, uid, len(fp), fp).Scan(&id, &key)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("certificate %s of %s: %w", fp, username, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE user_certs SET removed_at = ? WHERE id = ?`, s.stamp(), id); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "user.cert_remove", fmt.Sprintf("user:%d", uid), "key="+key[:16])
	})
}

// UserCerts lists the certificates bound to username ("" for every user).
func (s *Store) UserCerts(ctx context.Context, username string) ([]UserCert, error) {
	q := `SELECT c.id, u.username, c.spki_sha256, c.cert_sha256, c.subject, c.not_after, a.username, c.added_at
		FROM user_certs c JOIN users u ON u.id = c.user_id JOIN users a ON a.id = c.added_by WHERE c.removed_at = ''`
	var args []any
	if username != "" {
		q += ` AND u.username = ?`
		args = append(args, strings.TrimSpace(norm.NFC.String(username)))
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY u.username, c.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []UserCert
	for rows.Next() {
		var c UserCert
		var na string
		if err := rows.Scan(&c.ID, &c.Username, &c.KeyID, &c.CertSHA256, &c.Subject, &na, &c.AddedBy, &c.AddedAt); err != nil {
			return nil, err
		}
		c.NotAfter, _ = time.Parse(time.RFC3339, na)
		out = append(out, c)
	}
	return out, rows.Err()
}

// checkSignerTx decides whether actor may sign batchID with key: the key must be bound to
// actor (who is the batch's approver: authorizeSigningTx). A key bound to nobody passes only
// with an override by an administrator with a reason (override is then true). A key bound
// to someone else never passes.
func checkSignerTx(tx *sql.Tx, actor User, key SigningKey) (override bool, err error) {
	if key.Cert == nil {
		return false, &SignerError{User: actor.Username, Reason: "no_cert"}
	}
	id := KeyID(key.Cert)
	reason := strings.TrimSpace(key.Override)
	var owner int64
	var ownerName string
	err = tx.QueryRow(`SELECT c.user_id, u.username FROM user_certs c JOIN users u ON u.id = c.user_id
		WHERE c.spki_sha256 = ? AND c.removed_at = ''`, id).Scan(&owner, &ownerName)
	switch {
	case err == nil && owner == actor.ID:
		return false, nil // bound to the signer: no override needed
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return false, err
	}
	if key.Override != "" && Require(actor, ActionManageSettings) != nil {
		return false, &SignerError{User: actor.Username, Key: id, Reason: "override_not_admin"}
	}
	if err == nil { // bound to someone else
		return false, &SignerError{User: actor.Username, Owner: ownerName, Key: id, Reason: "other_user"}
	}
	if key.Override == "" {
		return false, &SignerError{User: actor.Username, Key: id, Reason: "unbound"}
	}
	if reason == "" || utf8.RuneCountInString(reason) > MaxOverrideReasonRunes {
		return false, &SignerError{User: actor.Username, Key: id, Reason: "override_reason"}
	}
	return true, nil
}

// CheckSigner says (as a *SignerError, or the four-eyes and office refusals) whether actor
// may sign the approved batch with key, before any PDF is signed. MarkSigned checks the same
// inside the signing transaction.
func (s *Store) CheckSigner(ctx context.Context, actor User, batchID string, key SigningKey) error {
	return s.batchReadTx(ctx, batchID, func(tx *sql.Tx, full string) error {
		_, err := signingChecksTx(tx, actor, full, key)
		return err
	})
}

// recordOverrideTx keeps an override (reason text in signer_overrides, its length in the
// audit log).
func (s *Store) recordOverrideTx(tx *sql.Tx, actor User, batchID string, key SigningKey) error {
	reason := strings.TrimSpace(norm.NFC.String(key.Override))
	if _, err := tx.Exec(`INSERT INTO signer_overrides(batch_id, user_id, cert_sha256, subject, reason, created_at) VALUES (?,?,?,?,?,?)`,
		batchID, actor.ID, CertSHA256(key.Cert), key.Cert.Subject.CommonName, reason, s.stamp()); err != nil {
		return err
	}
	return s.audit(tx, actor.Username, "sign.override_signer", "batch:"+batchID,
		fmt.Sprintf("key=%s reason_len=%d", KeyID(key.Cert)[:16], utf8.RuneCountInString(reason)))
}

// SignerOverride is a batch signed with a certificate not bound to its approver.
type SignerOverride struct {
	By         string // user name
	CertSHA256 string
	Subject    string
	Reason     string
	At         string
}

// SignerOverrides lists the overrides recorded for a batch, oldest first.
func (s *Store) SignerOverrides(ctx context.Context, batchID string) ([]SignerOverride, error) {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT u.username, o.cert_sha256, o.subject, o.reason, o.created_at
		FROM signer_overrides o JOIN users u ON u.id = o.user_id WHERE o.batch_id = ? ORDER BY o.id`, full)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SignerOverride
	for rows.Next() {
		var o SignerOverride
		if err := rows.Scan(&o.By, &o.CertSHA256, &o.Subject, &o.Reason, &o.At); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}
