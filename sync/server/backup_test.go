package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
)

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// commitBatch stores a batch's blobs, manifest and commit the way the server does (blobs
// first): n is the batch number.
func commitBatch(ctx context.Context, st store.Store, blobs store.BlobStore, n int) (string, error) {
	id := fmt.Sprintf("01900000-0000-7000-8000-%012d", n)
	pdf := []byte(fmt.Sprintf("%%PDF-1.7 lô %d", n))
	page := []byte(fmt.Sprintf("trang %d", n))
	for _, b := range [][]byte{pdf, page} {
		if _, err := blobs.Put(ctx, sha(b), bytes.NewReader(b), 1<<20); err != nil {
			return "", err
		}
	}
	manifest := fmt.Sprintf(`{"batch":%d}`, n)
	if err := st.PutManifest(ctx, store.Batch{ID: id, WorkstationID: "ws-a", Office: "HN-01", Seq: int64(n), Manifest: []byte(manifest), ManifestSHA256: sha([]byte(manifest))}); err != nil {
		return "", err
	}
	_, _, err := st.CommitBatch(ctx, store.Commit{BatchID: id, WorkstationID: "ws-a", Seq: int64(n), Receipt: []byte("biên nhận"), CommittedAt: time.Now(),
		Documents: []store.Document{{ID: "d1", PDFSHA256: sha(pdf), PDFSize: int64(len(pdf)), Pages: []string{sha(page)}}}})
	return id, err
}

// TestCentralBackupWhileCommitting: `sohoa-central backup` of the SQLite default while batches
// keep being committed restores to a store that passes the integrity check and holds every
// batch committed before the backup began with its blobs; a damaged backup replaces nothing.
// Run on a plain blob store and on an encrypted one (the default of a new data folder): the
// encrypted store's backup holds ciphertext only and restores with the data key.
func TestCentralBackupWhileCommitting(t *testing.T) {
	t.Run("plain", func(t *testing.T) { testCentralBackup(t, false) })
	t.Run("encrypted", func(t *testing.T) { testCentralBackup(t, true) })
}

