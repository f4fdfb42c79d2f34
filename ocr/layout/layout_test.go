package layout

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/ocr"
)

// page builds Tesseract-like words: each line is a list of (text, x) at one height, words
// 20 px wide per letter; lines numbered in order as Tesseract numbers them.
type lineSpec struct {
	y     int
	words []string
	xs    []int
}

func words(lines []lineSpec) []ocr.Word {
	var out []ocr.Word
	for i, l := range lines {
		for k, w := range l.words {
			x := l.xs[k]
			out = append(out, ocr.Word{Text: w, X0: x, Y0: l.y, X1: x + 20*len([]rune(w)), Y1: l.y + 30, Conf: 95, Block: 1, Par: 1, Line: i + 1})
		}
	}
	return out
}

// spread lays out words one after the other from x0 with 10 px gaps, and other groups
// further right.
func spread(groups ...any) ([]string, []int) {
	var ws []string
	var xs []int
	for i := 0; i < len(groups); i += 2 {
		x := groups[i].(int)
		for _, w := range strings.Fields(groups[i+1].(string)) {
			ws = append(ws, w)
			xs = append(xs, x)
			x += 20*len([]rune(w)) + 10
		}
	}
	return ws, xs
}

func line(y int, groups ...any) lineSpec {
	ws, xs := spread(groups...)
	return lineSpec{y, ws, xs}
}

// TestDecree30Page: Tesseract's lines across both header columns and across the foot are read
// column by column, left first; the number line stays with the agency, the summary under
// it comes after the motto column; the body and a table keep their rows.
func TestDecree30Page(t *testing.T) {
	const w = 1600
	in := words([]lineSpec{
		line(100, 150, "ỦY BAN NHÂN DÂN", 850, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
		line(140, 200, "TỈNH LÀO CAI", 900, "Độc lập - Tự do - Hạnh phúc"),
		line(200, 180, "Số: 12/UBND-KT", 900, "Lào Cai, ngày 6 tháng 4 năm 2026"),
		line(250, 150, "V/v triển khai thực hiện"),
		line(350, 700, "QUYẾT ĐỊNH"),
		line(420, 120, "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2025 và các văn bản"),
		line(460, 100, "hướng dẫn thi hành có liên quan đến việc này của cơ quan có thẩm quyền"),
		line(520, 100, "STT", 400, "Tên thủ tục", 1000, "Thời hạn"),
		line(560, 100, "1", 400, "Cấp giấy phép", 1000, "5 ngày"),
		line(700, 100, "Nơi nhận:", 1000, "KT. CHỦ TỊCH"),
		line(740, 100, "- Như trên;", 1000, "PHÓ CHỦ TỊCH"),
		line(780, 100, "- Lưu: VT, các cơ quan và đơn vị thuộc Ủy ban nhân dân tỉnh Lào Cai"),
		line(860, 1000, "Nguyễn Văn An"),
	})
	p := Analyze(in, w)
	var kinds []string
	for _, b := range p.Blocks {
		kinds = append(kinds, string(b.Kind))
	}
	want := "agency motto column title body table recipients signature"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("blocks %v, want %s", kinds, want)
	}
	text := strings.Join(strings.Fields(p.Text()), " ")
	wantText := "ỦY BAN NHÂN DÂN TỈNH LÀO CAI Số: 12/UBND-KT CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc " +
		"Lào Cai, ngày 6 tháng 4 năm 2026 V/v triển khai thực hiện QUYẾT ĐỊNH Căn cứ Luật"
	if !strings.HasPrefix(text, wantText) {
		t.Errorf("text\n%s\nwant prefix\n%s", text, wantText)
	}
	for _, s := range []string{"STT Tên thủ tục Thời hạn 1 Cấp giấy phép 5 ngày",
		"Nơi nhận: - Như trên; - Lưu: VT, các cơ quan và đơn vị thuộc Ủy ban nhân dân tỉnh Lào Cai KT. CHỦ TỊCH PHÓ CHỦ TỊCH Nguyễn Văn An"} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, text)
		}
	}
	// Blocks carry their boxes, and every word comes out once.
	if b := p.Blocks[0]; b.X0 != 150 || b.Y0 != 100 || b.X1 >= w/2 {
		t.Errorf("agency box %d,%d-%d,%d", b.X0, b.Y0, b.X1, b.Y1)
	}
	if got := len(p.Words()); got != len(in) {
		t.Errorf("%d words out, want %d", got, len(in))
	}
}

