package app

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/records"
)

// Tables on the keying form. Each table of the record type (household members…) follows
// the fields: a header, then one group of cells per row. A cell is a form row like a field:
// same entry, same Tab/Enter order, same durable save, same validation. Its stored key is
// the one extraction, validation and export use: "<table>_<row>_<column>"
// (records.Table), the row being the printed row number (STT).
//
// The rows shown are those with a value (stored or found by extraction), at least one.
// Alt+Insert adds a row after the last one; Alt+Delete removes the focused row when it is
// empty. Rows are not renumbered: a removed row has nothing stored, so there is nothing
// to move, and the numbers of the other rows stay those of the paper.

// maxTableRow is the largest row number records accepts in a cell key.
const maxTableRow = 999

// cellKey is the stored key of cell (row n, column col) of table t.
func cellKey(t *records.Table, n int, col string) string {
	return fmt.Sprintf("%s_%d_%s", t.Key, n, col)
}

// cellOf splits a stored key into the index of its table and its row number; ok is false
// for a field's key.
func (k *keyingScreen) cellOf(key string) (ti, n int, ok bool) {
	if _, known := k.rt.Field(key); !known {
		return 0, 0, false
	}
	for ti := range k.rt.Tables {
		t := &k.rt.Tables[ti]
		rest, found := strings.CutPrefix(key, t.Key+"_")
		if !found {
			continue
		}
		for _, c := range t.Columns {
			num, found := strings.CutSuffix(rest, "_"+c.Key)
			if !found {
				continue
			}
			if n, err := strconv.Atoi(num); err == nil && n > 0 && n <= maxTableRow && num == strconv.Itoa(n) {
				return ti, n, true
			}
		}
	}
	return 0, 0, false
}

// docTableRows are the rows of each table that the current document has a value in
// (stored, or found on the page by extraction), in order; at least one per table.
func (k *keyingScreen) docTableRows() [][]int {
	rows := make([]map[int]bool, len(k.rt.Tables))
	for i := range rows {
		rows[i] = map[int]bool{}
	}
	mark := func(key, value string) {
		if ti, n, ok := k.cellOf(key); ok && strings.TrimSpace(value) != "" {
			rows[ti][n] = true
		}
	}
	for key, fv := range k.stored {
		mark(key, fv.Value)
	}
	for key, x := range k.found {
		mark(key, x.Value)
	}
	out := make([][]int, len(rows))
	for ti, m := range rows {
		for n := range m {
			out[ti] = append(out[ti], n)
		}
		slices.Sort(out[ti])
	}
	return out
}

// setTableRows shows rows (per table; nil or empty: one row numbered 1) and rebuilds the
// form. The entries of cells already shown are kept with what is typed in them.
func (k *keyingScreen) setTableRows(rows [][]int) {
	k.trows = make([][]int, len(k.rt.Tables))
	for ti := range k.trows {
		if ti < len(rows) && len(rows[ti]) > 0 {
			k.trows[ti] = append([]int(nil), rows[ti]...)
		} else {
			k.trows[ti] = []int{1}
		}
	}
	k.layoutForm()
}

