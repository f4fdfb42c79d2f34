package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/sync/store"
)

// sealedDocs is docs(n, tag) with two fields each: a searchable one whose indexes name the
// document, and a table (no indexes). The "ciphertexts" are opaque bytes to the store.
func sealedDocs(n int, tag string) []store.Document {
	ds := docs(n, tag)
	for i := range ds {
		ds[i].Fields = []store.Field{
			{Key: "ho_ten", Pos: 0, Value: []byte(fmt.Sprint("sealed ", tag, i)), Exact: fmt.Sprint("x", i), Folded: "f-same"},
			{Key: "thanh_vien", Pos: 1, Value: []byte{0, 1, 2, byte(i)}},
		}
	}
	return ds
}

func testFields(t *testing.T, s store.Store) {
	ctx := context.Background()
	enroll(t, s, "ws-a", "HN-01")
	b := batch(b1, "ws-a", 1, `{"m":1}`)
	b.RecordType = "khai-sinh"
	if err := s.PutManifest(ctx, b); err != nil {
		t.Fatal(err)
	}
	c := commit(b1, "ws-a", 1, "receipt-one")
	c.Documents = sealedDocs(3, b1)
	if _, first, err := s.CommitBatch(ctx, c); err != nil || !first {
		t.Fatalf("commit: first=%v %v", first, err)
	}
	// A second commit (other ciphertexts) writes nothing.
	c2 := commit(b1, "ws-a", 1, "receipt-two")
	c2.Documents = sealedDocs(3, "other")
	if _, first, err := s.CommitBatch(ctx, c2); err != nil || first {
		t.Fatalf("second commit: first=%v %v", first, err)
	}
	got, err := s.Documents(ctx, b1)
	if err != nil {
		t.Fatal(err)
	}
	want := sealedDocs(3, b1)
	for i := range want {
		if len(got[i].Fields) != 2 {
			t.Fatalf("document %d has %d fields, want 2 (stored once)", i, len(got[i].Fields))
		}
		for j, f := range want[i].Fields {
			g := got[i].Fields[j]
			if g.Key != f.Key || g.Pos != f.Pos || string(g.Value) != string(f.Value) || g.Exact != f.Exact || g.Folded != f.Folded {
				t.Fatalf("document %d field %d = %+v, want %+v", i, j, g, f)
			}
		}
	}
	// Exact and folded matches, combined with a batch filter.
	match := func(m store.FieldMatch, rt string) string {
		rows, err := s.DocumentRows(ctx, store.DocumentFilter{BatchFilter: store.BatchFilter{RecordType: rt}, Field: &m}, nil, false, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rows {
			if len(r.Fields) != 2 || r.Fields[0].Key != "ho_ten" || r.Fields[1].Key != "thanh_vien" {
				t.Fatalf("row %s fields = %+v", r.DocID, r.Fields)
			}
			ids = append(ids, r.DocID)
		}
		return strings.Join(ids, ",")
	}
	for _, tc := range []struct {
		m    store.FieldMatch
		rt   string
		want string
	}{
		{store.FieldMatch{Key: "ho_ten", Index: "x1"}, "", "d01"},
		{store.FieldMatch{Key: "ho_ten", Index: "x1"}, "ket-hon", ""},
		{store.FieldMatch{Key: "ho_ten", Index: "f-same", Folded: true}, "khai-sinh", "d00,d01,d02"},
		{store.FieldMatch{Key: "ho_ten", Index: "f-same"}, "", ""}, // the exact index is another column
		{store.FieldMatch{Key: "ngay_sinh", Index: "x1"}, "", ""},  // another key
		{store.FieldMatch{Key: "thanh_vien", Index: ""}, "", ""},   // tables are not indexed
	} {
		if got := match(tc.m, tc.rt); got != tc.want {
			t.Errorf("match %+v (record type %q) = %q, want %q", tc.m, tc.rt, got, tc.want)
		}
	}
	keys, err := s.FieldKeys(ctx, store.BatchFilter{RecordType: "khai-sinh"})
	if err != nil || strings.Join(keys, ",") != "ho_ten,thanh_vien" {
		t.Fatalf("field keys = %q, %v", keys, err)
	}
	if keys, err := s.FieldKeys(ctx, store.BatchFilter{RecordType: "ket-hon"}); err != nil || len(keys) != 0 {
		t.Fatalf("field keys of another record type = %q, %v", keys, err)
	}
}

// testDates: date indexes are stored with the fields and matched as a set, with the batch
// filters and cursors; a range with no index matches nothing; values stored without them
// are listed by UndatedFields until SetFieldDates has been given them.
func testDates(t *testing.T, s store.Store) {
	ctx := context.Background()
	enroll(t, s, "ws-a", "HN-01")
	for i, id := range []string{b1, b2} {
		b := batch(id, "ws-a", int64(i+1), `{"m":1}`)
		b.RecordType = "khai-sinh"
		if err := s.PutManifest(ctx, b); err != nil {
			t.Fatal(err)
		}
		c := commit(id, "ws-a", int64(i+1), "receipt")
		c.Documents = sealedDocs(3, id)
		for j := range c.Documents {
			// Document j's registration date has the indexes "y<j>" (its year) and "d<i><j>".
			c.Documents[j].Fields[0].Dates = []string{fmt.Sprintf("y%d", j), fmt.Sprintf("d%d%d", i, j)}
		}
		if _, _, err := s.CommitBatch(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	rows := func(f store.DocumentFilter, after *store.DocCursor, limit int) string {
		t.Helper()
		rs, err := s.DocumentRows(ctx, f, after, false, limit)
		if err != nil {
			t.Fatal(err)
		}
		return rowKeys(rs)
	}
	date := func(key string, idx ...string) store.DocumentFilter {
		return store.DocumentFilter{Date: &store.DateMatch{Key: key, Indexes: idx}}
	}
	for _, c := range []struct {
		f    store.DocumentFilter
		want string
	}{
		{date("ho_ten", "y1"), "1/d01,2/d01"},
		{date("ho_ten", "y1", "d02", "nothing"), "1/d01,1/d02,2/d01"},
		{date("ho_ten", "d12"), "2/d02"},
		{date("thanh_vien", "y1"), ""}, // another key
		{date("ho_ten"), ""},           // an empty cover
		{store.DocumentFilter{BatchFilter: store.BatchFilter{RecordType: "ket-hon"}, Date: &store.DateMatch{Key: "ho_ten", Indexes: []string{"y1"}}}, ""},
		{store.DocumentFilter{Field: &store.FieldMatch{Key: "ho_ten", Index: "x0"}, Date: &store.DateMatch{Key: "ho_ten", Indexes: []string{"y0", "y1"}}},
			"1/d00,2/d00"},
	} {
		if got := rows(c.f, nil, 10); got != c.want {
			t.Errorf("rows %+v = %q, want %q", c.f.Date, got, c.want)
		}
	}
	if got := rows(date("ho_ten", "y1", "y2"), &store.DocCursor{BatchID: b1, DocID: "d01"}, 2); got != "1/d02,2/d01" {
		t.Errorf("page after %s/d01 = %q", b1, got)
	}
	// Fields committed with their indexes are not undated (the upgrade test makes some).
	if u, err := s.UndatedFields(ctx, nil, 10); err != nil || len(u) != 0 {
		t.Fatalf("undated fields after commits: %+v %v", u, err)
	}
	// SetFieldDates is idempotent and adds to the stored indexes.
	ref := store.FieldRef{BatchID: b1, DocID: "d00", Key: "ho_ten"}
	for i := 0; i < 2; i++ {
		if err := s.SetFieldDates(ctx, []store.FieldDates{{FieldRef: ref, Dates: []string{"late"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := rows(date("ho_ten", "late"), nil, 10); got != "1/d00" {
		t.Errorf("after SetFieldDates: %q", got)
	}
}
