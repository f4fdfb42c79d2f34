package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "github.com/mattn/go-sqlite3"    // SQLite driver (build with -tags sqlite_fts5)
)

// sqliteStore is the default backend: one file, zero set-up, one office.
type sqliteStore struct{ *sqlStore }

// pgStore is the backend for real deployments (several servers may share it).
type pgStore struct{ *sqlStore }

var (
	_ Store = (*sqliteStore)(nil)
	_ Store = (*pgStore)(nil)
)

// OpenSQLite opens (creating) the central database file at path and migrates it.
func OpenSQLite(ctx context.Context, path string) (Store, error) { return openSQLite(ctx, path, -1) }

// openSQLite migrates up to version upto (<0: all; tests use older versions to check upgrades).
func openSQLite(ctx context.Context, path string, upto int) (Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	s, err := openSQLiteDB(path)
	if err != nil {
		return nil, err
	}
	if err := s.migrateUpTo(ctx, upto); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// openSQLiteDB opens the SQLite file at path with the central server's settings, unmigrated.
func openSQLiteDB(path string) (*sqliteStore, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "15000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "FULL")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open central database: %w", err)
	}
	// One connection: SQLite has one writer, and the server's load is small.
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	return &sqliteStore{&sqlStore{db: db, d: dialect{name: "sqlite", blobType: "BLOB",
		recordTypeFromManifest: `COALESCE(json_extract(CAST(manifest AS TEXT), '$.record_type'), '')`,
		archiveFromManifest:    `json_extract(CAST(manifest AS TEXT), '$.archive')`,
		fileCodeFromManifest:   `COALESCE(json_extract(CAST(manifest AS TEXT), '$.archive.file_code'), '')`}}}, nil
}

// OpenPostgres connects to a PostgreSQL database (postgres://user@host:port/db?sslmode=...)
// through pgx and migrates it.
func OpenPostgres(ctx context.Context, dsn string) (Store, error) { return openPostgres(ctx, dsn, -1) }

func openPostgres(ctx context.Context, dsn string, upto int) (Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL: %w", err)
	}
	db.SetMaxOpenConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	s := &pgStore{&sqlStore{db: db, d: dialect{name: "postgres", blobType: "BYTEA", dollar: true,
		recordTypeFromManifest: `COALESCE(convert_from(manifest, 'UTF8')::jsonb->>'record_type', '')`,
		archiveFromManifest:    `(convert_from(manifest, 'UTF8')::jsonb->'archive')::text`,
		fileCodeFromManifest:   `COALESCE(convert_from(manifest, 'UTF8')::jsonb->'archive'->>'file_code', '')`}}}
	// Two servers starting together must not both migrate: hold an advisory lock meanwhile.
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(736861)`); err != nil {
		db.Close()
		return nil, fmt.Errorf("PostgreSQL migration lock: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(736861)`)
	if err := s.migrateUpTo(ctx, upto); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
