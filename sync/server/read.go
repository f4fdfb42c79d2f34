package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/internal/archive"
	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/wire"
)

// The read API (sync/PROTOCOL.md "Read API") lets data-sharing platforms list, search and fetch
// what the workstations committed. It has its own credentials (store.Reader): a workstation
// token is refused here and a reader token is refused on the upload side, because each is
// looked up only in its own table.

// ReaderTokenPrefix starts every reader token (workstation tokens start "sohoa_" followed by
// base64, so the two never look alike).
const ReaderTokenPrefix = "sohoa_read_"

// Read API limits.
const (
	DefaultReadLimit = 100  // rows per page when limit= is not given
	MaxReadLimit     = 1000 // largest limit=
	MaxSearchQuery   = 100  // characters of q=
	exportPage       = 1000 // rows fetched per query while an export streams
)

// NewReaderToken creates a read-only credential called name and returns its id and token. The
// token is shown once; only its SHA-256 is stored. office limits it to the batches of those
// offices (a comma-separated list of codes); "" reads every office. NewScopedReaderToken also
// limits record types.
func NewReaderToken(ctx context.Context, st store.Store, name, office string, now time.Time) (id, token string, err error) {
	return NewScopedReaderToken(ctx, st, name, SplitCodes(office), nil, now)
}

