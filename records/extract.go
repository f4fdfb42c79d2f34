package records

import (
	"sort"
	"strings"

	"github.com/sohoa/sohoa/queue"
	"golang.org/x/text/unicode/norm"
)

// PageWords is the OCR output of one page of a document.
type PageWords struct {
	Page          int // 0-based page index within the document
	Width, Height int // page image size in pixels (0 = unknown; zones are then ignored)
	Words         []queue.Word
}

// Box is a rectangle in page pixels; X1 and Y1 exclusive.
type Box struct{ X0, Y0, X1, Y1 int }

// Extracted is one field value found on a page.
type Extracted struct {
	Key        string
	Value      string  // normalised (see Normalize)
	Raw        string  // the words as read
	Confidence float64 // 0..1: mean word confidence, lowered for a fuzzy label match
	Page       int
	Boxes      []Box // the value's words
}

type word struct {
	queue.Word
	fold  string // folded text, tokens joined without spaces
	colon bool   // the word ends with ':' (or is ':')
}

type line struct {
	page  int
	words []word
	y0    int
	y1    int
	x0    int
	busy  bool // part of a table: not searched for scalar labels
}

type occurrence struct {
	line       int // index into lines
	start, end int // word span [start, end)
	anchor     string
	quality    float64
	used       bool
}

func (o occurrence) before(p occurrence) bool {
	if o.line != p.line {
		return o.line < p.line
	}
	return o.start < p.start
}

// Extract finds the values of rt's fields on one page.
func Extract(rt *RecordType, words []queue.Word, width, height int) []Extracted {
	return ExtractPages(rt, []PageWords{{Page: 0, Width: width, Height: height, Words: words}})
}

// ExtractPages finds the values of rt's fields on the pages of one document, in reading
// order: each field's label anchor is looked up (tolerant of OCR errors in the label and of
// missing diacritics) and the value is the text after it on the same line, up to the next
// label, continued on the following lines for multi-line fields. Table columns are read
// under their headers. Fields not found are left out.
func ExtractPages(rt *RecordType, pages []PageWords) []Extracted {
	lines := buildLines(pages)
	sizes := map[int][2]int{}
	for _, p := range pages {
		sizes[p.Page] = [2]int{p.Width, p.Height}
	}
	var out []Extracted
	for _, t := range rt.Tables {
		out = append(out, extractTable(t, lines)...)
	}
	anchors := map[string][]string{} // folded anchor → tokens
	colonFree := map[string]bool{}   // anchors accepted without a colon
	for _, f := range rt.Fields {
		for _, a := range f.OCR.Anchors {
			toks := foldWords(a)
			k := strings.Join(toks, " ")
			anchors[k] = toks
			if len(toks) >= 2 {
				colonFree[k] = true
			}
		}
	}
	occs := findLabels(lines, anchors, colonFree)
	found := map[string]occurrence{}
	done := map[string]bool{}
	for pass := 0; pass < len(rt.Fields); pass++ {
		progress := false
		for _, f := range rt.Fields {
			if done[f.Key] || f.OCR.Column != "" || len(f.OCR.Anchors) == 0 {
				continue
			}
			var bound *occurrence
			if f.OCR.After != "" {
				if !done[f.OCR.After] {
					continue
				}
				if o, ok := found[f.OCR.After]; ok {
					bound = &o
				}
			}
			done[f.Key] = true
			progress = true
			want := map[string]bool{}
			for _, a := range f.OCR.Anchors {
				want[Fold(a)] = true
			}
			for i := range occs {
				o := &occs[i]
				if o.used || !want[o.anchor] || (bound != nil && !bound.before(*o)) {
					continue
				}
				if z := f.OCR.Zone; z != nil {
					l := lines[o.line]
					sz := sizes[l.page]
					w := l.words[o.start]
					if sz[0] > 0 && sz[1] > 0 {
						cx := float64(w.X0+w.X1) / 2 / float64(sz[0])
						cy := float64(w.Y0+w.Y1) / 2 / float64(sz[1])
						if cx < z.X0 || cx > z.X1 || cy < z.Y0 || cy > z.Y1 {
							continue
						}
					}
				}
				ws := valueWords(lines, occs, i, f.OCR.Multiline)
				if len(ws) == 0 {
					continue
				}
				o.used = true
				found[f.Key] = *o
				out = append(out, makeExtracted(f, ws, lines[o.line].page, o.quality))
				break
			}
		}
		if !progress {
			break
		}
	}
	out = append(out, extractColumns(rt, lines, occs)...)
	widths := map[int]int{}
	for _, p := range pages {
		w := p.Width
		if w == 0 {
			for _, wd := range p.Words {
				w = max(w, wd.X1)
			}
		}
		widths[p.Page] = w
	}
	for _, f := range rt.Fields {
		if _, ok := found[f.Key]; ok || f.OCR.Locate == "" {
			continue
		}
		if e, ok := locate(f, lines, occs, widths); ok {
			out = append(out, e)
		}
	}
	sameNameMarks(rt, out)
	return out
}

