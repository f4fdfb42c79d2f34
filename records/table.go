package records

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// extractTable reads the rows of a repeating table on every page where its header is
// printed. A row starts with its number (the index column); words go to the column whose
// header starts at or left of them. The lines of a table are marked busy so that scalar
// labels are not looked for inside it.
func extractTable(t Table, lines []line) []Extracted {
	if len(t.Columns) == 0 {
		return nil
	}
	var out []Extracted
	for hi := range lines {
		_, ok := tableHeader(t, lines[hi])
		if !ok {
			continue
		}
		lines[hi].busy = true
		prev := 0
		for j := hi + 1; j < len(lines) && lines[j].page == lines[hi].page; j++ {
			l := lines[j]
			if len(l.words) < 2 {
				break
			}
			num := NormalizeDigits(l.words[0].Text)
			n, err := strconv.Atoi(num)
			if err != nil || n <= 0 || n > 999 || len(num) != len(strings.TrimSpace(l.words[0].Text)) {
				break
			}
			// Row numbers run on: a misread number ("3" for "5") takes the next one.
			if prev > 0 && n != prev+1 {
				n = prev + 1
			}
			prev = n
			lines[j].busy = true
			cells := parseRow(t.Columns, l.words[1:])
			for c, ws := range cells {
				if len(ws) == 0 {
					continue
				}
				f := t.Columns[c]
				f.Key = fmt.Sprintf("%s_%d_%s", t.Key, n, f.Key)
				out = append(out, makeExtracted(f, ws, l.page, 1))
			}
		}
	}
	return out
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
