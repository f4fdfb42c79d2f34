package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/qpdfrecord"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

var testLines = [][]string{
	{"Nguyễn", "Văn", "Đức"},
	{"Ủy", "ban", "nhân", "dân"},
	{"Hồ", "Chí", "Minh"},
	{"Lê", "Thị", "Ĩ", "(Giám", "đốc)", "Trần\\Hùng"},
}

const testDPI = 150

// renderPage draws the lines with Noto Sans on a white page (A4 at 150 dpi) and returns
// the gray image and the words' boxes as an OCR engine would report them.
func renderPage(t testing.TB, lines [][]string) (*image.Gray, []Word) {
	t.Helper()
	raw, err := os.ReadFile("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
	if err != nil {
		t.Fatalf("font: %v", err)
	}
	f, err := opentype.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 24, DPI: testDPI, Hinting: font.HintingFull})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	img := image.NewGray(image.Rect(0, 0, 1240, 1754))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.Black, Face: face}
	var words []Word
	y := 200
	for li, line := range lines {
		x := 120
		for _, w := range line {
			d.Dot = fixed.P(x, y)
			b, adv := d.BoundString(w)
			d.DrawString(w)
			words = append(words, Word{Text: w, X0: b.Min.X.Floor(), Y0: b.Min.Y.Floor(), X1: b.Max.X.Ceil(), Y1: b.Max.Y.Ceil(), Conf: 95, Line: li})
			x += adv.Ceil() + 30
		}
		y += 120
	}
	return img, words
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testDocument(t testing.TB) DocumentInput {
	img, words := renderPage(t, testLines)
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	fields, _ := json.Marshal(map[string]string{"ho_ten": "Nguyễn Văn Đức", "noi_sinh": "Hồ Chí Minh"})
	return DocumentInput{
		Title:      "Giấy khai sinh số 12",
		Author:     "Ủy ban nhân dân",
		Subject:    "Hộ tịch",
		Created:    time.Date(2026, 11, 23, 9, 30, 0, 0, time.FixedZone("ICT", 7*3600)),
		Pages:      []PageInput{{Image: encodePNG(t, img), DPI: testDPI, Words: words}, {Image: jb.Bytes(), DPI: testDPI, Words: words}},
		FieldsJSON: fields,
	}
}

