package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/wire"
)

// stagingName names ws's partial upload of sum. ws.ID is server-made ([a-z0-9-]) and sum is
// validated hex: the name is a plain file name.
func stagingName(ws store.Workstation, sum string) string { return ws.ID + "." + sum }

// Blobs belong to offices (sync/PROTOCOL.md "Blobs belong to offices"). The blob store keeps
// one copy of each content, whoever sent it, but a workstation is told "stored" only for blobs
// its own office holds: blobs one of the office's workstations sent in full, hash checked.
// For any other blob HEAD answers 404 exactly as for an absent one, a PUT reads and hashes the
// whole body (so the sender proves it has every byte) and answers 201 as for a new blob, and
// the manifest's missing list and commit count it as missing. So nobody learns whether another
// office holds some content (a hash of a known record), nor commits content only another
// office sent, while storage is still saved: the second upload replaces the file with the same
// bytes (the same work as a first upload, so its timing tells nothing either).

// officeHolds returns the blob's size when office holds it and the blob store has it.
func (s *Server) officeHolds(ctx context.Context, office, sum string) (int64, bool, error) {
	held, err := s.cfg.Store.OfficeBlobs(ctx, office, []string{sum})
	if err != nil || !held[sum] {
		return 0, false, err
	}
	n, err := s.cfg.Blobs.Size(ctx, sum)
	if errors.Is(err, store.ErrNotFound) {
		return 0, false, nil // recorded but lost from the blob store: it must be sent again
	}
	if err != nil {
		return 0, false, err
	}
	return n, true, nil
}

// answerHeld answers a PUT of sum (whole or a chunk) with 200 "stored" when ws's office holds
// the blob already, so nothing more of it is read or kept. It reports whether it answered,
// which it also does (500) when the check fails.
func (s *Server) answerHeld(w http.ResponseWriter, r *http.Request, ws store.Workstation, sum string) bool {
	n, ok, err := s.officeHolds(r.Context(), ws.Office, sum)
	if err != nil {
		s.internal(w, "put blob", err)
		return true
	}
	if ok {
		s.metrics.blobsExisting.Add(1)
		writeJSON(w, 200, wire.BlobAnswer{SHA256: sum, Size: n, Stored: true})
	}
	return ok
}

// stored records that ws's office holds a blob just made durable (blob, then row) and answers
// 201.
func (s *Server) stored(w http.ResponseWriter, r *http.Request, ws store.Workstation, sum string, size int64) {
	if err := s.cfg.Store.AddOfficeBlob(r.Context(), ws.Office, sum); err != nil {
		s.internal(w, "record office blob", err)
		return
	}
	s.metrics.blobsStored.Add(1)
	s.metrics.blobBytes.Add(size)
	writeJSON(w, 201, wire.BlobAnswer{SHA256: sum, Size: size, Stored: true})
}

func (s *Server) headBlob(w http.ResponseWriter, r *http.Request, ws store.Workstation) {
	sum, err := wire.ParseBlobName(r.PathValue("sha"))
	if err != nil {
		s.fail(w, errBadBlobName)
		return
	}
	n, ok, err := s.officeHolds(r.Context(), ws.Office, sum)
	if err != nil {
		s.internal(w, "head blob", err)
		return
	}
	if ok {
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		w.WriteHeader(200)
		return
	}
	if n, err := s.stage.Staged(r.Context(), stagingName(ws, sum)); err == nil && n > 0 {
		w.Header().Set("Upload-Offset", strconv.FormatInt(n, 10))
	}
	s.fail(w, errNotFound)
}

func (s *Server) blobError(w http.ResponseWriter, err error) {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, store.ErrHashMismatch):
		s.metrics.mismatch.Add(1)
		s.fail(w, errHashMismatch)
	case errors.Is(err, store.ErrTooLarge), errors.As(err, &mbe):
		s.fail(w, errTooLarge)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		s.fail(w, errMalformed("bodyShort"))
	case errors.Is(err, errSlowTransfer):
		// guard cuts the connection without an answer; nothing to log here
		s.fail(w, errMalformed("bodySlow"))
	default:
		s.internal(w, "put blob", err)
	}
}

