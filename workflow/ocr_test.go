package workflow

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sohoa/sohoa/queue"
)

// TestOCRAndExtract: real Tesseract recognises the pending pages of a batch of generated
// birth certificates and the pipeline extracts their fields; one event per page; a second
// run finds nothing to do, and Extract over the batch keeps what is stored.
func TestOCRAndExtract(t *testing.T) {
	f := newFixture(t)
	b := f.batch(queue.BatchSpec{RecordType: "birth"})
	dir, truth := f.docs(2, "birth")
	f.importDir(b, dir)
	res, err := f.w.OCR(f.ctx, f.clerk, OCRInput{Batch: b.ID, Options: OCROptions{Workers: 2}}, f.progress)
	if err != nil {
		t.Fatal(err)
	}
	if res.Done != 2 || res.Pending != 0 || res.Failed != 0 {
		t.Fatalf("OCR %+v", res)
	}
	evs := f.got()
	if len(evs) != 2 || evs[1].Done != 2 || evs[1].Total != 2 || evs[0].Err != nil {
		t.Fatalf("events %+v", evs)
	}
	docs, _ := f.st.Documents(f.ctx, b.ID)
	for i, d := range docs {
		fs, err := f.st.Fields(f.ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, fv := range fs {
			if fv.Source != queue.SourceOCR {
				t.Fatalf("document %d: %s has source %s", d.ID, fv.Key, fv.Source)
			}
			got[fv.Key] = fv.Value
		}
		found := 0
		for _, tf := range truth[i].Fields {
			if tf.Key == "personal_id" || tf.Key == "document_number" {
				if got[tf.Key] == tf.Value {
					found++
				}
			}
		}
		if found == 0 {
			t.Errorf("document %d: neither its number nor its ID was read (%v)", d.ID, got)
		}
	}
	again, err := f.w.OCR(f.ctx, f.clerk, OCRInput{Batch: b.ID}, f.progress)
	if err != nil || again.Done != 2 || len(f.got()) != 0 {
		t.Fatalf("second run %+v %v", again, err)
	}
	x, err := f.w.Extract(f.ctx, f.clerk, ExtractInput{Batch: b.ID}, f.progress)
	if err != nil || x.Documents != 2 || x.Stored != 0 || len(f.got()) != 2 {
		t.Fatalf("extract after the pipeline's: %+v %v", x, err)
	}
}

// TestOCRCancelled: an OCR run cancelled after its first page leaves every page either done
// with its result or still pending, never between; a later run finishes the rest.
func TestOCRCancelled(t *testing.T) {
	f := newFixture(t)
	b := f.batch(queue.BatchSpec{RecordType: "birth"})
	dir, _ := f.docs(3, "birth")
	f.importDir(b, dir)
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	_, err := f.w.OCR(ctx, f.clerk, OCRInput{Batch: b.ID, Options: OCROptions{Workers: 1}}, func(Event) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled OCR: %v", err)
	}
	pages := f.checkDurable(b)
	done := 0
	for _, p := range pages {
		_, oerr := f.st.OCR(f.ctx, p.ID)
		switch {
		case p.OCRState == "done" && oerr == nil:
			done++
		case p.OCRState == "pending" && oerr != nil:
		default:
			t.Fatalf("page %d is %s (result: %v)", p.ID, p.OCRState, oerr)
		}
	}
	if done == 0 || done == len(pages) {
		t.Fatalf("%d of %d pages done after the cancel", done, len(pages))
	}
	res, err := f.w.OCR(f.ctx, f.clerk, OCRInput{Batch: b.ID, Options: OCROptions{Workers: 2}}, nil)
	if err != nil || res.Done != 3 || res.Pending != 0 {
		t.Fatalf("second run %+v %v", res, err)
	}
}

// TestBackgroundOCR: the background service is woken by an import and recognises the new
// page; its subscribers see it.
func TestBackgroundOCR(t *testing.T) {
	f := newFixture(t)
	b := f.batch(queue.BatchSpec{RecordType: "birth"})
	svc, err := f.w.NewOCRService(OCROptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	ch, unsubscribe := svc.Subscribe()
	defer unsubscribe()
	ctx, cancel := context.WithCancel(f.ctx)
	served := make(chan error, 1)
	go func() { served <- svc.Serve(ctx) }()
	dir, _ := f.docs(1, "birth")
	f.importDir(b, dir)
	deadline := time.After(3 * time.Minute) // a hang, not a speed limit
	for got := false; !got; {
		select {
		case st := <-ch:
			got = st.PageID != 0 && st.Done == 1
		case <-deadline:
			t.Fatal("the background service did not recognise the imported page")
		}
	}
	cancel()
	if err := <-served; !errors.Is(err, context.Canceled) {
		t.Fatalf("serve: %v", err)
	}
	if bt, _ := f.st.Batch(f.ctx, b.ID); bt.PagesDone != 1 {
		t.Fatalf("batch %+v", bt)
	}
	f.w.ocrMu.Lock()
	left := len(f.w.ocr)
	f.w.ocrMu.Unlock()
	if left != 0 {
		t.Fatal("a stopped service is still woken by imports")
	}
}
