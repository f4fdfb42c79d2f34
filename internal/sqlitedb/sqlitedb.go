// Package sqlitedb holds what the workstation's queue and the central server's SQLite store
// both do to a SQLite database as a whole: copy it with SQLite's online backup API and run
// its integrity check.
package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Backup copies the main database of src into dst's with SQLite's online backup API in one
// step: one read transaction of the source, so the copy is a single consistent state while
// writers go on (WAL); it cannot be cancelled half-way. Both must be connections of the
// go-sqlite3 driver.
func Backup(dst, src *sql.Conn) error {
	return dst.Raw(func(d any) error {
		return src.Raw(func(s any) error {
			dc, ok1 := d.(*sqlite3.SQLiteConn)
			sc, ok2 := s.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return errors.New("backup: not a SQLite connection")
			}
			bk, err := dc.Backup("main", sc, "main")
			if err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			if _, err := bk.Step(-1); err != nil {
				bk.Finish()
				return fmt.Errorf("backup: %w", err)
			}
			return bk.Finish()
		})
	})
}

// Queryer is what IntegrityCheck reads through: a *sql.DB, *sql.Conn or *sql.Tx.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// IntegrityCheck runs PRAGMA integrity_check and returns nil when the database is intact,
// else an error carrying SQLite's findings (page and index numbers, never row contents).
func IntegrityCheck(ctx context.Context, db Queryer) error {
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(msgs) == 1 && msgs[0] == "ok" {
		return nil
	}
	return fmt.Errorf("database integrity check failed: %s", strings.Join(msgs, "; "))
}