func (s *Server) putBlob(w http.ResponseWriter, r *http.Request, ws store.Workstation) {
	sum, err := wire.ParseBlobName(r.PathValue("sha"))
	if err != nil {
		s.fail(w, errBadBlobName)
		return
	}
	if cr := r.Header.Get("Content-Range"); cr != "" {
		s.putChunk(w, r, ws, sum, cr)
		return
	}
	if r.ContentLength > s.cfg.MaxBlobSize {
		s.fail(w, errTooLarge)
		return
	}
	if s.answerHeld(w, r, ws, sum) {
		return
	}
	// When the connection breaks half-way, the bytes received become the blob's partial
	// upload: HEAD reports them and a ranged PUT (putChunk) continues from there instead of the
	// client sending it all again. The blob store keeps them (its temp file, renamed) so the
	// body is written once. A partial already held is left alone: this PUT must not shorten it.
	name := stagingName(ws, sum)
	locked := false
	if _, loaded := s.busy.LoadOrStore(name, struct{}{}); !loaded {
		locked = true
		defer s.busy.Delete(name)
	}
	var n int64
	pk, keeps := s.cfg.Blobs.(store.PartialKeeper)
	ls, local := s.stage.(*store.LocalStaging)
	if keeps && local && locked && !s.holdsPartial(r.Context(), name) && s.partialRoom(r.Context(), ws) {
		n, err = pk.PutKeepPartial(r.Context(), sum, r.Body, s.cfg.MaxBlobSize, ls.Path(name))
	} else {
		n, err = s.cfg.Blobs.Put(r.Context(), sum, r.Body, s.cfg.MaxBlobSize)
	}
	if err != nil {
		s.blobError(w, err)
		return
	}
	if locked {
		s.stage.Unstage(r.Context(), name) // the blob is stored: a partial upload of it is of no use any more
	}
	s.stored(w, r, ws, sum, n)
}

// holdsPartial says whether a partial upload with some bytes is staged under name.
func (s *Server) holdsPartial(ctx context.Context, name string) bool {
	n, err := s.stage.Staged(ctx, name)
	return err != nil || n > 0
}

// parseContentRange reads "bytes START-END/TOTAL".
func parseContentRange(h string, max int64) (start, end, total int64, ok bool) {
	rest, found := strings.CutPrefix(h, "bytes ")
	if !found {
		return
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return
	}
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return
	}
	var err1, err2, err3 error
	start, err1 = strconv.ParseInt(a, 10, 64)
	end, err2 = strconv.ParseInt(b, 10, 64)
	total, err3 = strconv.ParseInt(tot, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || start < 0 || end < start || total <= end || total > max {
		return 0, 0, 0, false
	}
	return start, end, total, true
}

// putChunk appends one chunk of a resumable upload to uploads/<workstation>.<sha256>; the
// last chunk moves the whole file into the blob store, which checks the hash.
func (s *Server) putChunk(w http.ResponseWriter, r *http.Request, ws store.Workstation, sum, cr string) {
	start, end, total, ok := parseContentRange(cr, s.cfg.MaxBlobSize)
	if !ok {
		if _, _, t, _ := parseContentRange(cr, 1<<62); t > s.cfg.MaxBlobSize {
			s.fail(w, errTooLarge)
			return
		}
		s.fail(w, errBadRange)
		return
	}
	if s.answerHeld(w, r, ws, sum) {
		return
	}
	name := stagingName(ws, sum)
	if _, loaded := s.busy.LoadOrStore(name, struct{}{}); loaded {
		s.fail(w, errUploadBusy)
		return
	}
	defer s.busy.Delete(name)
	offset, err := s.stage.Staged(r.Context(), name)
	if err != nil {
		s.internal(w, "staging", err)
		return
	}
	if offset == 0 && !s.partialRoom(r.Context(), ws) {
		w.Header().Set("Retry-After", partialRetryAfter)
		s.fail(w, errPartialQuota)
		return
	}
	if offset == total {
		// Every byte was staged but the server stopped before moving them into the blob
		// store (killed, or the answer was lost): finish it now, whatever this chunk holds.
		s.finishChunked(w, r, ws, name, sum)
		return
	}
	if start != offset {
		w.Header().Set("Upload-Offset", strconv.FormatInt(offset, 10))
		s.fail(w, errUploadOffset())
		return
	}
	// Keep whatever arrives, even if the connection breaks: the client resumes from there.
	n, copyErr := s.stage.Stage(r.Context(), name, offset, io.LimitReader(r.Body, end-start+1))
	if errors.Is(copyErr, store.ErrStagedOffset) { // another server appended meanwhile
		if o, err := s.stage.Staged(r.Context(), name); err == nil {
			w.Header().Set("Upload-Offset", strconv.FormatInt(o, 10))
		}
		s.fail(w, errUploadOffset())
		return
	}
	offset += n
	w.Header().Set("Upload-Offset", strconv.FormatInt(offset, 10))
	if errors.Is(copyErr, store.ErrStagingFailed) {
		s.internal(w, "staging", copyErr)
		return
	}
	if copyErr != nil || offset != end+1 {
		s.fail(w, errMalformed("chunkShort"))
		return
	}
	if offset < total {
		writeJSON(w, 202, wire.BlobAnswer{SHA256: sum, Offset: offset})
		return
	}
	s.finishChunked(w, r, ws, name, sum)
}

