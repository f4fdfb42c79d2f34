package queue

import (
	"context"
	"strings"
)

// SearchFilter narrows a search or a browse. Empty fields do not filter.
type SearchFilter struct {
	BatchID    string
	RecordType string
	State      State  // the batch's state
	Clerk      string // user name of someone who keyed or corrected a field of the document
	From, To   string // YYYY-MM-DD, inclusive, on the day the document was captured (UTC)
}

// SearchFiltered is Search narrowed by f. With an empty query it browses: one hit per
// document that passes f (its first page), newest batch first. Read-only.
func (s *Store) SearchFiltered(ctx context.Context, q string, f SearchFilter, limit int) ([]Hit, error) {
	toks := queryTokens(q)
	if len(toks) == 0 && strings.TrimSpace(q) != "" {
		return nil, ErrEmptyQuery
	}
	if limit <= 0 {
		limit = 50
	}
	var where []string
	var args []any
	if f.BatchID != "" {
		where, args = append(where, "d.batch_id = ?"), append(args, f.BatchID)
	}
	if f.RecordType != "" {
		where, args = append(where, "b.record_type = ?"), append(args, f.RecordType)
	}
	if f.State != "" {
		where, args = append(where, "b.state = ?"), append(args, string(f.State))
	}
	if f.Clerk != "" {
		where = append(where, `EXISTS (SELECT 1 FROM field_values fv JOIN users u ON u.id = fv.user_id
			WHERE fv.document_id = d.id AND u.username = ? AND fv.source <> 'ocr')`)
		args = append(args, f.Clerk)
	}
	if f.From != "" {
		where, args = append(where, "substr(d.created_at, 1, 10) >= ?"), append(args, f.From)
	}
	if f.To != "" {
		where, args = append(where, "substr(d.created_at, 1, 10) <= ?"), append(args, f.To)
	}
	cond := ""
	if len(where) > 0 {
		cond = " AND " + strings.Join(where, " AND ")
	}
	var query string
	if len(toks) == 0 {
		query = `SELECT d.batch_id, d.id, coalesce((SELECT p.id FROM pages p WHERE p.document_id = d.id ORDER BY p.seq LIMIT 1), 0), ''
			FROM documents d JOIN batches b ON b.id = d.batch_id WHERE 1 = 1` + cond + `
			ORDER BY b.created_at DESC, d.seq LIMIT ?`
	} else {
		match, err := s.ftsMatch(toks) // blind tokens in a sealed store (cells.go)
		if err != nil {
			return nil, err
		}
		query = `SELECT d.batch_id, f.document_id, f.page_id, f.field
			FROM search_fts f JOIN documents d ON d.id = f.document_id JOIN batches b ON b.id = d.batch_id
			WHERE search_fts MATCH ?` + cond + ` ORDER BY rank LIMIT ?`
		args = append([]any{match}, args...)
	}
	args = append(args, limit)
	return s.queryHits(ctx, toks, query, args...)
}
