package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sohoa/sohoa/capture/cleanup"
	"github.com/sohoa/sohoa/internal/imgutil"
	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// Progress reports OCR progress.
type Progress struct {
	Pending, Done, Failed int   // pages in the scope being processed (one batch or all)
	PageID                int64 // the page that just finished (0 for a summary)
	PageFailed            bool
}

// OCRService runs OCR on pending pages with a pool of Tesseract workers.
type OCRService struct {
	st      *queue.Store
	pool    *ocr.Pool
	workers int
	kick    chan struct{}
	clean   *cleanup.Profile // default clean-up for batches without their own; nil = none
	// override: SetCleanup was called, its profile applies to every batch
	override bool
	// plain: Tesseract's words and text as they are (SetVietnamese(false))
	plain bool
	// columns: the text in the reading order of Decree 30 zones (SetReadingOrder)
	columns  bool
	profiles map[string]*cleanup.Profile // per-batch profiles, read once

	mu   sync.Mutex
	subs map[chan Progress]struct{}
	run  sync.Mutex // one RunPending at a time per service

	stages stageClock // where RunPending's time goes (Timings)

	// extraction after OCR (extract.go)
	exMu  sync.Mutex // one document extracted at a time
	reg   *records.Registry
	types map[string]*records.RecordType // per batch; nil: the batch's type has no definition
}

// Timings are the summed durations of the stages of the pages processed so far, over all
// pages in hand at once (their sum can exceed the wall time): read = the page image from the
// store, Upright = the cheap upright test that spares the clean-up Tesseract's orientation
// detection (ocr.ConfidentUp, inside the clean-up: cleanup.Result.Timings.Upright), Clean = clean-up (deskew, orientation, crop), Ink = stamp and
// signature ink removal in this process (JPEG pages; the workers do it for the others), Wait =
// time a page waited for a free Tesseract worker, Recognize = the worker's reading of it, Save =
// the Vietnamese steps after recognition and storing the result, Extract = field extraction of
// finished documents.
type Timings struct {
	Pages                                                     int
	Read, Upright, Clean, Ink, Wait, Recognize, Save, Extract time.Duration
}

// String gives the mean of each stage per page.
func (t Timings) String() string {
	if t.Pages == 0 {
		return "no page"
	}
	m := func(d time.Duration) time.Duration { return (d / time.Duration(t.Pages)).Round(time.Millisecond) }
	return fmt.Sprintf("mean per page over %d pages: read %v, upright test %v, clean-up %v, ink (JPEG) %v, wait for a worker %v, recognition %v, post+save %v, extraction %v",
		t.Pages, m(t.Read), m(t.Upright), m(t.Clean), m(t.Ink), m(t.Wait), m(t.Recognize), m(t.Save), m(t.Extract))
}

type stageClock struct {
	pages                                                     atomic.Int64
	read, upright, clean, ink, wait, recognize, save, extract atomic.Int64
}

func since(c *atomic.Int64, t time.Time) time.Time {
	now := time.Now()
	c.Add(int64(now.Sub(t)))
	return now
}

// Timings returns where the time of the pages processed by this service went.
func (s *OCRService) Timings() Timings {
	c := &s.stages
	d := func(a *atomic.Int64) time.Duration { return time.Duration(a.Load()) }
	return Timings{Pages: int(c.pages.Load()), Read: d(&c.read), Upright: d(&c.upright), Clean: d(&c.clean), Ink: d(&c.ink), Wait: d(&c.wait),
		Recognize: d(&c.recognize), Save: d(&c.save), Extract: d(&c.extract)}
}

// DefaultPSM is the page segmentation used for whole pages unless the options say
// otherwise: 4, "a single column of text of variable sizes". Administrative records are
// label-and-value lines and ruled tables read row by row; Tesseract's automatic layout
// analysis (3) splits such tables into columns and loses the row order (measured on the
// generated set: CER 3.0% with 3 against about 1% with 4, both after deskew).
const DefaultPSM = 4

