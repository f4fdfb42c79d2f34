package docgen

import (
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"strings"
)

// Options control how documents are rendered.
type Options struct {
	DPI    int    // default 300; 150..600 accepted, 200..300 is the tested range
	Clean  bool   // true = no scan damage at all (no skew, noise, blur, rotation, blank pages)
	Format string // "png" (default) or "jpeg" for single-page documents
}

// Box is a rectangle in pixel coordinates of the FINAL (damaged, skewed,
// possibly rotated) page image; X1 and Y1 are exclusive.
type Box struct {
	X0 int `json:"x0"`
	Y0 int `json:"y0"`
	X1 int `json:"x1"`
	Y1 int `json:"y1"`
}

// Field is a labelled value printed on a page. Label is the Vietnamese label
// as printed (without the trailing colon); Value is exactly the printed value.
type Field struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Value string `json:"value"`
	Page  int    `json:"page"`
	Box   Box    `json:"box"`
}

// Line is one printed line of text. For a table row, Text holds the cells
// joined by single spaces.
type Line struct {
	Text string `json:"text"`
	Box  Box    `json:"box"`
}

// Page is the ground truth of one page image.
type Page struct {
	Index    int     `json:"index"`    // 0-based
	Text     string  `json:"text"`     // lines in reading order joined with "\n"; "" for a blank page
	Lines    []Line  `json:"lines"`    // in reading order
	Blank    bool    `json:"blank"`    // an empty back page with faint noise only
	Rotation int     `json:"rotation"` // 0 or 180: degrees clockwise the page image is rotated
	SkewDeg  float64 `json:"skew_deg"` // applied skew in degrees, positive = counter-clockwise, within ±3
	Width    int     `json:"width"`    // pixels
	Height   int     `json:"height"`   // pixels
}

// Document is the ground truth of one generated document.
type Document struct {
	ID       string  `json:"id"` // "doc-0007": stable for seed+index
	Seed     int64   `json:"seed"`
	Type     string  `json:"type"`      // one of Types
	TypeName string  `json:"type_name"` // Vietnamese title as printed
	DPI      int     `json:"dpi"`
	Pages    []Page  `json:"pages"`
	Fields   []Field `json:"fields"`
	Text     string  `json:"text"` // the Text of the non-blank pages joined with "\n"
}

// ErrOptions reports invalid options.
var ErrOptions = errors.New("docgen: invalid options / tùy chọn không hợp lệ")

func (o Options) normalise() (Options, error) {
	if o.DPI == 0 {
		o.DPI = 300
	}
	if o.DPI < 150 || o.DPI > 600 {
		return o, fmt.Errorf("%w: DPI %d outside 150..600", ErrOptions, o.DPI)
	}
	switch strings.ToLower(o.Format) {
	case "", "png":
		o.Format = "png"
	case "jpeg", "jpg":
		o.Format = "jpeg"
	default:
		return o, fmt.Errorf("%w: format %q (want png or jpeg)", ErrOptions, o.Format)
	}
	return o, nil
}

// splitmix64 is a good 64-bit mixer used to derive independent streams.
func splitmix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// docRand returns the random stream number stream of document (seed, index):
// 0 = content, 1 = scan damage, 2 = file encoding. Content does not depend on
// the options, so a Clean and a damaged rendering show the same document.
func docRand(seed int64, index int, stream uint64) *rand.Rand {
	a := splitmix64(uint64(seed) ^ splitmix64(uint64(index)+stream*0x632BE59BD9B4E019))
	b := splitmix64(a ^ uint64(index)<<20 ^ stream)
	return rand.New(rand.NewPCG(a, b))
}

// DocID is the ID of document index.
func DocID(index int) string { return fmt.Sprintf("doc-%04d", index) }

