package capture

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Limits applied to every imported file. Pages are measured from their headers before any
// pixel is decoded, so an oversized page is refused without allocating its pixels.
const (
	// MaxPixels is the largest page accepted, in pixels (an A3 page at 600 dpi is about 70 MP).
	MaxPixels = 100_000_000
	// MaxSide is the longest accepted page side in pixels (an A1 page at 600 dpi is 19,843 px).
	MaxSide = 20_000
	// MaxPages is the largest number of pages accepted from one multi-page file.
	MaxPages = 2_000
	// MaxFileBytes is the largest file accepted.
	MaxFileBytes = 1 << 30
)

// PageImage is one page of an imported file, validated and ready to store.
type PageImage struct {
	Index         int // 0-based page index within the file
	Width, Height int
	// DPI comes from the file when present (PNG pHYs, JPEG JFIF/EXIF density, TIFF
	// X/YResolution, PDF image size against its size on the page), else 0.
	DPI    int
	Format string // "png" or "jpeg": the encoding of Data
	// Data is what to store: the original bytes of a single PNG or JPEG file (never
	// re-encoded), the embedded JPEG stream of a DCTDecode image in a PDF, otherwise a
	// lossless PNG of the decoded page.
	Data []byte
}

// DecodeErrorKind classifies why a file cannot be imported.
type DecodeErrorKind string

const (
	ErrEmpty         DecodeErrorKind = "empty"          // 0-byte file
	ErrUnknownFormat DecodeErrorKind = "unknown_format" // not PNG, JPEG, TIFF or PDF
	ErrCorrupt       DecodeErrorKind = "corrupt"        // truncated or invalid data
	ErrTooLarge      DecodeErrorKind = "too_large"      // page or file beyond the limits
	ErrUnsupported   DecodeErrorKind = "unsupported"    // valid file using something we cannot import
	ErrNoPages       DecodeErrorKind = "no_pages"       // a container without any page
	ErrNotFound      DecodeErrorKind = "not_found"      // no such file or folder, or it cannot be read
)

// DecodeError says why a file (or one page of it) cannot be imported. Its messages name the
// file by its base name only and carry no content of the file.
type DecodeError struct {
	File string // base name of the file
	Page int    // 0-based page index, -1 for the whole file
	Kind DecodeErrorKind
	Err  error // technical cause (English)
}

func (e *DecodeError) where() string {
	if e.Page < 0 {
		return fmt.Sprintf("%q", e.File)
	}
	return fmt.Sprintf("%q page %d", e.File, e.Page+1)
}

