package queue

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestBackupEncryptedStore: the backup of an encrypted store holds the blobs as stored
// (ciphertext; no page byte, no personal value anywhere in the backup), is checked without the
// data key, refuses a flipped byte of a blob, and restores to a store that opens locked and
// reads the page back after sign-in.
func TestBackupEncryptedStore(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, err := s.CreateBatch(ctx, admin, BatchSpec{Office: "HN-01"})
	if err != nil {
		t.Fatal(err)
	}
	page := pngPage(t, 40, 30, 120)
	_, pages, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "a.png", SourceHash: "a", Pages: []PageInput{page}})
	if err != nil {
		t.Fatal(err)
	}
	const name = "Nguyễn Văn Thắng"
	if err := s.SetField(ctx, admin, pages[0].DocumentID, "ho_ten", name, SourceKeyed, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnableEncryption(ctx, admin, adminPW); err != nil {
		t.Fatal(err)
	}
	if err := s.ConvertToEncrypted(ctx, nil); err != nil {
		t.Fatal(err)
	}
	plain, err := s.Blobs.Get(pages[0].Blob)
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "sao-lưu")
	m, err := s.Backup(ctx, admin, dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Blobs) == 0 {
		t.Fatal("no blob in the backup")
	}
	for _, bb := range m.Blobs {
		if bb.Stored == "" {
			t.Fatalf("blob %s of an encrypted store backed up without its stored hash", bb.SHA256[:8])
		}
	}
	err = filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if bytes.Contains(data, []byte(name)) || bytes.Contains(data, plain[len(plain)/2:len(plain)/2+16]) {
			t.Errorf("plaintext in the backup's %s", filepath.Base(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := CheckBackup(ctx, dest); err != nil {
		t.Fatalf("check without the data key: %v", err)
	}

	// A flipped byte in a stored blob: refused before anything is replaced.
	bad := filepath.Join(dest, "blobs", pages[0].Blob[:2], pages[0].Blob)
	raw, err := os.ReadFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(raw)
	flipped[len(flipped)/2] ^= 1
	os.WriteFile(bad, flipped, 0o600)
	if _, _, err := CheckBackup(ctx, dest); !errors.Is(err, ErrBackupDamaged) {
		t.Fatalf("flipped blob byte: %v", err)
	}
	os.WriteFile(bad, raw, 0o600)

	target := filepath.Join(t.TempDir(), "dữ-liệu")
	if _, err := Restore(ctx, dest, target); err != nil {
		t.Fatal(err)
	}
	r, err := Open(target)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Blobs.Get(pages[0].Blob); !errors.Is(err, ErrStoreLocked) {
		t.Fatalf("restored store read before sign-in: %v", err)
	}
	if _, err := r.Authenticate(ctx, "admin", adminPW); err != nil {
		t.Fatal(err)
	}
	got, err := r.Blobs.Get(pages[0].Blob)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("restored page after sign-in: %d bytes, %v", len(got), err)
	}
}
