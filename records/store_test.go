package records

import (
	"bytes"
	"context"
	"image/png"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/queue"
)

// TestStoreFlow: the bundled types are registered in a real SQLite store (idempotently),
// a batch of type birth can be created, and extraction then validation run on a stored
// document whose OCR words come from the ground truth.
func TestStoreFlow(t *testing.T) {
	ctx := context.Background()
	st, err := queue.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, err := st.CreateUser(ctx, nil, "admin", "Quản Trị", "mật-khẩu-dài", []queue.Role{queue.RoleAdmin, queue.RoleClerk})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateBatch(ctx, admin, queue.BatchSpec{RecordType: "birth"}); err == nil {
		t.Fatal("batch of an unregistered type was accepted")
	}
	reg, err := Register(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	types, err := st.RecordTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(types) != len(reg.Types()) {
		t.Fatalf("store has %d types, registry %d", len(types), len(reg.Types()))
	}
	before, _ := st.AuditLog(ctx, 1000)
	if _, err := Register(ctx, st); err != nil {
		t.Fatal(err)
	}
	after, _ := st.AuditLog(ctx, 1000)
	if len(after) != len(before) {
		t.Errorf("registering again wrote %d audit events", len(after)-len(before))
	}

	// find a birth certificate
	var doc docgen.Document
	var img []byte
	for i := 0; ; i++ {
		d, imgs, err := docgen.Generate(3, i, docgen.Options{DPI: 300, Clean: true})
		if err != nil || d.Type != "birth" {
			continue
		}
		var b bytes.Buffer
		if err := png.Encode(&b, imgs[0]); err != nil {
			t.Fatal(err)
		}
		doc, img = d, b.Bytes()
		break
	}
	b, err := st.CreateBatch(ctx, admin, queue.BatchSpec{RecordType: "birth"})
	if err != nil {
		t.Fatal(err)
	}
	qd, pages, err := st.AddDocument(ctx, admin, queue.NewDocument{BatchID: b.ID, Origin: "test", Pages: []queue.PageInput{{Data: img, Format: "png", Width: doc.Pages[0].Width, Height: doc.Pages[0].Height, DPI: 300}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveOCR(ctx, pages[0].ID, queue.OCRResult{Words: truthWords(doc)[0].Words, Engine: "ground-truth"}); err != nil {
		t.Fatal(err)
	}
	rt, _ := reg.Get("birth")
	res, err := ExtractDocument(ctx, st, admin, rt, qd.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != len(doc.Fields) || res.Missing != 0 {
		t.Errorf("stored %d of %d fields, %d missing", res.Stored, len(doc.Fields), res.Missing)
	}
	// A keyed correction survives a second extraction.
	if err := st.SetField(ctx, admin, qd.ID, "gender", "Nữ", queue.SourceKeyed, 1); err != nil {
		t.Fatal(err)
	}
	res, err = ExtractDocument(ctx, st, admin, rt, qd.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Kept != 1 || res.Stored != 0 {
		t.Errorf("second extraction: %+v", res)
	}
	// ExtractMissing (the pipeline's) keeps an earlier OCR value too; ExtractDocument (the
	// CLI's) replaces it with what the pages give now.
	if err := st.SetField(ctx, queue.User{}, qd.ID, "document_number", "OCR CŨ", queue.SourceOCR, 0.5); err != nil {
		t.Fatal(err)
	}
	if res, err = ExtractMissing(ctx, st, queue.User{}, rt, qd.ID); err != nil || res.Stored != 0 || res.Kept != 1 {
		t.Fatalf("ExtractMissing: %+v %v", res, err)
	}
	if fs, _ := st.Fields(ctx, qd.ID); fieldValue(fs, "document_number") != "OCR CŨ" {
		t.Fatal("ExtractMissing replaced a stored OCR value")
	}
	if res, err = ExtractDocument(ctx, st, queue.User{}, rt, qd.ID); err != nil || res.Stored != 1 {
		t.Fatalf("ExtractDocument: %+v %v", res, err)
	}
	ps, err := ValidateDocument(ctx, st, rt, qd.ID, refNow)
	if err != nil {
		t.Fatal(err)
	}
	male := false
	for _, f := range doc.Fields {
		if f.Key == "gender" {
			male = f.Value == "Nam"
		}
	}
	if male != hasCode(ps, "personal_id", "id.gender") {
		t.Errorf("keyed gender Nữ on a document printed %v: problems %v", map[bool]string{true: "Nam", false: "Nữ"}[male], ps)
	}
}

func fieldValue(fs []queue.FieldValue, key string) string {
	for _, f := range fs {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}
