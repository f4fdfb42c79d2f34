// Package ocrreal measures SoHoa's OCR on the real Vietnamese pages of the shared corpus
// (corpus/ocr-vi): the character error rate against their ground truth and the throughput,
// through SoHoa's own path (capture.ImportFiles into a queue store, then the pipeline's OCR
// service with the default clean-up, as `sohoa import` + `sohoa ocr` do) and through the
// tesseract command-line tool on the same files in the same run. The CER ceiling test
// and bench/ocrreal (scripts/bench-ocr-real.sh) use it.
package ocrreal

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/capture/cleanup"
	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/queue"
)

// Page is one file of the corpus: an image with its ground truth, or a PDF without (Truth
// "": speed only).
type Page struct {
	Set   string // "rendered-gov", "danang", "pdf-no-truth"
	Name  string // file name
	Path  string
	Truth string
}

// Sets names the corpus sets in report order.
var Sets = []string{"rendered-gov", "danang", "pdf-no-truth"}

// Corpus lists the pages of corpus/ocr-vi under dir (testenv.Corpus()).
func Corpus(dir string) ([]Page, error) {
	root := filepath.Join(dir, "ocr-vi")
	var pages []Page
	gov, err := filepath.Glob(filepath.Join(root, "rendered-gov", "*.png"))
	if err != nil {
		return nil, err
	}
	for _, f := range gov {
		gt, err := os.ReadFile(strings.TrimSuffix(f, ".png") + ".gt.txt")
		if err != nil {
			return nil, err
		}
		pages = append(pages, Page{Set: "rendered-gov", Name: filepath.Base(f), Path: f, Truth: string(gt)})
	}
	dn := filepath.Join(root, "real-scans-danang", "data")
	scans, err := filepath.Glob(filepath.Join(dn, "*.jpg"))
	if err != nil {
		return nil, err
	}
	aug, err := filepath.Glob(filepath.Join(dn, "augmented", "*.jpg"))
	if err != nil {
		return nil, err
	}
	for _, f := range append(scans, aug...) {
		base := filepath.Base(f) // 4_1.jpg or 4_1_v2_blur.jpg: truth 4_1_gt.txt
		parts := strings.SplitN(strings.TrimSuffix(base, ".jpg"), "_", 3)
		if len(parts) < 2 {
			continue
		}
		gt, err := os.ReadFile(filepath.Join(dn, parts[0]+"_"+parts[1]+"_gt.txt"))
		if err != nil {
			return nil, err
		}
		pages = append(pages, Page{Set: "danang", Name: base, Path: f, Truth: string(gt)})
	}
	pdfs, err := filepath.Glob(filepath.Join(root, "real-scans-no-truth", "data", "*.pdf"))
	if err != nil {
		return nil, err
	}
	for _, f := range pdfs {
		pages = append(pages, Page{Set: "pdf-no-truth", Name: filepath.Base(f), Path: f})
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("ocrreal: no pages under %s", root)
	}
	return pages, nil
}

// Options choose how SoHoa reads the pages.
type Options struct {
	Workers     int      // parallel engines on both sides; default 2
	Languages   []string // default vie+eng
	TessdataDir string   // "" = Tesseract's own
	PSM         int      // 0 = pipeline.DefaultPSM
	// RefineTessdata, RefineBelow: ocr.Options' second model for poorly read lines.
	RefineTessdata string
	RefineBelow    float64
	// MixLanguages: ocr.Options.MixLanguages (Tesseract's word-by-word choice among the
	// languages on every page, as the CLI's -l vie+eng).
	MixLanguages bool
	// CLILanguages are the CLI's -l languages; default Languages.
	CLILanguages []string
	// Post, when set, is applied to SoHoa's text of every page before scoring: a hook for a
	// post-correction step measured as its own row.
	Post func(text string) string
}

// Result is the text and timing of one side.
type Result struct {
	Texts  map[string][]string // file name → text of each of its pages
	Failed []string            // SoHoa only: files the import refused, with the reason
	Import time.Duration       // SoHoa only: decoding and storing the files
	OCR    time.Duration       // clean-up + recognition (SoHoa) or the tesseract processes (CLI)
	Pages  int
	// CPU is the processor time of the OCR step, all processes (SoHoa: this process's
	// clean-up and the workers; CLI: the tesseract processes): on a shared machine it varies
	// less than the wall time.
	CPU time.Duration
	// Stages: SoHoa only, where the pages' time went (pipeline.OCRService.Timings, found by
	// name so that this harness still builds over an older revision without it).
	Stages  string
	PeakRSS int64 // largest process (a worker, or a tesseract process) times the engines, plus the parent for SoHoa
}

