package sqlitedb

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

func open(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// conn takes db's one connection; the caller closes it before using db again.
func conn(t *testing.T, db *sql.DB) *sql.Conn {
	t.Helper()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBackupCopiesAndChecks: a database with an index and Vietnamese text is copied whole by
// Backup; the copy passes IntegrityCheck and holds every row, diacritics intact.
func TestBackupCopiesAndChecks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := open(t, filepath.Join(dir, "src.db"))
	if _, err := src.Exec(`CREATE TABLE r(id INTEGER PRIMARY KEY, name TEXT); CREATE INDEX r_name ON r(name)`); err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		if _, err := src.Exec(`INSERT INTO r(name) VALUES (?)`, strings.Repeat("Nguyễn Thị Hường ", 1+i%7)); err != nil {
			t.Fatal(err)
		}
	}
	dst := open(t, filepath.Join(dir, "dst.db"))
	dc, sc := conn(t, dst), conn(t, src)
	err := Backup(dc, sc)
	dc.Close()
	sc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := IntegrityCheck(ctx, dst); err != nil {
		t.Fatalf("copy: %v", err)
	}
	var n int
	var name string
	if err := dst.QueryRow(`SELECT count(*), max(name) FROM r`).Scan(&n, &name); err != nil || n != 500 || !strings.HasPrefix(name, "Nguyễn Thị Hường") {
		t.Fatalf("copy holds %d rows, %q, %v", n, name, err)
	}
}

// TestIntegrityCheckFindsDamage: bytes of an index page overwritten on disk make
// IntegrityCheck fail (with SQLite's findings, or its "malformed" answer when the damage
// stops the check itself), where it passed before.
func TestIntegrityCheckFindsDamage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=DELETE")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA page_size=4096; CREATE TABLE r(id INTEGER PRIMARY KEY, name TEXT); CREATE INDEX r_name ON r(name)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		if _, err := tx.Exec(`INSERT INTO r(name) VALUES (?)`, strings.Repeat("x", i%50)+"Đà Nẵng"); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := IntegrityCheck(ctx, db); err != nil {
		t.Fatalf("before the damage: %v", err)
	}
	var root int64
	if err := db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = 'r_name'`).Scan(&root); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The end of the index's root page, where its cells lie: the header stays, so the page is
	// still read as a b-tree page.
	if _, err := f.WriteAt([]byte(strings.Repeat("\x7f", 600)), root*4096-700); err != nil {
		t.Fatal(err)
	}
	f.Close()
	db = open(t, path)
	err = IntegrityCheck(ctx, db)
	if err == nil {
		t.Fatal("a damaged index passed the integrity check")
	}
	t.Logf("found: %.200s", err)
}
