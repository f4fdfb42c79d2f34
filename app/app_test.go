package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
)

func TestFirstRunCreatesAdminThenLogin(t *testing.T) {
	h := newHarness(t, Services{})
	h.sh.start()
	h.mustShow("Thiết lập lần đầu")

	test.Type(h.entry("ví dụ: quantri"), "quantri")
	test.Type(h.entry("Họ và tên người quản trị"), "Trần Thị Bích Ngọc")
	test.Type(h.entry("Ít nhất 8 ký tự"), "ngan")
	test.Type(h.entry("Gõ lại đúng mật khẩu trên"), "ngan")
	test.Tap(h.button("Tạo tài khoản quản trị"))
	h.wait()
	h.mustShow("Mật khẩu quá ngắn: cần ít nhất 8 ký tự.")

	pw, pw2 := h.entry("Ít nhất 8 ký tự"), h.entry("Gõ lại đúng mật khẩu trên")
	pw.SetText("")
	pw2.SetText("")
	test.Type(pw, "mật-khẩu-dài")
	test.Type(pw2, "mật-khẩu-khác")
	test.Tap(h.button("Tạo tài khoản quản trị"))
	h.wait()
	h.mustShow("Hai mật khẩu không giống nhau.")
	if n, _ := h.e.st.UserCount(context.Background()); n != 0 {
		t.Fatalf("an account was created from a bad form: %d", n)
	}

	pw2.SetText("")
	test.Type(pw2, "mật-khẩu-dài")
	test.Tap(h.button("Tạo tài khoản quản trị"))
	h.wait()
	if n, _ := h.e.st.UserCount(context.Background()); n != 1 {
		t.Fatalf("user count = %d, want 1", n)
	}
	// The machine's checks come next, then the sign-in.
	h.mustShow("Máy này đã sẵn sàng chưa?")
	test.Tap(h.button("Tiếp tục: đăng nhập"))
	h.wait()
	h.mustShow("Đăng nhập SoHoa")
	u, err := h.e.st.Authenticate(context.Background(), "quantri", "mật-khẩu-dài")
	if err != nil {
		t.Fatalf("the new admin cannot log in: %v", err)
	}
	if !u.Has(queue.RoleAdmin) || u.FullName != "Trần Thị Bích Ngọc" {
		t.Fatalf("created %+v", u)
	}
}

func TestLoginFailureThenSuccess(t *testing.T) {
	h := newHarness(t, Services{})
	h.admin()
	h.sh.start()
	h.mustShow("Đăng nhập SoHoa")

	user, pw := h.entry("Tên đăng nhập"), h.entry("Mật khẩu")
	test.Type(user, "quantri")
	test.Type(pw, "sai-mat-khau")
	enter(pw) // Enter submits
	h.wait()
	h.mustShow("Sai tên đăng nhập hoặc mật khẩu. Vui lòng thử lại.")
	if h.sh.user != nil {
		t.Fatal("logged in with a wrong password")
	}
	if pw.Text != "" {
		t.Fatal("the wrong password stays in the field")
	}

	test.Type(pw, "matkhau-123")
	test.Tap(h.button("Đăng nhập"))
	h.wait()
	if h.sh.user == nil || h.sh.user.Username != "quantri" {
		t.Fatalf("not logged in: %+v", h.sh.user)
	}
	h.mustShow("Các lô hồ sơ")
	h.mustShow("Người dùng: Nguyễn Văn Quản")

	// Logout returns to the login screen.
	test.Tap(h.button("Đăng xuất"))
	h.mustShow("Đăng nhập SoHoa")
	if h.sh.user != nil {
		t.Fatal("still logged in after logout")
	}
}

func (h *harness) login(u queue.User) {
	h.sh.user = &u
	h.sh.showBatches()
	h.wait()
}

