package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// PageInput is one page image to store.
type PageInput struct {
	Data          []byte // encoded image (PNG or JPEG)
	Format        string // "png" or "jpeg"
	Width, Height int
	DPI           int
	Origin        Origin
}

// Origin says where a page came from.
type Origin struct {
	File    string `json:"file,omitempty"`    // imported file name (base name)
	Page    int    `json:"page,omitempty"`    // 1-based page within the file
	Scanner string `json:"scanner,omitempty"` // scanner device
	Sheet   int    `json:"sheet,omitempty"`   // sheet number within the scan job
}

// Document is one record inside a batch.
type Document struct {
	ID        int64
	BatchID   string
	Seq       int
	Origin    string
	Status    string
	CreatedAt string
	Pages     int
}

// Page is one stored page image.
type Page struct {
	ID         int64
	DocumentID int64
	BatchID    string
	Seq        int
	Blob       string // SHA-256 of the image bytes
	Format     string
	Width      int
	Height     int
	DPI        int
	Origin     Origin
	OCRState   string // pending | done | failed
	OCRError   string
	Original   string  // SHA-256 of the image as captured (Blob differs once clean-up ran)
	Cleaned    bool    // clean-up has run; Blob is the cleaned image
	SkewDeg    float64 // skew measured on the original, degrees counter-clockwise
	Rotation   int     // clockwise degrees applied to make the page upright
	Blank      bool    // detected as a blank page
	// UserRotation is a clerk's clockwise turn of the original (0, 90, 180, 270): clean-up
	// starts from the original turned by it, and does not detect orientation again.
	UserRotation int
}

// ErrDuplicateFile is returned by AddDocument when the same source file (by content) was
// already imported into the batch.
var ErrDuplicateFile = errors.New("this file was already imported into the batch")

// NewDocument describes a document to add.
type NewDocument struct {
	BatchID string
	Origin  string // shown to users: file name, or scanner + job
	// SourceHash, when set, is the hash of the imported file; importing the same
	// content into the same batch again returns ErrDuplicateFile.
	SourceHash string
	Pages      []PageInput
}

// AddDocument stores the page images durably and then, in one transaction, the document,
// its pages and the audit event. When it returns nil every page is durable; when it fails
// nothing of the document is visible.
func (s *Store) AddDocument(ctx context.Context, actor User, nd NewDocument) (Document, []Page, error) {
	if len(nd.Pages) == 0 {
		return Document{}, nil, errors.New("a document needs at least one page")
	}
	batchID, err := s.resolveBatchID(ctx, nd.BatchID)
	if err != nil {
		return Document{}, nil, err
	}
	hashes := make([]string, len(nd.Pages))
	for i, p := range nd.Pages {
		if p.Format != "png" && p.Format != "jpeg" {
			return Document{}, nil, fmt.Errorf("page %d: unsupported stored format %q", i+1, p.Format)
		}
		if p.Width <= 0 || p.Height <= 0 {
			return Document{}, nil, fmt.Errorf("page %d: missing image size", i+1)
		}
		if err := ctx.Err(); err != nil {
			return Document{}, nil, err
		}
		h, err := s.Blobs.Put(p.Data)
		if err != nil {
			return Document{}, nil, fmt.Errorf("store page %d: %w", i+1, err)
		}
		hashes[i] = h
	}
	var doc Document
	var pages []Page
	err = s.write(ctx, func(tx *sql.Tx) error {
		var state string
		if err := tx.QueryRow(`SELECT state FROM batches WHERE id = ?`, batchID).Scan(&state); err != nil {
			return err
		}
		if !State(state).Editable() {
			return lockedError(State(state))
		}
		var src any
		if nd.SourceHash != "" {
			src = nd.SourceHash
			var n int
			if err := tx.QueryRow(`SELECT count(*) FROM documents WHERE batch_id = ? AND source_sha256 = ?`, batchID, src).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return ErrDuplicateFile
			}
		}
		var seq int
		if err := tx.QueryRow(`SELECT coalesce(max(seq), 0) + 1 FROM documents WHERE batch_id = ?`, batchID).Scan(&seq); err != nil {
			return err
		}
		now := s.stamp()
		res, err := tx.Exec(`INSERT INTO documents(batch_id, seq, origin, source_sha256, created_by, created_at) VALUES (?,?,?,?,?,?)`,
			batchID, seq, nd.Origin, src, actor.ID, now)
		if err != nil {
			return err
		}
		docID, _ := res.LastInsertId()
		doc = Document{ID: docID, BatchID: batchID, Seq: seq, Origin: nd.Origin, Status: "new", CreatedAt: now, Pages: len(nd.Pages)}
		for i, p := range nd.Pages {
			res, err := tx.Exec(`INSERT INTO pages(document_id, seq, blob_sha256, original_sha256, format, width, height, dpi, origin_file, origin_page, origin_scanner, origin_sheet, created_at)
				VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`, docID, i+1, hashes[i], hashes[i], p.Format, p.Width, p.Height, p.DPI,
				p.Origin.File, p.Origin.Page, p.Origin.Scanner, p.Origin.Sheet, now)
			if err != nil {
				return err
			}
			pid, _ := res.LastInsertId()
			pages = append(pages, Page{ID: pid, DocumentID: docID, BatchID: batchID, Seq: i + 1, Blob: hashes[i], Original: hashes[i], Format: p.Format,
				Width: p.Width, Height: p.Height, DPI: p.DPI, Origin: p.Origin, OCRState: "pending"})
		}
		return s.audit(tx, actor.Username, "document.add", fmt.Sprintf("document:%d", docID),
			fmt.Sprintf("batch=%s pages=%d", batchID, len(nd.Pages)))
	})
	if err != nil {
		return Document{}, nil, err
	}
	return doc, pages, nil
}

