package queue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/text/unicode/norm"
)

// Word is one recognised word with its box in the stored page image's pixel coordinates.
type Word struct {
	Text  string  `json:"t"`
	X0    int     `json:"x0"`
	Y0    int     `json:"y0"`
	X1    int     `json:"x1"`
	Y1    int     `json:"y1"`
	Conf  float64 `json:"c"`
	Block int     `json:"b,omitempty"`
	Par   int     `json:"p,omitempty"`
	Line  int     `json:"l,omitempty"`
}

// OCRResult is what OCR produced for one page.
type OCRResult struct {
	Text        string
	Words       []Word
	MeanConf    float64
	Orientation int // degrees clockwise the engine rotated the page before reading it
	Engine      string
	Model       string
	Duration    time.Duration
}

// Cleaned describes the clean-up of a page: the cleaned image (already stored as a blob with
// BlobStore.Put) and what was measured and changed.
type Cleaned struct {
	Blob          string
	Format        string
	Width, Height int
	SkewDeg       float64
	Rotation      int
	Blank         bool
}

// SaveOCR stores a page's OCR result, marks the page done and indexes its text, in one
// transaction. Saving again replaces the earlier result (a re-run after a crash is harmless).
func (s *Store) SaveOCR(ctx context.Context, pageID int64, r OCRResult) error {
	return s.SaveProcessed(ctx, pageID, nil, r)
}

// SaveProcessed is SaveOCR for a page that also went through clean-up: the page's working
// image becomes the cleaned one (the original stays named by Page.Original) in the same
// transaction as its OCR result. The cleaned blob must be durable before the call.
func (s *Store) SaveProcessed(ctx context.Context, pageID int64, c *Cleaned, r OCRResult) error {
	r.Text = norm.NFC.String(r.Text)
	for i := range r.Words {
		r.Words[i].Text = norm.NFC.String(r.Words[i].Text)
	}
	words, err := json.Marshal(r.Words)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		var docID int64
		if err := tx.QueryRow(`SELECT document_id FROM pages WHERE id = ?`, pageID).Scan(&docID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("page %d: %w", pageID, ErrNotFound)
			}
			return err
		}
		if c != nil {
			if c.Format != "png" && c.Format != "jpeg" {
				return fmt.Errorf("page %d: cleaned image format %q", pageID, c.Format)
			}
			if _, err := tx.Exec(`UPDATE pages SET original_sha256 = CASE WHEN original_sha256 = '' THEN blob_sha256 ELSE original_sha256 END,
				blob_sha256 = ?, format = ?, width = ?, height = ?, cleaned = 1, skew_deg = ?, rotation = ?, blank = ? WHERE id = ?`,
				c.Blob, c.Format, c.Width, c.Height, c.SkewDeg, c.Rotation, c.Blank, pageID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`INSERT INTO ocr_results(page_id, text, words, mean_conf, orientation, engine, model, duration_ms, created_at)
			VALUES (?,seal('ocr_results.text', ?),seal('ocr_results.words', ?),?,?,?,?,?,?)
			ON CONFLICT(page_id) DO UPDATE SET text=excluded.text, words=excluded.words, mean_conf=excluded.mean_conf,
			orientation=excluded.orientation, engine=excluded.engine, model=excluded.model, duration_ms=excluded.duration_ms,
			created_at=excluded.created_at`,
			pageID, r.Text, string(words), r.MeanConf, r.Orientation, r.Engine, r.Model, r.Duration.Milliseconds(), s.stamp()); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE pages SET ocr_state = 'done', ocr_error = '' WHERE id = ?`, pageID); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM search_fts WHERE page_id = ? AND field = ''`, pageID); err != nil {
			return err
		}
		body, err := s.ftsBody(r.Text)
		if err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO search_fts(body, document_id, page_id, field) VALUES (?,?,?,'')`, body, docID, pageID)
		return err
	})
}

// FailOCR marks a page whose OCR failed, with a reason that holds no page content.
func (s *Store) FailOCR(ctx context.Context, pageID int64, reason string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE pages SET ocr_state = 'failed', ocr_error = ? WHERE id = ?`, reason, pageID)
		return err
	})
}

// OCR returns a page's stored OCR result; ErrNotFound when OCR has not run.
func (s *Store) OCR(ctx context.Context, pageID int64) (OCRResult, error) {
	var r OCRResult
	var words string
	var ms int64
	err := s.r.QueryRowContext(ctx, `SELECT unseal('ocr_results.text', text), unseal('ocr_results.words', words), mean_conf, orientation, engine, model, duration_ms FROM ocr_results WHERE page_id = ?`, pageID).
		Scan(&r.Text, &words, &r.MeanConf, &r.Orientation, &r.Engine, &r.Model, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("OCR of page %d: %w", pageID, ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	r.Duration = time.Duration(ms) * time.Millisecond
	if err := json.Unmarshal([]byte(words), &r.Words); err != nil {
		return r, fmt.Errorf("OCR words of page %d: %w", pageID, err)
	}
	return r, nil
}

// OCRProgress counts pages by OCR state, for one batch or all ("").
func (s *Store) OCRProgress(ctx context.Context, batchID string) (pending, done, failed int, err error) {
	q := `SELECT p.ocr_state, count(*) FROM pages p JOIN documents d ON d.id = p.document_id`
	var args []any
	if batchID != "" {
		full, err := s.resolveBatchID(ctx, batchID)
		if err != nil {
			return 0, 0, 0, err
		}
		q += ` WHERE d.batch_id = ?`
		args = append(args, full)
	}
	rows, err := s.r.QueryContext(ctx, q+` GROUP BY p.ocr_state`, args...)
	if err != nil {
		return
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err = rows.Scan(&st, &n); err != nil {
			return
		}
		switch st {
		case "pending":
			pending = n
		case "done":
			done = n
		case "failed":
			failed = n
		}
	}
	err = rows.Err()
	return
}
