package queue

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func openTest(t *testing.T) (*Store, User) {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	admin, err := s.CreateUser(context.Background(), nil, "admin", "Quản Trị Viên", "mật-khẩu-dài", []Role{RoleAdmin, RoleClerk})
	if err != nil {
		t.Fatal(err)
	}
	return s, admin
}

func pngPage(t *testing.T, w, h int, shade uint8) PageInput {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = shade
	}
	img.SetGray(0, 0, color.Gray{Y: shade ^ 0xff})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return PageInput{Data: b.Bytes(), Format: "png", Width: w, Height: h, DPI: 300}
}

func TestPragmasAndMigrations(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	var mode string
	var fk int
	if err := s.r.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	if err := s.r.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v", fk, err)
	}
	// Reopening applies nothing twice.
	dir := s.Dir()
	s.Close()
	s2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var n int
	s2.r.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
	files, _ := migrationFS.ReadDir("migrations")
	if n != len(files) {
		t.Fatalf("schema_migrations rows = %d, want %d (one per migration, applied once)", n, len(files))
	}
	if err := s2.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestUsersAndRoles(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	if _, err := s.Authenticate(ctx, "admin", "sai-mật-khẩu"); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := s.Authenticate(ctx, "nobody", "whatever1"); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("unknown user: %v", err)
	}
	u, err := s.Authenticate(ctx, "ADMIN", "mật-khẩu-dài")
	if err != nil || u.ID != admin.ID || !u.Has(RoleAdmin) {
		t.Fatalf("login: %+v %v", u, err)
	}
	clerk, err := s.CreateUser(ctx, &admin, "thu.nguyen", "Nguyễn Thị Thu", "12345678", []Role{RoleClerk})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, &clerk, "x.y", "", "12345678", []Role{RoleClerk}); !errors.Is(err, ErrNotPermitted) {
		t.Fatalf("clerk creating a user: %v", err)
	}
	if _, err := s.CreateUser(ctx, &admin, "thu.nguyen", "", "12345678", []Role{RoleClerk}); !errors.Is(err, ErrUserExists) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := s.CreateUser(ctx, &admin, "short", "", "1234567", []Role{RoleClerk}); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("weak password: %v", err)
	}
	if _, err := s.CreateUser(ctx, &admin, "a b", "", "12345678", []Role{RoleClerk}); !errors.Is(err, ErrBadUsername) {
		t.Fatalf("bad username: %v", err)
	}
	var hash string
	s.r.QueryRow(`SELECT pw_hash FROM users WHERE username = 'thu.nguyen'`).Scan(&hash)
	if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, "12345678") {
		t.Fatalf("password not stored as argon2id: %q", hash)
	}
}

func TestFirstUserMustBeAdmin(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Authenticate(ctx, "a", "b"); !errors.Is(err, ErrNoUsers) {
		t.Fatalf("empty store login: %v", err)
	}
	if _, err := s.CreateUser(ctx, nil, "clerk1", "", "12345678", []Role{RoleClerk}); err == nil {
		t.Fatal("first user without admin role accepted")
	}
}

func TestBatchStateMachine(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, err := s.CreateBatch(ctx, admin, BatchSpec{Name: "Lô khai sinh 01", Office: "HN-01"})
	if err != nil {
		t.Fatal(err)
	}
	if b.State != StateCapturing || b.RecordType != "generic" {
		t.Fatalf("new batch: %+v", b)
	}
	if _, err := s.CreateBatch(ctx, admin, BatchSpec{RecordType: "no-such-type"}); err == nil {
		t.Fatal("unknown record type accepted")
	}
	if err := s.Transition(ctx, admin, b.ID, StateApproved, ""); !errors.Is(err, ErrBadTransition) {
		t.Fatalf("capturing→approved: %v", err)
	}
	// Review steps need a supervisor who took no part in the batch (roles.go).
	sup, err := s.CreateUser(ctx, &admin, "kiem.soat", "Lê Kiểm Soát", "mật-khẩu-dài", []Role{RoleSupervisor})
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []State{StateKeying, StateReview, StateReturned, StateKeying, StateReview, StateApproved, StateSigned, StateSynced} {
		actor := admin
		if to == StateReturned || to == StateApproved || to == StateSigned {
			actor = sup
		}
		if err := s.Transition(ctx, actor, b.ID[:8], to, ""); err != nil {
			t.Fatalf("→%s: %v", to, err)
		}
	}
	if err := s.Transition(ctx, admin, b.ID, StateKeying, ""); !errors.Is(err, ErrBadTransition) {
		t.Fatalf("synced→keying: %v", err)
	}
	got, _ := s.Batch(ctx, b.ID)
	if got.State != StateSynced {
		t.Fatalf("state %s", got.State)
	}
	// Every state has an entry in the table, so no state is a silent dead end by omission.
	for _, st := range []State{StateCapturing, StateKeying, StateReview, StateReturned, StateApproved, StateSigned, StateSynced} {
		if _, ok := transitions[st]; !ok {
			t.Errorf("state %s missing from transitions", st)
		}
	}
	if _, err := s.Batch(ctx, "ffffffff"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing batch: %v", err)
	}
}