// HasSource reports whether a file with this content hash is already in the batch.
func (s *Store) HasSource(ctx context.Context, batchID, sourceHash string) (bool, error) {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return false, err
	}
	var n int
	err = s.r.QueryRowContext(ctx, `SELECT count(*) FROM documents WHERE batch_id = ? AND source_sha256 = ?`, full, sourceHash).Scan(&n)
	return n > 0, err
}

// Documents lists the documents of a batch in order.
func (s *Store) Documents(ctx context.Context, batchID string) ([]Document, error) {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT d.id, d.batch_id, d.seq, d.origin, d.status, d.created_at,
		(SELECT count(*) FROM pages p WHERE p.document_id = d.id) FROM documents d WHERE d.batch_id = ? ORDER BY d.seq`, full)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Document
	for rows.Next() {
		var d Document
		if err := rows.Scan(&d.ID, &d.BatchID, &d.Seq, &d.Origin, &d.Status, &d.CreatedAt, &d.Pages); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Document returns one document.
func (s *Store) Document(ctx context.Context, id int64) (Document, error) {
	var d Document
	err := s.r.QueryRowContext(ctx, `SELECT d.id, d.batch_id, d.seq, d.origin, d.status, d.created_at,
		(SELECT count(*) FROM pages p WHERE p.document_id = d.id) FROM documents d WHERE d.id = ?`, id).
		Scan(&d.ID, &d.BatchID, &d.Seq, &d.Origin, &d.Status, &d.CreatedAt, &d.Pages)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("document %d: %w", id, ErrNotFound)
	}
	return d, err
}

const pageSelect = `SELECT p.id, p.document_id, d.batch_id, p.seq, p.blob_sha256, p.format, p.width, p.height, p.dpi,
	p.origin_file, p.origin_page, p.origin_scanner, p.origin_sheet, p.ocr_state, p.ocr_error,
	p.original_sha256, p.cleaned, p.skew_deg, p.rotation, p.blank, p.user_rotation
	FROM pages p JOIN documents d ON d.id = p.document_id`

func scanPages(rows *sql.Rows) ([]Page, error) {
	defer rows.Close()
	var out []Page
	for rows.Next() {
		var p Page
		if err := rows.Scan(&p.ID, &p.DocumentID, &p.BatchID, &p.Seq, &p.Blob, &p.Format, &p.Width, &p.Height, &p.DPI,
			&p.Origin.File, &p.Origin.Page, &p.Origin.Scanner, &p.Origin.Sheet, &p.OCRState, &p.OCRError,
			&p.Original, &p.Cleaned, &p.SkewDeg, &p.Rotation, &p.Blank, &p.UserRotation); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Pages lists the pages of a document in order.
func (s *Store) Pages(ctx context.Context, documentID int64) ([]Page, error) {
	rows, err := s.r.QueryContext(ctx, pageSelect+` WHERE p.document_id = ? ORDER BY p.seq`, documentID)
	if err != nil {
		return nil, err
	}
	return scanPages(rows)
}

// BatchPages lists every page of a batch, in document and page order.
func (s *Store) BatchPages(ctx context.Context, batchID string) ([]Page, error) {
	full, err := s.resolveBatchID(ctx, batchID)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, pageSelect+` WHERE d.batch_id = ? ORDER BY d.seq, p.seq`, full)
	if err != nil {
		return nil, err
	}
	return scanPages(rows)
}

// Page returns one page.
func (s *Store) Page(ctx context.Context, id int64) (Page, error) {
	rows, err := s.r.QueryContext(ctx, pageSelect+` WHERE p.id = ?`, id)
	if err != nil {
		return Page{}, err
	}
	ps, err := scanPages(rows)
	if err != nil {
		return Page{}, err
	}
	if len(ps) == 0 {
		return Page{}, fmt.Errorf("page %d: %w", id, ErrNotFound)
	}
	return ps[0], nil
}

// PageImage reads a page's working image bytes (cleaned once clean-up ran), checked
// against their hash.
func (s *Store) PageImage(p Page) ([]byte, error) { return s.Blobs.Get(p.Blob) }

// OriginalImage reads the image as it was captured.
func (s *Store) OriginalImage(p Page) ([]byte, error) {
	if p.Original == "" {
		return s.Blobs.Get(p.Blob)
	}
	return s.Blobs.Get(p.Original)
}

// PendingPages returns up to limit pages whose OCR has not run yet, oldest first; batchID
// "" means any batch.
func (s *Store) PendingPages(ctx context.Context, batchID string, limit int) ([]Page, error) {
	return s.PendingPagesAfter(ctx, batchID, 0, limit)
}

// PendingPagesAfter is PendingPages for pages whose ID is above afterID, so that a consumer
// can walk the queue with a cursor while earlier pages are still being processed.
func (s *Store) PendingPagesAfter(ctx context.Context, batchID string, afterID int64, limit int) ([]Page, error) {
	q := pageSelect + ` WHERE p.ocr_state = 'pending' AND p.id > ?`
	args := []any{afterID}
	if batchID != "" {
		full, err := s.resolveBatchID(ctx, batchID)
		if err != nil {
			return nil, err
		}
		q += ` AND d.batch_id = ?`
		args = append(args, full)
	}
	if limit <= 0 {
		limit = 100
	}
	q += fmt.Sprintf(` ORDER BY p.id LIMIT %d`, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanPages(rows)
}

// RetryFailedOCR puts failed pages back into the OCR queue.
func (s *Store) RetryFailedOCR(ctx context.Context, actor User, batchID string) (int, error) {
	if batchID != "" {
		full, err := s.resolveBatchID(ctx, batchID)
		if err != nil {
			return 0, err
		}
		batchID = full
	}
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		q := `UPDATE pages SET ocr_state = 'pending', ocr_error = '' WHERE ocr_state = 'failed'`
		var args []any
		if batchID != "" {
			q += ` AND document_id IN (SELECT id FROM documents WHERE batch_id = ?)`
			args = append(args, batchID)
		}
		res, err := tx.Exec(q, args...)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if n == 0 {
			return nil
		}
		return s.audit(tx, actor.Username, "ocr.retry", "batch:"+strings.TrimSpace(batchID), fmt.Sprintf("pages=%d", n))
	})
	return int(n), err
}

// AppendPage adds one page at the end of an existing document (a page arriving from a
// scanner). The image is durable before the row, and the row is committed before AppendPage
// returns.
func (s *Store) AppendPage(ctx context.Context, actor User, documentID int64, p PageInput) (Page, error) {
	if p.Format != "png" && p.Format != "jpeg" {
		return Page{}, fmt.Errorf("unsupported stored format %q", p.Format)
	}
	if p.Width <= 0 || p.Height <= 0 {
		return Page{}, errors.New("missing image size")
	}
	h, err := s.Blobs.Put(p.Data)
	if err != nil {
		return Page{}, fmt.Errorf("store page: %w", err)
	}
	var out Page
	err = s.write(ctx, func(tx *sql.Tx) error {
		var batchID, state string
		if err := tx.QueryRow(`SELECT d.batch_id, b.state FROM documents d JOIN batches b ON b.id = d.batch_id WHERE d.id = ?`, documentID).Scan(&batchID, &state); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("document %d: %w", documentID, ErrNotFound)
			}
			return err
		}
		if !State(state).Editable() {
			return lockedError(State(state))
		}
		var seq int
		if err := tx.QueryRow(`SELECT coalesce(max(seq), 0) + 1 FROM pages WHERE document_id = ?`, documentID).Scan(&seq); err != nil {
			return err
		}
		res, err := tx.Exec(`INSERT INTO pages(document_id, seq, blob_sha256, original_sha256, format, width, height, dpi, origin_file, origin_page, origin_scanner, origin_sheet, created_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`, documentID, seq, h, h, p.Format, p.Width, p.Height, p.DPI,
			p.Origin.File, p.Origin.Page, p.Origin.Scanner, p.Origin.Sheet, s.stamp())
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		out = Page{ID: id, DocumentID: documentID, BatchID: batchID, Seq: seq, Blob: h, Original: h, Format: p.Format,
			Width: p.Width, Height: p.Height, DPI: p.DPI, Origin: p.Origin, OCRState: "pending"}
		return s.audit(tx, actor.Username, "page.add", fmt.Sprintf("document:%d", documentID), fmt.Sprintf("page=%d", id))
	})
	return out, err
}

// ReplacePage puts a new image in the place of a page (a sheet scanned again): the image is
// made durable first, then in one transaction the old page goes with its OCR text and search
// rows and the new page takes its place (the same document, the same position, the old
// page's origin unless p names one), waiting for OCR, with one audit event naming both
// pages. A crash or an error before the commit leaves the old page as it was; the new image
// is then a blob no row names, which the sweep removes (sweep.go). Only while the batch is
// Editable.
func (s *Store) ReplacePage(ctx context.Context, actor User, pageID int64, p PageInput) (Page, error) {
	if p.Format != "png" && p.Format != "jpeg" {
		return Page{}, fmt.Errorf("unsupported stored format %q", p.Format)
	}
	if p.Width <= 0 || p.Height <= 0 {
		return Page{}, errors.New("missing image size")
	}
	if err := ctx.Err(); err != nil {
		return Page{}, err
	}
	h, err := s.Blobs.Put(p.Data)
	if err != nil {
		return Page{}, fmt.Errorf("store page: %w", err)
	}
	var out Page
	err = s.write(ctx, func(tx *sql.Tx) error {
		docID, seq, d, err := editablePage(tx, pageID)
		if err != nil {
			return err
		}
		var old Origin
		if err := tx.QueryRow(`SELECT origin_file, origin_page, origin_scanner, origin_sheet FROM pages WHERE id = ?`, pageID).
			Scan(&old.File, &old.Page, &old.Scanner, &old.Sheet); err != nil {
			return err
		}
		if p.Origin == (Origin{}) {
			p.Origin = old
		}
		for _, q := range []string{`DELETE FROM search_fts WHERE page_id = ?`, `DELETE FROM ocr_results WHERE page_id = ?`, `DELETE FROM pages WHERE id = ?`} {
			if _, err := tx.Exec(q, pageID); err != nil {
				return err
			}
		}
		if replacePageHook != nil {
			replacePageHook()
		}
		res, err := tx.Exec(`INSERT INTO pages(document_id, seq, blob_sha256, original_sha256, format, width, height, dpi, origin_file, origin_page, origin_scanner, origin_sheet, created_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`, docID, seq, h, h, p.Format, p.Width, p.Height, p.DPI,
			p.Origin.File, p.Origin.Page, p.Origin.Scanner, p.Origin.Sheet, s.stamp())
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		out = Page{ID: id, DocumentID: docID, BatchID: d.batchID, Seq: seq, Blob: h, Original: h, Format: p.Format,
			Width: p.Width, Height: p.Height, DPI: p.DPI, Origin: p.Origin, OCRState: "pending"}
		return s.audit(tx, actor.Username, "page.replace", fmt.Sprintf("page:%d", pageID), fmt.Sprintf("document=%d seq=%d new=page:%d", docID, seq, id))
	})
	if err != nil {
		return Page{}, err
	}
	return out, nil
}

// replacePageHook, when set (tests only), runs inside ReplacePage's transaction after the old
// page is deleted and before the new one is inserted: the place where a crash or an error
// must leave the old page.
var replacePageHook func()
