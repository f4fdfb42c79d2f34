package queue

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sohoa/sohoa/internal/durable"
	"github.com/sohoa/sohoa/internal/l10n"
)

// The audit chain's anchor, outside the database.
//
// The hash chain in the audit table shows a row edited or removed in the middle, but not the
// newest rows removed: the shortened chain is still a valid chain. So the chain's head (the
// id and hash of the newest event) is also kept outside the database, in AuditHeadFile,
// signed with the workstation's own Ed25519 key (AuditKeyFile, mode 0600, beside the
// database), and copied into every signed batch manifest and every server receipt.
//
// The rule, checked by VerifyAudit and before every new head is written: the anchored head
// must be an event of the database's chain (same id, same hash), at or before the database's
// newest event. The database may be ahead of the anchor (a crash after a commit and before
// the head file was rewritten leaves the head a transaction or a few behind: see
// anchorState), never behind it and never beside it; deleting events back past the anchor
// is therefore always detected. Every event since the key was made carries the
// workstation's seal (an HMAC of the row's hash under a key derived from the same secret), so
// rows added with SQL, after the anchor or anywhere else, are told from SoHoa's own.
//
// What this protects against, honestly: someone who can change the SQLite file but not the
// other files of the data folder (a copied-out and copied-back database, a tool or a person
// given the database alone, a restored old copy of it) cannot remove the newest events,
// change a user's roles or password hash, or add events without `sohoa audit --verify`
// saying so. Someone who holds the whole data folder, key included, can rewrite the log,
// re-seal it and sign a new head: nothing stored on this machine can stop that. What catches
// it then are the copies held elsewhere: the heads inside signed batch manifests and signed
// server receipts, which the central server keeps, and which no longer match a rewritten
// history.

// Files of the anchor, in the data folder.
const (
	AuditKeyFile  = "audit-key.pem"   // the workstation's Ed25519 audit key (PKCS#8 PEM), 0600
	AuditHeadFile = "audit-head.json" // the signed head of the audit chain, 0600
)

// AuditHead names one event of the audit chain: its id (sequence number) and its hash.
// The zero AuditHead is the empty chain.
type AuditHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// ErrAuditKeyMissing: the audit key file is gone although the store was already sealed with
// it. Opening refuses, because a new key would make every seal look forged and would let a
// rewritten history pass as new.
var ErrAuditKeyMissing = l10n.New("queue.audit.keyMissing", l10n.Args{"File": AuditKeyFile})

// auditKey is the workstation's secret: the Ed25519 key that signs the head file and the
// HMAC key derived from it that seals audit rows and user records.
type auditKey struct {
	priv ed25519.PrivateKey
	mac  []byte
	id   string
}

func newAuditKey(priv ed25519.PrivateKey) *auditKey {
	m := hmac.New(sha256.New, priv.Seed())
	m.Write([]byte("sohoa/audit-seal/v1"))
	pub := priv.Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	return &auditKey{priv: priv, mac: m.Sum(nil), id: hex.EncodeToString(sum[:8])}
}

// seal is the HMAC of fields under the seal key, each length-prefixed.
func (k *auditKey) seal(fields ...string) string {
	m := hmac.New(sha256.New, k.mac)
	for _, f := range fields {
		fmt.Fprintf(m, "%d:%s|", len(f), f)
	}
	return hex.EncodeToString(m.Sum(nil))
}

func (k *auditKey) sealOK(mac string, fields ...string) bool {
	return mac != "" && hmac.Equal([]byte(mac), []byte(k.seal(fields...)))
}

