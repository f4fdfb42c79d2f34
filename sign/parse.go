package sign

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"strconv"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// A light PDF object reader for verification: it finds every "N G obj" in the file,
// parses the object's value, and keeps each definition's file offset so that the objects
// of the signed revision can be told from those added after signing. It never trusts the
// cross-reference table (a tampered file may lie there) and bounds all work by the input.

type pdfRef struct{ Num, Gen int }
type pdfName string
type pdfDict map[pdfName]any
type pdfArray []any
type pdfString []byte

// pdfHexSpan marks where a hex string token sat in the file (for /Contents).
type pdfHex struct {
	Data       []byte
	Start, End int // offsets of '<' and just after '>'
}

type pdfObject struct {
	Num, Gen int
	Offset   int // file offset of "N G obj" (for objects in object streams: of the stream)
	End      int // offset after "endobj" (or after the value when endobj is missing)
	Value    any
	Stream   []byte // raw (still encoded) stream data, nil when not a stream
	InObjStm bool
}

var errSyntax = errors.New("pdf syntax")

const maxDepth = 64

func isWhite(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

type lexer struct {
	b   []byte
	pos int
}

func (l *lexer) skipWS() {
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		if isWhite(c) {
			l.pos++
		} else if c == '%' {
			for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
				l.pos++
			}
		} else {
			return
		}
	}
}

func (l *lexer) regular() string {
	s := l.pos
	for l.pos < len(l.b) && !isWhite(l.b[l.pos]) && !isDelim(l.b[l.pos]) {
		l.pos++
	}
	return string(l.b[s:l.pos])
}

// value parses one object; a number followed by "G R" becomes a pdfRef.
func (l *lexer) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errSyntax
	}
	l.skipWS()
	if l.pos >= len(l.b) {
		return nil, io.ErrUnexpectedEOF
	}
	switch c := l.b[l.pos]; {
	case c == '/':
		l.pos++
		return pdfName(decodeName(l.regular())), nil
	case c == '(':
		return l.literal()
	case c == '<' && l.pos+1 < len(l.b) && l.b[l.pos+1] == '<':
		l.pos += 2
		d := pdfDict{}
		for {
			l.skipWS()
			if l.pos+1 < len(l.b) && l.b[l.pos] == '>' && l.b[l.pos+1] == '>' {
				l.pos += 2
				return d, nil
			}
			k, err := l.value(depth + 1)
			if err != nil {
				return nil, err
			}
			name, ok := k.(pdfName)
			if !ok {
				return nil, errSyntax
			}
			v, err := l.value(depth + 1)
			if err != nil {
				return nil, err
			}
			d[name] = v
		}
	case c == '<':
		start := l.pos
		l.pos++
		var data []byte
		var hi byte
		half := false
		for {
			if l.pos >= len(l.b) {
				return nil, io.ErrUnexpectedEOF
			}
			c := l.b[l.pos]
			l.pos++
			if c == '>' {
				break
			}
			if isWhite(c) {
				continue
			}
			v, ok := unhex(c)
			if !ok {
				return nil, errSyntax
			}
			if half {
				data = append(data, hi<<4|v)
			} else {
				hi = v
			}
			half = !half
		}
		if half {
			data = append(data, hi<<4)
		}
		return pdfHex{Data: data, Start: start, End: l.pos}, nil
	case c == '[':
		l.pos++
		var a pdfArray
		for {
			l.skipWS()
			if l.pos < len(l.b) && l.b[l.pos] == ']' {
				l.pos++
				return a, nil
			}
			v, err := l.value(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
	case isDelim(c):
		return nil, errSyntax
	default:
		tok := l.regular()
		if tok == "" {
			return nil, errSyntax
		}
		switch tok {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		if n, err := strconv.ParseInt(tok, 10, 64); err == nil {
			// Look ahead for "G R".
			save := l.pos
			l.skipWS()
			g := l.regular()
			if gen, err := strconv.Atoi(g); err == nil && g != "" {
				l.skipWS()
				if l.regular() == "R" {
					return pdfRef{int(n), gen}, nil
				}
			}
			l.pos = save
			return n, nil
		}
		if f, err := strconv.ParseFloat(tok, 64); err == nil {
			return f, nil
		}
		return pdfName("#kw:" + tok), nil // keyword (obj, stream, …): caller decides
	}
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func decodeName(s string) string {
	if !bytes.ContainsRune([]byte(s), '#') {
		return s
	}
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && i+2 < len(s) {
			h, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				out = append(out, h<<4|lo)
				i += 2
				continue
			}
		}
		out = append(out, s[i])
	}
	return string(out)
}

func (l *lexer) literal() (any, error) {
	l.pos++ // (
	var out []byte
	depth := 1
	for l.pos < len(l.b) {
		c := l.b[l.pos]
		l.pos++
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return pdfString(out), nil
			}
		case '\\':
			if l.pos >= len(l.b) {
				return nil, io.ErrUnexpectedEOF
			}
			e := l.b[l.pos]
			l.pos++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if l.pos < len(l.b) && l.b[l.pos] == '\n' {
					l.pos++
				}
				continue
			case '\n':
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && l.pos < len(l.b) && l.b[l.pos] >= '0' && l.b[l.pos] <= '7'; k++ {
						v = v*8 + int(l.b[l.pos]-'0')
						l.pos++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
	return nil, io.ErrUnexpectedEOF
}

// scanObjects finds every indirect object definition in b, in file order, including the
// objects inside object streams.
func scanObjects(b []byte) []pdfObject {
	var objs []pdfObject
	marker := []byte("obj")
	pos := 0
	for pos < len(b) {
		i := bytes.Index(b[pos:], marker)
		if i < 0 {
			break
		}
		at := pos + i
		pos = at + 3
		// "obj" must be a whole token preceded by "N G ".
		if at+3 < len(b) && !isWhite(b[at+3]) && !isDelim(b[at+3]) {
			continue
		}
		start, num, gen, ok := backNumbers(b, at)
		if !ok {
			continue
		}
		l := &lexer{b: b, pos: at + 3}
		v, err := l.value(0)
		if err != nil {
			continue
		}
		o := pdfObject{Num: num, Gen: gen, Offset: start, Value: v}
		l.skipWS()
		if d, ok := v.(pdfDict); ok && bytes.HasPrefix(b[l.pos:], []byte("stream")) {
			s := l.pos + len("stream")
			if s < len(b) && b[s] == '\r' {
				s++
			}
			if s < len(b) && b[s] == '\n' {
				s++
			}
			end := -1
			if n, ok := d["Length"].(int64); ok && n >= 0 && s+int(n) <= len(b) {
				rest := b[s+int(n):]
				k := 0
				for k < len(rest) && isWhite(rest[k]) {
					k++
				}
				if bytes.HasPrefix(rest[k:], []byte("endstream")) {
					end = s + int(n)
				}
			}
			if end < 0 {
				e := bytes.Index(b[s:], []byte("endstream"))
				if e < 0 {
					continue
				}
				end = s + e
			}
			o.Stream = b[s:end]
			l.pos = end + len("endstream")
			l.skipWS()
		}
		if bytes.HasPrefix(b[l.pos:], []byte("endobj")) {
			l.pos += len("endobj")
		}
		o.End = l.pos
		pos = l.pos
		objs = append(objs, o)
		if d, ok := v.(pdfDict); ok && d["Type"] == pdfName("ObjStm") && o.Stream != nil {
			objs = append(objs, objStmObjects(o, d)...)
		}
	}
	return objs
}

// backNumbers reads "N G " before offset at.
func backNumbers(b []byte, at int) (start, num, gen int, ok bool) {
	p := at
	readNum := func() (int, bool) {
		for p > 0 && isWhite(b[p-1]) {
			p--
		}
		e := p
		for p > 0 && b[p-1] >= '0' && b[p-1] <= '9' && e-p < 10 {
			p--
		}
		if p == e {
			return 0, false
		}
		n, err := strconv.Atoi(string(b[p:e]))
		return n, err == nil
	}
	if gen, ok = readNum(); !ok {
		return
	}
	if num, ok = readNum(); !ok {
		return
	}
	if p > 0 && !isWhite(b[p-1]) && !isDelim(b[p-1]) {
		return 0, 0, 0, false
	}
	return p, num, gen, true
}

const maxInflate = 64 << 20

func inflate(data []byte) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, maxInflate))
	if err != nil && len(out) == 0 {
		return nil, err
	}
	return out, nil
}

