package sign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// RecordAttachment is the name of the associated file that carries a document's field values
// (DocumentInput.FieldsJSON, unless AttachmentName says otherwise).
const RecordAttachment = "record.json"

// MaxRecordBytes bounds the record.json ReadRecord returns.
const MaxRecordBytes = 16 << 20

// recordTimeout bounds pdfcpu on one PDF (SoHoa's own parse in milliseconds).
const recordTimeout = time.Minute

// ErrNoRecord: the PDF embeds no record.json.
var ErrNoRecord = errors.New("no " + RecordAttachment)

// ReadRecord returns the bytes of the record.json embedded in pdf, read by pdfcpu (its
// cross-reference chain, validated, and the EmbeddedFiles name tree; never a byte scan):
// ErrNoRecord when there is none, an error when there are several or it is larger than
// MaxRecordBytes. pdfcpu panics become errors; ctx (and a minute) bound the parse.
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
	if pc.Names["EmbeddedFiles"] == nil {
		return nil, ErrNoRecord
	}
	aa, err := pc.ExtractAttachments([]string{RecordAttachment})
	if err != nil {
		return nil, err
	}
	switch len(aa) {
	case 0:
		return nil, ErrNoRecord
	case 1:
	default:
		return nil, fmt.Errorf("%d %s attachments", len(aa), RecordAttachment)
	}
	data, err = io.ReadAll(io.LimitReader(aa[0], MaxRecordBytes+1))
	if err == nil && len(data) > MaxRecordBytes {
		err = fmt.Errorf("%s larger than %d bytes", RecordAttachment, MaxRecordBytes)
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
