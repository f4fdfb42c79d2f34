package docgen

import (
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"strings"

	"golang.org/x/image/font"
)

var (
	black     = color.RGBA{20, 20, 24, 255}
	stampRed  = color.RGBA{226, 60, 66, 255}
	inkBlue   = color.RGBA{40, 60, 150, 255}
	ruleColor = color.RGBA{40, 40, 40, 255}
	// Table rules are printed in mid grey, as on many pre-printed forms.
	tableRule = color.RGBA{60, 60, 60, 255}
)

// pageBuilder lays out one A4 page top to bottom and records the ground
// truth of what it draws in clean-page coordinates.
type pageBuilder struct {
	c                        *canvas
	f                        *faces
	dpi                      int
	left, right, top, bottom int
	y                        int // baseline of the next line
	lines                    []Line
	fields                   []Field
	gridVertical             bool // draw vertical cell rules in tables
}

// seg is a run of text on a line. A non-empty key records a field whose
// value is the run's text.
type seg struct {
	text       string
	face       font.Face
	key, label string
	gap        int // extra pixels before the run (besides one space)
}

func newPageBuilder(dpi int, f *faces) *pageBuilder {
	w := int(math.Round(210 / 25.4 * float64(dpi)))
	h := int(math.Round(297 / 25.4 * float64(dpi)))
	b := &pageBuilder{c: newCanvas(w, h), f: f, dpi: dpi}
	b.left, b.right = b.mm(25), w-b.mm(18)
	b.top, b.bottom = b.mm(16), h-b.mm(16)
	b.y = b.top + b.lineAscent(f.body)
	return b
}

func (b *pageBuilder) mm(v float64) int { return int(math.Round(v * float64(b.dpi) / 25.4)) }

func (b *pageBuilder) lineAscent(f font.Face) int { return f.Metrics().Ascent.Ceil() }

// pitch is the baseline-to-baseline distance for face f.
func (b *pageBuilder) pitch(f font.Face) int {
	return int(float64(f.Metrics().Height.Ceil()) * 1.18)
}

// line draws segments starting at x on the current baseline and advances.
func (b *pageBuilder) line(x int, segs ...seg) Line {
	var texts []string
	var box Box
	for i, s := range segs {
		if i > 0 {
			x += textWidth(s.face, " ") + s.gap
		}
		bx := b.c.drawText(s.face, x, b.y, s.text, black)
		x += textWidth(s.face, s.text)
		box = box.union(bx)
		texts = append(texts, s.text)
		if s.key != "" {
			b.fields = append(b.fields, Field{Key: s.key, Label: s.label, Value: s.text, Box: bx})
		}
	}
	l := Line{Text: normSpace(strings.Join(texts, " ")), Box: box}
	b.lines = append(b.lines, l)
	b.y += b.pitch(segs[0].face)
	return l
}

// centeredBox draws text centred between x0 and x1 with baseline y and
// returns its ink box without recording a line.
func (b *pageBuilder) centeredBox(f font.Face, x0, x1, y int, text string) Box {
	w := textWidth(f, text)
	return b.c.drawText(f, x0+(x1-x0-w)/2, y, text, black)
}

// centered draws text centred between x0 and x1 on the current baseline
// without advancing; it returns the ink box.
func (b *pageBuilder) centeredAt(f font.Face, x0, x1, y int, text string) Box {
	w := textWidth(f, text)
	bx := b.c.drawText(f, x0+(x1-x0-w)/2, y, text, black)
	b.lines = append(b.lines, Line{Text: normSpace(text), Box: bx})
	return bx
}

// field draws "label: value" on one or more lines (the value wraps on word
// boundaries) and records the field.
func (b *pageBuilder) field(x int, key, label, value string, face font.Face) {
	b.fieldPrefixed(x, "", key, label, value, face)
}