func makeExtracted(f Field, ws []word, page int, quality float64) Extracted {
	var raw []string
	var conf float64
	var boxes []Box
	for _, w := range ws {
		raw = append(raw, w.Text)
		c := w.Conf
		if c > 1 {
			c /= 100
		}
		conf += c
		boxes = append(boxes, Box{w.X0, w.Y0, w.X1, w.Y1})
	}
	r := strings.Trim(strings.Join(raw, " "), " :")
	r = strings.TrimPrefix(r, ":")
	v := r
	if f.Type == TypeText && f.OCR.re != nil {
		if restored, ok := restoreDocCode(v); ok {
			v, quality = restored, quality*0.9 // not read: a little less sure
		}
	}
	if f.Type == TypeName {
		v = strings.TrimRight(splitGluedName(v), ".,;")
		if restored, ok := restoreNameMarks(v); ok {
			// marks put back from the name lexicon, not read: a little less sure
			v, quality = restored, quality*0.9
		}
	}
	if f.Type == TypeAdminUnit {
		v = cleanUnitOCR(v)
		if restored, ok := restoreUnitMarks(norm.NFC.String(v)); ok {
			v, quality = restored, quality*0.9
		}
	}
	value := Normalize(f, v)
	conf = conf / float64(len(ws)) * quality
	if f.Type == TypeCatalog && value != "" && Fold(value) != Fold(v) {
		// snapped to the catalogue from other letters than its own ("Nt" → "Nữ"): a guess
		// the clerk confirms, never accepted at once
		conf = min(conf, queue.LowFieldConfidence*0.9)
	}
	return Extracted{Key: f.Key, Value: value, Raw: strings.TrimSpace(r), Confidence: conf, Page: page, Boxes: boxes}
}

// buildLines groups words into text lines in reading order.
func buildLines(pages []PageWords) []line {
	var out []line
	for _, p := range pages {
		var ws []word
		for _, w := range p.Words {
			w.Text = norm.NFC.String(strings.TrimSpace(w.Text))
			if w.Text == "" || (w.Text != ":" && len(foldWords(w.Text)) == 0) {
				continue // table rules read as "_" or "|"
			}
			for _, part := range splitColon(w) {
				ws = append(ws, word{Word: part, fold: strings.Join(foldWords(part.Text), ""), colon: strings.HasSuffix(part.Text, ":")})
			}
		}
		hasIDs := false
		for _, w := range ws {
			if w.Block != 0 || w.Par != 0 || w.Line != 0 {
				hasIDs = true
				break
			}
		}
		var groups [][]word
		if hasIDs {
			idx := map[[3]int]int{}
			for _, w := range ws {
				k := [3]int{w.Block, w.Par, w.Line}
				i, ok := idx[k]
				if !ok {
					i = len(groups)
					idx[k] = i
					groups = append(groups, nil)
				}
				groups[i] = append(groups[i], w)
			}
		} else {
			// Group by vertical overlap of word boxes.
			sort.SliceStable(ws, func(i, j int) bool { return ws[i].Y0+ws[i].Y1 < ws[j].Y0+ws[j].Y1 })
			for _, w := range ws {
				placed := false
				if n := len(groups); n > 0 {
					g := groups[n-1]
					ly0, ly1 := g[0].Y0, g[0].Y1
					mid := (w.Y0 + w.Y1) / 2
					if mid >= ly0 && mid <= ly1 {
						groups[n-1] = append(g, w)
						placed = true
					}
				}
				if !placed {
					groups = append(groups, []word{w})
				}
			}
		}
		var pl []line
		for _, g := range groups {
			sort.SliceStable(g, func(i, j int) bool { return g[i].X0 < g[j].X0 })
			l := line{page: p.Page, words: g, y0: g[0].Y0, y1: g[0].Y1, x0: g[0].X0}
			for _, w := range g {
				l.y0, l.y1 = min(l.y0, w.Y0), max(l.y1, w.Y1)
			}
			pl = append(pl, l)
		}
		sort.SliceStable(pl, func(i, j int) bool { return pl[i].y0+pl[i].y1 < pl[j].y0+pl[j].y1 })
		out = append(out, pl...)
	}
	return out
}

