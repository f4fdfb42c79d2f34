package records

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// extractTable reads the rows of a repeating table on every page where its header is
// printed. Rows are the lines under the header; a row starts with its number (the index
// column); words go to the column whose header is above them (by x), or, when the headers
// were not all found or the positions do not fit the values, by what each column's values
// look like. The lines of a table are marked busy so that scalar labels are not looked for
// inside it.
//
// Row numbers are small and printed against the cell's top rule, so a damaged scan often
// loses them or reads them as "+", "_", "il" or "34". A line whose number is missing or
// misread is still a row when its cells look like one (dates, IDs and catalogue values where
// the columns want them). Numbers are checked against their neighbours: a row takes the
// number after the previous row's unless its own number is confirmed by the next row's. One
// line that is not a row (a stain, a rule read as text) does not end the table when one of
// the next two lines is clearly a row (its cells look like one, whatever its number).
func extractTable(t Table, lines []line) []Extracted {
	if len(t.Columns) == 0 {
		return nil
	}
	var out []Extracted
	for hi := range lines {
		starts, ok := tableHeader(t, lines[hi])
		if !ok {
			continue
		}
		lines[hi].busy = true
		// A word starting left of this x is in the index column: halfway between the
		// index header and the first column's header.
		indexEnd := 0
		if x, ok := starts[0]; ok {
			indexEnd = (lines[hi].words[0].X0 + x) / 2
		}
		type row struct {
			line  int
			n     int // the number as read; 0 when none
			cells [][]word
		}
		var rows []row
		// read returns line j as a row, if it is one.
		read := func(j int) (row, bool, bool) { // row, is a row, number alone on its line
			ws := lines[j].words
			n, numbered := rowNumber(ws[0])
			inIndex := indexEnd > 0 && ws[0].X0 < indexEnd && len([]rune(ws[0].Text)) <= 3
			if numbered || inIndex {
				ws = ws[1:]
			}
			if len(ws) == 0 {
				return row{}, false, numbered && inIndex
			}
			cells := rowCells(t.Columns, starts, indexEnd, ws)
			if !numbered && !rowLike(t.Columns, cells) {
				return row{}, false, false
			}
			if !numbered {
				n = 0
			}
			return row{line: j, n: n, cells: cells}, true, false
		}
		page := lines[hi].page
		for j := hi + 1; j < len(lines) && lines[j].page == page; j++ {
			r, ok, alone := read(j)
			if alone {
				// the number alone on its own line, above its row
				lines[j].busy = true
				continue
			}
			if !ok {
				next := false
				for k := j + 1; k <= j+2 && k < len(lines) && lines[k].page == page; k++ {
					if r, ok, _ := read(k); ok && rowLike(t.Columns, r.cells) {
						next = true
						break
					}
				}
				if !next {
					break
				}
				continue
			}
			rows = append(rows, r)
		}
		prev := 0
		for i, r := range rows {
			next := 0
			if i+1 < len(rows) {
				next = rows[i+1].n
			}
			n := prev + 1
			switch {
			case i == 0 && r.n > 0 && (next == 0 || next == r.n+1):
				n = r.n // a continued table starts at its number
			case i == 0 && next > 1:
				n = next - 1
			case r.n > prev+1 && next == r.n+1:
				n = r.n // a row was lost before this one
			}
			prev = n
			lines[r.line].busy = true
			for c, ws := range r.cells {
				if len(ws) == 0 {
					continue
				}
				f := t.Columns[c]
				f.Key = fmt.Sprintf("%s_%d_%s", t.Key, n, f.Key)
				out = append(out, makeExtracted(f, ws, lines[r.line].page, 1))
			}
		}
	}
	return out
}

// rowCells shares the words of a table row (its number taken off) out to the columns: by
// x under the column headers when every header was found, unless the values fit the
// columns better by their look (parseRow).
func rowCells(cols []Field, starts map[int]int, indexEnd int, ws []word) [][]word {
	byLook := parseRow(cols, ws)
	if len(starts) != len(cols) {
		return byLook
	}
	byX := make([][]word, len(cols))
	for _, w := range ws {
		c := 0
		for k := len(cols) - 1; k > 0; k-- {
			// a value may start a little left of its header (a header centred over a
			// wider value): a quarter of the gap to the previous header
			if w.X0 >= starts[k]-(starts[k]-starts[k-1])/4 {
				c = k
				break
			}
		}
		if len(byX[c]) == 0 && c == 0 && indexEnd > 0 && w.X0 < indexEnd {
			continue // stray mark in the index column
		}
		byX[c] = append(byX[c], w)
	}
	if typedFit(cols, byX) >= typedFit(cols, byLook) {
		return byX
	}
	return byLook
}

