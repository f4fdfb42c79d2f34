// Command ocrvi measures the character error rate on the real Vietnamese pages of the shared
// corpus (rendered-gov, the Đà Nẵng scans and their augmented copies): raw `tesseract PAGE
// stdout -l vie+eng` against SoHoa's page OCR (clean-up, PSM 4) before and after each of its
// Vietnamese steps (ink removal, post-correction, Vietnamese pages read with vie alone, reading
// order), in the same run.
// scripts/bench-ocr-vi.sh runs it and writes bench/REPORT-ocr-vi.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/capture/cleanup"
	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/ocr/vicorrect"
	"github.com/sohoa/sohoa/pipeline"
)

type page struct {
	Set, Name, Image, Truth string
}

// result is what one page gave; cached as JSON so that the text steps can be re-scored
// without recognising again (-cache).
type result struct {
	Raw      string        // tesseract CLI
	RawTime  time.Duration //
	Plain    ocr.Result    // SoHoa without ink removal, vie+eng word by word (ocr.Options.MixLanguages, as before 9b503b0)
	Inked    *ocr.Result   // SoHoa after ink removal (nil: nothing removed, same as Plain), vie+eng word by word
	Vie      ocr.Result    // SoHoa after ink removal with the default languages (a Vietnamese page: vie alone)
	PoolTime time.Duration
	Turned   int // clockwise degrees the clean-up turned the page by (its orientation check)
}

func main() {
	ocr.MaybeRunWorker()
	corpus := flag.String("corpus", testenv.Corpus(), "shared corpus folder")
	workers := flag.Int("workers", 2, "parallel engines on both sides")
	cache := flag.String("cache", "", "folder to keep (and reuse) recognition results in")
	// The flags change the settings of the corrector the pipeline uses, to try others.
	def := vicorrect.Default()
	flag.Float64Var(&def.MaxConf, "maxconf", def.MaxConf, "correct words below this confidence")
	flag.Float64Var(&def.KnownMaxConf, "knownmaxconf", def.KnownMaxConf, "correct words the model knows below this confidence")
	flag.Float64Var(&def.EditCost, "edit", def.EditCost, "log-probability cost of one changed mark at MaxConf")
	flag.Float64Var(&def.MinEditCost, "minedit", def.MinEditCost, "log-probability cost of one changed mark at confidence 0")
	flag.Parse()
	pages, err := list(*corpus)
	if err != nil {
		fail(err)
	}
	res := make([]result, len(pages))
	todo := []int{}
	for i, p := range pages {
		if *cache != "" {
			if b, err := os.ReadFile(filepath.Join(*cache, p.Set+"_"+p.Name+".json")); err == nil && json.Unmarshal(b, &res[i]) == nil && res[i].Vie.Languages != "" {
				continue
			}
		}
		todo = append(todo, i)
	}
	if len(todo) > 0 {
		if err := recognise(pages, res, todo, *workers); err != nil {
			fail(err)
		}
		if *cache != "" {
			_ = os.MkdirAll(*cache, 0o755)
			for _, i := range todo {
				b, _ := json.Marshal(res[i])
				_ = os.WriteFile(filepath.Join(*cache, pages[i].Set+"_"+pages[i].Name+".json"), b, 0o644)
			}
		}
	}
	report(pages, res)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "ocrvi:", err)
	os.Exit(1)
}

func list(corpus string) ([]page, error) {
	var pages []page
	gov, err := filepath.Glob(filepath.Join(corpus, "ocr-vi", "rendered-gov", "*.png"))
	if err != nil || len(gov) == 0 {
		return nil, fmt.Errorf("no rendered-gov pages under %s", corpus)
	}
	for _, f := range gov {
		name := strings.TrimSuffix(filepath.Base(f), ".png")
		if split := os.Getenv("OCRVI_SPLIT"); split != "" && (split == "tuning") != vicorrect.TuningDocument(name) {
			continue
		}
		pages = append(pages, page{"rendered-gov", name, f, strings.TrimSuffix(f, ".png") + ".gt.txt"})
	}
	dn := filepath.Join(corpus, "ocr-vi", "real-scans-danang", "data")
	for _, n := range []string{"4_1", "4_2"} {
		pages = append(pages, page{"danang", n, filepath.Join(dn, n+".jpg"), filepath.Join(dn, n+"_gt.txt")})
	}
	aug, _ := filepath.Glob(filepath.Join(dn, "augmented", "*.jpg"))
	sort.Strings(aug)
	for _, f := range aug {
		n := strings.TrimSuffix(filepath.Base(f), ".jpg")
		pages = append(pages, page{"danang-augmented", n, f, filepath.Join(dn, n[:3]+"_gt.txt")})
	}
	if len(aug) != 8 {
		return nil, fmt.Errorf("danang: %d augmented pages, want 8", len(aug))
	}
	return pages, nil
}

