package sign

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// pdfaFile is a signed SoHoa PDF read for the PDF/A checks below (the final revision).
type pdfaFile struct {
	data []byte
	rev  *revision
}

func signedPDFA(t *testing.T, doc DocumentInput) pdfaFile {
	t.Helper()
	in, err := BuildPDF(doc)
	if err != nil {
		t.Fatal(err)
	}
	pki := newTestPKI(t)
	out, err := Sign(in, pki.signer(t, "Nguyễn Thị Ĩ", "ecdsa"), SignInfo{Name: "Nguyễn Thị Ĩ"})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := readRevision(t.Context(), out, int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	return pdfaFile{data: out, rev: rev}
}

// objects calls f for every object in use in the final revision.
func (p pdfaFile) objects(f func(n int, o types.Object)) {
	for n, e := range p.rev.Xref.Table {
		if e.Type != 0 {
			f(n, p.rev.object(n))
		}
	}
}

func dictOf(o types.Object) types.Dict {
	switch d := o.(type) {
	case types.Dict:
		return d
	case types.StreamDict:
		return d.Dict
	}
	return nil
}

func (p pdfaFile) stream(t *testing.T, o types.Object) (types.Dict, []byte) {
	t.Helper()
	sd, ok := p.rev.resolve(o).(types.StreamDict)
	if !ok {
		t.Fatalf("not a stream: %v", o)
	}
	if err := sd.Decode(); err != nil {
		t.Fatal(err)
	}
	return sd.Dict, sd.Content
}

func nameOf(o types.Object) string {
	if n, ok := o.(types.Name); ok {
		return string(n)
	}
	return ""
}

// xmpDoc is the part of the XMP the checks read.
type xmpDoc struct {
	Descriptions []struct {
		Part        string `xml:"http://www.aiim.org/pdfa/ns/id/ part"`
		Conformance string `xml:"http://www.aiim.org/pdfa/ns/id/ conformance"`
		Title       struct {
			V string `xml:"Alt>li"`
		} `xml:"http://purl.org/dc/elements/1.1/ title"`
		Creator struct {
			V string `xml:"Seq>li"`
		} `xml:"http://purl.org/dc/elements/1.1/ creator"`
		Description struct {
			V string `xml:"Alt>li"`
		} `xml:"http://purl.org/dc/elements/1.1/ description"`
		Keywords    string `xml:"http://ns.adobe.com/pdf/1.3/ Keywords"`
		Producer    string `xml:"http://ns.adobe.com/pdf/1.3/ Producer"`
		CreatorTool string `xml:"http://ns.adobe.com/xap/1.0/ CreatorTool"`
		CreateDate  string `xml:"http://ns.adobe.com/xap/1.0/ CreateDate"`
		ModifyDate  string `xml:"http://ns.adobe.com/xap/1.0/ ModifyDate"`
		Archive     []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
		Schemas struct {
			Names []string `xml:"Bag>li>property>Seq>li>name"`
		} `xml:"http://www.aiim.org/pdfa/ns/extension/ schemas"`
	} `xml:"RDF>Description"`
}

func pdfaDocument(t *testing.T) DocumentInput {
	doc := testDocument(t)
	doc.Keywords = "hộ tịch; khai sinh"
	doc.Metadata = map[string]string{"fileCode": "HS-2026/01", "retention": "Vĩnh viễn", "title": "Hồ sơ <khai sinh> & \"trích lục\""}
	return doc
}

// TestPDFAHeaderTrailer: ISO 19005-2 6.1.2 (a header comment of four bytes above 127 after
// the version line) and 6.1.3 (a trailer /ID; no /Encrypt).
func TestPDFAHeaderTrailer(t *testing.T) {
	p := signedPDFA(t, pdfaDocument(t))
	if !bytes.HasPrefix(p.data, []byte("%PDF-1.7\n%")) {
		t.Fatalf("header %q", p.data[:12])
	}
	for _, c := range p.data[10:14] {
		if c < 128 {
			t.Fatalf("binary comment %q", p.data[9:15])
		}
	}
	tr := p.rev.Xref.Trailer
	if id, ok := tr["ID"].(pdfArray); !ok || len(id) != 2 {
		t.Errorf("trailer /ID: %v", tr["ID"])
	}
	if _, ok := tr["Encrypt"]; ok {
		t.Error("encrypted")
	}
}

// TestPDFAMetadata: 6.6.2.1 (an unfiltered XMP metadata stream in the catalog), 6.6.4 (the
// pdfaid identification: part 2 with the record in /PieceInfo and without a record, part 3
// only when record.json is attached (RecordAsAttachment); conformance B), 6.6.2.3.1 (every
// Info entry equal to its XMP equivalent, dates as the same instant), 6.6.2.3.2 (the archive
// properties described by an extension schema).
func TestPDFAMetadata(t *testing.T) {
	for _, tc := range []struct {
		name, wantPart string
		record, attach bool
	}{{"record in PieceInfo", "2", true, false}, {"no record", "2", false, false}, {"record attached", "3", true, true}} {
		doc := pdfaDocument(t)
		if !tc.record {
			doc.FieldsJSON = nil
		}
		doc.RecordAsAttachment = tc.attach
		p := signedPDFA(t, doc)
		cat := p.rev.catalog()
		md, xmp := p.stream(t, cat["Metadata"])
		if nameOf(md["Type"]) != "Metadata" || nameOf(md["Subtype"]) != "XML" || md["Filter"] != nil {
			t.Fatalf("metadata stream %v", md)
		}
		if !bytes.HasPrefix(xmp, []byte("<?xpacket begin=\"\uFEFF\"")) || !bytes.HasSuffix(xmp, []byte(`<?xpacket end="w"?>`)) {
			t.Error("no XMP packet wrapper")
		}
		var x xmpDoc
		if err := xml.Unmarshal(xmp[bytes.Index(xmp, []byte("<x:xmpmeta")):bytes.Index(xmp, []byte("<?xpacket end"))], &x); err != nil || len(x.Descriptions) != 2 {
			t.Fatalf("XMP: %v (%d descriptions)", err, len(x.Descriptions))
		}
		d := x.Descriptions[0]
		if d.Part != tc.wantPart || d.Conformance != "B" {
			t.Errorf("%s: pdfaid %q%q, want %sB", tc.name, d.Part, d.Conformance, tc.wantPart)
		}
		info := p.rev.dict(p.rev.Xref.Trailer["Info"].(pdfRef).toIndirect())
		text := func(k string) string { return textOf(info[k]) }
		for k, v := range map[string]string{"Title": d.Title.V, "Author": d.Creator.V, "Subject": d.Description.V, "Keywords": d.Keywords, "Producer": d.Producer, "Creator": d.CreatorTool} {
			if text(k) == "" || text(k) != v {
				t.Errorf("Info /%s %q, XMP %q", k, text(k), v)
			}
		}
		for k, v := range map[string]string{"CreationDate": d.CreateDate, "ModDate": d.ModifyDate} {
			pt, err1 := parsePDFDate(text(k))
			xt, err2 := time.Parse(time.RFC3339, v)
			_, po := pt.Zone()
			_, xo := xt.Zone()
			if err1 != nil || err2 != nil || !pt.Equal(xt) || po != xo {
				t.Errorf("Info /%s %q, XMP %q", k, text(k), v)
			}
		}
		got := map[string]string{}
		for _, a := range d.Archive {
			if a.XMLName.Space == ArchiveNS {
				got[a.XMLName.Local] = a.Value
			}
		}
		props := strings.Join(x.Descriptions[1].Schemas.Names, ",")
		for k, v := range doc.Metadata {
			if got[k] != v {
				t.Errorf("archive property %s = %q, want %q", k, got[k], v)
			}
			if !strings.Contains(props, k) {
				t.Errorf("property %s not in the extension schema (%s)", k, props)
			}
		}
	}
	if _, err := BuildPDF(DocumentInput{Pages: testDocument(t).Pages, Metadata: map[string]string{"1bad": "x"}}); !errors.Is(err, ErrBadMetadata) {
		t.Errorf("bad metadata key: %v", err)
	}
}

func (r pdfRef) toIndirect() types.Object {
	return *types.NewIndirectRef(r.Num, r.Gen)
}

// TestPDFAOutputIntent: 6.2.3 (a GTS_PDFA1 output intent whose DestOutputProfile is an ICC
// profile of 3 components, class mntr, colour space RGB, version 2) and 6.2.4.3 (images in
// DeviceGray or DeviceRGB only, allowed under that intent). LittleCMS (through Pillow's
// ImageCms) reads the profile and maps sRGB colours onto it unchanged.
func TestPDFAOutputIntent(t *testing.T) {
	p := signedPDFA(t, pdfaDocument(t))
	intents := p.rev.array(p.rev.catalog()["OutputIntents"])
	if len(intents) != 1 {
		t.Fatalf("output intents %v", intents)
	}
	oi := p.rev.dict(intents[0])
	if nameOf(oi["S"]) != "GTS_PDFA1" || textOf(oi["OutputConditionIdentifier"]) == "" {
		t.Fatalf("output intent %v", oi)
	}
	d, icc := p.stream(t, oi["DestOutputProfile"])
	if n, _ := d["N"].(types.Integer); n != 3 {
		t.Errorf("/N %v", d["N"])
	}
	if len(icc) < 132 || int(binary.BigEndian.Uint32(icc)) != len(icc) || string(icc[36:40]) != "acsp" || string(icc[12:16]) != "mntr" ||
		string(icc[16:20]) != "RGB " || icc[8] != 2 {
		t.Fatalf("ICC header % x", icc[:min(len(icc), 40)])
	}
	py := `import io,sys
from PIL import Image, ImageCms
p = ImageCms.ImageCmsProfile(io.BytesIO(sys.stdin.buffer.read()))
print(ImageCms.getProfileDescription(p).strip())
im = Image.new("RGB", (3, 1))
im.putdata([(200, 100, 50), (20, 180, 240), (128, 128, 128)])
out = ImageCms.profileToProfile(im, ImageCms.createProfile("sRGB"), p, renderingIntent=1)
print(" ".join("%d,%d,%d" % px for px in out.getdata()))
`
	cmd := exec.Command("/usr/bin/python3", "-c", py)
	cmd.Stdin = bytes.NewReader(icc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("LittleCMS: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "sRGB IEC61966-2.1") {
		t.Fatalf("LittleCMS: %s", out)
	}
	want := [][3]int{{200, 100, 50}, {20, 180, 240}, {128, 128, 128}}
	for i, px := range strings.Fields(lines[1]) {
		for j, c := range strings.Split(px, ",") {
			v, _ := strconv.Atoi(c)
			if d := v - want[i][j]; d < -2 || d > 2 {
				t.Errorf("sRGB %v through the profile gives %s", want[i], px)
			}
		}
	}
	p.objects(func(n int, o types.Object) {
		d := dictOf(o)
		if nameOf(d["Subtype"]) != "Image" {
			return
		}
		if cs := nameOf(d["ColorSpace"]); cs != "DeviceGray" && cs != "DeviceRGB" {
			t.Errorf("image %d colour space %v", n, d["ColorSpace"])
		}
		if d["SMask"] != nil || d["Alternates"] != nil || d["OPI"] != nil {
			t.Errorf("image %d: %v", n, d)
		}
		if b, ok := d["Interpolate"].(types.Boolean); ok && bool(b) {
			t.Errorf("image %d interpolates", n)
		}
	})
}

// TestPDFAFontsEmbedded: 6.2.11.4.1 (every font program embedded) and 6.2.11.5 (the widths
// in the font dictionary equal the embedded program's advance widths).
func TestPDFAFontsEmbedded(t *testing.T) {
	p := signedPDFA(t, pdfaDocument(t))
	fonts := 0
	p.objects(func(n int, o types.Object) {
		d := dictOf(o)
		if nameOf(d["Type"]) != "Font" || nameOf(d["Subtype"]) != "Type0" {
			return
		}
		fonts++
		desc := p.rev.dict(p.rev.array(d["DescendantFonts"])[0])
		fd := p.rev.dict(desc["FontDescriptor"])
		_, prog := p.stream(t, fd["FontFile2"])
		upem, adv := ttfAdvance(t, prog, 1)
		dw, _ := desc["DW"].(types.Integer)
		if int(dw)*upem != adv*1000 || desc["W"] != nil {
			t.Errorf("font %d: /DW %v, glyph 1 advance %d of %d units", n, desc["DW"], adv, upem)
		}
		if _, m := p.stream(t, desc["CIDToGIDMap"]); len(m) < 4 {
			t.Errorf("CIDToGIDMap %d bytes", len(m))
		}
	})
	if fonts != 1 {
		t.Fatalf("%d Type0 fonts", fonts)
	}
	// Every page's fonts are that one.
	p.objects(func(n int, o types.Object) {
		d := dictOf(o)
		if nameOf(d["Type"]) != "Page" {
			return
		}
		for _, f := range p.rev.dict(p.rev.dict(d["Resources"])["Font"]) {
			if fd := p.rev.dict(f); nameOf(fd["Subtype"]) != "Type0" {
				t.Errorf("page %d font %v", n, fd)
			}
		}
	})
}

// ttfAdvance reads unitsPerEm and a glyph's advance width from a TrueType program.
func ttfAdvance(t *testing.T, ttf []byte, gid int) (upem, adv int) {
	tables := map[string][]byte{}
	n := int(binary.BigEndian.Uint16(ttf[4:]))
	for i := 0; i < n; i++ {
		e := ttf[12+16*i:]
		off, l := binary.BigEndian.Uint32(e[8:]), binary.BigEndian.Uint32(e[12:])
		tables[string(e[:4])] = ttf[off : off+l]
	}
	upem = int(binary.BigEndian.Uint16(tables["head"][18:]))
	hm := int(binary.BigEndian.Uint16(tables["hhea"][34:]))
	i := min(gid, hm-1)
	return upem, int(binary.BigEndian.Uint16(tables["hmtx"][4*i:]))
}

// TestPDFANoForbiddenFeatures: 6.1.7.1 (no external streams: /F, /FFilter, /FDecodeParms),
// 6.1.7.2 (no LZWDecode), 6.2.8 (no Interpolate), 6.2.10 (no transparency group), 6.3.2
// (annotations printable, none hidden), 6.3.3 (an appearance for annotations of non-zero
// size), 6.5/6.6.1 (no JavaScript, no additional actions, no OpenAction), 6.8 of ISO
// 19005-2 (no embedded file in a PDF/A-2b document: the record is private data in the
// catalog's /PieceInfo, whose /Info carries the /ModDate 14.5 of ISO 32000-1 requires) and,
// with RecordAsAttachment, 6.8 of ISO 19005-3 (the attached file with /AFRelationship, /UF,
// a MIME /Subtype and /ModDate).
func TestPDFANoForbiddenFeatures(t *testing.T) {
	for _, attach := range []bool{false, true} {
		doc := pdfaDocument(t)
		doc.RecordAsAttachment = attach
		checkNoForbidden(t, signedPDFA(t, doc), attach)
	}
}

func checkNoForbidden(t *testing.T, p pdfaFile, attach bool) {
	t.Helper()
	cat := p.rev.catalog()
	for _, k := range []string{"AA", "OpenAction", "OCProperties", "Requirements", "NeedsRendering"} {
		if cat[k] != nil {
			t.Errorf("catalog /%s", k)
		}
	}
	annots, files := 0, 0
	p.objects(func(n int, o types.Object) {
		d := dictOf(o)
		for _, k := range []string{"F", "FFilter", "FDecodeParms"} {
			if _, ok := o.(types.StreamDict); ok && d[k] != nil {
				t.Errorf("stream %d has /%s", n, k)
			}
		}
		for _, f := range append(types.Array{d["Filter"]}, p.rev.array(d["Filter"])...) {
			if nm := nameOf(f); nm == "LZWDecode" || nm == "LZW" {
				t.Errorf("object %d: LZW", n)
			}
		}
		if nameOf(d["S"]) == "JavaScript" || d["JS"] != nil || d["AA"] != nil {
			t.Errorf("object %d: JavaScript or actions", n)
		}
		if nameOf(d["S"]) == "Transparency" || (nameOf(d["Type"]) == "Page" && d["Group"] != nil) {
			t.Errorf("object %d: transparency group", n)
		}
		if nameOf(d["Type"]) == "Annot" || nameOf(d["Subtype"]) == "Widget" {
			annots++
			f, _ := d["F"].(types.Integer)
			if f&4 == 0 || f&(1|2|32|256) != 0 {
				t.Errorf("annotation %d flags %d", n, f)
			}
			rect := p.rev.array(d["Rect"])
			zero := true
			for _, v := range rect {
				if x, ok := v.(types.Float); ok && x != 0 {
					zero = false
				}
				if x, ok := v.(types.Integer); ok && x != 0 {
					zero = false
				}
			}
			if !zero && d["AP"] == nil {
				t.Errorf("annotation %d: no appearance", n)
			}
		}
		if nameOf(d["Type"]) == "Filespec" {
			files++
			ef := p.rev.dict(p.rev.dict(d["EF"])["F"])
			if nameOf(d["AFRelationship"]) == "" || d["UF"] == nil || nameOf(ef["Subtype"]) != "application/json" || p.rev.dict(ef["Params"])["ModDate"] == nil {
				t.Errorf("file specification %d: %v %v", n, d, ef)
			}
		}
	})
	wantFiles, wantAF := 0, 0
	if attach {
		wantFiles, wantAF = 1, 1
	}
	if annots != 1 || files != wantFiles {
		t.Errorf("attached %v: %d annotations, %d files", attach, annots, files)
	}
	if af := p.rev.array(cat["AF"]); len(af) != wantAF {
		t.Errorf("attached %v: catalog /AF %v", attach, cat["AF"])
	}
	if !attach {
		if cat["Names"] != nil {
			t.Errorf("a PDF/A-2b document with a name dictionary: %v", cat["Names"])
		}
		app := p.rev.dict(p.rev.dict(cat["PieceInfo"])[RecordPiece])
		if app == nil || app["LastModified"] == nil || app["Private"] == nil {
			t.Errorf("/PieceInfo /%s: %v", RecordPiece, app)
		}
		info := p.rev.dict(p.rev.Xref.Trailer["Info"].(pdfRef).toIndirect())
		if info["ModDate"] == nil {
			t.Error("PieceInfo without /Info /ModDate")
		}
	}
}

// TestPDFAStillSignedSearchable: the PDF/A output, signed, passes qpdf --check and pdfsig, and
// pdftotext gives the Vietnamese text back.
func TestPDFAStillSignedSearchable(t *testing.T) {
	p := signedPDFA(t, pdfaDocument(t))
	path := writeTemp(t, "pdfa.pdf", p.data)
	run(t, "qpdf", "--check", path)
	if sig := pdfsig(t, p.data); !strings.Contains(sig, "Signature is Valid") || !strings.Contains(sig, "ETSI.CAdES.detached") {
		t.Fatalf("pdfsig:\n%s", sig)
	}
	txt := strings.Join(strings.Fields(run(t, "pdftotext", "-enc", "UTF-8", path, "-")), " ")
	if !strings.Contains(txt, "Nguyễn Văn Đức Ủy ban nhân dân Hồ Chí Minh") {
		t.Errorf("text %q", txt)
	}
}