func TestCreateBatchAppearsInList(t *testing.T) {
	h := newHarness(t, Services{})
	h.login(h.admin())
	h.mustShow("Các lô hồ sơ")
	if h.shows("Khai sinh xã An Bình 1995") {
		t.Fatal("batch shown before it exists")
	}

	test.Tap(h.button("Tạo lô mới"))
	test.Type(h.entry("Ví dụ: Khai sinh xã An Bình 1995"), "Khai sinh xã An Bình 1995")
	if oc := h.officeChoice(); oc.Text != "HN-01" { // the workstation's office, proposed
		t.Fatalf("office proposed %q", oc.Text)
	} else {
		oc.SetText("UBND-AnBinh")
	}
	test.Tap(h.button("Tạo lô"))
	h.wait()

	bs, err := h.e.st.ListBatches(context.Background(), queue.BatchFilter{})
	if err != nil || len(bs) != 1 || bs[0].Name != "Khai sinh xã An Bình 1995" || bs[0].Office != "UBND-AnBinh" {
		t.Fatalf("batches %+v, %v", bs, err)
	}
	if len(h.win.Canvas().Overlays().List()) != 0 {
		t.Fatal("the create dialog stays open")
	}
	h.mustShow("Khai sinh xã An Bình 1995") // a table cell
	h.mustShow("Đang nhập")                 // state, translated
}

func TestLanguageSwitchChangesLabels(t *testing.T) {
	h := newHarness(t, Services{})
	h.admin()
	h.sh.start()
	h.mustShow("Đăng nhập SoHoa")

	var sel *widget.Select
	walk(h.win.Canvas().Content(), func(o fyne.CanvasObject) {
		if s, ok := o.(*widget.Select); ok {
			sel = s
		}
	})
	if sel == nil {
		t.Fatal("no language selector")
	}
	sel.SetSelected("English")
	h.mustShow("Sign in to SoHoa")
	if h.shows("Đăng nhập SoHoa") {
		t.Fatal("Vietnamese title still shown")
	}
	if got := h.app.Preferences().String(prefLanguage); got != "en" {
		t.Fatalf("language preference = %q", got)
	}
	// The wrong-password message follows the language too.
	test.Type(h.entry("User name"), "quantri")
	test.Type(h.entry("Password"), "wrong-password")
	test.Tap(h.button("Sign in"))
	h.wait()
	h.mustShow("Wrong user name or password.")

	// Back through the menu.
	h.sh.setLanguage("vi")
	h.mustShow("Đăng nhập SoHoa")
	if got := h.app.Preferences().String(prefLanguage); got != "vi" {
		t.Fatalf("language preference = %q", got)
	}
}

// storeDoc adds a document of PNG pages to a batch.
func storeDoc(t *testing.T, st *queue.Store, u queue.User, batchID, name string, sizes ...[2]int) (queue.Document, []queue.Page) {
	t.Helper()
	var in []queue.PageInput
	for i, s := range sizes {
		in = append(in, queue.PageInput{Data: pagePNG(t, s[0], s[1]), Format: "png", Width: s[0], Height: s[1], DPI: 150,
			Origin: queue.Origin{File: name, Page: i + 1}})
	}
	d, ps, err := st.AddDocument(context.Background(), u, queue.NewDocument{BatchID: batchID, Origin: name, Pages: in})
	if err != nil {
		t.Fatal(err)
	}
	return d, ps
}

