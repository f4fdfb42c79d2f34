package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The read side of the store: credentials of the data-sharing platforms and the queries behind
// the read API. Every query pages (keyset, never OFFSET) so none stays open while a slow
// client reads an export: SQLite has one connection and commits must not wait for it.

const readerCols = `id, name, token_hash, created_us, revoked_us`

// Reader scopes (migration 6: reader_scopes): one row per office or record type a reader is
// limited to. readers.office, the single office of migration 3, is moved there; new readers
// keep their first office in it too, so that an older server binary run on this database
// limits them at least as much by office.
const (
	scopeOffice     = "office"
	scopeRecordType = "record_type"
)

func scanReader(row interface{ Scan(...any) error }) (Reader, error) {
	var r Reader
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&r.ID, &r.Name, &r.TokenHash, &created, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return r, ErrNotFound
		}
		return r, err
	}
	r.CreatedAt = time.UnixMicro(created).UTC()
	r.RevokedAt = fromUS(revoked)
	return r, nil
}

func (s *sqlStore) CreateReader(ctx context.Context, r Reader) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM readers WHERE id = ? OR token_hash = ? OR (name = ? AND revoked_us IS NULL)`),
			r.ID, r.TokenHash, r.Name).Scan(&n); err != nil {
			return fmt.Errorf("create reader: %w", err)
		}
		if n > 0 {
			return ErrConflict
		}
		first := ""
		if len(r.Offices) > 0 {
			first = r.Offices[0]
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO readers (id, name, office, token_hash, created_us) VALUES (?, ?, ?, ?, ?)`),
			r.ID, r.Name, first, r.TokenHash, us(r.CreatedAt)); err != nil {
			return fmt.Errorf("create reader: %w", err)
		}
		for kind, vals := range map[string][]string{scopeOffice: r.Offices, scopeRecordType: r.RecordTypes} {
			for _, v := range vals {
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO reader_scopes (reader_id, kind, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`),
					r.ID, kind, v); err != nil {
					return fmt.Errorf("create reader: %w", err)
				}
			}
		}
		return nil
	})
}

// loadScope fills r's offices and record types.
func (s *sqlStore) loadScope(ctx context.Context, r *Reader) error {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT kind, value FROM reader_scopes WHERE reader_id = ? ORDER BY kind, value`), r.ID)
	if err != nil {
		return fmt.Errorf("reader scope: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, v string
		if err := rows.Scan(&kind, &v); err != nil {
			return err
		}
		switch kind {
		case scopeOffice:
			r.Offices = append(r.Offices, v)
		case scopeRecordType:
			r.RecordTypes = append(r.RecordTypes, v)
		default:
			// A kind this version does not know could be a limit it cannot apply: refuse
			// the reader rather than let it read more than it was given.
			return fmt.Errorf("reader %s: unknown scope kind %q", r.ID, kind)
		}
	}
	return rows.Err()
}

func (s *sqlStore) ReaderByToken(ctx context.Context, tokenHash string) (Reader, error) {
	r, err := scanReader(s.db.QueryRowContext(ctx, s.q(`SELECT `+readerCols+` FROM readers WHERE token_hash = ?`), tokenHash))
	if err != nil {
		return r, err
	}
	return r, s.loadScope(ctx, &r)
}

func (s *sqlStore) Readers(ctx context.Context) ([]Reader, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+readerCols+` FROM readers ORDER BY created_us, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Reader
	for rows.Next() {
		r, err := scanReader(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close() // SQLite has one connection: the scopes are read after
	for i := range out {
		if err := s.loadScope(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *sqlStore) RevokeReader(ctx context.Context, id string, now time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE readers SET revoked_us = COALESCE(revoked_us, ?) WHERE id = ?`), us(now), id)
	if err != nil {
		return fmt.Errorf("revoke reader: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// where builds the filter part shared by batch lists, search and export (on alias b).
func (f BatchFilter) where() (string, []any) {
	conds := []string{"b.committed_us IS NOT NULL"}
	var args []any
	if f.Office != "" {
		conds = append(conds, "b.office = ?")
		args = append(args, f.Office)
	}
	if f.RecordType != "" {
		conds = append(conds, "b.record_type = ?")
		args = append(args, f.RecordType)
	}
	if f.FileCode != "" {
		conds = append(conds, "b.file_code = ?")
		args = append(args, f.FileCode)
	}
	for _, in := range []struct {
		col  string
		vals []string
	}{{"b.office", f.Offices}, {"b.record_type", f.RecordTypes}} {
		if len(in.vals) == 0 {
			continue
		}
		conds = append(conds, in.col+" IN (?"+strings.Repeat(", ?", len(in.vals)-1)+")")
		for _, v := range in.vals {
			args = append(args, v)
		}
	}
	if !f.From.IsZero() {
		conds = append(conds, "b.committed_us >= ?")
		args = append(args, us(f.From))
	}
	if !f.To.IsZero() {
		conds = append(conds, "b.committed_us < ?")
		args = append(args, us(f.To))
	}
	return strings.Join(conds, " AND "), args
}

// likeEscape makes q a LIKE pattern matching it as a substring, case-insensitively (the
// columns are lowered too: PostgreSQL's LIKE is case-sensitive, SQLite's is not).
func likeEscape(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(q)) + "%"
}

// committedAt reads a committed batch's commit time (ErrNotFound if absent or pending).
func (s *sqlStore) committedAt(ctx context.Context, id string) (int64, error) {
	var c sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT committed_us FROM batches WHERE id = ?`), id).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !c.Valid {
		return 0, ErrNotFound
	}
	return c.Int64, err
}

func (s *sqlStore) CommittedBatches(ctx context.Context, f BatchFilter, after string, limit int) ([]BatchSummary, error) {
	where, args := f.where()
	if after != "" {
		at, err := s.committedAt(ctx, after)
		if err != nil {
			return nil, err
		}
		where += " AND (b.committed_us < ? OR (b.committed_us = ? AND b.id < ?))"
		args = append(args, at, at, after)
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT b.id, b.workstation_id, b.office, b.record_type, b.seq, b.committed_us,
			(SELECT COUNT(*) FROM documents d WHERE d.batch_id = b.id), b.file_code, b.archive
		FROM batches b WHERE `+where+` ORDER BY b.committed_us DESC, b.id DESC LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	defer rows.Close()
	var out []BatchSummary
	for rows.Next() {
		var b BatchSummary
		var c int64
		var arch sql.NullString
		if err := rows.Scan(&b.ID, &b.WorkstationID, &b.Office, &b.RecordType, &b.Seq, &c, &b.Documents, &b.FileCode, &arch); err != nil {
			return nil, err
		}
		b.CommittedAt = time.UnixMicro(c).UTC()
		b.Archive = textBytes(arch)
		out = append(out, b)
	}
	return out, rows.Err()
}

func (s *sqlStore) Document(ctx context.Context, batchID, docID string) (Document, error) {
	d := Document{BatchID: batchID, ID: docID}
	err := s.db.QueryRowContext(ctx, s.q(`SELECT d.pdf_sha256, d.pdf_size FROM documents d JOIN batches b ON b.id = d.batch_id
		WHERE d.batch_id = ? AND d.id = ? AND b.committed_us IS NOT NULL`), batchID, docID).Scan(&d.PDFSHA256, &d.PDFSize)
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	if err != nil {
		return d, fmt.Errorf("read document: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT sha256 FROM pages WHERE batch_id = ? AND doc_id = ? ORDER BY idx`), batchID, docID)
	if err != nil {
		return d, fmt.Errorf("read pages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return d, err
		}
		d.Pages = append(d.Pages, h)
	}
	return d, rows.Err()
}