// NewOCRService starts the worker pool.
func NewOCRService(st *queue.Store, opts ocr.Options) (*OCRService, error) {
	if opts.PSM == 0 {
		opts.PSM = DefaultPSM
	}
	pool, err := ocr.NewPool(opts)
	if err != nil {
		return nil, err
	}
	w := opts.Workers
	if w <= 0 {
		w = runtime.NumCPU()
	}
	def := cleanup.DefaultProfile()
	return &OCRService{st: st, pool: pool, workers: w, kick: make(chan struct{}, 1), subs: map[chan Progress]struct{}{}, clean: &def,
		profiles: map[string]*cleanup.Profile{}, types: map[string]*records.RecordType{}}, nil
}

// SetCleanup chooses the image clean-up applied before OCR to every batch, whatever its own
// profile (nil = none). Without it each batch's profile applies, and
// cleanup.DefaultProfile() for batches that have none. Call it before Serve or RunPending.
func (s *OCRService) SetCleanup(p *cleanup.Profile) { s.clean, s.override = p, true }

// SetVietnamese turns the Vietnamese steps after recognition (Vietnamese) on or off; they are on
// unless turned off. Call it before Serve or RunPending.
func (s *OCRService) SetVietnamese(on bool) { s.plain = !on }

// SetReadingOrder chooses the order of the stored text: columns=true puts it in the reading
// order of a Decree 30/2020 page (ocr/layout), false keeps Tesseract's lines (the default).
// Call it before Serve or RunPending.
func (s *OCRService) SetReadingOrder(columns bool) { s.columns = columns }

// Close stops the worker pool.
func (s *OCRService) Close() error { return s.pool.Close() }

// Kick tells a running Serve loop that new pages were stored.
func (s *OCRService) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Subscribe returns a channel of progress events and a function that ends the subscription.
// Slow subscribers miss events rather than slow OCR down.
func (s *OCRService) Subscribe() (<-chan Progress, func()) {
	ch := make(chan Progress, 64)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		if _, ok := s.subs[ch]; ok {
			delete(s.subs, ch)
			close(ch)
		}
		s.mu.Unlock()
	}
}

func (s *OCRService) publish(p Progress) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- p:
		default:
		}
	}
}

// Serve processes pending pages until ctx is cancelled, waking on Kick and every few seconds.
func (s *OCRService) Serve(ctx context.Context) error {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	// Documents whose OCR finished without their extraction (a crash in between, or OCR by
	// an older version) are extracted first.
	_ = s.ExtractWaiting(ctx)
	for {
		if _, err := s.RunPending(ctx, "", nil); err != nil && ctx.Err() == nil {
			// A store error: report through progress consumers' next poll; retry later.
			_ = err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.kick:
		case <-t.C:
		}
	}
}

// RunPending runs OCR on every pending page (of one batch, or all when batchID is ""),
// including pages stored while it runs, and returns when none is left. Each result is
// committed as soon as its page is done; cancelling ctx leaves unfinished pages pending.
func (s *OCRService) RunPending(ctx context.Context, batchID string, progress func(Progress)) (Progress, error) {
	s.run.Lock()
	defer s.run.Unlock()
	var mu sync.Mutex
	var firstErr error
	sum := func() Progress {
		p, d, f, err := s.st.OCRProgress(context.WithoutCancel(ctx), batchID)
		if err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}
		return Progress{Pending: p, Done: d, Failed: f}
	}
	for {
		jobs := make(chan queue.Page)
		var wg sync.WaitGroup
		// Two pages in hand per Tesseract worker: while a worker reads one page, the next
		// one's clean-up (in this process) is done, so no worker waits for it.
		for i := 0; i < 2*s.workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for pg := range jobs {
					failed, err := s.processPage(ctx, pg)
					if err == nil {
						t := time.Now()
						err = s.extractIfDone(ctx, pg)
						since(&s.stages.extract, t)
					}
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						continue
					}
					ev := sum()
					ev.PageID, ev.PageFailed = pg.ID, failed
					s.publish(ev)
					if progress != nil {
						progress(ev)
					}
				}
			}()
		}
		var after int64
		fed := 0
	feed:
		for ctx.Err() == nil {
			pages, err := s.st.PendingPagesAfter(ctx, batchID, after, 4*s.workers)
			if err != nil {
				mu.Lock()
				if firstErr == nil && ctx.Err() == nil {
					firstErr = err
				}
				mu.Unlock()
				break
			}
			if len(pages) == 0 {
				break
			}
			for _, pg := range pages {
				select {
				case jobs <- pg:
					fed++
				case <-ctx.Done():
					break feed
				}
				after = pg.ID
			}
		}
		close(jobs)
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return sum(), err
		}
		if firstErr != nil {
			return sum(), firstErr
		}
		if fed == 0 {
			return sum(), nil
		}
		// Pages stored while this round ran have IDs below the cursor only if they were
		// inserted out of order; go round once more until a round finds nothing.
	}
}

