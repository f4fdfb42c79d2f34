// Package layout puts the words Tesseract recognised on a Vietnamese administrative page back
// into reading order, as Decree 30/2020/NĐ-CP lays such pages out: the two header columns
// (agency | national motto), the number and date line, the title, the body, and at the foot the
// recipients list ("Nơi nhận") beside the signature block; ruled tables row by row. Tesseract
// reads a line across both columns ("ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI ..."), which interleaves
// the two columns; Analyze splits such lines at their column gap and reads each column of a
// two-column stretch from top to bottom, the left one first.
//
// It works on word boxes only (no image), so it runs after recognition on any page, and it
// never changes a word: only the order of the text and the blocks it reports.
package layout

import (
	"sort"
	"strings"

	"github.com/sohoa/sohoa/internal/vifold"
	"github.com/sohoa/sohoa/ocr"
)

// Kind names a zone of a Decree 30 page.
type Kind string

// Zones. A page that is not an administrative document is all KindBody (and KindTable rows).
const (
	KindAgency     Kind = "agency"     // header, left: the issuing agency (and its number line)
	KindMotto      Kind = "motto"      // header, right: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", the place and date
	KindTitle      Kind = "title"      // the document kind and summary ("QUYẾT ĐỊNH", "Về việc ...")
	KindBody       Kind = "body"       // full-width text
	KindRecipients Kind = "recipients" // foot, left: "Nơi nhận:" and its list
	KindSignature  Kind = "signature"  // foot, right: authority, title, name of the signer
	KindColumn     Kind = "column"     // another two-column stretch (left or right)
	KindTable      Kind = "table"      // a row of three or more cells
)

// Line is one line of text of a block, its words left to right.
type Line struct {
	Words          []ocr.Word
	X0, Y0, X1, Y1 int
}

// Text is the line's words joined by single spaces.
func (l Line) Text() string {
	s := make([]string, len(l.Words))
	for i, w := range l.Words {
		s[i] = w.Text
	}
	return strings.Join(s, " ")
}

// Block is a zone of the page with its lines in reading order and its bounding box.
type Block struct {
	Kind           Kind
	Lines          []Line
	X0, Y0, X1, Y1 int
}

// Text is the block's lines, one per line.
func (b Block) Text() string {
	s := make([]string, len(b.Lines))
	for i, l := range b.Lines {
		s[i] = l.Text()
	}
	return strings.Join(s, "\n")
}

// Page is a page's blocks in reading order.
type Page struct {
	Blocks []Block
}

// Text is the page text in reading order: lines ended by "\n", a blank line between blocks.
func (p Page) Text() string {
	s := make([]string, 0, len(p.Blocks))
	for _, b := range p.Blocks {
		if t := b.Text(); t != "" {
			s = append(s, t)
		}
	}
	return strings.Join(s, "\n\n")
}

// Words returns the words in reading order.
func (p Page) Words() []ocr.Word {
	var ws []ocr.Word
	for _, b := range p.Blocks {
		for _, l := range b.Lines {
			ws = append(ws, l.Words...)
		}
	}
	return ws
}

// segment is a run of words of one Tesseract line with no column gap inside; ord is that
// line's place in Tesseract's order.
type segment struct {
	Line
	ord int
}

// row is the segments that share a text line across the page, left to right.
type row struct {
	segs   []segment
	y0, y1 int
}

// Analyze orders words (as the ocr package returns them, boxes in pixels of a page of the
// given width) into blocks. Words without a box are ignored.
func Analyze(words []ocr.Word, width int) Page {
	lines := tessLines(words)
	if len(lines) == 0 {
		return Page{}
	}
	h := medianHeight(lines)
	if width <= 0 {
		for _, l := range lines {
			width = max(width, l.X1)
		}
	}
	var segs []segment
	for i, l := range lines {
		for _, s := range split(l, h) {
			s.ord = i
			segs = append(segs, s)
		}
	}
	rows := makeRows(segs)
	return Page{Blocks: blocks(rows, width, h)}
}

