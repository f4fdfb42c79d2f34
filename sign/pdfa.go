package sign

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/internal/l10n"
)

// PDF/A (ISO 19005-2, PDF/A-2b; ISO 19005-3, PDF/A-3b only when DocumentInput.RecordAsAttachment
// attaches record.json — PDF/A-2 allows only PDF/A files as embedded files, PDF/A-3 any file
// named by an /AF entry; by default the record is private data in /PieceInfo, which 19005-2
// leaves alone, and nothing is embedded).
// BuildPDF writes what the standard asks of a scanned, searchable document:
//
//   - 6.1.2/6.1.3: a binary header comment, a trailer /ID, no encryption.
//   - 6.2.3: an output intent (GTS_PDFA1) with an sRGB ICC profile (srgbProfile: made
//     here, so no third-party profile's licence is involved), under which DeviceRGB and
//     DeviceGray page images are allowed (6.2.4.3); CMYK JPEGs are re-encoded as RGB.
//   - 6.2.11.4: the invisible text layer's only font, GlyphLessFont (Tesseract's pdf.ttf,
//     Apache-2.0), embedded, its /DW 500 the width of its glyph (1024 of 2048 units).
//   - 6.6.2: an XMP metadata stream (unfiltered, UTF-8) matching the Info dictionary entry
//     for entry (xmpPacket), with pdfaid:part/conformance, and a PDF/A extension schema
//     for the archive properties (DocumentInput.Metadata).
//   - nothing forbidden: no JavaScript, actions, transparency, interpolation, LZW, external
//     streams. The signature pdfsign adds is an invisible widget with the Print flag and a
//     zero rectangle (6.3.2, 6.3.3).

// ArchiveNS is the XMP namespace of DocumentInput.Metadata (prefix "sohoa").
const ArchiveNS = "https://sohoa.vn/ns/archive/1.0/"

// ErrBadMetadata: a metadata key that is not an XML name.
var ErrBadMetadata = l10n.New("sign.badMetadata")

var (
	iccOnce sync.Once
	iccData []byte
)

// srgbProfile is a small ICC v2 display profile of sRGB (IEC 61966-2-1): D50-adapted
// primaries (Bradford), D65 media white point as in the standard's reference profile, and
// the sRGB tone curve as a 1024-entry table.
func srgbProfile() []byte {
	iccOnce.Do(func() { iccData = buildSRGB() })
	return iccData
}

func buildSRGB() []byte {
	s15 := func(v float64) []byte {
		b := make([]byte, 4)
		binary.BigEndian.PutUint32(b, uint32(int32(math.Round(v*65536))))
		return b
	}
	xyz := func(x, y, z float64) []byte {
		b := []byte("XYZ \x00\x00\x00\x00")
		return append(append(append(b, s15(x)...), s15(y)...), s15(z)...)
	}
	desc := func(s string) []byte {
		b := []byte("desc\x00\x00\x00\x00")
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)+1))
		b = append(append(b, s...), 0)
		b = append(b, make([]byte, 4+4+2+1+67)...) // no Unicode, no ScriptCode description
		return b
	}
	text := func(s string) []byte { return append(append([]byte("text\x00\x00\x00\x00"), s...), 0) }
	curve := []byte("curv\x00\x00\x00\x00")
	const n = 1024
	curve = binary.BigEndian.AppendUint32(curve, n)
	for i := 0; i < n; i++ {
		v := float64(i) / (n - 1)
		if v <= 0.04045 {
			v /= 12.92
		} else {
			v = math.Pow((v+0.055)/1.055, 2.4)
		}
		curve = binary.BigEndian.AppendUint16(curve, uint16(math.Round(v*65535)))
	}
	type tag struct {
		sig  string
		data []byte
	}
	tags := []tag{
		{"desc", desc("sRGB IEC61966-2.1 (SoHoa)")},
		{"cprt", text("No copyright, use freely")},
		{"wtpt", xyz(0.9505, 1.0, 1.0890)},
		{"rXYZ", xyz(0.436066, 0.222488, 0.013916)},
		{"gXYZ", xyz(0.385147, 0.716873, 0.097076)},
		{"bXYZ", xyz(0.143066, 0.060608, 0.714096)},
		{"rTRC", curve}, {"gTRC", curve}, {"bTRC", curve}, // one curve, three entries
	}
	off := 128 + 4 + 12*len(tags)
	var table, body bytes.Buffer
	binary.Write(&table, binary.BigEndian, uint32(len(tags)))
	curveOff := 0
	for _, t := range tags {
		o := off + body.Len()
		if t.sig[1:] == "TRC" && curveOff != 0 {
			o = curveOff
		} else {
			if t.sig[1:] == "TRC" {
				curveOff = o
			}
			body.Write(t.data)
			for body.Len()%4 != 0 {
				body.WriteByte(0)
			}
		}
		table.WriteString(t.sig)
		binary.Write(&table, binary.BigEndian, uint32(o))
		binary.Write(&table, binary.BigEndian, uint32(len(t.data)))
	}
	size := off + body.Len()
	h := make([]byte, 128)
	binary.BigEndian.PutUint32(h[0:], uint32(size))
	binary.BigEndian.PutUint32(h[8:], 0x02100000) // version 2.1
	copy(h[12:], "mntr")
	copy(h[16:], "RGB ")
	copy(h[20:], "XYZ ")
	for i, v := range []uint16{2026, 1, 1, 0, 0, 0} {
		binary.BigEndian.PutUint16(h[24+2*i:], v)
	}
	copy(h[36:], "acsp")
	copy(h[68:], s15(0.9642))
	copy(h[72:], s15(1.0))
	copy(h[76:], s15(0.8249))
	out := append(h, table.Bytes()...)
	return append(out, body.Bytes()...)
}