// SplitCodes splits a comma-separated list of codes, dropping empty items.
func SplitCodes(list string) []string {
	var out []string
	for _, v := range strings.Split(list, ",") {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// NewScopedReaderToken is NewReaderToken limited to offices and to recordTypes (each list
// empty: no limit of that kind). A reader's scope never changes: revoke it and make another.
func NewScopedReaderToken(ctx context.Context, st store.Store, name string, offices, recordTypes []string, now time.Time) (id, token string, err error) {
	name = strings.TrimSpace(name)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > 100 || strings.ContainsFunc(name, unicode.IsControl) {
		return "", "", errors.New("reader name must be 1-100 printable characters")
	}
	for _, o := range offices {
		if !validName(o) {
			return "", "", errors.New("office code must be 1-64 of [A-Za-z0-9._-]")
		}
	}
	for _, rt := range recordTypes {
		if !validName(rt) {
			return "", "", errors.New("record type code must be 1-64 of [A-Za-z0-9._-]")
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = ReaderTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	id = "rd-" + uuid.Must(uuid.NewV7()).String()
	err = st.CreateReader(ctx, store.Reader{ID: id, Name: name, Offices: offices, RecordTypes: recordTypes,
		TokenHash: HashSecret(token), CreatedAt: now.UTC().Truncate(time.Microsecond)})
	if errors.Is(err, store.ErrConflict) {
		return "", "", fmt.Errorf("a reader called %q exists already (revoke it first, or choose another name)", name)
	}
	if err != nil {
		return "", "", err
	}
	return id, token, nil
}

// readAuth checks a reader's bearer token, refuses revoked readers and applies the rate limit
// (readers have their own buckets).
func (s *Server) readAuth(h func(http.ResponseWriter, *http.Request, store.Reader)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.metrics.reads.Add(1)
		hash, ok := s.bearer(w, r, "sohoa-read", errReaderUnauthorized)
		if !ok {
			return
		}
		rd, err := s.cfg.Store.ReaderByToken(r.Context(), hash)
		if errors.Is(err, store.ErrNotFound) {
			s.unknownToken(w, "sohoa-read", errReaderUnauthorized)
			return
		}
		if err != nil {
			s.internal(w, "reader auth", err)
			return
		}
		if rd.RevokedAt != nil {
			s.metrics.authFailures.Add(1)
			s.fail(w, errReaderRevoked)
			return
		}
		if ok, wait := s.limiter.allow("reader:" + rd.ID); !ok {
			s.rateLimited(w, wait)
			return
		}
		h(w, r, rd)
	}
}

// ReadBatch is a committed batch in the read API's answers.
type ReadBatch struct {
	ID            string    `json:"batch_id"`
	WorkstationID string    `json:"workstation_id"`
	Office        string    `json:"office"`
	RecordType    string    `json:"record_type"`
	Seq           int64     `json:"seq"`
	CommittedAt   time.Time `json:"committed_at"`
	Documents     int       `json:"documents"`
	// FileCode is the archive file code (mã hồ sơ) when the batch is an archive file.
	FileCode string `json:"file_code,omitempty"`
}

// ReadBatchList answers GET /v1/read/batches. Next, when set, is the after= of the next page.
type ReadBatchList struct {
	Batches []ReadBatch `json:"batches"`
	Next    string      `json:"next,omitempty"`
}

// ReadDocument is one document of a batch.
type ReadDocument struct {
	ID        string   `json:"document_id"`
	PDFSHA256 string   `json:"pdf_sha256"`
	PDFSize   int64    `json:"pdf_size"`
	Pages     []string `json:"pages"`
	PDF       string   `json:"pdf"` // path of the signed PDF on this server
	// Fields are the record's field values as signed (record.json), decrypted; a table field
	// (an array in record.json) is its JSON text.
	Fields map[string]string `json:"fields"`
	// Archive is the document's archive data (Circular 05/2025) from the signed manifest,
	// when the batch is an archive file.
	Archive *archive.Document `json:"archive,omitempty"`
}

// ReadBatchDetail answers GET /v1/read/batches/{id}: the batch, its documents, the signed
// receipt and the signed manifest exactly as stored (a platform can verify both itself).
type ReadBatchDetail struct {
	ReadBatch
	// Archive is the archive file's data (Circular 05/2025: file code, title, retention,
	// access level, dates …) from the signed manifest, when the batch is an archive file.
	Archive      *archive.File   `json:"archive,omitempty"`
	DocumentList []ReadDocument  `json:"document_list"`
	Receipt      json.RawMessage `json:"receipt"`
	Manifest     json.RawMessage `json:"manifest"`
}

// ReadRow is one document with its batch's facts: a search result or an export row.
type ReadRow struct {
	BatchID       string    `json:"batch_id"`
	WorkstationID string    `json:"workstation_id"`
	Office        string    `json:"office"`
	RecordType    string    `json:"record_type"`
	Seq           int64     `json:"seq"`
	CommittedAt   time.Time `json:"committed_at"`
	DocumentID    string    `json:"document_id"`
	PDFSHA256     string    `json:"pdf_sha256"`
	PDFSize       int64     `json:"pdf_size"`
	Pages         int       `json:"pages"`
	PDF           string    `json:"pdf"`
	// Fields are the document's field values as signed, decrypted (see ReadDocument.Fields).
	Fields map[string]string `json:"fields"`
	// FileCode and Archive are the batch's archive file (see ReadBatchDetail.Archive).
	FileCode string        `json:"file_code,omitempty"`
	Archive  *archive.File `json:"archive,omitempty"`
}

// ReadSearch answers GET /v1/read/search, newest first. Next, when set, is the after= of the
// next page ("batch_id/document_id").
type ReadSearch struct {
	Results []ReadRow `json:"results"`
	Next    string    `json:"next,omitempty"`
}

func pdfPath(batch, doc string) string { return "/v1/read/documents/" + batch + "/" + doc + "/pdf" }

// readRow is d for a reader, its field values decrypted (ErrFieldIntegrity: one does not).
func (s *Server) readRow(d store.DocumentRow) (ReadRow, error) {
	fields, err := s.openFields(d.BatchID, d.DocID, d.Fields)
	return ReadRow{BatchID: d.BatchID, WorkstationID: d.WorkstationID, Office: d.Office, RecordType: d.RecordType, Seq: d.Seq,
		CommittedAt: d.CommittedAt, DocumentID: d.DocID, PDFSHA256: d.PDFSHA256, PDFSize: d.PDFSize, Pages: d.Pages,
		PDF: pdfPath(d.BatchID, d.DocID), Fields: fields, FileCode: d.FileCode, Archive: s.archiveFile(d.BatchID, d.Archive)}, err
}

// archiveFile reads a batch's stored archive object (nil when it has none). It was written
// from the verified manifest; one that no longer parses is logged and left out.
func (s *Server) archiveFile(batch string, raw []byte) *archive.File {
	if len(raw) == 0 {
		return nil
	}
	var f archive.File
	if err := json.Unmarshal(raw, &f); err != nil {
		s.log.Error("stored archive data does not parse: left out", "batch", batch)
		return nil
	}
	return &f
}

// openFields decrypts a document's sealed fields. A value that does not decrypt under its
// batch, document and key (moved to another row, changed, or sealed under another key) is an
// integrity error: it is logged (names, never a value) and nothing of the document is served.
func (s *Server) openFields(batch, doc string, fs []store.Field) (map[string]string, error) {
	out := make(map[string]string, len(fs))
	for _, f := range fs {
		v, err := s.fields.Open(batch, doc, f.Key, f.Value)
		if err != nil {
			s.log.Error("stored field value fails its integrity check: not served", "batch", batch, "document", doc, "field", f.Key)
			return nil, err
		}
		out[f.Key] = string(v)
	}
	return out, nil
}

var errFieldIntegrity = apiError(500, "field_integrity", "sync.server.fieldIntegrity")

// logFieldRead records who read field values, when, and how (personal data law: every read of
// personal data is accounted for): the reader, the operation, the NAMES of the query's
// parameters, and counts; never a parameter's or a field's value.
func (s *Server) logFieldRead(rd store.Reader, op string, q url.Values, docs, values int) {
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names)
	s.log.Info("reader read field values", "reader", rd.ID, "op", op, "params", names, "documents", docs, "values", values)
}

// validName is the shape of office codes, record types and document ids ([A-Za-z0-9._-]).
func validName(s string) bool {
	if s == "" || len(s) > wire.MaxIDLen {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.')
	})
}

// readQuery validates the query string: only the allowed parameters, each at most once (a
// mistyped filter must not silently return everything).
func readQuery(r *http.Request, allowed ...string) (url.Values, *wire.Error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errMalformed("query")
	}
	for k, v := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return nil, errMalformed("unknownParam", l10n.Args{"Name": k, "Allowed": strings.Join(allowed, ", ")})
		}
		if len(v) > 1 {
			return nil, errMalformed("paramTwice", l10n.Args{"Name": k})
		}
	}
	return q, nil
}