func recognise(pages []page, res []result, todo []int, workers int) error {
	ctx := context.Background()
	mixed, err := ocr.NewPool(ocr.Options{Workers: workers, PSM: pipeline.DefaultPSM, PagesPerWorker: 1000, MixLanguages: true})
	if err != nil {
		return err
	}
	defer mixed.Close()
	pool, err := ocr.NewPool(ocr.Options{Workers: workers, PSM: pipeline.DefaultPSM, PagesPerWorker: 1000})
	if err != nil {
		return err
	}
	defer pool.Close()
	var mu sync.Mutex
	var firstErr error
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := one(ctx, mixed, pool, pages[i], &res[i]); err != nil {
					mu.Lock()
					firstErr = fmt.Errorf("%s: %w", pages[i].Name, err)
					mu.Unlock()
				}
			}
		}()
	}
	for _, i := range todo {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return firstErr
}

func one(ctx context.Context, mixed, pool *ocr.Pool, p page, r *result) error {
	t := time.Now()
	cmd := exec.CommandContext(ctx, "tesseract", p.Image, "stdout", "-l", "vie+eng")
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	out, err := cmd.Output()
	if err != nil {
		return err
	}
	r.Raw, r.RawTime = string(out), time.Since(t)
	img, err := os.ReadFile(p.Image)
	if err != nil {
		return err
	}
	t = time.Now()
	cr, err := cleanup.Process(ctx, img, cleanup.DefaultProfile())
	if err != nil {
		return err
	}
	if cr.Changed && cr.Data != nil {
		img = cr.Data
	}
	r.Turned = cr.Rotation
	if r.Plain, err = mixed.Recognize(ctx, img); err != nil {
		return err
	}
	inkFree, ok := pipeline.InkFree(img)
	if ok {
		res, err := mixed.Recognize(ctx, inkFree)
		if err != nil {
			return err
		}
		r.Inked = &res
	} else {
		inkFree = img
	}
	r.PoolTime = time.Since(t)
	r.Vie, err = pool.Recognize(ctx, inkFree)
	return err
}

type tally struct {
	edits, chars   float64
	missed, tokens float64 // word-bag: reference words without a match in the output
}

func (t *tally) add(truth, got string) {
	n := float64(len([]rune(strings.Join(strings.Fields(truth), " "))))
	t.edits += docgen.CER(truth, got) * n
	t.chars += n
	bag := map[string]int{}
	for _, w := range strings.Fields(norm.NFC.String(got)) {
		bag[w]++
	}
	for _, w := range strings.Fields(norm.NFC.String(truth)) {
		t.tokens++
		if bag[w] > 0 {
			bag[w]--
		} else {
			t.missed++
		}
	}
}

func (t tally) bagMiss() float64 { return t.missed / max(t.tokens, 1) }

func (t tally) cer() float64 { return t.edits / max(t.chars, 1) }