func testCentralBackup(t *testing.T, sealed bool) {
	ctx := context.Background()
	data := t.TempDir()
	st, plainBlobs, err := server.OpenStore(ctx, data, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var blobs store.BlobStore = plainBlobs
	var keys store.KeyProvider
	if sealed {
		fk, err := server.LoadOrCreateDataKey(filepath.Join(data, server.DataKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		keys = fk.BlobKeys()
		if blobs, _, err = server.OpenBlobs(ctx, data, server.BlobOptions{Keys: keys}); err != nil {
			t.Fatal(err)
		}
		if _, ok := blobs.(*store.EncryptedBlobs); !ok {
			t.Fatalf("a new data folder's blobs are %T, want encrypted", blobs)
		}
	} else if blobs, _, err = server.OpenBlobs(ctx, data, server.BlobOptions{Plain: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := server.LoadOrCreateReceiptKey(data); err != nil {
		t.Fatal(err)
	}
	code := sha([]byte("mã"))
	if err := st.CreateEnrollCode(ctx, code, "HN-01", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Enroll(ctx, code, store.Workstation{ID: "ws-a", Name: "máy a", TokenHash: sha([]byte("t"))}, time.Now()); err != nil {
		t.Fatal(err)
	}
	var before []string
	for i := 1; i <= 3; i++ {
		id, err := commitBatch(ctx, st, blobs, i)
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, id)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var commitErr error
	wg.Add(1)
	go func() { // commits go on during the backup
		defer wg.Done()
		for i := 4; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := commitBatch(ctx, st, blobs, i); err != nil {
				commitErr = err
				return
			}
		}
	}()
	dest := filepath.Join(t.TempDir(), "sao-lưu")
	m, err := server.Backup(ctx, st, blobs, keys, data, dest)
	close(stop)
	wg.Wait()
	if err != nil || commitErr != nil {
		t.Fatalf("backup: %v; commits: %v", err, commitErr)
	}
	if len(m.Blobs) < 2*len(before) || len(m.Files) != 1 {
		t.Fatalf("backup: %d blobs, %d key files", len(m.Blobs), len(m.Files))
	}
	if sealed { // the backup medium holds no plaintext, and is useless without the key
		err := filepath.WalkDir(filepath.Join(dest, "blobs"), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			if bytes.Contains(b, []byte("trang 1")) || bytes.Contains(b, []byte("PDF-1.7")) {
				t.Errorf("plaintext in the backup's %s", filepath.Base(p))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := server.CheckCentralBackup(ctx, dest, nil); !errors.Is(err, server.ErrBackupDamaged) ||
			!strings.Contains(l10n.Text("en", err), "data key is needed") {
			t.Fatalf("encrypted backup checked without the key: %v", err)
		}
	}
	if _, err := server.CheckCentralBackup(ctx, dest, keys); err != nil {
		t.Fatal(err)
	}
	if _, err := store.BackupSQLite(ctx, st, filepath.Join(dest, "again.db")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dest, "again.db"))

	// A damaged blob: refused, the target folder untouched.
	target := filepath.Join(t.TempDir(), "central")
	os.Mkdir(target, 0o700)
	os.WriteFile(filepath.Join(target, server.DataKeyFile), []byte("khóa dữ liệu"), 0o600)
	bad := filepath.Join(dest, "blobs", m.Blobs[0].SHA256[:2], m.Blobs[0].SHA256)
	good, _ := os.ReadFile(bad)
	os.WriteFile(bad, []byte("hỏng"), 0o600)
	_, _, err = server.RestoreCentral(ctx, dest, target, keys)
	if !errors.Is(err, server.ErrBackupDamaged) || !strings.Contains(l10n.Text("vi", err), "không khôi phục") ||
		!strings.Contains(l10n.Text("en", err), "missing or damaged") {
		t.Fatalf("damaged restore: %v", err)
	}
	if ents, _ := os.ReadDir(target); len(ents) != 1 {
		t.Fatalf("target changed: %v", ents)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(target), ".*")); len(left) != 0 {
		t.Fatalf("left over: %v", left)
	}
	os.WriteFile(bad, good, 0o600)

	_, previous, err := server.RestoreCentral(ctx, dest, target, keys)
	if err != nil {
		t.Fatal(err)
	}
	if previous == "" {
		t.Fatal("old folder not kept aside")
	}
	if k, err := os.ReadFile(filepath.Join(target, server.DataKeyFile)); err != nil || string(k) != "khóa dữ liệu" {
		t.Fatalf("data key not carried over: %q %v", k, err)
	}
	r, rblobs, err := server.OpenStore(ctx, target, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := store.IntegrityCheck(ctx, r); err != nil {
		t.Fatal(err)
	}
	for _, id := range before {
		b, err := r.Batch(ctx, id)
		if err != nil || !b.Committed {
			t.Fatalf("batch %s after restore: %+v %v", id, b, err)
		}
		docs, err := r.Documents(ctx, id)
		if err != nil || len(docs) != 1 {
			t.Fatalf("documents of %s: %v %v", id, docs, err)
		}
		for _, s := range append([]string{docs[0].PDFSHA256}, docs[0].Pages...) {
			if ok, err := rblobs.Has(ctx, s); !ok || err != nil {
				t.Fatalf("blob %s of %s missing after restore", s[:8], id)
			}
		}
	}
	if sealed { // the restored blobs read back with the data key
		rb, _, err := server.OpenBlobs(ctx, target, server.BlobOptions{Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		page := []byte("trang 1")
		rc, err := rb.Open(ctx, sha(page))
		if err != nil {
			t.Fatal(err)
		}
		got := new(bytes.Buffer)
		_, err = got.ReadFrom(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got.Bytes(), page) {
			t.Fatalf("restored encrypted blob: %q %v", got.Bytes(), err)
		}
	}
	sums, err := store.CommittedBlobs(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sums {
		if ok, _ := rblobs.Has(ctx, s); !ok {
			t.Fatalf("committed blob %s missing", s[:8])
		}
	}
}