// cpuTime is the processor time used so far by this process and its waited-for children.
func cpuTime() time.Duration {
	var t time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			t += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return t
}

// RunSoHoa imports the files into a fresh store (in a temporary folder) and runs the OCR
// service on them, as the workstation does.
func RunSoHoa(ctx context.Context, pages []Page, o Options) (Result, error) {
	o = o.withDefaults()
	res := Result{Texts: map[string][]string{}}
	dir, err := os.MkdirTemp("", "sohoa-ocrreal-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	st, err := queue.Open(dir)
	if err != nil {
		return res, err
	}
	defer st.Close()
	admin, err := st.CreateUser(ctx, nil, "admin", "", "12345678", []queue.Role{queue.RoleAdmin, queue.RoleClerk})
	if err != nil {
		return res, err
	}
	b, err := st.CreateBatch(ctx, admin, queue.BatchSpec{Name: "ocrreal"})
	if err != nil {
		return res, err
	}
	paths := make([]string, len(pages))
	for i, p := range pages {
		paths[i] = p.Path
	}
	stored := map[string][]int64{}
	t0 := time.Now()
	_, err = capture.ImportFiles(ctx, st, admin, b.ID, paths, func(ev capture.ImportEvent) {
		if ev.Err != nil {
			res.Failed = append(res.Failed, filepath.Base(ev.File)+": "+ev.Err.Error())
		}
		for _, pg := range ev.Stored {
			stored[filepath.Base(ev.File)] = append(stored[filepath.Base(ev.File)], pg.ID)
		}
	})
	res.Import = time.Since(t0)
	if err != nil {
		return res, err
	}
	cleanup.TessdataDir = o.TessdataDir
	svc, err := pipeline.NewOCRService(st, ocr.Options{Workers: o.Workers, Languages: o.Languages, TessdataDir: o.TessdataDir, PSM: o.PSM,
		RefineTessdata: o.RefineTessdata, RefineBelow: o.RefineBelow, MixLanguages: o.MixLanguages})
	if err != nil {
		return res, err
	}
	closed := false
	defer func() {
		if !closed {
			svc.Close()
		}
	}()
	stop := sampleRSS()
	c1, t1 := cpuTime(), time.Now()
	sum, err := svc.RunPending(ctx, "", nil)
	res.OCR = time.Since(t1)
	if m := reflect.ValueOf(svc).MethodByName("Timings"); m.IsValid() && m.Type().NumIn() == 0 && m.Type().NumOut() == 1 {
		if st, ok := m.Call(nil)[0].Interface().(fmt.Stringer); ok {
			res.Stages = st.String()
		}
	}
	res.PeakRSS = stop()
	svc.Close() // the workers exit: their processor time is counted
	closed = true
	res.CPU = cpuTime() - c1
	if err != nil {
		return res, err
	}
	if sum.Failed > 0 {
		return res, fmt.Errorf("ocrreal: %d pages failed OCR", sum.Failed)
	}
	for name, ids := range stored {
		for _, id := range ids {
			r, err := st.OCR(ctx, id)
			if err != nil {
				return res, err
			}
			text := r.Text
			if o.Post != nil {
				text = o.Post(text)
			}
			res.Texts[name] = append(res.Texts[name], text)
			res.Pages++
		}
	}
	return res, nil
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if len(o.Languages) == 0 {
		o.Languages = []string{"vie", "eng"}
	}
	if len(o.CLILanguages) == 0 {
		o.CLILanguages = o.Languages
	}
	return o
}

// RunCLI runs `tesseract FILE stdout -l vie+eng` (o.CLILanguages; default page segmentation, no
// preprocessing, OMP_THREAD_LIMIT=1), o.Workers processes at a time, on the same pages.
// PDFs are given to it as the page images SoHoa's importer decodes from them.
func RunCLI(ctx context.Context, pages []Page, o Options) (Result, error) {
	o = o.withDefaults()
	res := Result{Texts: map[string][]string{}}
	dir, err := os.MkdirTemp("", "sohoa-ocrreal-cli-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	type item struct {
		name string
		path string
	}
	var items []item
	for _, p := range pages {
		if !strings.HasSuffix(p.Name, ".pdf") {
			items = append(items, item{p.Name, p.Path})
			continue
		}
		// The page images as embedded (poppler's pdfimages: JPEG as is, others as PNG).
		prefix := filepath.Join(dir, strings.TrimSuffix(p.Name, ".pdf"))
		if out, err := exec.CommandContext(ctx, "pdfimages", "-j", "-png", p.Path, prefix).CombinedOutput(); err != nil {
			return res, fmt.Errorf("pdfimages %s: %v: %s", p.Name, err, out)
		}
		imgs, err := filepath.Glob(prefix + "-*")
		if err != nil {
			return res, err
		}
		sort.Strings(imgs)
		for _, f := range imgs {
			items = append(items, item{p.Name, f})
		}
	}
	out := make([]string, len(items))
	env := append(os.Environ(), "OMP_THREAD_LIMIT=1")
	if o.TessdataDir != "" {
		env = append(env, "TESSDATA_PREFIX="+o.TessdataDir)
	}
	var mu sync.Mutex
	var peak int64
	var first error
	next := make(chan int)
	var wg sync.WaitGroup
	c0, t0 := cpuTime(), time.Now()
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				cmd := exec.CommandContext(ctx, "tesseract", items[i].path, "stdout", "-l", strings.Join(o.CLILanguages, "+"))
				cmd.Env = env
				b, err := cmd.Output()
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("tesseract %s: %w", items[i].name, err)
				}
				if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
					peak = max(peak, ru.Maxrss*1024)
				}
				mu.Unlock()
				out[i] = string(b)
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	res.OCR = time.Since(t0)
	res.CPU = cpuTime() - c0
	if first != nil {
		return res, first
	}
	res.PeakRSS = peak * int64(o.Workers)
	for i, it := range items {
		res.Texts[it.name] = append(res.Texts[it.name], out[i])
		res.Pages++
	}
	return res, nil
}

