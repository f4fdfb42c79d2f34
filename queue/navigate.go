package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// KeyingDocument is what the keying screen needs to show one document: the document, its
// pages in order and its current field values.
type KeyingDocument struct {
	Document
	PageList []Page
	Fields   []FieldValue
}

// ErrNoMoreDocuments is returned by NextDocument and PrevDocument at either end of a batch.
var ErrNoMoreDocuments = errors.New("no more documents in this batch")

// NextDocument returns the first document of the batch whose sequence number is above
// afterSeq (0: the first document), with its pages and current fields.
func (s *Store) NextDocument(ctx context.Context, batchID string, afterSeq int) (KeyingDocument, error) {
	return s.stepDocument(ctx, batchID, `d.seq > ? ORDER BY d.seq`, afterSeq)
}

// PrevDocument returns the last document of the batch whose sequence number is below beforeSeq.
func (s *Store) PrevDocument(ctx context.Context, batchID string, beforeSeq int) (KeyingDocument, error) {
	return s.stepDocument(ctx, batchID, `d.seq < ? ORDER BY d.seq DESC`, beforeSeq)
}

func (s *Store) stepDocument(ctx context.Context, batchID, where string, seq int) (KeyingDocument, error) {
	var k KeyingDocument
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return k, err
	}
	d := &k.Document
	err = s.r.QueryRowContext(ctx, `SELECT d.id, d.batch_id, d.seq, d.origin, d.status, d.created_at,
		(SELECT count(*) FROM pages p WHERE p.document_id = d.id) FROM documents d WHERE d.batch_id = ? AND `+where+` LIMIT 1`, full, seq).
		Scan(&d.ID, &d.BatchID, &d.Seq, &d.Origin, &d.Status, &d.CreatedAt, &d.Pages)
	if errors.Is(err, sql.ErrNoRows) {
		return k, ErrNoMoreDocuments
	}
	if err != nil {
		return k, fmt.Errorf("next document: %w", err)
	}
	if k.PageList, err = s.Pages(ctx, d.ID); err != nil {
		return k, err
	}
	if k.Fields, err = s.Fields(ctx, d.ID); err != nil {
		return k, err
	}
	return k, nil
}