// fileCodeRe is the shape of an archive file code (internal/archive's).
var fileCodeRe = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._/-]{0,63}$`)

// parseFilter reads office, record_type, file_code, from and to. A time is RFC 3339 or a date
// (YYYY-MM-DD, UTC); from is inclusive, to exclusive, and a date in to includes that whole day.
// from and to are the batch's commit time; the record's own dates are parseDateMatch's.
func parseFilter(q url.Values) (store.BatchFilter, *wire.Error) {
	var f store.BatchFilter
	if v := q.Get("file_code"); v != "" {
		if !utf8.ValidString(v) || !fileCodeRe.MatchString(norm.NFC.String(v)) {
			return f, errMalformed("badFileCode")
		}
		f.FileCode = norm.NFC.String(v)
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"office", &f.Office}, {"record_type", &f.RecordType}} {
		if v := q.Get(p.name); v != "" {
			if !validName(v) {
				return f, errMalformed("badCode", l10n.Args{"Name": p.name})
			}
			*p.dst = v
		}
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
		day  time.Duration
	}{{"from", &f.From, 0}, {"to", &f.To, 24 * time.Hour}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			*p.dst = t
		} else if d, err := time.Parse(time.DateOnly, v); err == nil {
			*p.dst = d.Add(p.day)
		} else {
			return f, errMalformed("badTime", l10n.Args{"Name": p.name})
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, errMalformed("fromAfterTo")
	}
	return f, nil
}

// scope limits a filter to the reader's offices and record types. A limited reader that asks
// for an office (record type) outside its scope is refused (403 reader_office,
// reader_record_type): it knows its own scope, so this tells it nothing.
func scope(rd store.Reader, f *store.BatchFilter) *wire.Error {
	if len(rd.Offices) > 0 {
		if f.Office != "" && !slices.Contains(rd.Offices, f.Office) {
			return errReaderOffice
		}
		f.Offices = rd.Offices
	}
	if len(rd.RecordTypes) > 0 {
		if f.RecordType != "" && !slices.Contains(rd.RecordTypes, f.RecordType) {
			return errReaderRecordType
		}
		f.RecordTypes = rd.RecordTypes
	}
	return nil
}

// limited says whether rd has a scope.
func limited(rd store.Reader) bool { return len(rd.Offices) > 0 || len(rd.RecordTypes) > 0 }

// sees says whether rd may read batch b; any other batch is answered 404, as if it did not
// exist.
func sees(rd store.Reader, b store.Batch) bool {
	return (len(rd.Offices) == 0 || slices.Contains(rd.Offices, b.Office)) &&
		(len(rd.RecordTypes) == 0 || slices.Contains(rd.RecordTypes, b.RecordType))
}

func parseLimit(q url.Values) (int, *wire.Error) {
	v := q.Get("limit")
	if v == "" {
		return DefaultReadLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxReadLimit {
		return 0, errMalformed("badLimit", l10n.Args{"Max": MaxReadLimit})
	}
	return n, nil
}

// scopedFilter is the query's batch filter (parseFilter) limited to the reader's scope (scope):
// what every listing of committed data (batches, search, export) selects from.
func scopedFilter(q url.Values, rd store.Reader) (store.BatchFilter, *wire.Error) {
	f, e := parseFilter(q)
	if e == nil {
		e = scope(rd, &f)
	}
	return f, e
}

// listQuery reads what a paged listing (batches, search) shares: its filter (scopedFilter) and
// its page size (parseLimit), in that order, so a query with several faults is refused for the
// first of them.
func listQuery(q url.Values, rd store.Reader) (store.BatchFilter, int, *wire.Error) {
	f, e := scopedFilter(q, rd)
	if e != nil {
		return f, 0, e
	}
	limit, e := parseLimit(q)
	return f, limit, e
}

var errBadCursor = apiError(400, "bad_cursor", "sync.server.badCursor")

func (s *Server) readBatches(w http.ResponseWriter, r *http.Request, rd store.Reader) {
	q, e := readQuery(r, "office", "record_type", "file_code", "from", "to", "limit", "after")
	if e != nil {
		s.fail(w, e)
		return
	}
	f, limit, e := listQuery(q, rd)
	if e != nil {
		s.fail(w, e)
		return
	}
	after := q.Get("after")
	if after != "" {
		if _, err := wire.ParseBatchID(after); err != nil {
			s.fail(w, errBadCursor)
			return
		}
	}
	list, err := s.cfg.Store.CommittedBatches(r.Context(), f, after, limit+1)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, errBadCursor)
		return
	}
	if err != nil {
		s.internal(w, "list batches", err)
		return
	}
	out := ReadBatchList{Batches: []ReadBatch{}}
	if len(list) > limit {
		list = list[:limit]
		out.Next = list[limit-1].ID
	}
	for _, b := range list {
		out.Batches = append(out.Batches, ReadBatch{ID: b.ID, WorkstationID: b.WorkstationID, Office: b.Office,
			RecordType: b.RecordType, Seq: b.Seq, CommittedAt: b.CommittedAt, Documents: b.Documents, FileCode: b.FileCode})
	}
	writeJSON(w, 200, out)
}

func (s *Server) readBatch(w http.ResponseWriter, r *http.Request, rd store.Reader) {
	if _, e := readQuery(r); e != nil {
		s.fail(w, e)
		return
	}
	id, err := wire.ParseBatchID(r.PathValue("id"))
	if err != nil {
		s.fail(w, errBadBatchID)
		return
	}
	b, err := s.cfg.Store.Batch(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || err == nil && (!b.Committed || !sees(rd, b)) {
		s.fail(w, errNotFound) // a pending batch is not data yet; another office's is not the reader's
		return
	}
	if err != nil {
		s.internal(w, "read batch", err)
		return
	}
	docs, err := s.cfg.Store.Documents(r.Context(), id)
	if err != nil {
		s.internal(w, "read documents", err)
		return
	}
	out := ReadBatchDetail{ReadBatch: ReadBatch{ID: b.ID, WorkstationID: b.WorkstationID, Office: b.Office, RecordType: b.RecordType,
		Seq: b.Seq, CommittedAt: *b.CommittedAt, Documents: len(docs), FileCode: b.FileCode}, DocumentList: []ReadDocument{},
		Receipt: json.RawMessage(b.Receipt), Manifest: json.RawMessage(b.Manifest), Archive: s.archiveFile(id, b.Archive)}
	// The documents' own archive data is in the signed manifest (verified when it came).
	var man wire.Manifest
	docArchive := map[string]*archive.Document{}
	if out.Archive != nil && json.Unmarshal(b.Manifest, &man) == nil {
		for _, d := range man.Documents {
			docArchive[d.ID] = d.Archive
		}
	}
	values := 0
	for _, d := range docs {
		fields, err := s.openFields(id, d.ID, d.Fields)
		if err != nil {
			s.fail(w, errFieldIntegrity)
			return
		}
		values += len(fields)
		out.DocumentList = append(out.DocumentList, ReadDocument{ID: d.ID, PDFSHA256: d.PDFSHA256, PDFSize: d.PDFSize,
			Pages: append([]string{}, d.Pages...), PDF: pdfPath(id, d.ID), Fields: fields, Archive: docArchive[d.ID]})
	}
	s.logFieldRead(rd, "batch", nil, len(docs), values)
	writeJSON(w, 200, out)
}

func (s *Server) readPDF(w http.ResponseWriter, r *http.Request, rd store.Reader) {
	if _, e := readQuery(r); e != nil {
		s.fail(w, e)
		return
	}
	id, err := wire.ParseBatchID(r.PathValue("batch"))
	if err != nil {
		s.fail(w, errBadBatchID)
		return
	}
	docID := r.PathValue("doc")
	if !validName(docID) {
		s.fail(w, errNotFound)
		return
	}
	if limited(rd) {
		b, err := s.cfg.Store.Batch(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) || err == nil && !sees(rd, b) {
			s.fail(w, errNotFound)
			return
		}
		if err != nil {
			s.internal(w, "read batch", err)
			return
		}
	}
	d, err := s.cfg.Store.Document(r.Context(), id, docID)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, errNotFound)
		return
	}
	if err != nil {
		s.internal(w, "read document", err)
		return
	}
	rc, err := s.cfg.Blobs.Open(r.Context(), d.PDFSHA256)
	if err != nil {
		// A committed document whose blob is gone is a server fault, never the reader's.
		s.internal(w, "open PDF blob", err)
		return
	}
	defer rc.Close()
	s.log.Info("reader fetched a PDF", "reader", rd.ID, "batch", id, "document", docID)
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", `attachment; filename="`+docID+`.pdf"`)
	h.Set("ETag", `"`+d.PDFSHA256+`"`)
	h.Set("X-Content-SHA256", d.PDFSHA256)
	h.Set("Cache-Control", "private, max-age=31536000, immutable") // content-addressed: never changes
	if rs, ok := rc.(io.ReadSeeker); ok {
		http.ServeContent(w, r, "", time.Time{}, rs) // ranges, If-None-Match
		return
	}
	h.Set("Content-Length", strconv.FormatInt(d.PDFSize, 10))
	w.WriteHeader(200)
	if r.Method != http.MethodHead {
		if _, err := io.Copy(w, rc); err != nil {
			s.log.Warn("PDF stream cut", "reader", rd.ID, "batch", id, "document", docID, "err", err)
		}
	}
}

// parseDocCursor reads after= of a search: "batch_id/document_id".
func parseDocCursor(v string) (*store.DocCursor, bool) {
	if v == "" {
		return nil, true
	}
	b, d, ok := strings.Cut(v, "/")
	if _, err := wire.ParseBatchID(b); !ok || err != nil || !validName(d) {
		return nil, false
	}
	return &store.DocCursor{BatchID: b, DocID: d}, true
}

// parseDateMatch reads date_field=, date_from= and date_to= (the record's own dates): nil
// without them. A date is YYYY-MM-DD or dd/mm/yyyy; both ends are included, and a missing end
// is open (the years 1-9999).
func (s *Server) parseDateMatch(q url.Values) (*store.DateMatch, *wire.Error) {
	if !q.Has("date_field") && !q.Has("date_from") && !q.Has("date_to") {
		return nil, nil
	}
	key := q.Get("date_field")
	if !validName(key) {
		return nil, errMalformed("badCode", l10n.Args{"Name": "date_field"})
	}
	if q.Get("date_from") == "" && q.Get("date_to") == "" {
		return nil, errMalformed("dateNeeds")
	}
	from, to := minDate, maxDate
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"date_from", &from}, {"date_to", &to}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		t, ok := ParseRecordDate(v)
		if !ok {
			return nil, errMalformed("badDate", l10n.Args{"Name": p.name})
		}
		*p.dst = t
	}
	if from.After(to) {
		return nil, errMalformed("dateFromAfterTo")
	}
	if !s.DatesIndexed() {
		// Some stored values have no date index yet: an answer now would silently miss them.
		return nil, errDatesIndexing
	}
	return &store.DateMatch{Key: key, Indexes: s.fields.DateRange(key, from, to)}, nil
}

// Longest doc_number= and doc_symbol= (the circular's number and symbol are short codes).
const maxDocText = 50

// docCodeRe is the shape of a document identifier: an archive file code, a dot and the
// document's order (internal/archive), 1-80 characters.
var docCodeRe = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._/-]{0,79}$`)

