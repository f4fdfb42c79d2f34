package queue

import (
	"context"
	"testing"
)

// TestDocumentProvenance: each field's current value with its source, who gave it (user and
// full name) and when, the OCR confidence an accepted value had, and the values it replaced,
// newest first.
func TestDocumentProvenance(t *testing.T) {
	ctx := context.Background()
	f := newReviewFixture(t, 1) // "so" keyed by the clerk
	s, d := f.s, f.docs[0].ID
	steps := []struct {
		u    User
		key  string
		v    string
		src  FieldSource
		conf float64
	}{
		{User{}, "ten", "Nguyen Van Binh", SourceOCR, 0.55},
		{f.clerk, "ten", "Nguyễn Văn Bình", SourceCorrected, 1},
		{User{}, "noi", "Hà Nội", SourceOCR, 0.72},
		{f.clerk, "noi", "Hà Nội", SourceOCRAccepted, 1},
	}
	for _, st := range steps {
		if err := s.SetField(ctx, st.u, d, st.key, st.v, st.src, st.conf); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.DocumentProvenance(ctx, d)
	if err != nil || len(got) != 3 {
		t.Fatalf("provenance %+v %v", got, err)
	}
	by := map[string]FieldProvenance{}
	for _, p := range got {
		by[p.Key] = p
	}
	ten, noi, so := by["ten"], by["noi"], by["so"]
	if c := ten.Current; c.Value != "Nguyễn Văn Bình" || c.Source != SourceCorrected || c.By != "nhap.lieu" || c.ByName != "Nguyễn Thị Nhập" || parseStamp(c.At).IsZero() {
		t.Fatalf("ten current %+v", c)
	}
	if len(ten.Earlier) != 1 || ten.Earlier[0].Value != "Nguyen Van Binh" || ten.Earlier[0].Source != SourceOCR || ten.Earlier[0].Confidence != 0.55 || ten.Earlier[0].By != "" {
		t.Fatalf("ten history %+v", ten.Earlier)
	}
	if c := noi.Current; c.Source != SourceOCRAccepted || c.OCRConfidence != 0.72 || c.ByName != "Nguyễn Thị Nhập" {
		t.Fatalf("noi current %+v", c)
	}
	if so.Current.Source != SourceKeyed || len(so.Earlier) != 0 {
		t.Fatalf("so %+v", so)
	}
}
