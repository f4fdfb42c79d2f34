package docgen

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// damage is the scan damage planned for one page.
type damage struct {
	clean      bool
	skew       float64 // degrees, positive = counter-clockwise
	upsideDown bool
	blur       bool
	noiseSigma float64
	noiseSeed  uint64
	// brightness falls linearly from 1 at one corner to 1-shade at the other
	shade        float64
	shadeAngle   float64
	tintG, tintB float64 // paper tint multipliers for G and B
	jpegQ        int     // 0 = no JPEG round trip
}

// planDamage draws the damage of one page. It always consumes the same
// amount of randomness so later pages do not depend on earlier choices.
func planDamage(r *rand.Rand, clean bool) damage {
	d := damage{
		clean:      clean,
		skew:       (r.Float64()*2 - 1) * 3,
		upsideDown: r.Float64() < 0.03,
		blur:       r.Float64() < 0.25,
		noiseSigma: 2 + r.Float64()*4,
		noiseSeed:  r.Uint64(),
		shade:      0.03 + r.Float64()*0.10,
		shadeAngle: r.Float64() * 2 * math.Pi,
		tintG:      1 - r.Float64()*0.03,
		tintB:      1 - r.Float64()*0.08,
	}
	q := 70 + r.IntN(21)
	if r.Float64() < 0.25 {
		d.jpegQ = q
	}
	// Round the skew to 0.01° so the ground truth states it exactly.
	d.skew = math.Round(d.skew*100) / 100
	if clean {
		return damage{clean: true}
	}
	return d
}

// apply returns the damaged image and the coordinate transform from the
// clean page to it.
func (d damage) apply(src *image.RGBA) (*image.RGBA, transform) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	t := transform{w: w, h: h, cos: 1}
	if d.clean {
		return src, t
	}
	rad := d.skew * math.Pi / 180
	t.cos, t.sin = math.Cos(rad), math.Sin(rad)
	t.upsideDown = d.upsideDown
	img := rotate(src, t)
	shadeAndTint(img, d)
	if d.blur {
		blur121(img)
	}
	addNoise(img, d.noiseSigma, d.noiseSeed)
	return img, t
}

// rotate resamples src through t (skew about the centre, then an optional
// 180° turn) with bilinear interpolation and white fill. Source coordinates
// advance incrementally in 16.16 fixed point along each row.
func rotate(src *image.RGBA, t transform) *image.RGBA {
	w, h := t.w, t.h
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	sp, ss := src.Pix, src.Stride
	dp := dst.Pix
	cx, cy := float64(w)/2, float64(h)/2
	// dX is the change of the pre-turn x per destination pixel.
	dX := 1.0
	if t.upsideDown {
		dX = -1
	}
	const one = 1 << 16
	stepX := int64(math.Round(dX * t.cos * one))
	stepY := int64(math.Round(dX * t.sin * one))
	for y := 0; y < h; y++ {
		// Destination pixel centre, undo the 180° turn, then the inverse
		// skew: sx = X cos - Y sin, sy = X sin + Y cos about the centre.
		px, py := 0.5, float64(y)+0.5
		if t.upsideDown {
			px, py = float64(w)-px, float64(h)-py
		}
		X, Y := px-cx, py-cy
		fx := int64(math.Round((cx + X*t.cos - Y*t.sin - 0.5) * one))
		fy := int64(math.Round((cy + X*t.sin + Y*t.cos - 0.5) * one))
		row := dp[y*dst.Stride : y*dst.Stride+w*4]
		for x := 0; x < w; x, fx, fy = x+1, fx+stepX, fy+stepY {
			di := x * 4
			x0, y0 := int(fx>>16), int(fy>>16)
			if fx < 0 || fy < 0 || x0+1 >= w || y0+1 >= h {
				row[di], row[di+1], row[di+2], row[di+3] = 255, 255, 255, 255
				continue
			}
			i00 := y0*ss + x0*4
			i10 := i00 + ss
			if binary.LittleEndian.Uint64(sp[i00:]) == ^uint64(0) && binary.LittleEndian.Uint64(sp[i10:]) == ^uint64(0) {
				row[di], row[di+1], row[di+2], row[di+3] = 255, 255, 255, 255
				continue
			}
			ax := fx & (one - 1)
			ay := fy & (one - 1)
			w00 := (one - ax) * (one - ay) >> 16
			w01 := ax * (one - ay) >> 16
			w10 := (one - ax) * ay >> 16
			w11 := ax * ay >> 16
			for c := 0; c < 3; c++ {
				v := int64(sp[i00+c])*w00 + int64(sp[i00+4+c])*w01 + int64(sp[i10+c])*w10 + int64(sp[i10+4+c])*w11
				row[di+c] = uint8((v + one/2) >> 16)
			}
			row[di+3] = 255
		}
	}
	return dst
}

