package records

import (
	"sort"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
)

func bundled(t testing.TB) *Registry {
	t.Helper()
	reg, err := LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestExtractGroundTruthWords runs extraction on words built from the generator's ground
// truth for many documents of every type and requires 90% exact matches per type.
func TestExtractGroundTruthWords(t *testing.T) {
	reg := bundled(t)
	n := 120
	if testing.Short() {
		n = 30
	}
	scal := map[string]*score{}
	tab := map[string]*score{}
	misses := map[string]int{}
	for i := 0; i < n; i++ {
		doc, _, err := docgen.Generate(7, i, docgen.Options{DPI: 300, Clean: true})
		if err != nil {
			// The generator refuses a few layouts (a member table too wide for the page).
			t.Logf("docgen %d: %v", i, err)
			continue
		}
		rt, ok := reg.Get(doc.Type)
		if !ok {
			t.Fatalf("no record type for docgen type %q", doc.Type)
		}
		s, tb := accuracy(t, rt, doc, ExtractPages(rt, truthWords(doc)), misses)
		if scal[doc.Type] == nil {
			scal[doc.Type], tab[doc.Type] = &score{}, &score{}
		}
		scal[doc.Type].ok += s.ok
		scal[doc.Type].total += s.total
		tab[doc.Type].ok += tb.ok
		tab[doc.Type].total += tb.total
	}
	for _, typ := range docgen.Types {
		s, tb := scal[typ], tab[typ]
		if s == nil {
			t.Errorf("no documents of type %s generated", typ)
			continue
		}
		t.Logf("%-10s fields %4d/%4d = %5.1f%%   table cells %4d/%4d = %5.1f%%", typ, s.ok, s.total, s.pct(), tb.ok, tb.total, tb.pct())
		if s.pct() < 90 {
			t.Errorf("%s: field accuracy %.1f%% < 90%%", typ, s.pct())
		}
		if tb.total > 0 && tb.pct() < 90 {
			t.Errorf("%s: table accuracy %.1f%% < 90%%", typ, tb.pct())
		}
	}
	var keys []string
	for k := range misses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("missed %-28s %d", k, misses[k])
	}
}
