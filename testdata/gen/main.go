// Command gen writes a set of synthetic scanned Vietnamese administrative
// documents with ground truth (see package internal/docgen).
//
//	go run ./testdata/gen -seed 1 -n 40 -out /tmp/docs [-dpi 300] [-clean] [-format png|jpeg]
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/sohoa/sohoa/internal/docgen"
)

func main() {
	seed := flag.Int64("seed", 1, "random seed of the set")
	n := flag.Int("n", 10, "number of documents")
	out := flag.String("out", "", "output folder (required)")
	dpi := flag.Int("dpi", 300, "resolution in dots per inch (200..300)")
	clean := flag.Bool("clean", false, "no scan damage")
	format := flag.String("format", "png", "image format of single-page documents: png or jpeg")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gen: -out is required")
		flag.Usage()
		os.Exit(2)
	}
	start := time.Now()
	docs, err := docgen.WriteSet(*out, *seed, *n, docgen.Options{DPI: *dpi, Clean: *clean, Format: *format})
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	pages := 0
	for _, d := range docs {
		pages += len(d.Pages)
	}
	fmt.Printf("gen: wrote %d documents (%d pages) seed %d at %d dpi to %s in %s\n",
		len(docs), pages, *seed, *dpi, *out, time.Since(start).Round(time.Millisecond))
}
