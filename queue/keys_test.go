package queue

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const adminPW = "mật-khẩu-dài"

// TestEncryptionKeys: a plaintext store with pages and a sync token is switched on and
// converted; then the keys: sign-in unlocks, Lock forgets, a wrong password decrypts
// nothing, the recovery key restores access, a new password re-wraps only, a disabled user
// loses their slot, an account made before encryption has none until its password is set.
func TestEncryptionKeys(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	clerk, err := s.CreateUser(ctx, &admin, "thu.ky", "Thư Ký", "mat-khau-thu-ky", []Role{RoleClerk})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{Office: "HN-01"})
	p1 := pngPage(t, 40, 30, 200)
	_, pages, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "a.png", SourceHash: "a", Pages: []PageInput{p1}})
	if err != nil {
		t.Fatal(err)
	}
	// Personal values stored before encryption: OCR text, words, fields (the conversion seals them).
	if err := s.SaveOCR(ctx, pages[0].ID, OCRResult{Text: "Họ tên: Nguyễn Văn Thắng\nSố CCCD: 001203004567", MeanConf: 90,
		Words: []Word{{Text: "Thắng"}}, Engine: "tesseract", Model: "vie"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetField(ctx, admin, pages[0].DocumentID, "ho_ten", "Nguyễn Văn Thắng", SourceKeyed, 1); err != nil {
		t.Fatal(err)
	}
	const token = "tok-SECRET-0123456789abcdef"
	if err := s.SetSettings(ctx, admin, map[string]string{"sync.token": token, "sync.server_url": "https://central"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.EncryptionState(ctx); st != EncryptionOff || s.Locked() {
		t.Fatalf("new store: state %q locked %v", st, s.Locked())
	}
	if _, err := s.EnableEncryption(ctx, admin, "wrong password"); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("enable with a wrong password: %v", err)
	}
	words, err := s.EnableEncryption(ctx, admin, adminPW)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(words)); n != recoveryLen+recoveryCheck {
		t.Fatalf("recovery key has %d words", n)
	}
	if _, err := s.EnableEncryption(ctx, admin, adminPW); !errors.Is(err, ErrAlreadyEncrypted) {
		t.Fatalf("second enable: %v", err)
	}
	var calls int
	if err := s.ConvertToEncrypted(ctx, func(ConvertProgress) { calls++ }); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.EncryptionState(ctx); st != EncryptionOn || calls == 0 {
		t.Fatalf("after conversion: state %q, %d progress calls", st, calls)
	}
	raw, err := os.ReadFile(s.Blobs.Path(pages[0].Blob))
	if err != nil || !isEncryptedBlob(raw) {
		t.Fatalf("page blob not encrypted after conversion (%v)", err)
	}
	for _, f := range []string{DBFile, DBFile + "-wal"} {
		data, _ := os.ReadFile(filepath.Join(s.Dir(), f))
		if bytes.Contains(data, []byte(token)) {
			t.Fatalf("the sync token is readable in %s", f)
		}
	}
	if v, err := s.Setting(ctx, "sync.token"); err != nil || v != token {
		t.Fatalf("token after conversion: %q %v", v, err)
	}
	// New values after the conversion are sealed too.
	if err := s.SetField(ctx, admin, pages[0].DocumentID, "dia_chi", "Thôn Đông Anh, Hà Nội", SourceKeyed, 1); err != nil {
		t.Fatal(err)
	}
	s.w.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
	for _, f := range []string{DBFile, DBFile + "-wal"} {
		data, _ := os.ReadFile(filepath.Join(s.Dir(), f))
		for _, v := range []string{"Nguyễn", "Thắng", "001203004567", "Đông Anh", "dong anh", "Hà Nội"} {
			if bytes.Contains(bytes.ToLower(data), bytes.ToLower([]byte(v))) {
				t.Fatalf("%q is readable in %s", v, f)
			}
		}
	}
	// Search still works: diacritic-insensitive prefixes, on old and new values.
	for q, want := range map[string]int{"nguyen thang": 2, "thă": 2, "0012030": 1, "dong anh": 1, "ha noi": 1, "khong co": 0} {
		hits, err := s.Search(ctx, q, 10)
		if err != nil || len(hits) != want {
			t.Fatalf("search %q: %d hits %v, want %d", q, len(hits), err, want)
		}
	}
	if r, err := s.OCR(ctx, pages[0].ID); err != nil || !strings.Contains(r.Text, "Nguyễn Văn Thắng") || len(r.Words) != 1 {
		t.Fatalf("OCR after conversion: %+v %v", r, err)
	}
	if fs, err := s.Fields(ctx, pages[0].DocumentID); err != nil || len(fs) != 2 {
		t.Fatalf("fields after conversion: %+v %v", fs, err)
	}

	// Reopen: locked until someone signs in.
	dir := s.Dir()
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.Locked() {
		t.Fatal("a reopened encrypted store is not locked")
	}
	if _, err := s.PageImage(pages[0]); !errors.Is(err, ErrStoreLocked) {
		t.Fatalf("locked page read: %v", err)
	}
	if _, err := s.Setting(ctx, "sync.token"); !errors.Is(err, ErrStoreLocked) {
		t.Fatalf("locked token read: %v", err)
	}
	if fs, err := s.Fields(ctx, pages[0].DocumentID); err == nil {
		t.Fatalf("locked fields read: %+v", fs)
	}
	if _, err := s.Search(ctx, "nguyen", 10); !errors.Is(err, ErrStoreLocked) {
		t.Fatalf("locked search: %v", err)
	}
	// A wrong password opens nothing.
	if _, err := s.Authenticate(ctx, "admin", "not the password"); !errors.Is(err, ErrBadLogin) || !s.Locked() {
		t.Fatalf("wrong password: %v, locked %v", err, s.Locked())
	}
	// The clerk's account is older than the key: no slot.
	if _, err := s.Authenticate(ctx, "thu.ky", "mat-khau-thu-ky"); !errors.Is(err, ErrNoKeySlot) || !s.Locked() {
		t.Fatalf("clerk without a slot: %v", err)
	}
	if _, err := s.Authenticate(ctx, "admin", adminPW); err != nil || s.Locked() {
		t.Fatalf("admin sign-in: %v, locked %v", err, s.Locked())
	}
	if got, err := s.PageImage(pages[0]); err != nil || !bytes.Equal(got, p1.Data) {
		t.Fatalf("page after sign-in: %v", err)
	}
	// The admin sets the clerk's password: the clerk gets a slot.
	if err := s.SetPassword(ctx, admin, "thu.ky", "mat-khau-moi-1"); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	if !s.Locked() {
		t.Fatal("Lock did not lock")
	}
	if _, err := s.Authenticate(ctx, "thu.ky", "mat-khau-moi-1"); err != nil || s.Locked() {
		t.Fatalf("clerk sign-in with a slot: %v", err)
	}
	// New users made while unlocked get a slot; a password change re-wraps only (the data
	// key stays: the blobs written before still read).
	if _, err := s.CreateUser(ctx, &admin, "kiem.tra", "Kiểm Tra", "mat-khau-kt-1", []Role{RoleSupervisor}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, clerk, "thu.ky", "mat-khau-moi-2"); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	if _, err := s.Authenticate(ctx, "thu.ky", "mat-khau-moi-1"); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("old password after change: %v", err)
	}
	for _, c := range [][2]string{{"thu.ky", "mat-khau-moi-2"}, {"kiem.tra", "mat-khau-kt-1"}} {
		s.Lock()
		if _, err := s.Authenticate(ctx, c[0], c[1]); err != nil {
			t.Fatalf("%s: %v", c[0], err)
		}
		if got, err := s.PageImage(pages[0]); err != nil || !bytes.Equal(got, p1.Data) {
			t.Fatalf("%s reads the page: %v", c[0], err)
		}
	}
	// Disabling removes the slot.
	if err := s.SetDisabled(ctx, admin, "kiem.tra", true); err != nil {
		t.Fatal(err)
	}
	users, recovery, err := s.KeySlots(ctx)
	if err != nil || !recovery || len(users) != 2 {
		t.Fatalf("slots after disabling: users %v recovery %v %v", users, recovery, err)
	}

	// Recovery: wrong words refuse; the right ones unlock and reset the admin's password.
	s.Lock()
	w := strings.Fields(words)
	w[0], w[1] = w[1], w[0]
	if err := s.UnlockWithRecovery(ctx, strings.Join(w, " ")); !errors.Is(err, ErrBadRecoveryKey) || !s.Locked() {
		t.Fatalf("swapped recovery words: %v", err)
	}
	if err := s.UnlockWithRecovery(ctx, strings.ToUpper(strings.ReplaceAll(words, " ", "-"))); err != nil || s.Locked() {
		t.Fatalf("recovery words typed in capitals with dashes: %v", err)
	}
	s.Lock()
	if err := s.ResetPasswordWithRecovery(ctx, words, "admin", "mat-khau-khoi-phuc"); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	if _, err := s.Authenticate(ctx, "admin", "mat-khau-khoi-phuc"); err != nil || s.Locked() {
		t.Fatalf("admin with the reset password: %v", err)
	}
	// A new recovery key replaces the old.
	words2, err := s.NewRecoveryKey(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	s.Lock()
	if err := s.UnlockWithRecovery(ctx, words); !errors.Is(err, ErrBadRecoveryKey) {
		t.Fatalf("old recovery key after a new one: %v", err)
	}
	if err := s.UnlockWithRecovery(ctx, words2); err != nil {
		t.Fatal(err)
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSealedColumnTamper: a changed byte of a sealed field value is an error, never data.
func TestSealedColumnTamper(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	if _, err := s.EnableEncryption(ctx, admin, adminPW); err != nil {
		t.Fatal(err)
	}
	if err := s.ConvertToEncrypted(ctx, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{Office: "HN-01"})
	d, _, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "a.png", SourceHash: "a", Pages: []PageInput{pngPage(t, 20, 20, 9)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetField(ctx, admin, d.ID, "ho_ten", "Trần Thị Bích", SourceKeyed, 1); err != nil {
		t.Fatal(err)
	}
	var v string
	s.r.QueryRow(`SELECT value FROM field_values WHERE document_id = ?`, d.ID).Scan(&v)
	if !strings.HasPrefix(v, sealedPrefix) {
		t.Fatalf("field stored as %q", v)
	}
	for _, i := range []int{len(sealedPrefix) + 2, len(sealedPrefix) + 20, len(v) - 2} {
		c := []byte(v)
		if c[i] == 'A' {
			c[i] = 'B'
		} else {
			c[i] = 'A'
		}
		if _, err := s.w.Exec(`UPDATE field_values SET value = ? WHERE document_id = ?`, string(c), d.ID); err != nil {
			t.Fatal(err)
		}
		if fs, err := s.Fields(ctx, d.ID); err == nil {
			t.Fatalf("tampered field read as %+v", fs)
		}
	}
}

// TestEncryptedSettingTamper: a changed byte of the sealed token is refused, never returned.
func TestEncryptedSettingTamper(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	if _, err := s.EnableEncryption(ctx, admin, adminPW); err != nil {
		t.Fatal(err)
	}
	if err := s.ConvertToEncrypted(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(ctx, admin, "sync.token", "tok-abc"); err != nil {
		t.Fatal(err)
	}
	var v string
	s.r.QueryRow(`SELECT value FROM settings WHERE key = 'sync.token'`).Scan(&v)
	if !strings.HasPrefix(v, sealedPrefix) {
		t.Fatalf("token stored as %q", v)
	}
	b := []byte(v)
	b[len(b)-3] ^= 1
	if b[len(b)-3] == '+' || b[len(b)-3] == '/' { // keep it base64
		b[len(b)-3] = 'A'
	}
	if _, err := s.w.Exec(`UPDATE settings SET value = ? WHERE key = 'sync.token'`, string(b)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Setting(ctx, "sync.token"); !errors.Is(err, ErrSettingCorrupt) {
		t.Fatalf("tampered token read as %q, %v", got, err)
	}
}

// TestFlippedByteInDatabaseFile: a byte flipped inside any sealed value of the database file
// (found on disk by its prefix) is an error when read, never a different value; the store
// with the byte restored reads whole again.
func TestFlippedByteInDatabaseFile(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{Office: "HN-01"})
	_, pages, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "a.png", SourceHash: "a", Pages: []PageInput{pngPage(t, 20, 20, 9)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnableEncryption(ctx, admin, adminPW); err != nil {
		t.Fatal(err)
	}
	if err := s.ConvertToEncrypted(ctx, nil); err != nil {
		t.Fatal(err)
	}
	docID := pages[0].DocumentID
	want := map[string]string{"ho_ten": "Lê Văn Tám", "so_cccd": "079088001234", "dia_chi": "12 Lý Thái Tổ, Hoàn Kiếm"}
	for k, v := range want {
		if err := s.SetField(ctx, admin, docID, k, v, SourceKeyed, 1); err != nil {
			t.Fatal(err)
		}
	}
	const ocrText = "Giấy khai sinh của Lê Văn Tám"
	if err := s.SaveOCR(ctx, pages[0].ID, OCRResult{Text: ocrText, Engine: "tesseract", Model: "vie"}); err != nil {
		t.Fatal(err)
	}
	dir := s.Dir()
	s.Close()
	path := filepath.Join(dir, DBFile)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var at []int
	for i := 0; ; {
		j := bytes.Index(orig[i:], []byte(sealedPrefix))
		if j < 0 {
			break
		}
		at = append(at, i+j)
		i += j + 1
	}
	if len(at) < len(want)+1 {
		t.Fatalf("%d sealed values in the file, want at least %d", len(at), len(want)+1)
	}
	check := func(flipped bool) (refused int) {
		t.Helper()
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Authenticate(ctx, "admin", adminPW); err != nil {
			t.Fatal(err)
		}
		if fs, err := s.Fields(ctx, docID); err != nil {
			refused++
		} else {
			for _, f := range fs {
				if f.Current && f.Value != want[f.Key] {
					t.Fatalf("field %s read as a different value", f.Key)
				}
			}
		}
		if r, err := s.OCR(ctx, pages[0].ID); err != nil {
			refused++
		} else if r.Text != ocrText {
			t.Fatal("the OCR text read as a different value")
		}
		if !flipped && refused > 0 {
			t.Fatalf("the intact store refuses %d reads", refused)
		}
		return refused
	}
	total := 0
	for _, i := range at {
		c := bytes.Clone(orig)
		c[i+len(sealedPrefix)+8] ^= 0x01
		if err := os.WriteFile(path, c, 0o600); err != nil {
			t.Fatal(err)
		}
		n := check(true)
		if n == 0 {
			t.Fatalf("a flipped byte in the sealed value at offset %d went unnoticed", i)
		}
		total += n
	}
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	check(false)
	t.Logf("%d sealed values flipped one by one: %d reads refused", len(at), total)
}
