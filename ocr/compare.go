package ocr

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Report compares the pool with the tesseract command-line tool on the
// same pages, languages (vie+eng), page segmentation (PSM 3) and
// OMP_THREAD_LIMIT=1, with the same number of parallel engines.
type Report struct {
	Pages, Workers                  int
	PoolDuration                    time.Duration // pool start-up (language loading) is not counted
	CLIDuration                     time.Duration
	PoolPagesPerMin, CLIPagesPerMin float64
	Ratio                           float64 // pool / CLI pages per minute
	// Peak resident memory: the largest worker (VmHWM of each worker,
	// sampled) times the workers, and the largest tesseract process
	// (rusage) times the parallel processes.
	PoolPeakRSS, CLIPeakRSS int64 // bytes
	PoolChars, CLIChars     int   // characters recognized, a sanity check
}

func (r Report) String() string {
	return fmt.Sprintf("%d pages, %d workers: pool %.1f pages/min (%v), tesseract CLI %.1f pages/min (%v), ratio %.2f; peak RSS pool %.0f MiB, CLI %.0f MiB; chars pool %d, CLI %d",
		r.Pages, r.Workers, r.PoolPagesPerMin, r.PoolDuration.Round(time.Millisecond), r.CLIPagesPerMin,
		r.CLIDuration.Round(time.Millisecond), r.Ratio, float64(r.PoolPeakRSS)/(1<<20), float64(r.CLIPeakRSS)/(1<<20),
		r.PoolChars, r.CLIChars)
}

// ComparePoolWithCLI OCRs pages (PNG/JPEG/TIFF bytes) through a Pool and
// through `tesseract <file> stdout -l vie+eng --psm 3`, each with workers
// parallel engines. The program must call MaybeRunWorker in main.
func ComparePoolWithCLI(ctx context.Context, pages [][]byte, workers int) (Report, error) {
	if workers <= 0 {
		workers = 2
	}
	rep := Report{Pages: len(pages), Workers: workers}
	if len(pages) == 0 {
		return rep, fmt.Errorf("ocr: no pages to compare")
	}
	// Pool.
	p, err := NewPool(Options{Workers: workers, PSM: 3, PagesPerWorker: len(pages) + 1})
	if err != nil {
		return rep, err
	}
	stop := make(chan struct{})
	sampled := make(chan struct{})
	var peakMu sync.Mutex
	var workerPeak int64
	go func() { // sample the workers' high-water marks
		defer close(sampled)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			for _, pid := range p.workerPIDs() {
				if v := procStatusBytes(pid, "VmHWM:"); v > 0 {
					peakMu.Lock()
					workerPeak = max(workerPeak, v)
					peakMu.Unlock()
				}
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	chars, err := runParallel(ctx, len(pages), workers, func(i int) (int, error) {
		res, err := p.Recognize(ctx, pages[i])
		return len([]rune(res.Text)), err
	})
	rep.PoolDuration = time.Since(start)
	close(stop)
	<-sampled // the sampler is done writing workerPeak
	p.Close()
	if err != nil {
		return rep, fmt.Errorf("pool: %w", err)
	}
	rep.PoolChars = chars
	rep.PoolPeakRSS = workerPeak * int64(workers)

	// CLI.
	dir, err := os.MkdirTemp("", "sohoa-ocr-cli-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	files := make([]string, len(pages))
	for i, b := range pages {
		files[i] = filepath.Join(dir, "page"+strconv.Itoa(i)+imageExt(b))
		if err := os.WriteFile(files[i], b, 0o600); err != nil {
			return rep, err
		}
	}
	env := append(os.Environ(), "OMP_THREAD_LIMIT=1")
	var cliPeak int64
	start = time.Now()
	chars, err = runParallel(ctx, len(pages), workers, func(i int) (int, error) {
		cmd := exec.CommandContext(ctx, "tesseract", files[i], "stdout", "-l", "vie+eng", "--psm", "3")
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			return 0, fmt.Errorf("tesseract CLI: %w", err)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peakMu.Lock()
			cliPeak = max(cliPeak, ru.Maxrss*1024)
			peakMu.Unlock()
		}
		return len([]rune(strings.Trim(string(out), "\n\f"))), nil
	})
	rep.CLIDuration = time.Since(start)
	if err != nil {
		return rep, err
	}
	rep.CLIChars = chars
	rep.CLIPeakRSS = cliPeak * int64(workers)
	rep.PoolPagesPerMin = float64(len(pages)) / rep.PoolDuration.Minutes()
	rep.CLIPagesPerMin = float64(len(pages)) / rep.CLIDuration.Minutes()
	rep.Ratio = rep.PoolPagesPerMin / rep.CLIPagesPerMin
	return rep, nil
}

// runParallel calls f(0..n-1) from `workers` goroutines and sums results.
func runParallel(ctx context.Context, n, workers int, f func(int) (int, error)) (int, error) {
	next := make(chan int)
	var mu sync.Mutex
	var total int
	var first error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				v, err := f(i)
				mu.Lock()
				total += v
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return total, first
}

func imageExt(b []byte) string {
	switch {
	case len(b) > 2 && b[0] == 0xff && b[1] == 0xd8:
		return ".jpg"
	case len(b) > 3 && (string(b[:4]) == "II*\x00" || string(b[:4]) == "MM\x00*"):
		return ".tif"
	}
	return ".png"
}

// procStatusBytes reads a "Vm...: N kB" line of /proc/<pid>/status (Linux);
// 0 when unavailable.
func procStatusBytes(pid int, key string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, key) {
			f := strings.Fields(line[len(key):])
			if len(f) >= 1 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				return v * 1024
			}
		}
	}
	return 0
}