func (b *pageBuilder) fieldPrefixed(x int, prefix, key, label, value string, face font.Face) {
	lab := prefix + label + ":"
	sp := textWidth(face, " ")
	avail := b.right - x - textWidth(face, lab) - sp
	words := strings.Fields(value)
	var rows [][]string
	cur := []string{}
	for _, w := range words {
		try := strings.Join(append(append([]string{}, cur...), w), " ")
		limit := avail
		if len(rows) > 0 {
			limit = b.right - x
		}
		if len(cur) > 0 && textWidth(face, try) > limit {
			rows = append(rows, cur)
			cur = []string{w}
			continue
		}
		cur = append(cur, w)
	}
	rows = append(rows, cur)
	var fbox Box
	for i, r := range rows {
		val := strings.Join(r, " ")
		if i == 0 {
			b.line(x, seg{text: lab, face: face}, seg{text: val, face: face})
		} else {
			b.line(x, seg{text: val, face: face})
		}
		// The value box is the last drawn run of this line.
		vx := x
		if i == 0 {
			vx = x + textWidth(face, lab) + sp
		}
		bb, _ := font.BoundString(face, val)
		y := b.y - b.pitch(face)
		fbox = fbox.union(Box{vx + bb.Min.X.Floor(), y + bb.Min.Y.Floor(), vx + bb.Max.X.Ceil(), y + bb.Max.Y.Ceil()})
	}
	b.fields = append(b.fields, Field{Key: key, Label: label, Value: strings.Join(words, " "), Box: fbox})
}

// kv is one labelled value of a multi-field line.
type kv struct{ key, label, value string }

// multiField draws several "label: value" pairs on one line separated by a
// moderate gap, falling back to one pair per line when they do not fit.
func (b *pageBuilder) multiField(x int, face font.Face, kvs ...kv) {
	gap := b.mm(6)
	total := 0
	for i, p := range kvs {
		if i > 0 {
			total += gap + textWidth(face, " ")
		}
		total += textWidth(face, p.label+": "+p.value)
	}
	if x+total > b.right {
		for _, p := range kvs {
			b.field(x, p.key, p.label, p.value, face)
		}
		return
	}
	var segs []seg
	for i, p := range kvs {
		g := 0
		if i > 0 {
			g = gap
		}
		segs = append(segs, seg{text: p.label + ":", face: face, gap: g}, seg{text: p.value, face: face, key: p.key, label: p.label})
	}
	b.line(x, segs...)
}

// text draws a plain paragraph, wrapped to the text width.
func (b *pageBuilder) text(x int, s string, face font.Face) {
	words := strings.Fields(s)
	cur := ""
	for _, w := range words {
		try := strings.TrimSpace(cur + " " + w)
		if cur != "" && x+textWidth(face, try) > b.right {
			b.line(x, seg{text: cur, face: face})
			cur = w
			continue
		}
		cur = try
	}
	if cur != "" {
		b.line(x, seg{text: cur, face: face})
	}
}

// header draws the agency block (left) and the national motto (right) and
// the document number under the agency. Reading order of the ground truth
// is the left block, then the right block, as Tesseract reads two columns.
func (b *pageBuilder) header(agency1, agency2, number string) {
	f := b.f
	motto1 := "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
	motto2 := "Độc lập - Tự do - Hạnh phúc"
	mw := textWidth(f.headerBold, motto1)
	rx1 := b.right
	rx0 := rx1 - mw - b.mm(2)
	lx0 := b.left - b.mm(6)
	lx1 := rx0 - b.mm(8)
	y0 := b.y
	p := b.pitch(f.header)
	th := max(2, b.dpi/120)
	// Rows of the two columns share baselines; Tesseract reads them as one
	// text line each (left text, then right text), so the ground truth does too.
	l1 := b.centeredBox(f.header, lx0, lx1, y0, agency1)
	r1 := b.centeredBox(f.headerBold, rx0, rx1, y0, motto1)
	b.lines = append(b.lines, Line{Text: agency1 + " " + motto1, Box: l1.union(r1)})
	ab := b.centeredBox(f.headerBold, lx0, lx1, y0+p, agency2)
	mb := b.centeredBox(f.headerBold, rx0, rx1, y0+p, motto2)
	b.lines = append(b.lines, Line{Text: agency2 + " " + motto2, Box: ab.union(mb)})
	// short rule under the agency name, full rule under the motto
	cx := (ab.X0 + ab.X1) / 2
	ul := b.mm(12)
	b.c.fillRect(cx-ul, ab.Y1+b.mm(1.6), cx+ul, ab.Y1+b.mm(1.6)+th, ruleColor)
	b.c.fillRect(mb.X0, mb.Y1+b.mm(1.6), mb.X1, mb.Y1+b.mm(1.6)+th, ruleColor)
	numY := y0 + 2*p + b.mm(3)
	label := "Số:"
	nw := textWidth(f.header, label+" "+number)
	nx := lx0 + (lx1-lx0-nw)/2
	lb := b.c.drawText(f.header, nx, numY, label, black)
	vx := nx + textWidth(f.header, label+" ")
	vb := b.c.drawText(f.header, vx, numY, number, black)
	b.lines = append(b.lines, Line{Text: label + " " + number, Box: lb.union(vb)})
	b.fields = append(b.fields, Field{Key: "document_number", Label: "Số", Value: number, Box: vb})
	b.y = numY + b.mm(16)
}