func TestAddDocumentDurableAndDeduplicated(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{Office: "HN-01"})
	p1, p2 := pngPage(t, 20, 30, 200), pngPage(t, 20, 30, 100)
	p1.Origin = Origin{File: "hồ sơ 1.tif", Page: 1}
	p2.Origin = Origin{File: "hồ sơ 1.tif", Page: 2}
	doc, pages, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "hồ sơ 1.tif", SourceHash: "abc", Pages: []PageInput{p1, p2}})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Seq != 1 || len(pages) != 2 || pages[1].Seq != 2 {
		t.Fatalf("doc %+v pages %+v", doc, pages)
	}
	for i, p := range pages {
		data, err := s.PageImage(p)
		if err != nil {
			t.Fatal(err)
		}
		want := []PageInput{p1, p2}[i].Data
		if !bytes.Equal(data, want) {
			t.Fatalf("page %d bytes differ", i)
		}
		// blob file is named by its hash and lies in the blob folder, with no temp leftovers
		if _, err := os.Stat(s.Blobs.Path(p.Blob)); err != nil {
			t.Fatal(err)
		}
	}
	left, _ := os.ReadDir(filepath.Join(s.Dir(), "blobs", "tmp"))
	if len(left) != 0 {
		t.Fatalf("temp files left: %d", len(left))
	}
	if _, _, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "again", SourceHash: "abc", Pages: []PageInput{p1}}); !errors.Is(err, ErrDuplicateFile) {
		t.Fatalf("duplicate import: %v", err)
	}
	got, _ := s.Batch(ctx, b.ID)
	if got.Documents != 1 || got.Pages != 2 {
		t.Fatalf("counts after duplicate: %+v", got)
	}
	ps, _ := s.Pages(ctx, doc.ID)
	if ps[0].Origin.File != "hồ sơ 1.tif" || ps[1].Origin.Page != 2 {
		t.Fatalf("origin lost: %+v", ps)
	}
	// a batch past capture takes no pages
	s.Transition(ctx, admin, b.ID, StateKeying, "")
	s.Transition(ctx, admin, b.ID, StateReview, "")
	if _, _, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "late", Pages: []PageInput{p2}}); err == nil {
		t.Fatal("page added to a batch under review")
	}
}

