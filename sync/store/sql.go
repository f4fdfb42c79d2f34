package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// dialect holds the few differences between SQLite and PostgreSQL; the queries are shared and
// written with '?' placeholders.
type dialect struct {
	name     string
	blobType string
	dollar   bool // PostgreSQL numbers its placeholders
	// recordTypeFromManifest is an SQL expression reading record_type out of the manifest
	// column (migration 2 back-fills the new column with it).
	recordTypeFromManifest string
	// archiveFromManifest and fileCodeFromManifest read the manifest's archive object (its
	// JSON text, NULL when absent) and its file code ('' when absent): migration 7.
	archiveFromManifest  string
	fileCodeFromManifest string
}

// sqlStore is the shared implementation behind sqliteStore and pgStore.
type sqlStore struct {
	db *sql.DB
	d  dialect
}

func (s *sqlStore) q(query string) string {
	if !s.d.dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// migrations are numbered; each runs once, in one transaction with its version row.
func (s *sqlStore) migrations() []string {
	bt := s.d.blobType
	return []string{
		`CREATE TABLE workstations (
			id TEXT PRIMARY KEY,
			office TEXT NOT NULL,
			name TEXT NOT NULL,
			token_hash TEXT NOT NULL UNIQUE,
			created_us BIGINT NOT NULL,
			revoked_us BIGINT,
			acked_seq BIGINT NOT NULL DEFAULT 0
		);
		CREATE TABLE enroll_codes (
			code_hash TEXT PRIMARY KEY,
			office TEXT NOT NULL,
			expires_us BIGINT NOT NULL,
			used_us BIGINT,
			used_by TEXT
		);
		CREATE TABLE batches (
			id TEXT PRIMARY KEY,
			workstation_id TEXT NOT NULL REFERENCES workstations(id),
			office TEXT NOT NULL,
			seq BIGINT NOT NULL,
			manifest ` + bt + ` NOT NULL,
			manifest_sha256 TEXT NOT NULL,
			committed_us BIGINT,
			receipt ` + bt + `
		);
		CREATE INDEX batches_ws_seq ON batches(workstation_id, seq);
		CREATE TABLE documents (
			batch_id TEXT NOT NULL REFERENCES batches(id),
			id TEXT NOT NULL,
			pdf_sha256 TEXT NOT NULL,
			pdf_size BIGINT NOT NULL,
			PRIMARY KEY (batch_id, id)
		);
		CREATE TABLE pages (
			batch_id TEXT NOT NULL,
			doc_id TEXT NOT NULL,
			idx INTEGER NOT NULL,
			sha256 TEXT NOT NULL,
			PRIMARY KEY (batch_id, doc_id, idx),
			FOREIGN KEY (batch_id, doc_id) REFERENCES documents(batch_id, id)
		);
		CREATE INDEX pages_sha ON pages(sha256);
		CREATE INDEX documents_pdf ON documents(pdf_sha256);`,

		// 2: the read API. record_type moves out of the manifest into a column (filled from the
		// stored manifests), committed batches get an index in commit order, and data-sharing
		// platforms get their own read-only credentials.
		`ALTER TABLE batches ADD COLUMN record_type TEXT NOT NULL DEFAULT '';
		UPDATE batches SET record_type = ` + s.d.recordTypeFromManifest + `;
		CREATE INDEX batches_committed ON batches(committed_us, id);
		CREATE INDEX batches_office_committed ON batches(office, committed_us);
		CREATE TABLE readers (
			id TEXT PRIMARY KEY,
			name TEXT NOT NULL,
			token_hash TEXT NOT NULL UNIQUE,
			created_us BIGINT NOT NULL,
			revoked_us BIGINT
		);
		CREATE UNIQUE INDEX readers_active_name ON readers(name) WHERE revoked_us IS NULL`,

		// 3: blobs belong to offices. An office holds a blob once one of its workstations sent
		// every byte of it; the blobs of batches committed before this version are held by the
		// batch's office. Reader credentials may be limited to one office ('' = all; migration 6
		// moves it to reader_scopes).
		`CREATE TABLE office_blobs (
			office TEXT NOT NULL,
			sha256 TEXT NOT NULL,
			PRIMARY KEY (office, sha256)
		);
		INSERT INTO office_blobs (office, sha256)
			SELECT b.office, d.pdf_sha256 FROM documents d JOIN batches b ON b.id = d.batch_id
			UNION SELECT b.office, p.sha256 FROM pages p JOIN batches b ON b.id = p.batch_id;
		ALTER TABLE readers ADD COLUMN office TEXT NOT NULL DEFAULT ''`,

		// 4: the field values of every committed document (its signed record.json), sealed by
		// the server: value_enc is AES-256-GCM ciphertext, exact_idx and folded_idx are blind
		// indexes (HMAC-SHA256) of the normalised and of the diacritics-folded value, NULL for
		// a table field (not searchable). No plaintext value is ever stored.
		`CREATE TABLE document_fields (
			batch_id TEXT NOT NULL,
			doc_id TEXT NOT NULL,
			field_key TEXT NOT NULL,
			pos INTEGER NOT NULL,
			value_enc ` + bt + ` NOT NULL,
			exact_idx TEXT,
			folded_idx TEXT,
			PRIMARY KEY (batch_id, doc_id, field_key),
			FOREIGN KEY (batch_id, doc_id) REFERENCES documents(batch_id, id)
		);
		CREATE INDEX document_fields_exact ON document_fields(field_key, exact_idx);
		CREATE INDEX document_fields_folded ON document_fields(field_key, folded_idx)`,

		// 5: rate-limit token buckets shared by every server on the database (several
		// stateless servers behind a load balancer hold one limit per workstation, not one
		// each). tokens as of last_us; a bucket idle for long is deleted (full by then).
		`CREATE TABLE rate_buckets (
			bucket TEXT PRIMARY KEY,
			tokens DOUBLE PRECISION NOT NULL,
			last_us BIGINT NOT NULL
		);
		CREATE INDEX rate_buckets_last ON rate_buckets(last_us)`,

		// 6: reader tokens limited to
		// several offices and to record types, one row per limit. The single office of
		// migration 3 moves here.
		`CREATE TABLE reader_scopes (
			reader_id TEXT NOT NULL REFERENCES readers(id),
			kind TEXT NOT NULL,
			value TEXT NOT NULL,
			PRIMARY KEY (reader_id, kind, value)
		);
		INSERT INTO reader_scopes (reader_id, kind, value) SELECT id, 'office', office FROM readers WHERE office <> ''`,

		// 7: the record's own dates and the archive file. Each scalar field value that is a
		// date gets blind indexes of its day, month, year, decade, century and millennium
		// (HMAC under the server's index key, so no plaintext date is stored either); a
		// date range is matched as the set of periods covering it. SQL cannot open the sealed
		// values of the documents stored before: their dates_v stays 0 and the server computes
		// their indexes when it starts (Server.IndexDates), then sets it to 1. The archive
		// file's data (Circular 05/2025) is copied out of the stored signed manifests.
		`ALTER TABLE document_fields ADD COLUMN dates_v INTEGER NOT NULL DEFAULT 0;
		UPDATE document_fields SET dates_v = 1 WHERE exact_idx IS NULL;
		CREATE INDEX document_fields_undated ON document_fields(dates_v, batch_id, doc_id, field_key);
		CREATE TABLE document_field_dates (
			batch_id TEXT NOT NULL,
			doc_id TEXT NOT NULL,
			field_key TEXT NOT NULL,
			idx TEXT NOT NULL,
			PRIMARY KEY (batch_id, doc_id, field_key, idx),
			FOREIGN KEY (batch_id, doc_id, field_key) REFERENCES document_fields(batch_id, doc_id, field_key)
		);
		CREATE INDEX document_field_dates_idx ON document_field_dates(field_key, idx);
		ALTER TABLE batches ADD COLUMN file_code TEXT NOT NULL DEFAULT '';
		ALTER TABLE batches ADD COLUMN archive TEXT;
		UPDATE batches SET file_code = ` + s.d.fileCodeFromManifest + `, archive = ` + s.d.archiveFromManifest + `;
		CREATE INDEX batches_file_code ON batches(file_code, committed_us)`,

		// 8: the document-level archive data the read API filters on (doc_code=, doc_number=,
		// doc_symbol=, doc_date_from=/doc_date_to=), in store.DocArchiveKeys' form; and the
		// file codes migration 7 copied out of the manifests as they were, which file_code=
		// (compared in Unicode NFC) could miss. SQL has no NFC: fillArchiveKeys (Go, in the
		// same transaction) fills both from the stored manifests.
		`ALTER TABLE documents ADD COLUMN doc_code TEXT NOT NULL DEFAULT '';
		ALTER TABLE documents ADD COLUMN doc_number TEXT NOT NULL DEFAULT '';
		ALTER TABLE documents ADD COLUMN doc_symbol TEXT NOT NULL DEFAULT '';
		ALTER TABLE documents ADD COLUMN doc_date TEXT NOT NULL DEFAULT '';
		CREATE INDEX documents_doc_code ON documents(doc_code);
		CREATE INDEX documents_doc_number ON documents(doc_number, doc_symbol);
		CREATE INDEX documents_doc_date ON documents(doc_date)`,
	}
}

// goMigrations are the steps of a migration SQL cannot do, run after its statements in its
// transaction.
func (s *sqlStore) goMigrations() map[int]func(context.Context, *sql.Tx) error {
	return map[int]func(context.Context, *sql.Tx) error{8: s.fillArchiveKeys}
}

// fillArchiveKeys (migration 8) puts every batch's file code in NFC and fills the documents'
// archive columns from their batch's stored manifest, a page of batches at a time.
func (s *sqlStore) fillArchiveKeys(ctx context.Context, tx *sql.Tx) error {
	type manifest struct {
		Archive *struct {
			FileCode string `json:"file_code"`
		} `json:"archive"`
		Documents []struct {
			ID      string `json:"id"`
			Archive *struct {
				ID, Number, Symbol, Date string
			} `json:"archive"`
		} `json:"documents"`
	}
	type batch struct {
		id, code  string
		committed bool
		m         manifest
	}
	after := ""
	for {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id, file_code, committed_us IS NOT NULL, manifest FROM batches WHERE id > ? ORDER BY id LIMIT 200`), after)
		if err != nil {
			return err
		}
		var page []batch
		for rows.Next() {
			var b batch
			var raw []byte
			if err := rows.Scan(&b.id, &b.code, &b.committed, &raw); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal(raw, &b.m); err != nil {
				rows.Close()
				return fmt.Errorf("batch %s: manifest: %w", b.id, err)
			}
			page = append(page, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		for _, b := range page {
			if code := norm.NFC.String(b.code); code != b.code {
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE batches SET file_code = ? WHERE id = ?`), code, b.id); err != nil {
					return err
				}
			}
			if !b.committed {
				continue
			}
			for _, d := range b.m.Documents {
				if d.Archive == nil {
					continue
				}
				k := DocArchiveKeys(d.Archive.ID, d.Archive.Number, d.Archive.Symbol, d.Archive.Date)
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE documents SET doc_code = ?, doc_number = ?, doc_symbol = ?, doc_date = ?
					WHERE batch_id = ? AND id = ?`), k.Code, k.Number, k.Symbol, k.Date, b.id, d.ID); err != nil {
					return err
				}
			}
		}
		after = page[len(page)-1].id
	}
}

func (s *sqlStore) migrateUpTo(ctx context.Context, upto int) error {
	if upto < 0 || upto > len(s.migrations()) {
		upto = len(s.migrations())
	}
	return s.migrateTo(ctx, upto)
}

// migrateTo applies the migrations up to version upto (tests stop early to check upgrades).
func (s *sqlStore) migrateTo(ctx context.Context, upto int) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)`); err != nil {
		return fmt.Errorf("%s migrate: %w", s.d.name, err)
	}
	for i, m := range s.migrations()[:upto] {
		v := i + 1
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_version WHERE version = ?`), v).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range strings.Split(m, ";") {
				if strings.TrimSpace(stmt) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return err
				}
			}
			if step := s.goMigrations()[v]; step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_version (version) VALUES (?)`), v)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s migration %d: %w", s.d.name, v, err)
		}
	}
	return nil
}

