package queue

import (
	"context"
	"fmt"
	"strings"
	"unicode"
)

// Hit is one search result.
type Hit struct {
	BatchID    string
	DocumentID int64
	PageID     int64  // 0 for a field hit
	Field      string // "" for a page-text hit
	Snippet    string // the matching line of the original text
}

// ErrEmptyQuery is returned for a query with no searchable word.
var ErrEmptyQuery = fmt.Errorf("search query has no words")

// queryTokens folds q and splits it into words.
func queryTokens(q string) []string {
	return strings.FieldsFunc(Fold(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// Search finds pages and fields whose text holds every word of q (as word prefixes),
// regardless of diacritics and case: "nguyen van" finds "Nguyễn Văn".
func (s *Store) Search(ctx context.Context, q string, limit int) ([]Hit, error) {
	toks := queryTokens(q)
	if len(toks) == 0 {
		return nil, ErrEmptyQuery
	}
	match, err := s.ftsMatch(toks) // blind tokens in a sealed store (cells.go)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 50
	}
	return s.queryHits(ctx, toks, `SELECT d.batch_id, f.document_id, f.page_id, f.field
		FROM search_fts f JOIN documents d ON d.id = f.document_id
		WHERE search_fts MATCH ? ORDER BY rank LIMIT ?`, match, limit)
}

// queryHits runs a search query whose rows are (batch, document, page, field) and gives
// each hit the snippet of its text that best matches toks: the field's current value for a
// field hit, else the OCR text of its page (none for a hit with neither). Search and
// SearchFiltered share it, so that a hit reads the same whichever found it.
func (s *Store) queryHits(ctx context.Context, toks []string, query string, args ...any) ([]Hit, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	var hits []Hit
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.BatchID, &h.DocumentID, &h.PageID, &h.Field); err != nil {
			rows.Close()
			return nil, err
		}
		hits = append(hits, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range hits {
		var text string
		switch {
		case hits[i].Field != "":
			s.r.QueryRowContext(ctx, `SELECT unseal('field_values.value', value) FROM field_values WHERE document_id = ? AND key = ? AND current = 1`,
				hits[i].DocumentID, hits[i].Field).Scan(&text)
		case hits[i].PageID != 0:
			s.r.QueryRowContext(ctx, `SELECT unseal('ocr_results.text', text) FROM ocr_results WHERE page_id = ?`, hits[i].PageID).Scan(&text)
		}
		hits[i].Snippet = snippet(text, toks)
	}
	return hits, nil
}

// snippet returns the first line of text that holds the most query words, shortened.
func snippet(text string, toks []string) string {
	best, bestN := "", -1
	for _, line := range strings.Split(text, "\n") {
		f := Fold(line)
		n := 0
		for _, t := range toks {
			if strings.Contains(f, t) {
				n++
			}
		}
		if n > bestN {
			best, bestN = line, n
		}
		if n == len(toks) {
			break
		}
	}
	best = strings.TrimSpace(best)
	if r := []rune(best); len(r) > 160 {
		best = string(r[:160]) + "…"
	}
	return best
}