// matchSpan compares words ws (starting at a label candidate) with anchor tokens; it
// returns how many words the match spans and its quality (1 = exact), or 0.
func matchSpan(ws []word, toks []string) (int, float64) {
	n := len(toks)
	if len(ws) < n {
		return 0, 0
	}
	want := strings.Join(toks, "")
	for _, span := range []int{n, n - 1, n + 1} {
		if span < 1 || span > len(ws) {
			continue
		}
		var got strings.Builder
		ok := true
		for k := 0; k < span; k++ {
			if k < n && toks[k] == "#" && span == n {
				if d := NormalizeDigits(ws[k].Text); d == "" || len(d) > 3 {
					ok = false
				}
				got.WriteString("#")
				continue
			}
			got.WriteString(ws[k].fold)
		}
		if !ok {
			continue
		}
		g := got.String()
		if g == want {
			return span, 1
		}
		if len(want) < 8 {
			continue
		}
		d := levenshtein(g, want)
		if tol := (len([]rune(want)) - 1) / 7; d <= tol {
			return span, 1 - float64(d)/float64(len([]rune(want)))
		}
	}
	return 0, 0
}

// findLabels finds label anchors on every line not taken by a table, longest match first.
func findLabels(lines []line, anchors map[string][]string, colonFree map[string]bool) []occurrence {
	var out []occurrence
	for li, l := range lines {
		if l.busy {
			continue
		}
		for i := 0; i < len(l.words); {
			best := occurrence{}
			bestLen := 0
			for k, toks := range anchors {
				n, q := matchSpan(l.words[i:], toks)
				if n == 0 {
					continue
				}
				last := l.words[i+n-1]
				colon := last.colon || (i+n < len(l.words) && strings.HasPrefix(l.words[i+n].Text, ":"))
				// Without a colon a label must start the line (after an item number such
				// as "1."), or be a table row label: words inside values ("điện thoại")
				// are not labels.
				// The item number must read as one: "Tam" is not "7".
				_, item := rowNumber(l.words[0])
				lineStart := i == 0 || (i == 1 && item && len(l.words[0].Text) <= 3)
				// Nor after a cell's gap (wider than one and a half word heights, where words
				// are a space apart): "Giới tính: Nữ   Dân tộc Khmer" with the colon lost.
				cellStart := false
				if i > 0 {
					w := l.words[i]
					h := w.Y1 - w.Y0
					cellStart = h > 0 && w.X0-l.words[i-1].X1 >= 3*h/2
				}
				if !colon && !(colonFree[k] && (lineStart || cellStart)) {
					continue
				}
				if len(k) > bestLen || (len(k) == bestLen && k < best.anchor) {
					best = occurrence{line: li, start: i, end: i + n, anchor: k, quality: q}
					bestLen = len(k)
				}
			}
			if bestLen > 0 {
				out = append(out, best)
				i = best.end
				continue
			}
			i++
		}
	}
	return out
}

