package queue

// Keys of the encrypted store (docs/ENCRYPTION.md, DESIGN.md §8). One random data key per
// store; it is never stored, only wrapped in key slots (table key_slots): one per user, under
// a key derived from the user's password with argon2id (the login parameters, a salt of its
// own), and one under the admin's recovery key (18 words: 16 random bytes and two check
// words). Signing in unwraps the data key (Authenticate), Lock forgets it; a new password
// re-wraps the same data key; disabling a user removes their slot.

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"

	"github.com/sohoa/sohoa/internal/l10n"
)

// EncryptionState is where a store is on its way to encryption at rest.
type EncryptionState string

const (
	EncryptionOff        EncryptionState = ""           // plaintext (no key yet)
	EncryptionConverting EncryptionState = "converting" // the key exists; old plaintext is being converted
	EncryptionOn         EncryptionState = "on"         // converted whole
)

// Errors about keys. They never contain a password or a recovery word.
var (
	// ErrNoKeySlot: the store is encrypted and this account has no key slot (it was made
	// before encryption was switched on, or was disabled): an administrator sets its password
	// again, which gives it one.
	ErrNoKeySlot = l10n.New("queue.noKeySlot")
	// ErrBadRecoveryKey: the recovery words are not a recovery key of this store.
	ErrBadRecoveryKey = l10n.New("queue.badRecoveryKey")
	// ErrAlreadyEncrypted: encryption is on already.
	ErrAlreadyEncrypted = l10n.New("queue.alreadyEncrypted")
)

// recoveryLen is the recovery secret's length in bytes (one word each), recoveryCheck the
// number of check words after it.
const (
	recoveryLen   = 16
	recoveryCheck = 2
)

// loadEncryption reads the store's state into the blob store (at Open).
func (s *Store) loadEncryption(ctx context.Context) error {
	st, blind, err := s.encryptionFlags(ctx)
	if err != nil {
		return err
	}
	s.Blobs.setKey(nil, st != EncryptionOff)
	s.Blobs.setSealed(st == EncryptionOn)
	s.cells.setState(st != EncryptionOff, blind)
	return s.cells.setKey(nil)
}

// encryptionFlags is the state and whether the database was sealed (cells.go).
func (s *Store) encryptionFlags(ctx context.Context) (EncryptionState, bool, error) {
	var st string
	var blind bool
	err := s.r.QueryRowContext(ctx, `SELECT state, db_sealed FROM store_encryption WHERE id = 1`).Scan(&st, &blind)
	if errors.Is(err, sql.ErrNoRows) {
		return EncryptionOff, false, nil
	}
	return EncryptionState(st), blind, err
}

// EncryptionState reads the store's encryption state.
func (s *Store) EncryptionState(ctx context.Context) (EncryptionState, error) {
	return encryptionState(ctx, s.r)
}

func encryptionState(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (EncryptionState, error) {
	var st string
	err := q.QueryRowContext(ctx, `SELECT state FROM store_encryption WHERE id = 1`).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return EncryptionOff, nil
	}
	return EncryptionState(st), err
}

// Locked reports whether the store is encrypted and no data key is held (nobody signed in,
// or Lock was called).
func (s *Store) Locked() bool {
	key, enc := s.Blobs.keyState()
	return enc && key == nil
}

// Lock forgets the data key: encrypted blobs and secret settings no longer read or write until
// a user signs in again. Screen lock and sign-out call it.
func (s *Store) Lock() {
	s.Blobs.lockKey()
	s.cells.setKey(nil)
}

// dataKey is a copy of the data key, or ErrStoreLocked.
func (s *Store) dataKey() (*[32]byte, error) {
	key, _ := s.Blobs.keyState()
	if key == nil {
		return nil, ErrStoreLocked
	}
	return key, nil
}

func (s *Store) unlock(key *[32]byte) error {
	st, blind, err := s.encryptionFlags(context.Background())
	if err != nil {
		return err
	}
	if err := s.cells.setKey(key); err != nil {
		return err
	}
	s.cells.setState(true, blind)
	s.Blobs.setKey(key, true)
	s.Blobs.setSealed(st == EncryptionOn)
	return nil
}

func slotAAD(kind string, userID int64) []byte {
	return fmt.Appendf(nil, "sohoa-slot-v1/%s/%d", kind, userID)
}

func wrapKey(kek []byte, key *[32]byte, aad []byte) ([]byte, error) {
	aead, err := gcm(kek)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, key[:], aad), nil
}

