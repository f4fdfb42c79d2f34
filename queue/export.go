package queue

import (
	"context"
	"errors"
)

// BatchExport is a batch with everything captured in it, for JSON/CSV export.
type BatchExport struct {
	Batch     ExportBatchInfo  `json:"batch"`
	Documents []ExportDocument `json:"documents"`
}

// ExportBatchInfo describes the exported batch.
type ExportBatchInfo struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Office     string `json:"office"`
	RecordType string `json:"record_type"`
	State      string `json:"state"`
	CreatedBy  string `json:"created_by"`
	CreatedAt  string `json:"created_at"`
}

// ExportDocument is one document with its fields and pages.
type ExportDocument struct {
	ID     int64             `json:"id"`
	Seq    int               `json:"seq"`
	Origin string            `json:"origin"`
	Status string            `json:"status"`
	Fields map[string]string `json:"fields"`
	Pages  []ExportPage      `json:"pages"`
}

// ExportPage is one page with its origin and OCR text.
type ExportPage struct {
	ID       int64   `json:"id"`
	Seq      int     `json:"seq"`
	Origin   Origin  `json:"origin"`
	SHA256   string  `json:"sha256"`          // the working image (cleaned when clean-up ran)
	Original string  `json:"original_sha256"` // the image as captured
	Cleaned  bool    `json:"cleaned"`
	SkewDeg  float64 `json:"skew_deg"`
	Rotation int     `json:"rotation"`
	Blank    bool    `json:"blank"`
	Format   string  `json:"format"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	DPI      int     `json:"dpi,omitempty"`
	OCRState string  `json:"ocr_state"`
	Text     string  `json:"text"`
	MeanConf float64 `json:"mean_confidence"`
	Engine   string  `json:"engine,omitempty"`
	Model    string  `json:"model,omitempty"`
}

// ExportBatch gathers a batch for export. A signed or synced batch is exported only when its
// current field values are the ones signed into its PDFs (CheckSignedFields): a value changed
// in the database after signing is refused with a *SignedMismatchError, never exported.
func (s *Store) ExportBatch(ctx context.Context, batchID string) (BatchExport, error) {
	b, err := s.Batch(ctx, batchID)
	if err != nil {
		return BatchExport{}, err
	}
	if err := s.CheckSignedFields(ctx, b.ID); err != nil {
		return BatchExport{}, err
	}
	out := BatchExport{Batch: ExportBatchInfo{ID: b.ID, Name: b.Name, Office: b.Office, RecordType: b.RecordType,
		State: string(b.State), CreatedBy: b.CreatedBy, CreatedAt: b.CreatedAt}, Documents: []ExportDocument{}}
	docs, err := s.Documents(ctx, b.ID)
	if err != nil {
		return out, err
	}
	for _, d := range docs {
		ed := ExportDocument{ID: d.ID, Seq: d.Seq, Origin: d.Origin, Status: d.Status, Fields: map[string]string{}, Pages: []ExportPage{}}
		fields, err := s.Fields(ctx, d.ID)
		if err != nil {
			return out, err
		}
		for _, f := range fields {
			ed.Fields[f.Key] = f.Value
		}
		pages, err := s.Pages(ctx, d.ID)
		if err != nil {
			return out, err
		}
		for _, p := range pages {
			ep := ExportPage{ID: p.ID, Seq: p.Seq, Origin: p.Origin, SHA256: p.Blob, Original: p.Original, Cleaned: p.Cleaned, SkewDeg: p.SkewDeg, Rotation: p.Rotation, Blank: p.Blank, Format: p.Format, Width: p.Width,
				Height: p.Height, DPI: p.DPI, OCRState: p.OCRState}
			if r, err := s.OCR(ctx, p.ID); err == nil {
				ep.Text, ep.MeanConf, ep.Engine, ep.Model = r.Text, r.MeanConf, r.Engine, r.Model
			} else if !errors.Is(err, ErrNotFound) {
				return out, err
			}
			ed.Pages = append(ed.Pages, ep)
		}
		out.Documents = append(out.Documents, ed)
	}
	return out, nil
}
