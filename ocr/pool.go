package ocr

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

var defaultLanguages = []string{"vie", "eng"}

// defaultTessdata is where Debian's tesseract-ocr packages put the models.
const defaultTessdata = "/usr/share/tesseract-ocr/5/tessdata"

// Pool runs OCR in child worker processes, one Tesseract engine each.
// Recognize and RecognizeZone are safe for concurrent use; at most
// Options.Workers pages are recognized at once.
type Pool struct {
	opts   Options
	exe    string
	env    []string
	model  string            // of the languages pages are read with first
	models map[string]string // Result.Languages → model
	engine string

	jobs      chan *job
	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
	slots     []*slot
}

type job struct {
	ctx  context.Context
	req  request
	body []byte
	done chan jobResult
}

type jobResult struct {
	res Result
	err error
}

// NewPool starts the worker processes and waits until each has loaded its
// language data, so a missing language or tessdata directory fails here.
func NewPool(opts Options) (*Pool, error) {
	if len(opts.Languages) == 0 {
		opts.Languages = defaultLanguages
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	if opts.PagesPerWorker <= 0 {
		opts.PagesPerWorker = 200
	}
	if opts.PSM < 0 || opts.PSM > 13 {
		return nil, fmt.Errorf("ocr: page segmentation mode %d out of range 1-13", opts.PSM)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("ocr: find own executable for workers: %w", err)
	}
	// The worker reads a page with read (Vietnamese alone, unless
	// MixLanguages) and, when it is not Vietnamese, again with all the
	// languages, without the second model: Result.Languages says which.
	read := readLanguages(opts.Languages, opts.MixLanguages)
	sets := [][]string{read}
	if len(read) < len(opts.Languages) {
		sets = append(sets, opts.Languages)
	}
	models := map[string]string{}
	for _, langs := range sets {
		m, err := modelID(langs, opts.TessdataDir)
		if err != nil {
			return nil, err
		}
		models[strings.Join(langs, "+")] = m
	}
	model := models[strings.Join(read, "+")]
	if opts.RefineTessdata != "" {
		if opts.RefineBelow <= 0 {
			opts.RefineBelow = 80
		}
		refine, err := modelID(read, opts.RefineTessdata)
		if err != nil {
			return nil, err
		}
		model += ", lines under " + strconv.FormatFloat(opts.RefineBelow, 'f', -1, 64) + " % refined with " + refine
	}
	models[strings.Join(read, "+")] = model
	p := &Pool{
		opts:   opts,
		exe:    exe,
		env:    workerEnv(),
		model:  model,
		models: models,
		engine: EngineVersion(),
		jobs:   make(chan *job),
		closed: make(chan struct{}),
	}
	// Start all workers in parallel; fail if any cannot start.
	errs := make(chan error, opts.Workers)
	for i := 0; i < opts.Workers; i++ {
		s := &slot{pool: p}
		p.slots = append(p.slots, s)
		go func() {
			var err error
			s.proc, err = p.startProc()
			errs <- err
		}()
	}
	var first error
	for range opts.Workers {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		for _, s := range p.slots {
			s.proc.stop()
		}
		return nil, first
	}
	for _, s := range p.slots {
		p.wg.Add(1)
		go s.run()
	}
	return p, nil
}

func workerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, envWorker+"=") || strings.HasPrefix(kv, "OMP_THREAD_LIMIT=") {
			continue
		}
		env = append(env, kv)
	}
	// One engine per core and no threads inside Tesseract.
	return append(env, envWorker+"=1", "OMP_THREAD_LIMIT=1")
}