// Error is the English technical message: file, page, what is wrong and the cause.
func (e *DecodeError) Error() string {
	msg := "import " + e.where() + ": " + l10n.T(l10n.En, "capture.decode."+string(e.Kind))
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Localize is the message for the clerk in lang: which file (and page), what is wrong and
// what to do, without the technical cause.
func (e *DecodeError) Localize(lang string) string {
	lang = l10n.Lang(lang)
	where := l10n.T(lang, "capture.decode.where.file", l10n.Args{"File": e.File})
	if e.Page >= 0 {
		where = l10n.T(lang, "capture.decode.where.page", l10n.Args{"File": e.File, "Page": e.Page + 1})
	}
	kind := l10n.T(lang, "capture.decode."+string(e.Kind))
	if f := e.feature(); f != nil {
		return where + ": " + f.Localize(lang) + "."
	}
	if lang == l10n.En {
		return where + ": " + kind + "."
	}
	return where + ": " + kind
}

// feature returns the described unsupported feature behind the error, if any.
func (e *DecodeError) feature() *feature {
	var f *feature
	if errors.As(e.Err, &f) {
		return f
	}
	return nil
}

// feature is the cause of an ErrUnsupported error: a technical English text (Error) and the
// catalogue message a clerk reads (Localize).
type feature struct {
	en   string
	key  string
	args l10n.Args
}

func (f *feature) Error() string { return f.en }

// Localize is the feature's message for the clerk in lang.
func (f *feature) Localize(lang string) string { return l10n.T(lang, f.key, f.args) }

func unsupported(en, key string, args ...l10n.Args) error {
	f := &feature{en: en, key: key}
	if len(args) > 0 {
		f.args = args[0]
	}
	return f
}

// recoverPanics turns a panic inside a decoder into ErrCorrupt. Fuzz tests switch it off
// to find the panics in this package's own code.
var recoverPanics = true

// DecodeFile reads and decodes the file at path: every page, validated, or an error
// (never a partial list).
func DecodeFile(path string) ([]PageImage, error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("import %q: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("import %q: %w", name, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("import %q: is a folder", name)
	}
	if st.Size() > MaxFileBytes {
		return nil, &DecodeError{File: name, Page: -1, Kind: ErrTooLarge,
			Err: fmt.Errorf("file is %d bytes, limit %d", st.Size(), MaxFileBytes)}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("import %q: %w", name, err)
	}
	return Decode(name, data)
}

// Decode decodes a whole file held in memory; name is used only in messages. It returns
// all pages, each fully decoded once to prove it is intact, or an error.
func Decode(name string, data []byte) (pages []PageImage, err error) {
	name = filepath.Base(name)
	if recoverPanics {
		defer func() {
			if r := recover(); r != nil {
				pages = nil
				err = &DecodeError{File: name, Page: -1, Kind: ErrCorrupt,
					Err: fmt.Errorf("decoder failure: %v", r)}
			}
		}()
	}
	fail := func(kind DecodeErrorKind, cause error) ([]PageImage, error) {
		return nil, &DecodeError{File: name, Page: -1, Kind: kind, Err: cause}
	}
	if len(data) == 0 {
		return fail(ErrEmpty, nil)
	}
	if len(data) > MaxFileBytes {
		return fail(ErrTooLarge, fmt.Errorf("file is %d bytes, limit %d", len(data), MaxFileBytes))
	}
	switch format := sniff(data); format {
	case "png":
		pages, err = decodePNG(data)
	case "jpeg":
		pages, err = decodeJPEG(data)
	case "tiff":
		pages, err = decodeTIFF(data)
	case "pdf":
		pages, err = decodePDF(data)
	case "":
		return fail(ErrUnknownFormat, errors.New("content is not PNG, JPEG, TIFF or PDF"))
	default:
		return fail(ErrUnsupported, unsupported(format+" files are not supported",
			"capture.feature.format", l10n.Args{"Format": format}))
	}
	if err != nil {
		var de *DecodeError
		if errors.As(err, &de) {
			de.File = name
			return nil, de
		}
		return fail(ErrCorrupt, err)
	}
	if len(pages) == 0 {
		return fail(ErrNoPages, nil)
	}
	return pages, nil
}

// sniff names the format from the first bytes: "png", "jpeg", "tiff", "pdf", the name of a
// recognised format that cannot be imported, or "" when unknown.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return "jpeg"
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return "tiff"
	case bytes.HasPrefix(b, []byte("II+\x00")), bytes.HasPrefix(b, []byte("MM\x00+")):
		return "BigTIFF"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "GIF"
	case bytes.HasPrefix(b, []byte("BM")) && len(b) > 14 && b[6] == 0 && b[7] == 0 && b[8] == 0 && b[9] == 0:
		return "BMP"
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "WebP"
	case bytes.HasPrefix(b, []byte("\x00\x00\x00\x0cjP  \r\n\x87\n")), bytes.HasPrefix(b, []byte("\xff\x4f\xff\x51")):
		return "JPEG 2000"
	case len(b) >= 12 && string(b[4:8]) == "ftyp" && (string(b[8:12]) == "heic" || string(b[8:12]) == "heix" || string(b[8:12]) == "mif1" || string(b[8:12]) == "avif"):
		return "HEIF/AVIF"
	}
	// The PDF header may follow some junk, within the first 1024 bytes.
	head := b
	if len(head) > 1024 {
		head = head[:1024]
	}
	if bytes.Contains(head, []byte("%PDF-")) {
		return "pdf"
	}
	return ""
}

// pageError builds an error about one page (0-based index).
func pageError(page int, kind DecodeErrorKind, cause error) *DecodeError {
	return &DecodeError{Page: page, Kind: kind, Err: cause}
}

// checkSize refuses empty and oversized pages; page is 0-based or -1.
func checkSize(page, w, h int) error {
	if w <= 0 || h <= 0 {
		return pageError(page, ErrCorrupt, fmt.Errorf("invalid page size %dx%d", w, h))
	}
	if w > MaxSide || h > MaxSide || int64(w)*int64(h) > MaxPixels {
		return pageError(page, ErrTooLarge, fmt.Errorf("page is %dx%d pixels, limit %d per side and %d in total", w, h, MaxSide, MaxPixels))
	}
	return nil
}

// encodePNG encodes a decoded page losslessly, as 1-bit PNG when the page is pure
// black and white in a grey image (fax and lineart scans), which is both smaller and faster.
func encodePNG(img image.Image) ([]byte, error) {
	if g, ok := img.(*image.Gray); ok && isBilevel(g) {
		img = toBilevel(g)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func isBilevel(g *image.Gray) bool {
	b := g.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := g.Pix[(y-b.Min.Y)*g.Stride : (y-b.Min.Y)*g.Stride+b.Dx()]
		for _, v := range row {
			if v != 0 && v != 0xff {
				return false
			}
		}
	}
	return true
}

var bilevelPalette = color.Palette{color.Gray{0}, color.Gray{0xff}}

func toBilevel(g *image.Gray) *image.Paletted {
	b := g.Bounds()
	p := image.NewPaletted(b, bilevelPalette)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		src := g.Pix[(y-b.Min.Y)*g.Stride : (y-b.Min.Y)*g.Stride+b.Dx()]
		dst := p.Pix[(y-b.Min.Y)*p.Stride : (y-b.Min.Y)*p.Stride+b.Dx()]
		for i, v := range src {
			dst[i] = v & 1
		}
	}
	return p
}

// roundDPI converts a resolution to whole dots per inch, 0 when absent or absurd.
func roundDPI(v float64) int {
	if v < 1 || v > 100_000 || v != v {
		return 0
	}
	return int(v + 0.5)
}
