package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"sort"

	"github.com/sohoa/sohoa/internal/sqlitedb"
)

// ErrNotSQLite: the online backup is for the SQLite backend; PostgreSQL is backed up with
// pg_dump (sync/README.md).
var ErrNotSQLite = errors.New("online backup needs the SQLite backend; back PostgreSQL up with pg_dump (sync/README.md)")

// BackupSQLite copies the central SQLite database into path (which must not exist) with
// SQLite's online backup API, in one step: one read transaction, so one consistent state
// while the server goes on serving (WAL). The copy is a single file (journal mode DELETE),
// fsynced. It returns the blobs the copy's committed batches name, sorted: the blobs a
// backup must hold (a blob is stored before the commit that names it).
func BackupSQLite(ctx context.Context, st Store, path string) ([]string, error) {
	s, ok := st.(*sqliteStore)
	if !ok {
		return nil, ErrNotSQLite
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	f.Close()
	dst, err := openRaw(path)
	if err != nil {
		return nil, err
	}
	defer dst.db.Close()
	dconn, err := dst.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer dconn.Close()
	sconn, err := s.db.Conn(ctx) // the store's one connection: writers wait the few ms of the copy
	if err != nil {
		return nil, err
	}
	err = sqlitedb.Backup(dconn, sconn)
	sconn.Close()
	if err != nil {
		return nil, err
	}
	if _, err := dconn.ExecContext(ctx, `PRAGMA journal_mode=DELETE`); err != nil {
		return nil, err
	}
	sums, err := committedBlobs(ctx, dconn)
	if err != nil {
		return nil, err
	}
	dconn.Close()
	if err := dst.db.Close(); err != nil {
		return nil, err
	}
	if f, err = os.OpenFile(path, os.O_RDWR, 0); err != nil {
		return nil, err
	}
	defer f.Close()
	return sums, f.Sync()
}

// openRaw opens a SQLite file without migrating it.
func openRaw(path string) (*sqlStore, error) {
	s, err := openSQLiteDB(path)
	if err != nil {
		return nil, err
	}
	return s.sqlStore, nil
}

// CommittedBlobs lists, sorted, the blobs (PDFs and page images) that committed batches name.
func CommittedBlobs(ctx context.Context, st Store) ([]string, error) {
	switch s := st.(type) {
	case *sqliteStore:
		return committedBlobs(ctx, s.db)
	case *pgStore:
		return committedBlobs(ctx, s.db)
	}
	return nil, errors.New("unknown store")
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func committedBlobs(ctx context.Context, db querier) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT d.pdf_sha256 FROM documents d JOIN batches b ON b.id = d.batch_id WHERE b.committed_us IS NOT NULL
		UNION SELECT p.sha256 FROM pages p JOIN batches b ON b.id = p.batch_id WHERE b.committed_us IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	sort.Strings(out)
	return out, rows.Err()
}

// IntegrityCheck runs SQLite's PRAGMA integrity_check (nil: intact); PostgreSQL has none and
// answers nil.
func IntegrityCheck(ctx context.Context, st Store) error {
	s, ok := st.(*sqliteStore)
	if !ok {
		return nil
	}
	return sqlitedb.IntegrityCheck(ctx, s.db)
}
