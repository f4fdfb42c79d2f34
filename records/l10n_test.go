package records

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/internal/l10n/l10ntest"
)

// TestProblemTexts: validation messages come from the catalogue in both languages with the
// field's label in each, and none is left as a key or a template.
func TestProblemTexts(t *testing.T) {
	reg, err := LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	codes := map[string]bool{}
	for _, rt := range reg.Types() {
		for _, sample := range []string{"", "N®", "Huong", "32/13/2020", "01/01/2030", "0O1", "123456789", "999123456789", "xx", "1700"} {
			values := map[string]string{}
			for _, f := range rt.Fields {
				values[f.Key] = sample
			}
			for _, p := range Validate(rt, values, now) {
				codes[p.Code] = true
				if p.Vi == p.En || strings.Contains(p.Vi+p.En, "records.") || strings.Contains(p.Vi+p.En, "{{") ||
					p.Localize(l10n.Vi) != p.Vi || p.Localize(l10n.En) != p.En {
					t.Errorf("%s %s: %q / %q", rt.Key, p.Code, p.Vi, p.En)
				}
				if f, ok := rt.Field(p.Key); ok && p.Code != "cross.order" && !strings.Contains(p.Vi, f.LabelVi) {
					t.Errorf("%s %s: the Vietnamese text %q does not name the field %q", rt.Key, p.Code, p.Vi, f.LabelVi)
				}
			}
		}
	}
	if len(codes) < 10 {
		t.Fatalf("only %d problem codes seen: %v", len(codes), codes)
	}
}

func TestSchemaErrorTranslated(t *testing.T) {
	_, err := Load(fstest.MapFS{"types/bad.json": {Data: []byte(`{"key": 1}`)}}, "types")
	l10ntest.Translated(t, "bad schema", err)
	l10ntest.Translated(t, "ErrSchema", ErrSchema)
}
