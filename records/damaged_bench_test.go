package records

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
)

// damage turns a clean generated page into a poor scan: a small skew (deg, counter-clockwise),
// a 3x3 blur, Gaussian noise of sigma grey levels and a JPEG round trip at quality q.
func damage(src image.Image, deg, sigma float64, q int, seed uint64) (image.Image, error) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	grey := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			grey.Set(x, y, color.GrayModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)))
		}
	}
	// skew about the centre, bilinear, white fill
	rad := deg * math.Pi / 180
	cos, sin := math.Cos(rad), math.Sin(rad)
	cx, cy := float64(w)/2, float64(h)/2
	rot := image.NewGray(grey.Rect)
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= w || y >= h {
			return 255
		}
		return float64(grey.Pix[y*grey.Stride+x])
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			sx, sy := cos*dx-sin*dy+cx, sin*dx+cos*dy+cy
			x0, y0 := int(math.Floor(sx)), int(math.Floor(sy))
			fx, fy := sx-float64(x0), sy-float64(y0)
			v := at(x0, y0)*(1-fx)*(1-fy) + at(x0+1, y0)*fx*(1-fy) + at(x0, y0+1)*(1-fx)*fy + at(x0+1, y0+1)*fx*fy
			rot.Pix[y*rot.Stride+x] = uint8(v + 0.5)
		}
	}
	// 3x3 box blur, then noise
	r := rand.New(rand.NewPCG(seed, 1))
	out := image.NewGray(rot.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			sum, n := 0, 0
			for j := max(0, y-1); j <= min(h-1, y+1); j++ {
				for i := max(0, x-1); i <= min(w-1, x+1); i++ {
					sum += int(rot.Pix[j*rot.Stride+i])
					n++
				}
			}
			v := float64(sum)/float64(n) + r.NormFloat64()*sigma
			out.Pix[y*out.Stride+x] = uint8(math.Max(0, math.Min(255, v)))
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: q}); err != nil {
		return nil, err
	}
	return jpeg.Decode(&buf)
}

// BenchmarkExtractDamaged reports field-level exact-match accuracy of extraction alone on
// damaged pages (skew ±1.5°, blur, noise σ 8, JPEG q 70) through real Tesseract: the first page
// of three documents of every generated record type. Metrics: acc-% overall and <type>-% per record type.
// It is a benchmark because it is slow; accuracy is reported, not asserted.
func BenchmarkExtractDamaged(b *testing.B) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		b.Fatalf("tesseract CLI is required: %v", err)
	}
	reg, err := LoadBundled()
	if err != nil {
		b.Fatal(err)
	}
	const perType = 3
	var samples []sample
	count := map[string]int{}
	dir := b.TempDir()
	for i := 0; len(samples) < perType*len(docgen.Types) && i < 400; i++ {
		doc, imgs, err := docgen.Generate(33, i, docgen.Options{DPI: 300, Clean: true})
		if err != nil || count[doc.Type] >= perType {
			continue
		}
		count[doc.Type]++
		deg := 1.5
		if len(samples)%2 == 1 {
			deg = -1.5
		}
		img, err := damage(imgs[0], deg, 8, 70, uint64(i))
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, doc.ID+".jpg")
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, sample{doc, p})
	}
	b.ResetTimer()
	per := map[string]*score{}
	var all score
	for n := 0; n < b.N; n++ {
		words, errs := tesseractSamples(samples)
		per, all = map[string]*score{}, score{}
		for i, s := range samples {
			if errs[i] != nil {
				b.Fatalf("tesseract %s: %v", s.doc.ID, errs[i])
			}
			rt, _ := reg.Get(s.doc.Type)
			pg := s.doc.Pages[0]
			got := ExtractPages(rt, []PageWords{{Page: 0, Width: pg.Width, Height: pg.Height, Words: words[i]}})
			vals := map[string]string{}
			for _, e := range got {
				vals[e.Key] = e.Value
			}
			sc := per[s.doc.Type]
			if sc == nil {
				sc = &score{}
				per[s.doc.Type] = sc
			}
			for _, gt := range s.doc.Fields {
				if gt.Page != 0 {
					continue
				}
				f, _ := rt.Field(gt.Key)
				sc.total++
				all.total++
				if Equal(f, vals[gt.Key], gt.Value) {
					sc.ok++
					all.ok++
				}
			}
		}
	}
	b.StopTimer()
	types := make([]string, 0, len(per))
	for t := range per {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		b.ReportMetric(per[t].pct(), t+"-%")
		b.Logf("%-10s %d/%d fields exact = %.1f%%", t, per[t].ok, per[t].total, per[t].pct())
	}
	b.ReportMetric(all.pct(), "acc-%")
	b.Logf("all        %d/%d fields exact = %.1f%%", all.ok, all.total, all.pct())
	if all.total == 0 {
		b.Fatal("no fields scored")
	}
}
