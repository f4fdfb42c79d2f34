package queue

import (
	"context"
	"testing"
)

// Every provenance is stored and read back apart; the database itself refuses an unknown one,
// and the 0007 rebuild of field_values keeps every row, id and the one-current-value index.
func TestFieldSourcesAndMigration0007(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{})
	d, _, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "a.png", Pages: []PageInput{pngPage(t, 10, 10, 255)}})
	if err != nil {
		t.Fatal(err)
	}
	srcs := []FieldSource{SourceOCR, SourceOCRAccepted, SourceKeyed, SourceCorrected}
	for _, src := range srcs {
		if err := s.SetField(ctx, admin, d.ID, "name", "Nguyễn Văn "+string(src), src, 0.9); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
	}
	check := func(when string) {
		h, err := s.FieldHistory(ctx, d.ID, "name")
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != len(srcs) {
			t.Fatalf("%s: history has %d values, want %d", when, len(h), len(srcs))
		}
		for i, f := range h {
			if f.Source != srcs[i] || f.Current != (i == len(srcs)-1) {
				t.Fatalf("%s: value %d = %+v, want source %s", when, i, f, srcs[i])
			}
		}
		if h[1].By != "admin" {
			t.Fatalf("%s: ocr-accepted value does not name who accepted it: %+v", when, h[1])
		}
	}
	check("before")
	if _, err := s.w.ExecContext(ctx, `INSERT INTO field_values(document_id, key, value, source, created_at, current) VALUES (?, 'x', 'v', 'guessed', 'now', 0)`, d.ID); err == nil {
		t.Fatal("the database accepted an unknown field source")
	}
	// Run 0007 again over the migrated table: the rebuild must lose and duplicate nothing.
	if _, err := s.w.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = 7`); err != nil {
		t.Fatal(err)
	}
	if err := s.migrate(ctx); err != nil {
		t.Fatal(err)
	}
	check("after the rebuild")
	if _, err := s.w.ExecContext(ctx, `INSERT INTO field_values(document_id, key, value, source, created_at, current) VALUES (?, 'name', 'v', 'keyed', 'now', 1)`, d.ID); err == nil {
		t.Fatal("two current values of one field: the unique index was lost in the rebuild")
	}
	if err := s.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}
