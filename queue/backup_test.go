package queue

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n"
)

// ackedPage is a page whose AddDocument returned: durable, acknowledged to the caller.
type ackedPage struct {
	doc  int64
	seq  int
	data []byte
}

// TestBackupDuringImport: a backup taken while an import keeps adding documents restores to a
// store that passes every check (integrity, blobs, audit chain and anchor) and holds every
// page acknowledged before the backup began, byte for byte. The importer is held to add two
// more documents between the database copy and the blob copy, so the backup provably runs
// against a store that changes under it.
func TestBackupDuringImport(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, err := s.CreateBatch(ctx, admin, BatchSpec{Office: "HN-01"})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		acked []ackedPage
		nDocs int
		cond  = sync.NewCond(&mu)
	)
	stop := make(chan struct{})
	importErr := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				importErr <- nil
				return
			default:
			}
			p1, p2 := pngPage(t, 20+i%7, 30, uint8(i)), pngPage(t, 31, 20+i%5, uint8(255-i))
			doc, pages, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: fmt.Sprintf("tệp-%d.tif", i),
				SourceHash: fmt.Sprintf("src-%d", i), Pages: []PageInput{p1, p2}})
			if err != nil {
				importErr <- err
				return
			}
			mu.Lock()
			for j, p := range pages {
				acked = append(acked, ackedPage{doc: doc.ID, seq: p.Seq, data: []PageInput{p1, p2}[j].Data})
			}
			nDocs++
			cond.Broadcast()
			mu.Unlock()
		}
	}()
	waitDocs := func(n int) {
		mu.Lock()
		for nDocs < n {
			cond.Wait()
		}
		mu.Unlock()
	}
	waitDocs(4)
	mu.Lock()
	before := append([]ackedPage(nil), acked...)
	atCopy := nDocs
	mu.Unlock()

	afterBackupDB = func() { waitDocs(atCopy + 3) } // the store moves on under the backup
	t.Cleanup(func() { afterBackupDB = nil })
	dest := filepath.Join(t.TempDir(), "sao-lưu")
	m, err := s.Backup(ctx, admin, dest)
	close(stop)
	if ierr := <-importErr; ierr != nil {
		t.Fatalf("import: %v", ierr)
	}
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	mu.Lock()
	t.Logf("pages acknowledged before the backup: %d, in the backup: %d, at the end: %d", len(before), m.Pages, len(acked))
	total := len(acked)
	mu.Unlock()
	if m.Pages < len(before) || m.Pages >= total {
		t.Fatalf("backup holds %d pages: want at least the %d acknowledged before it and fewer than the %d at the end", m.Pages, len(before), total)
	}
	if m.AuditHead == nil || m.Anchored.Seq == 0 || m.Head.Seq < m.Anchored.Seq {
		t.Fatalf("backup anchor: head file %+v anchored %+v head %+v", m.AuditHead, m.Anchored, m.Head)
	}
	if len(m.Blobs) < len(before) {
		t.Fatalf("backup has %d blobs for %d pages", len(m.Blobs), len(before))
	}
	if _, err := os.Stat(filepath.Join(dest, BackupManifestFile)); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".*partial*")); len(left) != 0 {
		t.Fatalf("partial backup folders left: %v", left)
	}
	if _, _, err := CheckBackup(ctx, dest); err != nil {
		t.Fatalf("check backup: %v", err)
	}
	// The audit log records the backup (after the copy).
	events, err := s.AuditLog(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events {
		found = found || e.Action == "store.backup"
	}
	if !found {
		t.Fatal("no store.backup audit event")
	}

	// Restore over another, existing data folder: it is set aside, the backup takes its place.
	data := filepath.Join(t.TempDir(), "data")
	other, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	res, err := Restore(ctx, dest, data)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if res.Previous == "" {
		t.Fatal("the replaced data folder was not kept aside")
	}
	if _, err := os.Stat(filepath.Join(res.Previous, DBFile)); err != nil {
		t.Fatalf("old store: %v", err)
	}
	r, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := r.CheckAudit(ctx)
	if err != nil || rep.Err() != nil {
		t.Fatalf("restored audit: %v %v", err, rep.Err())
	}
	ref, err := r.referencedBlobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for h := range ref {
		if err := r.Blobs.Verify(h); err != nil {
			t.Fatalf("restored blob: %v", err)
		}
	}
	for _, a := range before {
		pages, err := r.Pages(ctx, a.doc)
		if err != nil {
			t.Fatal(err)
		}
		if len(pages) < a.seq {
			t.Fatalf("document %d lost page %d", a.doc, a.seq)
		}
		img, err := r.PageImage(pages[a.seq-1])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(img, a.data) {
			t.Fatalf("document %d page %d differs after restore", a.doc, a.seq)
		}
	}
	got, err := r.Batch(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Pages != m.Pages {
		t.Fatalf("restored batch has %d pages, the backup %d", got.Pages, m.Pages)
	}
	events, err = r.AuditLog(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) == 0 || events[0].Action != "store.restore" {
		t.Fatalf("newest restored event %+v, want store.restore", events)
	}
	// The restored store takes new work and keeps its anchor.
	if _, _, err := r.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "sau.tif", SourceHash: "after", Pages: []PageInput{pngPage(t, 9, 9, 1)}}); err != nil {
		t.Fatal(err)
	}
	if err := r.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestBackupNeedsAdmin: a clerk cannot copy out every record.