func TestViewerShowsPageTextAndLowConfidenceBoxes(t *testing.T) {
	h := newHarness(t, Services{})
	u := h.admin()
	ctx := context.Background()
	b, err := h.e.st.CreateBatch(ctx, u, queue.BatchSpec{Name: "Lô thử"})
	if err != nil {
		t.Fatal(err)
	}
	_, p1 := storeDoc(t, h.e.st, u, b.ID, "khaisinh-01.png", [2]int{600, 400}, [2]int{500, 300})
	storeDoc(t, h.e.st, u, b.ID, "khaisinh-02.png", [2]int{320, 200})
	words := []queue.Word{
		{Text: "Họ,", X0: 30, Y0: 40, X1: 80, Y1: 56, Conf: 96, Line: 1},
		{Text: "chữ", X0: 90, Y0: 40, X1: 140, Y1: 56, Conf: 41, Line: 1},
		{Text: "đệm,", X0: 150, Y0: 40, X1: 210, Y1: 56, Conf: 88, Line: 1},
		{Text: "tên:", X0: 220, Y0: 40, X1: 270, Y1: 56, Conf: 59.9, Line: 1},
		{Text: "Nguyễn", X0: 30, Y0: 100, X1: 130, Y1: 116, Conf: 93, Line: 2},
		{Text: "Thị", X0: 140, Y0: 100, X1: 190, Y1: 116, Conf: 12, Line: 2},
		{Text: "Hoa", X0: 200, Y0: 100, X1: 260, Y1: 116, Conf: 60, Line: 2},
	}
	wantLow := 0
	for _, w := range words {
		if w.Conf < 60 {
			wantLow++
		}
	}
	if err := h.e.st.SaveOCR(ctx, p1[0].ID, queue.OCRResult{Text: "Họ, chữ đệm, tên:\nNguyễn Thị Hoa", Words: words,
		MeanConf: 64, Engine: "tesseract", Model: "vie+eng"}); err != nil {
		t.Fatal(err)
	}

	v := newBatchView(h.e, b, nil)
	h.win.SetContent(v.content)
	v.open(0, 0)
	h.wait()

	if v.img.Image == nil || v.img.Image.Bounds().Dx() != 600 || v.img.Image.Bounds().Dy() != 400 {
		t.Fatalf("page image not shown: %v", v.img.Image)
	}
	if len(v.boxes) != wantLow || wantLow != 3 {
		t.Fatalf("%d low-confidence boxes, want %d", len(v.boxes), wantLow)
	}
	var underlined []string
	for _, s := range v.text.Segments {
		if ts, ok := s.(*widget.TextSegment); ok && ts.Style.TextStyle.Underline {
			underlined = append(underlined, ts.Text)
		}
	}
	if strings.Join(underlined, " ") != "chữ tên: Thị" {
		t.Fatalf("marked words %q", underlined)
	}
	if txt := v.text.String(); !strings.Contains(txt, "Nguyễn Thị Hoa") || !strings.Contains(txt, "Họ, chữ đệm, tên:") {
		t.Fatalf("OCR text %q", txt)
	}
	h.mustShow("3 từ cần kiểm tra")
	h.mustShow("Trang 1/2")
	h.mustShow("Hồ sơ 1/2")

	// Boxes follow the zoom.
	v.setZoom(2)
	v.stage.Refresh()
	if pos, sz := v.boxes[0].Position(), v.boxes[0].Size(); pos.X != 180 || pos.Y != 80 || sz.Width != 100 || sz.Height != 32 {
		t.Fatalf("box at 200%%: %v %v", pos, sz)
	}
	if v.img.Size().Width != 1200 {
		t.Fatalf("image width at 200%% = %v", v.img.Size().Width)
	}
	before := v.zoom
	v.zoomOut()
	if v.zoom >= before {
		t.Fatal("zoom out did not shrink")
	}
	// Ctrl+= goes through the window's shortcuts.
	h.sh.openViewer(b, 0, 0)
	h.wait()
	h.win.Canvas().(interface{ Content() fyne.CanvasObject }).Content()
	z0 := h.currentZoom(t)
	for _, sc := range h.sh.shortcuts {
		if cs, ok := sc.(interface{ ShortcutName() string }); ok && strings.Contains(cs.ShortcutName(), "=") {
			h.win.Canvas().(fyne.Shortcutable).TypedShortcut(sc)
		}
	}
	if z := h.currentZoom(t); z <= z0 {
		t.Fatalf("Ctrl+= left zoom at %v (was %v)", z, z0)
	}

	// PageDown: page 2 has no OCR yet.
	h.win.Canvas().(interface{ OnTypedKey() func(*fyne.KeyEvent) }).OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyPageDown})
	h.wait()
	h.mustShow("Đang nhận dạng…")
	h.mustShow("Trang 2/2")
	// PageDown again crosses into the next document.
	h.win.Canvas().(interface{ OnTypedKey() func(*fyne.KeyEvent) }).OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyPageDown})
	h.wait()
	h.mustShow("Hồ sơ 2/2")
	h.mustShow("Trang 1/1")
	// PageUp goes back to the last page of the previous document.
	h.win.Canvas().(interface{ OnTypedKey() func(*fyne.KeyEvent) }).OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyPageUp})
	h.wait()
	h.mustShow("Hồ sơ 1/2")
	h.mustShow("Trang 2/2")
}

// currentZoom reads the zoom label of the viewer on show.
func (h *harness) currentZoom(t *testing.T) string {
	t.Helper()
	for _, s := range h.texts() {
		if strings.HasSuffix(s, "%") && !strings.Contains(s, " ") {
			return s
		}
	}
	t.Fatal("no zoom label")
	return ""
}

