package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/wire"
)

// Every PDF SoHoa signs embeds the record's field values as an associated file, record.json
// (sign.DocumentInput.FieldsJSON, written by workflow.SignBatch). At commit the server reads it
// back from the verified PDF, checks that it belongs to the batch and document, and seals its
// values (fields.go) for the database.

// RecordAttachment is the name of the attachment that carries a document's field values.
const RecordAttachment = sign.RecordAttachment

// Bounds on what the server takes from one record.json.
const (
	maxRecordFields = 2000
)

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

// recordFields reads the record.json of document d (its verified PDF) and returns its values
// sealed for the database. Its errors are bilingual and name the document only, never a value.
func (s *Server) recordFields(ctx context.Context, m *wire.Manifest, d wire.Document, pdf []byte) ([]store.Field, error) {
	raw, err := sign.ReadRecord(ctx, pdf)
	if errors.Is(err, sign.ErrNoRecord) {
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
			sf.Dates = s.fields.fieldDates(f.Key, value)
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
