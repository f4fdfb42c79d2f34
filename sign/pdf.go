package sign

import (
	"bytes"
	"compress/zlib"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	_ "golang.org/x/image/tiff" // TIFF pages from scanners

	"github.com/sohoa/sohoa/internal/l10n"
)

// TessdataDir is where Tesseract's data lives; its pdf.ttf (GlyphLessFont: one empty glyph,
// the font Tesseract's own PDF renderer uses for invisible text) is embedded in every PDF.
var TessdataDir = "/usr/share/tesseract-ocr/5/tessdata"

var (
	fontOnce      sync.Once
	glyphlessFont []byte
	fontErr       error
)

// loadGlyphless reads pdf.ttf from TessdataDir (Debian's tesseract-ocr package ships it).
func loadGlyphless() ([]byte, error) {
	fontOnce.Do(func() {
		glyphlessFont, fontErr = os.ReadFile(filepath.Join(TessdataDir, "pdf.ttf"))
		if fontErr != nil {
			fontErr = fmt.Errorf("sign: the text-layer font pdf.ttf from Tesseract's data is missing (install tesseract-ocr): %w", fontErr)
		}
	})
	return glyphlessFont, fontErr
}

// Word is one OCR word with its box in image pixels (top-left origin). It mirrors
// queue.Word field for field, so a queue.Word converts with sign.Word(w).
type Word struct {
	Text  string  `json:"t"`
	X0    int     `json:"x0"`
	Y0    int     `json:"y0"`
	X1    int     `json:"x1"`
	Y1    int     `json:"y1"`
	Conf  float64 `json:"c"`
	Block int     `json:"b,omitempty"`
	Par   int     `json:"p,omitempty"`
	Line  int     `json:"l,omitempty"`
}

// PageInput is one scanned page: the encoded image (JPEG is embedded as it is; PNG, TIFF
// and others are re-encoded losslessly) and the stored OCR words in reading order.
type PageInput struct {
	Image []byte
	DPI   int // pixels per inch of Image; 0 means 300
	Words []Word
	// Lossless keeps the page's pixels exactly: no 16-level grey (gray4IfLegible) and no JPEG
	// re-encoding of noisy pages. JPEG input is stored as it is either way.
	Lossless bool
}

// DocumentInput is everything BuildPDF needs for one document.
type DocumentInput struct {
	Title, Author, Subject, Keywords string
	Creator, Producer                string // defaults "SoHoa"
	Created                          time.Time
	Lang                             string // BCP 47, default "vi-VN"
	Pages                            []PageInput
	// FieldsJSON is the record's fields as JSON. It is carried as the application's private
	// data in the catalog's page-piece dictionary (ISO 32000-1 14.5: /PieceInfo /SoHoa
	// /Private, a Flate stream), which PDF/A-2 allows, so the document stays PDF/A-2b.
	// Empty means no record.
	FieldsJSON []byte
	// RecordAsAttachment embeds FieldsJSON as an associated file (AF) named AttachmentName
	// (default "record.json") instead, as Factur-X/ZUGFeRD do: a viewer lists it among the
	// attachments, but PDF/A-2 allows only PDF/A files as embedded files, so the document is
	// PDF/A-3b. ReadRecord reads either.
	RecordAsAttachment bool
	AttachmentName     string
	// Metadata is descriptive metadata (the archive's fields, Circular 05/2025/TT-BNV)
	// written into the XMP as properties of ArchiveNS (prefix "sohoa"), described by a PDF/A
	// extension schema. Keys are XML names (ASCII letters, digits, '_', '-', '.'; not
	// starting with a digit, '-' or '.'); values any text.
	Metadata map[string]string
	// Copy, when set, draws the copy information of a digitised copy (Decree 30/2020/NĐ-CP)
	// at the top right of the first page.
	Copy *CopyStamp
}