func TestBackupNeedsAdmin(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	clerk, err := s.CreateUser(ctx, &admin, "thu", "Thư Ký", "mật-khẩu-dài-2", []Role{RoleClerk})
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "b")
	if _, err := s.Backup(ctx, clerk, dest); err == nil {
		t.Fatal("a clerk made a backup")
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("refused backup left %s: %v", dest, err)
	}
	if _, err := s.Backup(ctx, admin, dest); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Backup(ctx, admin, dest); !errors.Is(err, ErrBackupExists) {
		t.Fatalf("backup over an existing folder: %v", err)
	}
}

// TestRestoreRefusesDamagedBackup: every kind of damage is refused with a message in both
// languages, and the data folder it would have replaced is left exactly as it was.
func TestRestoreRefusesDamagedBackup(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, err := s.CreateBatch(ctx, admin, BatchSpec{Office: "HN-01"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, _, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: fmt.Sprint(i), SourceHash: fmt.Sprint(i),
			Pages: []PageInput{pngPage(t, 10+i, 10, uint8(i))}}); err != nil {
			t.Fatal(err)
		}
	}
	good := filepath.Join(t.TempDir(), "good")
	m, err := s.Backup(ctx, admin, good)
	if err != nil {
		t.Fatal(err)
	}
	// copyBackup makes a fresh copy of the good backup to damage.
	copyBackup := func(t *testing.T) string {
		dst := filepath.Join(t.TempDir(), "b")
		err := filepath.Walk(good, func(p string, info os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(good, p)
			if info.IsDir() {
				return os.MkdirAll(filepath.Join(dst, rel), 0o700)
			}
			raw, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dst, rel), raw, 0o600)
		})
		if err != nil {
			t.Fatal(err)
		}
		return dst
	}
	rewriteManifest := func(t *testing.T, dir string, fn func(*BackupManifest)) {
		mm, err := ReadBackupManifest(dir)
		if err != nil {
			t.Fatal(err)
		}
		fn(&mm)
		raw, _ := json.Marshal(mm)
		if err := os.WriteFile(filepath.Join(dir, BackupManifestFile), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rehashDB := func(t *testing.T, dir string) {
		f, err := hashFile(filepath.Join(dir, BackupDBFile), BackupDBFile, false)
		if err != nil {
			t.Fatal(err)
		}
		rewriteManifest(t, dir, func(mm *BackupManifest) { mm.Database = f })
	}
	sqlOn := func(t *testing.T, dir, stmt string) {
		db, err := sql.Open("sqlite3", filepath.Join(dir, BackupDBFile))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	blob := m.Blobs[0].SHA256
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   error
	}{
		{"not a backup", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, BackupManifestFile)) }, ErrNotABackup},
		{"manifest garbage", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, BackupManifestFile), []byte("{not json"), 0o600)
		}, ErrBackupDamaged},
		{"database byte flipped", func(t *testing.T, dir string) {
			p := filepath.Join(dir, BackupDBFile)
			raw, _ := os.ReadFile(p)
			raw[len(raw)/2] ^= 0xff
			os.WriteFile(p, raw, 0o600)
		}, ErrBackupDamaged},
		{"database pages damaged, manifest rewritten to match", func(t *testing.T, dir string) {
			p := filepath.Join(dir, BackupDBFile)
			raw, _ := os.ReadFile(p)
			for i := 4096 * 2; i < len(raw) && i < 4096*6; i += 97 {
				raw[i] ^= 0x5a
			}
			os.WriteFile(p, raw, 0o600)
			rehashDB(t, dir)
		}, ErrBackupDamaged},
		{"blob missing", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "blobs", blob[:2], blob))
		}, ErrBackupDamaged},
		{"blob corrupt", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "blobs", blob[:2], blob), []byte("khác"), 0o600)
		}, ErrBackupDamaged},
		{"blob left out of the manifest", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "blobs", blob[:2], blob))
			rewriteManifest(t, dir, func(mm *BackupManifest) { mm.Blobs = mm.Blobs[1:] })
		}, ErrBackupDamaged},
		{"newest audit events deleted, manifest rewritten to match", func(t *testing.T, dir string) {
			sqlOn(t, dir, `DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id >= (SELECT MAX(id) - 1 FROM audit)`)
			rehashDB(t, dir)
		}, ErrBackupDamaged},
		{"audit key missing", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, AuditKeyFile))
		}, ErrBackupDamaged},
		{"head file replaced", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, AuditHeadFile), []byte(`{"head":{},"signature":""}`), 0o600)
		}, ErrBackupDamaged},
	}
	data := filepath.Join(t.TempDir(), "data")
	cur, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	cur.Close()
	before, err := hashFile(filepath.Join(data, DBFile), DBFile, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyBackup(t)
			tc.damage(t, dir)
			_, err := Restore(ctx, dir, data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("restore: %v, want %v", err, tc.want)
			}
			vi, en := l10n.Text("vi", err), l10n.Text("en", err)
			t.Logf("vi: %s\nen: %s", vi, en)
			if !strings.HasPrefix(vi, "không khôi phục, dữ liệu hiện có vẫn giữ nguyên: ") || !strings.HasPrefix(en, "not restored, the current data is unchanged: ") ||
				strings.Contains(vi+en, "queue.") {
				t.Fatalf("messages:\nvi: %s\nen: %s", vi, en)
			}
			after, err := hashFile(filepath.Join(data, DBFile), DBFile, false)
			if err != nil || after != before {
				t.Fatalf("data folder changed: %v", err)
			}
			left, _ := filepath.Glob(filepath.Join(filepath.Dir(data), "*"))
			if len(left) != 1 {
				t.Fatalf("left beside the data folder: %v", left)
			}
			if _, _, err := CheckBackup(ctx, dir); !errors.Is(err, tc.want) {
				t.Fatalf("check backup: %v", err)
			}
		})
	}
	// Not while a store is open on the data folder (the app running): refused, untouched.
	open, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, good, data); !errors.Is(err, ErrDataFolderInUse) || !strings.Contains(l10n.Text("vi", err), "đang được dùng") {
		open.Close()
		t.Fatalf("restore under an open store: %v", err)
	}
	open.Close()
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(data), "*")); len(left) != 1 {
		t.Fatalf("left beside the data folder: %v", left)
	}
	if _, err := Restore(ctx, good, data); err != nil {
		t.Fatalf("the good backup: %v", err)
	}
}
