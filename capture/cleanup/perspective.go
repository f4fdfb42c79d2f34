package cleanup

import (
	"image"
	"math"
)

// Page quadrilateral (a phone photo of a sheet on a darker table, taken at an angle).
//
// findPage looks for it on a reduced grey copy: paper and background are told apart
// locally (paperMask), the background must hold most of the image's outer ring (a scan whose
// paper fills the frame has no quadrilateral to find), the paper is the largest connected
// bright region, and its corners are the region's extreme points along the two diagonals.
// The quadrilateral must hold at least a quarter of the image, be convex and not already
// be the frame itself.

const (
	quadSide     = 600  // the reduced copy's longer side, pixels
	quadMinArea  = 0.25 // of the image
	quadMinRing  = 0.6  // share of the outer ring that is background
	quadMinSkew  = 0.01 // corners off the frame's rectangle by less than this (of the side): not worth a warp
	quadMinFill  = 0.9  // paper pixels / quadrilateral area: a sheet, not a blob
	quadMaxRatio = 3.0  // longer / shorter side of the output page
)

// quad is four corners in order top-left, top-right, bottom-right, bottom-left.
type quad [4][2]float64

// findPage returns the page quadrilateral in full-resolution coordinates of an 8 bpp page.
func findPage(g *pix) (q quad, ok bool, err error) {
	w, h, _, _ := g.info()
	f := float64(quadSide) / float64(max(w, h))
	if f > 1 {
		f = 1
	}
	buf, sw, sh, err := g.small(f)
	if err != nil {
		return q, false, err
	}
	bright := paperMask(buf, sw, sh)
	// Background on the outer ring.
	ring, dark := 0, 0
	m := max(1, min(sw, sh)/50)
	for y := 0; y < sh; y++ {
		for x := 0; x < sw; x++ {
			if x >= m && y >= m && x < sw-m && y < sh-m {
				continue
			}
			ring++
			if !bright[y*sw+x] {
				dark++
			}
		}
	}
	if ring == 0 || float64(dark) < quadMinRing*float64(ring) {
		return q, false, nil
	}
	// Largest bright 4-connected region.
	label := make([]int32, sw*sh)
	var best, bestN int32
	stack := make([]int32, 0, 1024)
	var next int32
	for i := range buf {
		if label[i] != 0 || !bright[i] {
			continue
		}
		next++
		n := int32(0)
		stack = append(stack[:0], int32(i))
		label[i] = next
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n++
			x, y := int(p)%sw, int(p)/sw
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				nx, ny := x+d[0], y+d[1]
				if nx < 0 || ny < 0 || nx >= sw || ny >= sh {
					continue
				}
				j := ny*sw + nx
				if label[j] == 0 && bright[j] {
					label[j] = next
					stack = append(stack, int32(j))
				}
			}
		}
		if n > bestN {
			best, bestN = next, n
		}
	}
	if float64(bestN) < quadMinArea*float64(sw*sh) {
		return q, false, nil
	}
	// Extreme points along the diagonals. Text and holes inside the sheet do not matter.
	minS, maxS, minD, maxD := math.MaxInt, math.MinInt, math.MaxInt, math.MinInt
	var tl, br, tr, bl [2]int
	for i, l := range label {
		if l != best {
			continue
		}
		x, y := i%sw, i/sw
		if s := x + y; s < minS {
			minS, tl = s, [2]int{x, y}
		}
		if s := x + y; s > maxS {
			maxS, br = s, [2]int{x, y}
		}
		if d := x - y; d > maxD {
			maxD, tr = d, [2]int{x, y}
		}
		if d := x - y; d < minD {
			minD, bl = d, [2]int{x, y}
		}
	}
	small := quad{{float64(tl[0]), float64(tl[1])}, {float64(tr[0]) + 1, float64(tr[1])},
		{float64(br[0]) + 1, float64(br[1]) + 1}, {float64(bl[0]), float64(bl[1]) + 1}}
	area := small.area()
	if area <= 0 || !small.convex() || float64(bestN) < quadMinFill*area || float64(bestN) > area/quadMinFill {
		return q, false, nil
	}
	for i := range small {
		q[i] = [2]float64{small[i][0] / f, small[i][1] / f}
	}
	// An upright rectangle (a scan with dark edges): cropping and deskew see to it.
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range q {
		x0, y0, x1, y1 = min(x0, c[0]), min(y0, c[1]), max(x1, c[0]), max(y1, c[1])
	}
	box := quad{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
	off := 0.0
	for i := range q {
		off = max(off, math.Abs(q[i][0]-box[i][0])/float64(w), math.Abs(q[i][1]-box[i][1])/float64(h))
	}
	if off < quadMinSkew {
		return q, false, nil
	}
	pw, ph := q.size()
	if pw < minSide || ph < minSide || max(pw, ph) > quadMaxRatio*min(pw, ph) {
		return q, false, nil
	}
	return q, true, nil
}

