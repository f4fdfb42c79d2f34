package app

import (
	"context"

	"github.com/sohoa/sohoa/queue"
)

// Importer stores files and folders into a batch, one document per file, reporting each file
// as it is done. It has the shape of capture.ImportFiles.
type Importer func(ctx context.Context, st *queue.Store, actor queue.User, batchID string, paths []string, progress func(ImportEvent)) (ImportSummary, error)

// ImportEvent reports one file of an import (the fields of capture.ImportEvent the UI shows).
type ImportEvent struct {
	File         string
	Index, Total int // 1-based position among Total files
	Pages        int
	Skipped      bool  // already imported into this batch
	Err          error // nil: stored
}

// ImportSummary totals an import (same fields as capture.ImportSummary).
type ImportSummary struct {
	Files, Documents, Pages, Skipped, Failed int
	Errors                                   []error
}

// OCRProgress is a background OCR report (same fields as pipeline.Progress).
type OCRProgress struct {
	Pending, Done, Failed int
	PageID                int64 // the page just finished, 0 for a plain count update
}

// BackgroundOCR recognises stored pages in the background (pipeline.OCRService).
type BackgroundOCR interface {
	Serve(ctx context.Context) error
	Kick()
	Subscribe() (<-chan OCRProgress, func())
}

// Services are the core workers the shell drives besides the store. A nil field means the
// feature is not available in this build; the UI says so instead of failing.
type Services struct {
	Import Importer
	NewOCR func(st *queue.Store) (BackgroundOCR, error)
}
