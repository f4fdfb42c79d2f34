package capture

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strconv"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Synthetic test pictures: gradients and stripes, no text, no personal data.

func grayImage(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := uint8((x*3 + y*5) % 256)
			if (x/8+y/8)%2 == 0 {
				v /= 2
			}
			g.Pix[y*g.Stride+x] = v
		}
	}
	return g
}

func rgbImage(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Set(x, y, color.RGBA{uint8(x), uint8(y), uint8((x + y) / 2), 0xff})
		}
	}
	return m
}

func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	crc := crc32.ChecksumIEEE(b[4:])
	return binary.BigEndian.AppendUint32(b, crc)
}

// pngBytes encodes img and, when dpi > 0, adds a pHYs chunk after IHDR.
func pngBytes(t testing.TB, img image.Image, dpi int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if dpi <= 0 {
		return b
	}
	ppm := uint32(float64(dpi)/0.0254 + 0.5)
	phys := binary.BigEndian.AppendUint32(nil, ppm)
	phys = binary.BigEndian.AppendUint32(phys, ppm)
	phys = append(phys, 1)
	out := append([]byte{}, b[:33]...) // signature + IHDR
	out = append(out, pngChunk("pHYs", phys)...)
	return append(out, b[33:]...)
}

// pngHeaderOnly is a PNG signature and an IHDR claiming w x h pixels, then a tiny IDAT.
func pngHeaderOnly(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit grey
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, pngChunk("IHDR", ihdr)...)
	b = append(b, pngChunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(b, pngChunk("IEND", nil)...)
}

// jpegBytes encodes img; density "jfif" or "exif" adds that resolution record.
func jpegBytes(t testing.TB, img image.Image, density string, dpi int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	var seg []byte
	switch density {
	case "jfif":
		seg = []byte{0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 1}
		seg = binary.BigEndian.AppendUint16(seg, uint16(dpi))
		seg = binary.BigEndian.AppendUint16(seg, uint16(dpi))
		seg = append(seg, 0, 0)
	case "exif":
		// Big-endian TIFF structure: IFD0 with XResolution, YResolution, ResolutionUnit=cm.
		tf := []byte("MM\x00*\x00\x00\x00\x08")
		tf = binary.BigEndian.AppendUint16(tf, 3)
		entry := func(tag, typ uint16, count, val uint32) {
			tf = binary.BigEndian.AppendUint16(tf, tag)
			tf = binary.BigEndian.AppendUint16(tf, typ)
			tf = binary.BigEndian.AppendUint32(tf, count)
			tf = binary.BigEndian.AppendUint32(tf, val)
		}
		ratOff := uint32(8 + 2 + 3*12 + 4)
		entry(282, 5, 1, ratOff)
		entry(283, 5, 1, ratOff+8)
		entry(296, 3, 1, 3<<16) // SHORT 3 (centimetre), left-justified
		tf = binary.BigEndian.AppendUint32(tf, 0)
		for i := 0; i < 2; i++ { // dpi/2.54 dots per centimetre, as a fraction
			tf = binary.BigEndian.AppendUint32(tf, uint32(dpi*100))
			tf = binary.BigEndian.AppendUint32(tf, 254)
		}
		body := append([]byte("Exif\x00\x00"), tf...)
		seg = []byte{0xff, 0xe1}
		seg = binary.BigEndian.AppendUint16(seg, uint16(len(body)+2))
		seg = append(seg, body...)
	default:
		return b
	}
	out := append([]byte{}, b[:2]...)
	out = append(out, seg...)
	return append(out, b[2:]...)
}

// jpegHeaderOnly is SOI + a baseline SOF0 claiming w x h, then EOI.
func jpegHeaderOnly(w, h uint16) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xc0, 0, 11, 8}
	b = binary.BigEndian.AppendUint16(b, h)
	b = binary.BigEndian.AppendUint16(b, w)
	b = append(b, 1, 1, 0x11, 0)
	return append(b, 0xff, 0xd9)
}

// tiffPageSpec describes one uncompressed 8-bit grey page for buildTIFF.
type tiffPageSpec struct {
	w, h, dpi int
	pix       []byte // w*h bytes, or nil for a pattern
}

