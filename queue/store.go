package queue

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // SQLite driver (build with -tags sqlite_fts5)

	"github.com/sohoa/sohoa/internal/sqlitedb"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is the local store of one workstation: one SQLite database and one blob folder.
// It is safe for concurrent use. All writes go through a single connection (SQLite has one
// writer); reads use a pool.
type Store struct {
	dir   string
	w     *sql.DB // one connection, BEGIN IMMEDIATE
	r     *sql.DB // readers
	Blobs *BlobStore
	now   func() time.Time
	cells *cellCipher // sealed columns and the blind search index (cells.go)

	lock   *os.File    // shared lock on LockFile while open (lock_unix.go)
	key    *auditKey   // the workstation's audit key (anchor.go)
	anchor anchorState // head file writer (anchor.go)
	// checker verifies signed manifests and receipts (signedcheck.go); set by the caller
	// that can (SetSignatureChecker).
	checker SignatureChecker
}

// DBFile is the database file name inside the data folder.
const DBFile = "sohoa.db"

// LockFile is the data folder's lock file (lock_unix.go): empty, 0600.
const LockFile = ".lock"

// Open opens (creating if needed) the store in dir and applies pending migrations.
// This is the one place where the database is opened (DESIGN.md §8).
//
// The data folder is made private whatever it was before: the folder and the blob folders
// 0700, the database with its WAL and shared-memory files, the audit key and head 0600
// (DataFolderModes). The database file is created 0600 before SQLite opens it, so that the
// WAL and shared-memory files SQLite creates take the same mode whatever the umask.
//
// Open then loads the audit key (making it on first use, anchor.go) and, at most once a day,
// sweeps orphan blobs (SweepBlobs) when the audit anchor agrees with the database.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	if err := fixMode(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	lock, err := lockFile(dir, false)
	if err != nil {
		return nil, fmt.Errorf("data folder lock: %w", err)
	}
	blobs, err := NewBlobStore(filepath.Join(dir, "blobs"))
	if err != nil {
		lock.Close()
		return nil, err
	}
	path := filepath.Join(dir, DBFile)
	if err := createPrivate(path); err != nil {
		lock.Close()
		return nil, fmt.Errorf("create database: %w", err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := fixMode(f, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			lock.Close()
			return nil, fmt.Errorf("database file: %w", err)
		}
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "15000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "FULL") // a commit is on disk before it is acknowledged
	q.Set("_txlock", "immediate")
	q.Set("_secure_delete", "on") // deleted rows are overwritten, not left in free pages (ENCRYPTION.md)
	dsn := "file:" + path + "?" + q.Encode()
	cells := &cellCipher{}
	driver := cellDriver(cells)
	w, err := sql.Open(driver, dsn)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open(driver, dsn)
	if err != nil {
		w.Close()
		lock.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	r.SetMaxOpenConns(8)
	s := &Store{dir: dir, w: w, r: r, Blobs: blobs, cells: cells, lock: lock, now: func() time.Time { return time.Now().UTC() }}
	ctx := context.Background()
	s.anchor.start(s)
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.loadEncryption(ctx); err != nil {
		s.Close()
		return nil, err
	}
	for _, f := range []string{path + "-wal", path + "-shm"} {
		if err := fixMode(f, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.Close()
			return nil, fmt.Errorf("database file: %w", err)
		}
	}
	if err := s.initAnchor(ctx); err != nil {
		s.Close()
		return nil, err
	}
	s.maybeSweep(ctx)
	return s, nil
}

// createPrivate creates an empty file with mode 0600 unless it exists.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// fixMode sets the permission bits of path to mode when they differ (on Windows only the
// read-only attribute follows the mode; the folder's access list keeps others out).
func fixMode(path string, mode os.FileMode) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Mode().Perm() == mode || runtime.GOOS == "windows" {
		return nil
	}
	return os.Chmod(path, mode)
}

// Dir is the data folder.
func (s *Store) Dir() string { return s.dir }

// Close writes the last audit head (anchor.go) and closes the database handles.
func (s *Store) Close() error {
	s.anchor.stop()
	defer s.Lock() // the data key does not outlive the store
	err := errors.Join(s.r.Close(), s.w.Close())
	if s.lock != nil {
		s.lock.Close() // releases the shared lock
	}
	return err
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL) STRICT`); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return err
	}
	type mig struct {
		v    int
		name string
	}
	var migs []mig
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("migration file %q has no number prefix", e.Name())
		}
		migs = append(migs, mig{v, e.Name()})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].v < migs[j].v })
	for _, m := range migs {
		body, err := migrationFS.ReadFile("migrations/" + m.name)
		if err != nil {
			return err
		}
		err = s.write(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRow(`SELECT count(*) FROM schema_migrations WHERE version = ?`, m.v).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.Exec(string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err := tx.Exec(`INSERT INTO schema_migrations(version, applied_at) VALUES (?, ?)`, m.v, s.stamp())
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// write runs fn in one write transaction (BEGIN IMMEDIATE) and commits it.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		s.anchor.takeAudited(tx)
		return err
	}
	audited := s.anchor.takeAudited(tx)
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if audited {
		// After the commit, never before: a head file ahead of the database would be
		// indistinguishable from deleted events (anchor.go).
		s.anchor.signal()
	}
	return nil
}

func (s *Store) stamp() string { return s.now().Format(time.RFC3339Nano) }

func parseStamp(v string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, v)
	return t
}

// IntegrityCheck runs PRAGMA integrity_check and returns nil when the database is intact.
func (s *Store) IntegrityCheck(ctx context.Context) error {
	return sqlitedb.IntegrityCheck(ctx, s.r)
}
