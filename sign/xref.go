package sign

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
)

// A strict reader of a revision's cross-reference chain: from the last startxref of the
// revision through every section (classic tables, cross-reference streams, the streams that
// hybrid-reference trailers name with /XRefStm) along /Prev. It repairs nothing: anything
// that is not exactly what ISO 32000-2 7.5 describes is an error. Verify uses it to know
// which objects a revision holds, to check that pdfcpu read the same table (pdfcpu repairs
// broken files silently), and to find the byte span of every section.

// xrefEntry is one cross-reference entry.
type xrefEntry struct {
	Type   byte  // 0 free, 1 in use at Offset, 2 stored as object Index of object stream Stream
	Offset int64 // type 1
	Gen    int   // type 0 and 1
	Stream int   // type 2
	Index  int   // type 2
}

// xrefSection is one cross-reference section as written in the file.
type xrefSection struct {
	Start, End int64 // "xref" … end of the trailer dictionary, or "N G obj" … "endobj"
	Stream     bool  // a cross-reference stream
	Num        int   // the stream's object number
	Hybrid     bool  // a stream named by a classic trailer's /XRefStm
	Entries    map[int]xrefEntry
	Trailer    pdfDict
}

// xrefChain is the cross-reference data of one revision.
type xrefChain struct {
	End       int64          // the revision ends here
	StartXref int64          // the offset its startxref names
	Sections  []*xrefSection // newest first; a hybrid stream follows its table
	Table     map[int]xrefEntry
	Trailer   pdfDict // the newest trailer (or cross-reference stream dictionary)
}

// Limits on hostile cross-reference data.
const (
	maxXrefSections = 4096
	maxObjectNumber = 8 << 20
	maxXrefEntries  = 4 << 20
	maxXrefDecoded  = 64 << 20
)

var errXref = errors.New("cross-reference data")

// xrefError is an error of the cross-reference data, naming the object concerned when there
// is one.
type xrefError struct {
	Object int
	Offset int64
	Msg    string
}

func (e *xrefError) Error() string        { return errXref.Error() + ": " + e.Msg }
func (e *xrefError) Is(target error) bool { return target == errXref }

func xrefErr(format string, a ...any) error {
	return &xrefError{Msg: fmt.Sprintf(format, a...)}
}

func xrefErrObj(obj int, off int64, format string, a ...any) error {
	return &xrefError{Object: obj, Offset: off, Msg: fmt.Sprintf(format, a...)}
}

// readXref reads the cross-reference chain of the revision data[:end].
func readXref(data []byte, end int64) (*xrefChain, error) {
	if end <= 0 || end > int64(len(data)) {
		return nil, xrefErr("revision end %d outside the file", end)
	}
	rev := data[:end]
	sx, err := findStartxref(rev)
	if err != nil {
		return nil, err
	}
	c := &xrefChain{End: end, StartXref: sx, Table: map[int]xrefEntry{}}
	seen := map[int64]bool{}
	entries := 0
	for off := sx; ; {
		if len(c.Sections) >= maxXrefSections {
			return nil, xrefErr("more than %d sections", maxXrefSections)
		}
		if off <= 0 || off >= end {
			return nil, xrefErr("section offset %d outside the revision", off)
		}
		if seen[off] {
			return nil, xrefErr("the /Prev chain loops at offset %d", off)
		}
		seen[off] = true
		// Some writers point at the end of line before the section: white space (no
		// comment) may come first.
		var sec *xrefSection
		if at := skipWhite(rev, int(off)); hasKeyword(rev, at, "xref") {
			sec, err = readXrefTable(rev, int64(at))
		} else {
			sec, err = readXrefStream(rev, off)
		}
		if err != nil {
			return nil, err
		}
		c.Sections = append(c.Sections, sec)
		entries += len(sec.Entries)
		if c.Trailer == nil {
			c.Trailer = sec.Trailer
		}
		if v, ok := sec.Trailer["XRefStm"]; ok && !sec.Stream {
			// Later empty updates may name the same stream again.
			xo, ok := v.(int64)
			if !ok || xo <= 0 || xo >= end {
				return nil, xrefErr("bad /XRefStm in the trailer at offset %d", sec.Start)
			}
			hs, err := readXrefStream(rev, xo)
			if err != nil {
				return nil, err
			}
			hs.Hybrid = true
			c.Sections = append(c.Sections, hs)
			entries += len(hs.Entries)
		}
		if entries > maxXrefEntries {
			return nil, xrefErr("more than %d entries", maxXrefEntries)
		}
		p, ok := sec.Trailer["Prev"]
		if !ok {
			break
		}
		po, ok := p.(int64)
		if !ok {
			return nil, xrefErr("/Prev of the section at offset %d is not an integer", sec.Start)
		}
		off = po
	}
	// The newest definition wins; within a hybrid section the table comes before its stream.
	for _, s := range c.Sections {
		for n, e := range s.Entries {
			if _, ok := c.Table[n]; !ok {
				c.Table[n] = e
			}
		}
	}
	if _, ok := c.Trailer["Root"].(pdfRef); !ok {
		return nil, xrefErr("the trailer has no /Root reference")
	}
	return c, nil
}

