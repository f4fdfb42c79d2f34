package separate

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/sohoa/sohoa/internal/docgen"
	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
)

// scanSheet simulates printing the separator sheet and scanning it back: the sheet is
// rendered at 300 dpi, rotated by skewDeg around its centre (white outside), resampled to
// scanDPI, given Gaussian-ish noise and stored as JPEG at quality q.
func scanSheet(t *testing.T, label string, skewDeg float64, scanDPI, q int, seed uint64) []byte {
	t.Helper()
	data, err := SeparatorSheetPNG(300, label)
	if err != nil {
		t.Fatal(err)
	}
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sb := src.Bounds()
	w := sb.Dx() * scanDPI / 300
	h := sb.Dy() * scanDPI / 300
	dst := image.NewGray(image.Rect(0, 0, w, h))
	for i := range dst.Pix {
		dst.Pix[i] = 0xff
	}
	// dst = S * R * src, mapping src to dst pixels: scale then rotate about the centre.
	s := float64(scanDPI) / 300
	a := skewDeg * math.Pi / 180
	cos, sin := math.Cos(a)*s, math.Sin(a)*s
	cx, cy := float64(sb.Dx())/2, float64(sb.Dy())/2
	tx := float64(w)/2 - (cos*cx - sin*cy)
	ty := float64(h)/2 - (sin*cx + cos*cy)
	draw.BiLinear.Transform(dst, f64.Aff3{cos, -sin, tx, sin, cos, ty}, src, sb, draw.Over, nil)
	rng := rand.New(rand.NewPCG(seed, 7))
	for i := range dst.Pix {
		v := int(dst.Pix[i])*92/100 + 10 + int(rng.NormFloat64()*12)
		if rng.IntN(2000) == 0 { // dust
			v = 30
		}
		dst.Pix[i] = uint8(max(0, min(255, v)))
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, dst, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// blankPage is a scanned empty page: paper tone with noise and a few specks, PNG.
func blankPage(t *testing.T, dpi int, seed uint64) []byte {
	t.Helper()
	w, h := 210*dpi*10/254, 297*dpi*10/254
	img := image.NewGray(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewPCG(seed, 3))
	for i := range img.Pix {
		img.Pix[i] = uint8(235 + rng.IntN(12))
	}
	for k := 0; k < 20; k++ {
		img.SetGray(rng.IntN(w), rng.IntN(h), color.Gray{Y: 60})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t *testing.T, im image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, im); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	docOnce  sync.Once
	docPages [][][]byte // docgen documents (clean, 200 dpi), pages PNG-encoded
	docErr   error
)

// docs returns three real generated documents (1..n pages each) as PNG pages.
func docs(t testing.TB) [][][]byte {
	t.Helper()
	docOnce.Do(func() {
		for i := 0; i < 3; i++ {
			_, imgs, err := docgen.Generate(11, i, docgen.Options{DPI: 200, Clean: true})
			if err != nil {
				docErr = err
				return
			}
			var pages [][]byte
			for _, im := range imgs {
				var b bytes.Buffer
				if err := png.Encode(&b, im); err != nil {
					docErr = err
					return
				}
				pages = append(pages, b.Bytes())
			}
			docPages = append(docPages, pages)
		}
	})
	if docErr != nil {
		t.Fatal(docErr)
	}
	return docPages
}

func decodeBytes(t *testing.T, b []byte) image.Image {
	t.Helper()
	im, err := decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func TestSeparatorSheetRoundTrip(t *testing.T) {
	cases := []struct {
		label  string
		skew   float64
		dpi, q int
	}{
		{"HS-2026-0001", 0, 300, 90},
		{"HS-2026-0002", 2.5, 200, 70},
		{"Hộp 7 · Sổ hộ tịch", -3, 200, 60},
		{"", 1.2, 150, 75},
	}
	for i, c := range cases {
		page := scanSheet(t, c.label, c.skew, c.dpi, c.q, uint64(i))
		label, ok := DetectSeparator(decodeBytes(t, page))
		if !ok || label != c.label {
			t.Errorf("case %d (skew %.1f°, %d dpi, JPEG q%d): got %q, %v; want %q", i, c.skew, c.dpi, c.q, label, ok, c.label)
		}
	}
	// The sheet itself, straight from the renderer, at the lowest resolution offered.
	data, err := SeparatorSheetPNG(100, "X")
	if err != nil {
		t.Fatal(err)
	}
	if label, ok := DetectSeparator(decodeBytes(t, data)); !ok || label != "X" {
		t.Errorf("100 dpi sheet: got %q, %v", label, ok)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != 827 || cfg.Height != 1169 {
		t.Errorf("100 dpi sheet is %dx%d (%v); want A4 = 827x1169", cfg.Width, cfg.Height, err)
	}
}

func TestSeparatorSheetHasText(t *testing.T) {
	// The Vietnamese instructions are drawn: the band above the code holds dark pixels,
	// and the renderer's font covers the Vietnamese letters (no .notdef boxes would make
	// this pass too, so check the glyphs directly).
	data, err := SeparatorSheetPNG(150, "A1")
	if err != nil {
		t.Fatal(err)
	}
	im := decodeBytes(t, data).(*image.Gray)
	dark := 0
	for y := 1500 * 25 / 254; y < 1500*65/254; y++ {
		for x := 0; x < im.Rect.Dx(); x++ {
			if im.GrayAt(x, y).Y < 128 {
				dark++
			}
		}
	}
	if dark < 2000 {
		t.Errorf("title band has %d dark pixels; the instructions were not drawn", dark)
	}
	if _, err := sheetFaces(150); err != nil {
		t.Fatal(err)
	}
	for _, r := range "TỜ PHÂN TÁCH HỒ SƠ đặt trước mỗi hồ sơ" {
		if r == ' ' {
			continue
		}
		if idx, err := boldFont.GlyphIndex(nil, r); err != nil || idx == 0 {
			t.Errorf("bold font lacks %q", r)
		}
		if idx, err := regFont.GlyphIndex(nil, r); err != nil || idx == 0 {
			t.Errorf("regular font lacks %q", r)
		}
	}
}

func TestSeparatorSheetBadInput(t *testing.T) {
	if _, err := SeparatorSheetPNG(50, "x"); !errors.Is(err, ErrBadDPI) {
		t.Errorf("50 dpi: %v", err)
	}
	if _, err := SeparatorSheetPNG(300, string(make([]rune, 65))); !errors.Is(err, ErrBadLabel) {
		t.Errorf("long label: %v", err)
	}
	if _, err := SeparatorSheetPNG(300, "a\nb"); !errors.Is(err, ErrBadLabel) {
		t.Errorf("control character: %v", err)
	}
	if _, err := SeparatorSheetPNG(300, "\xff"); !errors.Is(err, ErrBadLabel) {
		t.Errorf("bad UTF-8: %v", err)
	}
	if _, ok := DetectSeparator(nil); ok {
		t.Error("nil image detected as separator")
	}
	if _, ok := DetectSeparator(image.NewGray(image.Rect(0, 0, 10, 10))); ok {
		t.Error("tiny image detected as separator")
	}
}

func TestDocumentPagesAreNotSeparators(t *testing.T) {
	for i, d := range docs(t) {
		for j, p := range d {
			if label, ok := DetectSeparator(decodeBytes(t, p)); ok {
				t.Errorf("document %d page %d detected as separator %q", i, j, label)
			}
		}
	}
	if _, ok := DetectSeparator(decodeBytes(t, blankPage(t, 200, 1))); ok {
		t.Error("blank page detected as separator")
	}
}

func TestForeignQRCodeIsNotASeparator(t *testing.T) {
	// A page with a QR code of another system (as on a citizen ID card) is kept.
	data, err := SeparatorSheetPNG(200, "x")
	if err != nil {
		t.Fatal(err)
	}
	foreign := foreignQRPage(t)
	if _, ok := DetectSeparator(decodeBytes(t, foreign)); ok {
		t.Error("a page with a foreign QR code was taken for a separator")
	}
	if _, ok := DetectSeparator(decodeBytes(t, data)); !ok {
		t.Error("control: the separator sheet itself was not detected")
	}
}

type stream struct {
	pages    [][]byte
	wantDocs [][]int // indices into pages, per document
}

// run feeds pages to the splitter and groups the kept page indices into documents.
func run(t *testing.T, sp *Splitter, pages [][]byte) (docsOut [][]int, labels []string) {
	t.Helper()
	for i, p := range pages {
		d, err := sp.Next(p)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if d.Drop {
			continue
		}
		if d.NewDocument {
			docsOut = append(docsOut, nil)
			labels = append(labels, d.Label)
		}
		if len(docsOut) == 0 {
			t.Fatalf("page %d kept before any document was started", i)
		}
		docsOut[len(docsOut)-1] = append(docsOut[len(docsOut)-1], i)
	}
	return docsOut, labels
}

func equalDocs(a, b [][]int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func TestFixedAndNone(t *testing.T) {
	d := docs(t)
	var pages [][]byte
	for _, doc := range d {
		pages = append(pages, doc...)
	}
	pages = append(pages, pages...) // at least 6 pages
	got, _ := run(t, NewSplitter(Rule{Kind: KindFixed, PagesPerDocument: 2}), pages)
	var want [][]int
	for i := 0; i < len(pages); i += 2 {
		doc := []int{i}
		if i+1 < len(pages) {
			doc = append(doc, i+1)
		}
		want = append(want, doc)
	}
	if !equalDocs(got, want) {
		t.Errorf("fixed 2: got %v, want %v", got, want)
	}
	got, _ = run(t, NewSplitter(Rule{Kind: KindNone}), pages)
	if len(got) != 1 || len(got[0]) != len(pages) {
		t.Errorf("none: got %v", got)
	}
	got, _ = run(t, NewSplitter(Rule{}), pages[:3])
	if len(got) != 1 || len(got[0]) != 3 {
		t.Errorf("empty kind: got %v", got)
	}
}

func TestBlankSeparators(t *testing.T) {
	d := docs(t)
	var s stream
	add := func(p []byte) int { s.pages = append(s.pages, p); return len(s.pages) - 1 }
	add(blankPage(t, 200, 1)) // a leading separator starts nothing
	for i, doc := range d {
		var idx []int
		for _, p := range doc {
			idx = append(idx, add(p))
		}
		s.wantDocs = append(s.wantDocs, idx)
		add(blankPage(t, 200, uint64(10+i)))
		if i == 0 {
			add(blankPage(t, 200, 99)) // two separators in a row: no empty document
		}
	}
	got, _ := run(t, NewSplitter(Rule{Kind: KindBlank}), s.pages)
	if !equalDocs(got, s.wantDocs) {
		t.Errorf("blank: got %v, want %v", got, s.wantDocs)
	}
}

func TestBlankSeparatorDuplex(t *testing.T) {
	d := docs(t)
	sp := NewSplitter(Rule{Kind: KindBlank})
	// Sheet 1: front with text, blank back (one-sided paper): one document, back kept.
	f, b, err := sp.NextSheet(d[0][0], blankPage(t, 200, 2))
	if err != nil {
		t.Fatal(err)
	}
	if !f.NewDocument || f.Drop || b.NewDocument || b.Drop || !b.Blank {
		t.Errorf("sheet 1: front %+v back %+v", f, b)
	}
	// Sheet 2: both sides blank: a separator, both dropped.
	f, b, err = sp.NextSheet(blankPage(t, 200, 3), blankPage(t, 200, 4))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Drop || !b.Drop {
		t.Errorf("blank sheet not dropped: %+v %+v", f, b)
	}
	// Sheet 3 starts the next document.
	f, b, err = sp.NextSheet(d[1][0], d[2][0])
	if err != nil {
		t.Fatal(err)
	}
	if !f.NewDocument || f.Drop || b.NewDocument || b.Drop {
		t.Errorf("sheet 3: front %+v back %+v", f, b)
	}
}

func TestQRSeparators(t *testing.T) {
	d := docs(t)
	var s stream
	add := func(p []byte) int { s.pages = append(s.pages, p); return len(s.pages) - 1 }
	labels := []string{"HS-001", "HS-002", "HS-003"}
	for i, doc := range d {
		add(scanSheet(t, labels[i], float64(i)-1, 200, 75, uint64(i)))
		if i == 1 {
			add(blankPage(t, 200, 5)) // the blank back of the separator sheet (duplex)
		}
		var idx []int
		for _, p := range doc {
			idx = append(idx, add(p))
		}
		s.wantDocs = append(s.wantDocs, idx)
	}
	got, gotLabels := run(t, NewSplitter(Rule{Kind: KindQR}), s.pages)
	if !equalDocs(got, s.wantDocs) {
		t.Fatalf("qr: got %v, want %v", got, s.wantDocs)
	}
	for i := range labels {
		if gotLabels[i] != labels[i] {
			t.Errorf("document %d label %q, want %q", i, gotLabels[i], labels[i])
		}
	}
	// Duplex: the code on the back side of a sheet also separates, both sides dropped.
	sp := NewSplitter(Rule{Kind: KindQR})
	if f, _, err := sp.NextSheet(d[0][0], d[1][0]); err != nil || !f.NewDocument {
		t.Fatalf("first sheet: %+v %v", f, err)
	}
	f, b, err := sp.NextSheet(blankPage(t, 200, 6), scanSheet(t, "B", 0.5, 200, 80, 9))
	if err != nil || !f.Drop || !b.Drop || f.Label != "B" {
		t.Fatalf("separator sheet: %+v %+v %v", f, b, err)
	}
	if f, _, err := sp.NextSheet(d[2][0], blankPage(t, 200, 7)); err != nil || !f.NewDocument || f.Label != "B" {
		t.Fatalf("sheet after separator: %+v %v", f, err)
	}
}

func TestSplitterErrors(t *testing.T) {
	for _, r := range []Rule{{Kind: "fixed"}, {Kind: "fixed", PagesPerDocument: -1}, {Kind: "barcode"}} {
		if _, err := NewSplitter(r).Next([]byte("x")); !errors.Is(err, ErrBadRule) {
			t.Errorf("rule %+v: %v", r, err)
		}
	}
	sp := NewSplitter(Rule{Kind: KindQR})
	if _, err := sp.Next([]byte("not an image")); err == nil {
		t.Error("undecodable page accepted")
	}
	if _, err := sp.Next(nil); err == nil {
		t.Error("empty page accepted")
	}
	// The failed pages changed nothing: the next real page starts the first document.
	if d, err := sp.Next(docs(t)[0][0]); err != nil || !d.NewDocument {
		t.Errorf("after errors: %+v %v", d, err)
	}
	if _, err := NewSplitter(Rule{Kind: KindBlank}).Next([]byte("garbage")); err == nil {
		t.Error("blank rule accepted garbage")
	}
}

// foreignQRPage is an A4 page at 200 dpi with a large QR code holding some other text.
func foreignQRPage(t *testing.T) []byte {
	t.Helper()
	bm, err := qrcode.NewQRCodeWriter().Encode("https://example.gov.vn/tra-cuu?ma=0001", gozxing.BarcodeFormat_QR_CODE, 0, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(image.Rect(0, 0, 1654, 2339))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	n, m := bm.GetWidth(), 20
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if bm.Get(x, y) {
				draw.Draw(img, image.Rect(300+x*m, 600+y*m, 300+(x+1)*m, 600+(y+1)*m), image.Black, image.Point{}, draw.Src)
			}
		}
	}
	if text := mustDecodeAny(t, img); text == "" {
		t.Fatal("control: the foreign code itself does not decode")
	}
	return encodePNG(t, img)
}

func mustDecodeAny(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return ""
	}
	return res.GetText()
}
