package cleanup

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
)

// genPage is one generated page with its ground truth and PNG bytes.
type genPage struct {
	doc   int
	truth docgen.Page
	png   []byte
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := docgen.EncodePNG(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// generate renders documents first..last-1 of seed at dpi, two at a time,
// and returns their pages in order.
func generate(t testing.TB, seed int64, first, last, dpi int, clean bool) []genPage {
	t.Helper()
	out := make([][]genPage, last-first)
	errs := make([]error, last-first)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := first; i < last; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			doc, pages, err := docgen.Generate(seed, i, docgen.Options{DPI: dpi, Clean: clean})
			if err != nil {
				errs[i-first] = err
				return
			}
			for j, img := range pages {
				var b bytes.Buffer
				if err := docgen.EncodePNG(&b, img); err != nil {
					errs[i-first] = err
					return
				}
				out[i-first] = append(out[i-first], genPage{doc: i, truth: doc.Pages[j], png: b.Bytes()})
			}
		}(i)
	}
	wg.Wait()
	var all []genPage
	for i, ps := range out {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		all = append(all, ps...)
	}
	return all
}

// rotatePNG turns a PNG clockwise by deg (multiple of 90) with leptonica.
func rotatePNG(t testing.TB, data []byte, deg int) []byte {
	t.Helper()
	if deg%360 == 0 {
		return data
	}
	p, err := readPix(data)
	if err != nil {
		t.Fatal(err)
	}
	defer p.free()
	r, err := p.rotateOrth(deg % 360)
	if err != nil {
		t.Fatal(err)
	}
	defer r.free()
	out, err := r.encodePNG(1)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// processAll runs Process on every input with two goroutines (which also
// exercises concurrent use of leptonica and the OSD pool).
func processAll(t testing.TB, inputs [][]byte, p Profile) []Result {
	t.Helper()
	res := make([]Result, len(inputs))
	errs := make([]error, len(inputs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res[i], errs[i] = Process(context.Background(), inputs[i], p)
			}
		}()
	}
	for i := range inputs {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("input %d: %v", i, err)
		}
	}
	return res
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// paper returns a w x h sheet of slightly uneven paper with sensor noise.
func paper(w, h int, seed uint64) *image.Gray {
	r := rand.New(rand.NewPCG(seed, 1))
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 236 - 12*float64(x+y)/float64(w+h) + r.NormFloat64()*5
			img.Pix[y*img.Stride+x] = uint8(max(0, min(255, v)))
		}
	}
	return img
}

// dust sprinkles n dark specks of 1..4 pixels.
func dust(img *image.Gray, n int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 2))
	b := img.Bounds()
	for i := 0; i < n; i++ {
		x, y, s := r.IntN(b.Dx()-4), r.IntN(b.Dy()-4), 1+r.IntN(4)
		for dy := 0; dy < s; dy++ {
			for dx := 0; dx < s; dx++ {
				img.SetGray(x+dx, y+dy, color.Gray{Y: uint8(20 + r.IntN(60))})
			}
		}
	}
}

// blackEdges paints dark scanner bands of the given widths along the
// left, top, right and bottom edges.
func blackEdges(img *image.Gray, l, t, r, b int) {
	bd := img.Bounds()
	for y := 0; y < bd.Dy(); y++ {
		for x := 0; x < bd.Dx(); x++ {
			if x < l || y < t || x >= bd.Dx()-r || y >= bd.Dy()-b {
				img.Pix[y*img.Stride+x] = uint8(15 + (x*7+y*13)%20)
			}
		}
	}
}

// toGray converts any generated page to gray.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			g.Set(x, y, img.At(x, y))
		}
	}
	return g
}