func writeTemp(t testing.TB, name string, data []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func TestBuildPDFSearchable(t *testing.T) {
	doc := testDocument(t)
	pdf, stats, err := BuildPDFStats(doc)
	if err != nil {
		t.Fatal(err)
	}
	if stats[0].Encoding != "bilevel-g4" && stats[0].Encoding != "gray-png" && stats[0].Encoding != "gray-flate" && stats[0].Encoding != "gray4-flate" {
		t.Errorf("page 1 encoding %q, want gray or bilevel", stats[0].Encoding)
	}
	if stats[1].Encoding != "jpeg" || stats[1].ImageBytes != len(doc.Pages[1].Image) {
		t.Errorf("page 2: JPEG not kept as-is: %+v (input %d bytes)", stats[1], len(doc.Pages[1].Image))
	}
	t.Logf("PDF %d bytes; pages: %+v", len(pdf), stats)
	path := writeTemp(t, "doc.pdf", pdf)
	if keep := os.Getenv("SIGN_KEEP_PDF"); keep != "" { // for looking at the output by hand
		_ = os.WriteFile(keep, pdf, 0o600)
	}

	run(t, "qpdf", "--check", path)

	// Text in reading order.
	var want []string
	for _, l := range testLines {
		want = append(want, l...)
	}
	for page := 1; page <= 2; page++ {
		txt := run(t, "pdftotext", "-f", strconv.Itoa(page), "-l", strconv.Itoa(page), "-enc", "UTF-8", path, "-")
		if got := strings.Fields(txt); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("page %d pdftotext = %q, want %q", page, got, want)
		}
	}

	// Word boxes within 2 points of the image positions.
	html := run(t, "pdftotext", "-f", "1", "-l", "1", "-bbox", path, "-")
	re := regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)
	m := re.FindAllStringSubmatch(html, -1)
	if len(m) != len(doc.Pages[0].Words) {
		t.Fatalf("bbox: %d words, want %d\n%s", len(m), len(doc.Pages[0].Words), html)
	}
	s := 72.0 / testDPI
	for i, w := range doc.Pages[0].Words {
		exp := []float64{float64(w.X0) * s, float64(w.Y0) * s, float64(w.X1) * s, float64(w.Y1) * s}
		for k := 0; k < 4; k++ {
			got, _ := strconv.ParseFloat(m[i][k+1], 64)
			if math.Abs(got-exp[k]) > 2 {
				t.Errorf("word %d %q coord %d: got %.2f want %.2f", i, w.Text, k, got, exp[k])
			}
		}
	}

	// Metadata.
	info := run(t, "pdfinfo", "-enc", "UTF-8", path)
	for _, s := range []string{"Giấy khai sinh số 12", "Ủy ban nhân dân", "Hộ tịch", "SoHoa", "Pages:           2"} {
		if !strings.Contains(info, s) {
			t.Errorf("pdfinfo lacks %q:\n%s", s, info)
		}
	}

	// The record: in /PieceInfo, so no attachment (PDF/A-2b); attached when asked (PDF/A-3b),
	// where poppler's pdfdetach finds it too.
	if got, err := ReadRecord(context.Background(), pdf); err != nil || !bytes.Equal(got, doc.FieldsJSON) {
		t.Errorf("ReadRecord = %q, %v; want %q", got, err, doc.FieldsJSON)
	}
	if got, err := qpdfrecord.Read(path); err != nil || !bytes.Equal(got, doc.FieldsJSON) { // a third-party reader
		t.Errorf("qpdf reads the record as %q, %v; want %q", got, err, doc.FieldsJSON)
	}
	if l := run(t, "pdfdetach", "-list", path); !strings.Contains(l, "0 embedded files") {
		t.Errorf("pdfdetach -list: %q", l)
	}
	doc.RecordAsAttachment = true
	attached, err := BuildPDF(doc)
	if err != nil {
		t.Fatal(err)
	}
	apath := writeTemp(t, "attached.pdf", attached)
	run(t, "qpdf", "--check", apath)
	dir := t.TempDir()
	run(t, "pdfdetach", "-saveall", "-o", dir, apath)
	got, err := os.ReadFile(filepath.Join(dir, "record.json"))
	if err != nil || !bytes.Equal(got, doc.FieldsJSON) {
		t.Errorf("attachment = %q, %v; want %q", got, err, doc.FieldsJSON)
	}
	if got, err := ReadRecord(context.Background(), attached); err != nil || !bytes.Equal(got, doc.FieldsJSON) {
		t.Errorf("ReadRecord (attached) = %q, %v; want %q", got, err, doc.FieldsJSON)
	}
}

// TestBuildPDFInvisibleText renders the page and checks that only the image shows: the
// rendered page must match the source image (no text drawn on top).
func TestBuildPDFInvisibleText(t *testing.T) {
	img, words := renderPage(t, testLines)
	blank := image.NewGray(img.Bounds())
	draw.Draw(blank, blank.Bounds(), image.White, image.Point{}, draw.Src)
	// A blank image with the words' text layer: a visible text layer would darken it.
	pdf, err := BuildPDF(DocumentInput{Pages: []PageInput{{Image: encodePNG(t, blank), DPI: testDPI, Words: words}}})
	if err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, "blank.pdf", pdf)
	out := filepath.Join(filepath.Dir(path), "r")
	run(t, "pdftoppm", "-r", "50", "-png", "-singlefile", path, out)
	f, err := os.Open(out + ".png")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := r.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if g := color.GrayModel.Convert(r.At(x, y)).(color.Gray).Y; g < 250 {
				t.Fatalf("pixel (%d,%d) = %d: text layer is visible", x, y, g)
			}
		}
	}
	if txt := run(t, "pdftotext", "-enc", "UTF-8", path, "-"); !strings.Contains(txt, "Nguyễn") {
		t.Errorf("text layer missing: %q", txt)
	}
}

