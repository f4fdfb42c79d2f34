package docgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/image/tiff"
	"golang.org/x/text/unicode/norm"
)

func pixels(img image.Image) []byte {
	switch v := img.(type) {
	case *image.Gray:
		return v.Pix
	case *image.RGBA:
		return v.Pix
	}
	panic(fmt.Sprintf("unexpected image type %T", img))
}

func TestGenerateDeterministic(t *testing.T) {
	for _, opts := range []Options{{}, {Clean: true, DPI: 200}} {
		for _, idx := range []int{0, 3} {
			d1, im1, err := Generate(42, idx, opts)
			if err != nil {
				t.Fatal(err)
			}
			d2, im2, err := Generate(42, idx, opts)
			if err != nil {
				t.Fatal(err)
			}
			j1, _ := json.Marshal(d1)
			j2, _ := json.Marshal(d2)
			if !bytes.Equal(j1, j2) {
				t.Fatalf("index %d: ground truth differs between runs", idx)
			}
			if len(im1) != len(im2) || len(im1) != len(d1.Pages) {
				t.Fatalf("index %d: %d/%d images for %d pages", idx, len(im1), len(im2), len(d1.Pages))
			}
			for i := range im1 {
				if !bytes.Equal(pixels(im1[i]), pixels(im2[i])) {
					t.Fatalf("index %d page %d: pixels differ between runs", idx, i)
				}
			}
		}
	}
	// A different seed gives a different document.
	a, _, _ := Generate(1, 0, Options{Clean: true})
	b, _, _ := Generate(2, 0, Options{Clean: true})
	if a.Text == b.Text {
		t.Fatal("seeds 1 and 2 gave the same text")
	}
}