// parseDocFilter reads the document-level archive filters: doc_code= (the document's
// identifier, exact after NFC), doc_number= and doc_symbol= (its number and symbol, exact
// once normalised as store.DocArchiveKeys does: NFC, spaces collapsed, case ignored) and
// doc_date_from=/doc_date_to= (its date, both ends included, YYYY-MM-DD or dd/mm/yyyy). Only
// its Doc, DocDateFrom and DocDateTo are set; zero without them.
func parseDocFilter(q url.Values) (store.DocumentFilter, *wire.Error) {
	var f store.DocumentFilter
	code := q.Get("doc_code")
	if q.Has("doc_code") && (!utf8.ValidString(code) || !docCodeRe.MatchString(norm.NFC.String(code))) {
		return f, errMalformed("badDocCode")
	}
	for _, name := range []string{"doc_number", "doc_symbol"} {
		if v := q.Get(name); q.Has(name) && (!utf8.ValidString(v) || strings.TrimSpace(v) == "" || utf8.RuneCountInString(v) > maxDocText) {
			return f, errMalformed("badDocText", l10n.Args{"Name": name, "Max": maxDocText})
		}
	}
	f.Doc = store.DocArchiveKeys(code, q.Get("doc_number"), q.Get("doc_symbol"), "")
	for _, p := range []struct {
		name string
		dst  *string
	}{{"doc_date_from", &f.DocDateFrom}, {"doc_date_to", &f.DocDateTo}} {
		if !q.Has(p.name) {
			continue
		}
		t, ok := ParseRecordDate(q.Get(p.name))
		if !ok {
			return f, errMalformed("badDate", l10n.Args{"Name": p.name})
		}
		*p.dst = t.Format(time.DateOnly)
	}
	if f.DocDateFrom != "" && f.DocDateTo != "" && f.DocDateFrom > f.DocDateTo {
		return f, errMalformed("docDateFromAfterTo")
	}
	return f, nil
}

