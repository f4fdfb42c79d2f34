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

// An OCR value a clerk accepted keeps its confidence, and review counts it as low confidence
// like an OCR value nobody looked at: accepting does not hide it from the problem sample.
func TestAcceptedLowConfidenceCountsForReview(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{Office: "HN-01"})
	d, ps, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: "a.png", Pages: []PageInput{pngPage(t, 10, 10, 255)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveOCR(ctx, ps[0].ID, OCRResult{Text: "x", MeanConf: 90}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetField(ctx, admin, d.ID, "name", "Nguyễn Văn An", SourceOCRAccepted, 0.4); err != nil {
		t.Fatal(err)
	}
	if err := s.SetField(ctx, admin, d.ID, "id", "001", SourceOCRAccepted, 0.95); err != nil {
		t.Fatal(err)
	}
	res, err := s.Submit(ctx, admin, b.ID, func(context.Context, int64) (DocProblems, error) { return DocProblems{}, nil }, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.LowFields != 1 {
		t.Fatalf("low-confidence fields %d, want the accepted one", res.LowFields)
	}
}

// DocumentsToExtract lists the documents past OCR with no value, and only those.
func TestDocumentsToExtract(t *testing.T) {
	s, admin := openTest(t)
	ctx := context.Background()
	b, _ := s.CreateBatch(ctx, admin, BatchSpec{})
	var docs []Document
	var pages []Page
	for i := 0; i < 3; i++ {
		d, ps, err := s.AddDocument(ctx, admin, NewDocument{BatchID: b.ID, Origin: string(rune('a'+i)) + ".png", Pages: []PageInput{pngPage(t, 10, 10, uint8(200+i))}})
		if err != nil {
			t.Fatal(err)
		}
		docs, pages = append(docs, d), append(pages, ps[0])
	}
	// 0: OCR done, no value (listed); 1: OCR done, a value; 2: OCR pending
	for _, i := range []int{0, 1} {
		if err := s.SaveOCR(ctx, pages[i].ID, OCRResult{Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetField(ctx, admin, docs[1].ID, "name", "x", SourceKeyed, 1); err != nil {
		t.Fatal(err)
	}
	got, err := s.DocumentsToExtract(ctx)
	if err != nil || len(got) != 1 || got[0].ID != docs[0].ID || got[0].BatchID != b.ID {
		t.Fatalf("documents to extract %+v (%v), want document %d", got, err, docs[0].ID)
	}
}