func unwrapKey(kek, wrapped, aad []byte) (*[32]byte, error) {
	aead, err := gcm(kek)
	if err != nil {
		return nil, err
	}
	if len(wrapped) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("short key slot")
	}
	plain, err := aead.Open(nil, wrapped[:aead.NonceSize()], wrapped[aead.NonceSize():], aad)
	if err != nil || len(plain) != 32 {
		return nil, errors.New("key slot does not open")
	}
	var k [32]byte
	copy(k[:], plain)
	clear(plain)
	return &k, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(blk)
}

// passwordKEK derives a user slot's key from a password: argon2id with the login parameters
// and a fresh salt (never the login hash's salt: the hash is stored, the slot key must not be).
func passwordKEK(password string) (kek []byte, kdf string, err error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, "", err
	}
	kek = argon2.IDKey([]byte(password), salt, kdfTime, kdfMemory, kdfThreads, 32)
	return kek, fmt.Sprintf("argon2id$m=%d,t=%d,p=%d$%s", kdfMemory, kdfTime, kdfThreads,
		base64.RawStdEncoding.EncodeToString(salt)), nil
}

// passwordKEKFor re-derives a slot key from its kdf string.
func passwordKEKFor(kdf, password string) ([]byte, error) {
	parts := strings.Split(kdf, "$")
	if len(parts) != 3 || parts[0] != "argon2id" {
		return nil, errors.New("unknown key slot kdf")
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[1], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return nil, errors.New("bad key slot kdf")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errors.New("bad key slot salt")
	}
	return argon2.IDKey([]byte(password), salt, t, m, p, 32), nil
}

func recoveryKEK(secret, salt []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, secret, salt, "sohoa recovery v1", 32)
}

// putUserSlot wraps key for user id under password (replacing their slot).
func putUserSlot(tx *sql.Tx, stamp string, id int64, password string, key *[32]byte) error {
	kek, kdf, err := passwordKEK(password)
	if err != nil {
		return err
	}
	defer clear(kek)
	w, err := wrapKey(kek, key, slotAAD("user", id))
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`DELETE FROM key_slots WHERE kind = 'user' AND user_id = ?`, id); err != nil {
		return err
	}
	_, err = tx.Exec(`INSERT INTO key_slots(kind, user_id, kdf, wrapped, created_at) VALUES ('user', ?, ?, ?, ?)`, id, kdf, w, stamp)
	return err
}

// putRecoverySlot makes a new recovery key for key (replacing the old slot) and returns its words.
func putRecoverySlot(tx *sql.Tx, stamp string, key *[32]byte) (string, error) {
	secret := make([]byte, recoveryLen)
	salt := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	kek, err := recoveryKEK(secret, salt)
	if err != nil {
		return "", err
	}
	defer clear(kek)
	w, err := wrapKey(kek, key, slotAAD("recovery", 0))
	if err != nil {
		return "", err
	}
	if _, err := tx.Exec(`DELETE FROM key_slots WHERE kind = 'recovery'`); err != nil {
		return "", err
	}
	if _, err := tx.Exec(`INSERT INTO key_slots(kind, user_id, kdf, wrapped, created_at) VALUES ('recovery', NULL, ?, ?, ?)`,
		"hkdf-sha256$"+base64.RawStdEncoding.EncodeToString(salt), w, stamp); err != nil {
		return "", err
	}
	return recoveryWordsOf(secret), nil
}

// recoveryWordsOf spells a recovery secret: one word per byte, then the check words (the
// first bytes of its SHA-256), so that a mistyped word is told apart from a wrong key.
func recoveryWordsOf(secret []byte) string {
	sum := sha256.Sum256(secret)
	b := append(append([]byte{}, secret...), sum[:recoveryCheck]...)
	w := make([]string, len(b))
	for i, c := range b {
		w[i] = recoveryWords[c]
	}
	return strings.Join(w, " ")
}

// parseRecoveryWords reads words typed back (any case, spaces, commas or dashes between them).
func parseRecoveryWords(s string) ([]byte, error) {
	fields := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
	if len(fields) != recoveryLen+recoveryCheck {
		return nil, ErrBadRecoveryKey
	}
	index := make(map[string]byte, len(recoveryWords))
	for i, w := range recoveryWords {
		index[w] = byte(i)
	}
	b := make([]byte, len(fields))
	for i, f := range fields {
		c, ok := index[f]
		if !ok {
			return nil, ErrBadRecoveryKey
		}
		b[i] = c
	}
	sum := sha256.Sum256(b[:recoveryLen])
	if string(sum[:recoveryCheck]) != string(b[recoveryLen:]) {
		return nil, ErrBadRecoveryKey
	}
	return b[:recoveryLen], nil
}