// parseRecordFilter reads the filters on the documents' own data that search and export share:
// the record's dates (parseDateMatch), then the document-level archive filters
// (parseDocFilter). Only its Date, Doc, DocDateFrom and DocDateTo are set.
func (s *Server) parseRecordFilter(q url.Values) (store.DocumentFilter, *wire.Error) {
	dates, e := s.parseDateMatch(q)
	if e != nil {
		return store.DocumentFilter{}, e
	}
	f, e := parseDocFilter(q)
	f.Date = dates
	return f, e
}

// parseFieldMatch reads field=, value= and fold= of a search: nil without them.
func (s *Server) parseFieldMatch(q url.Values) (*store.FieldMatch, *wire.Error) {
	if !q.Has("field") && !q.Has("value") && !q.Has("fold") {
		return nil, nil
	}
	key, value, fold := q.Get("field"), q.Get("value"), q.Get("fold")
	folded := fold == "1"
	if !validName(key) || !utf8.ValidString(value) || utf8.RuneCountInString(value) > MaxSearchQuery || fold != "" && fold != "0" && !folded {
		return nil, errMalformed("badField", l10n.Args{"Max": MaxSearchQuery})
	}
	idx := s.fields.Index(key, value, folded)
	if idx == "" { // nothing left once normalised
		return nil, errMalformed("badField", l10n.Args{"Max": MaxSearchQuery})
	}
	return &store.FieldMatch{Key: key, Index: idx, Folded: folded}, nil
}

