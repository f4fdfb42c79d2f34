package workflow

import (
	"context"
	"fmt"

	"github.com/sohoa/sohoa/capture/cleanup"
	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// OCR: recognise the pages waiting for it (Tesseract workers, child processes of this
// executable: its main must call ocr.MaybeRunWorker first), then extract each document's
// fields as soon as its last page is done (pipeline). Each page's result is committed when
// it is done; a cancel or a crash leaves the unfinished pages waiting, never a page half
// recognised.

// OCROptions tune the Tesseract pool.
type OCROptions struct {
	Workers     int    // parallel pages; 0: one per core
	TessdataDir string // language data; "": Tesseract's own
	// NoCleanup recognises the pages as stored, without the clean-up (deskew, orientation…)
	// of their batch; the pool then turns pages upright itself.
	NoCleanup bool
	PSM       int      // Tesseract page segmentation mode; 0: pipeline.DefaultPSM
	Languages []string // Tesseract languages; none: the workstation's ocr_languages setting
}

// ocrService starts a Tesseract pool behind the pipeline's OCR service, in the languages and
// model folder the options name, else the workstation's settings (ocr_languages, ocr_tessdata).
func (w *Workflow) ocrService(ctx context.Context, o OCROptions) (*pipeline.OCRService, error) {
	if len(o.Languages) == 0 {
		langs, err := w.OCRLanguages(ctx)
		if err != nil {
			return nil, err
		}
		o.Languages = langs
	}
	if o.TessdataDir == "" {
		dir, err := w.Store.Setting(ctx, SettingOCRTessdata)
		if err != nil {
			return nil, err
		}
		o.TessdataDir = dir // "" : Tesseract's own
	}
	cleanup.TessdataDir = o.TessdataDir // orientation detection in clean-up uses the same data
	// Clean-up turns pages upright (Tesseract OSD) before OCR; without it the pool does.
	svc, err := pipeline.NewOCRService(w.Store, ocr.Options{Workers: o.Workers, TessdataDir: o.TessdataDir, AutoOrient: o.NoCleanup,
		PSM: o.PSM, Languages: o.Languages})
	if err != nil {
		return nil, err
	}
	if o.NoCleanup {
		svc.SetCleanup(nil)
	}
	order, err := w.Store.Setting(ctx, SettingOCRReadingOrder)
	if err != nil {
		svc.Close()
		return nil, err
	}
	svc.SetReadingOrder(order == "columns")
	return svc, nil
}

// OCRInput is an OCR run: the pending pages of one batch ("" for every batch).
type OCRInput struct {
	Batch       string
	RetryFailed bool // put the pages whose OCR failed back in the queue first
	Options     OCROptions
}

// OCRStatus is where OCR stands: the Detail of an OCR run's "page" events and the reports of
// the background service.
type OCRStatus struct {
	Pending, Done, Failed int   // pages of the scope (one batch, or all)
	PageID                int64 // the page just finished; 0 for a count only
	PageFailed            bool
}

// OCRResult is where a run left the scope's pages.
type OCRResult struct{ Pending, Done, Failed int }

// OCR runs OCR on the pending pages (of a batch, or all) and waits until none is left,
// including pages stored meanwhile: one "page" event per page committed (Err set for a page
// that failed, which stays failed; the run goes on).
func (w *Workflow) OCR(ctx context.Context, actor queue.User, in OCRInput, progress Progress) (OCRResult, error) {
	batchID := ""
	if in.Batch != "" {
		b, err := w.Store.Batch(ctx, in.Batch)
		if err != nil {
			return OCRResult{}, err
		}
		batchID = b.ID
	}
	if in.RetryFailed {
		if _, err := w.Store.RetryFailedOCR(ctx, actor, batchID); err != nil {
			return OCRResult{}, err
		}
	}
	svc, err := w.ocrService(ctx, in.Options)
	if err != nil {
		return OCRResult{}, err
	}
	defer svc.Close()
	res, err := svc.RunPending(ctx, batchID, func(p pipeline.Progress) {
		ev := Event{Op: "ocr", Step: "page", Done: p.Done + p.Failed, Total: p.Done + p.Failed + p.Pending,
			Item: fmt.Sprintf("page %d", p.PageID), Detail: OCRStatus(p)}
		if p.PageFailed {
			ev.Err = &l10n.Error{Key: "workflow.pageOCR", Args: l10n.Args{"Page": p.PageID}, Kind: ErrPageOCR}
		}
		progress.Report(ev)
	})
	return OCRResult{Pending: res.Pending, Done: res.Done, Failed: res.Failed}, err
}

// ErrPageOCR: Tesseract could not read a page (its error is stored on the page).
var ErrPageOCR = l10n.New("workflow.ocrFailed")

// OCRService is background OCR: a supervised loop that recognises every page stored, woken
// at once by the workflow's imports and scans and every few seconds otherwise.
type OCRService struct {
	w *Workflow
	s *pipeline.OCRService
}

// NewOCRService starts the Tesseract pool of a background OCR service (Serve runs it).
func (w *Workflow) NewOCRService(opts OCROptions) (*OCRService, error) {
	// Started once with the app; the settings read is all that runs before Serve's context.
	s, err := w.ocrService(context.Background(), opts)
	if err != nil {
		return nil, err
	}
	return &OCRService{w: w, s: s}, nil
}

// Serve recognises pending pages until ctx ends, then stops the pool. Documents whose OCR
// ended without their extraction (a crash in between) are extracted first.
func (o *OCRService) Serve(ctx context.Context) error {
	defer o.s.Close()
	o.w.ocrMu.Lock()
	if o.w.ocr == nil {
		o.w.ocr = map[*OCRService]bool{}
	}
	o.w.ocr[o] = true
	o.w.ocrMu.Unlock()
	defer func() {
		o.w.ocrMu.Lock()
		delete(o.w.ocr, o)
		o.w.ocrMu.Unlock()
	}()
	return o.s.Serve(ctx)
}

// Kick wakes the loop: pages were stored.
func (o *OCRService) Kick() { o.s.Kick() }

// Subscribe returns a channel of reports and the function that ends the subscription. A slow
// reader misses reports rather than slow OCR down.
func (o *OCRService) Subscribe() (<-chan OCRStatus, func()) {
	in, stop := o.s.Subscribe()
	out := make(chan OCRStatus, cap(in))
	go func() {
		defer close(out)
		for p := range in {
			select {
			case out <- OCRStatus(p):
			default:
			}
		}
	}()
	return out, stop
}

// pagesStored wakes the background OCR services: new pages wait for them.
func (w *Workflow) pagesStored() {
	w.ocrMu.Lock()
	defer w.ocrMu.Unlock()
	for o := range w.ocr {
		o.Kick()
	}
}

// ExtractInput: the batch whose documents' fields are read from their OCR words.
type ExtractInput struct{ Batch string }

// DocExtract is the Detail of an extraction's "document" events.
type DocExtract struct {
	Document int64
	records.ExtractResult
}

// ExtractResult totals an extraction.
type ExtractResult struct {
	Documents int
	records.ExtractResult
}

// Extract reads every document's fields from its OCR words and stores them with source ocr
// (records.ExtractDocument): a value a person keyed, accepted or corrected is never
// overwritten. Each document's values are stored in one transaction; cancelling stops
// before the next document.
func (w *Workflow) Extract(ctx context.Context, actor queue.User, in ExtractInput, progress Progress) (ExtractResult, error) {
	var res ExtractResult
	_, rt, docs, err := w.batchDocuments(ctx, in.Batch)
	if err != nil {
		return res, err
	}
	for i, d := range docs {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		r, err := records.ExtractDocument(ctx, w.Store, actor, rt, d.ID)
		if err != nil {
			return res, err
		}
		res.Documents++
		res.Stored += r.Stored
		res.Kept += r.Kept
		res.Missing += r.Missing
		res.NoOCR += r.NoOCR
		progress.Report(Event{Op: "extract", Step: "document", Done: i + 1, Total: len(docs), Item: fmt.Sprintf("document %d", d.ID),
			Detail: DocExtract{Document: d.ID, ExtractResult: r}})
	}
	return res, nil
}

// batchDocuments returns a batch, its record type and its documents.
func (w *Workflow) batchDocuments(ctx context.Context, batchID string) (queue.Batch, *records.RecordType, []queue.Document, error) {
	b, err := w.Store.Batch(ctx, batchID)
	if err != nil {
		return b, nil, nil, err
	}
	rt, err := w.RecordType(b.RecordType)
	if err != nil {
		return b, nil, nil, err
	}
	docs, err := w.Store.Documents(ctx, b.ID)
	return b, rt, docs, err
}