// findStartxref finds "startxref N %%EOF" at the end of rev (only white space may follow).
func findStartxref(rev []byte) (int64, error) {
	tail := bytes.TrimRight(rev, " \t\r\n\f\x00")
	if !bytes.HasSuffix(tail, []byte("%%EOF")) {
		return 0, xrefErr("the revision does not end with %%%%EOF")
	}
	from := max(0, len(tail)-4096)
	i := bytes.LastIndex(tail[from:], []byte("startxref"))
	if i < 0 {
		return 0, xrefErr("no startxref before %%%%EOF")
	}
	i += from
	if i > 0 && !isWhite(tail[i-1]) {
		return 0, xrefErr("startxref is not a keyword")
	}
	p := i + len("startxref")
	ws := p
	for p < len(tail) && isWhite(tail[p]) {
		p++
	}
	d := p
	for p < len(tail) && tail[p] >= '0' && tail[p] <= '9' && p-d < 19 {
		p++
	}
	if d == ws || p == d {
		return 0, xrefErr("startxref has no offset")
	}
	n, err := strconv.ParseInt(string(tail[d:p]), 10, 64)
	if err != nil {
		return 0, xrefErr("startxref offset: %v", err)
	}
	q := p
	for q < len(tail) && isWhite(tail[q]) {
		q++
	}
	if q == p || string(tail[q:]) != "%%EOF" {
		return 0, xrefErr("unexpected bytes between startxref and %%%%EOF")
	}
	return n, nil
}

// hasKeyword: b[at:] starts with the keyword kw followed by white space or a delimiter.
func hasKeyword(b []byte, at int, kw string) bool {
	if at < 0 || at+len(kw) > len(b) || string(b[at:at+len(kw)]) != kw {
		return false
	}
	e := at + len(kw)
	return e == len(b) || isWhite(b[e]) || isDelim(b[e])
}

// readXrefTable reads a classic section: "xref", subsections of 20-byte entries, "trailer"
// and its dictionary.
func readXrefTable(b []byte, off int64) (*xrefSection, error) {
	s := &xrefSection{Start: off, Entries: map[int]xrefEntry{}}
	p := int(off) + len("xref")
	for {
		p = skipWhite(b, p)
		if hasKeyword(b, p, "trailer") {
			break
		}
		first, q, ok := readUint(b, p)
		if !ok {
			return nil, xrefErr("bad subsection header at offset %d", p)
		}
		p = q
		if p >= len(b) || b[p] != ' ' {
			return nil, xrefErr("bad subsection header at offset %d", p)
		}
		count, q, ok := readUint(b, p+1)
		if !ok {
			return nil, xrefErr("bad subsection header at offset %d", p)
		}
		p = eol(b, q)
		if p < 0 {
			return nil, xrefErr("bad subsection header at offset %d", q)
		}
		if first+count > maxObjectNumber || count > int64(len(b)-p)/19 {
			return nil, xrefErr("subsection %d %d does not fit", first, count)
		}
		for k := int64(0); k < count; k++ {
			e, q, err := readTableEntry(b, p)
			if err != nil {
				return nil, err
			}
			n := int(first + k)
			if _, dup := s.Entries[n]; dup {
				return nil, xrefErr("object %d listed twice in the section at offset %d", n, off)
			}
			s.Entries[n] = e
			p = q
		}
	}
	l := &lexer{b: b, pos: p + len("trailer")}
	v, err := l.value(0)
	if err != nil {
		return nil, xrefErr("trailer at offset %d: %v", p, err)
	}
	d, ok := v.(pdfDict)
	if !ok {
		return nil, xrefErr("trailer at offset %d is not a dictionary", p)
	}
	s.Trailer, s.End = d, int64(l.pos)
	return s, nil
}

