package sign

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Digitised copies (Decree 30/2020/NĐ-CP, Appendix I, part IV "bản sao điện tử từ văn bản
// giấy"): the copying organisation's digital signature with no image, and its information —
// the copy form, the organisation's name, the time in ISO 8601 with Vietnam's time zone — in
// Times New Roman (here the metric-compatible Liberation Serif, SIL OFL, embedded as a
// subset), upright, 10 pt, black, at the top right of the first page.

// CopyStamp is the copy information drawn on the first page.
type CopyStamp struct {
	Form         string    // CopyFormSaoY, CopyFormSaoLuc or CopyFormTrichSao (ParseCopyForm)
	Organization string    // the organisation making the copy
	Time         time.Time // its signing time, shown as 2006-01-02T15:04:05+07:00
}

// The copy forms of Decree 30/2020/NĐ-CP, article 25.
const (
	CopyFormSaoY     = "SAO Y"
	CopyFormSaoLuc   = "SAO LỤC"
	CopyFormTrichSao = "TRÍCH SAO"
)

// CopyFontFile is the Times New Roman-compatible font of the copy information (Debian's
// fonts-liberation2).
var CopyFontFile = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"

// ErrCopyForm: not one of the three copy forms.
var ErrCopyForm = l10n.New("sign.copyForm")

// vietnam is the time zone the copy time is shown in (UTC+7, no daylight saving).
var vietnam = time.FixedZone("ICT", 7*3600)

// ParseCopyForm reads a copy form, with or without diacritics, in any case ("" is none).
func ParseCopyForm(s string) (string, error) {
	s = strings.Join(strings.Fields(strings.ToUpper(norm.NFC.String(s))), " ")
	switch s {
	case "":
		return "", nil
	case CopyFormSaoY:
		return CopyFormSaoY, nil
	case CopyFormSaoLuc, "SAO LUC":
		return CopyFormSaoLuc, nil
	case CopyFormTrichSao, "TRICH SAO":
		return CopyFormTrichSao, nil
	}
	return "", ErrCopyForm
}

// Lines are the three lines drawn, in order.
func (c CopyStamp) Lines() []string {
	return []string{c.Form, norm.NFC.String(strings.TrimSpace(c.Organization)), c.Time.In(vietnam).Format("2006-01-02T15:04:05-07:00")}
}

var (
	copyFontOnce sync.Once
	copyFont     *ttFont
	copyFontErr  error
)

func loadCopyFont() (*ttFont, error) {
	copyFontOnce.Do(func() {
		data, err := os.ReadFile(CopyFontFile)
		if err != nil {
			copyFontErr = fmt.Errorf("sign: the copy-form font is missing (install fonts-liberation2): %w", err)
			return
		}
		copyFont, copyFontErr = parseTTF(data)
	})
	return copyFont, copyFontErr
}

// copyText is the copy information laid out for page 1: its content-stream operators and the
// font objects to write.
type copyText struct {
	content []byte
	font    *ttFont
	used    map[int]rune // glyph -> the rune it shows
}

const copyFontSize = 10

// layoutCopy places the lines right-aligned at the top right of a page of pw x ph points
// (1.5 cm from the top and right edges, 12 pt leading), in font resource /F2.
func layoutCopy(c CopyStamp, pw, ph float64) (*copyText, error) {
	f, err := loadCopyFont()
	if err != nil {
		return nil, err
	}
	ct := &copyText{font: f, used: map[int]rune{}}
	var b bytes.Buffer
	b.WriteString("q BT 0 g 0 Tr\n")
	const margin = 42.52 // 1.5 cm
	y := ph - margin - copyFontSize
	for _, line := range c.Lines() {
		var hexs strings.Builder
		width := 0
		for _, r := range line {
			g := f.cmap(r)
			if g == 0 && r != ' ' {
				return nil, fmt.Errorf("sign: the copy-form font has no glyph for U+%04X", r)
			}
			ct.used[g] = r
			width += f.advance(g)
			fmt.Fprintf(&hexs, "%04X", g)
		}
		x := pw - margin - float64(width)*copyFontSize/1000
		fmt.Fprintf(&b, "/F2 %d Tf 1 0 0 1 %s %s Tm <%s> Tj\n", copyFontSize, num(x), num(y), hexs.String())
		y -= 12
	}
	b.WriteString("ET Q\n")
	ct.content = b.Bytes()
	return ct, nil
}

// writeFont writes the embedded subset font (Type0 / CIDFontType2, Identity-H, CID = glyph
// ID) as object font and the objects it needs.
func (ct *copyText) writeFont(w *pdfWriter, font int) {
	f := ct.font
	used := map[int]bool{}
	gids := make([]int, 0, len(ct.used))
	for g := range ct.used {
		used[g] = true
		gids = append(gids, g)
	}
	sort.Ints(gids)
	prog := f.subset(used)
	sum := sha256.Sum256(prog)
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + sum[i]%26
	}
	name := string(tag) + "+LiberationSerif"
	cid, desc, file, toUni := w.alloc(), w.alloc(), w.alloc(), w.alloc()
	var widths strings.Builder
	for _, g := range gids {
		fmt.Fprintf(&widths, "%d [%d] ", g, f.advance(g))
	}
	head, hhea := f.tables["head"], f.tables["hhea"]
	s16 := func(b []byte, o int) int { return int(int16(binary.BigEndian.Uint16(b[o:]))) * 1000 / f.upem }
	capH := 662
	if os2 := f.tables["OS/2"]; len(os2) >= 90 && binary.BigEndian.Uint16(os2) >= 2 {
		capH = s16(os2, 88)
	}
	w.obj(font, fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>", name, cid, toUni))
	w.obj(cid, fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /DW 1000 /W [%s] /CIDToGIDMap /Identity >>",
		name, desc, strings.TrimSpace(widths.String())))
	w.obj(desc, fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags 6 /FontBBox [%d %d %d %d] /ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>",
		name, s16(head, 36), s16(head, 38), s16(head, 40), s16(head, 42), s16(hhea, 4), s16(hhea, 6), capH, file))
	w.flateStream(file, fmt.Sprintf("/Length1 %d", len(prog)), prog)
	var cm bytes.Buffer
	cm.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for i := 0; i < len(gids); i += 100 { // at most 100 entries a block
		part := gids[i:min(i+100, len(gids))]
		fmt.Fprintf(&cm, "%d beginbfchar\n", len(part))
		for _, g := range part {
			fmt.Fprintf(&cm, "<%04X> <", g)
			for _, u := range utf16.Encode([]rune{ct.used[g]}) {
				fmt.Fprintf(&cm, "%04X", u)
			}
			cm.WriteString(">\n")
		}
		cm.WriteString("endbfchar\n")
	}
	cm.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	w.flateStream(toUni, "", cm.Bytes())
}