// valueWords returns the words of the value after occurrence i.
func valueWords(lines []line, occs []occurrence, i int, multiline bool) []word {
	o := occs[i]
	l := lines[o.line]
	stop := len(l.words)
	for _, p := range occs {
		if p.line == o.line && p.start >= o.end && p.start < stop {
			stop = p.start
		}
	}
	ws := append([]word(nil), l.words[o.end:stop]...)
	for len(ws) > 0 && strings.Trim(ws[0].Text, ":;.") == "" {
		ws = ws[1:]
	}
	if !multiline || stop != len(l.words) {
		return ws
	}
	h := l.y1 - l.y0
	prev := l
	for j := o.line + 1; j < len(lines); j++ {
		n := lines[j]
		if n.page != l.page || n.busy || n.y0-prev.y1 > h || abs(n.x0-l.x0) > h {
			break
		}
		hasLabel := false
		for _, p := range occs {
			if p.line == j {
				hasLabel = true
				break
			}
		}
		if hasLabel || strings.HasSuffix(n.words[len(n.words)-1].Text, ":") {
			break
		}
		ws = append(ws, n.words...)
		prev = n
	}
	return ws
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// extractColumns reads fields printed as table columns ("Chồng", "Vợ") by their row label.
func extractColumns(rt *RecordType, lines []line, occs []occurrence) []Extracted {
	var cols []string
	seen := map[string]bool{}
	for _, f := range rt.Fields {
		if c := f.OCR.Column; c != "" && !seen[Fold(c)] {
			seen[Fold(c)] = true
			cols = append(cols, Fold(c))
		}
	}
	if len(cols) == 0 {
		return nil
	}
	// The header line holds every column header as a word.
	header, xs := -1, map[string]int{}
	for li, l := range lines {
		got := map[string]int{}
		for _, w := range l.words {
			for _, c := range cols {
				if _, ok := got[c]; !ok && (w.fold == strings.ReplaceAll(c, " ", "") || (len(c) > 3 && levenshtein(w.fold, c) <= 1)) {
					got[c] = w.X0
				}
			}
		}
		if len(got) == len(cols) {
			header, xs = li, got
			break
		}
	}
	if header < 0 {
		return nil
	}
	// Order the columns left to right by their header.
	order := append([]string(nil), cols...)
	sort.Slice(order, func(a, b int) bool { return xs[order[a]] < xs[order[b]] })
	hl := lines[header]
	var out []Extracted
	for _, f := range rt.Fields {
		if f.OCR.Column == "" {
			continue
		}
		ci := 0
		for k, c := range order {
			if c == Fold(f.OCR.Column) {
				ci = k
			}
		}
		want := map[string]bool{}
		for _, a := range f.OCR.Anchors {
			want[Fold(a)] = true
		}
		for _, o := range occs {
			if o.line <= header || lines[o.line].page != hl.page || !want[o.anchor] {
				continue
			}
			cells := splitCells(lines[o.line].words[o.end:], len(order))
			if cells == nil || len(cells[ci]) == 0 {
				continue
			}
			out = append(out, makeExtracted(f, cells[ci], hl.page, o.quality))
			break
		}
	}
	return out
}

// splitCells splits the words of a table row into n cells at the n-1 widest gaps between
// words (cells are separated by padding and column slack, words by one space).
func splitCells(ws []word, n int) [][]word {
	if len(ws) < n {
		return nil
	}
	type gap struct{ at, w int }
	var gaps []gap
	for i := 1; i < len(ws); i++ {
		gaps = append(gaps, gap{i, ws[i].X0 - ws[i-1].X1})
	}
	sort.SliceStable(gaps, func(a, b int) bool { return gaps[a].w > gaps[b].w })
	cuts := []int{}
	for _, g := range gaps[:n-1] {
		cuts = append(cuts, g.at)
	}
	sort.Ints(cuts)
	out := make([][]word, 0, n)
	prev := 0
	for _, c := range append(cuts, len(ws)) {
		out = append(out, ws[prev:c])
		prev = c
	}
	return out
}

// splitColon splits a word OCR glued across a colon ("tính:Nam") into the label part with
// its colon and the value part, sharing the box in proportion to the characters.
func splitColon(w queue.Word) []queue.Word {
	i := strings.IndexByte(w.Text, ':')
	if i <= 0 || i == len(w.Text)-1 {
		return []queue.Word{w}
	}
	a, b := w, w
	a.Text, b.Text = w.Text[:i+1], w.Text[i+1:]
	na, nb := len([]rune(a.Text)), len([]rune(b.Text))
	cut := w.X0 + (w.X1-w.X0)*na/(na+nb)
	a.X1, b.X0 = cut, cut
	return []queue.Word{a, b}
}