// unlockUser unwraps the data key from the user's slot with their password (Authenticate,
// after the password was checked). A plaintext store has nothing to unlock.
func (s *Store) unlockUser(ctx context.Context, u User, password string) error {
	st, err := s.EncryptionState(ctx)
	if err != nil || st == EncryptionOff {
		return err
	}
	var kdf string
	var wrapped []byte
	err = s.r.QueryRowContext(ctx, `SELECT kdf, wrapped FROM key_slots WHERE kind = 'user' AND user_id = ?`, u.ID).Scan(&kdf, &wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNoKeySlot
	}
	if err != nil {
		return err
	}
	kek, err := passwordKEKFor(kdf, password)
	if err != nil {
		return err
	}
	defer clear(kek)
	key, err := unwrapKey(kek, wrapped, slotAAD("user", u.ID))
	if err != nil {
		return ErrBadLogin
	}
	return s.unlock(key)
}

// UnlockWithRecovery unwraps the data key with the recovery words (an administrator who lost
// every password; then ResetPasswordWithRecovery gives an account a new one).
func (s *Store) UnlockWithRecovery(ctx context.Context, words string) error {
	secret, err := parseRecoveryWords(words)
	if err != nil {
		return err
	}
	var kdf string
	var wrapped []byte
	err = s.r.QueryRowContext(ctx, `SELECT kdf, wrapped FROM key_slots WHERE kind = 'recovery'`).Scan(&kdf, &wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrBadRecoveryKey
	}
	if err != nil {
		return err
	}
	salt, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(kdf, "hkdf-sha256$"))
	if err != nil || !strings.HasPrefix(kdf, "hkdf-sha256$") {
		return errors.New("bad recovery slot")
	}
	kek, err := recoveryKEK(secret, salt)
	if err != nil {
		return err
	}
	defer clear(kek)
	key, err := unwrapKey(kek, wrapped, slotAAD("recovery", 0))
	if err != nil {
		return ErrBadRecoveryKey
	}
	return s.unlock(key)
}

