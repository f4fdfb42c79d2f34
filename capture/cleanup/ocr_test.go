package cleanup

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
)

// tesseractCER runs the tesseract CLI on each image and returns the
// character error rate of each against its truth.
func tesseractCER(t *testing.T, imgs [][]byte, truth []string) []float64 {
	t.Helper()
	dir := t.TempDir()
	out := make([]float64, len(imgs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := range imgs {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			f := filepath.Join(dir, "p"+string(rune('a'+i))+".png")
			if err := os.WriteFile(f, imgs[i], 0o644); err != nil {
				t.Error(err)
				return
			}
			cmd := exec.Command("tesseract", f, "-", "-l", "vie+eng")
			cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
			text, err := cmd.Output()
			if err != nil {
				t.Errorf("tesseract: %v", err)
				return
			}
			out[i] = docgen.CER(truth[i], string(text))
		}(i)
	}
	wg.Wait()
	return out
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// TestOCRAfterCleanup compares Tesseract's character error rate before and
// after clean-up at 200 dpi: on 4 clean pages it must be no worse, on the
// 4 most skewed of the first damaged pages it must be better.
func TestOCRAfterCleanup(t *testing.T) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Fatal("the tesseract CLI is needed (Debian package tesseract-ocr)")
	}
	clean := generate(t, 5, 0, 4, 200, true)[:4]
	var skewed []genPage
	for _, pg := range generate(t, 5, 0, 10, 200, false) {
		if !pg.truth.Blank && pg.truth.Rotation == 0 {
			skewed = append(skewed, pg)
		}
	}
	sort.SliceStable(skewed, func(i, j int) bool {
		return math.Abs(skewed[i].truth.SkewDeg) > math.Abs(skewed[j].truth.SkewDeg)
	})
	skewed = skewed[:4]

	for _, set := range []struct {
		name  string
		pages []genPage
	}{{"clean", clean}, {"skewed", skewed}} {
		var before, after [][]byte
		var truth []string
		var skews []float64
		changed := 0
		for _, pg := range set.pages {
			r, err := Process(context.Background(), pg.png, DefaultProfile())
			if err != nil {
				t.Fatal(err)
			}
			truth = append(truth, pg.truth.Text)
			skews = append(skews, pg.truth.SkewDeg)
			before = append(before, pg.png)
			after = append(after, r.Data)
			if r.Changed {
				changed++
			}
		}
		cb := tesseractCER(t, before, truth)
		var ca []float64
		if changed == 0 {
			ca = cb // the cleaned images are the input bytes
		} else {
			ca = tesseractCER(t, after, truth)
		}
		t.Logf("%s pages (skew %.2f): CER before %.4f %.4f, after %.4f %.4f (%d of %d changed by clean-up)",
			set.name, skews, mean(cb), cb, mean(ca), ca, changed, len(set.pages))
		if set.name == "clean" && mean(ca) > mean(cb)+0.002 {
			t.Errorf("clean pages: CER %.4f after clean-up, %.4f before", mean(ca), mean(cb))
		}
		if set.name == "skewed" && mean(ca) >= mean(cb) {
			t.Errorf("skewed pages: CER %.4f after clean-up, not better than %.4f before", mean(ca), mean(cb))
		}
	}
}