func skipWhite(b []byte, p int) int {
	for p < len(b) && isWhite(b[p]) {
		p++
	}
	return p
}

func readUint(b []byte, p int) (int64, int, bool) {
	s := p
	for p < len(b) && b[p] >= '0' && b[p] <= '9' && p-s < 12 {
		p++
	}
	if p == s || (p < len(b) && b[p] >= '0' && b[p] <= '9') {
		return 0, p, false
	}
	n, err := strconv.ParseInt(string(b[s:p]), 10, 64)
	return n, p, err == nil
}

// eol skips optional spaces and one end-of-line marker.
func eol(b []byte, p int) int {
	for p < len(b) && b[p] == ' ' {
		p++
	}
	switch {
	case p+1 < len(b) && b[p] == '\r' && b[p+1] == '\n':
		return p + 2
	case p < len(b) && (b[p] == '\n' || b[p] == '\r'):
		return p + 1
	}
	return -1
}

// readTableEntry reads "oooooooooo ggggg n" and its end of line (" \r", " \n", "\r\n", or a
// lone "\n" as some writers use).
func readTableEntry(b []byte, p int) (xrefEntry, int, error) {
	bad := func() (xrefEntry, int, error) {
		return xrefEntry{}, 0, xrefErr("bad cross-reference entry at offset %d", p)
	}
	if p+18 > len(b) || b[p+10] != ' ' || b[p+16] != ' ' {
		return bad()
	}
	for _, c := range b[p : p+10] {
		if c < '0' || c > '9' {
			return bad()
		}
	}
	for _, c := range b[p+11 : p+16] {
		if c < '0' || c > '9' {
			return bad()
		}
	}
	off, _ := strconv.ParseInt(string(b[p:p+10]), 10, 64)
	gen, _ := strconv.Atoi(string(b[p+11 : p+16]))
	e := xrefEntry{Offset: off, Gen: gen}
	switch b[p+17] {
	case 'n':
		e.Type = 1
	case 'f':
		e.Type = 0
	default:
		return bad()
	}
	q := p + 18
	switch {
	case q+1 < len(b) && (b[q] == ' ' || b[q] == '\r') && (b[q+1] == '\n' || b[q+1] == '\r'):
		q += 2
	case q < len(b) && b[q] == '\n':
		q++
	default:
		return bad()
	}
	return e, q, nil
}

// objHeader reads "N G obj" at p with nothing but white space between the tokens (no
// comments) and returns the numbers and the offset after "obj".
func objHeader(b []byte, p int) (num, gen, after int, ok bool) {
	n, q, ok1 := readUint(b, p)
	if !ok1 || q >= len(b) || !isWhite(b[q]) {
		return 0, 0, 0, false
	}
	g, r, ok2 := readUint(b, skipWhite(b, q))
	if !ok2 || r >= len(b) || !isWhite(b[r]) {
		return 0, 0, 0, false
	}
	o := skipWhite(b, r)
	if !hasKeyword(b, o, "obj") || n > maxObjectNumber || g > 65535 {
		return 0, 0, 0, false
	}
	return int(n), int(g), o + 3, true
}

// parsedObject is one indirect object read with the package's lexer.
type parsedObject struct {
	Num, Gen   int
	Start, End int64 // "N G obj" … after "endobj"
	Value      any
	Stream     []byte // raw stream data, nil when not a stream
}

