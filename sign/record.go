package sign

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// RecordAttachment is the name of the associated file that carries a document's field values
// when DocumentInput.RecordAsAttachment (PDF/A-3b) asks for one, and of the record in messages.
const RecordAttachment = "record.json"

// RecordPiece is the application name under which BuildPDF keeps the record in the catalog's
// page-piece dictionary: /PieceInfo << /SoHoa << /LastModified … /Private stream >> >>.
const RecordPiece = "SoHoa"

// MaxRecordBytes bounds the record.json ReadRecord returns.
const MaxRecordBytes = 16 << 20

// recordTimeout bounds pdfcpu on one PDF (SoHoa's own parse in milliseconds).
const recordTimeout = time.Minute

// ErrNoRecord: the PDF carries no record.json.
var ErrNoRecord = errors.New("no " + RecordAttachment)

// ReadRecord returns the bytes of the record.json pdf carries — in the catalog's page-piece
// dictionary (RecordPiece, what BuildPDF writes) or, for PDF/A-3b documents and those signed
// before, as the embedded file RecordAttachment — read by pdfcpu (its cross-reference chain,
// validated, the catalog and the EmbeddedFiles name tree; never a byte scan): ErrNoRecord
// when there is none, an error when there are several or it is larger than MaxRecordBytes.
// pdfcpu panics become errors; ctx (and a minute) bound the parse.
//
// ReadRecord reads what a viewer reads, the newest revision: whether that revision is the
// signed one is for Verify to say (an update that changes the record is a disallowed change,
// WhatRecord or WhatAttachment), and the centre and the workstation read the record only of
// a PDF whose bytes the signed manifest names.
func ReadRecord(ctx context.Context, pdf []byte) (data []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			data, err = nil, fmt.Errorf("PDF reader failure: %v", r)
		}
	}()
	c, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	pc, err := pdfcpu.ReadWithContext(c, bytes.NewReader(pdf), recordPDFConfig())
	if err != nil {
		return nil, err
	}
	if err := api.ValidateContext(pc); err != nil { // builds the name trees ExtractAttachments reads
		return nil, err
	}
	piece, err := pieceRecord(pc)
	if err != nil {
		return nil, err
	}
	attached, err := attachedRecord(pc)
	if err != nil {
		return nil, err
	}
	switch {
	case piece != nil && attached != nil:
		return nil, fmt.Errorf("two %s: in /PieceInfo and attached", RecordAttachment)
	case piece != nil:
		return piece, nil
	case attached != nil:
		return attached, nil
	}
	return nil, ErrNoRecord
}

// pieceRecord reads /PieceInfo /SoHoa /Private: nil when the catalog has none. Only an
// unfiltered or a single-Flate stream is taken, inflated under MaxRecordBytes (never
// pdfcpu's unbounded decoder: a small stream can inflate to gigabytes).
func pieceRecord(pc *model.Context) ([]byte, error) {
	root, err := pc.Catalog()
	if err != nil {
		return nil, err
	}
	pi, err := pc.DereferenceDict(root["PieceInfo"])
	if err != nil || pi == nil {
		return nil, err
	}
	app, err := pc.DereferenceDict(pi[RecordPiece])
	if err != nil || app == nil {
		return nil, err
	}
	priv, ok := app["Private"]
	if !ok || priv == nil {
		return nil, nil
	}
	sd, _, err := pc.DereferenceStreamDict(priv)
	if err != nil {
		return nil, fmt.Errorf("/PieceInfo /%s /Private: %w", RecordPiece, err)
	}
	if sd == nil {
		return nil, fmt.Errorf("/PieceInfo /%s /Private is not a stream", RecordPiece)
	}
	var in io.Reader
	switch fp := sd.FilterPipeline; {
	case len(fp) == 0:
		in = bytes.NewReader(sd.Raw)
	case len(fp) == 1 && fp[0].Name == filter.Flate && fp[0].DecodeParms == nil:
		z, err := zlib.NewReader(bytes.NewReader(sd.Raw))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", RecordAttachment, err)
		}
		defer z.Close()
		in = z
	default:
		return nil, fmt.Errorf("%s: filters other than one FlateDecode", RecordAttachment)
	}
	data, err := io.ReadAll(io.LimitReader(in, MaxRecordBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", RecordAttachment, err)
	}
	if len(data) > MaxRecordBytes {
		return nil, fmt.Errorf("%s larger than %d bytes", RecordAttachment, MaxRecordBytes)
	}
	return data, nil
}

// attachedRecord reads the embedded file RecordAttachment: nil when there is none.
func attachedRecord(pc *model.Context) ([]byte, error) {
	if pc.Names["EmbeddedFiles"] == nil {
		return nil, nil
	}
	aa, err := pc.ExtractAttachments([]string{RecordAttachment})
	if err != nil {
		return nil, err
	}
	switch len(aa) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("%d %s attachments", len(aa), RecordAttachment)
	}
	data, err := io.ReadAll(io.LimitReader(aa[0], MaxRecordBytes+1))
	if err == nil && len(data) > MaxRecordBytes {
		err = fmt.Errorf("%s larger than %d bytes", RecordAttachment, MaxRecordBytes)
	}
	if err == nil && data == nil {
		data = []byte{}
	}
	return data, err
}

// recordPDFConfig is pdfcpu's configuration, built here so that pdfcpu neither reads nor
// creates a configuration folder and no global setting changes.
func recordPDFConfig() *model.Configuration {
	return &model.Configuration{
		Version:                   model.VersionStr,
		Reader15:                  true,
		ValidationMode:            model.ValidationRelaxed,
		UnsupportedResourcePolicy: model.UnsupportedResourceFail,
		Eol:                       types.EolLF,
		Cmd:                       model.EXTRACTATTACHMENTS,
		Offline:                   true,
		TimestampFormat:           "2006-01-02 15:04",
		DateFormat:                "2006-01-02",
		Limits:                    model.DefaultResourceLimits(),
	}
}