func (s *sqlStore) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func us(t time.Time) int64 { return t.UnixMicro() }

func fromUS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.UnixMicro(v.Int64).UTC()
	return &t
}

func (s *sqlStore) Close() error { return s.db.Close() }

func (s *sqlStore) CreateEnrollCode(ctx context.Context, codeHash, office string, expires time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO enroll_codes (code_hash, office, expires_us) VALUES (?, ?, ?)`),
		codeHash, office, us(expires))
	if err != nil {
		return fmt.Errorf("create enrollment code: %w", err)
	}
	return nil
}

func (s *sqlStore) Enroll(ctx context.Context, codeHash string, ws Workstation, now time.Time) (Workstation, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var office string
		err := tx.QueryRowContext(ctx, s.q(`UPDATE enroll_codes SET used_us = ?, used_by = ?
			WHERE code_hash = ? AND used_us IS NULL AND expires_us > ? RETURNING office`),
			us(now), ws.ID, codeHash, us(now)).Scan(&office)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrCodeInvalid
		}
		if err != nil {
			return err
		}
		ws.Office = office
		ws.CreatedAt = now.UTC().Truncate(time.Microsecond)
		ws.RevokedAt = nil
		ws.AckedSeq = 0
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO workstations (id, office, name, token_hash, created_us) VALUES (?, ?, ?, ?, ?)`),
			ws.ID, ws.Office, ws.Name, ws.TokenHash, us(now))
		return err
	})
	if err != nil {
		if errors.Is(err, ErrCodeInvalid) {
			return Workstation{}, err
		}
		return Workstation{}, fmt.Errorf("enroll: %w", err)
	}
	return ws, nil
}