// PageStats tells how big each page's image became inside the PDF.
type PageStats struct {
	ImageBytes int    // bytes of the image stream
	Encoding   string // "jpeg" (kept as is), "bilevel-g4" (CCITT G4), "gray-png", "rgb-png" (PNG data kept as is), "gray-flate", "rgb-flate", "gray-jpeg", "rgb-jpeg" (noisy pages, JPEGQuality), "gray4-flate" (grey text pages at 16 grey levels, see gray4IfLegible)
}

// Errors from BuildPDF.
var (
	ErrNoPages  = l10n.New("sign.noPages")
	ErrBadImage = l10n.New("sign.badImage")
)

// BuildPDF assembles one searchable PDF for a document.
func BuildPDF(doc DocumentInput) ([]byte, error) {
	out, _, err := BuildPDFStats(doc)
	return out, err
}

// BuildPDFStats is BuildPDF that also reports the size of each page image.
func BuildPDFStats(doc DocumentInput) ([]byte, []PageStats, error) {
	if len(doc.Pages) == 0 {
		return nil, nil, ErrNoPages
	}
	for k := range doc.Metadata {
		if !validXMPName(k) {
			return nil, nil, ErrBadMetadata
		}
	}
	if doc.Copy != nil {
		form, err := ParseCopyForm(doc.Copy.Form)
		if err != nil || form == "" || strings.TrimSpace(doc.Copy.Organization) == "" || doc.Copy.Time.IsZero() {
			return nil, nil, ErrCopyForm
		}
		c := *doc.Copy
		c.Form = form
		doc.Copy = &c
	}
	glyphlessFont, err := loadGlyphless()
	if err != nil {
		return nil, nil, err
	}
	w := newPDFWriter()
	// Fixed objects.
	catalog := w.alloc()
	pages := w.alloc()
	font := w.alloc()
	cidFont := w.alloc()
	fontDesc := w.alloc()
	fontFile := w.alloc()
	toUni := w.alloc()
	cidToGID := w.alloc()
	info := w.alloc()

	// CIDs: 1..n in order of first use; CID 0 stays .notdef.
	cids := map[rune]int{}
	var runes []rune
	for _, p := range doc.Pages {
		for _, wd := range p.Words {
			for _, r := range wd.Text {
				if _, ok := cids[r]; !ok {
					runes = append(runes, r)
					cids[r] = len(runes)
				}
			}
		}
	}

	var pageRefs []int
	var stats []PageStats
	var copyTxt *copyText
	copyFontObj := 0
	for i, p := range doc.Pages {
		img, err := encodeImage(p.Image, p.Lossless)
		if err != nil {
			return nil, nil, fmt.Errorf("page %d: %w", i+1, err)
		}
		stats = append(stats, PageStats{ImageBytes: len(img.data), Encoding: img.kind})
		dpi := p.DPI
		if dpi <= 0 {
			dpi = 300
		}
		s := 72 / float64(dpi) // points per pixel
		pw, ph := float64(img.w)*s, float64(img.h)*s

		imgObj := w.alloc()
		w.stream(imgObj, img.dict, img.data)

		var c bytes.Buffer
		fmt.Fprintf(&c, "q %s 0 0 %s 0 0 cm /Im0 Do Q\n", num(pw), num(ph))
		writeTextLayer(&c, p.Words, cids, s, ph)
		fonts := fmt.Sprintf("/F1 %d 0 R", font)
		if i == 0 && doc.Copy != nil {
			if copyTxt, err = layoutCopy(*doc.Copy, pw, ph); err != nil {
				return nil, nil, err
			}
			c.Write(copyTxt.content)
			copyFontObj = w.alloc()
			fonts += fmt.Sprintf(" /F2 %d 0 R", copyFontObj)
		}
		content := w.alloc()
		w.flateStream(content, "", c.Bytes())

		page := w.alloc()
		w.obj(page, fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /Resources << /XObject << /Im0 %d 0 R >> /Font << %s >> /ProcSet [/PDF /Text /ImageB /ImageC /ImageI] >> /Contents %d 0 R >>",
			pages, num(pw), num(ph), imgObj, fonts, content))
		pageRefs = append(pageRefs, page)
	}

	var kids strings.Builder
	for _, r := range pageRefs {
		fmt.Fprintf(&kids, "%d 0 R ", r)
	}
	w.obj(pages, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.TrimSpace(kids.String()), len(pageRefs)))

	// Font: Type0 / CIDFontType2 GlyphLessFont with Identity-H, as Tesseract does.
	w.obj(font, fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /GlyphLessFont /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>", cidFont, toUni))
	w.obj(cidFont, fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /GlyphLessFont /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 500 /CIDToGIDMap %d 0 R >>", fontDesc, cidToGID))
	w.obj(fontDesc, fmt.Sprintf("<< /Type /FontDescriptor /FontName /GlyphLessFont /Flags 5 /FontBBox [0 0 500 1000] /ItalicAngle 0 /Ascent 1000 /Descent -1 /CapHeight 1000 /StemV 80 /FontFile2 %d 0 R >>", fontFile))
	w.flateStream(fontFile, fmt.Sprintf("/Length1 %d", len(glyphlessFont)), glyphlessFont)
	gidMap := make([]byte, 2*(len(runes)+1))
	for i := 1; i <= len(runes); i++ {
		gidMap[2*i+1] = 1
	}
	w.flateStream(cidToGID, "", gidMap)
	w.flateStream(toUni, "", toUnicodeCMap(runes))
	if copyTxt != nil {
		copyTxt.writeFont(w, copyFontObj)
	}

	// Document information.
	created := doc.Created
	if created.IsZero() {
		created = time.Now()
	}
	creator, producer := doc.Creator, doc.Producer
	if creator == "" {
		creator = "SoHoa"
	}
	if producer == "" {
		producer = "SoHoa"
	}
	var inf strings.Builder
	inf.WriteString("<<")
	for _, kv := range [][2]string{{"Title", doc.Title}, {"Author", doc.Author}, {"Subject", doc.Subject}, {"Keywords", doc.Keywords}, {"Creator", creator}, {"Producer", producer}} {
		if kv[1] != "" {
			fmt.Fprintf(&inf, " /%s %s", kv[0], textString(kv[1]))
		}
	}
	fmt.Fprintf(&inf, " /CreationDate (%s) /ModDate (%s) >>", pdfDate(created), pdfDate(created))
	w.obj(info, inf.String())

	lang := doc.Lang
	if lang == "" {
		lang = "vi-VN"
	}
	// PDF/A: XMP metadata matching /Info, and the sRGB output intent.
	part := 2
	if len(doc.FieldsJSON) > 0 && doc.RecordAsAttachment {
		part = 3 // an attached JSON file: PDF/A-3 (PDF/A-2 embeds only PDF/A files)
	}
	meta := w.alloc()
	w.stream(meta, "/Type /Metadata /Subtype /XML", xmpPacket(xmpInfo{Title: doc.Title, Author: doc.Author, Subject: doc.Subject,
		Keywords: doc.Keywords, Creator: creator, Producer: producer, Created: created, Lang: lang, Part: part, Metadata: doc.Metadata}))
	icc := w.alloc()
	w.flateStream(icc, "/N 3", srgbProfile())
	intent := w.alloc()
	w.obj(intent, fmt.Sprintf("<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1) /Info (sRGB IEC61966-2.1) /RegistryName (http://www.color.org) /DestOutputProfile %d 0 R >>", icc))
	cat := fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R /Lang %s /ViewerPreferences << /DisplayDocTitle true >> /Metadata %d 0 R /OutputIntents [%d 0 R]", pages, textString(lang), meta, intent)
	if len(doc.FieldsJSON) > 0 && !doc.RecordAsAttachment {
		// The page-piece dictionary's /LastModified, like /Info's /ModDate that PieceInfo
		// requires (14.5), is the creation time: nothing modifies the document after.
		rec := w.alloc()
		w.flateStream(rec, "/Subtype /application#2Fjson", doc.FieldsJSON)
		cat += fmt.Sprintf(" /PieceInfo << /%s << /LastModified (%s) /Private %d 0 R >> >>", RecordPiece, pdfDate(created), rec)
	}
	if len(doc.FieldsJSON) > 0 && doc.RecordAsAttachment {
		name := doc.AttachmentName
		if name == "" {
			name = RecordAttachment
		}
		ef := w.alloc()
		sum := md5.Sum(doc.FieldsJSON)
		w.flateStream(ef, fmt.Sprintf("/Type /EmbeddedFile /Subtype /application#2Fjson /Params << /Size %d /ModDate (%s) /CheckSum <%X> >>", len(doc.FieldsJSON), pdfDate(created), sum[:]), doc.FieldsJSON)
		fs := w.alloc()
		w.obj(fs, fmt.Sprintf("<< /Type /Filespec /F %s /UF %s /Desc %s /AFRelationship /Data /EF << /F %d 0 R /UF %d 0 R >> >>",
			textString(asciiName(name)), textString(name), textString("Record fields (JSON)"), ef, ef))
		cat += fmt.Sprintf(" /Names << /EmbeddedFiles << /Names [%s %d 0 R] >> >> /AF [%d 0 R]", textString(name), fs, fs)
	}
	cat += " >>"
	w.obj(catalog, cat)
	return w.finish(catalog, info), stats, nil
}

// writeTextLayer writes each word in text render mode 3 (invisible), its font size the
// box height and its horizontal scale (Tz) chosen so the word spans its box.
func writeTextLayer(c *bytes.Buffer, words []Word, cids map[rune]int, s, ph float64) {
	started := false
	for _, wd := range words {
		n := len([]rune(wd.Text))
		if n == 0 || wd.X1 <= wd.X0 || wd.Y1 <= wd.Y0 {
			continue
		}
		if !started {
			c.WriteString("BT\n3 Tr\n")
			started = true
		}
		fs := float64(wd.Y1-wd.Y0) * s
		width := float64(wd.X1-wd.X0) * s
		tz := 100 * width / (float64(n) * 0.5 * fs)
		x := float64(wd.X0) * s
		y := ph - float64(wd.Y1)*s
		fmt.Fprintf(c, "/F1 %s Tf %s Tz 1 0 0 1 %s %s Tm <", num(fs), num(tz), num(x), num(y))
		for _, r := range wd.Text {
			fmt.Fprintf(c, "%04X", cids[r])
		}
		c.WriteString("> Tj\n")
	}
	if started {
		c.WriteString("ET\n")
	}
}

func toUnicodeCMap(runes []rune) []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for i := 0; i < len(runes); i += 100 {
		end := min(i+100, len(runes))
		fmt.Fprintf(&b, "%d beginbfchar\n", end-i)
		for j := i; j < end; j++ {
			fmt.Fprintf(&b, "<%04X> <", j+1)
			for _, u := range utf16.Encode([]rune{runes[j]}) {
				fmt.Fprintf(&b, "%04X", u)
			}
			b.WriteString(">\n")
		}
		b.WriteString("endbfchar\n")
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}

type pageImage struct {
	w, h int
	kind string
	dict string // stream dictionary entries other than /Length
	data []byte
}

func encodePageImage(data []byte) (pageImage, error) { return encodeImage(data, false) }

func encodeImage(data []byte, lossless bool) (pageImage, error) {
	if len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF {
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return pageImage{}, fmt.Errorf("%w: %v", ErrBadImage, err)
		}
		// A CMYK JPEG is decoded and stored as RGB: under the sRGB output intent PDF/A allows
		// no DeviceCMYK (ISO 19005-2 6.2.4.3).
		if cfg.ColorModel != color.CMYKModel {
			cs := "/DeviceRGB"
			if cfg.ColorModel == color.GrayModel {
				cs = "/DeviceGray"
			}
			return pageImage{w: cfg.Width, h: cfg.Height, kind: "jpeg", data: data,
				dict: fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 /Filter /DCTDecode", cfg.Width, cfg.Height, cs)}, nil
		}
	}
	// PNG data goes in as it is when nothing smaller is at hand: grey and RGB PNGs are
	// decoded first, because a page that is in fact black and white is far smaller as CCITT
	// G4 and an RGB page that is in fact grey a third as big as grey; 1-bit PNGs become G4.
	passed, _ := pngPassthrough(data)
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return pageImage{}, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	_ = png.Decode // PNG decoder registered by import
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return pageImage{}, ErrBadImage
	}
	gray, bilevel := classify(img)
	switch {
	case bilevel:
		gp := grayPixels(img)
		black := make([]bool, len(gp))
		for i, v := range gp {
			black[i] = v == 0
		}
		return pageImage{w: w, h: h, kind: "bilevel-g4", data: encodeG4(black, w, h),
			dict: fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns %d /Rows %d /BlackIs1 false >>", w, h, w, h)}, nil
	case gray:
		raw := grayPixels(img)
		out := pageImage{w: w, h: h, kind: "gray-flate", data: smallestFlate(raw, w, h, 1),
			dict: fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors 1 /BitsPerComponent 8 /Columns %d >>", w, h, w)}
		if passed.kind == "gray-png" && len(passed.data) <= len(out.data) {
			out = passed
		}
		if lossless {
			return out, nil
		}
		if q, ok := gray4IfLegible(raw, w, h); ok && len(q.data) < len(out.data) {
			return q, nil
		}
		return lossyIfNoisy(out, &image.Gray{Pix: raw, Stride: w, Rect: image.Rect(0, 0, w, h)}, "/DeviceGray", 1), nil
	default:
		raw := rgbPixels(img)
		out := pageImage{w: w, h: h, kind: "rgb-flate", data: deflateBest(pngFilter(raw, w, h, 3)),
			dict: fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors 3 /BitsPerComponent 8 /Columns %d >>", w, h, w)}
		if passed.kind == "rgb-png" && len(passed.data) <= len(out.data) {
			out = passed
		}
		if lossless {
			return out, nil
		}
		return lossyIfNoisy(out, img, "/DeviceRGB", 3), nil
	}
}

// JPEGQuality is the quality grey and colour pages are re-encoded at when lossless coding
// does not pay: a page whose lossless form takes more than noisyBits bits per sample (a
// noisy scan, a photograph) is stored as JPEG when that is at most half the size. Clean
// pages (rendered or well-scanned text: 0.3-0.6 bits per sample on the corpus) stay
// lossless. At 75 a noisy page keeps above 33 dB PSNR (TestNoisyPageJPEG).
const JPEGQuality = 75

const noisyBits = 2

func lossyIfNoisy(lossless pageImage, img image.Image, cs string, samples int) pageImage {
	w, h := lossless.w, lossless.h
	if len(lossless.data)*8 <= noisyBits*w*h*samples {
		return lossless
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: JPEGQuality}); err != nil || b.Len()*2 > len(lossless.data) {
		return lossless
	}
	kind := "gray-jpeg"
	if samples == 3 {
		kind = "rgb-jpeg"
	}
	return pageImage{w: w, h: h, kind: kind, data: b.Bytes(),
		dict: fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent 8 /Filter /DCTDecode", w, h, cs)}
}

// rgbPixels returns the image's RGB values row by row without padding (alpha dropped).
func rgbPixels(img image.Image) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	raw := make([]byte, w*h*3)
	var pix []byte
	var stride int
	switch m := img.(type) {
	case *image.RGBA:
		pix, stride = m.Pix, m.Stride
	case *image.NRGBA:
		pix, stride = m.Pix, m.Stride
	}
	if pix != nil {
		for y := 0; y < h; y++ {
			src := pix[y*stride : y*stride+4*w]
			dst := raw[y*w*3 : (y+1)*w*3]
			for x := 0; x < w; x++ {
				dst[3*x], dst[3*x+1], dst[3*x+2] = src[4*x], src[4*x+1], src[4*x+2]
			}
		}
		return raw
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := (y*w + x) * 3
			raw[i], raw[i+1], raw[i+2] = byte(r>>8), byte(g>>8), byte(bb>>8)
		}
	}
	return raw
}

// pngPassthrough embeds a PNG's compressed pixel data in the PDF as it is, without decoding
// and re-encoding it (PDF's FlateDecode with PNG predictors reads PNG's IDAT stream): for
// non-interlaced, opaque 8-bit grey or RGB and 1-bit grey PNGs, which is what the pipeline
// stores. Every chunk's CRC is checked. Other PNGs (palette, alpha, 16-bit, interlaced) are
// decoded and re-encoded by the caller.
func pngPassthrough(data []byte) (pageImage, bool) {
	const sig = "\x89PNG\r\n\x1a\n"
	if len(data) < len(sig) || string(data[:len(sig)]) != sig {
		return pageImage{}, false
	}
	var w, h uint32
	var depth, ctype byte
	var idat []byte
	seenIHDR, seenIEND := false, false
	for p := data[len(sig):]; len(p) > 0 && !seenIEND; {
		if len(p) < 12 {
			return pageImage{}, false
		}
		n := binary.BigEndian.Uint32(p[:4])
		if n > uint32(len(p)-12) {
			return pageImage{}, false
		}
		typ, body := string(p[4:8]), p[8:8+n]
		if crc32.ChecksumIEEE(p[4:8+n]) != binary.BigEndian.Uint32(p[8+n:12+n]) {
			return pageImage{}, false
		}
		switch typ {
		case "IHDR":
			if n != 13 || seenIHDR {
				return pageImage{}, false
			}
			seenIHDR = true
			w, h = binary.BigEndian.Uint32(body[0:4]), binary.BigEndian.Uint32(body[4:8])
			depth, ctype = body[8], body[9]
			if body[10] != 0 || body[11] != 0 || body[12] != 0 { // compression, filter, interlace
				return pageImage{}, false
			}
		case "IDAT":
			if !seenIHDR {
				return pageImage{}, false
			}
			idat = append(idat, body...)
		case "tRNS", "PLTE":
			return pageImage{}, false
		case "IEND":
			seenIEND = true
		}
		p = p[12+n:]
	}
	if !seenIHDR || !seenIEND || len(idat) == 0 || w == 0 || h == 0 || w > 1<<16 || h > 1<<16 {
		return pageImage{}, false
	}
	var colors int
	var kind, cs string
	switch {
	case ctype == 0 && depth == 8:
		colors, kind, cs = 1, "gray-png", "/DeviceGray"
	case ctype == 0 && depth == 1:
		colors, kind, cs = 1, "bilevel-png", "/DeviceGray"
	case ctype == 2 && depth == 8:
		colors, kind, cs = 3, "rgb-png", "/DeviceRGB"
	default:
		return pageImage{}, false
	}
	return pageImage{w: int(w), h: int(h), kind: kind, data: idat,
		dict: fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s /BitsPerComponent %d /Filter /FlateDecode /DecodeParms << /Predictor 15 /Colors %d /BitsPerComponent %d /Columns %d >>",
			w, h, cs, depth, colors, depth, w)}, true
}

