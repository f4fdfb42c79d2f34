package server

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/internal/l10n/l10ntest"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/wire"
)

// TestAnswersBilingual: every error answer the server sends has its message in Vietnamese
// and in English from the catalogue, no key or template left in either, and the client side
// reads it in either language (wire.Error is translatable).
func TestAnswersBilingual(t *testing.T) {
	answers := map[string]*wire.Error{
		"unauthorized": errUnauthorized, "readerUnauthorized": errReaderUnauthorized, "readerRevoked": errReaderRevoked,
		"metricsUnauthorized": errMetricsUnauthorized, "readerOffice": errReaderOffice, "revoked": errRevoked,
		"wrongOffice": errWrongOffice, "wrongWorkstation": errWrongWorkstation, "badBlobName": errBadBlobName,
		"badBatchID": errBadBatchID, "hashMismatch": errHashMismatch, "tooLarge": errTooLarge, "notFound": errNotFound,
		"batchConflict": errBatchConflict, "rateLimited": errRateLimited, "enrollCode": errEnrollCode,
		"internal": errInternal, "unavailable": errUnavailable, "uploadBusy": errUploadBusy, "badRange": errBadRange,
		"badCursor": errBadCursor, "missingBlobs": errMissingBlobs([]string{"x"}), "uploadOffset": errUploadOffset(),
		"badManifest":  apiError(400, "bad_manifest", "sync.server.badManifest", l10n.Args{"Detail": "json: bad"}),
		"batchUnknown": apiError(404, "batch_unknown", "sync.server.batchUnknown"),
	}
	for _, d := range []string{"bodyShort", "bodySlow", "chunkShort", "batchIDPath", "query", "fromAfterTo", "badFormat", "badName", "bodyUnreadable", "json"} {
		answers["malformed "+d] = errMalformed(d)
	}
	answers["malformed unknownParam"] = errMalformed("unknownParam", l10n.Args{"Name": "x", "Allowed": "a, b"})
	answers["malformed paramTwice"] = errMalformed("paramTwice", l10n.Args{"Name": "x"})
	answers["malformed badCode"] = errMalformed("badCode", l10n.Args{"Name": "office"})
	answers["malformed badTime"] = errMalformed("badTime", l10n.Args{"Name": "from"})
	answers["malformed badLimit"] = errMalformed("badLimit", l10n.Args{"Max": MaxReadLimit})
	answers["malformed badQuery"] = errMalformed("badQuery", l10n.Args{"Max": MaxSearchQuery})
	doc := "0197a1b2-0000-7000-8000-000000000001"
	for name, err := range map[string]error{
		"signer untrusted": ErrSignerUntrusted,
		"pdf untrusted":    l10n.Wrap(ErrPDFUntrusted, "sync.server.verify.document", l10n.Args{"Doc": doc}),
		"pdf too large":    l10n.New("sync.server.verify.pdfTooLarge", l10n.Args{"Doc": doc, "Max": 10}),
		"pdf read":         l10n.Wrap(errors.New("unexpected EOF"), "sync.server.verify.pdfRead", l10n.Args{"Doc": doc}),
		"pdf mismatch":     l10n.New("sync.server.verify.pdfMismatch", l10n.Args{"Doc": doc}),
		"pdf unreadable":   l10n.New("sync.server.verify.pdfUnreadable", l10n.Args{"Doc": doc}),
		"page unreadable":  l10n.New("sync.server.verify.pageUnreadable", l10n.Args{"Doc": doc, "Page": 2}),
		"page mismatch":    l10n.New("sync.server.verify.pageMismatch", l10n.Args{"Doc": doc, "Page": 2}),
		"not intact": l10n.Wrap(fmt.Errorf("%w: %w", ErrPDFNotIntact, notIntactReasons(sign.Report{Signatures: []sign.SignatureResult{
			{ChangeDetails: []sign.Change{{Sig: 1, Object: 12, What: sign.WhatContent, Page: 1, Action: "changed"}}}}})),
			"sync.server.verify.document", l10n.Args{"Doc": doc}),
		"no reason":  fmt.Errorf("%w: %w", ErrPDFNotIntact, notIntactReasons(sign.Report{})),
		"sign error": l10n.Wrap(sign.ErrNoSignature, "sync.server.verify.document", l10n.Args{"Doc": doc}),
	} {
		l10ntest.Translated(t, name, err)
		answers["verification "+name] = errVerification(err)
	}
	for name, a := range answers {
		vi, en := a.MessageVI, a.MessageEN
		if vi == "" || en == "" || vi == en || strings.Contains(vi+en, "sync.server.") || strings.Contains(vi+en, "{{") ||
			strings.Contains(vi+en, "<no value>") || strings.Contains(vi, " / ") || strings.Contains(en, " / ") {
			t.Errorf("%s: %q / %q", name, vi, en)
		}
		l10ntest.Translated(t, name, a)
	}
	v := answers["verification not intact"]
	if !strings.Contains(v.MessageVI, "hồ sơ "+doc+": chữ ký số của tệp PDF không còn nguyên vẹn") || !strings.Contains(v.MessageVI, "sau chữ ký 1") ||
		!strings.Contains(v.MessageEN, "document "+doc+": a PDF signature is not intact") || !strings.Contains(v.MessageEN, "object 12 (page 1 content) changed after signature 1") {
		t.Errorf("not intact: %q / %q", v.MessageVI, v.MessageEN)
	}
}
