package app

import (
	"context"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/queue"
)

// DefaultServices are the core services of the real workstation: capture.ImportFiles and the
// pipeline's background OCR service. The OCR workers are child processes of this executable,
// so its main must call ocr.MaybeRunWorker first (the sohoa binary does).
func DefaultServices() Services {
	return Services{Import: CaptureImporter, NewOCR: NewPipelineOCR}
}

// CaptureImporter imports through capture.ImportFiles.
func CaptureImporter(ctx context.Context, st *queue.Store, actor queue.User, batchID string, paths []string, progress func(ImportEvent)) (ImportSummary, error) {
	sum, err := capture.ImportFiles(ctx, st, actor, batchID, paths, func(ev capture.ImportEvent) {
		if progress != nil {
			progress(ImportEvent{File: ev.File, Index: ev.Index, Total: ev.Total, Pages: ev.Pages, Skipped: ev.Skipped, Err: ev.Err})
		}
	})
	return ImportSummary(sum), err
}

// NewPipelineOCR starts the Tesseract worker pool behind pipeline.OCRService (Vietnamese and
// English, pages turned upright automatically).
func NewPipelineOCR(st *queue.Store) (BackgroundOCR, error) {
	// The service's default clean-up turns pages upright before OCR (Tesseract OSD), so the
	// pool need not detect orientation a second time.
	svc, err := pipeline.NewOCRService(st, ocr.Options{Languages: ocrLanguages(st)})
	if err != nil {
		return nil, err
	}
	return pipelineOCR{svc}, nil
}

type pipelineOCR struct{ s *pipeline.OCRService }

// Serve runs the service until ctx ends, then stops the worker pool.
func (p pipelineOCR) Serve(ctx context.Context) error {
	defer p.s.Close()
	return p.s.Serve(ctx)
}

func (p pipelineOCR) Kick() { p.s.Kick() }

func (p pipelineOCR) Subscribe() (<-chan OCRProgress, func()) {
	in, stop := p.s.Subscribe()
	out := make(chan OCRProgress, cap(in))
	go func() {
		defer close(out)
		for ev := range in {
			select { // like the service: a slow reader misses reports, never blocks
			case out <- OCRProgress{Pending: ev.Pending, Done: ev.Done, Failed: ev.Failed, PageID: ev.PageID}:
			default:
			}
		}
	}()
	return out, stop
}