const wsCols = `id, office, name, token_hash, created_us, revoked_us, acked_seq`

func scanWS(row interface{ Scan(...any) error }) (Workstation, error) {
	var w Workstation
	var created int64
	var revoked sql.NullInt64
	if err := row.Scan(&w.ID, &w.Office, &w.Name, &w.TokenHash, &created, &revoked, &w.AckedSeq); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return w, ErrNotFound
		}
		return w, err
	}
	w.CreatedAt = time.UnixMicro(created).UTC()
	w.RevokedAt = fromUS(revoked)
	return w, nil
}

func (s *sqlStore) WorkstationByToken(ctx context.Context, tokenHash string) (Workstation, error) {
	return scanWS(s.db.QueryRowContext(ctx, s.q(`SELECT `+wsCols+` FROM workstations WHERE token_hash = ?`), tokenHash))
}

func (s *sqlStore) Workstation(ctx context.Context, id string) (Workstation, error) {
	return scanWS(s.db.QueryRowContext(ctx, s.q(`SELECT `+wsCols+` FROM workstations WHERE id = ?`), id))
}

func (s *sqlStore) Workstations(ctx context.Context) ([]Workstation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+wsCols+` FROM workstations ORDER BY created_us, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Workstation
	for rows.Next() {
		w, err := scanWS(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

func (s *sqlStore) Revoke(ctx context.Context, id string, now time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE workstations SET revoked_us = COALESCE(revoked_us, ?) WHERE id = ?`), us(now), id)
	if err != nil {
		return fmt.Errorf("revoke: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *sqlStore) PutManifest(ctx context.Context, b Batch) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO batches (id, workstation_id, office, seq, record_type, file_code, archive, manifest, manifest_sha256)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
			b.ID, b.WorkstationID, b.Office, b.Seq, b.RecordType, b.FileCode, nullText(b.Archive), b.Manifest, b.ManifestSHA256)
		if err != nil {
			return fmt.Errorf("store manifest: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var ws, sha string
		var committed sql.NullInt64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT workstation_id, manifest_sha256, committed_us FROM batches WHERE id = ?`), b.ID).
			Scan(&ws, &sha, &committed); err != nil {
			return fmt.Errorf("store manifest: %w", err)
		}
		switch {
		case ws != b.WorkstationID:
			return ErrConflict
		case sha == b.ManifestSHA256:
			return nil
		case committed.Valid:
			return ErrConflict
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE batches SET office = ?, seq = ?, record_type = ?, file_code = ?, archive = ?, manifest = ?, manifest_sha256 = ?
			WHERE id = ? AND committed_us IS NULL`), b.Office, b.Seq, b.RecordType, b.FileCode, nullText(b.Archive), b.Manifest, b.ManifestSHA256, b.ID)
		if err != nil {
			return fmt.Errorf("replace manifest: %w", err)
		}
		return nil
	})
}

