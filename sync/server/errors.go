package server

import (
	"encoding/json"
	"net/http"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/sync/wire"
)

// apiError is an answer the server sends: its message, the catalogue entry key (with args),
// in Vietnamese and in English, never with any personal data (no field values, names or file
// contents).
func apiError(status int, code, key string, args ...l10n.Args) *wire.Error {
	var a l10n.Args
	if len(args) > 0 {
		a = args[0]
	}
	return &wire.Error{Status: status, Code: code, MessageVI: l10n.T(l10n.Vi, key, a), MessageEN: l10n.T(l10n.En, key, a)}
}

var (
	errUnauthorized        = apiError(401, "unauthorized", "sync.server.unauthorized")
	errReaderUnauthorized  = apiError(401, "unauthorized", "sync.server.readerUnauthorized")
	errReaderRevoked       = apiError(403, "reader_revoked", "sync.server.readerRevoked")
	errMetricsUnauthorized = apiError(401, "unauthorized", "sync.server.metricsUnauthorized")
	errReaderOffice        = apiError(403, "reader_office", "sync.server.readerOffice")
	errReaderRecordType    = apiError(403, "reader_record_type", "sync.server.readerRecordType")
	errRevoked             = apiError(403, "workstation_revoked", "sync.server.revoked")
	errWrongOffice         = apiError(403, "wrong_office", "sync.server.wrongOffice")
	errWrongWorkstation    = apiError(403, "wrong_workstation", "sync.server.wrongWorkstation")
	errBadBlobName         = apiError(400, "bad_blob_name", "sync.server.badBlobName")
	errBadBatchID          = apiError(400, "bad_batch_id", "sync.server.badBatchID")
	errHashMismatch        = apiError(400, "hash_mismatch", "sync.server.hashMismatch")
	errTooLarge            = apiError(413, "too_large", "sync.server.tooLarge")
	errNotFound            = apiError(404, "not_found", "sync.server.notFound")
	errBatchConflict       = apiError(409, "batch_conflict", "sync.server.batchConflict")
	errRateLimited         = apiError(429, wire.CodeRateLimited, "sync.server.rateLimited")
	errEnrollCode          = apiError(403, "enroll_code_invalid", "sync.server.enrollCode")
	errInternal            = apiError(500, "internal", "sync.server.internal")
	errUnavailable         = apiError(503, wire.CodeUnavailable, "sync.server.unavailable")
	errUploadBusy          = apiError(409, wire.CodeUploadBusy, "sync.server.uploadBusy")
	errPartialQuota        = apiError(503, wire.CodeUnavailable, "sync.server.partialQuota")
	errBadRange            = apiError(400, "bad_content_range", "sync.server.badRange")
	errDatesIndexing       = apiError(503, wire.CodeUnavailable, "sync.server.datesIndexing")
)

// errMalformed refuses a request that does not have the protocol's shape; detail names the
// catalogue entry "sync.server.malformed.<detail>" that says what is wrong.
func errMalformed(detail string, args ...l10n.Args) *wire.Error {
	var a l10n.Args
	if len(args) > 0 {
		a = args[0]
	}
	key := "sync.server.malformed." + detail
	return &wire.Error{Status: 400, Code: "malformed_request",
		MessageVI: l10n.T(l10n.Vi, "sync.server.malformed", l10n.Args{"Detail": l10n.T(l10n.Vi, key, a)}),
		MessageEN: l10n.T(l10n.En, "sync.server.malformed", l10n.Args{"Detail": l10n.T(l10n.En, key, a)})}
}

// errVerification refuses a batch that does not verify; err says why (in each language when
// it is translatable, see internal/l10n).
func errVerification(err error) *wire.Error {
	return &wire.Error{Status: 422, Code: "verification_failed",
		MessageVI: l10n.T(l10n.Vi, "sync.server.verification", l10n.Args{"Detail": l10n.Text(l10n.Vi, err)}),
		MessageEN: l10n.T(l10n.En, "sync.server.verification", l10n.Args{"Detail": l10n.Text(l10n.En, err)})}
}

func errMissingBlobs(missing []string) *wire.Error {
	e := apiError(409, wire.CodeMissingBlobs, "sync.server.missingBlobs")
	e.Missing = missing
	return e
}

func errUploadOffset() *wire.Error {
	return apiError(409, wire.CodeUploadOffset, "sync.server.uploadOffset")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *Server) fail(w http.ResponseWriter, e *wire.Error) {
	s.metrics.errors.Add(1)
	if e == errDatesIndexing {
		w.Header().Set("Retry-After", datesRetryAfter)
	}
	writeJSON(w, e.Status, e)
}
