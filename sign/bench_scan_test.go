package sign

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/internal/testenv"
)

// BenchmarkBuildPDFScans builds one-page PDFs from real scanned pages (the shared OCR
// corpus: bilevel TIFF scans at 300 dpi) and reports the PDF bytes per page.
func BenchmarkBuildPDFScans(b *testing.B) {
	for _, name := range []string{"8071_093.3B.tif", "phototest.tif", "eurotext.tif"} {
		data, err := os.ReadFile(filepath.Join(testenv.Corpus(), "ocr-en", name))
		if err != nil {
			b.Fatalf("corpus page missing: %v", err)
		}
		b.Run(name, func(b *testing.B) {
			var n int
			var st []PageStats
			for b.Loop() {
				out, stats, err := BuildPDFStats(DocumentInput{Pages: []PageInput{{Image: data, DPI: 300}}})
				if err != nil {
					b.Fatal(err)
				}
				n, st = len(out), stats
			}
			b.ReportMetric(float64(n), "pdf-bytes/page")
			b.ReportMetric(float64(len(data)), "input-bytes")
			b.Logf("%s: %s", name, st[0].Encoding)
		})
	}
}
