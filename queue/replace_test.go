package queue

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
)

// replaceFixture is a two-page document whose first page has OCR text (searchable).
func replaceFixture(t *testing.T, dir string) (*Store, User, Document, []Page) {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	admin, err := s.CreateUser(ctx, nil, "admin", "Quản Trị Viên", "mật-khẩu-dài", []Role{RoleAdmin, RoleClerk})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateBatch(ctx, admin, BatchSpec{Name: "Lô quét lại", Office: "HN-01"})
	if err != nil {
		t.Fatal(err)
	}
	in := []PageInput{pngPage(t, 10, 10, 100), pngPage(t, 10, 10, 101)}
	in[0].Origin = Origin{Scanner: "sane:test:0", Sheet: 1}
	d, pages, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "quét", Pages: in})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveOCR(ctx, pages[0].ID, OCRResult{Text: "Giấy khai sinh cũ", MeanConf: 40, Engine: "e", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	return s, admin, d, pages
}

// TestReplacePage: the new image takes the old page's place (document, position, origin)
// waiting for OCR; the old page, its OCR text and search rows are gone; one audit event.
func TestReplacePage(t *testing.T) {
	ctx := context.Background()
	s, admin, d, pages := replaceFixture(t, t.TempDir())
	n0 := auditCount(t, s)
	np, err := s.ReplacePage(ctx, admin, pages[0].ID, pngPage(t, 12, 14, 50))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Pages(ctx, d.ID)
	if err != nil || len(got) != 2 {
		t.Fatalf("pages %+v %v", got, err)
	}
	if got[0].ID != np.ID || got[0].ID == pages[0].ID || got[0].Seq != 1 || got[0].Width != 12 || got[0].OCRState != "pending" ||
		got[0].Origin != pages[0].Origin || got[1].ID != pages[1].ID || got[0].Blob != np.Blob {
		t.Fatalf("after the re-scan %+v (new %+v)", got, np)
	}
	if _, err := s.Page(ctx, pages[0].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old page: %v", err)
	}
	if _, err := s.OCR(ctx, pages[0].ID); err == nil {
		t.Fatal("the old page's OCR text is still there")
	}
	if hits, err := s.Search(ctx, "khai sinh", 10); err != nil || len(hits) != 0 {
		t.Fatalf("search still finds the old page: %+v %v", hits, err)
	}
	if n := auditCount(t, s); n != n0+1 {
		t.Fatalf("%d audit events, want 1", n-n0)
	}
	ev, _ := s.AuditLog(ctx, 1)
	if ev[0].Action != "page.replace" || ev[0].Object != "page:"+strconv.FormatInt(pages[0].ID, 10) {
		t.Fatalf("audit %+v", ev[0])
	}
	if err := s.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestReplacePageErrorKeepsOld: an error in the middle of the transaction (the context ends
// after the old page was deleted) rolls it all back: the old page stays with its OCR text.
func TestReplacePageErrorKeepsOld(t *testing.T) {
	s, admin, d, pages := replaceFixture(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	replacePageHook = cancel
	defer func() { replacePageHook = nil }()
	n0 := auditCount(t, s)
	if _, err := s.ReplacePage(ctx, admin, pages[0].ID, pngPage(t, 12, 14, 50)); err == nil {
		t.Fatal("replace went through a cancelled transaction")
	}
	checkOldPage(t, s, d, pages)
	if n := auditCount(t, s); n != n0 {
		t.Fatalf("%d audit events written by a failed replace", n-n0)
	}
}

// TestReplacePageCrashKeepsOld: the process dies (SIGKILL) inside the transaction, after the
// old page was deleted: on reopening, the old page is there with its OCR text.
func TestReplacePageCrashKeepsOld(t *testing.T) {
	if dir := os.Getenv("SOHOA_REPLACE_CRASH_DIR"); dir != "" { // the child
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		admin, err := s.Authenticate(context.Background(), "admin", "mật-khẩu-dài")
		if err != nil {
			t.Fatal(err)
		}
		id, _ := strconv.ParseInt(os.Getenv("SOHOA_REPLACE_CRASH_PAGE"), 10, 64)
		replacePageHook = func() { syscall.Kill(os.Getpid(), syscall.SIGKILL) }
		s.ReplacePage(context.Background(), admin, id, pngPage(t, 12, 14, 50))
		t.Fatal("still alive after the kill")
	}
	dir := t.TempDir()
	s, _, d, pages := replaceFixture(t, dir)
	s.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReplacePageCrashKeepsOld$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SOHOA_REPLACE_CRASH_DIR="+dir, "SOHOA_REPLACE_CRASH_PAGE="+strconv.FormatInt(pages[0].ID, 10))
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed\n%s", err, out)
	}
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.IntegrityCheck(context.Background()); err != nil {
		t.Fatal(err)
	}
	checkOldPage(t, s2, d, pages)
	if err := s2.VerifyAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func checkOldPage(t *testing.T, s *Store, d Document, pages []Page) {
	t.Helper()
	ctx := context.Background()
	got, err := s.Pages(ctx, d.ID)
	if err != nil || len(got) != 2 || got[0].ID != pages[0].ID || got[0].Blob != pages[0].Blob || got[0].Seq != 1 || got[1].ID != pages[1].ID {
		t.Fatalf("pages %+v %v; want the old two", got, err)
	}
	if r, err := s.OCR(ctx, pages[0].ID); err != nil || r.Text != "Giấy khai sinh cũ" {
		t.Fatalf("old page's OCR %+v %v", r, err)
	}
	if hits, err := s.Search(ctx, "khai sinh", 10); err != nil || len(hits) != 1 || hits[0].PageID != pages[0].ID {
		t.Fatalf("search %+v %v; want the old page", hits, err)
	}
}

func auditCount(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM audit`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
