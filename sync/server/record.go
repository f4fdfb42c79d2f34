package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/wire"
)

// Every PDF SoHoa signs embeds the record's field values as an associated file, record.json
// (sign.DocumentInput.FieldsJSON, written by workflow.SignBatch). At commit the server reads it
// back from the verified PDF, checks that it belongs to the batch and document, and seals its
// values (fields.go) for the database.

// RecordAttachment is the name of the attachment that carries a document's field values.
const RecordAttachment = "record.json"

// Bounds on what the server takes from one record.json.
const (
	maxRecordBytes  = 16 << 20
	maxRecordFields = 2000
	recordTimeout   = time.Minute // pdfcpu on one PDF SoHoa wrote (it parses in milliseconds)
)

// errNoRecord: the PDF embeds no record.json.
var errNoRecord = errors.New("no " + RecordAttachment)

// recordFile is the part of record.json the server keeps (workflow/sign.go recordJSON; the
// approver's name is not taken).
type recordFile struct {
	BatchID    string          `json:"batch_id"`
	DocumentID json.RawMessage `json:"document_id"` // a number (SoHoa's) or a string
	RecordType string          `json:"record_type"`
	Office     string          `json:"office"`
	Fields     []struct {
		Key   string          `json:"key"`
		Value json.RawMessage `json:"value"`
	} `json:"fields"`
}

// recordFromPDF returns the bytes of the record.json embedded in pdf, read by pdfcpu (its
// cross-reference chain, validated, and the EmbeddedFiles name tree); errNoRecord when there
// is none. pdfcpu panics become errors.
func recordFromPDF(ctx context.Context, pdf []byte) (data []byte, err error) {
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
		return nil, errNoRecord
	}
	aa, err := pc.ExtractAttachments([]string{RecordAttachment})
	if err != nil {
		return nil, err
	}
	switch len(aa) {
	case 0:
		return nil, errNoRecord
	case 1:
	default:
		return nil, fmt.Errorf("%d %s attachments", len(aa), RecordAttachment)
	}
	data, err = io.ReadAll(io.LimitReader(aa[0], maxRecordBytes+1))
	if err == nil && len(data) > maxRecordBytes {
		err = fmt.Errorf("%s larger than %d bytes", RecordAttachment, maxRecordBytes)
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

// recordFields reads the record.json of document d (its verified PDF) and returns its values
// sealed for the database. Its errors are bilingual and name the document only, never a value.
func (s *Server) recordFields(ctx context.Context, m *wire.Manifest, d wire.Document, pdf []byte) ([]store.Field, error) {
	raw, err := recordFromPDF(ctx, pdf)
	if errors.Is(err, errNoRecord) {
		return nil, l10n.New("sync.server.record.missing", l10n.Args{"Doc": d.ID})
	}
	if err != nil {
		return nil, l10n.Wrap(err, "sync.server.record.unreadable", l10n.Args{"Doc": d.ID})
	}
	var rec recordFile
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, l10n.New("sync.server.record.damaged", l10n.Args{"Doc": d.ID})
	}
	if rec.BatchID != m.BatchID || recordDocID(rec.DocumentID) != d.ID || rec.RecordType != m.RecordType || rec.Office != m.Office {
		return nil, l10n.New("sync.server.record.other", l10n.Args{"Doc": d.ID})
	}
	if len(rec.Fields) > maxRecordFields {
		return nil, l10n.New("sync.server.record.damaged", l10n.Args{"Doc": d.ID})
	}
	seen := map[string]bool{}
	out := make([]store.Field, 0, len(rec.Fields))
	for i, f := range rec.Fields {
		if !validName(f.Key) || seen[f.Key] {
			return nil, l10n.New("sync.server.record.badKey", l10n.Args{"Doc": d.ID, "N": i + 1})
		}
		seen[f.Key] = true
		value, scalar, ok := fieldValue(f.Value)
		if !ok {
			return nil, l10n.New("sync.server.record.damaged", l10n.Args{"Doc": d.ID})
		}
		sealed, err := s.fields.Seal(m.BatchID, d.ID, f.Key, []byte(value))
		if err != nil {
			return nil, err
		}
		sf := store.Field{Key: f.Key, Pos: i, Value: sealed}
		if scalar {
			sf.Exact, sf.Folded = s.fields.Index(f.Key, value, false), s.fields.Index(f.Key, value, true)
		}
		out = append(out, sf)
	}
	return out, nil
}

// recordDocID is record.json's document_id as the manifest writes it: a number's digits, or
// a string; "" when it is neither.
func recordDocID(raw json.RawMessage) string {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil && len(bytes.TrimSpace(raw)) > 0 && bytes.TrimSpace(raw)[0] != '"' {
		return n.String()
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return ""
}

// fieldValue reads one record.json value: a string (or a number or boolean, as written) is a
// scalar, searchable; an array or object (a table such as the members of a household) is kept
// as its compact JSON text and not indexed; null is the empty string.
func fieldValue(raw json.RawMessage) (value string, scalar, ok bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "", false, false
	}
	switch t[0] {
	case '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return "", false, false
		}
		return s, true, true
	case '[', '{':
		var b bytes.Buffer
		if err := json.Compact(&b, t); err != nil {
			return "", false, false
		}
		return b.String(), false, true
	case 'n':
		return "", true, string(t) == "null"
	default: // a number or a boolean, valid JSON since the whole record parsed
		return strings.TrimSpace(string(t)), true, true
	}
}