// tessLines groups words by Tesseract's (block, paragraph, line).
func tessLines(words []ocr.Word) []Line {
	type key struct{ b, p, l int }
	idx := map[key]int{}
	var lines []Line
	for _, w := range words {
		if w.X1 <= w.X0 || w.Y1 <= w.Y0 || strings.TrimSpace(w.Text) == "" {
			continue
		}
		k := key{w.Block, w.Par, w.Line}
		i, ok := idx[k]
		if !ok {
			i = len(lines)
			idx[k] = i
			lines = append(lines, Line{X0: w.X0, Y0: w.Y0, X1: w.X1, Y1: w.Y1})
		}
		l := &lines[i]
		l.Words = append(l.Words, w)
		l.X0, l.Y0, l.X1, l.Y1 = min(l.X0, w.X0), min(l.Y0, w.Y0), max(l.X1, w.X1), max(l.Y1, w.Y1)
	}
	for i := range lines {
		sort.SliceStable(lines[i].Words, func(a, b int) bool { return lines[i].Words[a].X0 < lines[i].Words[b].X0 })
	}
	return lines
}

// medianHeight is the median line height, the page's unit of distance.
func medianHeight(lines []Line) int {
	hs := make([]int, len(lines))
	for i, l := range lines {
		hs[i] = l.Y1 - l.Y0
	}
	sort.Ints(hs)
	return max(hs[len(hs)/2], 1)
}

// split cuts a line at column gaps: wider than a line height and than two and a half times
// the line's usual word gap (justified text stretches all its gaps alike), or wider than three
// line heights in any case.
func split(l Line, h int) []segment {
	gaps := make([]int, 0, len(l.Words))
	for i := 1; i < len(l.Words); i++ {
		gaps = append(gaps, l.Words[i].X0-l.Words[i-1].X1)
	}
	limit := 3 * h
	if len(gaps) >= 3 {
		sorted := append([]int(nil), gaps...)
		sort.Ints(sorted)
		limit = min(limit, max(h, sorted[len(sorted)/2]*5/2))
	}
	var out []segment
	cur := segment{Line: Line{Words: l.Words[:1], X0: l.Words[0].X0, Y0: l.Words[0].Y0, X1: l.Words[0].X1, Y1: l.Words[0].Y1}}
	for _, w := range l.Words[1:] {
		if w.X0-cur.X1 > limit {
			out = append(out, cur)
			cur = segment{Line: Line{X0: w.X0, Y0: w.Y0, X1: w.X1, Y1: w.Y1}}
		}
		cur.Words = append(cur.Words, w)
		cur.X0, cur.Y0, cur.X1, cur.Y1 = min(cur.X0, w.X0), min(cur.Y0, w.Y0), max(cur.X1, w.X1), max(cur.Y1, w.Y1)
	}
	return append(out, cur)
}

// makeRows groups segments whose vertical middles fall inside each other's extent.
func makeRows(segs []segment) []row {
	sort.SliceStable(segs, func(a, b int) bool { return segs[a].Y0+segs[a].Y1 < segs[b].Y0+segs[b].Y1 })
	var rows []row
	for _, s := range segs {
		mid := (s.Y0 + s.Y1) / 2
		if n := len(rows); n > 0 {
			r := &rows[n-1]
			rmid := (r.y0 + r.y1) / 2
			if mid >= r.y0 && mid <= r.y1 || rmid >= s.Y0 && rmid <= s.Y1 {
				r.segs = append(r.segs, s)
				r.y0, r.y1 = min(r.y0, s.Y0), max(r.y1, s.Y1)
				continue
			}
		}
		rows = append(rows, row{segs: []segment{s}, y0: s.Y0, y1: s.Y1})
	}
	for i := range rows {
		sort.SliceStable(rows[i].segs, func(a, b int) bool { return rows[i].segs[a].X0 < rows[i].segs[b].X0 })
	}
	return rows
}

// rowShape says how a row sits on the page: full (one segment across the middle), a table row
// (three or more cells), or a row of a two-column stretch (cells left and/or right of the middle).
type rowShape int