func TestBlobCorruptionDetected(t *testing.T) {
	s, _ := openTest(t)
	h, err := s.Blobs.Put([]byte("trang 1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Blobs.Path(h), []byte("trang 2"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blobs.Get(h); !errors.Is(err, ErrBlobCorrupt) {
		t.Fatalf("Get corrupt: %v", err)
	}
	if err := s.Blobs.Verify(h); !errors.Is(err, ErrBlobCorrupt) {
		t.Fatalf("Verify corrupt: %v", err)
	}
	if _, err := s.Blobs.Get("../../etc/passwd"); err == nil {
		t.Fatal("path traversal accepted")
	}
}

func TestOCRSearchAndExport(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{})
	_, pages, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "ks.png", Pages: []PageInput{pngPage(t, 10, 10, 255)}})
	if err != nil {
		t.Fatal(err)
	}
	pend, _ := s.PendingPages(ctx, b.ID, 10)
	if len(pend) != 1 {
		t.Fatalf("pending = %d", len(pend))
	}
	text := "GIẤY KHAI SINH\nHọ, chữ đệm, tên: Nguyễn Văn Đức\nNơi sinh: Thành phố Hồ Chí Minh"
	res := OCRResult{Text: text, Words: []Word{{Text: "Nguyễn", X0: 1, Y0: 2, X1: 3, Y1: 4, Conf: 91}}, MeanConf: 91, Engine: "tesseract 5.3.0", Model: "vie+eng"}
	if err := s.SaveOCR(ctx, pages[0].ID, res); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveOCR(ctx, pages[0].ID, res); err != nil { // re-run after a crash: replaces
		t.Fatal(err)
	}
	if pend, _ := s.PendingPages(ctx, "", 10); len(pend) != 0 {
		t.Fatalf("still pending: %d", len(pend))
	}
	for _, q := range []string{"nguyen van duc", "NGUYỄN", "ho chi minh", "khai sinh", "đức"} {
		hits, err := s.Search(ctx, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 1 || hits[0].PageID != pages[0].ID {
			t.Fatalf("search %q: %+v", q, hits)
		}
	}
	hits, _ := s.Search(ctx, "nguyen van", 10)
	if !strings.Contains(hits[0].Snippet, "Nguyễn Văn Đức") {
		t.Fatalf("snippet %q", hits[0].Snippet)
	}
	if hits, _ := s.Search(ctx, "tran thi", 10); len(hits) != 0 {
		t.Fatalf("false hit: %+v", hits)
	}
	if _, err := s.Search(ctx, "  ;; ", 10); !errors.Is(err, ErrEmptyQuery) {
		t.Fatalf("empty query: %v", err)
	}
	if err := s.SetField(ctx, admin, pages[0].DocumentID, "full_name", "Lê Thị Hồng", SourceKeyed, 100); err != nil {
		t.Fatal(err)
	}
	if err := s.SetField(ctx, admin, pages[0].DocumentID, "full_name", "Lê Thị Hồng Nhung", SourceCorrected, 100); err != nil {
		t.Fatal(err)
	}
	hits, _ = s.Search(ctx, "le thi hong nhung", 10)
	if len(hits) != 1 || hits[0].Field != "full_name" {
		t.Fatalf("field search: %+v", hits)
	}
	hist, _ := s.FieldHistory(ctx, pages[0].DocumentID, "full_name")
	if len(hist) != 2 || hist[0].Current || !hist[1].Current {
		t.Fatalf("history: %+v", hist)
	}
	exp, err := s.ExportBatch(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Documents) != 1 || exp.Documents[0].Fields["full_name"] != "Lê Thị Hồng Nhung" ||
		exp.Documents[0].Pages[0].Text != text || exp.Documents[0].Pages[0].Origin.File != "" {
		t.Fatalf("export: %+v", exp)
	}
	got, _ := s.OCR(ctx, pages[0].ID)
	if got.Words[0].Text != "Nguyễn" || got.Words[0].X1 != 3 {
		t.Fatalf("words round trip: %+v", got.Words)
	}
	// No personal value reaches the audit log.
	events, _ := s.AuditLog(ctx, 0)
	for _, e := range events {
		for _, v := range []string{"Lê", "Nguyễn", "Hồng"} {
			if strings.Contains(e.Detail+e.Object+e.Action, v) {
				t.Fatalf("personal value in audit event %+v", e)
			}
		}
	}
}

