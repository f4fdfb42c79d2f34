package separate

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"github.com/sohoa/sohoa/assets"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Prefix starts the text of every separator QR code; the label follows it.
const Prefix = "SOHOA-SEP:v1:"

// MaxLabelRunes is the longest label a separator sheet can carry.
const MaxLabelRunes = 64

// ErrBadLabel is returned for a label SeparatorSheetPNG cannot print.
var ErrBadLabel = l10n.New("separate.badLabel")

// ErrBadDPI is returned for a resolution outside 100..600 dpi.
var ErrBadDPI = l10n.New("separate.badDPI")

// CheckLabel reports whether a label can be printed on a separator sheet: at most
// MaxLabelRunes characters, valid UTF-8, no control characters.
func CheckLabel(label string) error {
	if !utf8.ValidString(label) {
		return fmt.Errorf("%w: not UTF-8", ErrBadLabel)
	}
	if n := utf8.RuneCountInString(label); n > MaxLabelRunes {
		return fmt.Errorf("%w: %d characters, at most %d", ErrBadLabel, n, MaxLabelRunes)
	}
	for _, r := range label {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: control character", ErrBadLabel)
		}
	}
	return nil
}

// qrSideMM is the printed side of the QR code: large enough to survive 100 dpi scans,
// fax-grade noise and a few degrees of skew.
const qrSideMM = 90

// SeparatorSheetPNG renders an A4 separator sheet at dpi as a grayscale PNG: a large QR code
// holding Prefix+label, with Vietnamese and English instructions and the label in plain text.
func SeparatorSheetPNG(dpi int, label string) ([]byte, error) {
	if dpi < 100 || dpi > 600 {
		return nil, fmt.Errorf("%w: %d", ErrBadDPI, dpi)
	}
	if err := CheckLabel(label); err != nil {
		return nil, err
	}
	mm := func(v float64) int { return int(v*float64(dpi)/25.4 + 0.5) }
	w, h := mm(210), mm(297)
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}

	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: decoder.ErrorCorrectionLevel_M,
		gozxing.EncodeHintType_MARGIN:           0,
		gozxing.EncodeHintType_CHARACTER_SET:    "UTF-8",
	}
	bm, err := qrcode.NewQRCodeWriter().Encode(Prefix+label, gozxing.BarcodeFormat_QR_CODE, 0, 0, hints)
	if err != nil {
		return nil, fmt.Errorf("separator QR code: %w", err)
	}
	n := bm.GetWidth()
	module := mm(qrSideMM) / n
	if module < 2 {
		module = 2
	}
	side := module * n
	x0, y0 := (w-side)/2, mm(80)
	for my := 0; my < n; my++ {
		for mx := 0; mx < n; mx++ {
			if !bm.Get(mx, my) {
				continue
			}
			r := image.Rect(x0+mx*module, y0+my*module, x0+(mx+1)*module, y0+(my+1)*module)
			draw.Draw(img, r, image.Black, image.Point{}, draw.Src)
		}
	}

	faces, err := sheetFaces(dpi)
	if err != nil {
		return nil, err
	}
	centre := func(f font.Face, y int, s string) {
		d := font.Drawer{Dst: img, Src: image.Black, Face: f}
		adv := d.MeasureString(s)
		d.Dot = fixed.Point26_6{X: fixed.I(w/2) - adv/2, Y: fixed.I(y)}
		d.DrawString(s)
	}
	centre(faces.title, mm(38), "TỜ PHÂN TÁCH HỒ SƠ")
	centre(faces.text, mm(52), "Đặt trước mỗi hồ sơ — không lưu tờ này")
	centre(faces.small, mm(62), "Record separator sheet — place before each record; it is not stored")
	if label != "" {
		centre(faces.text, y0+side+mm(18), "Nhãn / Label: "+label)
	}
	centre(faces.small, h-mm(20), "SoHoa · "+strings.TrimSuffix(Prefix, ":"))

	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func bundledFont(name string) (*opentype.Font, error) {
	data, err := fs.ReadFile(assets.FS(), name)
	if err != nil {
		return nil, err
	}
	return opentype.Parse(data)
}

type faceSet struct{ title, text, small font.Face }

var (
	fontOnce          sync.Once
	boldFont, regFont *opentype.Font
	fontErr           error
)

// sheetFaces uses the Noto Sans faces bundled in assets/fonts (they cover Vietnamese), so the
// sheet renders the same on every workstation without system fonts.
func sheetFaces(dpi int) (faceSet, error) {
	fontOnce.Do(func() {
		boldFont, fontErr = bundledFont("fonts/NotoSans-Bold.ttf")
		if fontErr == nil {
			regFont, fontErr = bundledFont("fonts/NotoSans-Regular.ttf")
		}
	})
	if fontErr != nil {
		return faceSet{}, fmt.Errorf("separator sheet font: %w", fontErr)
	}
	mk := func(f *opentype.Font, pt float64) (font.Face, error) {
		return opentype.NewFace(f, &opentype.FaceOptions{Size: pt, DPI: float64(dpi), Hinting: font.HintingNone})
	}
	var fs faceSet
	var err error
	if fs.title, err = mk(boldFont, 30); err != nil {
		return fs, err
	}
	if fs.text, err = mk(regFont, 16); err != nil {
		return fs, err
	}
	fs.small, err = mk(regFont, 10)
	return fs, err
}

// detectMaxSide is the longest side the page is reduced to before looking for the code:
// an A4 page becomes about 85 dpi, where a module of the 90 mm code is still ~8 px wide.
const detectMaxSide = 1000

// DetectSeparator looks for a separator QR code on a scanned page and returns its label.
// It accepts any resolution, a few degrees of skew, JPEG artefacts and scanner noise. A page
// carrying some other QR code (many Vietnamese papers do) is not a separator.
func DetectSeparator(img image.Image) (label string, ok bool) {
	defer func() {
		if recover() != nil { // the decoder is a port of ZXing: never let a bad page crash a scan
			label, ok = "", false
		}
	}()
	if img == nil {
		return "", false
	}
	b := img.Bounds()
	if b.Dx() < 64 || b.Dy() < 64 {
		return "", false
	}
	return detectAt(img, detectMaxSide)
}

func detectAt(img image.Image, maxSide int) (string, bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if s := max(w, h); s > maxSide {
		w, h = w*maxSide/s, h*maxSide/s
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(g, g.Rect, img, b.Min, draw.Src)
	} else {
		draw.ApproxBiLinear.Scale(g, g.Rect, img, b, draw.Src, nil)
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewHybridBinarizer(gozxing.NewLuminanceSourceFromImage(g)))
	if err != nil {
		return "", false
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		return "", false
	}
	text, found := strings.CutPrefix(res.GetText(), Prefix)
	if !found || CheckLabel(text) != nil {
		return "", false
	}
	return text, true
}