// readObjectAt parses the indirect object whose header is at off (after white space: some
// writers' offsets point at the end of line before it). length resolves an indirect
// /Length (nil: indirect lengths are an error).
func readObjectAt(b []byte, off int64, length func(pdfRef) (int64, bool)) (*parsedObject, error) {
	if off < 0 || off >= int64(len(b)) {
		return nil, fmt.Errorf("offset %d outside the file", off)
	}
	off = int64(skipWhite(b, int(off)))
	num, gen, after, ok := objHeader(b, int(off))
	if !ok {
		return nil, fmt.Errorf("no \"N G obj\" at offset %d", off)
	}
	l := &lexer{b: b, pos: after}
	v, err := l.value(0)
	if err != nil {
		return nil, fmt.Errorf("object %d at offset %d: %v", num, off, err)
	}
	o := &parsedObject{Num: num, Gen: gen, Start: off, Value: v}
	l.skipWS()
	if d, ok := v.(pdfDict); ok && hasKeyword(b, l.pos, "stream") {
		s := l.pos + len("stream")
		switch {
		case s+1 < len(b) && b[s] == '\r' && b[s+1] == '\n':
			s += 2
		case s < len(b) && b[s] == '\n':
			s++
		default:
			return nil, fmt.Errorf("object %d: \"stream\" not followed by an end of line", num)
		}
		var n int64
		switch lv := d["Length"].(type) {
		case int64:
			n = lv
		case pdfRef:
			if length == nil {
				return nil, fmt.Errorf("object %d: indirect /Length", num)
			}
			if n, ok = length(lv); !ok {
				return nil, fmt.Errorf("object %d: /Length %d %d R cannot be read", num, lv.Num, lv.Gen)
			}
		default:
			return nil, fmt.Errorf("object %d: no /Length", num)
		}
		if n < 0 || int64(s)+n > int64(len(b)) {
			return nil, fmt.Errorf("object %d: /Length %d runs past the end", num, n)
		}
		e := s + int(n)
		o.Stream = b[s:e]
		k := skipWhite(b, e)
		if !hasKeyword(b, k, "endstream") {
			return nil, fmt.Errorf("object %d: no endstream after /Length %d bytes", num, n)
		}
		l.pos = k + len("endstream")
	}
	p := skipWhite(b, l.pos)
	if !hasKeyword(b, p, "endobj") {
		return nil, fmt.Errorf("object %d at offset %d: no endobj", num, off)
	}
	o.End = int64(p + len("endobj"))
	return o, nil
}

