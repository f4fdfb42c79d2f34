package sign

import (
	"errors"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseCopyForm(t *testing.T) {
	for in, want := range map[string]string{"SAO Y": CopyFormSaoY, " sao  y ": CopyFormSaoY, "Sao lục": CopyFormSaoLuc, "SAO LUC": CopyFormSaoLuc,
		"trích sao": CopyFormTrichSao, "TRICH SAO": CopyFormTrichSao, "": ""} {
		if got, err := ParseCopyForm(in); err != nil || got != want {
			t.Errorf("ParseCopyForm(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"BẢN SAO", "SAO", "sao y bản chính"} {
		if _, err := ParseCopyForm(in); !errors.Is(err, ErrCopyForm) {
			t.Errorf("ParseCopyForm(%q): %v", in, err)
		}
	}
}

// TestCopyForm: a digitised copy (Decree 30/2020/NĐ-CP) shows the copy form, the
// organisation and the time in ISO 8601 with +07:00 in Liberation Serif (embedded subset,
// 10 pt) at the top right of the first page only; the organisation's signature has no
// image; the file stays PDF/A, signed and searchable.
func TestCopyForm(t *testing.T) {
	doc := testDocument(t)
	org := "Ủy ban nhân dân xã Đông Hòa, tỉnh Đắk Lắk"
	doc.Copy = &CopyStamp{Form: "sao y", Organization: org, Time: time.Date(2026, 12, 4, 2, 30, 5, 0, time.UTC)}
	p := signedPDFA(t, doc)
	path := writeTemp(t, "copy.pdf", p.data)
	run(t, "qpdf", "--check", path)
	if sig := pdfsig(t, p.data); !strings.Contains(sig, "Signature is Valid") {
		t.Fatalf("pdfsig:\n%s", sig)
	}
	fonts := run(t, "pdffonts", path)
	var lib string
	for _, l := range strings.Split(fonts, "\n") {
		if strings.Contains(l, "LiberationSerif") {
			lib = l
		}
	}
	f := strings.Fields(lib)
	if len(f) < 7 || !regexp.MustCompile(`^[A-Z]{6}\+LiberationSerif$`).MatchString(f[0]) || !strings.Contains(lib, "CID TrueType") || f[len(f)-5] != "yes" || f[len(f)-4] != "yes" {
		t.Fatalf("pdffonts (want an embedded LiberationSerif subset):\n%s", fonts)
	}
	// The words with their boxes: at the top right of page 1, 10 pt, in this order.
	bbox := run(t, "pdftotext", "-bbox", "-f", "1", "-l", "2", "-enc", "UTF-8", path, "-")
	pages := strings.Split(bbox, "<page ")
	if len(pages) != 3 {
		t.Fatalf("pages in bbox output: %d", len(pages)-1)
	}
	pw, _ := strconv.ParseFloat(regexp.MustCompile(`width="([0-9.]+)"`).FindStringSubmatch(pages[1])[1], 64)
	word := regexp.MustCompile(`<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>`)
	var top []string
	for _, m := range word.FindAllStringSubmatch(pages[1], -1) {
		x0, _ := strconv.ParseFloat(m[1], 64)
		y0, _ := strconv.ParseFloat(m[2], 64)
		y1, _ := strconv.ParseFloat(m[4], 64)
		if y0 < 90 && x0 > pw/2 {
			top = append(top, m[5])
			if h := y1 - y0; h < 9 || h > 13 {
				t.Errorf("word %q is %.1f pt high, want a 10 pt font", m[5], h)
			}
		}
	}
	want := "SAO Y " + org + " 2026-12-04T09:30:05+07:00"
	if strings.Join(top, " ") != want {
		t.Errorf("top right of page 1: %q, want %q", strings.Join(top, " "), want)
	}
	if strings.Contains(pages[2], "SAO") {
		t.Error("the copy information is on page 2 too")
	}
	// Drawn in black where the page is white.
	out := filepath.Join(t.TempDir(), "r")
	run(t, "pdftoppm", "-r", "72", "-f", "1", "-l", "1", "-gray", "-png", "-singlefile", path, out)
	fh, err := os.Open(out + ".png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(fh)
	fh.Close()
	if err != nil {
		t.Fatal(err)
	}
	dark := 0
	b := img.Bounds()
	for y := 40; y < 80; y++ {
		for x := b.Dx() / 2; x < b.Dx()-40; x++ {
			if color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 100 {
				dark++
			}
		}
	}
	if dark < 200 {
		t.Errorf("only %d dark pixels at the top right", dark)
	}
	for _, bad := range []CopyStamp{{Form: "BẢN SAO", Organization: org, Time: time.Now()}, {Form: "SAO Y", Time: time.Now()}, {Form: "SAO Y", Organization: org}} {
		d := testDocument(t)
		d.Copy = &bad
		if _, err := BuildPDF(d); !errors.Is(err, ErrCopyForm) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