const (
	shapeFull rowShape = iota
	shapeColumns
	shapeTable
)

func shapeOf(r row, width int) rowShape {
	mid, tol := width/2, width/40
	switch len(r.segs) {
	case 1:
		if s := r.segs[0]; s.X0 < mid-tol && s.X1 > mid+tol {
			return shapeFull
		}
		return shapeColumns
	case 2:
		// A left cell that ends by the middle and a right cell whose centre is past it:
		// the header's agency | motto, the foot's recipients | signature.
		l, rt := r.segs[0], r.segs[1]
		if l.X1 <= mid+tol && (rt.X0+rt.X1)/2 > mid {
			return shapeColumns
		}
	}
	return shapeTable
}

// recipientsHeading tells whether a line begins with "Nơi nhận:", as Tesseract reads it:
// the "ơ" is often lost or misread ("Noi", "Ni", "Nọi"), "nhận:" rarely.
func recipientsHeading(line string) bool {
	f := strings.Fields(strings.ReplaceAll(vifold.Fold(line), " :", ":"))
	if len(f) < 2 || !strings.HasPrefix(f[1], "nhan:") {
		return false
	}
	w := []rune(f[0])
	return len(w) >= 2 && len(w) <= 4 && w[0] == 'n'
}

// blocks turns rows into blocks: runs of full rows are body text, runs of table rows are a
// table, runs of two-column rows become a left and a right block read one after the other.
func blocks(rows []row, width, h int) (out []Block) {
	// The foot: from "Nơi nhận:" to the end of the page, the recipients list on the left
	// (its long lines may run past the middle) and the signature block on the right.
	foot := len(rows)
	for i := 1; i < len(rows); i++ {
		if recipientsHeading(rows[i].segs[0].Text()) {
			foot = i
			break
		}
	}
	footRows := rows[foot:]
	defer func() {
		var left, right Block
		for _, r := range footRows {
			for _, s := range r.segs {
				if (s.X0+s.X1)/2 < width/2 || s.X0 < width/2-width/40 && strings.HasPrefix(s.Text(), "-") {
					left.add(s.Line)
				} else {
					right.add(s.Line)
				}
			}
		}
		left.Kind, right.Kind = KindRecipients, KindSignature
		for _, b := range []Block{left, right} {
			if len(b.Lines) > 0 {
				out = append(out, b)
			}
		}
	}()
	rows = rows[:foot]
	seenTitle, seenBody := false, false
	for i := 0; i < len(rows); {
		sh := shapeOf(rows[i], width)
		j := i + 1
		for j < len(rows) && shapeOf(rows[j], width) == sh && rows[j].y0-rows[j-1].y1 < 3*h {
			j++
		}
		run := rows[i:j]
		switch sh {
		case shapeColumns:
			// The two columns go as far as both have lines; what one column has beyond that
			// (the summary "V/v ..." under the number line) is a block of its own after them.
			// At the foot the recipients list runs on below the signature: it stays whole.
			if k := pairedEnd(run, width); k < len(run) && !seenBody {
				j = i + k
				run = rows[i:j]
			}
			left, right := columns(run, width)
			var lk, rk Kind
			switch {
			case !seenBody && (isMotto(right) || isMotto(left)):
				lk, rk = KindAgency, KindMotto
			}
			if lk == "" {
				// Another two-column stretch (labels and values of a form, say): not a zone of
				// Decree 30, so it keeps Tesseract's row order.
				out = append(out, rowBlock(KindColumn, run))
				break
			}
			for k, b := range []Block{left, right} {
				if len(b.Lines) == 0 {
					continue
				}
				b.Kind = lk
				if k == 1 {
					b.Kind = rk
				}
				out = append(out, b)
			}
		case shapeTable:
			out = append(out, tableBlock(run))
			seenBody = true
		default:
			// Before the body, the first full-width lines in capitals are the title
			// ("QUYẾT ĐỊNH"), with the summary line under it when it is short.
			title, body := Block{Kind: KindTitle}, Block{Kind: KindBody}
			for k, r := range run {
				l := r.segs[0].Line
				if !seenTitle && !seenBody && len(body.Lines) == 0 && (capitals(l) || k > 0 && k < 3 && len(title.Lines) > 0 && l.X1-l.X0 < width/2) {
					title.add(l)
					continue
				}
				body.add(l)
			}
			if len(title.Lines) > 0 {
				out = append(out, title)
				seenTitle = true
			}
			if len(body.Lines) > 0 {
				out = append(out, body)
				seenBody = true
			}
		}
		i = j
	}
	return out
}

