package server_test

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	mrand "math/rand/v2"
	"testing"

	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/synctest"
)

// kv is one field of a test record.json, in order.
type kv struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// recordJSON is a document's record.json as SoHoa signs it (workflow/sign.go): the batch,
// the document (its manifest id, a number), the office, the record type and the fields.
func recordJSON(t testing.TB, batch string, doc any, office, recordType string, fields []kv) []byte {
	t.Helper()
	if fields == nil {
		fields = []kv{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"batch_id": batch, "document_id": json.RawMessage(mustJSON(t, doc)), "seq": 1,
		"record_type": recordType, "office": office, "approved_by": "Người Duyệt Thử", "fields": fields}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recordPDF builds a real (unsigned) PDF of one page of size×size random pixels embedding
// record (nil: no record.json at all).
func recordPDF(t testing.TB, record []byte, size int) []byte {
	t.Helper()
	var seed [16]byte
	rand.Read(seed[:])
	rng := mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	pdf, err := sign.BuildPDF(sign.DocumentInput{Title: "Hồ sơ thử", Pages: []sign.PageInput{{Image: synctest.PageImage(rng, size, size), DPI: 300}},
		FieldsJSON: record})
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}
