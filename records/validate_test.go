package records

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/docgen"
)

var refNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func truthValues(doc docgen.Document) map[string]string {
	m := map[string]string{}
	for _, f := range doc.Fields {
		m[f.Key] = f.Value
	}
	return m
}

// idKeyOf returns an ID field with its birth date and (optional) gender field.
func idKeyOf(rt *RecordType) (Check, bool) {
	for _, c := range rt.Checks {
		if c.Kind == "id_matches" {
			return c, true
		}
	}
	return Check{}, false
}

func hasCode(ps []Problem, key, code string) bool {
	for _, p := range ps {
		if p.Code == code && (key == "" || p.Key == key) {
			return true
		}
	}
	return false
}

// TestValidateSeededErrors: generated documents validate without errors; every injected
// inconsistency is caught with the expected code and severity error.
func TestValidateSeededErrors(t *testing.T) {
	reg := bundled(t)
	injected, caught := 0, 0
	for i := 0; i < 60; i++ {
		doc, _, err := docgen.Generate(11, i, docgen.Options{DPI: 300, Clean: true})
		if err != nil {
			continue
		}
		rt, _ := reg.Get(doc.Type)
		vals := truthValues(doc)
		ps := Validate(rt, vals, refNow)
		if HasErrors(ps) {
			t.Fatalf("%s (%s): clean document has errors: %v", doc.ID, doc.Type, ps)
		}
		for _, p := range ps { // real names, addresses and numbers are not marked suspicious
			if strings.HasPrefix(p.Code, "suspicious.") || p.Code == "catalog.spelling" {
				t.Errorf("%s (%s): clean value marked: %v", doc.ID, doc.Type, p)
			}
		}
		ch, _ := idKeyOf(rt)
		id := vals[ch.Fields[0]]
		type inj struct {
			name, key, code string
			set             map[string]string
		}
		g := id[3]
		flipped := string(rune(g ^ 1)) // 0↔1, 2↔3: other sex, same century
		yy := (int(id[4]-'0')*10 + int(id[5]-'0') + 1) % 100
		injs := []inj{
			{"province", ch.Fields[0], "id.province", map[string]string{ch.Fields[0]: "003" + id[3:]}},
			{"gender digit", ch.Fields[0], "id.gender", map[string]string{ch.Fields[0]: id[:3] + flipped + id[4:]}},
			{"year digits", ch.Fields[0], "id.birth_year", map[string]string{ch.Fields[0]: id[:4] + fmt.Sprintf("%02d", yy) + id[6:]}},
			{"century digit", ch.Fields[0], "id.century", map[string]string{ch.Fields[0]: id[:3] + "8" + id[4:]}},
			{"short id", ch.Fields[0], "id.length", map[string]string{ch.Fields[0]: id[:10]}},
			{"impossible date", ch.Fields[1], "date.invalid", map[string]string{ch.Fields[1]: "31/02/1990"}},
			{"future date", "issue_date", "date.future", map[string]string{"issue_date": "ngày 5 tháng 6 năm 2031"}},
			{"missing required", "document_number", "required", map[string]string{"document_number": ""}},
		}
		// birth after the registration / issue date
		switch doc.Type {
		case "birth":
			injs = append(injs, inj{"birth after registration", "registration_date", "cross.order", map[string]string{"date_of_birth": "01/01/2025", "registration_date": "01/01/2024", "personal_id": id[:3] + "2" + "25" + id[6:], "gender": "Nam"}})
		case "marriage":
			injs = append(injs, inj{"birth after registration", "registration_date", "cross.order", map[string]string{"wife_date_of_birth": "01/01/2025", "wife_personal_id": id[:3] + "325" + id[6:], "registration_date": "01/01/2024"}})
		case "business":
			injs = append(injs, inj{"change before first", "change_registration_date", "cross.order", map[string]string{"first_registration_date": "ngày 10 tháng 5 năm 2020", "change_registration_date": "ngày 9 tháng 5 năm 2020"}})
		case "household":
			if v, ok := vals["member_1_personal_id"]; ok {
				injs = append(injs, inj{"member gender", "member_1_personal_id", "id.gender", map[string]string{"member_1_personal_id": v[:3] + string(rune(v[3]^1)) + v[4:]}})
			}
		}
		for _, in := range injs {
			bad := map[string]string{}
			for k, v := range vals {
				bad[k] = v
			}
			for k, v := range in.set {
				bad[k] = v
			}
			injected++
			ps := Validate(rt, bad, refNow)
			if !hasCode(ps, in.key, in.code) || !HasErrors(ps) {
				t.Errorf("%s (%s): injected %s not caught as %s on %s: %v", doc.ID, doc.Type, in.name, in.code, in.key, ps)
				continue
			}
			caught++
			for _, p := range ps {
				for _, v := range bad {
					if len(v) >= 4 && (containsFold(p.Vi, v) || containsFold(p.En, v)) {
						t.Errorf("message quotes a value: %q", p.Vi)
					}
				}
			}
		}
	}
	t.Logf("injected %d inconsistencies, caught %d", injected, caught)
	if injected < 400 {
		t.Errorf("only %d injections", injected)
	}
}

func containsFold(s, sub string) bool {
	return Fold(sub) != "" && len(Fold(sub)) > 3 && contains(Fold(s), Fold(sub))
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestCMND9(t *testing.T) {
	reg := bundled(t)
	birth, _ := reg.Get("birth")
	house, _ := reg.Get("household")
	if ps := Validate(birth, map[string]string{"personal_id": "012345678"}, refNow); !hasCode(ps, "personal_id", "id.cmnd9") || !HasErrors(ps) {
		t.Errorf("birth must refuse a 9-digit ID: %v", ps)
	}
	ps := Validate(house, map[string]string{"personal_id": "O12345678"}, refNow)
	for _, p := range ps {
		if p.Key == "personal_id" && p.Severity == SeverityError {
			t.Errorf("household allows CMND9 (with O read for 0): %v", p)
		}
	}
	if !hasCode(ps, "personal_id", "id.cmnd9") {
		t.Errorf("CMND9 must warn: %v", ps)
	}
}