func report(pages []page, res []result) {
	steps := []string{"raw tesseract CLI (PSM 3)", "SoHoa before (clean-up, PSM 4)", "+ ink removal", "+ Vietnamese post-correction",
		"+ Vietnamese pages read with vie alone (pipeline default)", "+ reading order `columns`"}
	sets := []string{"rendered-gov", "danang", "danang-augmented"}
	tallies := map[string][]tally{}
	pooled := make([]tally, len(steps))  // danang + rendered-gov
	upright := make([]tally, len(steps)) // the same without the pages the clean-up turned over
	perPage := &strings.Builder{}
	fmt.Fprintf(perPage, "| set | page | chars | clean-up turned | %s |\n|---|---|---|---|%s\n", strings.Join(steps, " | "), strings.Repeat("---|", len(steps)))
	var rawTime, poolTime time.Duration
	for i, p := range pages {
		b, err := os.ReadFile(p.Truth)
		if err != nil {
			fail(err)
		}
		truth := string(b)
		r := res[i]
		rawTime += r.RawTime
		poolTime += r.PoolTime
		rec := r.Plain
		if r.Inked != nil {
			rec = *r.Inked
		}
		corrected := pipeline.Vietnamese(rec, false).Text
		vie := pipeline.Vietnamese(r.Vie, false).Text
		ordered := pipeline.Vietnamese(r.Vie, true).Text
		texts := []string{r.Raw, r.Plain.Text, rec.Text, corrected, vie, ordered}
		if tallies[p.Set] == nil {
			tallies[p.Set] = make([]tally, len(steps))
		}
		fmt.Fprintf(perPage, "| %s | %s | %d | %d° |", p.Set, p.Name, len([]rune(truth)), r.Turned)
		for k, t := range texts {
			tallies[p.Set][k].add(truth, t)
			if p.Set != "danang-augmented" {
				pooled[k].add(truth, t)
				if r.Turned != 180 {
					upright[k].add(truth, t)
				}
			}
			fmt.Fprintf(perPage, " %.4f |", docgen.CER(truth, t))
		}
		fmt.Fprintln(perPage)
		if os.Getenv("OCRVI_DUMP") != "" {
			_ = os.WriteFile(filepath.Join(os.Getenv("OCRVI_DUMP"), p.Set+"_"+p.Name+".txt"),
				[]byte(strings.Join([]string{"== RAW", r.Raw, "== PLAIN", r.Plain.Text, "== CORRECTED", corrected, "== VIE", vie, "== ORDERED", ordered}, "\n")), 0o644)
		}
	}
	fmt.Printf("| set | pages | chars | %s |\n|---|---|---|%s\n", strings.Join(steps, " | "), strings.Repeat("---|", len(steps)))
	count := map[string]int{}
	for _, p := range pages {
		count[p.Set]++
	}
	for _, s := range sets {
		fmt.Printf("| %s | %d | %.0f |", s, count[s], tallies[s][0].chars)
		for _, t := range tallies[s] {
			fmt.Printf(" %.2f %% |", 100*t.cer())
		}
		fmt.Println()
	}
	fmt.Printf("| **pooled: rendered-gov + danang** | %d | %.0f |", count["rendered-gov"]+count["danang"], pooled[0].chars)
	for _, t := range pooled {
		fmt.Printf(" **%.2f %%** |", 100*t.cer())
	}
	fmt.Println()
	fmt.Printf("| pooled, without the pages the clean-up turned upside down | | %.0f |", upright[0].chars)
	for _, t := range upright {
		fmt.Printf(" %.2f %% |", 100*t.cer())
	}
	fmt.Println()
	fmt.Println()
	fmt.Println("Word-bag miss rate (order-free: share of reference words, as printed, with no equal word in the output):")
	fmt.Println()
	fmt.Printf("| set | %s |\n|---|%s\n", strings.Join(steps, " | "), strings.Repeat("---|", len(steps)))
	for _, s := range sets {
		fmt.Printf("| %s |", s)
		for _, t := range tallies[s] {
			fmt.Printf(" %.2f %% |", 100*t.bagMiss())
		}
		fmt.Println()
	}
	fmt.Printf("| pooled: rendered-gov + danang |")
	for _, t := range pooled {
		fmt.Printf(" %.2f %% |", 100*t.bagMiss())
	}
	fmt.Println()
	fmt.Println()
	fmt.Printf("Recognition time, all %d pages, summed over pages: tesseract CLI %.1f s, SoHoa pool %.1f s (vie+eng word by word; includes clean-up and the second recognition of pages whose ink was removed).\n\n", len(pages), rawTime.Seconds(), poolTime.Seconds())
	fmt.Println("### Per page (CER)")
	fmt.Println()
	fmt.Print(perPage.String())
}