// Score is the CER of one set (or all pages with truth, Set "pooled").
type Score struct {
	Set             string
	Pages           int
	Edits, TruthLen int
}

// CER is the pooled character error rate: edits over truth length.
func (s Score) CER() float64 {
	if s.TruthLen == 0 {
		return 0
	}
	return float64(s.Edits) / float64(s.TruthLen)
}

// PageCER is the CER of one page of a result.
type PageCER struct {
	Page  Page
	Edits int
	CER   float64
}

// Scores computes the CER per set and pooled over the pages with truth (one text each),
// and per page.
func Scores(pages []Page, r Result) (sets []Score, perPage []PageCER) {
	by := map[string]*Score{}
	pooled := &Score{Set: "pooled"}
	for _, p := range pages {
		if p.Truth == "" {
			continue
		}
		text := strings.Join(r.Texts[p.Name], "\n")
		e, n := docgen.CERCounts(p.Truth, text)
		s := by[p.Set]
		if s == nil {
			s = &Score{Set: p.Set}
			by[p.Set] = s
		}
		for _, x := range []*Score{s, pooled} {
			x.Pages++
			x.Edits += e
			x.TruthLen += n
		}
		perPage = append(perPage, PageCER{Page: p, Edits: e, CER: float64(e) / float64(max(n, 1))})
	}
	for _, name := range Sets {
		if s := by[name]; s != nil {
			sets = append(sets, *s)
		}
	}
	sort.Slice(perPage, func(i, j int) bool { return perPage[i].Page.Name < perPage[j].Page.Name })
	return append(sets, *pooled), perPage
}

// sampleRSS samples the resident high-water mark of this process's children (the OCR
// workers, replaced ones included) every second and when stopped (a high-water mark: a worker
// alive at any sample gives its peak; at 10 samples a second the sampling cost the measured
// side about 15 ms of processor time per page); the returned function stops it and gives
// the largest child's peak times the number of children seen at once, plus the parent's.
func sampleRSS() func() int64 {
	self := os.Getpid()
	stop := make(chan struct{})
	done := make(chan int64)
	go func() {
		var childPeak int64
		var most int
		t := time.NewTicker(time.Second)
		defer t.Stop()
		sample := func() {
			kids := children(self)
			most = max(most, len(kids))
			for _, pid := range kids {
				childPeak = max(childPeak, statusBytes(pid, "VmHWM:"))
			}
		}
		for {
			sample()
			select {
			case <-stop:
				sample()
				done <- childPeak*int64(most) + statusBytes(self, "VmHWM:")
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 { close(stop); return <-done }
}

// children lists the processes whose parent is ppid, from /proc/PID/task/*/children (the
// kernel's own list: no scan of every process, which cost the measured side about 1.5 s of
// processor time per run at 10 scans a second).
func children(ppid int) []int {
	lists, _ := filepath.Glob("/proc/" + strconv.Itoa(ppid) + "/task/*/children")
	var out []int
	for _, l := range lists {
		b, err := os.ReadFile(l)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				out = append(out, pid)
			}
		}
	}
	return out
}

func statusInt(pid int, key string) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, key) {
			if f := strings.Fields(line[len(key):]); len(f) >= 1 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				return v
			}
		}
	}
	return -1
}

func statusBytes(pid int, key string) int64 { return max(statusInt(pid, key), 0) * 1024 }
