package ocr

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"sync"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

func TestMain(m *testing.M) {
	MaybeRunWorker()
	os.Exit(m.Run())
}

const fontPath = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"

var (
	fontOnce sync.Once
	fontData *opentype.Font
	fontErr  error
)

// renderLines draws Vietnamese text in black on white, one string per
// line, and returns the image (test pages: no personal data, invented).
func renderLines(t testing.TB, lines []string, size float64) *image.Gray {
	t.Helper()
	fontOnce.Do(func() {
		b, err := os.ReadFile(fontPath)
		if err != nil {
			fontErr = err
			return
		}
		fontData, fontErr = opentype.Parse(b)
	})
	if fontErr != nil {
		t.Fatalf("font: %v", fontErr)
	}
	face, err := opentype.NewFace(fontData, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	lineH := int(size * 1.6)
	width := 0
	for _, l := range lines {
		if w := font.MeasureString(face, l).Ceil(); w > width {
			width = w
		}
	}
	margin := int(size)
	img := image.NewGray(image.Rect(0, 0, width+2*margin, lineH*len(lines)+2*margin))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := &font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: face}
	for i, l := range lines {
		d.Dot = fixed.P(margin, margin+lineH*i+int(size))
		d.DrawString(l)
	}
	return img
}

func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rotateCW turns img clockwise by deg (0, 90, 180, 270).
func rotateCW(img *image.Gray, deg int) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var out *image.Gray
	if deg == 90 || deg == 270 {
		out = image.NewGray(image.Rect(0, 0, h, w))
	} else {
		out = image.NewGray(image.Rect(0, 0, w, h))
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := img.GrayAt(b.Min.X+x, b.Min.Y+y)
			switch deg {
			case 0:
				out.SetGray(x, y, v)
			case 90:
				out.SetGray(h-1-y, x, v)
			case 180:
				out.SetGray(w-1-x, h-1-y, v)
			case 270:
				out.SetGray(y, w-1-x, v)
			}
		}
	}
	return out
}

var sampleLines = []string{
	"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
	"Độc lập - Tự do - Hạnh phúc",
	"Số hồ sơ: 2024/118 ngày 15 tháng 3 năm 2024",
	"Giấy chứng nhận đăng ký hộ tịch",
	"Nơi cấp: Ủy ban nhân dân phường Hòa Bình",
	"Hello World 2024",
}
