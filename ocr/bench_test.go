package ocr

import (
	"context"
	"os"
	"testing"
)

func benchPages(b testing.TB, n int) [][]byte {
	variants := [][]string{sampleLines, sampleLines[:3], sampleLines[2:]}
	pages := make([][]byte, n)
	for i := range pages {
		pages[i] = pngBytes(b, renderLines(b, variants[i%3], 22+float64(i%4)*2))
	}
	return pages
}

func TestComparePoolWithCLI(t *testing.T) {
	pages := benchPages(t, 6)
	rep, err := ComparePoolWithCLI(context.Background(), pages, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if rep.Pages != 6 || rep.PoolPagesPerMin <= 0 || rep.CLIPagesPerMin <= 0 || rep.Ratio <= 0 {
		t.Errorf("report %+v", rep)
	}
	// Same pages, same model and segmentation: nearly the same text.
	if rep.PoolChars == 0 || rep.CLIChars == 0 || abs(rep.PoolChars-rep.CLIChars)*20 > rep.CLIChars {
		t.Errorf("characters: pool %d, CLI %d", rep.PoolChars, rep.CLIChars)
	}
	if rep.PoolPeakRSS <= 0 || rep.CLIPeakRSS <= 0 {
		t.Errorf("peak memory not measured: %+v", rep)
	}
}

func abs(x int) int { return max(x, -x) }

// BenchmarkPool compares the pool with the tesseract CLI (2 processes) on
// 100 rendered pages per iteration; see ComparePoolWithCLI.
func BenchmarkPool(b *testing.B) {
	pages := benchPages(b, 100)
	for b.Loop() {
		rep, err := ComparePoolWithCLI(context.Background(), pages, 2)
		if err != nil {
			b.Fatal(err)
		}
		b.Log(rep)
		b.ReportMetric(rep.PoolPagesPerMin, "pool-pages/min")
		b.ReportMetric(rep.CLIPagesPerMin, "cli-pages/min")
		b.ReportMetric(rep.Ratio, "pool/cli")
		b.ReportMetric(float64(rep.PoolPeakRSS)/(1<<20), "pool-peak-MiB")
		b.ReportMetric(float64(rep.CLIPeakRSS)/(1<<20), "cli-peak-MiB")
	}
}

// BenchmarkOnePass: one recognition (hOCR, parsed) per page, as the pool does.
func BenchmarkOnePass(b *testing.B) {
	c := newClient(b)
	img := benchPages(b, 1)[0]
	for b.Loop() {
		c.SetImageFromBytes(img)
		h, err := c.HOCRText()
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := parseHOCR(h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTwoPass: Text() then GetBoundingBoxesVerbose(), two recognitions.
func BenchmarkTwoPass(b *testing.B) {
	c := newClient(b)
	img := benchPages(b, 1)[0]
	for b.Loop() {
		c.SetImageFromBytes(img)
		if _, err := c.Text(); err != nil {
			b.Fatal(err)
		}
		c.SetImageFromBytes(img)
		if _, err := c.GetBoundingBoxesVerbose(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInProcessGosseractRSS shows why workers are child processes:
// one gosseract client in this process, and its resident memory growth
// per page (gosseract never frees the strings Tesseract returns).
func BenchmarkInProcessGosseractRSS(b *testing.B) {
	c := newClient(b)
	img := benchPages(b, 1)[0]
	c.SetImageFromBytes(img)
	c.HOCRText() // load the model first
	before := procStatusBytes(os.Getpid(), "VmRSS:")
	n := 0
	for b.Loop() {
		c.SetImageFromBytes(img)
		if _, err := c.HOCRText(); err != nil {
			b.Fatal(err)
		}
		c.SetImageFromBytes(img)
		if _, err := c.Text(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	after := procStatusBytes(os.Getpid(), "VmRSS:")
	b.ReportMetric(float64(after-before)/1024/float64(n), "RSS-KiB/page")
	b.Logf("in-process gosseract: RSS %.1f -> %.1f MiB over %d pages", float64(before)/(1<<20), float64(after)/(1<<20), n)
}