func (s *Server) readSearch(w http.ResponseWriter, r *http.Request, rd store.Reader) {
	q, e := readQuery(r, "q", "field", "value", "fold", "date_field", "date_from", "date_to", "office", "record_type", "file_code",
		"doc_code", "doc_number", "doc_symbol", "doc_date_from", "doc_date_to", "from", "to", "limit", "after")
	if e != nil {
		s.fail(w, e)
		return
	}
	match, e := s.parseFieldMatch(q)
	if e != nil {
		s.fail(w, e)
		return
	}
	df, e := s.parseRecordFilter(q)
	if e != nil {
		s.fail(w, e)
		return
	}
	text := strings.TrimSpace(q.Get("q"))
	byDoc := df.Doc != (store.DocArchive{}) || df.DocDateFrom != "" || df.DocDateTo != ""
	if match == nil && df.Date == nil && !byDoc && !q.Has("q") {
		s.fail(w, errMalformed("searchNeeds"))
		return
	}
	if (match == nil && df.Date == nil && !byDoc || q.Has("q")) && (text == "" || !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxSearchQuery) {
		s.fail(w, errMalformed("badQuery", l10n.Args{"Max": MaxSearchQuery}))
		return
	}
	f, limit, e := listQuery(q, rd)
	if e != nil {
		s.fail(w, e)
		return
	}
	after, ok := parseDocCursor(q.Get("after"))
	if !ok {
		s.fail(w, errBadCursor)
		return
	}
	df.BatchFilter, df.Query, df.Field = f, text, match
	rows, err := s.cfg.Store.DocumentRows(r.Context(), df, after, true, limit+1)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, errBadCursor)
		return
	}
	if err != nil {
		s.internal(w, "search", err)
		return
	}
	out := ReadSearch{Results: []ReadRow{}}
	if len(rows) > limit {
		rows = rows[:limit]
		out.Next = rows[limit-1].BatchID + "/" + rows[limit-1].DocID
	}
	values := 0
	for _, d := range rows {
		row, err := s.readRow(d)
		if err != nil {
			s.fail(w, errFieldIntegrity)
			return
		}
		values += len(row.Fields)
		out.Results = append(out.Results, row)
	}
	s.logFieldRead(rd, "search", q, len(out.Results), values)
	writeJSON(w, 200, out)
}

