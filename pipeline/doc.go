// Package pipeline connects the stages of the flow through the queue: it runs OCR on the pages
// that capture has stored, so that capture never waits for OCR and a crash resumes from the
// last committed page.
package pipeline
