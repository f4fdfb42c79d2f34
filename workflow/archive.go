package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/sohoa/sohoa/internal/archive"
	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/wire"
)

// Archive files (Circular 05/2025/TT-BNV; internal/archive). A batch with archive data of its
// own is an archive file: it is signed only with complete data (Sign), which goes into every
// PDF's metadata and into the signed manifest; ArchiveExport writes the circular's
// submission package from what was signed.

// ErrNotArchiveFile: the batch was signed without archive data (it is no archive file).
var ErrNotArchiveFile = l10n.New("workflow.archive.notFile")

// ErrArchiveNotSigned: the package holds the signed PDFs, so the batch must be signed.
var ErrArchiveNotSigned = l10n.New("workflow.archive.notSigned")

// ArchiveExportResult says what a package holds.
type ArchiveExportResult struct {
	FileCode  string `json:"file_code"`
	Documents int    `json:"documents"`
	Pages     int    `json:"pages"`
	Out       string `json:"out"`
}

// ArchiveExport writes the submission package of a signed archive-file batch to out (a new
// folder, or a .zip file): the archive data as signed in the manifest, and each document's
// signed PDF read through the blob store (checked against its hash).
func (w *Workflow) ArchiveExport(ctx context.Context, actor queue.User, batchID, out string) (ArchiveExportResult, error) {
	var res ArchiveExportResult
	b, err := w.Store.Batch(ctx, batchID)
	if err != nil {
		return res, err
	}
	if b.State != queue.StateSigned && b.State != queue.StateSynced {
		return res, ErrArchiveNotSigned
	}
	raw, _, err := w.Store.BatchManifest(ctx, b.ID)
	if err != nil {
		return res, err
	}
	var m wire.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return res, fmt.Errorf("manifest of batch %s: %w", b.ID, err)
	}
	if m.Archive == nil {
		return res, ErrNotArchiveFile
	}
	var docs []archive.PackageDocument
	for i, d := range m.Documents {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		pdf, err := w.Store.Blobs.Get(d.PDFSHA256)
		if err != nil {
			return res, err
		}
		ad := archive.Document{}
		if d.Archive != nil {
			ad = *d.Archive
		} else {
			ad = archive.DocumentFor(*m.Archive, ad, i+1, len(d.Pages))
		}
		if ad.ID == "" {
			ad.ID = m.Archive.FileCode + "." + strconv.Itoa(i+1)
		}
		docs = append(docs, archive.PackageDocument{Document: ad, PDF: pdf})
		res.Pages += len(d.Pages)
	}
	if err := archive.WritePackage(out, *m.Archive, docs); err != nil {
		return res, err
	}
	res.FileCode, res.Documents, res.Out = m.Archive.FileCode, len(docs), out
	return res, nil
}
