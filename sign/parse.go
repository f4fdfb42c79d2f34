package sign

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"
)

// A small PDF lexer for the parts of verification that need byte positions: the
// cross-reference sections (xref.go), the signature dictionary's /Contents hole, and the
// structure of the bytes added after signing (structure.go). Objects themselves are read by
// pdfcpu through the cross-reference chain (revision.go). All work is bounded by the input.

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