// profileFor returns the clean-up profile of a batch: the batch's own ("none" = no clean-up,
// else a JSON cleanup.Profile), else the service's default. An explicit SetCleanup overrides.
func (s *OCRService) profileFor(ctx context.Context, batchID string) (*cleanup.Profile, error) {
	if s.override {
		return s.clean, nil
	}
	s.mu.Lock()
	p, ok := s.profiles[batchID]
	s.mu.Unlock()
	if ok {
		return p, nil
	}
	b, err := s.st.Batch(ctx, batchID)
	if err != nil {
		return nil, err
	}
	p, err = ParseCleanup(b.Cleanup, s.clean)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.profiles[batchID] = p
	s.mu.Unlock()
	return p, nil
}

// ParseCleanup reads a batch's stored clean-up setting: "" gives def, "none" nil, else a
// JSON cleanup.Profile.
func ParseCleanup(v string, def *cleanup.Profile) (*cleanup.Profile, error) {
	switch v {
	case "":
		return def, nil
	case "none":
		return nil, nil
	}
	var p cleanup.Profile
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return nil, l10n.Wrap(err, "pipeline.cleanupProfile")
	}
	return &p, nil
}

// processPage cleans one page (deskew, orientation, blank detection, border crop: the
// original stays stored), runs OCR on it and commits both in one transaction. It returns
// failed=true when the page itself cannot be read (the page is marked failed and OCR goes
// on), and an error only for problems of the store or cancellation.
func (s *OCRService) processPage(ctx context.Context, pg queue.Page) (failed bool, err error) {
	fail := func(reason string) (bool, error) {
		if ferr := s.st.FailOCR(context.WithoutCancel(ctx), pg.ID, reason); ferr != nil {
			return true, ferr
		}
		return true, nil
	}
	prof, err := s.profileFor(ctx, pg.BatchID)
	if err != nil {
		return false, err
	}
	var img []byte
	var cleaned *queue.Cleaned
	blank := false
	t := time.Now()
	if prof == nil {
		// No clean-up: OCR the working image (the original, or the clerk's turn of it).
		if img, err = s.st.PageImage(pg); errors.Is(err, queue.ErrStoreLocked) {
			return false, err // signed out or locked: the page stays pending, not failed
		} else if err != nil {
			return fail("page image unreadable: " + err.Error())
		}
	} else {
		if img, err = s.st.OriginalImage(pg); errors.Is(err, queue.ErrStoreLocked) {
			return false, err
		} else if err != nil {
			return fail("page image unreadable: " + err.Error())
		}
		t = since(&s.stages.read, t)
		p := *prof
		format, w, h := pg.Format, pg.Width, pg.Height
		turned := false
		if pg.UserRotation != 0 {
			// The clerk has turned this page: start from the original turned the same way,
			// and trust the clerk over orientation detection.
			if img, w, h, err = imgutil.RotateEncoded(img, pg.UserRotation); err != nil {
				return fail("page image unreadable: " + err.Error())
			}
			format, turned, p.AutoOrient = "png", true, false
		}
		// One decoding of the page serves the clean-up, the upright test and the worker:
		// Tesseract's orientation detection is most of the clean-up's cost (about 0.25 s of a
		// 200-dpi page), and a page upright beyond doubt by leptonica's cheap measure
		// (ocr.ConfidentUp, measured by the clean-up on its own decoding) does without it; a
		// PNG page the clean-up leaves as it is goes on to the worker as that decoding,
		// uncompressed (the same pixels; read in half the time of the original).
		var o cleanup.Options
		if p.AutoOrient {
			o.Upright = ocr.ConfidentUp
		}
		o.Raw = !turned // a turned page is stored as the worker reads it
		cr, err := cleanup.ProcessWith(ctx, img, p, o)
		s.stages.upright.Add(int64(cr.Timings.Upright))
		s.stages.clean.Add(-int64(cr.Timings.Upright))
		switch {
		case err != nil && ctx.Err() != nil:
			return false, ctx.Err()
		case err != nil:
			// Clean-up is an improvement, not a gate: OCR the page as it is.
			cr = cleanup.Result{}
		case cr.Changed && cr.Data != nil:
			img, format, w, h = cr.Data, cr.Format, cr.Width, cr.Height
		case cr.Raw != nil:
			img = cr.Raw // for the worker only: the stored page stays the original
		}
		cleaned = &queue.Cleaned{Blob: pg.Original, Format: format, Width: w, Height: h,
			SkewDeg: cr.SkewDeg, Rotation: (cr.Rotation + pg.UserRotation) % 360, Blank: cr.Blank}
		if cleaned.Blob == "" {
			cleaned.Blob = pg.Blob
		}
		if turned || (cr.Changed && cr.Data != nil) {
			h, err := s.st.Blobs.Put(img) // durable before the row names it
			if err != nil {
				return false, err
			}
			cleaned.Blob = h
		}
		blank = cr.Blank
	}
	t = since(&s.stages.clean, t)
	var res ocr.Result
	if blank {
		// Nothing to read on a blank page; it stays in the document, flagged.
		res = ocr.Result{Engine: ocr.EngineVersion(), Model: "skipped: blank page"}
	} else {
		// Stamps and signatures in colour are removed from the copy Tesseract reads; the
		// stored page keeps them. The worker does it on the image it decodes anyway
		// (RecognizeInkFree), except for JPEG pages: Go's JPEG decoder and libjpeg give
		// slightly different colours (chroma upsampling), enough to change which pixels
		// count as ink; on the Da Nang scans of the corpus libjpeg's read worse (2293 edits
		// against 2164), so JPEG pages keep Go's decoding here, as before.
		if bytes.HasPrefix(img, []byte{0xff, 0xd8, 0xff}) {
			ocrImg := img
			if free, ok := InkFree(img); ok {
				ocrImg = free
			}
			t = since(&s.stages.ink, t)
			res, err = s.pool.Recognize(ctx, ocrImg)
		} else {
			res, err = s.pool.RecognizeInkFree(ctx, img)
		}
		t = since(&s.stages.wait, t)
		s.stages.wait.Add(-int64(res.Duration))
		s.stages.recognize.Add(int64(res.Duration))
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return fail(fmt.Sprintf("OCR failed: %v", err))
		}
		if !s.plain {
			res = Vietnamese(res, s.columns)
		}
	}
	words := make([]queue.Word, len(res.Words))
	for i, w := range res.Words {
		words[i] = queue.Word{Text: w.Text, X0: w.X0, Y0: w.Y0, X1: w.X1, Y1: w.Y1, Conf: w.Conf, Block: w.Block, Par: w.Par, Line: w.Line}
	}
	err = s.st.SaveProcessed(context.WithoutCancel(ctx), pg.ID, cleaned, queue.OCRResult{
		Text: res.Text, Words: words, MeanConf: res.MeanConf, Orientation: res.Orientation,
		Engine: res.Engine, Model: res.Model, Duration: res.Duration,
	})
	since(&s.stages.save, t)
	s.stages.pages.Add(1)
	return false, err
}