// ExportColumns are the CSV export's first columns, in order (the JSON export uses the same
// names). The field values follow: with record_type= one column per field key of that record
// type (FieldColumn), without it one column, "fields", holding them as a JSON object; then
// ArchiveColumns.
var ExportColumns = []string{"batch_id", "workstation_id", "office", "record_type", "seq", "committed_at",
	"document_id", "pdf_sha256", "pdf_size", "pages", "pdf"}

// ArchiveColumns are the CSV export's last columns, after the field values: the batch's
// archive file (Circular 05/2025), empty for a batch that is not one (archiveColumns).
var ArchiveColumns = archiveColumnNames()

// archiveColumns are the CSV export's columns of the batch's archive file (Circular 05/2025),
// empty for a batch that is not one. Keywords are joined with "; ".
var archiveColumns = []struct {
	name string
	cell func(*archive.File) string
}{
	{"file_code", func(a *archive.File) string { return a.FileCode }},
	{"file_title", func(a *archive.File) string { return a.Title }},
	{"file_retention", func(a *archive.File) string { return a.Retention }},
	{"file_access_level", func(a *archive.File) string { return a.AccessLevel }},
	{"file_language", func(a *archive.File) string { return a.Language }},
	{"file_start_date", func(a *archive.File) string { return a.StartDate }},
	{"file_end_date", func(a *archive.File) string { return a.EndDate }},
	{"file_keywords", func(a *archive.File) string { return strings.Join(a.Keywords, "; ") }},
	{"file_documents", func(a *archive.File) string { return countCell(a.Documents) }},
	{"file_sheets", func(a *archive.File) string { return countCell(a.Sheets) }},
	{"file_pages", func(a *archive.File) string { return countCell(a.Pages) }},
	{"file_physical_condition", func(a *archive.File) string { return a.PhysicalCondition }},
	{"file_info_symbol", func(a *archive.File) string { return a.InfoSymbol }},
	{"file_reliability", func(a *archive.File) string { return a.Reliability }},
	{"file_paper_file_code", func(a *archive.File) string { return a.PaperFileCode }},
	{"file_backup_regime", func(a *archive.File) string { return a.BackupRegime }},
	{"file_backup_status", func(a *archive.File) string { return a.BackupStatus }},
}

func archiveColumnNames() []string {
	out := make([]string, len(archiveColumns))
	for i, c := range archiveColumns {
		out[i] = c.name
	}
	return out
}