func objStmObjects(o pdfObject, d pdfDict) []pdfObject {
	if d["Filter"] != pdfName("FlateDecode") {
		return nil
	}
	n, _ := d["N"].(int64)
	first, _ := d["First"].(int64)
	data, err := inflate(o.Stream)
	if err != nil || n <= 0 || n > 1<<20 || first < 0 || int(first) > len(data) {
		return nil
	}
	hdr := &lexer{b: data[:first]}
	var out []pdfObject
	for k := int64(0); k < n; k++ {
		num, err1 := hdr.value(0)
		off, err2 := hdr.value(0)
		ni, ok1 := num.(int64)
		oi, ok2 := off.(int64)
		if err1 != nil || err2 != nil || !ok1 || !ok2 || oi < 0 || int(first+oi) >= len(data) {
			break
		}
		l := &lexer{b: data, pos: int(first + oi)}
		v, err := l.value(0)
		if err != nil {
			continue
		}
		out = append(out, pdfObject{Num: int(ni), Offset: o.Offset, End: o.End, Value: v, InObjStm: true})
	}
	return out
}

// textValue decodes a PDF text string (UTF-16BE with BOM, UTF-8 with BOM or PDFDocEncoding
// treated as Latin-1), normalised to NFC so that a decomposed "Ĩ" reads as the letter.
func textValue(v any) string { return norm.NFC.String(rawTextValue(v)) }

func rawTextValue(v any) string {
	var b []byte
	switch s := v.(type) {
	case pdfString:
		b = s
	case pdfHex:
		b = s.Data
	default:
		return ""
	}
	if len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF {
		var u []uint16
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	}
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return string(b[3:])
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