// size is the output page's width and height: the longer of each pair of opposite sides.
func (q quad) size() (w, h float64) {
	d := func(a, b [2]float64) float64 { return math.Hypot(a[0]-b[0], a[1]-b[1]) }
	return math.Round(max(d(q[0], q[1]), d(q[3], q[2]))), math.Round(max(d(q[0], q[3]), d(q[1], q[2])))
}

// area by the shoelace formula (positive for the clockwise-on-screen order used here).
func (q quad) area() float64 {
	var a float64
	for i := range q {
		j := (i + 1) % 4
		a += q[i][0]*q[j][1] - q[j][0]*q[i][1]
	}
	return a / 2
}

// convex: every turn along the corners goes the same way.
func (q quad) convex() bool {
	for i := range q {
		a, b, c := q[i], q[(i+1)%4], q[(i+2)%4]
		if (b[0]-a[0])*(c[1]-b[1])-(b[1]-a[1])*(c[0]-b[0]) <= 0 {
			return false
		}
	}
	return true
}

// paperMask tells paper from background on a reduced grey page lit unevenly: a pixel is
// paper when it is at least paperShare of the brightest level around it (tiles within
// about an eighth of the page). Paper and a darker table are lit alike, so their ratio
// holds where one global threshold (Otsu's was tried) cuts off the sheet's shaded corner.
func paperMask(buf []byte, w, h int) []bool {
	const paperShare, reach = 0.6, 3
	ts := max(4, min(w, h)/24)
	tw, th := (w+ts-1)/ts, (h+ts-1)/ts
	tmax := make([]byte, tw*th)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if v := buf[y*w+x]; v > tmax[(y/ts)*tw+x/ts] {
				tmax[(y/ts)*tw+x/ts] = v
			}
		}
	}
	local := make([]byte, tw*th)
	for ty := 0; ty < th; ty++ {
		for tx := 0; tx < tw; tx++ {
			var m byte
			for yy := max(0, ty-reach); yy <= min(th-1, ty+reach); yy++ {
				for xx := max(0, tx-reach); xx <= min(tw-1, tx+reach); xx++ {
					m = max(m, tmax[yy*tw+xx])
				}
			}
			local[ty*tw+tx] = m
		}
	}
	out := make([]bool, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			l := float64(local[(y/ts)*tw+x/ts])
			out[y*w+x] = l >= 32 && float64(buf[y*w+x]) >= paperShare*l
		}
	}
	return out
}

// straighten maps the page quadrilateral q of work onto an upright rectangle and returns
// that rectangle's image.
func straighten(work *pix, q quad) (*pix, error) {
	pw, ph := q.size()
	w, h, _, _ := work.info()
	// leptonica's output is the input's size: the page must fit in it.
	if s := min(float64(w)/pw, float64(h)/ph); s < 1 {
		pw, ph = math.Floor(pw*s), math.Floor(ph*s)
	}
	src := [8]float64{q[0][0], q[0][1], q[1][0], q[1][1], q[2][0], q[2][1], q[3][0], q[3][1]}
	dst := [8]float64{0, 0, pw, 0, pw, ph, 0, ph}
	full, err := work.projective(src, dst)
	if err != nil {
		return nil, err
	}
	defer full.free()
	// A sliver at each edge (the paper's own edge and shadow) is left out.
	m := int(math.Round(min(pw, ph) / 200))
	return full.clip(image.Rect(m, m, int(pw)-m, int(ph)-m))
}