// shadeAndTint darkens the page along a linear gradient and tints it
// slightly yellow, like uneven lighting on aged paper.
func shadeAndTint(img *image.RGBA, d damage) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	ux, uy := math.Cos(d.shadeAngle), math.Sin(d.shadeAngle)
	// projection range over the corners
	proj := func(x, y float64) float64 { return x*ux + y*uy }
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range [][2]float64{{0, 0}, {float64(w), 0}, {0, float64(h)}, {float64(w), float64(h)}} {
		p := proj(c[0], c[1])
		lo, hi = math.Min(lo, p), math.Max(hi, p)
	}
	scale := d.shade / (hi - lo)
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		f0 := 1 - (proj(0, float64(y))-lo)*scale
		step := -ux * scale
		// 16.16 fixed point factors per channel, advanced per pixel.
		fr := int64(f0 * 65536)
		fs := int64(step * 65536)
		tg := int64(d.tintG * 65536)
		tb := int64(d.tintB * 65536)
		for x := 0; x < w; x++ {
			i := x * 4
			row[i] = uint8(int64(row[i]) * fr >> 16)
			g := int64(row[i+1]) * fr >> 16
			row[i+1] = uint8(g * tg >> 16)
			b := int64(row[i+2]) * fr >> 16
			row[i+2] = uint8(b * tb >> 16)
			fr += fs
		}
	}
}

// blur121 applies a separable [1 2 1]/4 kernel (a slight defocus).
func blur121(img *image.RGBA) {
	w, h, s := img.Rect.Dx(), img.Rect.Dy(), img.Stride
	p := img.Pix
	tmp := make([]uint8, len(p))
	copy(tmp, p)
	for y := 0; y < h; y++ {
		row := y * s
		for x := 1; x < w-1; x++ {
			i := row + x*4
			for c := 0; c < 3; c++ {
				tmp[i+c] = uint8((int(p[i-4+c]) + 2*int(p[i+c]) + int(p[i+4+c]) + 2) >> 2)
			}
		}
	}
	for y := 1; y < h-1; y++ {
		row := y * s
		for x := 0; x < w; x++ {
			i := row + x*4
			for c := 0; c < 3; c++ {
				p[i+c] = uint8((int(tmp[i-s+c]) + 2*int(tmp[i+c]) + int(tmp[i+s+c]) + 2) >> 2)
			}
		}
	}
}

// addNoise adds luminance noise with standard deviation sigma, from a fast
// deterministic generator and a table of normal deviates.
func addNoise(img *image.RGBA, sigma float64, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed^0xA5A5A5A5))
	var table [4096]int16
	for i := range table {
		table[i] = int16(math.Round(r.NormFloat64() * sigma))
	}
	s := seed | 1
	p := img.Pix
	for i := 0; i+3 < len(p); i += 4 {
		// xorshift64
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		n := int(table[s&4095])
		for c := 0; c < 3; c++ {
			v := int(p[i+c]) + n
			if v < 0 {
				v = 0
			} else if v > 255 {
				v = 255
			}
			p[i+c] = uint8(v)
		}
	}
}

// toGray converts to 8-bit luminance (ITU-R 601 weights).
func toGray(img *image.RGBA) *image.Gray {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		sr := img.Pix[y*img.Stride:]
		dr := g.Pix[y*g.Stride:]
		for x := 0; x < w; x++ {
			i := x * 4
			dr[x] = uint8((299*int(sr[i]) + 587*int(sr[i+1]) + 114*int(sr[i+2]) + 500) / 1000)
		}
	}
	return g
}

// jpegRoundTrip encodes and decodes img at quality q, returning the same
// concrete type (*image.Gray or *image.RGBA).
func jpegRoundTrip(img image.Image, q int) (image.Image, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("docgen: jpeg encode: %w", err)
	}
	dec, err := jpeg.Decode(&buf)
	if err != nil {
		return nil, fmt.Errorf("docgen: jpeg decode: %w", err)
	}
	// Copy into a fresh image: the decoder may pad rows (Stride > width).
	if _, want := img.(*image.Gray); want {
		g := image.NewGray(dec.Bounds())
		draw.Draw(g, g.Rect, dec, dec.Bounds().Min, draw.Src)
		return g, nil
	}
	out := image.NewRGBA(dec.Bounds())
	draw.Draw(out, out.Rect, dec, dec.Bounds().Min, draw.Src)
	return out, nil
}