func TestFold(t *testing.T) {
	cases := map[string]string{
		"Nguyễn Văn Đức":        "nguyen van duc",
		"Thành phố Hồ Chí Minh": "thanh pho ho chi minh",
		"ỦY BAN NHÂN DÂN":       "uy ban nhan dan",
		"Quảng Ngãi":            "quang ngai",
		"Nguye\u0302\u0303n":    "nguyen", // decomposed input
	}
	for in, want := range cases {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAuditChainDetectsTampering(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if _, err := s.CreateBatch(ctx, admin, BatchSpec{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
	// The triggers refuse edits through SQL...
	if _, err := s.w.Exec(`UPDATE audit SET actor = 'mallory' WHERE id = 2`); err == nil {
		t.Fatal("audit update allowed")
	}
	if _, err := s.w.Exec(`DELETE FROM audit WHERE id = 3`); err == nil {
		t.Fatal("audit delete allowed")
	}
	// ...and someone who drops them is still caught by the hash chain.
	var actor string
	if err := s.w.QueryRow(`SELECT actor FROM audit WHERE id = 2`).Scan(&actor); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; UPDATE audit SET actor = 'mallory' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyAudit(ctx); err == nil || !strings.Contains(err.Error(), "event 2 was altered") {
		t.Fatalf("edited row: %v", err)
	}
	s.w.Exec(`UPDATE audit SET actor = ? WHERE id = 2`, actor)
	if err := s.VerifyAudit(ctx); err != nil {
		t.Fatalf("restored row: %v", err)
	}
	s.w.Exec(`DELETE FROM audit WHERE id = 3`)
	if err := s.VerifyAudit(ctx); err == nil || !strings.Contains(err.Error(), "event 4 does not follow") {
		t.Fatalf("removed row: %v", err)
	}
}

func TestCleanedPageKeepsOriginal(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{})
	orig := pngPage(t, 40, 60, 180)
	_, pages, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "x.png", Pages: []PageInput{orig}})
	if err != nil {
		t.Fatal(err)
	}
	if pages[0].Original != pages[0].Blob {
		t.Fatalf("new page: original %s blob %s", pages[0].Original, pages[0].Blob)
	}
	cleaned := pngPage(t, 60, 40, 250)
	h, err := s.Blobs.Put(cleaned.Data)
	if err != nil {
		t.Fatal(err)
	}
	c := &Cleaned{Blob: h, Format: "png", Width: 60, Height: 40, SkewDeg: 1.5, Rotation: 90}
	if err := s.SaveProcessed(ctx, pages[0].ID, c, OCRResult{Text: "x", Engine: "e", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	// Processing again (a re-run after a crash) keeps the first original.
	if err := s.SaveProcessed(ctx, pages[0].ID, c, OCRResult{Text: "x", Engine: "e", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Page(ctx, pages[0].ID)
	if p.Blob != h || p.Original != pages[0].Blob || !p.Cleaned || p.Width != 60 || p.Rotation != 90 || p.SkewDeg != 1.5 || p.OCRState != "done" {
		t.Fatalf("after clean-up: %+v", p)
	}
	data, err := s.OriginalImage(p)
	if err != nil || !bytes.Equal(data, orig.Data) {
		t.Fatalf("original lost: %v", err)
	}
	if err := s.SaveProcessed(ctx, pages[0].ID, &Cleaned{Blob: h, Format: "gif", Width: 1, Height: 1}, OCRResult{}); err == nil {
		t.Fatal("bad format accepted")
	}
}

func TestAppendPage(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{})
	doc, _, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "sane:test:0 #1", Pages: []PageInput{pngPage(t, 30, 40, 10)}})
	if err != nil {
		t.Fatal(err)
	}
	in := pngPage(t, 30, 40, 20)
	in.Origin = Origin{Scanner: "sane:test:0", Sheet: 2, Page: 1}
	p, err := s.AppendPage(ctx, admin, doc.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if p.Seq != 2 || p.Origin.Sheet != 2 {
		t.Fatalf("appended page: %+v", p)
	}
	ps, _ := s.Pages(ctx, doc.ID)
	if len(ps) != 2 || ps[1].ID != p.ID || ps[1].Origin.Scanner != "sane:test:0" {
		t.Fatalf("pages: %+v", ps)
	}
	if _, err := s.AppendPage(ctx, admin, 9999, in); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing document: %v", err)
	}
	if _, err := s.AppendPage(ctx, admin, doc.ID, PageInput{Data: in.Data, Format: "bmp", Width: 1, Height: 1}); err == nil {
		t.Fatal("bad format accepted")
	}
}

func TestRotatePageRequeuesOCR(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{Cleanup: "none"})
	if got, _ := s.Batch(ctx, b.ID); got.Cleanup != "none" {
		t.Fatalf("batch cleanup profile %q", got.Cleanup)
	}
	_, pages, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "x.png", Pages: []PageInput{pngPage(t, 40, 60, 200)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveOCR(ctx, pages[0].ID, OCRResult{Text: "Ủy ban nhân dân", Engine: "e", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	p, err := s.RotatePage(ctx, admin, pages[0].ID, 90)
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != 60 || p.Height != 40 || p.UserRotation != 90 || p.OCRState != "pending" || p.Original != pages[0].Original {
		t.Fatalf("rotated page: %+v", p)
	}
	if _, err := s.OCR(ctx, p.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old OCR kept: %v", err)
	}
	if hits, _ := s.Search(ctx, "uy ban", 10); len(hits) != 0 {
		t.Fatalf("stale search rows: %+v", hits)
	}
	p, _ = s.RotatePage(ctx, admin, p.ID, 270)
	if p.UserRotation != 0 || p.Width != 40 {
		t.Fatalf("turned back: %+v", p)
	}
	if _, err := s.RotatePage(ctx, admin, p.ID, 45); !errors.Is(err, ErrBadRotation) {
		t.Fatalf("45°: %v", err)
	}
}