// loadAuditKey reads the key file; ok is false when there is none.
func loadAuditKey(dir string) (*auditKey, bool, error) {
	raw, err := os.ReadFile(filepath.Join(dir, AuditKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("audit key: %w", err)
	}
	blk, _ := pem.Decode(raw)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, false, fmt.Errorf("audit key %s: not a PEM private key", AuditKeyFile)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, false, fmt.Errorf("audit key %s: %w", AuditKeyFile, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, false, fmt.Errorf("audit key %s: not an Ed25519 key", AuditKeyFile)
	}
	return newAuditKey(priv), true, nil
}

// createAuditKey makes a new key and stores it durably without ever replacing an existing
// one: the key is written to a temporary file, fsynced, then hard-linked to its name (which
// fails if another process made a key first; that key is used then).
func createAuditKey(dir string) (*auditKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	tmp, err := writeTemp(dir, ".audit-key-*", data)
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	defer os.Remove(tmp)
	final := filepath.Join(dir, AuditKeyFile)
	if err := os.Link(tmp, final); err != nil {
		if errors.Is(err, os.ErrExist) {
			k, ok, err := loadAuditKey(dir)
			if err == nil && !ok {
				err = errors.New("audit key vanished")
			}
			return k, err
		}
		return nil, fmt.Errorf("audit key: %w", err)
	}
	if err := durable.SyncDir(dir); err != nil {
		return nil, err
	}
	return newAuditKey(priv), nil
}

// writeTemp writes data to a new 0600 temporary file in dir and fsyncs it.
func writeTemp(dir, pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, pattern) // CreateTemp makes the file 0600
	if err != nil {
		return "", err
	}
	name := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// headRecord is the signed content of the head file.
type headRecord struct {
	Version int    `json:"version"`
	KeyID   string `json:"key_id"`
	Seq     int64  `json:"seq"`
	Hash    string `json:"hash"`
	// SealedFrom is the first event sealed with this key (the audit.anchor.init event): every
	// event from it on must carry a valid seal.
	SealedFrom int64  `json:"sealed_from"`
	At         string `json:"at"`
}

type signedHeadFile struct {
	Head      json.RawMessage `json:"head"`
	Signature string          `json:"signature"` // base64 Ed25519 signature of Head
}

// errNoHeadFile: the head file does not exist.
var errNoHeadFile = errors.New("no head file")

// readHead reads and checks the head file against the key.
func (k *auditKey) readHead(dir string) (headRecord, error) {
	raw, err := os.ReadFile(filepath.Join(dir, AuditHeadFile))
	if errors.Is(err, os.ErrNotExist) {
		return headRecord{}, errNoHeadFile
	}
	if err != nil {
		return headRecord{}, err
	}
	var sf signedHeadFile
	if err := json.Unmarshal(raw, &sf); err != nil {
		return headRecord{}, l10n.New("queue.audit.headDamagedWhy", l10n.Args{"File": AuditHeadFile, "Detail": err.Error()})
	}
	sig, err := base64.StdEncoding.DecodeString(sf.Signature)
	if err != nil || !ed25519.Verify(k.priv.Public().(ed25519.PublicKey), sf.Head, sig) {
		return headRecord{}, l10n.New("queue.audit.headSignature", l10n.Args{"File": AuditHeadFile})
	}
	var h headRecord
	if err := json.Unmarshal(sf.Head, &h); err != nil || h.Version != 1 || h.Seq < 0 {
		return headRecord{}, l10n.New("queue.audit.headDamaged", l10n.Args{"File": AuditHeadFile})
	}
	return h, nil
}

// writeHead signs h and replaces the head file durably: temporary file, fsync, rename,
// fsync of the folder (the same order as blobs).
func (k *auditKey) writeHead(dir string, h headRecord) error {
	h.Version, h.KeyID = 1, k.id
	body, err := json.Marshal(h)
	if err != nil {
		return err
	}
	data, err := json.Marshal(signedHeadFile{Head: body, Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(k.priv, body))})
	if err != nil {
		return err
	}
	tmp, err := writeTemp(dir, ".audit-head-*", append(data, '\n'))
	if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, AuditHeadFile)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("audit head: %w", err)
	}
	return durable.SyncDir(dir)
}

// anchorState is the Store's part of the anchor: the head writer.
//
// The head is written by one goroutine per Store, woken after every commit that added
// events (Store.write). Writing a file durably (temporary file, fsync, rename, fsync of the
// folder) costs several milliseconds, far more than the commit itself, so the commit does not
// wait for it: commits that arrive while a head is being written are covered together by the
// next one. This only widens the crash window the rule already allows (the anchor one
// transaction or a few behind the database). Close waits for the last head; CheckAudit and
// the blob sweep wait for the heads of every commit made before them (flush).
type anchorState struct {
	mu      sync.Mutex // one head write at a time; guards lastErr
	lastErr error      // the last failure to advance the anchor (reported by VerifyAudit)

	pmu     sync.Mutex
	pending map[*sql.Tx]bool // write transactions that appended audit events

	cond       *sync.Cond // on wmu: a head was written
	wmu        sync.Mutex
	want, done uint64        // commits signalled / covered by a written head
	kick       chan struct{} // wakes the writer (buffered, 1)
	stopped    chan struct{} // closed when the writer has exited
}