// TestPlainPage: a page that is not a Decree 30 document (a form of labels and values) keeps
// Tesseract's row order.
func TestPlainPage(t *testing.T) {
	in := words([]lineSpec{
		line(100, 100, "Họ và tên:", 900, "NGUYỄN VĂN AN"),
		line(140, 100, "Ngày sinh:", 900, "01/02/1990"),
		line(180, 100, "Nơi cư trú: Phường Ba Đình, Thành phố Hà Nội"),
	})
	got := strings.Join(strings.Fields(Analyze(in, 1600).Text()), " ")
	if want := "Họ và tên: NGUYỄN VĂN AN Ngày sinh: 01/02/1990 Nơi cư trú: Phường Ba Đình, Thành phố Hà Nội"; got != want {
		t.Errorf("got %q", got)
	}
	if p := Analyze(nil, 100); len(p.Blocks) != 0 || p.Text() != "" {
		t.Errorf("no words: %+v", p)
	}
}

// TestRemoveInk: red stamp and blue signature pixels become paper, black print (also under the
// stamp) stays, the input is untouched; a grey page or a colour page without ink is returned
// as it is.
func TestRemoveInk(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 200, 100))
	for y := 0; y < 100; y++ {
		for x := 0; x < 200; x++ {
			c := color.RGBA{245, 242, 235, 255} // paper
			switch {
			case x < 50 && y%4 == 0:
				c = color.RGBA{20, 20, 25, 255} // print
			case x >= 50 && x < 120:
				c = color.RGBA{210, 40, 50, 255} // stamp
				if y%4 == 0 {
					c = color.RGBA{60, 10, 15, 255} // print under the stamp
				}
			case x >= 120:
				c = color.RGBA{40, 60, 190, 255} // signature
			}
			img.Set(x, y, c)
		}
	}
	out, ok := RemoveInk(img)
	if !ok {
		t.Fatal("no ink found")
	}
	g := out.(*image.Gray)
	if v := g.GrayAt(10, 0).Y; v > 60 {
		t.Errorf("print became %d", v)
	}
	if v := g.GrayAt(60, 0).Y; v > 60 {
		t.Errorf("print under the stamp became %d", v)
	}
	for _, x := range []int{60, 150} {
		if v := g.GrayAt(x, 1).Y; v != 255 {
			t.Errorf("ink at x=%d became %d, not paper", x, v)
		}
	}
	if img.RGBAAt(60, 1) != (color.RGBA{210, 40, 50, 255}) {
		t.Error("the input was changed")
	}
	grey := image.NewGray(image.Rect(0, 0, 10, 10))
	if o, ok := RemoveInk(grey); ok || o != image.Image(grey) {
		t.Error("a grey page was changed")
	}
	plain := image.NewRGBA(image.Rect(0, 0, 100, 100))
	if _, ok := RemoveInk(plain); ok {
		t.Error("a colour page without ink was changed")
	}
}

func TestRecipientsHeading(t *testing.T) {
	for line, want := range map[string]bool{
		"Nơi nhận:": true, "Noi nhận:": true, "Ni nhận:": true, "NƠI NHẬN :": true, "Nọi nhận: - Như trên;": true,
		"Người nhận thư": false, "nhận: - Như trên": false, "Ủy ban nhận: x": false, "Nơi nhận hồ sơ": false, "": false,
	} {
		if got := recipientsHeading(line); got != want {
			t.Errorf("recipientsHeading(%q) = %v, want %v", line, got, want)
		}
	}
}