// buildTIFF writes an uncompressed grey multi-page TIFF in the given byte order.
// loopTo >= 0 makes the last IFD point back to IFD loopTo.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func buildTIFF(order byteOrder, pages []tiffPageSpec, loopTo int) []byte {
	var b []byte
	if order.String() == binary.LittleEndian.String() {
		b = []byte("II*\x00\x00\x00\x00\x00")
	} else {
		b = []byte("MM\x00*\x00\x00\x00\x00")
	}
	prevNext := 4 // where to write the offset of the next IFD
	var ifdOffs []int
	for _, p := range pages {
		pix := p.pix
		if pix == nil {
			pix = make([]byte, p.w*p.h)
			for i := range pix {
				pix[i] = byte(i*7 + i/p.w)
			}
		}
		dataOff := len(b)
		b = append(b, pix...)
		resOff := len(b)
		b = order.AppendUint32(b, uint32(p.dpi))
		b = order.AppendUint32(b, 1)
		if len(b)%2 == 1 {
			b = append(b, 0)
		}
		ifd := len(b)
		ifdOffs = append(ifdOffs, ifd)
		order.PutUint32(b[prevNext:], uint32(ifd))
		type e struct {
			tag, typ uint16
			val      uint32
		}
		es := []e{
			{256, 4, uint32(p.w)}, {257, 4, uint32(p.h)}, {258, 3, 8}, {259, 3, 1}, {262, 3, 1},
			{273, 4, uint32(dataOff)}, {277, 3, 1}, {278, 4, uint32(p.h)}, {279, 4, uint32(len(pix))},
			{282, 5, uint32(resOff)}, {283, 5, uint32(resOff)}, {296, 3, 2},
		}
		b = order.AppendUint16(b, uint16(len(es)))
		for _, x := range es {
			b = order.AppendUint16(b, x.tag)
			b = order.AppendUint16(b, x.typ)
			b = order.AppendUint32(b, 1)
			if x.typ == 3 {
				b = order.AppendUint16(b, uint16(x.val))
				b = append(b, 0, 0)
			} else {
				b = order.AppendUint32(b, x.val)
			}
		}
		prevNext = len(b)
		b = order.AppendUint32(b, 0)
	}
	if loopTo >= 0 {
		order.PutUint32(b[prevNext:], uint32(ifdOffs[loopTo]))
	}
	return b
}

// pdfWriteConf is a pdfcpu configuration for writing test PDFs, without a config folder.
func pdfWriteConf() *model.Configuration {
	c := pdfConfig()
	c.Cmd = model.IMPORTIMAGES
	c.WriteObjectStream = true
	c.WriteXRefStream = true
	c.Optimize = true
	c.OptimizeBeforeWriting = true
	c.OptimizeResourceDicts = true
	c.EncryptUsingAES = true
	c.EncryptKeyLength = 256
	c.Permissions = model.PermissionsPrint
	c.CheckFileNameExt = true
	return c
}

// pdfFromImages builds a PDF with one page per image, each image filling its page.
func pdfFromImages(t testing.TB, imgs ...[]byte) []byte {
	t.Helper()
	imp, err := api.Import("form:A4, pos:full", types.POINTS)
	if err != nil {
		t.Fatal(err)
	}
	var rs []io.Reader
	for _, b := range imgs {
		rs = append(rs, bytes.NewReader(b))
	}
	var out bytes.Buffer
	if err := api.ImportImages(nil, &out, rs, imp, pdfWriteConf()); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// minimalPDF assembles a one-page PDF around the given content stream and resources,
// with a correct cross-reference table.
func minimalPDF(content, resources string, extraObjs ...string) []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources " + resources + " /Contents 4 0 R >>",
		"<< /Length " + itoa(len(content)) + " >>\nstream\n" + content + "\nendstream",
	}
	objs = append(objs, extraObjs...)
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		b.WriteString(itoa(i+1) + " 0 obj\n" + o + "\nendobj\n")
	}
	xref := b.Len()
	b.WriteString("xref\n0 " + itoa(len(objs)+1) + "\n0000000000 65535 f \n")
	for _, o := range offs {
		s := itoa(o)
		for len(s) < 10 {
			s = "0" + s
		}
		b.WriteString(s + " 00000 n \n")
	}
	b.WriteString("trailer\n<< /Size " + itoa(len(objs)+1) + " /Root 1 0 R >>\nstartxref\n" + itoa(xref) + "\n%%EOF\n")
	return b.Bytes()
}

func itoa(i int) string { return strconv.Itoa(i) }