// start runs the head writer of s.
func (a *anchorState) start(s *Store) {
	a.cond = sync.NewCond(&a.wmu)
	kick := make(chan struct{}, 1)
	a.kick = kick
	a.stopped = make(chan struct{})
	go func() {
		defer close(a.stopped)
		for range kick {
			a.wmu.Lock()
			target := a.want
			a.wmu.Unlock()
			s.advanceAnchor(context.Background())
			a.wmu.Lock()
			a.done = max(a.done, target)
			a.cond.Broadcast()
			a.wmu.Unlock()
		}
	}()
}

// signal tells the writer a commit added events.
func (a *anchorState) signal() {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	if a.kick == nil {
		return
	}
	a.want++
	select {
	case a.kick <- struct{}{}:
	default: // a wake-up is pending already; it will read the newest head
	}
}

// flush waits until every commit signalled so far is covered by a written head (or the
// attempt to write it failed: see failure).
func (a *anchorState) flush() {
	a.wmu.Lock()
	defer a.wmu.Unlock()
	target := a.want
	for a.kick != nil && a.done < target {
		a.cond.Wait()
	}
}

// stop ends the writer after it has written the last head.
func (a *anchorState) stop() {
	a.wmu.Lock()
	kick := a.kick
	a.kick = nil
	a.wmu.Unlock()
	if kick != nil {
		close(kick)
		<-a.stopped
	}
}

// failure is the last failure to advance the anchor (nil after a success).
func (a *anchorState) failure() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastErr
}

func (a *anchorState) markAudited(tx *sql.Tx) {
	a.pmu.Lock()
	if a.pending == nil {
		a.pending = map[*sql.Tx]bool{}
	}
	a.pending[tx] = true
	a.pmu.Unlock()
}

func (a *anchorState) takeAudited(tx *sql.Tx) bool {
	a.pmu.Lock()
	defer a.pmu.Unlock()
	ok := a.pending[tx]
	delete(a.pending, tx)
	return ok
}

// initAnchor loads the audit key, making it on first use. A store that was never sealed gets
// its key here: the existing users are sealed, an audit.anchor.init event starts the sealed
// part of the chain, and the head file is written. A store that was sealed but has lost its
// key is refused (ErrAuditKeyMissing).
func (s *Store) initAnchor(ctx context.Context) error {
	k, ok, err := loadAuditKey(s.dir)
	if err != nil {
		return err
	}
	if !ok {
		sealed, err := s.hasSealedTraces(ctx)
		if err != nil {
			return err
		}
		if sealed {
			return ErrAuditKeyMissing
		}
		if k, err = createAuditKey(s.dir); err != nil {
			return err
		}
	}
	s.key = k
	if err := fixMode(filepath.Join(s.dir, AuditKeyFile), 0o600); err != nil {
		return err
	}
	if err := fixMode(filepath.Join(s.dir, AuditHeadFile), 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM audit WHERE action = 'audit.anchor.init'`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	// A store sealed before whose log has lost its init event (emptied or rewritten) is not
	// initialised again: a fresh init event would stand where the anchored history was, and
	// the evidence is for VerifyAudit to report as it is.
	if sealed, err := s.hasSealedTraces(ctx); err != nil || sealed {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRow(`SELECT count(*) FROM audit WHERE action = 'audit.anchor.init'`).Scan(&n); err != nil || n > 0 {
			return err
		}
		var events int64
		if err := tx.QueryRow(`SELECT count(*) FROM audit`).Scan(&events); err != nil {
			return err
		}
		users, err := sealLegacyUsers(tx, k)
		if err != nil {
			return err
		}
		return s.audit(tx, "system", "audit.anchor.init", "workstation", fmt.Sprintf("key=%s events_before=%d users_sealed=%d", k.id, events, users))
	})
}

// hasSealedTraces reports whether anything shows the store was sealed before: a head file,
// an anchor event, or a sealed row.
func (s *Store) hasSealedTraces(ctx context.Context) (bool, error) {
	if _, err := os.Stat(filepath.Join(s.dir, AuditHeadFile)); err == nil {
		return true, nil
	}
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM audit WHERE action = 'audit.anchor.init' OR mac <> '') +
		(SELECT count(*) FROM users WHERE mac <> '')`).Scan(&n)
	return n > 0, err
}

