package cleanup

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time used by the process so far (user + system):
// the machine is shared, so wall time alone overstates the cost.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchPage is a skewed A4 page at 300 dpi: gray (from a multi-page
// document) or colour (a single-page certificate with a red stamp).
func benchPage(b *testing.B, colour bool) []byte {
	b.Helper()
	idx := 0 // multi-page document: gray pages
	if colour {
		idx = 1 // single page: RGBA
	}
	pages := generate(b, 1, idx, idx+1, 300, false)
	return pages[0].png
}

func benchProcess(b *testing.B, data []byte, p Profile) {
	var sum Timings
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		r, err := Process(context.Background(), data, p)
		if err != nil {
			b.Fatal(err)
		}
		sum.Decode += r.Timings.Decode
		sum.Skew += r.Timings.Skew
		sum.OSD += r.Timings.OSD
		sum.Rotate += r.Timings.Rotate
		sum.Crop += r.Timings.Crop
		sum.Blank += r.Timings.Blank
		sum.Encode += r.Timings.Encode
	}
	b.StopTimer()
	cpu := (cpuTime() - c0).Seconds() / float64(b.N)
	b.ReportMetric(60/cpu, "cpu-pages/min")
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(60/perOp, "pages/min")
	ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(b.N) }
	b.ReportMetric(ms(sum.Decode), "decode-ms")
	b.ReportMetric(ms(sum.Skew), "skew-ms")
	b.ReportMetric(ms(sum.OSD), "osd-ms")
	b.ReportMetric(ms(sum.Rotate), "rotate-ms")
	b.ReportMetric(ms(sum.Crop), "crop-ms")
	b.ReportMetric(ms(sum.Blank), "blank-ms")
	b.ReportMetric(ms(sum.Encode), "encode-ms")
}

// BenchmarkProcess300dpi is the default profile on a gray A4 page at 300
// dpi; run with -cpu 1 for the one-core figure.
func BenchmarkProcess300dpi(b *testing.B) {
	benchProcess(b, benchPage(b, false), DefaultProfile())
}

func BenchmarkProcess300dpiColour(b *testing.B) {
	benchProcess(b, benchPage(b, true), DefaultProfile())
}

func BenchmarkProcess300dpiNoOSD(b *testing.B) {
	p := DefaultProfile()
	p.AutoOrient = false
	benchProcess(b, benchPage(b, false), p)
}
