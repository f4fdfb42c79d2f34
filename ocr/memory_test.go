package ocr

import (
	"context"
	"os"
	"sync"
	"testing"
)

// TestMemoryBounded1000Pages runs 1,000 small pages through the pool
// (two workers, recycled every 200 pages) and checks that neither the
// parent nor any worker keeps growing: resident memory at page 1,000 is
// compared with page 200.
func TestMemoryBounded1000Pages(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 300
	}
	p := newTestPool(t, Options{Workers: 2, PagesPerWorker: 200})
	imgs := [][]byte{
		pngBytes(t, renderLines(t, sampleLines[:2], 18)),
		pngBytes(t, renderLines(t, sampleLines[2:4], 18)),
		pngBytes(t, renderLines(t, sampleLines[4:], 18)),
	}
	self := os.Getpid()
	var (
		mu                     sync.Mutex
		done                   int
		parent200, worker200   int64
		parentMax, workerMax   int64
		parentLast, workerLast int64
	)
	sample := func() {
		pr := procStatusBytes(self, "VmRSS:")
		var wr int64
		for _, pid := range p.workerPIDs() {
			wr = max(wr, procStatusBytes(pid, "VmRSS:"))
		}
		parentMax, workerMax = max(parentMax, pr), max(workerMax, wr)
		parentLast, workerLast = pr, wr
		if done == 200 {
			parent200, worker200 = pr, wr
		}
	}
	_, err := runParallel(context.Background(), n, 2, func(i int) (int, error) {
		res, err := p.Recognize(context.Background(), imgs[i%3])
		if err == nil && len(res.Words) == 0 {
			t.Errorf("page %d: no words", i)
		}
		mu.Lock()
		done++
		if done%50 == 0 {
			sample()
		}
		mu.Unlock()
		return 0, err
	})
	if err != nil {
		t.Fatal(err)
	}
	const mib = 1 << 20
	t.Logf("%d pages: parent RSS %.1f MiB at page 200, %.1f at the end (max %.1f); largest worker RSS %.1f MiB at page 200, %.1f at the end (max %.1f)",
		n, float64(parent200)/mib, float64(parentLast)/mib, float64(parentMax)/mib,
		float64(worker200)/mib, float64(workerLast)/mib, float64(workerMax)/mib)
	if parent200 == 0 || worker200 == 0 {
		t.Fatal("no RSS readings from /proc")
	}
	// Generous bounds: the leak is per page, so unbounded growth over 800
	// pages would pass these only if it were tiny.
	if parentMax-parent200 > 40*mib {
		t.Errorf("parent grew by %.1f MiB between page 200 and %d", float64(parentMax-parent200)/mib, n)
	}
	if workerMax-worker200 > 60*mib || workerMax > 400*mib {
		t.Errorf("worker RSS %.1f MiB at page 200, max %.1f MiB", float64(worker200)/mib, float64(workerMax)/mib)
	}
}