func (s *sqlStore) Batch(ctx context.Context, id string) (Batch, error) {
	var b Batch
	var committed sql.NullInt64
	var arch sql.NullString
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id, workstation_id, office, seq, record_type, file_code, archive, manifest, manifest_sha256, committed_us, receipt
		FROM batches WHERE id = ?`), id).
		Scan(&b.ID, &b.WorkstationID, &b.Office, &b.Seq, &b.RecordType, &b.FileCode, &arch, &b.Manifest, &b.ManifestSHA256, &committed, &b.Receipt)
	if errors.Is(err, sql.ErrNoRows) {
		return b, ErrNotFound
	}
	if err != nil {
		return b, fmt.Errorf("read batch: %w", err)
	}
	b.CommittedAt = fromUS(committed)
	b.Committed = committed.Valid
	b.Archive = textBytes(arch)
	return b, nil
}

func (s *sqlStore) CommitBatch(ctx context.Context, c Commit) ([]byte, bool, error) {
	var out []byte
	first := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// The conditional UPDATE takes the row lock: a concurrent commit of the same batch waits
		// here and then finds it committed (PostgreSQL re-checks the WHERE clause).
		res, err := tx.ExecContext(ctx, s.q(`UPDATE batches SET committed_us = ?, receipt = ?
			WHERE id = ? AND workstation_id = ? AND committed_us IS NULL`),
			us(c.CommittedAt), c.Receipt, c.BatchID, c.WorkstationID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var ws string
			var receipt []byte
			err := tx.QueryRowContext(ctx, s.q(`SELECT workstation_id, receipt FROM batches WHERE id = ?`), c.BatchID).Scan(&ws, &receipt)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			if err != nil {
				return err
			}
			if ws != c.WorkstationID || receipt == nil {
				return ErrConflict
			}
			out = receipt
			return nil
		}
		for _, d := range c.Documents {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO documents (batch_id, id, pdf_sha256, pdf_size, doc_code, doc_number, doc_symbol, doc_date)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
				c.BatchID, d.ID, d.PDFSHA256, d.PDFSize, d.Archive.Code, d.Archive.Number, d.Archive.Symbol, d.Archive.Date); err != nil {
				return err
			}
			for i, p := range d.Pages {
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO pages (batch_id, doc_id, idx, sha256) VALUES (?, ?, ?, ?)`),
					c.BatchID, d.ID, i, p); err != nil {
					return err
				}
			}
			for _, f := range d.Fields {
				if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO document_fields (batch_id, doc_id, field_key, pos, value_enc, exact_idx, folded_idx, dates_v)
					VALUES (?, ?, ?, ?, ?, ?, ?, 1)`), c.BatchID, d.ID, f.Key, f.Pos, f.Value, nullable(f.Exact), nullable(f.Folded)); err != nil {
					return err
				}
			}
			dates := make([]FieldDates, 0, len(d.Fields))
			for _, f := range d.Fields {
				dates = append(dates, FieldDates{FieldRef{c.BatchID, d.ID, f.Key}, f.Dates})
			}
			if err := insertDates(ctx, s, tx, dates); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE workstations SET acked_seq = CASE WHEN acked_seq < ? THEN ? ELSE acked_seq END WHERE id = ?`),
			c.Seq, c.Seq, c.WorkstationID); err != nil {
			return err
		}
		out, first = c.Receipt, true
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
			return nil, false, err
		}
		return nil, false, fmt.Errorf("commit batch: %w", err)
	}
	return out, first, nil
}

