package queue

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// dropAuditTriggers does what an attacker holding the database file would: the append-only
// triggers are only SQL.
func dropAuditTriggers(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.w.Exec(`DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete`); err != nil {
		t.Fatal(err)
	}
}

func auditProblems(t *testing.T, s *Store) AuditReport {
	t.Helper()
	r, err := s.CheckAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantProblem(t *testing.T, r AuditReport, substr string) {
	t.Helper()
	for _, p := range r.Problems {
		if strings.Contains(p, substr) {
			return
		}
	}
	t.Fatalf("no problem mentioning %q; problems: %q", substr, r.Problems)
}

func someEvents(t *testing.T, s *Store, admin User, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := s.CreateBatch(context.Background(), admin, BatchSpec{Name: fmt.Sprint("lô ", i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeleteNewestAuditRowsDetected: deleting the newest N events leaves a valid shorter chain;
// the signed head file outside the database names an event that is gone.
func TestDeleteNewestAuditRowsDetected(t *testing.T) {
	for _, n := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s, admin := openTest(t)
			ctx := context.Background()
			someEvents(t, s, admin, 8)
			if r := auditProblems(t, s); len(r.Problems) > 0 || r.Unanchored != 0 {
				t.Fatalf("fresh store: %+v", r)
			}
			head, _ := s.AuditHead(ctx)
			dropAuditTriggers(t, s)
			if _, err := s.w.Exec(`DELETE FROM audit WHERE id > ?`, head.Seq-int64(n)); err != nil {
				t.Fatal(err)
			}
			// The batches go too, as a careful attacker would: the chain alone is consistent.
			if _, err := s.w.Exec(`DELETE FROM batches WHERE id IN (SELECT id FROM batches ORDER BY created_at DESC LIMIT ?)`, n); err != nil {
				t.Fatal(err)
			}
			r := auditProblems(t, s)
			wantProblem(t, r, "newest")
			if err := s.VerifyAudit(ctx); err == nil {
				t.Fatal("VerifyAudit passed")
			}
			// Work goes on; the anchor is not moved over the gap, so the evidence stays.
			someEvents(t, s, admin, 2)
			wantProblem(t, auditProblems(t, s), fmt.Sprintf("event %d", head.Seq))
			// Nor does reopening the store forget it.
			s.Close()
			s2, err := Open(s.Dir())
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Close()
			if err := s2.VerifyAudit(ctx); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("event %d", head.Seq)) {
				t.Fatalf("after reopening: %v", err)
			}
		})
	}
}

// TestEmptiedAuditLogDetected: deleting every row (a fresh chain starts, with a new anchor
// event) is caught by the head file.
func TestEmptiedAuditLogDetected(t *testing.T) {
	s, admin := openTest(t)
	someEvents(t, s, admin, 3)
	dropAuditTriggers(t, s)
	s.w.Exec(`DELETE FROM audit`)
	s.w.Exec(`DELETE FROM batches`)
	dir := s.Dir()
	s.Close()
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	r := auditProblems(t, s2)
	wantProblem(t, r, "newest")
}

// TestRestoredOldDatabaseDetected: a copy of the database taken earlier and put back is behind
// the head file: the head file is newer than the database's last row.
func TestRestoredOldDatabaseDetected(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	someEvents(t, s, admin, 2)
	dir := s.Dir()
	s.Close()
	old, err := os.ReadFile(filepath.Join(dir, DBFile))
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	someEvents(t, s, admin, 3)
	s.Close()
	if err := os.WriteFile(filepath.Join(dir, DBFile), old, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.VerifyAudit(ctx); err == nil || !strings.Contains(err.Error(), "newest 3 events were deleted") {
		t.Fatalf("restored copy: %v", err)
	}
}

// TestForgedAuditRowsDetected: rows appended with SQL after the anchor, chained correctly,
// lack the workstation's seal.
func TestForgedAuditRowsDetected(t *testing.T) {
	s, admin := openTest(t)
	someEvents(t, s, admin, 2)
	head, _ := s.AuditHead(context.Background())
	at := time.Now().UTC().Format(time.RFC3339Nano)
	h := auditHash(head.Hash, at, "admin", "user.roles", "user:1", "roles=admin")
	if _, err := s.w.Exec(`INSERT INTO audit(at, actor, action, object, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?)`,
		at, "admin", "user.roles", "user:1", "roles=admin", head.Hash, h); err != nil {
		t.Fatal(err)
	}
	r := auditProblems(t, s)
	wantProblem(t, r, fmt.Sprintf("event %d carries no valid workstation seal", head.Seq+1))
}

// TestAuditAnchorCrashWindow: a crash after a commit and before the head file is rewritten
// leaves the anchor behind the database. That is allowed (a note, not a problem), and the
// next write moves the anchor on.
func TestAuditAnchorCrashWindow(t *testing.T) {
	s, admin := openTest(t)
	someEvents(t, s, admin, 2)
	s.anchor.flush() // the head is written behind the commits (anchorState)
	headFile := filepath.Join(s.Dir(), AuditHeadFile)
	before, err := os.ReadFile(headFile)
	if err != nil {
		t.Fatal(err)
	}
	someEvents(t, s, admin, 1)
	s.anchor.flush()
	if err := os.WriteFile(headFile, before, 0o600); err != nil { // as if the last rename never happened
		t.Fatal(err)
	}
	r := auditProblems(t, s)
	if len(r.Problems) > 0 || r.Unanchored != 1 {
		t.Fatalf("crash window: %+v", r)
	}
	someEvents(t, s, admin, 1)
	r = auditProblems(t, s)
	if len(r.Problems) > 0 || r.Unanchored != 0 || r.Anchored != r.Head {
		t.Fatalf("after the next write: %+v", r)
	}
	// A head file that is missing while anchored events exist is reported; the next write
	// writes it again.
	os.Remove(headFile)
	wantProblem(t, auditProblems(t, s), "missing")
	// A head file signed by another key is reported and never overwritten.
	other := t.TempDir()
	s2, err := Open(other)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	foreign, _ := os.ReadFile(filepath.Join(other, AuditHeadFile))
	os.WriteFile(headFile, foreign, 0o600)
	someEvents(t, s, admin, 1)
	wantProblem(t, auditProblems(t, s), "not signed by this workstation's key")
	if now, _ := os.ReadFile(headFile); string(now) != string(foreign) {
		t.Fatal("a head file that does not verify was overwritten")
	}
}

// TestAuditKeyMissingRefused: a store that was sealed does not open without its key (a new
// key would make a rewritten history look fresh).
func TestAuditKeyMissingRefused(t *testing.T) {
	s, admin := openTest(t)
	someEvents(t, s, admin, 1)
	dir := s.Dir()
	s.Close()
	os.Remove(filepath.Join(dir, AuditKeyFile))
	if _, err := Open(dir); !errors.Is(err, ErrAuditKeyMissing) {
		t.Fatalf("open without the key: %v", err)
	}
}

// TestEditedRoleDetected: roles (or a password hash) changed in SQLite are refused at
// sign-in and reported by CheckAudit; roles changed through SetRoles are audited and sealed.
func TestEditedRoleDetected(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, &admin, "clerk", "Nhân Viên", "mật-khẩu-nhân-viên", []Role{RoleClerk}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`UPDATE users SET roles = 'clerk,admin' WHERE username = 'clerk'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "clerk", "mật-khẩu-nhân-viên"); !errors.Is(err, ErrUserTampered) {
		t.Fatalf("sign-in with edited roles: %v", err)
	}
	r := auditProblems(t, s)
	wantProblem(t, r, "the account clerk (id 2) was changed outside SoHoa")
	wantProblem(t, r, "the roles of clerk (id 2) differ from the audit log")

	// An administrator sets the roles through SoHoa: audited, sealed, and sign-in works.
	if err := s.SetRoles(ctx, admin, "clerk", []Role{RoleClerk, RoleSupervisor}); err != nil {
		t.Fatal(err)
	}
	if u, err := s.Authenticate(ctx, "clerk", "mật-khẩu-nhân-viên"); err != nil || !u.Has(RoleSupervisor) || u.Has(RoleAdmin) {
		t.Fatalf("after SetRoles: %v %v", u, err)
	}
	if r := auditProblems(t, s); len(r.Problems) > 0 {
		t.Fatalf("after SetRoles: %q", r.Problems)
	}
	ev, _ := s.AuditLog(ctx, 5)
	if !hasEvent(ev, "user.roles", "user:2", "roles=clerk,supervisor") {
		t.Fatalf("no user.roles event: %+v", ev)
	}

	// A password hash replaced with one the attacker knows.
	known, _ := hashPassword("mật-khẩu-kẻ-gian")
	s.w.Exec(`UPDATE users SET pw_hash = ? WHERE username = 'admin'`, known)
	if _, err := s.Authenticate(ctx, "admin", "mật-khẩu-kẻ-gian"); !errors.Is(err, ErrUserTampered) {
		t.Fatalf("sign-in with a replaced password hash: %v", err)
	}
	wantProblem(t, auditProblems(t, s), "the account admin (id 1) was changed outside SoHoa")
}

func hasEvent(ev []AuditEvent, action, object, detail string) bool {
	for _, e := range ev {
		if e.Action == action && e.Object == object && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

// TestUserChangesAudited: password, disable/enable and unlock are audit events, and the last
// administrator cannot lose the role or be disabled.
func TestUserChangesAudited(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	clerk, err := s.CreateUser(ctx, &admin, "clerk", "", "mật-khẩu-nhân-viên", []Role{RoleClerk})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, admin, "clerk", "mật-khẩu-mới-123"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, clerk, "admin", "mật-khẩu-mới-456"); !errors.Is(err, ErrNotPermitted) {
		t.Fatalf("a clerk set the admin's password: %v", err)
	}
	if err := s.SetPassword(ctx, clerk, "clerk", "mật-khẩu-của-tôi"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "clerk", "mật-khẩu-của-tôi"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, admin, "clerk", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, "clerk", "mật-khẩu-của-tôi"); !errors.Is(err, ErrUserDisabled) {
		t.Fatalf("disabled user signed in: %v", err)
	}
	if err := s.SetDisabled(ctx, admin, "clerk", false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRoles(ctx, admin, "admin", []Role{RoleClerk}); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("last admin lost the role: %v", err)
	}
	if err := s.SetDisabled(ctx, admin, "admin", true); err == nil {
		t.Fatal("an admin disabled their own account")
	}
	if err := s.SetRoles(ctx, clerk, "clerk", []Role{RoleAdmin}); !errors.Is(err, ErrNotPermitted) {
		t.Fatalf("a clerk made themselves admin: %v", err)
	}
	if err := s.UnlockUser(ctx, admin, "clerk"); err != nil {
		t.Fatal(err)
	}
	ev, _ := s.AuditLog(ctx, 0)
	for _, want := range [][3]string{{"user.password", "user:2", "by=admin"}, {"user.password", "user:2", "by=self"},
		{"user.disable", "user:2", ""}, {"user.enable", "user:2", ""}, {"user.unlock", "user:2", "locked=0"}} {
		if !hasEvent(ev, want[0], want[1], want[2]) {
			t.Errorf("no %v event", want)
		}
	}
	for _, e := range ev {
		if strings.Contains(e.Detail, "mật-khẩu") {
			t.Fatalf("a password in the audit log: %+v", e)
		}
	}
	if r := auditProblems(t, s); len(r.Problems) > 0 {
		t.Fatalf("%q", r.Problems)
	}
}

// TestLoginLockout: after LockFreeAttempts failures the account is locked, the delay doubles
// with every further failure up to LockMaxDelay, the right password is refused while it lasts,
// the lock survives reopening the store, and an administrator can lift it. Unknown names get
// exactly the same answers. The store's clock is injected; the real one is used by the CLI
// test (cli/lockout_test.go).
func TestLoginLockout(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, &admin, "clerk", "", "mật-khẩu-nhân-viên", []Role{RoleClerk}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }

	// answers records what each attempt said: ok, bad, or locked for how long.
	answer := func(name, pw string) string {
		_, err := s.Authenticate(ctx, name, pw)
		var le *LoginLockedError
		switch {
		case err == nil:
			return "ok"
		case errors.Is(err, ErrBadLogin):
			return "bad"
		case errors.As(err, &le):
			return "locked " + le.Wait.String()
		}
		return err.Error()
	}
	run := func(name string) []string {
		var got []string
		for i := 0; i < LockFreeAttempts; i++ {
			got = append(got, answer(name, "sai-mật-khẩu"))
		}
		got = append(got, answer(name, "mật-khẩu-nhân-viên")) // the right one, while locked
		for _, wait := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute} {
			now = now.Add(wait)
			got = append(got, answer(name, "sai-mật-khẩu"), answer(name, "mật-khẩu-nhân-viên"))
		}
		return got
	}
	want := []string{"bad", "bad", "bad", "bad", "bad", "locked 30s",
		"bad", "locked 1m0s", "bad", "locked 2m0s", "bad", "locked 4m0s"}
	start := now
	if got := run("clerk"); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("clerk: %q\nwant    %q", got, want)
	}
	now = start
	if got := run("không-có-ai"); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("unknown name: %q\nwant          %q", got, want)
	}

	// The lock is in the database: a new process sees it.
	dir := s.Dir()
	s.Close()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.now = func() time.Time { return now }
	if got := answer("clerk", "mật-khẩu-nhân-viên"); !strings.HasPrefix(got, "locked") {
		t.Fatalf("after reopening: %s", got)
	}
	if err := s.UnlockUser(ctx, admin, "clerk"); err != nil {
		t.Fatal(err)
	}
	if got := answer("clerk", "mật-khẩu-nhân-viên"); got != "ok" {
		t.Fatalf("after unlock: %s", got)
	}
	ev, _ := s.AuditLog(ctx, 0)
	if !hasEvent(ev, "login.locked", "user:2", "failures=5 delay=30s") || !hasEvent(ev, "login.locked", "user:2", "failures=8 delay=4m0s") ||
		!hasEvent(ev, "user.unlock", "user:2", "locked=1") || !hasEvent(ev, "login.locked", "user:unknown", "failures=5") {
		t.Fatalf("lock events missing from the audit log")
	}

	// The delay is capped.
	if d := lockDelay(40); d != LockMaxDelay {
		t.Fatalf("lockDelay(40) = %s", d)
	}
	// Unknown names land in a bounded set of rows, and no typed name is stored.
	seen := map[string]bool{}
	for i := 0; i < 50000; i++ {
		seen[s.throttleKey(0, fmt.Sprint("tên-", i), false)] = true
	}
	if len(seen) > unknownBuckets {
		t.Fatalf("%d throttle keys for unknown names", len(seen))
	}
	var stored int
	s.r.QueryRow(`SELECT count(*) FROM login_throttle WHERE key LIKE '%không%'`).Scan(&stored)
	if stored != 0 {
		t.Fatal("a typed user name is stored in the throttle table")
	}
}

// TestLoginLockoutParallel: attempts running at the same time cannot slip past the limit,
// because each is counted before its password is checked.
func TestLoginLockoutParallel(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, &admin, "clerk", "", "mật-khẩu-nhân-viên", []Role{RoleClerk}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	checked := 0
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Authenticate(ctx, "clerk", "sai-mật-khẩu")
			if errors.Is(err, ErrBadLogin) {
				mu.Lock()
				checked++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if checked != LockFreeAttempts {
		t.Fatalf("%d of 30 parallel attempts had their password checked, want %d", checked, LockFreeAttempts)
	}
}

// TestSweepOrphanBlobs: an old unreferenced blob is removed; a young one stays (it may be on
// its way to its row); a blob named by a page, a signed document or a stored manifest is never
// removed however old; old temporary files go, young ones stay; storing an orphan's bytes
// again saves it; and a store whose anchor disagrees with its database sweeps nothing.
func TestSweepOrphanBlobs(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{})
	doc, pages, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "a.png", Pages: []PageInput{pngPage(t, 30, 30, 50)}})
	if err != nil {
		t.Fatal(err)
	}
	put := func(content string) string {
		h, err := s.Blobs.Put([]byte(content))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	signedPDF := put("%PDF-1.7 đã ký")
	if _, err := s.w.Exec(`INSERT INTO signed_documents(document_id, batch_id, pdf_sha256, pdf_size, signer, signed_by, signed_at) VALUES (?,?,?,?,?,?,?)`,
		doc.ID, b.ID, signedPDF, 10, "Người Ký", admin.ID, "2026-01-01T00:00:00Z"); err != nil {
		t.Fatal(err)
	}
	inManifest := put("trang chỉ có trong bản kê")
	if _, err := s.w.Exec(`INSERT INTO batch_manifests(batch_id, manifest, sha256, seq, created_at) VALUES (?,?,?,?,?)`,
		b.ID, []byte(`{"documents":[{"pdf_sha256":"`+signedPDF+`","pages":[{"sha256":"`+inManifest+`"}]}]}`), "x", 1, "now"); err != nil {
		t.Fatal(err)
	}
	oldOrphan, youngOrphan, savedOrphan := put("mồ côi cũ"), put("mồ côi mới"), put("mồ côi được dùng lại")
	old := time.Now().Add(-OrphanGrace - time.Hour)
	for _, h := range []string{pages[0].Blob, signedPDF, inManifest, oldOrphan, savedOrphan} {
		if err := os.Chtimes(s.Blobs.Path(h), old, old); err != nil {
			t.Fatal(err)
		}
	}
	oldTmp := filepath.Join(s.Blobs.dir, "tmp", "abcd1234-old")
	youngTmp := filepath.Join(s.Blobs.dir, "tmp", "abcd1234-writing")
	os.WriteFile(oldTmp, []byte("x"), 0o600)
	os.WriteFile(youngTmp, []byte("x"), 0o600)
	os.Chtimes(oldTmp, old, old)
	put("mồ côi được dùng lại") // the same bytes stored again: on their way to a row

	// With the anchor in doubt nothing is removed.
	s.anchor.flush()
	headFile := filepath.Join(s.Dir(), AuditHeadFile)
	good, _ := os.ReadFile(headFile)
	os.WriteFile(headFile, []byte(`{"head":{},"signature":""}`), 0o600)
	if _, err := s.SweepBlobs(ctx, OrphanGrace); !errors.Is(err, ErrSweepAnchor) {
		t.Fatalf("sweep with a broken anchor: %v", err)
	}
	if _, err := os.Stat(s.Blobs.Path(oldOrphan)); err != nil {
		t.Fatal("a blob was removed while the anchor was in doubt")
	}
	os.WriteFile(headFile, good, 0o600)

	res, err := s.SweepBlobs(ctx, OrphanGrace)
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 1 || res.TempRemoved != 1 || res.Young != 2 || res.Referenced != 3 {
		t.Fatalf("sweep: %+v", res)
	}
	for h, want := range map[string]bool{pages[0].Blob: true, signedPDF: true, inManifest: true, oldOrphan: false, youngOrphan: true, savedOrphan: true} {
		if _, err := os.Stat(s.Blobs.Path(h)); (err == nil) != want {
			t.Errorf("blob %s…: present=%v, want %v", h[:8], err == nil, want)
		}
	}
	if _, err := os.Stat(oldTmp); err == nil {
		t.Error("old temporary file kept")
	}
	if _, err := os.Stat(youngTmp); err != nil {
		t.Error("a temporary file being written was removed")
	}
	if _, err := s.PageImage(pages[0]); err != nil {
		t.Fatal(err)
	}

	// Open sweeps by itself once the last sweep is a day old.
	another := put("mồ côi sau sự cố")
	os.Chtimes(s.Blobs.Path(another), old, old)
	marker := filepath.Join(s.Blobs.dir, sweepMarker)
	os.Chtimes(marker, old, old)
	dir := s.Dir()
	s.Close()
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := os.Stat(s2.Blobs.Path(another)); err == nil {
		t.Fatal("Open did not sweep a day-old orphan")
	}
	if st, err := os.Stat(marker); err != nil || time.Since(st.ModTime()) > time.Hour {
		t.Fatal("sweep marker not renewed")
	}
}

// TestSignedFieldsCompared: the comparison between a signed batch's rows and what was signed.
// signedStandIn stands in for the sign package (which queue cannot import): it returns the
// records as given; the real checker, reading record.json from really signed PDFs, is tested
// end to end by the CLI (cli/tamper_test.go).
func TestSignedFieldsCompared(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{})
	doc, _, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "a.png", Pages: []PageInput{pngPage(t, 30, 30, 50)}})
	if err != nil {
		t.Fatal(err)
	}
	s.SetField(ctx, admin, doc.ID, "ho_ten", "Nguyễn Văn An", SourceKeyed, 1)
	s.SetField(ctx, admin, doc.ID, "ngay_sinh", "01/02/2000", SourceOCR, 0.9)
	signed := map[int64][]SignedField{doc.ID: {{"ho_ten", "Nguyễn Văn An", SourceKeyed}, {"ngay_sinh", "01/02/2000", SourceOCR}}}
	if p, err := s.compareSigned(ctx, b.ID, signed); err != nil || len(p) != 0 {
		t.Fatalf("equal: %q %v", p, err)
	}
	s.w.Exec(`UPDATE field_values SET value = 'Trần Văn Bình' WHERE key = 'ho_ten' AND current = 1`)
	s.w.Exec(`UPDATE field_values SET source = 'keyed' WHERE key = 'ngay_sinh' AND current = 1`)
	s.w.Exec(`INSERT INTO field_values(document_id, key, value, source, created_at) VALUES (?, 'ghi_chu', 'x', 'keyed', 'now')`, doc.ID)
	p, err := s.compareSigned(ctx, b.ID, signed)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(p, "\n")
	for _, want := range []string{`field "ho_ten" differs from the signed value`, `the source of field "ngay_sinh" differs`, `field "ghi_chu" was added after signing`} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in %q", want, p)
		}
	}
	if strings.Contains(joined, "Bình") || strings.Contains(joined, "An") && strings.Contains(joined, "Nguyễn") {
		t.Fatal("a field value in the report")
	}
	// A signed batch without a checker is not exported.
	s.w.Exec(`UPDATE batches SET state = 'signed' WHERE id = ?`, b.ID)
	if _, err := s.ExportBatch(ctx, b.ID); !errors.Is(err, ErrSignedMismatch) {
		t.Fatalf("export of a batch whose state was edited: %v", err)
	}
}

// standInChecker stands in for the sign package (which queue cannot import): it returns the
// audit head a test manifest carries and the records it is given, and checks nothing else.
// The real checker is exercised end to end by cli/tamper_test.go.
type standInChecker struct {
	heads   map[string]AuditHead
	records map[int64][]SignedField
}

func (c standInChecker) SignedBatch(ctx context.Context, batchID string, manifest []byte, blobs *BlobStore) (SignedBatch, error) {
	h := c.heads[batchID]
	return SignedBatch{Head: &h, Records: c.records}, nil
}

func (c standInChecker) Receipt(ctx context.Context, receipt []byte) (ReceiptInfo, error) {
	return ReceiptInfo{}, errors.New("no receipts here")
}

// TestManifestAnchorCatchesRewrittenHistory: someone holding the whole data folder, key
// included, deletes the newest events and signs a new head file over the shortened log. The
// head file then agrees, but the audit head carried by the signed manifest does not.
func TestManifestAnchorCatchesRewrittenHistory(t *testing.T) {
	f := newReviewFixture(t, 1)
	s, ctx := f.s, context.Background()
	if _, err := s.Submit(ctx, f.clerk, f.batch.ID, f.check, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Approve(ctx, f.sup1, f.batch.ID); err != nil {
		t.Fatal(err)
	}
	pdf, _ := s.Blobs.Put([]byte("%PDF-1.7 thử"))
	chk := standInChecker{heads: map[string]AuditHead{}, records: map[int64][]SignedField{f.docs[0].ID: {{"so", "100", SourceKeyed}}}}
	mine := selfCert(t, "Trần Văn Kiểm", nil)
	if _, err := s.AddUserCert(ctx, f.admin, f.sup1.Username, mine); err != nil {
		t.Fatal(err)
	}
	err := s.MarkSignedAnchored(ctx, f.sup1, f.batch.ID, SigningKey{Cert: mine}, []SignedDocument{{DocumentID: f.docs[0].ID, PDFSHA256: pdf, PDFSize: 12, Signer: "x"}},
		func(seq int64, head AuditHead) ([]byte, error) {
			chk.heads[f.batch.ID] = head
			return []byte(`{"documents":[]}`), nil
		})
	if err != nil {
		t.Fatal(err)
	}
	head := chk.heads[f.batch.ID]
	if dbHead, _ := s.AuditHead(ctx); head.Seq == 0 || head.Seq != dbHead.Seq-1 {
		t.Fatalf("manifest head %+v, log head %+v: want the event before approved→signed", head, dbHead)
	}
	s.SetSignatureChecker(chk)
	if r := auditProblems(t, s); len(r.Problems) > 0 || r.Batches != 1 {
		t.Fatalf("untouched: %+v", r)
	}
	// The rewrite: events from the manifest's head on removed, the batch put back to
	// approved, a new head signed with the key from the folder.
	s.anchor.flush()
	dropAuditTriggers(t, s)
	s.w.Exec(`DELETE FROM audit WHERE id >= ?`, head.Seq)
	s.w.Exec(`UPDATE batches SET state = 'approved' WHERE id = ?`, f.batch.ID)
	short, _ := s.AuditHead(ctx)
	if err := s.key.writeHead(s.dir, headRecord{Seq: short.Seq, Hash: short.Hash, SealedFrom: 1, At: "now"}); err != nil {
		t.Fatal(err)
	}
	r := auditProblems(t, s)
	wantProblem(t, r, "the audit head in its signed manifest")
	for _, p := range r.Problems {
		if strings.Contains(p, AuditHeadFile) {
			t.Fatalf("the re-signed head file was reported: %q", p)
		}
	}
}

// FuzzReadHead: whatever bytes stand in the head file, reading it returns an error or a head
// that verified; it never panics, and a verified head is the one this workstation signed.
func FuzzReadHead(f *testing.F) {
	dir := f.TempDir()
	s, err := Open(dir)
	if err != nil {
		f.Fatal(err)
	}
	s.Close()
	good, err := os.ReadFile(filepath.Join(dir, AuditHeadFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"head":{"version":1,"seq":-1},"signature":""}`))
	f.Add([]byte(`{"head":"x","signature":"!!"}`))
	f.Add(good[:len(good)/2])
	k, _, err := loadAuditKey(dir)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, AuditHeadFile), data, 0o600); err != nil {
			t.Fatal(err)
		}
		h, err := k.readHead(d)
		if err == nil && (h.Version != 1 || h.Seq < 0 || string(data) != string(good) && !strings.Contains(string(data), `"signature"`)) {
			t.Fatalf("accepted %q as %+v", data, h)
		}
	})
}