// countCell is a count's cell: "" for zero (not given).
func countCell(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// archiveCells are the archive columns of one row (the file code alone when the stored object
// is missing).
func archiveCells(code string, a *archive.File) []string {
	out := make([]string, len(archiveColumns))
	if a == nil {
		a = &archive.File{FileCode: code}
	}
	for i, c := range archiveColumns {
		out[i] = c.cell(a)
	}
	return out
}

// FieldsColumn is the CSV export's last column when no record_type= is given.
const FieldsColumn = "fields"

// FieldColumn is the CSV column of field key: the key itself, or "field:" and the key when
// the key is also the name of one of ExportColumns or ArchiveColumns.
func FieldColumn(key string) string {
	if slices.Contains(ExportColumns, key) || slices.Contains(ArchiveColumns, key) {
		return "field:" + key
	}
	return key
}

// readExport streams one row per committed document, oldest first, as a JSON array or CSV. It
// reads the store a page at a time, so no query stays open while the client reads. If the
// stream fails half-way the connection is cut without the final chunk, so a client can never
// take a truncated export for a complete one: so it is when a field value fails its integrity
// check after the first page (in the first page it is answered 500 field_integrity), or when
// a document committed during the export has a field key its CSV header lacks.
func (s *Server) readExport(w http.ResponseWriter, r *http.Request, rd store.Reader) {
	q, e := readQuery(r, "format", "office", "record_type", "file_code", "from", "to", "date_field", "date_from", "date_to",
		"doc_code", "doc_number", "doc_symbol", "doc_date_from", "doc_date_to")
	if e != nil {
		s.fail(w, e)
		return
	}
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		s.fail(w, errMalformed("badFormat"))
		return
	}
	f, e := scopedFilter(q, rd)
	if e != nil {
		s.fail(w, e)
		return
	}
	df, e := s.parseRecordFilter(q)
	if e != nil {
		s.fail(w, e)
		return
	}
	df.BatchFilter = f
	ctx := r.Context()
	// The CSV columns of the record type's fields are known before the first row.
	var keys []string
	if format == "csv" && f.RecordType != "" {
		var err error
		if keys, err = s.cfg.Store.FieldKeys(ctx, f); err != nil {
			s.internal(w, "export field keys", err)
			return
		}
	}
	rows, err := s.cfg.Store.DocumentRows(ctx, df, nil, false, exportPage)
	if err != nil {
		s.internal(w, "export", err)
		return
	}
	page, err := s.readRows(rows)
	if err != nil {
		s.fail(w, errFieldIntegrity)
		return
	}
	s.log.Info("reader export", "reader", rd.ID, "format", format, "office", f.Office, "record_type", f.RecordType)
	h := w.Header()
	h.Set("Content-Disposition", `attachment; filename="sohoa-export.`+format+`"`)
	h.Set("Cache-Control", "no-store")
	var cw *csv.Writer
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		w.WriteHeader(200)
		cw = csv.NewWriter(w)
		head := slices.Clone(ExportColumns)
		if f.RecordType != "" {
			for _, k := range keys {
				head = append(head, FieldColumn(k))
			}
		} else {
			head = append(head, FieldsColumn)
		}
		cw.Write(append(head, ArchiveColumns...))
	} else {
		h.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(200)
		io.WriteString(w, "[")
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n, values := 0, 0
	cut := func(msg string, args ...any) {
		s.logFieldRead(rd, "export", q, n, values)
		s.log.Error(msg, append([]any{"reader", rd.ID, "rows", n}, args...)...)
		panic(http.ErrAbortHandler)
	}
	for {
		for _, row := range page {
			if cw != nil {
				rec := []string{row.BatchID, row.WorkstationID, row.Office, row.RecordType, strconv.FormatInt(row.Seq, 10),
					row.CommittedAt.Format(time.RFC3339Nano), row.DocumentID, row.PDFSHA256, strconv.FormatInt(row.PDFSize, 10),
					strconv.Itoa(row.Pages), row.PDF}
				if f.RecordType != "" {
					for _, k := range keys {
						rec = append(rec, row.Fields[k])
					}
					if len(row.Fields) > 0 && !hasAll(keys, row.Fields) {
						cut("export cut: a document committed during the export has a field key the CSV header lacks", "batch", row.BatchID, "document", row.DocumentID)
					}
				} else {
					js, _ := json.Marshal(row.Fields)
					rec = append(rec, string(js))
				}
				cw.Write(append(rec, archiveCells(row.FileCode, row.Archive)...))
			} else {
				if n > 0 {
					io.WriteString(w, ",")
				}
				if err := enc.Encode(row); err != nil {
					panic(http.ErrAbortHandler) // the client went away
				}
			}
			n++
			values += len(row.Fields)
		}
		if cw != nil {
			cw.Flush()
			if cw.Error() != nil {
				panic(http.ErrAbortHandler)
			}
		}
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		if len(rows) < exportPage {
			break
		}
		last := rows[len(rows)-1]
		rows, err = s.cfg.Store.DocumentRows(ctx, df, &store.DocCursor{BatchID: last.BatchID, DocID: last.DocID}, false, exportPage)
		if err != nil {
			cut("export cut", "err", err)
		}
		if page, err = s.readRows(rows); err != nil {
			cut("export cut: a field value fails its integrity check")
		}
	}
	if cw == nil {
		io.WriteString(w, "]\n")
	}
	s.logFieldRead(rd, "export", q, n, values)
}

// readRows is readRow of each.
func (s *Server) readRows(rows []store.DocumentRow) ([]ReadRow, error) {
	out := make([]ReadRow, len(rows))
	for i, d := range rows {
		var err error
		if out[i], err = s.readRow(d); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// hasAll says whether every key of fields is in keys.
func hasAll(keys []string, fields map[string]string) bool {
	for k := range fields {
		if !slices.Contains(keys, k) {
			return false
		}
	}
	return true
}
