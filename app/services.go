package app

import (
	"context"

	"github.com/sohoa/sohoa/workflow"
)

// OCRProgress is a background OCR report.
type OCRProgress = workflow.OCRStatus

// BackgroundOCR recognises stored pages in the background (workflow.OCRService): a
// supervised Serve loop, woken by the workflow when pages are stored.
type BackgroundOCR interface {
	Serve(ctx context.Context) error
	Subscribe() (<-chan OCRProgress, func())
}

// Services are the core workers the shell runs besides the store. A nil field means the
// feature is not available in this build; the UI says so instead of failing.
type Services struct {
	NewOCR func(w *workflow.Workflow) (BackgroundOCR, error)
}
