//go:build unix

package queue

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDataFolderPrivate: a data folder that existed with 0755 folders and 0644 files, opened
// under a permissive umask, ends up 0700/0600, the database's WAL and shared-memory files too.
func TestDataFolderPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := s.CreateUser(context.Background(), nil, "admin", "", "mật-khẩu-dài", []Role{RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.CreateBatch(context.Background(), admin, BatchSpec{})
	if _, _, err := s.AddDocument(context.Background(), admin, NewDocument{BatchID: b.ID, Origin: "a.png", Pages: []PageInput{pngPage(t, 20, 20, 90)}}); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			want := os.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			}
			if info.Mode().Perm() != want {
				t.Errorf("%s: %s is %o, want %o", when, p, info.Mode().Perm(), want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{DBFile, DBFile + "-wal", DBFile + "-shm", AuditKeyFile, AuditHeadFile} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: %v", when, err)
			}
		}
	}
	check("new folder, umask 0")
	s.Close()
	// Someone (an older version, a copy tool) left everything open to others.
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if d.IsDir() {
			return os.Chmod(p, 0o755)
		}
		return os.Chmod(p, 0o644)
	})
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateBatch(context.Background(), admin, BatchSpec{}); err != nil { // WAL in use again
		t.Fatal(err)
	}
	check("existing 0755/0644 folder")
}