// readXrefStream reads a cross-reference stream object at off.
func readXrefStream(b []byte, off int64) (*xrefSection, error) {
	o, err := readObjectAt(b, off, nil)
	if err != nil {
		return nil, xrefErr("%v", err)
	}
	d, ok := o.Value.(pdfDict)
	if !ok || o.Stream == nil || d["Type"] != pdfName("XRef") {
		return nil, xrefErr("offset %d is neither \"xref\" nor a cross-reference stream", off)
	}
	s := &xrefSection{Start: off, End: o.End, Stream: true, Num: o.Num, Entries: map[int]xrefEntry{}, Trailer: d}
	data, err := decodeStream(d, o.Stream, maxXrefDecoded)
	if err != nil {
		return nil, xrefErr("stream %d: %v", o.Num, err)
	}
	wa, _ := d["W"].(pdfArray)
	if len(wa) != 3 {
		return nil, xrefErr("stream %d: /W is not three numbers", o.Num)
	}
	var w [3]int
	for i, v := range wa {
		n, ok := v.(int64)
		if !ok || n < 0 || n > 8 {
			return nil, xrefErr("stream %d: bad /W", o.Num)
		}
		w[i] = int(n)
	}
	rowLen := w[0] + w[1] + w[2]
	size, ok := d["Size"].(int64)
	if !ok || size < 0 || size > maxObjectNumber || rowLen == 0 {
		return nil, xrefErr("stream %d: bad /Size or /W", o.Num)
	}
	index := pdfArray{int64(0), size}
	if ia, ok := d["Index"].(pdfArray); ok {
		index = ia
	}
	if len(index)%2 != 0 {
		return nil, xrefErr("stream %d: odd /Index", o.Num)
	}
	rows := 0
	for i := 0; i < len(index); i += 2 {
		first, ok1 := index[i].(int64)
		count, ok2 := index[i+1].(int64)
		if !ok1 || !ok2 || first < 0 || count < 0 || first+count > maxObjectNumber || count > int64(len(data)) {
			return nil, xrefErr("stream %d: bad /Index", o.Num)
		}
		rows += int(count)
	}
	if rows*rowLen != len(data) {
		return nil, xrefErr("stream %d: %d bytes of entries for %d entries of %d bytes", o.Num, len(data), rows, rowLen)
	}
	field := func(p, n int, def int64) int64 {
		if n == 0 {
			return def
		}
		var v int64
		for _, c := range data[p : p+n] {
			v = v<<8 | int64(c)
		}
		return v
	}
	p := 0
	for i := 0; i < len(index); i += 2 {
		first, count := index[i].(int64), index[i+1].(int64)
		for k := int64(0); k < count; k++ {
			t := field(p, w[0], 1)
			f2 := field(p+w[0], w[1], 0)
			f3 := field(p+w[0]+w[1], w[2], 0)
			p += rowLen
			n := int(first + k)
			if _, dup := s.Entries[n]; dup {
				return nil, xrefErr("object %d listed twice in stream %d", n, o.Num)
			}
			switch t {
			case 0:
				s.Entries[n] = xrefEntry{Type: 0, Gen: int(f3)}
			case 1:
				if f2 < 0 || f3 > 65535 {
					return nil, xrefErr("stream %d: bad entry for object %d", o.Num, n)
				}
				s.Entries[n] = xrefEntry{Type: 1, Offset: f2, Gen: int(f3)}
			case 2:
				if f2 <= 0 || f2 > maxObjectNumber || f3 < 0 || f3 > maxObjectNumber {
					return nil, xrefErr("stream %d: bad entry for object %d", o.Num, n)
				}
				s.Entries[n] = xrefEntry{Type: 2, Stream: int(f2), Index: int(f3)}
			default:
				return nil, xrefErr("stream %d: entry type %d for object %d", o.Num, t, n)
			}
		}
	}
	return s, nil
}

// decodeStream applies the stream's filters (pdfcpu's implementations) with a bound on the
// decoded size. Only the filters that may carry PDF objects are accepted.
func decodeStream(d pdfDict, raw []byte, limit int64) ([]byte, error) {
	var names []pdfName
	switch f := d["Filter"].(type) {
	case nil:
		return raw, nil
	case pdfName:
		names = []pdfName{f}
	case pdfArray:
		for _, v := range f {
			n, ok := v.(pdfName)
			if !ok {
				return nil, errors.New("bad /Filter")
			}
			names = append(names, n)
		}
	default:
		return nil, errors.New("bad /Filter")
	}
	if len(names) > 4 {
		return nil, errors.New("too many filters")
	}
	var parms []any
	switch p := d["DecodeParms"].(type) {
	case nil:
	case pdfDict:
		parms = []any{p}
	case pdfArray:
		parms = p
	default:
		return nil, errors.New("bad /DecodeParms")
	}
	data := raw
	for i, n := range names {
		switch n {
		case "FlateDecode", "ASCIIHexDecode", "ASCII85Decode", "LZWDecode", "RunLengthDecode":
		default:
			return nil, fmt.Errorf("filter /%s not allowed here", n)
		}
		pm := map[string]int{}
		if i < len(parms) {
			if pd, ok := parms[i].(pdfDict); ok {
				for k, v := range pd {
					if iv, ok := v.(int64); ok && iv >= -1<<31 && iv < 1<<31 {
						pm[string(k)] = int(iv)
					}
				}
			}
		}
		f, err := filter.NewFilter(string(n), pm, limit)
		if err != nil {
			return nil, err
		}
		r, err := f.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("/%s: %v", n, err)
		}
		out, err := io.ReadAll(io.LimitReader(r, limit+1))
		if err != nil {
			return nil, fmt.Errorf("/%s: %v", n, err)
		}
		if int64(len(out)) > limit {
			return nil, fmt.Errorf("/%s: decoded data larger than %d bytes", n, limit)
		}
		data = out
	}
	return data, nil
}
