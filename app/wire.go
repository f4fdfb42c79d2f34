package app

import "github.com/sohoa/sohoa/workflow"

// DefaultServices are the core services of the real workstation: the workflow's background
// OCR service. The OCR workers are child processes of this executable, so its main must call
// ocr.MaybeRunWorker first (the sohoa binary does).
func DefaultServices() Services {
	return Services{NewOCR: NewWorkflowOCR}
}

// NewWorkflowOCR starts the Tesseract worker pool of the workflow's background OCR service
// (Vietnamese and English; the batch's clean-up turns pages upright before OCR).
func NewWorkflowOCR(w *workflow.Workflow) (BackgroundOCR, error) {
	o, err := w.NewOCRService(workflow.OCROptions{})
	if err != nil {
		return nil, err
	}
	return o, nil
}