// title draws a centred bold title.
func (b *pageBuilder) title(s string) {
	b.centeredAt(b.f.title, b.left, b.right, b.y, s)
	b.y += b.pitch(b.f.title) + b.mm(5)
}

// table draws a ruled table; keys (may be nil) name the field of each cell.
// Each row is one ground-truth line: its cells joined by single spaces.
func (b *pageBuilder) table(header []string, rows [][]string, keys [][]string, labels []string) error {
	hf, cf := b.f.smallBold, b.f.small
	pad := b.mm(1.0)
	n := len(header)
	widths := make([]int, n)
	for i, h := range header {
		widths[i] = textWidth(hf, h) + 2*pad
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], textWidth(cf, c)+2*pad)
		}
	}
	total := 0
	for _, w := range widths {
		total += w
	}
	x0 := b.left
	avail := b.right - x0
	if total > avail {
		// Long names: tighten the cell padding (never below 0.3 mm) before giving up.
		minPad := b.mm(0.3)
		cut := min(pad-minPad, (total-avail+2*n-1)/(2*n))
		for i := range widths {
			widths[i] -= 2 * cut
		}
		total -= 2 * cut * n
		pad -= cut
	}
	if total > avail {
		return fmt.Errorf("docgen: table too wide (%d > %d px)", total, avail)
	}
	// Columns stay tight (no stretching to the full width): wide gaps between
	// cells make Tesseract split the table into columns and read them one
	// after the other instead of row by row.
	xs := []int{x0}
	for _, w := range widths {
		xs = append(xs, xs[len(xs)-1]+w)
	}
	tx1 := xs[n]
	rowH := int(float64(cf.Metrics().Height.Ceil()) * 1.75)
	asc := cf.Metrics().Ascent.Ceil()
	desc := cf.Metrics().Descent.Ceil()
	th := max(3, b.dpi*3/254) // 0.3 mm rules
	top := b.y - b.lineAscent(b.f.body) + b.mm(2.5)
	y := top
	drawRow := func(cells []string, face font.Face, rowKeys []string) {
		base := y + (rowH+asc-desc)/2
		var texts []string
		var box Box
		for i, c := range cells {
			if c == "" {
				continue
			}
			bx := b.c.drawText(face, xs[i]+pad, base, c, black)
			box = box.union(bx)
			texts = append(texts, c)
			if rowKeys != nil && rowKeys[i] != "" {
				b.fields = append(b.fields, Field{Key: rowKeys[i], Label: labels[i], Value: c, Box: bx})
			}
		}
		b.lines = append(b.lines, Line{Text: normSpace(strings.Join(texts, " ")), Box: box})
		y += rowH
	}
	drawRow(header, hf, nil)
	for i, r := range rows {
		var k []string
		if keys != nil {
			k = keys[i]
		}
		drawRow(r, cf, k)
	}
	// Horizontal rules under every row (and, optionally, vertical cell
	// rules). Row rules keep Tesseract reading row by row; full grids make it
	// read cell borders as "|" and break rows apart on skewed scans.
	for r := 0; r <= len(rows)+1; r++ {
		yy := top + r*rowH
		b.c.fillRect(x0, yy, tx1+th, yy+th, tableRule)
	}
	if b.gridVertical {
		for _, x := range xs {
			b.c.fillRect(x, top, x+th, y+th, tableRule)
		}
	}
	b.y = y + b.mm(6) + b.lineAscent(b.f.body)
	return nil
}

