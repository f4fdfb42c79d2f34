package pipeline

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/internal/imgutil"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/queue"
)

func TestMain(m *testing.M) {
	ocr.MaybeRunWorker()
	os.Exit(m.Run())
}

// TestCleanupProfilesAndManualRotation runs the real clean-up and Tesseract on a generated
// page stored upside down: the default profile turns it upright by itself; a batch with no
// clean-up reads it only after the clerk turns it; the original is kept in both cases.
func TestCleanupProfilesAndManualRotation(t *testing.T) {
	ctx := context.Background()
	st, err := queue.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, _ := st.CreateUser(ctx, nil, "admin", "", "12345678", []queue.Role{queue.RoleAdmin, queue.RoleClerk})
	doc, imgs, err := docgen.Generate(3, 0, docgen.Options{DPI: 200, Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := docgen.EncodePNG(&buf, imgs[0]); err != nil {
		t.Fatal(err)
	}
	upside, w, h, err := imgutil.RotateEncoded(buf.Bytes(), 180)
	if err != nil {
		t.Fatal(err)
	}
	in := queue.PageInput{Data: upside, Format: "png", Width: w, Height: h, DPI: 200}
	auto, _ := st.CreateBatch(ctx, admin, queue.BatchSpec{})
	manual, _ := st.CreateBatch(ctx, admin, queue.BatchSpec{Cleanup: "none"})
	_, pa, err := st.AddDocument(ctx, admin, queue.NewDocument{BatchID: auto.ID, Origin: "a.png", Pages: []queue.PageInput{in}})
	if err != nil {
		t.Fatal(err)
	}
	_, pm, err := st.AddDocument(ctx, admin, queue.NewDocument{BatchID: manual.ID, Origin: "m.png", Pages: []queue.PageInput{in}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RotatePage(ctx, admin, pm[0].ID, 180); err != nil {
		t.Fatal(err)
	}
	svc, err := NewOCRService(st, ocr.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	sum, err := svc.RunPending(ctx, "", nil)
	if err != nil || sum.Done != 2 || sum.Pending != 0 {
		t.Fatalf("run: %+v %v", sum, err)
	}
	// Both pages are timed; only the page with the default profile is cleaned up.
	if tm := svc.Timings(); tm.Pages != 2 || tm.Recognize <= 0 || tm.Upright <= 0 || tm.Clean <= 0 || tm.Save <= 0 || tm.Wait < 0 {
		t.Errorf("timings: %+v", tm)
	}
	truth := doc.Pages[0].Text
	for _, id := range []int64{pa[0].ID, pm[0].ID} {
		p, _ := st.Page(ctx, id)
		r, err := st.OCR(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if cer := docgen.CER(truth, r.Text); cer > 0.03 {
			t.Errorf("page %d (batch cleanup %q): CER %.1f%%", id, map[bool]string{true: "default", false: "none"}[id == pa[0].ID], 100*cer)
		}
		if p.Original != pa[0].Original {
			t.Errorf("page %d lost its original: %s", id, p.Original)
		}
		orig, err := st.OriginalImage(p)
		if err != nil || !bytes.Equal(orig, upside) {
			t.Errorf("page %d original bytes changed: %v", id, err)
		}
	}
	pA, _ := st.Page(ctx, pa[0].ID)
	if !pA.Cleaned || pA.Rotation != 180 || pA.Blob == pA.Original {
		t.Errorf("default profile: %+v", pA)
	}
	pM, _ := st.Page(ctx, pm[0].ID)
	if pM.Cleaned || pM.UserRotation != 180 {
		t.Errorf("no clean-up, manual turn: %+v", pM)
	}
}

func TestParseCleanup(t *testing.T) {
	if p, err := ParseCleanup("none", nil); p != nil || err != nil {
		t.Fatalf("none: %v %v", p, err)
	}
	if p, err := ParseCleanup(`{"Deskew":true,"Blank":"drop"}`, nil); err != nil || !p.Deskew || p.Blank != "drop" || p.AutoOrient {
		t.Fatalf("json: %+v %v", p, err)
	}
	if _, err := ParseCleanup("{", nil); err == nil {
		t.Fatal("broken profile accepted")
	}
}