// validXMPName: an XML NCName of ASCII letters, digits, '_', '-' and '.', not starting with a
// digit, '-' or '.'.
func validXMPName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case (r >= '0' && r <= '9' || r == '-' || r == '.') && i > 0:
		default:
			return false
		}
	}
	return true
}

func xmlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		case '\t', '\n', '\r':
			fmt.Fprintf(&b, "&#%d;", r)
		default:
			if r < 0x20 || r == 0xFFFE || r == 0xFFFF {
				continue // not allowed in XML 1.0
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// xmpDate is the XMP form of a time (ISO 8601 with its offset), the same instant and zone
// as pdfDate writes in the Info dictionary.
func xmpDate(t time.Time) string {
	t = t.Truncate(time.Second)
	_, off := t.Zone()
	if off == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05-07:00")
}

// xmpInfo is what the Info dictionary says, for the XMP.
type xmpInfo struct {
	Title, Author, Subject, Keywords, Creator, Producer string
	Created                                             time.Time
	Lang                                                string
	Part                                                int // 2 or 3
	Metadata                                            map[string]string
}

// xmpPacket writes the document's XMP metadata (ISO 19005-2 6.6.2: the Info entries as their
// XMP equivalents, Table 3 of ISO 19005-1 / 6.6.2.3.1).
func xmpPacket(in xmpInfo) []byte {
	var b strings.Builder
	b.WriteString("<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString(`<x:xmpmeta xmlns:x="adobe:ns:meta/">` + "\n")
	b.WriteString(`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` + "\n")
	b.WriteString(`<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"`)
	if len(in.Metadata) > 0 {
		b.WriteString(` xmlns:sohoa="` + ArchiveNS + `"`)
	}
	b.WriteString(">\n")
	fmt.Fprintf(&b, "<pdfaid:part>%d</pdfaid:part>\n<pdfaid:conformance>B</pdfaid:conformance>\n", in.Part)
	b.WriteString("<dc:format>application/pdf</dc:format>\n")
	if in.Title != "" {
		fmt.Fprintf(&b, "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:title>\n", xmlEscape(in.Title))
	}
	if in.Author != "" {
		fmt.Fprintf(&b, "<dc:creator><rdf:Seq><rdf:li>%s</rdf:li></rdf:Seq></dc:creator>\n", xmlEscape(in.Author))
	}
	if in.Subject != "" {
		fmt.Fprintf(&b, "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">%s</rdf:li></rdf:Alt></dc:description>\n", xmlEscape(in.Subject))
	}
	if in.Lang != "" {
		fmt.Fprintf(&b, "<dc:language><rdf:Bag><rdf:li>%s</rdf:li></rdf:Bag></dc:language>\n", xmlEscape(in.Lang))
	}
	if in.Keywords != "" {
		fmt.Fprintf(&b, "<pdf:Keywords>%s</pdf:Keywords>\n", xmlEscape(in.Keywords))
	}
	fmt.Fprintf(&b, "<pdf:Producer>%s</pdf:Producer>\n", xmlEscape(in.Producer))
	fmt.Fprintf(&b, "<xmp:CreatorTool>%s</xmp:CreatorTool>\n", xmlEscape(in.Creator))
	d := xmpDate(in.Created)
	fmt.Fprintf(&b, "<xmp:CreateDate>%s</xmp:CreateDate>\n<xmp:ModifyDate>%s</xmp:ModifyDate>\n<xmp:MetadataDate>%s</xmp:MetadataDate>\n", d, d, d)
	keys := make([]string, 0, len(in.Metadata))
	for k := range in.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "<sohoa:%s>%s</sohoa:%s>\n", k, xmlEscape(in.Metadata[k]), k)
	}
	b.WriteString("</rdf:Description>\n")
	if len(keys) > 0 {
		// ISO 19005-2 6.6.2.3.2: properties outside the predefined schemas are described by
		// a PDF/A extension schema.
		b.WriteString(`<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">` + "\n")
		b.WriteString("<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">\n")
		b.WriteString("<pdfaSchema:schema>SoHoa archive metadata</pdfaSchema:schema>\n")
		b.WriteString("<pdfaSchema:namespaceURI>" + ArchiveNS + "</pdfaSchema:namespaceURI>\n")
		b.WriteString("<pdfaSchema:prefix>sohoa</pdfaSchema:prefix>\n")
		b.WriteString("<pdfaSchema:property><rdf:Seq>\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>%s</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>%s</pdfaProperty:description></rdf:li>\n", k, k)
		}
		b.WriteString("</rdf:Seq></pdfaSchema:property>\n</rdf:li></rdf:Bag></pdfaExtension:schemas>\n</rdf:Description>\n")
	}
	b.WriteString("</rdf:RDF>\n</x:xmpmeta>\n")
	// Padding lets a later editor update the packet in place (XMP Part 1, 7.3.2).
	for i := 0; i < 8; i++ {
		b.WriteString(strings.Repeat(" ", 99) + "\n")
	}
	b.WriteString(`<?xpacket end="w"?>`)
	return []byte(b.String())
}
