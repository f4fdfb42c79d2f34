package app

import (
	"bytes"
	"context"
	"encoding/json"
	imgpng "image/png"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// keyboard drives the focused widget of the window like a clerk's keyboard and counts the
// keys pressed (a shortcut is one key press, a typed character one).
type keyboard struct {
	h    *harness
	keys int
}

func (kb *keyboard) focused() fyne.Focusable {
	kb.h.t.Helper()
	f := kb.h.win.Canvas().Focused()
	if f == nil {
		kb.h.t.Fatal("nothing has the keyboard focus")
	}
	return f
}

func (kb *keyboard) typeText(s string) {
	test.Type(kb.focused(), s)
	kb.keys += len([]rune(s))
	kb.h.wait()
}

func (kb *keyboard) press(name fyne.KeyName) {
	kb.focused().TypedKey(&fyne.KeyEvent{Name: name})
	kb.keys++
	kb.h.wait()
}

func (kb *keyboard) chord(m fyne.KeyModifier, name fyne.KeyName) {
	sc := &desktop.CustomShortcut{KeyName: name, Modifier: m}
	if s, ok := kb.focused().(fyne.Shortcutable); ok {
		s.TypedShortcut(sc)
	} else {
		kb.h.win.Canvas().(interface{ TypedShortcut(fyne.Shortcut) }).TypedShortcut(sc)
	}
	kb.keys++
	kb.h.wait()
}

const ctrl = fyne.KeyModifierShortcutDefault

// keyingBatch creates a batch of record type rt with one document per image.
func keyingBatch(t *testing.T, h *harness, u queue.User, rt string, pages ...[]byte) (queue.Batch, []queue.Document) {
	t.Helper()
	ctx := context.Background()
	b, err := h.e.st.CreateBatch(ctx, u, queue.BatchSpec{Name: "Lô nhập liệu", RecordType: rt})
	if err != nil {
		t.Fatal(err)
	}
	var docs []queue.Document
	for i, p := range pages {
		d, _, err := h.e.st.AddDocument(ctx, u, queue.NewDocument{BatchID: b.ID, Origin: "trang-" + string(rune('a'+i)) + ".png",
			Pages: []queue.PageInput{{Data: p, Format: "png", Width: 800, Height: 1100, DPI: 100}}})
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	return b, docs
}

func registerTypes(t *testing.T, h *harness) {
	t.Helper()
	if _, err := records.Register(context.Background(), h.e.st); err != nil {
		t.Fatal(err)
	}
}

// TestKeyHouseholdRecordKeyboardOnly keys a whole household record with the keyboard only
// (Telex keys, Tab and Enter, autocomplete, Ctrl+D), hits a hard validation error (an
// 11-digit personal ID) that blocks "done", corrects it, and checks every value in SQLite.
func TestKeyHouseholdRecordKeyboardOnly(t *testing.T) {
	h := newHarness(t, Services{})
	registerTypes(t, h)
	u := h.admin()
	h.login(u)
	b, docs := keyingBatch(t, h, u, "household", pagePNG(t, 800, 1100), pagePNG(t, 800, 1100))
	h.sh.openKeying(b, 0, 0, "")
	h.wait()
	k := h.sh.keying
	if k == nil || k.docID != docs[0].ID {
		t.Fatalf("keying screen not open on the first document")
	}
	kb := &keyboard{h: h}
	// typed keys (Telex) for each field, in form order; what must be stored
	type step struct {
		keys, want string
		choose     bool // Down then Enter: the first suggestion
	}
	steps := []step{
		{TelexKeys("125/2019/HK"), "125/2019/HK", false},
		{TelexKeys("Nguyễn Thị Phương Thảo"), "Nguyễn Thị Phương Thảo", false},
		{"12/03/1998", "12/03/1998", false},
		{"nu", "Nữ", true},                     // autocomplete: "nu", Down, Enter gives the catalogue value
		{"00119801234", "001198012345", false}, // 11 digits first: corrected below
		{TelexKeys("Phường Yên Hòa, ") + "ha no", "Phường Yên Hòa, Thành phố Hà Nội", true},
		{TelexKeys("Nguyễn Văn Hùng"), "Nguyễn Văn Hùng", false},
		{"con", "Con", true},
		{"05/06/2020", "05/06/2020", false},
		{TelexKeys("Trần Văn Đức"), "Trần Văn Đức", false},
	}
	if len(steps) != len(k.fieldRows) {
		t.Fatalf("household has %d fields, test keys %d", len(k.fieldRows), len(steps))
	}
	for i, s := range steps {
		if k.focus != i {
			t.Fatalf("focus on row %d (%s), want %d", k.focus, k.rows[k.focus].f.Key, i)
		}
		kb.typeText(s.keys)
		if s.choose {
			kb.press(fyne.KeyDown)
		}
		kb.press(fyne.KeyReturn)
	}
	// the 11-digit ID is shown as an error next to its field, in Vietnamese
	idRow := k.rows[4]
	if !strings.Contains(idRow.problemText(), "12 chữ số") {
		t.Fatalf("ID field problem %q, want the 12-digit error", idRow.problemText())
	}
	// done is refused and the focus goes to the error
	kb.chord(ctrl, fyne.KeyD)
	if !strings.Contains(k.status.Text, "lỗi") || k.focus != 4 {
		t.Fatalf("done not blocked: status %q, focus %d", k.status.Text, k.focus)
	}
	if k.di != 0 {
		t.Fatal("moved on to the next document with an error")
	}
	kb.typeText("001198012345") // the value is selected on focus: typing replaces it
	kb.press(fyne.KeyReturn)
	if idRow.info.Text == "" || strings.Contains(idRow.problemText(), "12 chữ số") {
		t.Fatalf("ID field after correction: %q, %q", idRow.info.Text, idRow.problemText())
	}
	kb.chord(ctrl, fyne.KeyD)
	if k.di != 1 {
		t.Fatalf("document not done: status %q", k.status.Text)
	}

	fields, err := h.e.st.Fields(context.Background(), docs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]queue.FieldValue{}
	for _, f := range fields {
		got[f.Key] = f
	}
	for i, s := range steps {
		key := k.rows[i].f.Key
		fv := got[key]
		if fv.Value != s.want {
			t.Errorf("%s stored %q, want %q", key, fv.Value, s.want)
		}
		want := queue.SourceKeyed
		if key == "personal_id" {
			want = queue.SourceCorrected
		}
		if fv.Source != want || fv.By != u.Username {
			t.Errorf("%s source %s by %q, want %s by %s", key, fv.Source, fv.By, want, u.Username)
		}
	}
	hist, err := h.e.st.FieldHistory(context.Background(), docs[0].ID, "personal_id")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Value != "00119801234" || hist[0].Source != queue.SourceKeyed || hist[1].Source != queue.SourceCorrected {
		t.Fatalf("personal_id history %+v", hist)
	}
	// "done" is durable too: the first document is keyed, the second still new
	for i, want := range []string{queue.DocKeyed, queue.DocNew} {
		d, err := h.e.st.Document(context.Background(), docs[i].ID)
		if err != nil || d.Status != want {
			t.Errorf("document %d status %q (%v), want %q", i+1, d.Status, err, want)
		}
	}
	if kb.keys == 0 {
		t.Fatal("no keys counted")
	}
}

// TestKeyingWarningNeedsConfirmAndDocNavigation: a cross-field warning (owner under 18 at
// registration) needs a second Ctrl+D; Alt+P / Ctrl+PageDown move between documents and a
// value typed before moving on is saved.
func TestKeyingWarningNeedsConfirmAndDocNavigation(t *testing.T) {
	h := newHarness(t, Services{})
	registerTypes(t, h)
	u := h.admin()
	h.login(u)
	b, docs := keyingBatch(t, h, u, "generic", pagePNG(t, 800, 1100), pagePNG(t, 800, 1100))
	h.sh.openKeying(b, 0, 0, "")
	h.wait()
	k := h.sh.keying
	kb := &keyboard{h: h}
	kb.typeText("CV12") // document number without the usual pattern: a warning
	kb.chord(ctrl, fyne.KeyPageDown)
	if k.di != 1 {
		t.Fatalf("Ctrl+PageDown: document %d", k.di)
	}
	kb.chord(fyne.KeyModifierAlt, fyne.KeyP)
	if k.di != 0 || k.rows[0].entry.Text != "CV12" {
		t.Fatalf("Alt+P: document %d, first field %q (typed value lost)", k.di, k.rows[0].entry.Text)
	}
	fv, _ := h.e.st.Fields(context.Background(), docs[0].ID)
	if len(fv) != 1 || fv[0].Value != "CV12" {
		t.Fatalf("stored %+v", fv)
	}
	kb.press(fyne.KeyTab)
	kb.typeText(TelexKeys("UBND xã Tân Lập"))
	kb.press(fyne.KeyTab)
	kb.typeText("01/07/2025")
	kb.press(fyne.KeyTab)
	kb.typeText(TelexKeys("Về việc tổ chức tiếp công dân"))
	kb.press(fyne.KeyTab)
	kb.typeText(TelexKeys("Lê Văn Tám"))
	kb.chord(ctrl, fyne.KeyD)
	if k.di != 0 || !strings.Contains(k.status.Text, "cảnh báo") {
		t.Fatalf("warning not asked to confirm: status %q", k.status.Text)
	}
	kb.chord(ctrl, fyne.KeyD)
	if k.di != 1 {
		t.Fatalf("confirmed warning did not finish the document: %q", k.status.Text)
	}
}

// keystroke measurement on a generated record with real OCR

// trimmed is rt with only its first n fields and the checks among them.
func trimmed(t testing.TB, rt *records.RecordType, n int) *records.RecordType {
	t.Helper()
	c := *rt
	c.Fields = append([]records.Field(nil), rt.Fields[:n]...)
	c.Tables = nil
	keep := map[string]bool{}
	for _, f := range c.Fields {
		keep[f.Key] = true
	}
	c.Checks = nil
	for _, ch := range rt.Checks {
		ok := true
		for _, k := range ch.Fields {
			ok = ok && keep[k]
		}
		if ok {
			c.Checks = append(c.Checks, ch)
		}
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out, err := records.Parse("trimmed.json", data)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type keyCount struct {
	keys                      int
	fixed, confirmed, missed  int // fields retyped, confirmed unchanged, wrong but confident
	accepted, fields, correct int
}

// TestKeystrokesExtractionVsTyping measures the keys a clerk presses to finish a generated
// 12-field business registration (real Tesseract OCR, then extraction) on the keying screen:
// accept the confident values, fix the rest; against typing every value. Both runs must
// leave exactly the ground-truth values in the store.
func TestKeystrokesExtractionVsTyping(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Tesseract")
	}
	t.Run("clean", func(t *testing.T) { keystrokes(t, true) })
	t.Run("scan-damage", func(t *testing.T) { keystrokes(t, false) })
}

func keystrokes(t *testing.T, clean bool) {
	var doc docgen.Document
	var png []byte
	for i := 0; i < 40; i++ {
		d, imgs, err := docgen.Generate(11, i, docgen.Options{DPI: 200, Clean: clean})
		if err != nil || d.Type != "business" || len(imgs) != 1 {
			continue
		}
		var buf bytes.Buffer
		if err := docgen.EncodePNG(&buf, imgs[0]); err != nil {
			t.Fatal(err)
		}
		doc, png = d, buf.Bytes()
		break
	}
	if png == nil {
		t.Fatal("no single-page business registration generated")
	}
	reg, err := recordRegistryFor("")
	if err != nil {
		t.Fatal(err)
	}
	full, _ := reg.Get("business")
	rt := trimmed(t, full, 12)
	truth := map[string]string{}
	for _, f := range doc.Fields {
		truth[f.Key] = f.Value
	}

	h := newHarness(t, Services{})
	registerTypes(t, h)
	u := h.admin()
	h.login(u)
	ctx := context.Background()
	b, docs := keyingBatch(t, h, u, "business", png, png)
	pool, err := ocr.NewPool(ocr.Options{Workers: 1, PSM: pipeline.DefaultPSM})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pages, _ := h.e.st.Pages(ctx, docs[0].ID)
	res, err := pool.Recognize(ctx, png)
	if err != nil {
		t.Fatal(err)
	}
	words := make([]queue.Word, len(res.Words))
	for i, w := range res.Words {
		words[i] = queue.Word{Text: w.Text, X0: w.X0, Y0: w.Y0, X1: w.X1, Y1: w.Y1, Conf: w.Conf, Block: w.Block, Par: w.Par, Line: w.Line}
	}
	if err := h.e.st.SaveOCR(ctx, pages[0].ID, queue.OCRResult{Text: res.Text, Words: words, MeanConf: res.MeanConf}); err != nil {
		t.Fatal(err)
	}
	if _, err := records.ExtractDocument(ctx, h.e.st, queue.User{}, rt, docs[0].ID); err != nil {
		t.Fatal(err)
	}

	open := func(docID int64) *keyingScreen {
		k, err := newKeyingScreen(h.e, u, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		k.rt = rt
		k.rows = nil
		k.build()
		k.now = func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
		h.win.SetContent(k.content)
		h.sh.keying = k
		k.open(docID)
		h.wait()
		return k
	}

	// with extraction
	k := open(docs[0].ID)
	kb := &keyboard{h: h}
	var ext keyCount
	ext.fields = len(k.rows)
	touched := map[string]bool{}
	fix := func(i int) {
		r := k.rows[i]
		touched[r.f.Key] = true
		want := truth[r.f.Key]
		if records.Equal(r.f, r.value(), want) && r.value() != "" || (want == "" && r.value() == "") {
			ext.confirmed++
			kb.press(fyne.KeyReturn)
			return
		}
		ext.fixed++
		t.Logf("retyped %s (source %s, confidence %.2f)", r.f.Key, k.stored[r.f.Key].Source, k.stored[r.f.Key].Confidence)
		if want == "" {
			kb.chord(ctrl, fyne.KeyA)
			kb.press(fyne.KeyDelete)
		} else {
			kb.typeText(TelexKeys(want))
		}
		kb.press(fyne.KeyReturn)
	}
	before := map[string]bool{}
	for i, r := range k.rows {
		fv, ok := k.stored[r.f.Key]
		before[r.f.Key] = ok && fv.Source == queue.SourceOCR && !queue.LowConfidence(fv.Confidence)
		_ = i
	}
	kb.chord(ctrl, fyne.KeyReturn) // accept all confident values; the focus goes to the first problem
	for n := 0; n < 3*len(k.rows); n++ {
		if !k.needsLook(k.focus) {
			break
		}
		fix(k.focus)
		any := false
		for i := range k.rows {
			any = any || k.needsLook(i)
		}
		if !any {
			break
		}
		kb.press(fyne.KeyF8)
	}
	// values still wrong (confident but wrong, or optional and missing): the clerk goes there
	// with Tab / Shift+Tab and retypes them
	for i, r := range k.rows {
		if want := truth[r.f.Key]; !records.Equal(r.f, r.value(), want) {
			ext.missed++
			for k.focus < i {
				kb.press(fyne.KeyTab)
			}
			for k.focus > i {
				kb.shiftTab()
			}
			fix(i)
		}
	}
	for _, r := range k.rows {
		if before[r.f.Key] && !touched[r.f.Key] {
			ext.accepted++
		}
	}
	kb.chord(ctrl, fyne.KeyD)
	if strings.Contains(k.status.Text, "cảnh báo") {
		kb.chord(ctrl, fyne.KeyD)
	}
	ext.keys = kb.keys
	ext.correct = checkStored(t, h, rt, docs[0].ID, truth)

	// typing everything
	k = open(docs[1].ID)
	kb = &keyboard{h: h}
	for i, r := range k.rows {
		if k.focus != i {
			t.Fatalf("typing: focus %d, want %d", k.focus, i)
		}
		if want := truth[r.f.Key]; want != "" {
			kb.typeText(TelexKeys(want))
		}
		kb.press(fyne.KeyTab)
	}
	kb.chord(ctrl, fyne.KeyD)
	if strings.Contains(k.status.Text, "cảnh báo") {
		kb.chord(ctrl, fyne.KeyD)
	}
	typed := kb.keys
	typedOK := checkStored(t, h, rt, docs[1].ID, truth)

	chars := 0
	for _, f := range rt.Fields {
		chars += len([]rune(truth[f.Key]))
	}
	t.Logf("12-field business registration, real OCR (mean conf %.0f): %d characters of values", res.MeanConf, chars)
	t.Logf("with extraction: %d keys (accepted by Ctrl+Enter %d, confirmed unchanged %d, retyped %d, wrong-but-confident found by sweep %d); %d/%d stored values right",
		ext.keys, ext.accepted, ext.confirmed, ext.fixed, ext.missed, ext.correct, ext.fields)
	t.Logf("typing everything: %d keys; %d/%d stored values right", typed, typedOK, len(rt.Fields))
	if ext.correct != len(rt.Fields) || typedOK != len(rt.Fields) {
		t.Fatalf("stored values differ from the ground truth")
	}
	if ext.keys >= typed {
		t.Errorf("extraction took %d keys, typing %d", ext.keys, typed)
	}
}

// checkStored counts the fields whose stored value equals the ground truth; each wrong one
// is reported.
func checkStored(t *testing.T, h *harness, rt *records.RecordType, docID int64, truth map[string]string) int {
	t.Helper()
	fields, err := h.e.st.Fields(context.Background(), docID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]queue.FieldValue{}
	for _, f := range fields {
		got[f.Key] = f
	}
	n := 0
	for _, f := range rt.Fields {
		fv := got[f.Key]
		if records.Equal(f, fv.Value, truth[f.Key]) {
			n++
			if fv.Value != "" && fv.Source == queue.SourceOCR {
				t.Errorf("%s still has source ocr after keying", f.Key)
			}
		} else {
			t.Errorf("%s: stored value differs from the ground truth (source %s)", f.Key, fv.Source)
		}
	}
	return n
}

// TestKeyingScreenCapture renders the keying screen of a generated birth certificate after
// real OCR and extraction, with the focus on a field whose source box is highlighted and
// zoomed; SOHOA_SCREENSHOT=path.png also writes the picture (docs/screenshots/keying.png).
func TestKeyingScreenCapture(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Tesseract")
	}
	var png []byte
	for i := 0; i < 40 && png == nil; i++ {
		d, imgs, err := docgen.Generate(5, i, docgen.Options{DPI: 200})
		if err != nil || d.Type != "birth" || len(imgs) != 1 {
			continue
		}
		var buf bytes.Buffer
		if err := docgen.EncodePNG(&buf, imgs[0]); err != nil {
			t.Fatal(err)
		}
		png = buf.Bytes()
	}
	if png == nil {
		t.Fatal("no single-page birth certificate generated")
	}
	h := newHarness(t, Services{})
	h.win.Resize(fyne.NewSize(1360, 1180)) // every field of the form in view
	registerTypes(t, h)
	u := h.admin()
	h.login(u)
	ctx := context.Background()
	b, docs := keyingBatch(t, h, u, "birth", png)
	pool, err := ocr.NewPool(ocr.Options{Workers: 1, PSM: pipeline.DefaultPSM})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pages, _ := h.e.st.Pages(ctx, docs[0].ID)
	res, err := pool.Recognize(ctx, png)
	if err != nil {
		t.Fatal(err)
	}
	words := make([]queue.Word, len(res.Words))
	for i, w := range res.Words {
		words[i] = queue.Word{Text: w.Text, X0: w.X0, Y0: w.Y0, X1: w.X1, Y1: w.Y1, Conf: w.Conf, Block: w.Block, Par: w.Par, Line: w.Line}
	}
	if err := h.e.st.SaveOCR(ctx, pages[0].ID, queue.OCRResult{Text: res.Text, Words: words, MeanConf: res.MeanConf}); err != nil {
		t.Fatal(err)
	}
	rt, _ := must(recordRegistryFor(h.e.st.Dir())).Get("birth")
	if _, err := records.ExtractDocument(ctx, h.e.st, queue.User{}, rt, docs[0].ID); err != nil {
		t.Fatal(err)
	}
	h.sh.openKeying(b, 0, 0, "")
	h.wait()
	k := h.sh.keying
	kb := &keyboard{h: h}
	kb.chord(ctrl, fyne.KeyReturn)
	// the focus is on the first field that needs a look; its box is highlighted and zoomed
	for i := 0; i < len(k.rows) && !k.hasBox; i++ {
		kb.press(fyne.KeyTab)
	}
	if !k.hasBox || k.zoom.Image == nil {
		t.Fatalf("focused field %s has no highlighted source box", k.rows[k.focus].f.Key)
	}
	img := h.win.Canvas().Capture()
	if img.Bounds().Dx() < 1000 {
		t.Fatalf("capture is %v", img.Bounds())
	}
	if path := os.Getenv("SOHOA_SCREENSHOT"); path != "" {
		var buf bytes.Buffer
		if err := imgpng.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestKeyingDoubleBlind: in a double-blind batch the keying screen keys each clerk's own pass
// (queue.KeyBlind), never shows the other clerk's values, and Ctrl+D finishes the pass; a
// value the two clerks keyed differently becomes a conflict for a third person.
func TestKeyingDoubleBlind(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Services{})
	registerTypes(t, h)
	admin := h.admin()
	mk := func(name string) queue.User {
		u, err := h.e.st.CreateUser(ctx, &admin, name, "Nhân viên "+name, "matkhau-123", []queue.Role{queue.RoleClerk})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	c1, c2 := mk("nhap1"), mk("nhap2")
	b, docs := keyingBatch(t, h, c1, "household", pagePNG(t, 800, 1100))
	if err := h.e.st.SetDoubleBlind(ctx, c1, b.ID, true); err != nil {
		t.Fatal(err)
	}
	b, _ = h.e.st.Batch(ctx, b.ID)
	// "\n" after a value: Down chooses the first suggestion before Enter
	values := []string{"125/2019/HK", TelexKeys("Nguyễn Thị Phương Thảo"), "12/03/1998", "nu\n", "001198012345",
		TelexKeys("Phường Yên Hòa, ") + "ha no\n", TelexKeys("Nguyễn Văn Hùng"), "con\n", "05/06/2020", TelexKeys("Trần Văn Đức")}
	keyAll := func(u queue.User, vals []string) *keyingScreen {
		h.login(u)
		h.sh.openKeying(b, 0, 0, "")
		h.wait()
		k := h.sh.keying
		if k == nil || k.docID != docs[0].ID {
			t.Fatalf("keying screen not open for %s", u.Username)
		}
		kb := &keyboard{h: h}
		for _, v := range vals {
			v, choose := strings.CutSuffix(v, "\n")
			kb.typeText(v)
			if choose {
				kb.press(fyne.KeyDown)
			}
			kb.press(fyne.KeyReturn)
		}
		kb.chord(ctrl, fyne.KeyD)
		h.wait()
		return k
	}
	keyAll(c1, values)
	// The second clerk sees none of the first clerk's values.
	bf, _, err := h.e.st.BlindFields(ctx, c2, docs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range bf {
		if f.Source != queue.SourceOCR {
			t.Fatalf("second clerk sees a keyed value of field %s", f.Key)
		}
	}
	other := append([]string(nil), values...)
	other[0] = "126/2019/HK"
	k2 := keyAll(c2, other)
	for _, r := range k2.rows {
		if r.f.Key == "personal_id" && r.value() != "001198012345" {
			t.Fatalf("second clerk's form shows %q", r.value())
		}
	}
	third := mk("nhap3")
	cs, err := h.e.st.Conflicts(ctx, third, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("%d conflicts, want 1 (the record number): %+v", len(cs), cs)
	}
	fields, err := h.e.st.Fields(ctx, docs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	agreed := 0
	for _, f := range fields {
		if f.Source == queue.SourceDoubleKeyed {
			agreed++
		}
	}
	if agreed != len(values)-1 {
		t.Fatalf("%d double-keyed values, want %d", agreed, len(values)-1)
	}
}

// TestKeyHouseholdMembersKeyboardOnly keys a household record with its member table using
// the keyboard only: the fields, then row 1 of the members, Alt+Insert for row 2, a cell
// validation error (an 11-digit ID) that blocks Ctrl+D, a row added and removed again with
// Alt+Insert / Alt+Delete, a started row whose required name is missing, and checks the
// values in SQLite under the keys extraction and export use ("member_2_full_name").
func TestKeyHouseholdMembersKeyboardOnly(t *testing.T) {
	h := newHarness(t, Services{})
	registerTypes(t, h)
	u := h.admin()
	h.login(u)
	b, docs := keyingBatch(t, h, u, "household", pagePNG(t, 800, 1100), pagePNG(t, 800, 1100))
	h.sh.openKeying(b, 0, 0, "")
	h.wait()
	k := h.sh.keying
	if k == nil || k.docID != docs[0].ID {
		t.Fatalf("keying screen not open on the first document")
	}
	cols := len(k.rt.Tables[0].Columns)
	if len(k.rows) != len(k.fieldRows)+cols || k.rows[len(k.fieldRows)].f.Key != "member_1_full_name" {
		t.Fatalf("form has %d rows (%d fields), want one empty member row after the fields", len(k.rows), len(k.fieldRows))
	}
	kb := &keyboard{h: h}
	want := map[string]string{}
	keyRows := func(keys ...string) {
		t.Helper()
		for i := 0; i+1 < len(keys); i += 2 {
			if got := k.rows[k.focus].f.Key; got != keys[i] {
				t.Fatalf("focus on %s, want %s", got, keys[i])
			}
			v, choose := strings.CutSuffix(keys[i+1], "\n") // "\n": Down chooses the first suggestion
			kb.typeText(v)
			if choose {
				kb.press(fyne.KeyDown)
			}
			kb.press(fyne.KeyReturn)
		}
	}
	fields := []string{
		"document_number", "125/2019/HK",
		"full_name", TelexKeys("Nguyễn Văn Hùng"),
		"date_of_birth", "01/02/1970",
		"gender", "nam\n",
		"personal_id", "001070001234",
		"permanent_residence", TelexKeys("Phường Yên Hòa, ") + "ha no\n",
		"household_head", TelexKeys("Nguyễn Văn Hùng"),
		"relation_to_head", "chu\n",
		"issue_date", "05/06/2020",
		"signer_name", TelexKeys("Trần Văn Đức"),
	}
	keyRows(fields...)
	for k, v := range map[string]string{"document_number": "125/2019/HK", "full_name": "Nguyễn Văn Hùng",
		"date_of_birth": "01/02/1970", "gender": "Nam", "personal_id": "001070001234",
		"permanent_residence": "Phường Yên Hòa, Thành phố Hà Nội", "household_head": "Nguyễn Văn Hùng",
		"relation_to_head": "Chủ hộ", "issue_date": "05/06/2020", "signer_name": "Trần Văn Đức"} {
		want[k] = v
	}
	// Enter after the last field goes on into the member table
	keyRows(
		"member_1_full_name", TelexKeys("Nguyễn Văn Hùng"),
		"member_1_date_of_birth", "01/02/1970",
		"member_1_gender", "nam\n",
		"member_1_personal_id", "001070001234",
		"member_1_relation", "chu\n",
	)
	if !strings.Contains(k.status.Text, "Alt+Insert") {
		t.Fatalf("status after the last cell %q, want the add-row hint", k.status.Text)
	}
	kb.chord(fyne.KeyModifierAlt, fyne.KeyInsert)
	if !slices.Equal(k.trows[0], []int{1, 2}) {
		t.Fatalf("Alt+Insert: member rows %v, want [1 2]", k.trows[0])
	}
	keyRows(
		"member_2_full_name", TelexKeys("Nguyễn Thị Phương Thảo"),
		"member_2_date_of_birth", "12/03/1998",
		"member_2_gender", "nu\n",
		"member_2_personal_id", "00119801234", // 11 digits: corrected below
		"member_2_relation", "vo\n",
	)
	idRow := k.rows[k.rowIndex("member_2_personal_id")]
	if !strings.Contains(idRow.problemText(), "12 chữ số") {
		t.Fatalf("member ID cell problem %q, want the 12-digit error", idRow.problemText())
	}
	kb.chord(ctrl, fyne.KeyD)
	if k.di != 0 || k.rows[k.focus] != idRow {
		t.Fatalf("done not blocked by the cell error: status %q, focus %s", k.status.Text, k.rows[k.focus].f.Key)
	}
	kb.typeText("001198012345")
	kb.press(fyne.KeyReturn)
	if strings.Contains(idRow.problemText(), "12 chữ số") {
		t.Fatalf("member ID cell problem after correction %q", idRow.problemText())
	}

	// a row added by mistake is removed again; a row with values is not
	kb.chord(fyne.KeyModifierAlt, fyne.KeyInsert)
	if !slices.Equal(k.trows[0], []int{1, 2, 3}) || k.rows[k.focus].f.Key != "member_3_full_name" {
		t.Fatalf("Alt+Insert: rows %v, focus %s", k.trows[0], k.rows[k.focus].f.Key)
	}
	kb.chord(fyne.KeyModifierAlt, fyne.KeyDelete)
	if !slices.Equal(k.trows[0], []int{1, 2}) || k.rowIndex("member_3_full_name") >= 0 {
		t.Fatalf("Alt+Delete on the empty row: rows %v", k.trows[0])
	}
	if k.rows[k.focus].f.Key != "member_2_full_name" {
		t.Fatalf("focus after removing the last row on %s", k.rows[k.focus].f.Key)
	}
	kb.chord(fyne.KeyModifierAlt, fyne.KeyDelete)
	if !slices.Equal(k.trows[0], []int{1, 2}) || !strings.Contains(k.status.Text, "hàng trống") {
		t.Fatalf("Alt+Delete removed a row with values: rows %v, status %q", k.trows[0], k.status.Text)
	}

	// a started row needs its required name
	kb.chord(fyne.KeyModifierAlt, fyne.KeyInsert)
	kb.press(fyne.KeyTab) // name left empty
	kb.typeText("20/10/2021")
	kb.press(fyne.KeyReturn)
	nameRow := k.rows[k.rowIndex("member_3_full_name")]
	if !strings.Contains(nameRow.problemText(), "Thiếu trường bắt buộc") {
		t.Fatalf("empty required cell of a started row: problem %q", nameRow.problemText())
	}
	kb.chord(ctrl, fyne.KeyD)
	if k.di != 0 || k.rows[k.focus] != nameRow {
		t.Fatalf("done not blocked by the missing member name: focus %s", k.rows[k.focus].f.Key)
	}
	kb.typeText(TelexKeys("Nguyễn Minh Khôi"))
	kb.press(fyne.KeyReturn)
	kb.chord(ctrl, fyne.KeyD)
	if k.di != 1 {
		t.Fatalf("document not done: status %q", k.status.Text)
	}
	for key, v := range map[string]string{
		"member_1_full_name": "Nguyễn Văn Hùng", "member_1_date_of_birth": "01/02/1970", "member_1_gender": "Nam",
		"member_1_personal_id": "001070001234", "member_1_relation": "Chủ hộ",
		"member_2_full_name": "Nguyễn Thị Phương Thảo", "member_2_date_of_birth": "12/03/1998", "member_2_gender": "Nữ",
		"member_2_personal_id": "001198012345", "member_2_relation": "Vợ",
		"member_3_full_name": "Nguyễn Minh Khôi", "member_3_date_of_birth": "20/10/2021",
	} {
		want[key] = v
	}

	stored, err := h.e.st.Fields(context.Background(), docs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]queue.FieldValue{}
	for _, f := range stored {
		got[f.Key] = f
	}
	for key, v := range want {
		fv, ok := got[key]
		if !ok || fv.Value != v || fv.By != u.Username {
			t.Errorf("%s stored %q by %q (present %v), want %q by %s", key, fv.Value, fv.By, ok, v, u.Username)
		}
	}
	if got["member_2_personal_id"].Source != queue.SourceCorrected || got["member_1_full_name"].Source != queue.SourceKeyed {
		t.Errorf("sources: member_2_personal_id %s, member_1_full_name %s", got["member_2_personal_id"].Source, got["member_1_full_name"].Source)
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected stored key %s", key)
		}
	}
	// the stored values pass the record type's validation, table rows included
	reg, err := recordRegistryFor(h.e.st.Dir())
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := reg.Get("household")
	ps, err := records.ValidateDocument(context.Background(), h.e.st, rt, docs[0].ID, time.Now())
	if err != nil || len(ps) != 0 {
		t.Fatalf("stored record has problems %v (%v)", ps, err)
	}
	d, err := h.e.st.Document(context.Background(), docs[0].ID)
	if err != nil || d.Status != queue.DocKeyed {
		t.Fatalf("document status %q (%v), want keyed", d.Status, err)
	}
}

// TestKeyingTableCellSourceBox: on a generated household record after real OCR and
// extraction, the member rows found on the page are in the form with their OCR values, and
// a focused member cell has its source box highlighted on the page like a field.
func TestKeyingTableCellSourceBox(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Tesseract")
	}
	var png []byte
	var doc docgen.Document
	for i := 0; i < 60 && png == nil; i++ {
		d, imgs, err := docgen.Generate(7, i, docgen.Options{DPI: 200, Clean: true})
		if err != nil || d.Type != "household" || len(imgs) != 1 {
			continue
		}
		var buf bytes.Buffer
		if err := docgen.EncodePNG(&buf, imgs[0]); err != nil {
			t.Fatal(err)
		}
		png, doc = buf.Bytes(), d
	}
	if png == nil {
		t.Fatal("no single-page household record generated")
	}
	members := 0
	for _, f := range doc.Fields {
		if strings.HasPrefix(f.Key, "member_") && strings.HasSuffix(f.Key, "_full_name") {
			members++
		}
	}
	h := newHarness(t, Services{})
	registerTypes(t, h)
	u := h.admin()
	h.login(u)
	ctx := context.Background()
	b, docs := keyingBatch(t, h, u, "household", png)
	pool, err := ocr.NewPool(ocr.Options{Workers: 1, PSM: pipeline.DefaultPSM})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pages, _ := h.e.st.Pages(ctx, docs[0].ID)
	res, err := pool.Recognize(ctx, png)
	if err != nil {
		t.Fatal(err)
	}
	words := make([]queue.Word, len(res.Words))
	for i, w := range res.Words {
		words[i] = queue.Word{Text: w.Text, X0: w.X0, Y0: w.Y0, X1: w.X1, Y1: w.Y1, Conf: w.Conf, Block: w.Block, Par: w.Par, Line: w.Line}
	}
	if err := h.e.st.SaveOCR(ctx, pages[0].ID, queue.OCRResult{Text: res.Text, Words: words, MeanConf: res.MeanConf}); err != nil {
		t.Fatal(err)
	}
	rt, _ := must(recordRegistryFor(h.e.st.Dir())).Get("household")
	if _, err := records.ExtractDocument(ctx, h.e.st, queue.User{}, rt, docs[0].ID); err != nil {
		t.Fatal(err)
	}
	h.sh.openKeying(b, 0, 0, "")
	h.wait()
	k := h.sh.keying
	if len(k.trows[0]) < 2 || len(k.trows[0]) > members {
		t.Fatalf("member rows in the form %v; the page has %d members", k.trows[0], members)
	}
	kb := &keyboard{h: h}
	for k.rows[k.focus].tbl == nil {
		kb.press(fyne.KeyTab)
	}
	r := k.rows[k.focus]
	x, found := k.found[r.f.Key]
	if !found {
		t.Fatalf("first member cell %s was not extracted", r.f.Key)
	}
	if fv := k.stored[r.f.Key]; fv.Source != queue.SourceOCR || r.entry.Text != fv.Value || fv.Value == "" {
		t.Fatalf("cell %s shows %q, stored %q (%s)", r.f.Key, r.entry.Text, fv.Value, fv.Source)
	}
	if !k.hasBox || !k.box.Visible() || k.zoom.Image == nil {
		t.Fatalf("focused cell %s has no highlighted source box", r.f.Key)
	}
	if k.hl.X0 > x.Boxes[0].X0 || k.hl.X1 < x.Boxes[0].X1 || k.hl.Y0 > x.Boxes[0].Y0 || k.hl.Y1 < x.Boxes[0].Y1 {
		t.Fatalf("highlight %+v does not cover the cell's box %+v", k.hl, x.Boxes[0])
	}
	if !strings.Contains(k.zoomNote.Text, "STT 1") {
		t.Fatalf("zoom note %q does not name the row", k.zoomNote.Text)
	}
}