// modelID names the language data, e.g. "vie+eng@1a2b3c4d5e6f": the hash
// covers the traineddata files, so a model change shows in every result.
func modelID(langs []string, dir string) (string, error) {
	if dir == "" {
		dir = os.Getenv("TESSDATA_PREFIX")
	}
	if dir == "" {
		dir = defaultTessdata
	}
	h := sha256.New()
	for _, l := range langs {
		if l == "" || strings.ContainsAny(l, `/\+`) {
			return "", fmt.Errorf("ocr: bad language name %q", l)
		}
		f, err := os.Open(filepath.Join(dir, l+".traineddata"))
		if err != nil {
			return "", fmt.Errorf("ocr: language data for %q: %w", l, err)
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("ocr: read language data for %q: %w", l, err)
		}
	}
	return strings.Join(langs, "+") + "@" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// Recognize OCRs one page (PNG, JPEG or TIFF bytes; the first image of a
// multi-page TIFF).
func (p *Pool) Recognize(ctx context.Context, img []byte) (Result, error) {
	return p.submit(ctx, request{Op: opPage, PSM: p.opts.PSM, AutoOrient: p.opts.AutoOrient}, img)
}

// RecognizeInkFree is Recognize with the coloured ink of stamps and signatures made paper
// white first (ocr/layout.RemoveInk's rule), by the worker on the image it decodes anyway:
// the caller sends the page as stored, with no decoding and re-encoding of its own. A grey
// page, or a colour page without such ink, is read as Recognize reads it.
func (p *Pool) RecognizeInkFree(ctx context.Context, img []byte) (Result, error) {
	return p.submit(ctx, request{Op: opPage, PSM: p.opts.PSM, AutoOrient: p.opts.AutoOrient, RemoveInk: true}, img)
}

// RecognizeZone OCRs one rectangle of a page (coordinates of the image as
// given), e.g. one form field. Word boxes are in page coordinates.
func (p *Pool) RecognizeZone(ctx context.Context, img []byte, zone image.Rectangle, zo ZoneOptions) (Result, error) {
	if !validOrientation(zo.Orientation) {
		return Result{}, ErrBadOrientation
	}
	if zo.PSM < 0 || zo.PSM > 13 {
		return Result{}, fmt.Errorf("ocr: page segmentation mode %d out of range 1-13", zo.PSM)
	}
	zone = zone.Canon()
	if zone.Empty() {
		return Result{}, ErrZoneOutside
	}
	req := request{Op: opZone, PSM: zo.PSM, Whitelist: zo.Whitelist, Orientation: zo.Orientation,
		Zone: [4]int{zone.Min.X, zone.Min.Y, zone.Max.X, zone.Max.Y}}
	return p.submit(ctx, req, img)
}

func (p *Pool) submit(ctx context.Context, req request, img []byte) (Result, error) {
	if len(img) == 0 {
		return Result{}, ErrEmptyImage
	}
	if !isSupportedImage(img) {
		return Result{}, ErrBadImage
	}
	res, err := p.do(ctx, req, img)
	if errors.Is(err, ErrWorkerCrashed) && ctx.Err() == nil {
		res, err = p.do(ctx, req, img) // once more, on a fresh worker
	}
	return res, err
}

func isSupportedImage(b []byte) bool {
	for _, magic := range [][]byte{
		[]byte("\x89PNG\r\n\x1a\n"), {0xff, 0xd8, 0xff}, []byte("II*\x00"), []byte("MM\x00*"),
	} {
		if bytes.HasPrefix(b, magic) {
			return true
		}
	}
	return false
}

// do hands one request to a free worker and waits for the answer.
func (p *Pool) do(ctx context.Context, req request, body []byte) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	j := &job{ctx: ctx, req: req, body: body, done: make(chan jobResult, 1)}
	select {
	case p.jobs <- j:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case <-p.closed:
		return Result{}, ErrClosed
	}
	r := <-j.done
	return r.res, r.err
}

// Close stops the workers (a page in progress is finished first) and
// waits for them to exit.
func (p *Pool) Close() error {
	p.closeOnce.Do(func() { close(p.closed) })
	p.wg.Wait()
	return nil
}

// workerPIDs lists the running worker processes (for tests).
func (p *Pool) workerPIDs() []int {
	var pids []int
	for _, s := range p.slots {
		s.mu.Lock()
		if s.proc != nil {
			pids = append(pids, s.proc.cmd.Process.Pid)
		}
		s.mu.Unlock()
	}
	return pids
}

// slot owns one worker process at a time and serves jobs with it.
type slot struct {
	pool *Pool
	mu   sync.Mutex // guards proc for workerPIDs; only run() changes it
	proc *proc
}

func (s *slot) setProc(pr *proc) {
	s.mu.Lock()
	s.proc = pr
	s.mu.Unlock()
}

func (s *slot) run() {
	defer s.pool.wg.Done()
	defer func() { s.proc.stop(); s.setProc(nil) }()
	for {
		select {
		case <-s.pool.closed:
			return
		case j := <-s.pool.jobs:
			s.serve(j)
		}
	}
}

func (s *slot) serve(j *job) {
	p := s.pool
	if s.proc == nil {
		pr, err := p.startProc()
		if err != nil {
			j.done <- jobResult{err: err}
			return
		}
		s.setProc(pr)
	}
	pr := s.proc
	start := time.Now()
	res, err := pr.roundTrip(j.ctx, j.req, j.body)
	switch {
	case err == nil:
		res.Duration = time.Since(start)
		res.Engine, res.Model = p.engine, p.model
		if m, ok := p.models[res.Languages]; ok {
			res.Model = m
		}
		j.done <- jobResult{res: res}
	case j.ctx.Err() != nil && errors.Is(err, errCancelled):
		j.done <- jobResult{err: j.ctx.Err()}
	default:
		j.done <- jobResult{err: err}
	}
	if err == nil || errors.Is(err, errWorkerReply) {
		pr.pages++
		if pr.pages < p.opts.PagesPerWorker {
			return
		}
	}
	// Recycle (page budget used), or replace a crashed or killed worker.
	pr.stop()
	s.setProc(nil)
	select {
	case <-p.closed:
		return
	default:
	}
	if pr, err := p.startProc(); err == nil {
		s.setProc(pr)
	} // else: retried on the next job, which then gets the error
}