func TestSearchFindsPageText(t *testing.T) {
	h := newHarness(t, Services{})
	u := h.admin()
	ctx := context.Background()
	b, _ := h.e.st.CreateBatch(ctx, u, queue.BatchSpec{Name: "Hộ tịch 2001"})
	_, ps := storeDoc(t, h.e.st, u, b.ID, "a.png", [2]int{300, 200})
	if err := h.e.st.SaveOCR(ctx, ps[0].ID, queue.OCRResult{Text: "Giấy khai sinh\nNguyễn Văn Bình"}); err != nil {
		t.Fatal(err)
	}
	h.login(u)
	s := h.entry("Tìm trong nội dung và trường dữ liệu (không cần gõ dấu)")
	test.Type(s, "nguyen binh")
	enter(s)
	h.wait()
	h.mustShow("Kết quả tìm kiếm: 1")
	h.mustShow("Lô “Hộ tịch 2001”")
	h.mustShow("Nguyễn Văn Bình")
}

func TestImportFilesWithProgressAndErrors(t *testing.T) {
	h := newHarness(t, DefaultServices())
	u := h.admin()
	ctx := context.Background()
	b, _ := h.e.st.CreateBatch(ctx, u, queue.BatchSpec{Name: "Lô nhập"})
	dir := t.TempDir()
	good := filepath.Join(dir, "trang-1.png")
	if err := os.WriteFile(good, pagePNG(t, 400, 300), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "hong.png")
	if err := os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\n not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed := 0
	p := newImportPanel(h.e, u, b, func() { changed++ })
	h.win.SetContent(p.content)
	p.addPath(good)
	p.addPath(bad)
	p.addPath(good) // once only
	if len(p.paths) != 2 {
		t.Fatalf("paths %q", p.paths)
	}
	test.Tap(p.start)
	h.wait()
	if p.running || changed != 1 {
		t.Fatalf("running=%v changed=%d", p.running, changed)
	}
	if len(p.rows) != 2 || p.bar.Value != p.bar.Max || p.bar.Max != 2 {
		t.Fatalf("rows %+v bar %v/%v", p.rows, p.bar.Value, p.bar.Max)
	}
	var okRow, badRow bool
	for _, r := range p.rows {
		okRow = okRow || (!r.bad && strings.Contains(r.text, "trang-1.png: đã nhập 1 trang"))
		badRow = badRow || (r.bad && strings.Contains(r.text, "\"hong.png\"") && strings.Contains(r.text, "hỏng"))
	}
	if !okRow || !badRow {
		t.Fatalf("rows %+v", p.rows)
	}
	h.mustShow("Đã nhập 1 hồ sơ (1 trang); bỏ qua 0; lỗi 1.")
	if h.shows("Đã hủy nhập") { // issue 9: a finished import is not "cancelled"
		t.Fatalf("a finished import says it was cancelled: %q", h.texts())
	}
	got, _ := h.e.st.Batch(ctx, b.ID)
	if got.Documents != 1 || got.Pages != 1 {
		t.Fatalf("batch after import %+v", got)
	}

	// The same file again is skipped, not stored twice.
	p.addPath(good)
	test.Tap(p.start)
	h.wait()
	if len(p.rows) != 1 || !strings.Contains(p.rows[0].text, "đã nhập trước đó") {
		t.Fatalf("rows %+v", p.rows)
	}
	got, _ = h.e.st.Batch(ctx, b.ID)
	if got.Documents != 1 {
		t.Fatalf("re-import stored a copy: %+v", got)
	}
}