// finishChunked moves a complete staged upload into the blob store, which checks its hash.
func (s *Server) finishChunked(w http.ResponseWriter, r *http.Request, ws store.Workstation, name, sum string) {
	rf, err := s.stage.OpenStaged(r.Context(), name)
	if err != nil {
		s.internal(w, "staging file", err)
		return
	}
	size, err := s.cfg.Blobs.Put(r.Context(), sum, rf, s.cfg.MaxBlobSize)
	rf.Close()
	if err == nil || errors.Is(err, store.ErrHashMismatch) || errors.Is(err, store.ErrTooLarge) {
		s.stage.Unstage(r.Context(), name) // a mismatch restarts the upload from zero
	}
	if err != nil {
		w.Header().Del("Upload-Offset")
		s.blobError(w, err)
		return
	}
	s.stored(w, r, ws, sum, size)
}

// missing lists the manifest's blobs that office does not hold (or that the blob store lost).
func (s *Server) missing(ctx context.Context, office string, m *wire.Manifest) ([]string, error) {
	sums := m.Blobs()
	held, err := s.cfg.Store.OfficeBlobs(ctx, office, sums)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, h := range sums {
		if held[h] {
			ok, err := s.cfg.Blobs.Has(ctx, h)
			if err != nil {
				return nil, err
			}
			if ok {
				continue
			}
		}
		out = append(out, h)
	}
	return out, nil
}

func (s *Server) putManifest(w http.ResponseWriter, r *http.Request, ws store.Workstation) {
	id, err := wire.ParseBatchID(r.PathValue("id"))
	if err != nil {
		s.fail(w, errBadBatchID)
		return
	}
	if r.ContentLength > wire.MaxManifestBytes {
		s.fail(w, errTooLarge)
		return
	}
	m, raw, err := wire.DecodeManifest(http.MaxBytesReader(w, r.Body, wire.MaxManifestBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.fail(w, errTooLarge)
		return
	}
	if err != nil {
		s.fail(w, apiError(400, "bad_manifest", "sync.server.badManifest", l10n.Args{"Detail": err.Error()}))
		return
	}
	switch {
	case m.BatchID != id:
		s.fail(w, errMalformed("batchIDPath"))
		return
	case m.WorkstationID != ws.ID:
		s.fail(w, errWrongWorkstation)
		return
	case m.Office != ws.Office:
		s.fail(w, errWrongOffice)
		return
	}
	if err := s.verifier.VerifyManifest(r.Context(), raw, m); err != nil {
		s.fail(w, errVerification(err))
		return
	}
	sha := sha256.Sum256(raw)
	nb := store.Batch{ID: id, WorkstationID: ws.ID, Office: ws.Office, Seq: m.Seq,
		RecordType: m.RecordType, Manifest: raw, ManifestSHA256: hex.EncodeToString(sha[:])}
	if m.Archive != nil { // the signed manifest's archive file (verified above), kept for the read API
		nb.FileCode = norm.NFC.String(m.Archive.FileCode) // as file_code= is compared
		if nb.Archive, err = json.Marshal(m.Archive); err != nil {
			s.internal(w, "put manifest", err)
			return
		}
	}
	err = s.cfg.Store.PutManifest(r.Context(), nb)
	if errors.Is(err, store.ErrConflict) {
		s.fail(w, errBatchConflict)
		return
	}
	if err != nil {
		s.internal(w, "put manifest", err)
		return
	}
	b, err := s.cfg.Store.Batch(r.Context(), id)
	if err != nil {
		s.internal(w, "read batch", err)
		return
	}
	miss, err := s.missing(r.Context(), ws.Office, m)
	if err != nil {
		s.internal(w, "check blobs", err)
		return
	}
	s.metrics.manifests.Add(1)
	writeJSON(w, 200, wire.ManifestAnswer{BatchID: id, Missing: miss, Committed: b.Committed})
}

func (s *Server) writeReceipt(w http.ResponseWriter, receipt []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(200)
	w.Write(receipt)
}

func (s *Server) commit(w http.ResponseWriter, r *http.Request, ws store.Workstation) {
	id, err := wire.ParseBatchID(r.PathValue("id"))
	if err != nil {
		s.fail(w, errBadBatchID)
		return
	}
	b, err := s.cfg.Store.Batch(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, apiError(404, "batch_unknown", "sync.server.batchUnknown"))
		return
	}
	if err != nil {
		s.internal(w, "read batch", err)
		return
	}
	if b.WorkstationID != ws.ID {
		s.fail(w, errWrongWorkstation)
		return
	}
	if b.Committed {
		s.metrics.commitsRepeated.Add(1)
		s.writeReceipt(w, b.Receipt)
		return
	}
	m, raw, err := wire.DecodeManifest(bytes.NewReader(b.Manifest))
	if err != nil {
		s.internal(w, "stored manifest", err)
		return
	}
	miss, err := s.missing(r.Context(), ws.Office, m)
	if err != nil {
		s.internal(w, "check blobs", err)
		return
	}
	if len(miss) > 0 {
		s.fail(w, errMissingBlobs(miss))
		return
	}
	fields, e := s.verifyBatch(r, raw, m)
	if e != nil {
		s.fail(w, e)
		return
	}
	now := s.cfg.Now().UTC().Truncate(1e9)
	signed, err := wire.SignReceipt(s.cfg.Key, wire.Receipt{Version: wire.Version, BatchID: id, WorkstationID: ws.ID, Office: ws.Office,
		Seq: m.Seq, ManifestSHA256: b.ManifestSHA256, Documents: len(m.Documents), Blobs: len(m.Blobs()), CommittedAt: now,
		AuditHead: m.AuditHead})
	if err != nil {
		s.internal(w, "sign receipt", err)
		return
	}
	docs := make([]store.Document, len(m.Documents))
	for i, d := range m.Documents {
		docs[i] = store.Document{BatchID: id, ID: d.ID, PDFSHA256: d.PDFSHA256, PDFSize: d.PDFSize, Fields: fields[i]}
		if a := d.Archive; a != nil {
			docs[i].Archive = store.DocArchiveKeys(a.ID, a.Number, a.Symbol, a.Date)
		}
		for _, p := range d.Pages {
			docs[i].Pages = append(docs[i].Pages, p.SHA256)
		}
	}
	rec, first, err := s.cfg.Store.CommitBatch(r.Context(), store.Commit{BatchID: id, WorkstationID: ws.ID, Seq: m.Seq,
		Documents: docs, Receipt: signed, CommittedAt: now})
	switch {
	case errors.Is(err, store.ErrConflict):
		s.fail(w, errBatchConflict)
		return
	case err != nil:
		s.internal(w, "commit", err)
		return
	}
	if first {
		s.metrics.commits.Add(1)
		s.log.Info("batch committed", "batch", id, "workstation", ws.ID, "seq", m.Seq, "documents", len(docs))
	} else {
		s.metrics.commitsRepeated.Add(1)
	}
	s.writeReceipt(w, rec)
}

