package pipeline

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// TestExtractionAfterOCR: the OCR service (real Tesseract) stores the record's fields with
// source ocr once the document's pages are recognised; a value keyed before is kept; running
// extraction again changes nothing; a document whose OCR finished without its extraction (a
// crash in between) is extracted when the service starts.
func TestExtractionAfterOCR(t *testing.T) {
	ctx := context.Background()
	st, err := queue.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := records.Register(ctx, st); err != nil {
		t.Fatal(err)
	}
	admin, _ := st.CreateUser(ctx, nil, "admin", "", "12345678", []queue.Role{queue.RoleAdmin, queue.RoleClerk})
	var doc docgen.Document
	var png []byte
	for i := 0; i < 40 && png == nil; i++ {
		d, imgs, err := docgen.Generate(5, i, docgen.Options{DPI: 200, Clean: true})
		if err != nil || d.Type != "birth" || len(imgs) != 1 {
			continue
		}
		var buf bytes.Buffer
		if err := docgen.EncodePNG(&buf, imgs[0]); err != nil {
			t.Fatal(err)
		}
		doc, png = d, buf.Bytes()
	}
	b, err := st.CreateBatch(ctx, admin, queue.BatchSpec{RecordType: "birth"})
	if err != nil {
		t.Fatal(err)
	}
	in := queue.PageInput{Data: png, Format: "png", Width: doc.Pages[0].Width, Height: doc.Pages[0].Height, DPI: 200}
	d1, _, err := st.AddDocument(ctx, admin, queue.NewDocument{BatchID: b.ID, Origin: "a.png", Pages: []queue.PageInput{in}})
	if err != nil {
		t.Fatal(err)
	}
	// a clerk keyed the name before OCR ran
	if err := st.SetField(ctx, admin, d1.ID, "full_name", "Tên Đã Nhập", queue.SourceKeyed, 1); err != nil {
		t.Fatal(err)
	}
	svc, err := NewOCRService(st, ocr.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if _, err := svc.RunPending(ctx, "", nil); err != nil {
		t.Fatal(err)
	}
	fields := func(id int64) map[string]queue.FieldValue {
		fs, err := st.Fields(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]queue.FieldValue{}
		for _, f := range fs {
			m[f.Key] = f
		}
		return m
	}
	got := fields(d1.ID)
	if f := got["full_name"]; f.Value != "Tên Đã Nhập" || f.Source != queue.SourceKeyed {
		t.Fatalf("keyed value overwritten: %+v", f)
	}
	right := 0
	rt, _ := must(records.LoadAll(st.Dir())).Get("birth")
	for _, tf := range doc.Fields {
		f, ok := got[tf.Key]
		if !ok || tf.Key == "full_name" {
			continue
		}
		if f.Source != queue.SourceOCR || f.By != "" {
			t.Errorf("%s stored with source %s by %q", tf.Key, f.Source, f.By)
		}
		if fd, _ := rt.Field(tf.Key); records.Equal(fd, f.Value, tf.Value) {
			right++
		}
	}
	if right < len(doc.Fields)*7/10 {
		t.Fatalf("only %d of %d printed fields extracted right after OCR", right, len(doc.Fields))
	}

	// idempotent: extracting again stores nothing new
	hist := func(id int64) int {
		n := 0
		for key := range fields(id) {
			h, _ := st.FieldHistory(ctx, id, key)
			n += len(h)
		}
		return n
	}
	before := hist(d1.ID)
	if err := svc.extract(ctx, b.ID, d1.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.ExtractWaiting(ctx); err != nil {
		t.Fatal(err)
	}
	if after := hist(d1.ID); after != before {
		t.Fatalf("extracting again wrote %d values", after-before)
	}

	// a document whose OCR was saved but not extracted (crash between the two)
	d2, p2, err := st.AddDocument(ctx, admin, queue.NewDocument{BatchID: b.ID, Origin: "b.png", Pages: []queue.PageInput{in}})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := st.OCR(ctx, must(st.Pages(ctx, d1.ID))[0].ID)
	if err := st.SaveOCR(ctx, p2[0].ID, res); err != nil {
		t.Fatal(err)
	}
	if len(fields(d2.ID)) != 0 {
		t.Fatal("values before extraction")
	}
	waiting, err := st.DocumentsToExtract(ctx)
	if err != nil || len(waiting) != 1 || waiting[0].ID != d2.ID {
		t.Fatalf("documents waiting for extraction %+v (%v)", waiting, err)
	}
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- svc.Serve(sctx) }()
	deadline := time.Now().Add(time.Minute)
	for len(fields(d2.ID)) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-served
	if n := len(fields(d2.ID)); n < len(doc.Fields)*7/10 {
		t.Fatalf("%d values after the service started", n)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