func TestBuildPDFErrors(t *testing.T) {
	if _, err := BuildPDF(DocumentInput{}); err != ErrNoPages {
		t.Errorf("no pages: %v", err)
	}
	if _, err := BuildPDF(DocumentInput{Pages: []PageInput{{Image: []byte("not an image")}}}); err == nil || !strings.Contains(err.Error(), "page 1") {
		t.Errorf("bad image: %v", err)
	}
	if _, err := BuildPDF(DocumentInput{Pages: []PageInput{{Image: []byte{0xFF, 0xD8, 0xFF, 0}}}}); err == nil {
		t.Error("truncated JPEG accepted")
	}
}

func execOutput(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// TestBuildPDFImageEncodings checks that bilevel and colour PNG pages are stored losslessly
// and render back with the right pixels.
func TestBuildPDFImageEncodings(t *testing.T) {
	bw := image.NewGray(image.Rect(0, 0, 200, 100))
	rgb := image.NewNRGBA(image.Rect(0, 0, 200, 100))
	for y := 0; y < 100; y++ {
		for x := 0; x < 200; x++ {
			v := uint8(255)
			if x < 100 {
				v = 0
			}
			bw.SetGray(x, y, color.Gray{v})
			rgb.SetNRGBA(x, y, color.NRGBA{R: 255 - v, G: 0, B: v, A: 255}) // left red, right blue
		}
	}
	for _, tc := range []struct {
		img  image.Image
		kind string
		left color.RGBA
	}{
		{bw, "bilevel-g4", color.RGBA{0, 0, 0, 255}},
		{rgb, "rgb-png", color.RGBA{255, 0, 0, 255}},
	} {
		pdf, stats, err := BuildPDFStats(DocumentInput{Pages: []PageInput{{Image: encodePNG(t, tc.img), DPI: 72}}})
		if err != nil {
			t.Fatal(err)
		}
		if stats[0].Encoding != tc.kind && !(tc.kind == "rgb-png" && stats[0].Encoding == "rgb-flate") { // the smaller lossless form
			t.Errorf("encoding %q, want %q", stats[0].Encoding, tc.kind)
		}
		t.Logf("%s: %d image bytes for 200x100", tc.kind, stats[0].ImageBytes)
		path := writeTemp(t, "p.pdf", pdf)
		run(t, "qpdf", "--check", path)
		out := filepath.Join(filepath.Dir(path), "r")
		run(t, "pdftoppm", "-r", "72", "-png", "-singlefile", path, out)
		f, err := os.Open(out + ".png")
		if err != nil {
			t.Fatal(err)
		}
		r, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		lr, lg, lb, _ := r.At(50, 50).RGBA()
		rr, rg, rb, _ := r.At(150, 50).RGBA()
		if uint8(lr>>8) != tc.left.R || uint8(lg>>8) != tc.left.G || uint8(lb>>8) != tc.left.B {
			t.Errorf("%s: left pixel %v %v %v", tc.kind, lr>>8, lg>>8, lb>>8)
		}
		if tc.kind == "bilevel-g4" && (rr>>8 != 255 || rg>>8 != 255 || rb>>8 != 255) {
			t.Errorf("%s: right pixel %v %v %v, want white", tc.kind, rr>>8, rg>>8, rb>>8)
		}
		if tc.kind == "rgb-flate" && (rr>>8 != 0 || rb>>8 != 255) {
			t.Errorf("%s: right pixel %v %v %v, want blue", tc.kind, rr>>8, rg>>8, rb>>8)
		}
	}
}