// ResetPasswordWithRecovery gives an account a new password (and a new key slot) on the
// strength of the recovery key alone, for the administrator who lost their password. The
// account's lock-out is cleared; the audit event names the account, never the words.
func (s *Store) ResetPasswordWithRecovery(ctx context.Context, words, username, password string) error {
	if len([]rune(password)) < 8 {
		return ErrWeakPassword
	}
	if err := s.UnlockWithRecovery(ctx, words); err != nil {
		return err
	}
	key, err := s.dataKey()
	if err != nil {
		return err
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
		if _, err := tx.Exec(`UPDATE users SET pw_hash = ? WHERE id = ?`, hash, u.ID); err != nil {
			return err
		}
		if err := s.sealUser(tx, u.ID); err != nil {
			return err
		}
		if err := putUserSlot(tx, s.stamp(), u.ID, password, key); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM login_throttle WHERE key = ?`, fmt.Sprintf("u:%d", u.ID)); err != nil {
			return err
		}
		return s.audit(tx, "recovery", "user.password", fmt.Sprintf("user:%d", u.ID), "by=recovery-key")
	})
}

// EnableEncryption switches encryption at rest on (administrators only, with their password,
// which is checked): it makes the data key, the admin's key slot and the recovery key, in one
// transaction, and returns the recovery words, to be shown once and kept offline. The store is
// then unlocked and in state converting: ConvertToEncrypted converts what was stored before.
// Other accounts get their slots when an administrator sets their password.
func (s *Store) EnableEncryption(ctx context.Context, admin User, password string) (string, error) {
	if err := Require(admin, ActionManageUsers); err != nil {
		return "", err
	}
	var hash string
	if err := s.r.QueryRowContext(ctx, `SELECT pw_hash FROM users WHERE id = ?`, admin.ID).Scan(&hash); err != nil {
		return "", err
	}
	if !checkPassword(hash, password) {
		return "", ErrBadLogin
	}
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return "", err
	}
	var words string
	err := s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM store_encryption`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrAlreadyEncrypted
		}
		if err := putUserSlot(tx, s.stamp(), admin.ID, password, &key); err != nil {
			return err
		}
		var err error
		if words, err = putRecoverySlot(tx, s.stamp(), &key); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO store_encryption(id, state, started_at) VALUES (1, 'converting', ?)`, s.stamp()); err != nil {
			return err
		}
		return s.audit(tx, admin.Username, "store.encrypt", "store", "state=converting")
	})
	if err != nil {
		clear(key[:])
		return "", err
	}
	if err := s.unlock(&key); err != nil {
		return "", err
	}
	return words, nil
}

// NewRecoveryKey (administrators only, store unlocked) replaces the recovery key: the old words
// stop working. For a recovery key that was lost, or never seen (a crash right after
// EnableEncryption).
func (s *Store) NewRecoveryKey(ctx context.Context, admin User) (string, error) {
	if err := Require(admin, ActionManageUsers); err != nil {
		return "", err
	}
	key, err := s.dataKey()
	if err != nil {
		return "", err
	}
	var words string
	err = s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if words, err = putRecoverySlot(tx, s.stamp(), key); err != nil {
			return err
		}
		return s.audit(tx, admin.Username, "store.recovery", "store", "")
	})
	return words, err
}

// userSlotTx keeps a user's slot in step with a password set in tx: in an encrypted store the
// data key (held, since an administrator or the user is signed in) is wrapped under the new
// password. A plaintext store has no slots.
func (s *Store) userSlotTx(tx *sql.Tx, id int64, password string) error {
	st, err := encryptionStateTx(tx)
	if err != nil || st == EncryptionOff {
		return err
	}
	key, err := s.dataKey()
	if err != nil {
		return err
	}
	return putUserSlot(tx, s.stamp(), id, password, key)
}

func encryptionStateTx(tx *sql.Tx) (EncryptionState, error) {
	var st string
	err := tx.QueryRow(`SELECT state FROM store_encryption WHERE id = 1`).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return EncryptionOff, nil
	}
	return EncryptionState(st), err
}

// KeySlots lists who can unlock the store: user ids with a slot, and whether a recovery slot exists.
func (s *Store) KeySlots(ctx context.Context) (users []int64, recovery bool, err error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, coalesce(user_id, 0) FROM key_slots ORDER BY id`)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var id int64
		if err := rows.Scan(&kind, &id); err != nil {
			return nil, false, err
		}
		if kind == "recovery" {
			recovery = true
		} else {
			users = append(users, id)
		}
	}
	return users, recovery, rows.Err()
}

// SecretSettings are the settings kept encrypted under the data key in an encrypted store
// (the sync token: sync/PROTOCOL.md says it lives in the encrypted store). Their stored value
// is sealedPrefix + base64(nonce | AES-256-GCM(value)), AAD the setting's name.
var SecretSettings = map[string]bool{"sync.token": true}

const sealedPrefix = "enc1:"

func settingsAEAD(key *[32]byte) (cipher.AEAD, error) {
	sub, err := hkdf.Key(sha256.New, key[:], nil, "sohoa settings v1", 32)
	if err != nil {
		return nil, err
	}
	return gcm(sub)
}

// sealSettingTx is the value to store for setting k: sealed when k is secret and the store
// encrypted (which needs the data key), v itself otherwise.
func (s *Store) sealSettingTx(tx *sql.Tx, k, v string) (string, error) {
	if !SecretSettings[k] || v == "" {
		return v, nil
	}
	st, err := encryptionStateTx(tx)
	if err != nil || st == EncryptionOff {
		return v, err
	}
	key, err := s.dataKey()
	if err != nil {
		return "", err
	}
	return sealSetting(key, k, v)
}

func sealSetting(key *[32]byte, k, v string) (string, error) {
	aead, err := settingsAEAD(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(v), []byte(k))), nil
}

// openSetting is the plain value of a stored setting value.
func (s *Store) openSetting(k, v string) (string, error) {
	if !strings.HasPrefix(v, sealedPrefix) {
		return v, nil
	}
	key, err := s.dataKey()
	if err != nil {
		return "", err
	}
	aead, err := settingsAEAD(key)
	if err != nil {
		return "", err
	}
	raw, err := base64.RawStdEncoding.DecodeString(v[len(sealedPrefix):])
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return "", fmt.Errorf("setting %s: %w", k, ErrSettingCorrupt)
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(k))
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", k, ErrSettingCorrupt)
	}
	return string(plain), nil
}

// ErrSettingCorrupt: an encrypted setting does not authenticate (changed on disk).
var ErrSettingCorrupt = l10n.New("queue.settingCorrupt")
