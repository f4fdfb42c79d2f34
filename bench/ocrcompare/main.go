// Command ocrcompare OCRs the same generated pages through SoHoa's worker pool and through
// the tesseract command-line tool (same language data, same page segmentation, the same
// number of parallel engines) and prints pages/minute, their ratio and peak memory.
// `make bench` runs it.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/ocr"
)

func main() {
	ocr.MaybeRunWorker()
	n := flag.Int("pages", 100, "pages to OCR")
	workers := flag.Int("workers", 2, "parallel engines on both sides")
	seed := flag.Int64("seed", 1, "generator seed")
	dpi := flag.Int("dpi", 300, "page resolution")
	flag.Parse()
	var pages [][]byte
	for i := 0; len(pages) < *n; i++ {
		_, imgs, err := docgen.Generate(*seed, i, docgen.Options{DPI: *dpi})
		if err != nil {
			fmt.Fprintln(os.Stderr, "ocrcompare:", err)
			os.Exit(1)
		}
		for _, im := range imgs {
			if len(pages) == *n {
				break
			}
			var b bytes.Buffer
			if err := docgen.EncodePNG(&b, im); err != nil {
				fmt.Fprintln(os.Stderr, "ocrcompare:", err)
				os.Exit(1)
			}
			pages = append(pages, b.Bytes())
		}
	}
	rep, err := ocr.ComparePoolWithCLI(context.Background(), pages, *workers)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ocrcompare:", err)
		os.Exit(1)
	}
	fmt.Println(rep)
	fmt.Printf("| OCR, %d generated pages at %d dpi, %d engines | pool %.1f pages/min | tesseract CLI %.1f pages/min | ratio %.2f | peak RSS pool %.0f MiB, CLI %.0f MiB |\n",
		rep.Pages, *dpi, rep.Workers, rep.PoolPagesPerMin, rep.CLIPagesPerMin, rep.Ratio,
		float64(rep.PoolPeakRSS)/(1<<20), float64(rep.CLIPeakRSS)/(1<<20))
}
