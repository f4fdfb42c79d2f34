package app

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/sohoa/sohoa/queue"
)

// TestSearchScreenFiltersAndOpensHit: a diacritic-free query finds a keyed field value,
// the filters narrow the hits (record type, clerk, date, empty query = browse), and opening
// a hit opens the keying screen on that document with the field focused.
func TestSearchScreenFiltersAndOpensHit(t *testing.T) {
	h := newHarness(t, Services{})
	registerTypes(t, h)
	u := h.admin()
	ctx := context.Background()
	other, err := h.e.st.CreateUser(ctx, &u, "nhaplieu", "Lê Thị Hoa", "matkhau-456", []queue.Role{queue.RoleClerk})
	if err != nil {
		t.Fatal(err)
	}
	h.login(u)
	hb, hdocs := keyingBatch(t, h, u, "household", pagePNG(t, 800, 1100), pagePNG(t, 800, 1100))
	_, gdocs := keyingBatch(t, h, u, "generic", pagePNG(t, 800, 1100))
	set := func(who queue.User, doc int64, key, v string) {
		if err := h.e.st.SetField(ctx, who, doc, key, v, queue.SourceKeyed, 1); err != nil {
			t.Fatal(err)
		}
	}
	set(u, hdocs[1].ID, "full_name", "Nguyễn Thị Phương Thảo")
	set(other, gdocs[0].ID, "signer_name", "Nguyễn Văn Thảo")

	h.sh.showSearch()
	h.wait()
	s := h.sh.search
	test.Type(s.query, "nguyen thao")
	enter(s.query)
	h.wait()
	if len(s.hits) != 2 {
		t.Fatalf("hits %+v", s.hits)
	}
	// record type filter
	for i, rt := range s.types {
		if rt.Key == "household" {
			s.typeSel.SetSelectedIndex(i + 1)
		}
	}
	s.run()
	h.wait()
	if len(s.hits) != 1 || s.hits[0].DocumentID != hdocs[1].ID || s.hits[0].Field != "full_name" {
		t.Fatalf("household hits %+v", s.hits)
	}
	if !strings.Contains(s.hitText(0), "Nguyễn Thị Phương Thảo") {
		t.Fatalf("hit text %q", s.hitText(0))
	}
	// clerk filter: the clerk keyed only the generic document
	s.typeSel.SetSelectedIndex(0)
	for i, x := range s.users {
		if x.Username == "nhaplieu" {
			s.clerkSel.SetSelectedIndex(i + 1)
		}
	}
	s.run()
	h.wait()
	if len(s.hits) != 1 || s.hits[0].DocumentID != gdocs[0].ID {
		t.Fatalf("clerk hits %+v", s.hits)
	}
	// a date range with no documents, then a bad date
	s.clerkSel.SetSelectedIndex(0)
	s.from.SetText("2000-01-01")
	s.to.SetText("2000-12-31")
	s.run()
	h.wait()
	if len(s.hits) != 0 {
		t.Fatalf("date-filtered hits %+v", s.hits)
	}
	s.to.SetText("31/12/2000")
	s.run()
	h.wait()
	if !strings.Contains(s.head.Text, "YYYY-MM-DD") {
		t.Fatalf("bad date not reported: %q", s.head.Text)
	}
	// browse: empty query, batch filter → one hit per document of the batch
	s.from.SetText("")
	s.to.SetText("")
	s.query.SetText("")
	for i, b := range s.batches {
		if b.ID == hb.ID {
			s.batchSel.SetSelectedIndex(i + 1)
		}
	}
	s.run()
	h.wait()
	if len(s.hits) != 2 || s.hits[0].PageID == 0 {
		t.Fatalf("browse hits %+v", s.hits)
	}
	// open the household hit: the keying screen opens on that document, field focused
	s.query.SetText("phuong thao")
	s.batchSel.SetSelectedIndex(0)
	s.run()
	h.wait()
	if len(s.hits) != 1 {
		t.Fatalf("hits %+v", s.hits)
	}
	s.list.Select(0)
	h.wait()
	k := h.sh.keying
	if k == nil || k.docID != hdocs[1].ID || k.rows[k.focus].f.Key != "full_name" {
		t.Fatalf("hit did not open the keying screen on its document and field")
	}
	if k.rows[k.focus].entry.Text != "Nguyễn Thị Phương Thảo" {
		t.Fatalf("field shows %q", k.rows[k.focus].entry.Text)
	}
}