// classify tells whether every pixel is gray, and whether every pixel is black or white.
func classify(img image.Image) (gray, bilevel bool) {
	if g, ok := img.(*image.Gray); ok {
		b := g.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for _, v := range g.Pix[(y-b.Min.Y)*g.Stride : (y-b.Min.Y)*g.Stride+b.Dx()] {
				if v != 0 && v != 255 {
					return true, false
				}
			}
		}
		return true, true
	}
	gray, bilevel = true, true
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r != g || g != bb {
				return false, false
			}
			if r != 0 && r != 0xFFFF {
				bilevel = false
			}
		}
	}
	return gray, bilevel
}

// grayPixels returns the image's gray values row by row without padding.
func grayPixels(img image.Image) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := make([]byte, w*h)
	if g, ok := img.(*image.Gray); ok {
		for y := 0; y < h; y++ {
			copy(out[y*w:(y+1)*w], g.Pix[y*g.Stride:y*g.Stride+w])
		}
		return out
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out[y*w+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return out
}

// pngFilter applies, row by row, the PNG filter (None, Sub, Up, Average, Paeth) whose output
// has the smallest sum of absolute values (the usual heuristic), each row tagged with its
// filter type as PDF's predictor 15 reads it.
func pngFilter(raw []byte, w, h, bpp int) []byte {
	row := w * bpp
	out := make([]byte, 0, (row+1)*h)
	prev := make([]byte, row)
	cand := make([][]byte, 5)
	for k := range cand {
		cand[k] = make([]byte, row)
	}
	for y := 0; y < h; y++ {
		cur := raw[y*row : (y+1)*row]
		for i := 0; i < row; i++ {
			var a, c byte
			b := prev[i]
			if i >= bpp {
				a, c = cur[i-bpp], prev[i-bpp]
			}
			x := cur[i]
			cand[0][i] = x
			cand[1][i] = x - a
			cand[2][i] = x - b
			cand[3][i] = x - byte((int(a)+int(b))/2)
			cand[4][i] = x - paeth(a, b, c)
		}
		best, bestSum := 0, -1
		for k, cd := range cand {
			sum := 0
			for _, v := range cd {
				sum += int(int8(v)) * (1 - 2*int(v>>7)) // |signed value|
			}
			if bestSum < 0 || sum < bestSum {
				best, bestSum = k, sum
			}
		}
		out = append(out, byte(best))
		out = append(out, cand[best]...)
		prev = cur
	}
	return out
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// deflateBest is deflate at zlib's best compression (page images: written once, kept for
// decades).
func deflateBest(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&buf, zlib.DefaultCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// textString encodes s as a PDF text string: ASCII as an escaped literal, anything else
// as UTF-16BE with a byte order mark in hex, so no byte can break the string.
func textString(s string) string {
	ascii := true
	for _, r := range s {
		if r >= 0x7F || r < 0x20 {
			ascii = false
			break
		}
	}
	if ascii {
		r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
		return "(" + r.Replace(s) + ")"
	}
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteString(">")
	return b.String()
}

func asciiName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x20 && r < 0x7F {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	if off == 0 {
		return "D:" + t.Format("20060102150405") + "Z"
	}
	return fmt.Sprintf("D:%s%c%02d'%02d'", t.Format("20060102150405"), sign, off/3600, off%3600/60)
}

func num(f float64) string {
	s := fmt.Sprintf("%.3f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "" || s == "-0" {
		return "0"
	}
	return s
}

// pdfWriter writes objects in order with a classic cross-reference table (pdfsign keeps
// /Info with a classic trailer, and incremental updates stay simple to inspect).
type pdfWriter struct {
	buf     bytes.Buffer
	offsets map[int]int
	next    int
}

func newPDFWriter() *pdfWriter {
	w := &pdfWriter{offsets: map[int]int{}, next: 1}
	w.buf.WriteString("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")
	return w
}

func (w *pdfWriter) alloc() int { n := w.next; w.next++; return n }

func (w *pdfWriter) obj(n int, body string) {
	w.offsets[n] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", n, body)
}

func (w *pdfWriter) stream(n int, dict string, data []byte) {
	w.offsets[n] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< %s /Length %d >>\nstream\n", n, dict, len(data))
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
}

func (w *pdfWriter) flateStream(n int, dict string, data []byte) {
	w.stream(n, strings.TrimSpace(dict+" /Filter /FlateDecode"), deflate(data))
}

func (w *pdfWriter) finish(root, info int) []byte {
	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", w.next)
	for n := 1; n < w.next; n++ {
		off, ok := w.offsets[n]
		if !ok {
			fmt.Fprintf(&w.buf, "0000000000 65535 f \n")
			continue
		}
		fmt.Fprintf(&w.buf, "%010d 00000 n \n", off)
	}
	id := sha256.Sum256(w.buf.Bytes())
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%X> <%X>] >>\nstartxref\n%d\n%%%%EOF\n", w.next, root, info, id[:16], id[:16], xref)
	return w.buf.Bytes()
}