// verifyBatch re-reads every blob of the batch: PDFs through the Verifier, pages by hash and
// size (so a damaged blob store is caught before a receipt promises the data). From each PDF
// the Verifier accepted it takes the record.json's field values, sealed (record.go): the
// bytes read once are those verified and those whose fields are stored. It returns them in
// the manifest's document order.
func (s *Server) verifyBatch(r *http.Request, raw []byte, m *wire.Manifest) ([][]store.Field, *wire.Error) {
	ctx := r.Context()
	if err := s.verifier.VerifyManifest(ctx, raw, m); err != nil {
		return nil, errVerification(err)
	}
	fields := make([][]store.Field, len(m.Documents))
	for i, d := range m.Documents {
		rc, err := s.cfg.Blobs.Open(ctx, d.PDFSHA256)
		if err != nil {
			return nil, errVerification(l10n.New("sync.server.verify.pdfUnreadable", l10n.Args{"Doc": d.ID}))
		}
		// One byte more than the manifest says, so the Verifier sees a blob that grew.
		pdf, err := io.ReadAll(io.LimitReader(rc, min(d.PDFSize, s.cfg.MaxBlobSize)+1))
		rc.Close()
		if err != nil {
			return nil, errVerification(l10n.New("sync.server.verify.pdfUnreadable", l10n.Args{"Doc": d.ID}))
		}
		if err := s.verifier.VerifyPDF(ctx, m, d, bytes.NewReader(pdf)); err != nil {
			return nil, errVerification(err)
		}
		if fields[i], err = s.recordFields(ctx, m, d, pdf); err != nil {
			return nil, errVerification(err)
		}
	}
	seen := map[string]bool{}
	for _, d := range m.Documents {
		for j, p := range d.Pages {
			if seen[p.SHA256] {
				continue
			}
			seen[p.SHA256] = true
			rc, err := s.cfg.Blobs.Open(ctx, p.SHA256)
			if err != nil {
				return nil, errVerification(l10n.New("sync.server.verify.pageUnreadable", l10n.Args{"Page": j + 1, "Doc": d.ID}))
			}
			h := sha256.New()
			n, err := io.Copy(h, rc)
			rc.Close()
			if err != nil || n != p.Size || hex.EncodeToString(h.Sum(nil)) != p.SHA256 {
				return nil, errVerification(l10n.New("sync.server.verify.pageMismatch", l10n.Args{"Page": j + 1, "Doc": d.ID}))
			}
		}
	}
	return fields, nil
}
