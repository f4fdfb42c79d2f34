package server

import (
	"bytes"
	"context"
	"image"
	imgpng "image/png"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/wire"
)

func FuzzParseContentRange(f *testing.F) {
	f.Add("bytes 0-99/100")
	f.Add("bytes 5-1/3")
	f.Add("bytes -1-5/10")
	f.Add("bytes 0-9223372036854775807/9223372036854775807")
	f.Fuzz(func(t *testing.T, h string) {
		start, end, total, ok := parseContentRange(h, 1<<20)
		if ok && (start < 0 || end < start || total <= end || total > 1<<20) {
			t.Fatalf("accepted inconsistent range %q: %d-%d/%d", h, start, end, total)
		}
		if ok && !strings.HasPrefix(h, "bytes ") {
			t.Fatalf("accepted %q", h)
		}
	})
}

// FuzzRecordFields: whatever PDF a workstation sends, reading its record.json ends in fields
// or a bilingual refusal that names the document only — never a panic, a hang or a value in
// the message. Seeds: a SoHoa PDF with a record.json (and variants: no record, a damaged one,
// one of another batch) and its truncations.
func FuzzRecordFields(f *testing.F) {
	rec := func(batch string, fields string) []byte {
		return []byte(`{"batch_id":"` + batch + `","document_id":1,"seq":1,"record_type":"birth","office":"HN-01","fields":[` + fields + `]}`)
	}
	page := image.NewGray(image.Rect(0, 0, 40, 40))
	var png bytes.Buffer
	if err := imgpng.Encode(&png, page); err != nil {
		f.Fatal(err)
	}
	for _, r := range [][]byte{
		rec("b-1", `{"key":"full_name","value":"Nguyễn Thị Ánh"},{"key":"members","value":[{"name":"Lê Văn Bình"}]}`),
		rec("b-1", `{"key":"full_name","value":"Nguyễn Thị Ánh"},{"key":"full_name","value":"x"}`),
		rec("b-2", `{"key":"full_name","value":null}`),
		[]byte(`{"batch_id":`),
		nil,
	} {
		pdf, err := sign.BuildPDF(sign.DocumentInput{Title: "Hồ sơ", Pages: []sign.PageInput{{Image: png.Bytes(), DPI: 300}}, FieldsJSON: r})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pdf)
		f.Add(pdf[:len(pdf)/2])
	}
	key, err := NewFieldKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{fields: key}
	m := &wire.Manifest{BatchID: "b-1", Office: "HN-01", RecordType: "birth"}
	f.Fuzz(func(t *testing.T, pdf []byte) {
		fields, err := s.recordFields(context.Background(), m, wire.Document{ID: "1"}, pdf)
		if err != nil {
			for _, lang := range []string{l10n.Vi, l10n.En} {
				msg := l10n.Text(lang, err)
				if msg == "" || strings.Contains(msg, "Nguyễn") || strings.Contains(msg, "Bình") {
					t.Fatalf("refusal %q", msg)
				}
			}
			return
		}
		for _, fv := range fields {
			if _, err := key.Open(m.BatchID, "1", fv.Key, fv.Value); err != nil {
				t.Fatalf("field %s does not open: %v", fv.Key, err)
			}
		}
	})
}