// layoutForm rebuilds k.rows and the form's objects from the fields and k.trows.
func (k *keyingScreen) layoutForm() {
	old := map[string]*keyRow{}
	for _, r := range k.rows {
		if r.tbl != nil {
			old[r.f.Key] = r
		}
	}
	rows := append([]*keyRow(nil), k.fieldRows...)
	var objs []fyne.CanvasObject
	for _, r := range k.fieldRows {
		objs = append(objs, r.label, r.cell)
	}
	for ti := range k.rt.Tables {
		t := &k.rt.Tables[ti]
		name := t.LabelEn
		if currentLanguage() == "vi" {
			name = t.LabelVi
		}
		hint := widget.NewLabel(tr("keying.tableKeys"))
		hint.Importance = widget.LowImportance
		hint.Truncation = fyne.TextTruncateEllipsis
		objs = append(objs, widget.NewLabelWithStyle(name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), hint)
		for _, n := range k.trows[ti] {
			objs = append(objs, widget.NewLabelWithStyle(tr("keying.tableRow", map[string]any{"N": n}), fyne.TextAlignLeading, fyne.TextStyle{Italic: true}),
				widget.NewLabel(""))
			for _, c := range t.Columns {
				key := cellKey(t, n, c.Key)
				r := old[key]
				if r == nil {
					f := c
					f.Key = key
					r = k.newRow(f)
					r.tbl, r.ti, r.n = t, ti, n
				}
				rows = append(rows, r)
				objs = append(objs, r.label, r.cell)
			}
		}
	}
	for i, r := range rows {
		r.entry.row = i
	}
	k.rows = rows
	k.form.Objects = objs
	k.form.Refresh()
	k.formBox.Refresh()
}

// rowName names a form row for the page pane: the field's label, or the column's label
// and the row number of a cell.
func (k *keyingScreen) rowName(r *keyRow) string {
	if r.tbl == nil {
		return k.label(r.f)
	}
	return k.label(r.f) + " · " + tr("keying.tableRow", map[string]any{"N": r.n})
}

// rowIndex is the index in k.rows of the row with key; -1 when it is not shown.
func (k *keyingScreen) rowIndex(key string) int {
	for i, r := range k.rows {
		if r.f.Key == key {
			return i
		}
	}
	return -1
}

// addRow adds a row after the last one of the focused cell's table (the first table when
// a field has the focus) and focuses its first cell.
func (k *keyingScreen) addRow() {
	if len(k.rt.Tables) == 0 {
		k.status.SetText(tr("keying.noTable"))
		return
	}
	if k.docID == 0 {
		return
	}
	k.leave(false)
	ti := 0
	if k.focus >= 0 && k.focus < len(k.rows) && k.rows[k.focus].tbl != nil {
		ti = k.rows[k.focus].ti
	}
	t := &k.rt.Tables[ti]
	nums := k.trows[ti]
	n := nums[len(nums)-1] + 1
	if n > maxTableRow {
		k.status.SetText(tr("keying.rowMax"))
		return
	}
	k.trows[ti] = append(nums, n)
	k.layoutForm()
	k.validate()
	name := t.LabelEn
	if currentLanguage() == "vi" {
		name = t.LabelVi
	}
	k.status.SetText(tr("keying.rowAdded", map[string]any{"N": n, "Table": name}))
	k.focusRow(k.rowIndex(cellKey(t, n, t.Columns[0].Key)))
}

// deleteRow removes the focused row of a table when none of its cells holds a value, typed
// or stored; a table keeps at least one row.
func (k *keyingScreen) deleteRow() {
	if k.focus < 0 || k.focus >= len(k.rows) || k.rows[k.focus].tbl == nil {
		k.status.SetText(tr("keying.rowNoTable"))
		return
	}
	k.leave(false) // a value the clerk cleared is saved as cleared first
	r := k.rows[k.focus]
	ti, n := r.ti, r.n
	if len(k.trows[ti]) == 1 {
		k.status.SetText(tr("keying.rowLast"))
		return
	}
	first := -1
	for i, c := range k.rows {
		if c.tbl == nil || c.ti != ti || c.n != n {
			continue
		}
		if first < 0 {
			first = i
		}
		if c.value() != "" || k.stored[c.f.Key].Value != "" {
			k.status.SetText(tr("keying.rowNotEmpty"))
			return
		}
	}
	pos := slices.Index(k.trows[ti], n)
	last := pos == len(k.trows[ti])-1
	k.trows[ti] = slices.Delete(k.trows[ti], pos, pos+1)
	k.layoutForm()
	k.validate()
	k.status.SetText(tr("keying.rowRemoved", map[string]any{"N": n}))
	if last {
		// the last row went: the previous row's first cell
		first -= len(r.tbl.Columns)
	}
	k.focusRow(first)
}