func (s *sqlStore) Documents(ctx context.Context, batchID string) ([]Document, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, pdf_sha256, pdf_size FROM documents WHERE batch_id = ? ORDER BY id`), batchID)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	var docs []Document
	at := map[string]int{}
	for rows.Next() {
		d := Document{BatchID: batchID}
		if err := rows.Scan(&d.ID, &d.PDFSHA256, &d.PDFSize); err != nil {
			rows.Close()
			return nil, err
		}
		at[d.ID] = len(docs)
		docs = append(docs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// All pages of the batch in one query (not one per document: a batch holds up to 10,000).
	prow, err := s.db.QueryContext(ctx, s.q(`SELECT doc_id, sha256 FROM pages WHERE batch_id = ? ORDER BY doc_id, idx`), batchID)
	if err != nil {
		return nil, fmt.Errorf("list pages: %w", err)
	}
	defer prow.Close()
	for prow.Next() {
		var doc, h string
		if err := prow.Scan(&doc, &h); err != nil {
			return nil, err
		}
		if i, ok := at[doc]; ok {
			docs[i].Pages = append(docs[i].Pages, h)
		}
	}
	if err := prow.Err(); err != nil {
		return nil, err
	}
	prow.Close() // SQLite has one connection: free it for the next query
	frow, err := s.db.QueryContext(ctx, s.q(`SELECT `+fieldCols+` FROM document_fields WHERE batch_id = ? ORDER BY doc_id, pos, field_key`), batchID)
	if err != nil {
		return nil, fmt.Errorf("list fields: %w", err)
	}
	defer frow.Close()
	for frow.Next() {
		_, doc, f, err := scanField(frow)
		if err != nil {
			return nil, err
		}
		if i, ok := at[doc]; ok {
			docs[i].Fields = append(docs[i].Fields, f)
		}
	}
	return docs, frow.Err()
}

const fieldCols = `batch_id, doc_id, field_key, pos, value_enc, exact_idx, folded_idx`

func scanField(row interface{ Scan(...any) error }) (batch, doc string, f Field, err error) {
	var exact, folded sql.NullString
	err = row.Scan(&batch, &doc, &f.Key, &f.Pos, &f.Value, &exact, &folded)
	f.Exact, f.Folded = exact.String, folded.String
	return batch, doc, f, err
}

// datesChunk bounds the rows of one statement of insertDates and SetFieldDates (four and
// three parameters each).
const datesChunk = 200

// insertDates stores the date indexes of field values (idempotent), a chunk of rows per
// statement: a re-index after an upgrade writes millions.
func insertDates(ctx context.Context, s *sqlStore, tx *sql.Tx, fs []FieldDates) error {
	var vals []string
	var args []any
	flush := func() error {
		if len(vals) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO document_field_dates (batch_id, doc_id, field_key, idx) VALUES `+
			strings.Join(vals, ", ")+` ON CONFLICT DO NOTHING`), args...)
		vals, args = vals[:0], args[:0]
		return err
	}
	for _, f := range fs {
		for _, idx := range f.Dates {
			vals = append(vals, "(?, ?, ?, ?)")
			args = append(args, f.BatchID, f.DocID, f.Key, idx)
			if len(vals) == datesChunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

func (s *sqlStore) UndatedFields(ctx context.Context, after *FieldRef, limit int) ([]UndatedField, error) {
	where, args := "dates_v = 0", []any{}
	if after != nil {
		where += " AND (batch_id > ? OR (batch_id = ? AND (doc_id > ? OR (doc_id = ? AND field_key > ?))))"
		args = append(args, after.BatchID, after.BatchID, after.DocID, after.DocID, after.Key)
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT batch_id, doc_id, field_key, value_enc FROM document_fields WHERE `+where+`
		ORDER BY batch_id, doc_id, field_key LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("undated fields: %w", err)
	}
	defer rows.Close()
	var out []UndatedField
	for rows.Next() {
		var f UndatedField
		if err := rows.Scan(&f.BatchID, &f.DocID, &f.Key, &f.Value); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func (s *sqlStore) SetFieldDates(ctx context.Context, fs []FieldDates) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := insertDates(ctx, s, tx, fs); err != nil {
			return fmt.Errorf("set field dates: %w", err)
		}
		for part := fs; len(part) > 0; {
			chunk := part[:min(len(part), datesChunk)]
			part = part[len(chunk):]
			conds := make([]string, len(chunk))
			args := make([]any, 0, 3*len(chunk))
			for i, f := range chunk {
				conds[i] = "(batch_id = ? AND doc_id = ? AND field_key = ?)"
				args = append(args, f.BatchID, f.DocID, f.Key)
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE document_fields SET dates_v = 1 WHERE `+strings.Join(conds, " OR ")), args...); err != nil {
				return fmt.Errorf("set field dates: %w", err)
			}
		}
		return nil
	})
}

// nullText stores an empty JSON text as NULL.
func nullText(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// textBytes is a nullable text column as bytes (nil for NULL).
func textBytes(v sql.NullString) []byte {
	if !v.Valid || v.String == "" || v.String == "null" {
		return nil
	}
	return []byte(v.String)
}

// nullable stores "" as NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *sqlStore) AddOfficeBlob(ctx context.Context, office, sum string) error {
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO office_blobs (office, sha256) VALUES (?, ?) ON CONFLICT DO NOTHING`),
		office, sum); err != nil {
		return fmt.Errorf("record office blob: %w", err)
	}
	return nil
}

// officeBlobsChunk bounds the IN list of one query (SQLite and PostgreSQL both take it easily).
const officeBlobsChunk = 500

func (s *sqlStore) OfficeBlobs(ctx context.Context, office string, sums []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(sums) > 0 {
		part := sums[:min(len(sums), officeBlobsChunk)]
		sums = sums[len(part):]
		args := make([]any, 0, len(part)+1)
		args = append(args, office)
		for _, h := range part {
			args = append(args, h)
		}
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT sha256 FROM office_blobs WHERE office = ? AND sha256 IN (?`+
			strings.Repeat(", ?", len(part)-1)+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("office blobs: %w", err)
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return nil, err
			}
			out[h] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("office blobs: %w", err)
		}
	}
	return out, nil
}

// TakeToken takes one token from the bucket's shared token bucket (refilled at rate per
// second up to burst), in one statement, so servers racing on the same bucket never hand out
// more tokens than it holds. When it holds less than one token it takes nothing and returns
// how long until it holds one. A clock behind the bucket's last refill refills nothing.
func (s *sqlStore) TakeToken(ctx context.Context, bucket string, rate float64, burst int, now time.Time) (bool, time.Duration, error) {
	us, b := now.UnixMicro(), float64(burst)
	// The refilled level: min(burst, tokens + max(0, now - last) * rate).
	const elapsed = `(CASE WHEN CAST(? AS BIGINT) > rate_buckets.last_us THEN CAST(? AS BIGINT) - rate_buckets.last_us ELSE 0 END)`
	const refilled = `(rate_buckets.tokens + ` + elapsed + ` / 1e6 * CAST(? AS DOUBLE PRECISION))`
	const level = `(CASE WHEN ` + refilled + ` > CAST(? AS DOUBLE PRECISION) THEN CAST(? AS DOUBLE PRECISION) ELSE ` + refilled + ` END)`
	levelArgs := []any{us, us, rate, b, b, us, us, rate}
	args := append([]any{bucket, b - 1, us}, levelArgs...)
	args = append(args, us, us)
	args = append(args, levelArgs...)
	var left float64
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO rate_buckets (bucket, tokens, last_us) VALUES (?, ?, ?)
		ON CONFLICT (bucket) DO UPDATE SET
			tokens = `+level+` - 1,
			last_us = CASE WHEN CAST(? AS BIGINT) > rate_buckets.last_us THEN CAST(? AS BIGINT) ELSE rate_buckets.last_us END
		WHERE `+level+` >= 1
		RETURNING tokens`), args...).Scan(&left)
	if err == nil {
		return true, 0, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return false, 0, fmt.Errorf("rate limit: %w", err)
	}
	var tokens float64
	var last int64
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT tokens, last_us FROM rate_buckets WHERE bucket = ?`), bucket).Scan(&tokens, &last); err != nil {
		return false, 0, fmt.Errorf("rate limit: %w", err)
	}
	if us > last {
		tokens = min(b, tokens+float64(us-last)/1e6*rate)
	}
	if tokens >= 1 { // refilled meanwhile: the caller may ask again at once
		return false, time.Millisecond, nil
	}
	return false, time.Duration((1 - tokens) / rate * float64(time.Second)), nil
}

// SweepRateBuckets deletes the buckets untouched since before (they are full again by then).
func (s *sqlStore) SweepRateBuckets(ctx context.Context, before time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM rate_buckets WHERE last_us < ?`), before.UnixMicro())
	return err
}