// Generate renders document index of the set seeded by seed. The same
// arguments give identical ground truth and identical pixels. Single-page
// documents come back as *image.RGBA (the stamp is red, the signature blue);
// pages of multi-page documents as *image.Gray, as they are stored in a
// grayscale TIFF.
func Generate(seed int64, index int, opts Options) (Document, []image.Image, error) {
	opts, err := opts.normalise()
	if err != nil {
		return Document{}, nil, err
	}
	if index < 0 {
		return Document{}, nil, fmt.Errorf("%w: negative index %d", ErrOptions, index)
	}
	f, err := newFaces(opts.DPI)
	if err != nil {
		return Document{}, nil, err
	}
	r := docRand(seed, index, 0)
	typ := Types[r.IntN(len(Types))]
	builders, err := layoutDoc(r, typ, f, opts.DPI)
	if err != nil {
		return Document{}, nil, err
	}
	for i, b := range builders {
		if err := b.check(); err != nil {
			return Document{}, nil, fmt.Errorf("docgen: %s page %d: %w", DocID(index), i, err)
		}
	}
	doc := Document{ID: DocID(index), Seed: seed, Type: typ, TypeName: typeNames[typ], DPI: opts.DPI}

	// Damage plan, drawn from its own stream in a fixed order.
	d := docRand(seed, index, 1)
	blankAt := -1
	if p := d.Float64(); !opts.Clean && p < 0.037 {
		blankAt = 1 + d.IntN(len(builders)) // a back page after some page
	}
	nPages := len(builders)
	if blankAt >= 0 {
		nPages++
	}
	gray := nPages > 1
	var imgs []image.Image
	bi := 0
	for pi := 0; pi < nPages; pi++ {
		dm := planDamage(d, opts.Clean)
		var b *pageBuilder
		if pi != blankAt {
			b = builders[bi]
			bi++
		} else {
			b = newPageBuilder(opts.DPI, f)
			dm.upsideDown = false
			dm.skew = 0
		}
		img := b.c.img
		var tr transform
		img, tr = dm.apply(img)
		page := Page{Index: pi, Blank: pi == blankAt, SkewDeg: dm.skew, Width: tr.w, Height: tr.h}
		if dm.upsideDown {
			page.Rotation = 180
		}
		if !page.Blank {
			var texts []string
			for _, l := range b.lines {
				page.Lines = append(page.Lines, Line{Text: l.Text, Box: tr.box(l.Box)})
				texts = append(texts, l.Text)
			}
			page.Text = strings.Join(texts, "\n")
			for _, fl := range b.fields {
				fl.Page = pi
				fl.Box = tr.box(fl.Box)
				doc.Fields = append(doc.Fields, fl)
			}
		}
		var out image.Image = img
		if gray {
			out = toGray(img)
		}
		if dm.jpegQ > 0 {
			if out, err = jpegRoundTrip(out, dm.jpegQ); err != nil {
				return Document{}, nil, err
			}
		}
		doc.Pages = append(doc.Pages, page)
		imgs = append(imgs, out)
	}
	var texts []string
	for _, p := range doc.Pages {
		if !p.Blank {
			texts = append(texts, p.Text)
		}
	}
	doc.Text = strings.Join(texts, "\n")
	return doc, imgs, nil
}

// check reports content that ran off the printable page.
func (b *pageBuilder) check() error {
	for _, l := range b.lines {
		if l.Box.X0 < 0 || l.Box.Y0 < 0 || l.Box.X1 > b.c.w || l.Box.Y1 > b.bottom+b.mm(8) {
			return fmt.Errorf("layout overflow: line box %v outside page %dx%d", l.Box, b.c.w, b.c.h)
		}
	}
	return nil
}

// transform maps clean-page coordinates to the final image.
type transform struct {
	w, h       int
	cos, sin   float64
	upsideDown bool
}

func (t transform) point(x, y float64) (float64, float64) {
	cx, cy := float64(t.w)/2, float64(t.h)/2
	dx, dy := x-cx, y-cy
	nx := cx + dx*t.cos + dy*t.sin
	ny := cy - dx*t.sin + dy*t.cos
	if t.upsideDown {
		nx, ny = float64(t.w)-nx, float64(t.h)-ny
	}
	return nx, ny
}

func (t transform) box(b Box) Box {
	xs := [4]float64{}
	ys := [4]float64{}
	xs[0], ys[0] = t.point(float64(b.X0), float64(b.Y0))
	xs[1], ys[1] = t.point(float64(b.X1), float64(b.Y0))
	xs[2], ys[2] = t.point(float64(b.X0), float64(b.Y1))
	xs[3], ys[3] = t.point(float64(b.X1), float64(b.Y1))
	minX, minY, maxX, maxY := xs[0], ys[0], xs[0], ys[0]
	for i := 1; i < 4; i++ {
		minX, maxX = math.Min(minX, xs[i]), math.Max(maxX, xs[i])
		minY, maxY = math.Min(minY, ys[i]), math.Max(maxY, ys[i])
	}
	return Box{
		X0: max(0, int(math.Floor(minX))), Y0: max(0, int(math.Floor(minY))),
		X1: min(t.w, int(math.Ceil(maxX))), Y1: min(t.h, int(math.Ceil(maxY))),
	}
}

// Rect returns the box as an image.Rectangle.
func (b Box) Rect() image.Rectangle { return image.Rect(b.X0, b.Y0, b.X1, b.Y1) }