// typedFit counts the columns with a typed value whose cell starts like one.
func typedFit(cols []Field, cells [][]word) int {
	n := 0
	for c, f := range cols {
		if len(cells[c]) > 0 && startsCell(f, cells[c][0]) {
			n++
		}
	}
	return n
}

// rowNumber reads a row number such as "3", "3." or "3)" (OCR confusions allowed: "l" is 1).
func rowNumber(w word) (int, bool) {
	text := strings.TrimRight(strings.TrimSpace(w.Text), ".)")
	num := NormalizeDigits(text)
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || n > 999 || len(num) != len(text) {
		return 0, false
	}
	return n, true
}

// rowLike says whether cells read as a table row: at least half of the columns with a typed
// value (date, ID, number, catalogue) hold a word that can start such a value, and at
// least one does.
func rowLike(cols []Field, cells [][]word) bool {
	typed, ok := 0, 0
	for c, f := range cols {
		switch f.Type {
		case TypeDate, TypePersonalID, TypeNumber, TypeCatalog:
		default:
			continue
		}
		typed++
		if len(cells[c]) > 0 && startsCell(f, cells[c][0]) {
			ok++
		}
	}
	return ok > 0 && ok*2 >= typed
}

// tableHeader finds the start x of each column's header on line l; ok when the index
// header and at least half of the columns are there.
func tableHeader(t Table, l line) (map[int]int, bool) {
	if l.busy || len(l.words) == 0 {
		return nil, false
	}
	idx := false
	for _, a := range t.IndexHeader {
		if n, _ := matchSpan(l.words, foldWords(a)); n > 0 {
			idx = true
		}
	}
	if !idx {
		return nil, false
	}
	starts := map[int]int{}
	for c, col := range t.Columns {
		for i := 1; i < len(l.words); i++ {
			matched := false
			for _, a := range col.OCR.Anchors {
				if n, _ := matchSpan(l.words[i:], foldWords(a)); n > 0 {
					starts[c] = l.words[i].X0
					matched = true
					break
				}
			}
			if matched {
				break
			}
		}
	}
	if len(starts)*2 < len(t.Columns) {
		return nil, false
	}
	// Headers must be left to right in column order.
	xs := make([]int, 0, len(starts))
	for c := range t.Columns {
		if x, ok := starts[c]; ok {
			xs = append(xs, x)
		}
	}
	if !sort.IntsAreSorted(xs) {
		return nil, false
	}
	return starts, true
}

// startsCell says whether w can be the first word of a value of column f.
func startsCell(f Field, w word) bool {
	d := NormalizeDigits(w.Text)
	switch f.Type {
	case TypeDate:
		_, err := ParseDate(w.Text)
		return err == nil || (len(d) >= 6 && strings.ContainsAny(w.Text, "/-."))
	case TypePersonalID, TypeNumber:
		return len(d) >= 6 && len(d)*2 >= len([]rune(w.Text))
	case TypeCatalog:
		for _, v := range List(f.Catalog) {
			if fv := foldWords(v); len(fv) > 0 && levenshtein(fv[0], w.fold) <= len(fv[0])/4 {
				return true
			}
		}
	}
	return false
}

// parseRow shares the words of a table row out to the columns in order, by what each
// column's values look like: a name runs until a word that can start the next column.
func parseRow(cols []Field, ws []word) [][]word {
	cells := make([][]word, len(cols))
	i := 0
	for c, f := range cols {
		if i >= len(ws) {
			break
		}
		if c == len(cols)-1 {
			cells[c] = ws[i:]
			break
		}
		next := cols[c+1]
		switch f.Type {
		case TypeDate, TypePersonalID, TypeNumber:
			cells[c] = ws[i : i+1]
			i++
			continue
		case TypeCatalog:
			// one or two words ("Chủ hộ"), as long as the next column does not start
			n := 1
			if i+1 < len(ws) && !startsCell(next, ws[i+1]) {
				if _, ok := snapCatalog(List(f.Catalog), ws[i].Text+" "+ws[i+1].Text); ok {
					n = 2
				}
			}
			cells[c] = ws[i : i+n]
			i += n
			continue
		}
		j := i + 1
		for j < len(ws) && !startsCell(next, ws[j]) {
			j++
		}
		cells[c] = ws[i:j]
		i = j
	}
	return cells
}