// signer draws the place-and-date line, the signer's role, a signature
// scribble, a red round stamp and the signer's name in the right half.
// The stamp overlaps the signature area but never the name.
func (b *pageBuilder) signer(r *rand.Rand, place, date string, roles []string, name, stampText string) {
	f := b.f
	x0 := b.left + (b.right-b.left)*44/100
	x1 := b.right
	cx := (x0 + x1) / 2
	b.y += b.mm(2)
	// place and date: two runs, the date is the issue_date field
	pl := place + ","
	w := textWidth(f.body, pl+" "+date)
	px := cx - w/2
	pb := b.c.drawText(f.body, px, b.y, pl, black)
	dx := px + textWidth(f.body, pl+" ")
	db := b.c.drawText(f.body, dx, b.y, date, black)
	b.lines = append(b.lines, Line{Text: pl + " " + date, Box: pb.union(db)})
	b.fields = append(b.fields, Field{Key: "issue_date", Label: "Ngày cấp", Value: date, Box: db})
	b.y += b.pitch(f.body)
	var rb Box
	for _, role := range roles {
		rb = b.centeredAt(f.bodyBold, x0, x1, b.y, role)
		b.y += b.pitch(f.bodyBold)
	}
	radius := float64(b.mm(16.5))
	scx := float64(cx) - float64(b.mm(10)) + r.Float64()*float64(b.mm(8))
	scy := float64(rb.Y1) + radius + float64(b.mm(0.5))
	// signature scribble in blue ink
	b.scribble(r, float64(cx)-float64(b.mm(14)), scy-float64(b.mm(9)), float64(b.mm(38)), float64(b.mm(15)))
	b.stamp(r, scx, scy, radius, stampText)
	b.y = int(scy+radius) + b.mm(3) + b.lineAscent(f.bodyBold)
	nw := textWidth(f.bodyBold, name)
	nb := b.c.drawText(f.bodyBold, cx-nw/2, b.y, name, black)
	b.lines = append(b.lines, Line{Text: name, Box: nb})
	b.fields = append(b.fields, Field{Key: "signer_name", Label: "Người ký", Value: name, Box: nb})
	b.y += b.pitch(f.bodyBold)
}

func (b *pageBuilder) stamp(r *rand.Rand, cx, cy, radius float64, text string) {
	op := 0.78 + r.Float64()*0.12
	lw := float64(b.mm(0.7))
	b.c.ring(cx, cy, radius, lw, stampRed, op)
	b.c.ring(cx, cy, radius*0.64, lw*0.8, stampRed, op)
	b.c.star(cx, cy, radius*0.32, stampRed, op)
	b.c.arcText(b.f.stamp, cx, cy, radius*0.72, text, stampRed, op)
}

// scribble draws a handwritten-looking signature inside the given rect.
func (b *pageBuilder) scribble(r *rand.Rand, x, y, w, h float64) {
	var pts [][2]float64
	loops := 3 + r.IntN(3)
	ph := r.Float64() * math.Pi
	n := 400
	for i := 0; i <= n; i++ {
		t := float64(i) / float64(n)
		px := x + w*t + w*0.05*math.Sin(t*math.Pi*2*float64(loops)*2+ph)
		py := y + h/2 + h*0.42*math.Sin(t*math.Pi*2*float64(loops)+ph)*math.Cos(t*math.Pi*0.8)
		pts = append(pts, [2]float64{px, py})
	}
	// a final underline flourish
	pts = append(pts, [2]float64{x + w*0.95, y + h*0.95}, [2]float64{x + w*0.15, y + h*1.05})
	b.c.stroke(pts, math.Max(2, float64(b.dpi)/110), inkBlue, 0.9)
}