// TestContentIndependentOfOptions: clean and damaged renderings of the same
// (seed, index) carry the same text and fields.
func TestContentIndependentOfOptions(t *testing.T) {
	c, _, err := Generate(5, 2, Options{Clean: true, DPI: 200})
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := Generate(5, 2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Text != d.Text || len(c.Fields) != len(d.Fields) {
		t.Fatalf("clean and damaged content differ")
	}
}

var idRe = regexp.MustCompile(`^(\d{3})(\d)(\d{2})(\d{6})$`)

// checkID verifies the CCCD structure against birth date and gender.
func checkID(t *testing.T, where, id, date, gender string) {
	t.Helper()
	m := idRe.FindStringSubmatch(id)
	if m == nil {
		t.Errorf("%s: personal ID is not 12 digits", where)
		return
	}
	known := false
	for _, p := range provinces {
		known = known || p.code == m[1]
	}
	if !known {
		t.Errorf("%s: unknown province code %s", where, m[1])
	}
	bd, err := time.Parse("02/01/2006", date)
	if err != nil {
		t.Errorf("%s: date %q: %v", where, date, err)
		return
	}
	g, _ := strconv.Atoi(m[2])
	wantG := 0
	if bd.Year() >= 2000 {
		wantG = 2
	}
	if gender == "Nữ" {
		wantG++
	} else if gender != "Nam" {
		t.Errorf("%s: gender %q", where, gender)
	}
	if g != wantG {
		t.Errorf("%s: century/gender digit %d, want %d", where, g, wantG)
	}
	if yy, _ := strconv.Atoi(m[3]); yy != bd.Year()%100 {
		t.Errorf("%s: year digits %s do not match birth year %d", where, m[3], bd.Year())
	}
}

func TestFieldsConsistent(t *testing.T) {
	types := map[string]int{}
	multi, blank, upside, pages := 0, 0, 0, 0
	for i := 0; i < 60; i++ {
		doc, imgs, err := Generate(11, i, Options{DPI: 150})
		if err != nil {
			t.Fatal(err)
		}
		types[doc.Type]++
		if doc.ID != fmt.Sprintf("doc-%04d", i) || doc.TypeName == "" || doc.DPI != 150 {
			t.Fatalf("bad header %s %q %d", doc.ID, doc.TypeName, doc.DPI)
		}
		nonBlank := 0
		for pi, p := range doc.Pages {
			pages++
			if p.Index != pi || p.Width != imgs[pi].Bounds().Dx() || p.Height != imgs[pi].Bounds().Dy() {
				t.Fatalf("%s page %d: index/size mismatch", doc.ID, pi)
			}
			if p.SkewDeg < -3 || p.SkewDeg > 3 || (p.Rotation != 0 && p.Rotation != 180) {
				t.Fatalf("%s page %d: skew %.2f rotation %d", doc.ID, pi, p.SkewDeg, p.Rotation)
			}
			if p.Blank {
				blank++
				if p.Text != "" || len(p.Lines) != 0 {
					t.Fatalf("%s: blank page with text", doc.ID)
				}
				continue
			}
			nonBlank++
			if p.Rotation == 180 {
				upside++
			}
			var lt []string
			for _, l := range p.Lines {
				lt = append(lt, l.Text)
			}
			if strings.Join(lt, "\n") != p.Text || p.Text == "" {
				t.Fatalf("%s page %d: Text is not the lines joined", doc.ID, pi)
			}
			if !norm.NFC.IsNormalString(p.Text) {
				t.Fatalf("%s page %d: text not NFC", doc.ID, pi)
			}
		}
		if nonBlank == 0 {
			t.Fatalf("%s: no content page", doc.ID)
		}
		if nonBlank > 1 {
			multi++
			for _, im := range imgs {
				if _, ok := im.(*image.Gray); !ok {
					t.Fatalf("%s: multi-page image is %T", doc.ID, im)
				}
			}
		}
		f := map[string]Field{}
		for _, fl := range doc.Fields {
			if _, dup := f[fl.Key]; dup {
				t.Fatalf("%s: duplicate field key %s", doc.ID, fl.Key)
			}
			if !regexp.MustCompile(`^[a-z0-9_]+$`).MatchString(fl.Key) || fl.Value == "" || fl.Label == "" {
				t.Fatalf("%s: bad field %q", doc.ID, fl.Key)
			}
			if !strings.Contains(normText(doc.Pages[fl.Page].Text), normText(fl.Value)) {
				t.Fatalf("%s: value of %s not on its page", doc.ID, fl.Key)
			}
			f[fl.Key] = fl
		}
		if f["document_number"].Value == "" || f["issue_date"].Value == "" || f["signer_name"].Value == "" {
			t.Fatalf("%s: missing common fields", doc.ID)
		}
		switch doc.Type {
		case "birth":
			checkID(t, doc.ID, f["personal_id"].Value, f["date_of_birth"].Value, f["gender"].Value)
		case "marriage":
			checkID(t, doc.ID+" husband", f["husband_personal_id"].Value, f["husband_date_of_birth"].Value, "Nam")
			checkID(t, doc.ID+" wife", f["wife_personal_id"].Value, f["wife_date_of_birth"].Value, "Nữ")
		case "household":
			checkID(t, doc.ID, f["personal_id"].Value, f["date_of_birth"].Value, f["gender"].Value)
		case "business":
			checkID(t, doc.ID, f["owner_personal_id"].Value, f["owner_date_of_birth"].Value, f["owner_gender"].Value)
		}
		for n := 1; ; n++ {
			id, ok := f[fmt.Sprintf("member_%d_personal_id", n)]
			if !ok {
				break
			}
			checkID(t, fmt.Sprintf("%s member %d", doc.ID, n), id.Value, f[fmt.Sprintf("member_%d_date_of_birth", n)].Value, f[fmt.Sprintf("member_%d_gender", n)].Value)
		}
	}
	for _, ty := range Types {
		if types[ty] == 0 {
			t.Errorf("no %s document in 60", ty)
		}
	}
	t.Logf("types %v, multi-page %d/60, pages %d, blank %d, upside-down %d", types, multi, pages, blank, upside)
	if multi < 4 || multi > 24 {
		t.Errorf("%d of 60 documents have several pages, want about 1 in 5", multi)
	}
	if blank+upside == 0 {
		t.Errorf("no blank or upside-down page in %d pages", pages)
	}
}

func TestCleanHasNoDamage(t *testing.T) {
	for i := 0; i < 12; i++ {
		doc, _, err := Generate(3, i, Options{Clean: true, DPI: 150})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range doc.Pages {
			if p.Blank || p.Rotation != 0 || p.SkewDeg != 0 {
				t.Fatalf("%s: clean page with damage %+v", doc.ID, p)
			}
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, o := range []Options{{DPI: 20}, {DPI: 5000}, {Format: "gif"}} {
		if _, _, err := Generate(1, 0, o); err == nil {
			t.Errorf("options %+v: no error", o)
		}
	}
	if _, _, err := Generate(1, -1, Options{}); err == nil {
		t.Error("negative index: no error")
	}
	if _, err := WriteSet(t.TempDir(), 1, -2, Options{}); err == nil {
		t.Error("negative count: no error")
	}
}

// darkFraction is the share of pixels in r darker than 128.
func darkFraction(img image.Image, r image.Rectangle) float64 {
	g := asGray(img)
	r = r.Intersect(g.Rect)
	dark, n := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			n++
			if g.Pix[y*g.Stride+x] < 128 {
				dark++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(dark) / float64(n)
}

// TestBoxes: every line and field box holds ink; outside a padded box
// nothing of it remains (the padded box ring is mostly white), and on a
// clean page a cropped field OCRs to its value.
func TestBoxes(t *testing.T) {
	doc, imgs, err := Generate(9, 1, Options{Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range doc.Pages {
		for _, l := range p.Lines {
			if darkFraction(imgs[p.Index], l.Box.Rect()) < 0.02 {
				t.Errorf("line %q: box %v has no ink", l.Text, l.Box)
			}
		}
	}
	checked := 0
	for _, f := range doc.Fields {
		r := f.Box.Rect()
		if darkFraction(imgs[f.Page], r) < 0.02 {
			t.Errorf("field %s: box has no ink", f.Key)
		}
		// A thin band just outside the box must be (nearly) blank: the box is tight.
		for _, band := range []image.Rectangle{
			image.Rect(r.Min.X-6, r.Min.Y, r.Min.X-2, r.Max.Y),
			image.Rect(r.Max.X+2, r.Min.Y, r.Max.X+6, r.Max.Y),
		} {
			if darkFraction(imgs[f.Page], band) > 0.15 {
				t.Errorf("field %s: ink just outside its box %v", f.Key, band)
			}
		}
		switch f.Key {
		case "full_name", "personal_id", "date_of_birth", "document_number", "signer_name",
			"husband_full_name", "wife_personal_id", "business_code", "owner_full_name", "member_1_personal_id":
			got := ocrCrop(t, imgs[f.Page], r)
			if c := CER(f.Value, got); c > 0.1 {
				t.Errorf("field %s: crop OCR gave %d chars off (CER %.2f)", f.Key, levenshtein([]rune(f.Value), []rune(normText(got))), c)
			}
			checked++
		}
	}
	if checked < 3 {
		t.Fatalf("only %d fields OCR-checked", checked)
	}
	// Damaged pages: boxes still cover ink after skew and rotation.
	for _, idx := range []int{0, 1, 2, 3, 4, 5} {
		doc, imgs, err := Generate(9, idx, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range doc.Fields {
			if darkFraction(imgs[f.Page], f.Box.Rect()) < 0.01 {
				t.Errorf("%s damaged field %s: box has no ink", doc.ID, f.Key)
			}
		}
	}
}

// TestUpsideDownBoxes finds an upside-down page and checks its boxes.
func TestUpsideDownBoxes(t *testing.T) {
	for i := 0; i < 200; i++ {
		doc, imgs, err := Generate(1, i, Options{DPI: 150})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range doc.Pages {
			if p.Rotation != 180 {
				continue
			}
			for _, l := range p.Lines {
				if darkFraction(imgs[p.Index], l.Box.Rect()) < 0.01 {
					t.Errorf("%s page %d line %q: box has no ink", doc.ID, p.Index, l.Text)
				}
			}
			// The first line (the header) is now near the bottom.
			if p.Lines[0].Box.Y0 < p.Height/2 {
				t.Errorf("%s: first line box %v not in the lower half", doc.ID, p.Lines[0].Box)
			}
			return
		}
	}
	t.Fatal("no upside-down page in 200 documents")
}

func ocrCrop(t *testing.T, img image.Image, r image.Rectangle) string {
	r = r.Inset(-12).Intersect(img.Bounds())
	g := asGray(img)
	crop := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		copy(crop.Pix[y*crop.Stride:y*crop.Stride+r.Dx()], g.Pix[(r.Min.Y+y)*g.Stride+r.Min.X:])
	}
	return tesseractText(t, crop, "--psm", "7")
}

func TestWriteSetAndTIFF(t *testing.T) {
	dir := t.TempDir()
	docs, err := WriteSet(dir, 7, 5, Options{DPI: 200})
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Count != 5 || len(m.Documents) != 5 {
		t.Fatalf("manifest lists %d documents", len(m.Documents))
	}
	sawTIFF := false
	for i, e := range m.Documents {
		var d Document
		b, err := os.ReadFile(filepath.Join(dir, e.Truth))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		if d.ID != docs[i].ID || d.Text != docs[i].Text || !strings.Contains(string(b), `"type_name"`) || !strings.Contains(string(b), `"skew_deg"`) {
			t.Fatalf("%s: JSON ground truth does not match", e.ID)
		}
		_, want, _ := Generate(7, i, Options{DPI: 200})
		path := filepath.Join(dir, e.Image)
		if strings.HasSuffix(e.Image, ".tif") {
			sawTIFF = true
			checkTIFF(t, path, want, 200)
			continue
		}
		if !strings.HasSuffix(e.Image, ".png") || len(want) != 1 {
			t.Fatalf("%s: single page stored as %s", e.ID, e.Image)
		}
		f, _ := os.Open(path)
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(pixels(asRGBA(img)), pixels(want[0])) {
			t.Fatalf("%s: PNG pixels differ from Generate", e.ID)
		}
	}
	if !sawTIFF {
		// seed 7 has a two-page document among the first five; keep it so.
		t.Fatal("no multi-page TIFF in the set")
	}
	// The same document comes out whatever the set size.
	one, err := WriteSet(t.TempDir(), 7, 2, Options{DPI: 200})
	if err != nil {
		t.Fatal(err)
	}
	if one[1].Text != docs[1].Text {
		t.Fatal("document 1 differs between set sizes")
	}
}

func asRGBA(img image.Image) *image.RGBA {
	if v, ok := img.(*image.RGBA); ok {
		return v
	}
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			out.Set(x, y, img.At(x, y))
		}
	}
	return out
}

// checkTIFF inspects a multi-page TIFF with libtiff's tiffinfo and splits it
// with tiffsplit, decoding every page and comparing pixels.
func checkTIFF(t *testing.T, path string, want []image.Image, dpi int) {
	t.Helper()
	out, err := exec.Command("tiffinfo", path).CombinedOutput()
	if err != nil {
		t.Fatalf("tiffinfo: %v: %s", err, out)
	}
	info := string(out)
	if n := strings.Count(info, "TIFF Directory at offset"); n != len(want) {
		t.Fatalf("tiffinfo lists %d directories, want %d:\n%s", n, len(want), info)
	}
	for _, s := range []string{"Bits/Sample: 8", "Compression Scheme: AdobeDeflate", "Photometric Interpretation: min-is-black",
		fmt.Sprintf("Resolution: %d, %d pixels/inch", dpi, dpi)} {
		if !strings.Contains(info, s) {
			t.Fatalf("tiffinfo output lacks %q:\n%s", s, info)
		}
	}
	if strings.Contains(strings.ToLower(info), "error") || strings.Contains(strings.ToLower(info), "warning") {
		t.Fatalf("tiffinfo reports problems:\n%s", info)
	}
	dir := t.TempDir()
	if out, err := exec.Command("tiffsplit", path, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("tiffsplit: %v: %s", err, out)
	}
	parts, _ := filepath.Glob(filepath.Join(dir, "p*.tif"))
	if len(parts) != len(want) {
		t.Fatalf("tiffsplit gave %d pages, want %d", len(parts), len(want))
	}
	for i, p := range parts {
		f, _ := os.Open(p)
		img, err := tiff.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("decode page %d: %v", i, err)
		}
		g, ok := img.(*image.Gray)
		if !ok {
			t.Fatalf("page %d decodes as %T", i, img)
		}
		if !bytes.Equal(g.Pix, pixels(want[i])) {
			t.Fatalf("page %d pixels differ after TIFF round trip", i)
		}
	}
}

func TestWriteTIFFUncompressed(t *testing.T) {
	pages := []image.Image{image.NewGray(image.Rect(0, 0, 33, 70)), image.NewGray(image.Rect(0, 0, 10, 5))}
	for i := range pages[0].(*image.Gray).Pix {
		pages[0].(*image.Gray).Pix[i] = uint8(i * 7)
	}
	var buf bytes.Buffer
	if err := writeTIFF(&buf, pages, 250, false); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "u.tif")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("tiffinfo", p).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Compression Scheme: None") || strings.Count(string(out), "TIFF Directory") != 2 {
		t.Fatalf("tiffinfo: %v\n%s", err, out)
	}
	img, err := tiff.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil || !bytes.Equal(img.(*image.Gray).Pix, pages[0].(*image.Gray).Pix) {
		t.Fatalf("first page round trip: %v", err)
	}
	if err := WriteTIFF(&buf, nil, 300); err == nil {
		t.Fatal("no error for zero pages")
	}
}

func TestCER(t *testing.T) {
	cases := []struct {
		truth, got string
		want       float64
	}{
		{"abc", "abc", 0},
		{"a  b\nc", "a b c", 0},
		{"abcd", "abed", 0.25},
		{"", "", 0},
		{"", "x", 1},
		{"Việt", "Vie\u0323\u0302t", 0}, // NFD input is normalised
		{"ab", "", 1},
	}
	for _, c := range cases {
		if got := CER(c.truth, c.got); got != c.want {
			t.Errorf("CER(%q, %q) = %v, want %v", c.truth, c.got, got, c.want)
		}
	}
}

func BenchmarkGeneratePage300(b *testing.B) {
	for i := 0; i < b.N; i++ {
		doc, _, err := Generate(1, 2, Options{}) // single page, damaged
		if err != nil || len(doc.Pages) != 1 {
			b.Fatal(err, len(doc.Pages))
		}
	}
}

func BenchmarkWriteSet10(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := WriteSet(b.TempDir(), 1, 10, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// Long names in a member table used to make the table too wide for the page (seed 7, doc 63).
func TestWideTableFits(t *testing.T) {
	if _, _, err := Generate(7, 63, Options{DPI: 200, Clean: true}); err != nil {
		t.Fatal(err)
	}
}
