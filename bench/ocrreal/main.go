// Command ocrreal measures SoHoa's OCR on the real Vietnamese pages of the shared corpus
// (corpus/ocr-vi) beside the tesseract CLI in the same run: CER per set and pooled,
// pages/minute on the same pages and cores, peak memory. It prints Markdown table rows;
// scripts/bench-ocr-real.sh collects them into bench/REPORT-ocr-real.md.
//
// -variant names a row. A variant is a set of OCR options (see variants); a later step
// (Vietnamese post-correction, another model) adds its own entry here and shows as its own
// row in the same table.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/sohoa/sohoa/internal/ocrreal"
	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/ocr"
)

// variants are the SoHoa configurations the report can show. The tessdata folder of the
// "best" models is set with -tessdata-best (make setup installs it).
var variants = map[string]func(o *ocrreal.Options, best string){
	"default": func(o *ocrreal.Options, best string) {},
	"best":    func(o *ocrreal.Options, best string) { o.TessdataDir = best },
	// fast model, poorly read lines (mean word confidence under 80) read again with best
	"combined": func(o *ocrreal.Options, best string) { o.RefineTessdata = best },
	// Tesseract's word-by-word choice between vie and eng on every page (ocr.Options.MixLanguages),
	// as before each Vietnamese page was read with vie alone
	"mixed": func(o *ocrreal.Options, best string) { o.MixLanguages = true },
}

func main() {
	ocr.MaybeRunWorker()
	label := flag.String("label", "", "row label (default: the variant)")
	variant := flag.String("variant", "default", "SoHoa configuration: default, best, combined")
	cli := flag.Bool("cli", true, "also run the tesseract CLI on the same pages")
	workers := flag.Int("workers", 2, "parallel engines on both sides")
	best := flag.String("tessdata-best", "", "tessdata folder of the 4.0.0_best_int models")
	perPage := flag.Bool("per-page", false, "also print each page's CER")
	cliFirst := flag.Bool("cli-first", false, "run the CLI before SoHoa (the load of a shared machine changes during a run: alternate the order)")
	cliVie := flag.Bool("cli-vie", false, "also run the CLI with -l vie (SoHoa reads a Vietnamese page with vie alone): the like-for-like ratio")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of this process (SoHoa's side) to this file")
	flag.Parse()
	set, ok := variants[*variant]
	if !ok {
		fail(fmt.Errorf("unknown variant %q", *variant))
	}
	if *label == "" {
		*label = *variant
	}
	pages, err := ocrreal.Corpus(testenv.Corpus())
	if err != nil {
		fail(err)
	}
	o := ocrreal.Options{Workers: *workers}
	set(&o, *best)
	ctx := context.Background()
	var c ocrreal.Result
	if *cli && *cliFirst {
		if c, err = ocrreal.RunCLI(ctx, pages, o); err != nil {
			fail(err)
		}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
	}
	so, err := ocrreal.RunSoHoa(ctx, pages, o)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		fail(err)
	}
	row(*label, pages, so, perPage)
	if so.Stages != "" {
		fmt.Printf("stages of %s (%d pages in hand): %s\n", *label, 2*o.Workers, so.Stages)
	}
	for _, f := range so.Failed {
		fmt.Printf("import refused: %s\n", f)
	}
	if *cli {
		if !*cliFirst {
			if c, err = ocrreal.RunCLI(ctx, pages, o); err != nil {
				fail(err)
			}
		}
		lang := "vie+eng"
		if o.TessdataDir != "" {
			lang += ", " + *variant + " models"
		}
		row("CLI beside "+*label+" (tesseract "+lang+")", pages, c, perPage)
		ratio("", so, c, o.Workers)
	}
	if *cliVie {
		ov := o
		ov.CLILanguages = []string{"vie"}
		cv, err := ocrreal.RunCLI(ctx, pages, ov)
		if err != nil {
			fail(err)
		}
		row("CLI beside "+*label+" (tesseract vie)", pages, cv, perPage)
		ratio(" (CLI -l vie)", so, cv, o.Workers)
	}
}

func ratio(what string, so, c ocrreal.Result, workers int) {
	fmt.Printf("| ratio SoHoa/CLI%s: pages per minute %.2f, pages per CPU-minute %.2f | (SoHoa %d pages, CLI %d pages, %d engines each) |\n", what,
		(float64(so.Pages)/so.OCR.Minutes())/(float64(c.Pages)/c.OCR.Minutes()),
		(float64(so.Pages)/so.CPU.Minutes())/(float64(c.Pages)/c.CPU.Minutes()), so.Pages, c.Pages, workers)
}

func row(label string, pages []ocrreal.Page, r ocrreal.Result, perPage *bool) {
	sets, pp := ocrreal.Scores(pages, r)
	var cells []string
	for _, s := range sets {
		cells = append(cells, fmt.Sprintf("%.2f %% (%d/%d, %d p.)", 100*s.CER(), s.Edits, s.TruthLen, s.Pages))
	}
	imp := "—"
	if r.Import > 0 {
		imp = r.Import.Round(time.Millisecond).String()
	}
	fmt.Printf("| %s | %s | %d | %s | %s | %.1f | %.2f s | %.1f | %.0f MiB |\n", label, strings.Join(cells, " | "), r.Pages, imp,
		r.OCR.Round(time.Millisecond), float64(r.Pages)/r.OCR.Minutes(), r.CPU.Seconds()/float64(r.Pages),
		float64(r.Pages)/r.CPU.Minutes(), float64(r.PeakRSS)/(1<<20))
	if *perPage {
		for _, p := range pp {
			fmt.Printf("page\t%s\t%s\t%d\t%.4f\n", label, p.Page.Name, p.Edits, p.CER)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ocrreal:", err)
	os.Exit(1)
}
