package queue

import "context"

// Provenance of field values (DESIGN.md §3: "value, source, confidence, who, when; history
// kept"), for the supervisor's review: where each value came from, who gave it and when,
// and what it replaced.

// ValueRecord is one stored value of a field.
type ValueRecord struct {
	Value      string
	Source     FieldSource
	Confidence float64 // as stored; for SourceOCR the extraction confidence (0..1)
	// OCRConfidence, for SourceOCRAccepted, is the confidence of the OCR value that was
	// accepted (the latest OCR value before it); -1 when unknown.
	OCRConfidence float64
	By            string // user name ("" for OCR)
	ByName        string // full name
	At            string // RFC 3339, UTC
}

// FieldProvenance is a field's current value and the values it replaced.
type FieldProvenance struct {
	Key     string
	Current ValueRecord
	Earlier []ValueRecord // newest first
}

// DocumentProvenance returns every field of a document with its current value and history,
// by key.
func (s *Store) DocumentProvenance(ctx context.Context, documentID int64) ([]FieldProvenance, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT f.key, unseal('field_values.value', f.value), f.source, f.confidence, coalesce(u.username, ''), coalesce(u.full_name, ''),
		f.created_at, f.current FROM field_values f LEFT JOIN users u ON u.id = f.user_id
		WHERE f.document_id = ? ORDER BY f.key, f.id`, documentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FieldProvenance
	var lastOCR float64 = -1
	for rows.Next() {
		var key, src string
		var v ValueRecord
		var cur int
		if err := rows.Scan(&key, &v.Value, &src, &v.Confidence, &v.By, &v.ByName, &v.At, &cur); err != nil {
			return nil, err
		}
		v.Source = FieldSource(src)
		v.OCRConfidence = -1
		if len(out) == 0 || out[len(out)-1].Key != key {
			out = append(out, FieldProvenance{Key: key})
			lastOCR = -1
		}
		switch v.Source {
		case SourceOCR:
			lastOCR = v.Confidence
		case SourceOCRAccepted:
			v.OCRConfidence = lastOCR
			if v.OCRConfidence < 0 {
				v.OCRConfidence = v.Confidence
			}
		}
		p := &out[len(out)-1]
		if cur == 1 {
			p.Current = v
		} else {
			p.Earlier = append([]ValueRecord{v}, p.Earlier...)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// A field whose values are all history (none current) is not shown.
	kept := out[:0]
	for _, p := range out {
		if p.Current.At != "" {
			kept = append(kept, p)
		}
	}
	return kept, nil
}