func (s *sqlStore) DocumentRows(ctx context.Context, f DocumentFilter, after *DocCursor, desc bool, limit int) ([]DocumentRow, error) {
	where, args := f.where()
	if f.Query != "" {
		p := likeEscape(f.Query)
		where += ` AND (LOWER(b.id) LIKE ? ESCAPE '\' OR LOWER(b.workstation_id) LIKE ? ESCAPE '\' OR LOWER(b.office) LIKE ? ESCAPE '\'
			OR LOWER(b.record_type) LIKE ? ESCAPE '\' OR LOWER(d.id) LIKE ? ESCAPE '\' OR d.pdf_sha256 LIKE ? ESCAPE '\')`
		args = append(args, p, p, p, p, p, p)
	}
	if m := f.Field; m != nil {
		col := "exact_idx"
		if m.Folded {
			col = "folded_idx"
		}
		where += ` AND EXISTS (SELECT 1 FROM document_fields f WHERE f.batch_id = d.batch_id AND f.doc_id = d.id
			AND f.field_key = ? AND f.` + col + ` = ?)`
		args = append(args, m.Key, m.Index)
	}
	for _, c := range []struct{ col, op, v string }{{"d.doc_code", "=", f.Doc.Code}, {"d.doc_number", "=", f.Doc.Number},
		{"d.doc_symbol", "=", f.Doc.Symbol}, {"d.doc_date", "=", f.Doc.Date}, {"d.doc_date", ">=", f.DocDateFrom}, {"d.doc_date", "<=", f.DocDateTo}} {
		if c.v != "" {
			where += " AND " + c.col + " " + c.op + " ?"
			args = append(args, c.v)
		}
	}
	if f.DocDateFrom != "" || f.DocDateTo != "" {
		where += " AND d.doc_date <> ''"
	}
	if m := f.Date; m != nil {
		if len(m.Indexes) == 0 {
			return nil, nil // a range no date falls in
		}
		where += ` AND EXISTS (SELECT 1 FROM document_field_dates x WHERE x.batch_id = d.batch_id AND x.doc_id = d.id
			AND x.field_key = ? AND x.idx IN (?` + strings.Repeat(", ?", len(m.Indexes)-1) + `))`
		args = append(args, m.Key)
		for _, idx := range m.Indexes {
			args = append(args, idx)
		}
	}
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if after != nil {
		at, err := s.committedAt(ctx, after.BatchID)
		if err != nil {
			return nil, err
		}
		where += " AND (b.committed_us " + op + " ? OR (b.committed_us = ? AND (b.id " + op + " ? OR (b.id = ? AND d.id " + op + " ?))))"
		args = append(args, at, at, after.BatchID, after.BatchID, after.DocID)
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT b.id, b.workstation_id, b.office, b.record_type, b.seq, b.committed_us,
			d.id, d.pdf_sha256, d.pdf_size, (SELECT COUNT(*) FROM pages p WHERE p.batch_id = d.batch_id AND p.doc_id = d.id),
			b.file_code, b.archive
		FROM documents d JOIN batches b ON b.id = d.batch_id
		WHERE `+where+` ORDER BY b.committed_us `+dir+`, b.id `+dir+`, d.id `+dir+` LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	defer rows.Close()
	var out []DocumentRow
	for rows.Next() {
		var r DocumentRow
		var c int64
		var arch sql.NullString
		if err := rows.Scan(&r.BatchID, &r.WorkstationID, &r.Office, &r.RecordType, &r.Seq, &c, &r.DocID, &r.PDFSHA256, &r.PDFSize, &r.Pages,
			&r.FileCode, &arch); err != nil {
			return nil, err
		}
		r.CommittedAt = time.UnixMicro(c).UTC()
		r.Archive = textBytes(arch)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if err := s.rowFields(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// fieldsChunk bounds the documents whose fields one query reads (two parameters each).
const fieldsChunk = 250

// rowFields reads the sealed fields of rows, a chunk of documents per query.
func (s *sqlStore) rowFields(ctx context.Context, rows []DocumentRow) error {
	at := map[DocCursor]int{}
	for i, r := range rows {
		at[DocCursor{r.BatchID, r.DocID}] = i
	}
	for part := rows; len(part) > 0; {
		chunk := part[:min(len(part), fieldsChunk)]
		part = part[len(chunk):]
		conds := make([]string, len(chunk))
		args := make([]any, 0, 2*len(chunk))
		for i, r := range chunk {
			conds[i] = "(batch_id = ? AND doc_id = ?)"
			args = append(args, r.BatchID, r.DocID)
		}
		frows, err := s.db.QueryContext(ctx, s.q(`SELECT `+fieldCols+` FROM document_fields WHERE `+strings.Join(conds, " OR ")+
			` ORDER BY batch_id, doc_id, pos, field_key`), args...)
		if err != nil {
			return fmt.Errorf("read fields: %w", err)
		}
		for frows.Next() {
			b, d, f, err := scanField(frows)
			if err != nil {
				frows.Close()
				return err
			}
			if i, ok := at[DocCursor{b, d}]; ok {
				rows[i].Fields = append(rows[i].Fields, f)
			}
		}
		frows.Close()
		if err := frows.Err(); err != nil {
			return fmt.Errorf("read fields: %w", err)
		}
	}
	return nil
}

func (s *sqlStore) FieldKeys(ctx context.Context, f BatchFilter) ([]string, error) {
	where, args := f.where()
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT f.field_key, MIN(f.pos) AS first
		FROM document_fields f JOIN batches b ON b.id = f.batch_id
		WHERE `+where+` GROUP BY f.field_key ORDER BY first, f.field_key`), args...)
	if err != nil {
		return nil, fmt.Errorf("field keys: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		var first int
		if err := rows.Scan(&k, &first); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
