package cli

import (
	"context"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/capture/cleanup"
	"github.com/sohoa/sohoa/capture/sane"
	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/queue"
)

// timedScanner records when the driver hands each page over, so that the time from a page
// arriving to it being durable can be measured.
type timedScanner struct {
	capture.Scanner
	mu      sync.Mutex
	arrived []time.Time
}

func (s *timedScanner) Scan(ctx context.Context, dev string, js capture.JobSettings, onPage func(capture.ScannedPage) error) error {
	return s.Scanner.Scan(ctx, dev, js, func(p capture.ScannedPage) error {
		s.mu.Lock()
		s.arrived = append(s.arrived, time.Now())
		s.mu.Unlock()
		return onPage(p)
	})
}

// BenchmarkCaptureADF300dpi scans 10-sheet ADF jobs at 300 dpi grey from SANE's test backend
// (its largest area, 200x200 mm), stores every page durably and, beside it on every core,
// cleans it (deskew, orientation, blank detection, crop), and reports the pages/minute that
// capture + clean-up sustain together and the arrival-to-durable latency. In the
// same run `scanimage --batch` scans the same job to PNG files: the device's own pace.
func BenchmarkCaptureADF300dpi(b *testing.B) {
	st, err := queue.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	admin, err := st.CreateUser(ctx, nil, "admin", "", "12345678", []queue.Role{queue.RoleAdmin, queue.RoleClerk})
	if err != nil {
		b.Fatal(err)
	}
	batch, _ := st.CreateBatch(ctx, admin, queue.BatchSpec{})
	drv, err := sane.New()
	if err != nil {
		b.Fatal(err)
	}
	defer drv.Close()
	sc := &timedScanner{Scanner: drv}
	js := capture.JobSettings{Source: capture.SourceADF, Resolution: 300, Mode: capture.ModeGray,
		PageSize: capture.PageSize{Name: "max", WidthMM: 200, HeightMM: 200}}
	var latencies []time.Duration
	pages := 0
	var captureDur time.Duration
	workers := runtime.NumCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		sc.arrived = sc.arrived[:0]
		todo, wait := cleanBeside(ctx, st, workers)
		n := 0
		_, err := capture.ScanToBatch(ctx, st, admin, batch.ID, sc, capture.ScanOptions{Device: "sane:test:0", Settings: js},
			func(ev capture.ScanEvent) {
				latencies = append(latencies, time.Since(sc.arrived[ev.Pages-1]))
				n++
				todo <- ev.Page
			})
		if cerr := wait(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
		pages += n
		captureDur += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(pages)/captureDur.Minutes(), "pages/min")
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if len(latencies) > 0 {
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "ms-to-durable-p50")
		b.ReportMetric(float64(latencies[len(latencies)*9/10].Microseconds())/1000, "ms-to-durable-p90")
	}
	// The reference: scanimage scanning the same job to files.
	if path, err := exec.LookPath("scanimage"); err == nil {
		dir := b.TempDir()
		t0 := time.Now()
		cmd := exec.Command(path, "-d", "test:0", "--source", "Automatic Document Feeder", "--mode", "Gray", "--depth", "8",
			"--resolution", "300", "-x", "200", "-y", "200", "--format=png", "--batch="+filepath.Join(dir, "p%d.png"))
		cmd.Env = append(os.Environ(), "SANE_CONFIG_DIR="+saneConfDir)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Logf("scanimage: %v: %s", err, out)
		} else {
			files, _ := filepath.Glob(filepath.Join(dir, "p*.png"))
			b.ReportMetric(float64(len(files))/time.Since(t0).Minutes(), "scanimage-pages/min")
		}
	}
}

// fakeDocgenScanner is a stand-in scanner (no real one can run here) that delivers
// pre-rendered generated documents at 300 dpi as its ADF output, so that clean-up works on
// realistic pages rather than on the SANE test backend's test patterns.
type fakeDocgenScanner struct{ pages []image.Image }

func (f *fakeDocgenScanner) Devices(context.Context) ([]capture.Device, error) { return nil, nil }
func (f *fakeDocgenScanner) Capabilities(context.Context, string) (capture.Capabilities, error) {
	return capture.Capabilities{}, nil
}
func (f *fakeDocgenScanner) Scan(ctx context.Context, _ string, _ capture.JobSettings, onPage func(capture.ScannedPage) error) error {
	for i, p := range f.pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := onPage(capture.ScannedPage{Sheet: i + 1, Image: p, DPI: 300}); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkCaptureCleanupGenerated300dpi: capture (store durably, acknowledge) and clean-up
// beside it on every core, on 10 generated A4 pages at 300 dpi per job: the pages/minute the
// two sustain together on realistic pages.
func BenchmarkCaptureCleanupGenerated300dpi(b *testing.B) {
	var pages []image.Image
	for i := 0; len(pages) < 10; i++ {
		_, imgs, err := docgen.Generate(5, i, docgen.Options{DPI: 300})
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, imgs...)
	}
	pages = pages[:10]
	st, err := queue.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	admin, _ := st.CreateUser(ctx, nil, "admin", "", "12345678", []queue.Role{queue.RoleAdmin, queue.RoleClerk})
	sc := &fakeDocgenScanner{pages: pages}
	total := 0
	var dur time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch, _ := st.CreateBatch(ctx, admin, queue.BatchSpec{})
		start := time.Now()
		todo, wait := cleanBeside(ctx, st, runtime.NumCPU())
		_, err := capture.ScanToBatch(ctx, st, admin, batch.ID, sc, capture.ScanOptions{Device: "fake:docgen"},
			func(ev capture.ScanEvent) { todo <- ev.Page; total++ })
		if cerr := wait(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
		dur += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(total)/dur.Minutes(), "pages/min")
}

// cleanBeside starts clean-up workers, one per core as the pipeline runs them, fed with the
// pages capture acknowledges: capture only stores and acknowledges, it never waits for
// clean-up or OCR. wait closes the feed, waits for the workers and returns the first error.
func cleanBeside(ctx context.Context, st *queue.Store, workers int) (chan<- queue.Page, func() error) {
	todo := make(chan queue.Page, 64)
	var wg sync.WaitGroup
	var first error
	var once sync.Once
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range todo {
				img, err := st.PageImage(p)
				if err == nil {
					_, err = cleanup.Process(ctx, img, cleanup.DefaultProfile())
				}
				if err != nil {
					once.Do(func() { first = err })
				}
			}
		}()
	}
	return todo, func() error {
		close(todo)
		wg.Wait()
		return first
	}
}