// rowBlock keeps the rows of run in order, each row's cells left to right on one line.
func rowBlock(k Kind, run []row) Block {
	b := Block{Kind: k}
	for _, r := range run {
		l := Line{X0: r.segs[0].X0, Y0: r.y0, X1: r.segs[len(r.segs)-1].X1, Y1: r.y1}
		for _, s := range r.segs {
			l.Words = append(l.Words, s.Words...)
			l.X1 = max(l.X1, s.X1)
		}
		b.add(l)
	}
	return b
}

// tableBlock keeps a table in Tesseract's order: it follows the cells of a ruled table
// better than rows sorted by height, when cells hold several lines.
func tableBlock(run []row) Block {
	var segs []segment
	for _, r := range run {
		segs = append(segs, r.segs...)
	}
	sort.SliceStable(segs, func(a, b int) bool {
		if segs[a].ord != segs[b].ord {
			return segs[a].ord < segs[b].ord
		}
		return segs[a].X0 < segs[b].X0
	})
	b := Block{Kind: KindTable}
	for i := 0; i < len(segs); {
		l := segs[i].Line
		l.Words = append([]ocr.Word(nil), l.Words...)
		j := i + 1
		for ; j < len(segs) && segs[j].ord == segs[i].ord; j++ {
			l.Words = append(l.Words, segs[j].Words...)
			l.X0, l.Y0, l.X1, l.Y1 = min(l.X0, segs[j].X0), min(l.Y0, segs[j].Y0), max(l.X1, segs[j].X1), max(l.Y1, segs[j].Y1)
		}
		b.add(l)
		i = j
	}
	return b
}

// pairedEnd is the number of rows of run up to the last row before which both columns have
// had a line and after which one of them has none.
func pairedEnd(run []row, width int) int {
	lastL, lastR := -1, -1
	for k, r := range run {
		for _, s := range r.segs {
			if (s.X0+s.X1)/2 < width/2 {
				lastL = k
			} else {
				lastR = k
			}
		}
	}
	if lastL < 0 || lastR < 0 {
		return len(run)
	}
	return min(lastL, lastR) + 1
}

// columns splits a two-column run at the page middle.
func columns(run []row, width int) (left, right Block) {
	mid := width / 2
	for _, r := range run {
		for _, s := range r.segs {
			if (s.X0+s.X1)/2 < mid {
				left.add(s.Line)
			} else {
				right.add(s.Line)
			}
		}
	}
	return left, right
}

func (b *Block) add(l Line) {
	if len(b.Lines) == 0 {
		b.X0, b.Y0, b.X1, b.Y1 = l.X0, l.Y0, l.X1, l.Y1
	}
	b.Lines = append(b.Lines, l)
	b.X0, b.Y0, b.X1, b.Y1 = min(b.X0, l.X0), min(b.Y0, l.Y0), max(b.X1, l.X1), max(b.Y1, l.Y1)
}

func isMotto(b Block) bool {
	t := vifold.Fold(b.Text())
	return strings.Contains(t, "chu nghia viet nam") || strings.Contains(t, "doc lap") || strings.Contains(t, "hanh phuc")
}

// capitals: a line in capital letters ("QUYẾT ĐỊNH", "NGHỊ ĐỊNH").
func capitals(l Line) bool {
	t := l.Text()
	return strings.ToUpper(t) == t && strings.ToLower(t) != t
}
