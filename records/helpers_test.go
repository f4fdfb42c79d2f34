package records

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/queue"
)

// truthWords builds OCR-like words from a generated document's ground-truth lines: each
// line's text is split at spaces and the line box is shared out in proportion to the
// characters of each word. Confidence is 100, as for a perfect read.
func truthWords(doc docgen.Document) []PageWords {
	var out []PageWords
	for _, p := range doc.Pages {
		pw := PageWords{Page: p.Index, Width: p.Width, Height: p.Height}
		var fields []docgen.Field
		for _, f := range doc.Fields {
			if f.Page == p.Index {
				fields = append(fields, f)
			}
		}
		for li, l := range p.Lines {
			toks := strings.Fields(l.Text)
			if len(toks) == 0 {
				continue
			}
			// Spans of tokens that are field values get the field's box; the tokens between
			// share out the rest of the line in proportion to their characters.
			type span struct {
				from, to int
				x0, x1   int
			}
			var spans []span
			at := 0
			for _, f := range fields {
				if f.Box.Y0 >= l.Box.Y1 || f.Box.Y1 <= l.Box.Y0 {
					continue
				}
				vt := strings.Fields(f.Value)
				for k := at; k+len(vt) <= len(toks); k++ {
					if strings.Join(toks[k:k+len(vt)], " ") == strings.Join(vt, " ") && f.Box.X0 >= l.Box.X0 {
						spans = append(spans, span{k, k + len(vt), f.Box.X0, min(f.Box.X1, l.Box.X1)})
						at = k + len(vt)
						break
					}
				}
			}
			place := func(ts []string, x0, x1 int) {
				// in tenths of a character: a space is about 0.4 of an average letter
				total := 0
				for _, t := range ts {
					total += 10*utf8.RuneCountInString(t) + 4
				}
				pos := 0
				for _, t := range ts {
					n := 10 * utf8.RuneCountInString(t)
					a := x0 + (x1-x0)*pos/total
					b := x0 + (x1-x0)*(pos+n)/total
					pw.Words = append(pw.Words, queue.Word{Text: t, X0: a, X1: b, Y0: l.Box.Y0, Y1: l.Box.Y1, Conf: 100, Block: 1, Par: 1, Line: li + 1})
					pos += n + 4
				}
			}
			prevTok, prevX := 0, l.Box.X0
			for _, s := range spans {
				if s.from > prevTok {
					place(toks[prevTok:s.from], prevX, s.x0)
				}
				place(toks[s.from:s.to], s.x0, s.x1+(s.x1-s.x0)*4/max(1, 10*utf8.RuneCountInString(strings.Join(toks[s.from:s.to], " "))))
				prevTok, prevX = s.to, s.x1+20
			}
			if prevTok < len(toks) {
				place(toks[prevTok:], prevX, l.Box.X1)
			}
		}
		out = append(out, pw)
	}
	return out
}

type score struct{ ok, total int }

func (s score) pct() float64 {
	if s.total == 0 {
		return 0
	}
	return 100 * float64(s.ok) / float64(s.total)
}

// accuracy compares extracted values with the document's ground truth, field by field.
func accuracy(t *testing.T, rt *RecordType, doc docgen.Document, got []Extracted, misses map[string]int) (scalar, table score) {
	t.Helper()
	vals := map[string]string{}
	for _, e := range got {
		vals[e.Key] = e.Value
	}
	for _, gt := range doc.Fields {
		f, ok := rt.Field(gt.Key)
		if !ok {
			t.Errorf("%s: ground-truth field %q has no field in record type %s", doc.ID, gt.Key, rt.Key)
			continue
		}
		s := &scalar
		if _, _, _, isCell := rt.tableCell(gt.Key); isCell {
			s = &table
		}
		s.total++
		if v, ok := vals[gt.Key]; ok && Equal(f, v, gt.Value) {
			s.ok++
		} else if misses != nil {
			k := gt.Key
			if _, _, col, isCell := rt.tableCell(gt.Key); isCell {
				k = "table:" + col
			}
			misses[k]++
		}
	}
	return scalar, table
}