func TestImportCancel(t *testing.T) {
	h := newHarness(t, DefaultServices())
	u := h.admin()
	ctx := context.Background()
	b, _ := h.e.st.CreateBatch(ctx, u, queue.BatchSpec{Name: "Lô hủy"})
	dir := t.TempDir()
	for i := range 40 {
		if err := os.WriteFile(filepath.Join(dir, "p"+string(rune('a'+i%26))+string(rune('a'+i/26))+".png"), pagePNG(t, 200+i, 150), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := newImportPanel(h.e, u, b, nil)
	h.win.SetContent(p.content)
	p.addPath(dir)
	// The clerk presses Cancel while the first file is reported: the importer waits at that
	// point until the tap happened, so the test is deterministic.
	seen, tapped := make(chan struct{}), make(chan struct{})
	first := true
	p.afterFile = func() {
		if first {
			first = false
			close(seen)
			<-tapped
		}
	}
	test.Tap(p.start)
	<-seen
	h.drain()
	if !p.running || !p.cancelBtn.Visible() {
		t.Fatal("no Cancel button while importing")
	}
	test.Tap(p.cancelBtn)
	close(tapped)
	h.wait()
	got, _ := h.e.st.Batch(ctx, b.ID)
	if got.Documents == 0 || got.Documents >= 40 {
		t.Fatalf("documents after cancel: %d", got.Documents)
	}
	h.mustShow("Đã hủy nhập")
	if p.running || !p.closeBtn.Visible() {
		t.Fatal("panel still running after cancel")
	}
}

// TestLoginFocusesUserName: the login screen opens with the user name field focused, so a
// clerk signs in with the keyboard alone (type, Tab, type, Enter).
func TestLoginFocusesUserName(t *testing.T) {
	h := newHarness(t, Services{})
	u := h.admin()
	h.sh.showLogin()
	e, ok := h.e.win.Canvas().Focused().(*textEntry)
	if !ok || e.Password {
		t.Fatalf("focused %T, want the user name entry", h.e.win.Canvas().Focused())
	}
	test.Type(e, u.Username)
	h.e.win.Canvas().FocusNext()
	pw, ok := h.e.win.Canvas().Focused().(*widget.Entry)
	if !ok || !pw.Password {
		t.Fatalf("Tab went to %T", h.e.win.Canvas().Focused())
	}
	// Shift+Tab: the desktop driver moves the focus back (FocusPrevious) for an entry that
	// does not take Tab, as none of the app's text entries does
	if e.AcceptsTab() {
		t.Fatal("the user name entry takes Tab")
	}
	h.e.win.Canvas().FocusPrevious()
	if h.e.win.Canvas().Focused() != e {
		t.Fatalf("Shift+Tab went to %T", h.e.win.Canvas().Focused())
	}
	h.e.win.Canvas().FocusNext()
	test.Type(pw, "matkhau-123")
	pw.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.wait()
	if h.sh.user == nil || h.sh.user.Username != u.Username {
		t.Fatal("not signed in with the keyboard")
	}
}

// TestFirstRunChecksAndSampleBatch: after the administrator is made, the first run lists what
// the machine has (Tesseract, its language data, fonts, scanners) in plain words and makes a
// sample batch of generated documents with one button; the batch is in the list after sign-in.
func TestFirstRunChecksAndSampleBatch(t *testing.T) {
	h := newHarness(t, Services{})
	admin := h.admin()
	h.sh.showFirstRun(admin)
	h.wait()
	h.mustShow("Máy này đã sẵn sàng chưa?")
	for _, want := range []string{"Tesseract (nhận dạng chữ): tesseract 5", "Dữ liệu tiếng Việt cho Tesseract: có", "Dữ liệu nhận biết hướng trang: có", "Phông chữ Noto Serif cho lô mẫu: có"} {
		found := false
		for _, s := range h.texts() {
			if strings.HasPrefix(s, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("the first run does not say %q: %q", want, h.texts())
		}
	}
	test.Tap(h.button("Tạo lô mẫu"))
	h.wait()
	h.mustShow("Đã tạo lô “Lô mẫu (thử)”: 6 tài liệu")
	list, err := h.e.st.ListBatches(context.Background(), queue.BatchFilter{})
	if err != nil || len(list) != 1 || list[0].Name != "Lô mẫu (thử)" {
		t.Fatalf("batches after the sample: %+v %v", list, err)
	}
	docs, err := h.e.st.Documents(context.Background(), list[0].ID)
	if err != nil || len(docs) != 6 {
		t.Fatalf("sample batch documents: %d %v", len(docs), err)
	}
	test.Tap(h.button("Tiếp tục: đăng nhập"))
	h.wait()
	h.mustShow("Đăng nhập SoHoa")
}

// TestFingerprintGroups: the fingerprint is shown in groups of four, two lines of eight.
func TestFingerprintGroups(t *testing.T) {
	fp := strings.Repeat("0123456789abcdef", 4)
	want := "0123 4567 89ab cdef 0123 4567 89ab cdef\n0123 4567 89ab cdef 0123 4567 89ab cdef"
	if got := fingerprintGroups(fp); got != want {
		t.Fatalf("fingerprintGroups = %q", got)
	}
}
