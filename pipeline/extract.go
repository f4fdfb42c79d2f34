package pipeline

import (
	"context"
	"errors"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// Extraction is the pipeline's step after OCR: once no page of a document waits for OCR any
// more, the record type's fields are read from its pages (records.ExtractMissing) and stored
// with source ocr where the field has no value yet. A value a person keyed, accepted or
// corrected is never touched, and an earlier OCR value stays, so the step can run again
// (after a crash, or on opening the document for keying) without changing anything. In a
// double-blind batch the values are the OCR suggestions both clerks see.

// extractIfDone extracts pg's document when its last pending page has just been processed.
func (s *OCRService) extractIfDone(ctx context.Context, pg queue.Page) error {
	pages, err := s.st.Pages(context.WithoutCancel(ctx), pg.DocumentID)
	if err != nil {
		return err
	}
	for _, p := range pages {
		if p.OCRState == "pending" {
			return nil
		}
	}
	return s.extract(context.WithoutCancel(ctx), pg.BatchID, pg.DocumentID)
}

// ExtractWaiting extracts every document whose pages are all past OCR and that has no field
// value at all.
func (s *OCRService) ExtractWaiting(ctx context.Context) error {
	docs, err := s.st.DocumentsToExtract(ctx)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.extract(ctx, d.BatchID, d.ID); err != nil {
			return err
		}
	}
	return nil
}

func (s *OCRService) extract(ctx context.Context, batchID string, docID int64) error {
	s.exMu.Lock()
	defer s.exMu.Unlock()
	rt, err := s.recordType(ctx, batchID)
	if err != nil || rt == nil {
		return err
	}
	_, err = records.ExtractMissing(ctx, s.st, queue.User{}, rt, docID)
	if errors.Is(err, queue.ErrFieldsLocked) {
		return nil // the batch went to review meanwhile: its values are fixed
	}
	return err
}

// recordType is the definition of a batch's record type (bundled or local); nil when there
// is none (extraction is then skipped). Called with exMu held.
func (s *OCRService) recordType(ctx context.Context, batchID string) (*records.RecordType, error) {
	if rt, ok := s.types[batchID]; ok {
		return rt, nil
	}
	if s.reg == nil {
		reg, err := records.LoadAll(s.st.Dir())
		if err != nil {
			// A broken local record type must not stop OCR; keying reports it on opening.
			s.types[batchID] = nil
			return nil, nil
		}
		s.reg = reg
	}
	b, err := s.st.Batch(ctx, batchID)
	if err != nil {
		return nil, err
	}
	rt, _ := s.reg.Get(b.RecordType)
	s.types[batchID] = rt
	return rt, nil
}