// advanceAnchor writes the database's newest event as the new head, after a commit that
// appended events. It never moves the anchor backwards and never overwrites an anchor the
// database contradicts: that head file is the evidence VerifyAudit reports. A failure leaves
// the anchor behind the database, which the rule allows; it is kept for VerifyAudit.
func (s *Store) advanceAnchor(ctx context.Context) {
	if s.key == nil {
		return
	}
	s.anchor.mu.Lock()
	defer s.anchor.mu.Unlock()
	s.anchor.lastErr = s.advanceAnchorLocked(ctx)
}

func (s *Store) advanceAnchorLocked(ctx context.Context) error {
	var head AuditHead
	err := s.r.QueryRowContext(ctx, `SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1`).Scan(&head.Seq, &head.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	cur, err := s.key.readHead(s.dir)
	switch {
	case errors.Is(err, errNoHeadFile):
		// The first head after the init event, or a head lost in the crash window between
		// that commit and the file write. (A head file removed on purpose needs the whole
		// data folder, whose holder could sign any head anyway; VerifyAudit reports a missing
		// head while it is missing.)
		if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM audit WHERE action = 'audit.anchor.init'`).Scan(&cur.SealedFrom); err != nil {
			return err
		}
		if cur.SealedFrom == 0 {
			return errors.New("audit anchor: the log has no anchor event")
		}
	case err != nil:
		return err
	default:
		if head.Seq <= cur.Seq {
			if head.Seq < cur.Seq {
				return fmt.Errorf("audit anchor: the log ends at event %d, the anchor names event %d: not moving the anchor back", head.Seq, cur.Seq)
			}
			return nil
		}
		var h string
		if err := s.r.QueryRowContext(ctx, `SELECT hash FROM audit WHERE id = ?`, cur.Seq).Scan(&h); err != nil || h != cur.Hash {
			return fmt.Errorf("audit anchor: the anchored event %d is no longer in the log: not overwriting the anchor", cur.Seq)
		}
	}
	rec := headRecord{Seq: head.Seq, Hash: head.Hash, SealedFrom: cur.SealedFrom, At: time.Now().UTC().Format(time.RFC3339Nano)}
	return s.key.writeHead(s.dir, rec)
}

// AuditHead returns the newest event of the audit chain (the zero AuditHead for an empty log).
func (s *Store) AuditHead(ctx context.Context) (AuditHead, error) {
	var h AuditHead
	err := s.r.QueryRowContext(ctx, `SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1`).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return AuditHead{}, nil
	}
	return h, err
}

// auditHeadTx is AuditHead inside a transaction.
func auditHeadTx(tx *sql.Tx) (AuditHead, error) {
	var h AuditHead
	err := tx.QueryRow(`SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1`).Scan(&h.Seq, &h.Hash)
	if errors.Is(err, sql.ErrNoRows) {
		return AuditHead{}, nil
	}
	return h, err
}

// CheckAuditHead reports whether h (an anchor from the head file, a manifest or a receipt)
// is an event of the database's chain: nil when the event with that id has that hash. The
// caller has verified the chain itself (VerifyAudit), so the event's ancestors are there too.
func (s *Store) CheckAuditHead(ctx context.Context, h AuditHead) error {
	if h.Seq == 0 {
		return nil
	}
	var last int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM audit`).Scan(&last); err != nil {
		return err
	}
	if h.Seq > last {
		return l10n.New("queue.audit.truncated", l10n.Args{"Last": last, "Seq": h.Seq, "N": h.Seq - last})
	}
	var hash string
	if err := s.r.QueryRowContext(ctx, `SELECT hash FROM audit WHERE id = ?`, h.Seq).Scan(&hash); errors.Is(err, sql.ErrNoRows) {
		return l10n.New("queue.audit.anchorGone", l10n.Args{"Seq": h.Seq})
	} else if err != nil {
		return err
	}
	if hash != h.Hash {
		return l10n.New("queue.audit.rewritten", l10n.Args{"Seq": h.Seq})
	}
	return nil
}
