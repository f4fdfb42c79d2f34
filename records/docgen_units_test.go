package records

import (
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/docgen"
)

// TestGeneratedAddressesKnown: the addresses of generated records (internal/docgen) pass the
// commune check (their units are real units of 2025, or part of a real unit's name), so that
// the generated sets key without a catalogue warning.
func TestGeneratedAddressesKnown(t *testing.T) {
	reg, err := LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i := 0; i < 40; i++ {
		doc, _, err := docgen.Generate(7, i, docgen.Options{DPI: 150, Clean: true})
		if err != nil {
			t.Fatal(err)
		}
		rt, ok := reg.Get(doc.Type)
		if !ok {
			continue
		}
		values := map[string]string{}
		for _, f := range doc.Fields {
			values[f.Key] = f.Value
			if fd, ok := rt.Field(f.Key); ok && fd.Type == TypeAdminUnit {
				checked++
			}
		}
		for _, p := range Validate(rt, values, time.Now()) {
			if strings.HasPrefix(p.Code, "admin.commune") || p.Code == "admin.district" || p.Code == "admin.old_address" {
				t.Errorf("%s %s: %s (%s)", doc.Type, p.Key, p.Code, values[p.Key])
			}
		}
	}
	if checked < 30 {
		t.Fatalf("only %d addresses checked", checked)
	}
}
