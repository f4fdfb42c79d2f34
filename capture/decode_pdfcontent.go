package capture

import (
	"math"
	"strconv"
)

// matrix is a PDF transformation matrix [a b c d e f].
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// mul returns m × n (m applied first, then n).
func (m matrix) mul(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

// apply maps the point (x, y).
func (m matrix) apply(x, y float64) (float64, float64) {
	return x*m[0] + y*m[2] + m[4], x*m[1] + y*m[3] + m[5]
}

// contentEvents receives what a content stream draws.
type contentEvents struct {
	// xobject is called for every "Do" with the XObject's resource name and the CTM.
	xobject func(name string, ctm matrix)
	// visibleText counts text-showing operators whose render mode paints glyphs.
	visibleText int
	// inlineImages counts inline images (BI ... ID ... EI).
	inlineImages int
}

// maxContentOps bounds the work spent on one content stream.
const maxContentOps = 1_000_000

// scanContent tokenises a page or form content stream just enough to follow the graphics
// state (q, Q, cm), the text render mode (Tr), text showing and XObject painting (Do).
// It never fails: unknown or broken syntax is skipped.
func scanContent(b []byte, ctm matrix, ev *contentEvents) {
	type gstate struct {
		ctm matrix
		tr  int
	}
	st := gstate{ctm: ctm}
	var stack []gstate
	var nums []float64
	name := ""
	ops := 0
	i := 0
	for i < len(b) && ops < maxContentOps {
		c := b[i]
		switch {
		case isPDFSpace(c):
			i++
			continue
		case c == '%':
			for i < len(b) && b[i] != '\n' && b[i] != '\r' {
				i++
			}
			continue
		case c == '(':
			i = skipPDFString(b, i)
			name = ""
			continue
		case c == '<' && i+1 < len(b) && b[i+1] == '<', c == '>' && i+1 < len(b) && b[i+1] == '>':
			i += 2
			continue
		case c == '<':
			for i < len(b) && b[i] != '>' {
				i++
			}
			i++
			continue
		case c == '[' || c == ']' || c == '{' || c == '}' || c == '>' || c == ')':
			i++
			continue
		case c == '/':
			j := i + 1
			for j < len(b) && !isPDFSpace(b[j]) && !isPDFDelim(b[j]) {
				j++
			}
			name = pdfNameDecode(b[i+1 : j])
			i = j
			continue
		}
		// A number or an operator: a run of regular characters.
		j := i
		for j < len(b) && !isPDFSpace(b[j]) && !isPDFDelim(b[j]) {
			j++
		}
		tok := string(b[i:j])
		i = j
		if c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9') {
			if v, err := strconv.ParseFloat(tok, 64); err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
				nums = append(nums, v)
				if len(nums) > 16 {
					nums = nums[len(nums)-16:]
				}
			}
			continue
		}
		ops++
		switch tok {
		case "q":
			if len(stack) < 256 {
				stack = append(stack, st)
			}
		case "Q":
			if len(stack) > 0 {
				st = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
		case "cm":
			if len(nums) >= 6 {
				var m matrix
				copy(m[:], nums[len(nums)-6:])
				st.ctm = m.mul(st.ctm)
			}
		case "Tr":
			if len(nums) >= 1 {
				st.tr = int(nums[len(nums)-1])
			}
		case "Tj", "TJ", "'", "\"":
			if st.tr != 3 && st.tr != 7 {
				ev.visibleText++
			}
		case "Do":
			if name != "" && ev.xobject != nil {
				ev.xobject(name, st.ctm)
			}
		case "ID":
			// Inline image data runs until whitespace "EI" whitespace.
			ev.inlineImages++
			i++
			for i+2 < len(b) && !(isPDFSpace(b[i]) && b[i+1] == 'E' && b[i+2] == 'I' && (i+3 == len(b) || isPDFSpace(b[i+3]) || isPDFDelim(b[i+3]))) {
				i++
			}
			i += 3
		}
		nums = nums[:0]
		name = ""
	}
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isPDFDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// skipPDFString returns the index just after the literal string starting at b[i] == '('.
func skipPDFString(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return i
}

// pdfNameDecode resolves #xx escapes in a name.
func pdfNameDecode(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '#' && i+2 < len(b) {
			if v, err := strconv.ParseUint(string(b[i+1:i+3]), 16, 8); err == nil {
				out = append(out, byte(v))
				i += 2
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}
