package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Sign-in throttle: after LockFreeAttempts failed sign-ins in a row, an account (or an
// unknown user name) is locked for LockBaseDelay, doubling with every further failure up to
// LockMaxDelay. It lives in the database (login_throttle), so it survives a restart and holds
// across processes; an administrator can lift it (UnlockUser); a success, or a day without
// failures, forgets it. While locked, no password is checked at all.
//
// Every attempt is counted before its password is checked, in its own write transaction, and
// the lock an attempt would cause is set then too: parallel attempts cannot slip past the
// limit while the first ones are still hashing. A successful attempt clears the count again.
//
// User names that do not exist behave exactly like accounts: the same counting, messages and
// delays, so the answer does not tell whether a name exists. They are counted in one of
// unknownBuckets rows chosen by a keyed hash of the name (so the table is bounded whatever is
// typed, and no typed name, which may be a mistyped password, is stored). The residual
// signal: names that share a bucket share a count, which someone who tries thousands of names
// could notice.

// Throttle parameters.
const (
	LockFreeAttempts = 5
	LockBaseDelay    = 30 * time.Second
	LockMaxDelay     = 30 * time.Minute
	lockForgetAfter  = 24 * time.Hour
	unknownBuckets   = 4096
)

// ErrLoginLocked is matched by a *LoginLockedError.
var ErrLoginLocked = l10n.New("queue.loginLocked")

// LoginLockedError: too many failed sign-ins; nothing is checked until Until.
type LoginLockedError struct {
	Until time.Time
	Wait  time.Duration // from the refused attempt to Until
}

func (e *LoginLockedError) Error() string { return e.Localize(l10n.Vi) + " / " + e.Localize(l10n.En) }

// Localize is the message in lang, with how long the lock lasts.
func (e *LoginLockedError) Localize(lang string) string {
	return l10n.T(lang, "queue.loginLocked.wait", l10n.Args{"Wait": WaitText(e.Wait, lang)})
}

func (e *LoginLockedError) Unwrap() error { return ErrLoginLocked }

// WaitText says a delay in whole seconds or minutes, in "vi" or "en".
func WaitText(d time.Duration, lang string) string {
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	if secs < 120 {
		return l10n.T(lang, "queue.wait.seconds", l10n.Args{"N": secs})
	}
	return l10n.T(lang, "queue.wait.minutes", l10n.Args{"N": (secs + 59) / 60})
}

// lockDelay is the lock after the n-th failure in a row.
func lockDelay(n int) time.Duration {
	if n < LockFreeAttempts {
		return 0
	}
	d := LockBaseDelay
	for i := LockFreeAttempts; i < n && d < LockMaxDelay; i++ {
		d *= 2
	}
	return min(d, LockMaxDelay)
}

// throttleKey names the throttle row of an account or of an unknown name's bucket.
func (s *Store) throttleKey(userID int64, name string, known bool) string {
	if known {
		return fmt.Sprintf("u:%d", userID)
	}
	var b uint64
	if s.key != nil {
		b, _ = strconv.ParseUint(s.key.seal("login-name", strings.ToLower(name))[:8], 16, 64)
	}
	return fmt.Sprintf("n:%03x", b%unknownBuckets)
}

// attempt is a sign-in attempt that has passed the throttle.
type attempt struct {
	key      string
	failures int           // counting this attempt
	lock     time.Duration // the lock this attempt sets if it fails (0: none)
	until    time.Time
}

// beginAttempt counts an attempt, refusing it with a *LoginLockedError while the key is locked.
func (s *Store) beginAttempt(ctx context.Context, key string) (attempt, error) {
	a := attempt{key: key}
	err := s.write(ctx, func(tx *sql.Tx) error {
		var lockedUntil, last string
		err := tx.QueryRow(`SELECT failures, locked_until, last_at FROM login_throttle WHERE key = ?`, key).Scan(&a.failures, &lockedUntil, &last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		now := s.now().UTC()
		if lu := parseStamp(lockedUntil); !lu.IsZero() && now.Before(lu) {
			return &LoginLockedError{Until: lu, Wait: lu.Sub(now)}
		}
		if l := parseStamp(last); !l.IsZero() && now.Sub(l) > lockForgetAfter {
			a.failures = 0
		}
		a.failures++
		a.lock = lockDelay(a.failures)
		until := ""
		if a.lock > 0 {
			a.until = now.Add(a.lock)
			until = a.until.Format(time.RFC3339Nano)
		}
		_, err = tx.Exec(`INSERT INTO login_throttle(key, failures, locked_until, last_at) VALUES (?,?,?,?)
			ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until, last_at = excluded.last_at`,
			key, a.failures, until, now.Format(time.RFC3339Nano))
		return err
	})
	return a, err
}

// failAttempt audits a failed attempt (login.fail) and the lock it set (login.locked). A
// user name that does not exist is audited the same way, as user:unknown (the name itself is
// not kept: it may be a mistyped password), so that both cost the same work; how often this
// can happen is bounded by the throttle itself.
func (s *Store) failAttempt(ctx context.Context, u User, a attempt) {
	s.write(ctx, func(tx *sql.Tx) error {
		actor, obj := u.Username, fmt.Sprintf("user:%d", u.ID)
		if u.ID == 0 {
			actor, obj = "-", "user:unknown"
		}
		if err := s.audit(tx, actor, "login.fail", obj, fmt.Sprintf("failures=%d", a.failures)); err != nil {
			return err
		}
		if a.lock == 0 {
			return nil
		}
		return s.audit(tx, actor, "login.locked", obj, fmt.Sprintf("failures=%d delay=%s", a.failures, a.lock))
	})
}

// endAttempt clears the count after a successful sign-in.
func (s *Store) endAttempt(ctx context.Context, key string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`DELETE FROM login_throttle WHERE key = ?`, key)
		return err
	})
}

// LoginLock is an account's throttle state.
type LoginLock struct {
	Failures int
	Until    time.Time // zero: not locked
}

// LoginLocks returns the throttle state of every account that has failed attempts, by user id.
func (s *Store) LoginLocks(ctx context.Context) (map[int64]LoginLock, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, failures, locked_until FROM login_throttle WHERE key LIKE 'u:%'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]LoginLock{}
	now := s.now()
	for rows.Next() {
		var key, until string
		var l LoginLock
		if err := rows.Scan(&key, &l.Failures, &until); err != nil {
			return nil, err
		}
		var id int64
		if _, err := fmt.Sscanf(key, "u:%d", &id); err != nil {
			continue
		}
		if t := parseStamp(until); t.After(now) {
			l.Until = t
		}
		out[id] = l
	}
	return out, rows.Err()
}

// UnlockUser (administrators only) lifts a user's sign-in lock and forgets the failed
// attempts, with an audit event.
func (s *Store) UnlockUser(ctx context.Context, actor User, username string) error {
	if err := Require(actor, ActionManageUsers); err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		u, err := userByNameTx(tx, username)
		if err != nil {
			return err
		}
		key := fmt.Sprintf("u:%d", u.ID)
		var failures int
		var until string
		err = tx.QueryRow(`SELECT failures, locked_until FROM login_throttle WHERE key = ?`, key).Scan(&failures, &until)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		locked := 0
		if t := parseStamp(until); t.After(s.now()) {
			locked = 1
		}
		if _, err := tx.Exec(`DELETE FROM login_throttle WHERE key = ?`, key); err != nil {
			return err
		}
		return s.audit(tx, actor.Username, "user.unlock", fmt.Sprintf("user:%d", u.ID), fmt.Sprintf("failures=%d locked=%d", failures, locked))
	})
}
