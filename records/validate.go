package records

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Severity says what a problem blocks.
type Severity string

const (
	SeverityError   Severity = "error"   // blocks submission
	SeverityWarning Severity = "warning" // the clerk must confirm the value
)

// Problem is one validation finding. Messages name fields, never their values.
type Problem struct {
	Key      string   // field key ("" for a document-level problem)
	Keys     []string // every field involved (cross-field checks)
	Severity Severity
	Code     string // stable machine code, e.g. "id.province"
	Vi, En   string
}

func (p Problem) String() string { return fmt.Sprintf("%s %s: %s / %s", p.Severity, p.Key, p.Vi, p.En) }

// Localize is the problem's message in lang (Vi or En).
func (p Problem) Localize(lang string) string {
	if l10n.Lang(lang) == l10n.En {
		return p.En
	}
	return p.Vi
}

// Validate checks the values of one document (field key → value, as stored) against rt:
// each field on its own, then the cross-field rules. now is the reference for "not in the
// future". Problems come back ordered by field key.
func Validate(rt *RecordType, values map[string]string, now time.Time) []Problem {
	var out []Problem
	for _, f := range rt.Fields {
		out = append(out, validateField(f, values[f.Key], now)...)
	}
	// table cells present in values
	for k, v := range values {
		if _, _, _, ok := rt.tableCell(k); ok {
			f, _ := rt.Field(k)
			out = append(out, validateField(f, v, now)...)
		}
	}
	for _, ch := range rt.Checks {
		out = append(out, runCheck(rt, ch, "", values)...)
	}
	rows := map[string]bool{}
	for k := range values {
		if t, n, _, ok := rt.tableCell(k); ok {
			rows[fmt.Sprintf("%s_%d_", t.Key, n)] = true
		}
	}
	for prefix := range rows {
		for _, t := range rt.Tables {
			if len(prefix) > len(t.Key) && prefix[:len(t.Key)+1] == t.Key+"_" {
				for _, ch := range t.RowChecks {
					out = append(out, runCheck(rt, ch, prefix, values)...)
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// HasErrors says whether any problem blocks submission.
func HasErrors(ps []Problem) bool {
	for _, p := range ps {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

func prob(key string, sev Severity, code, vi, en string) Problem {
	return Problem{Key: key, Keys: []string{key}, Severity: sev, Code: code, Vi: vi, En: en}
}

// fieldProb is the problem of field f whose message is the catalogue entry "records."+msg;
// {{.Label}} is the field's label in each language.
func fieldProb(f Field, sev Severity, code, msg string, args ...l10n.Args) []Problem {
	vi, en := texts("records."+msg, f.LabelVi, f.LabelEn, args...)
	return []Problem{prob(f.Key, sev, code, vi, en)}
}

// texts renders key in both languages with Label set to labelVi and labelEn.
func texts(key, labelVi, labelEn string, args ...l10n.Args) (vi, en string) {
	with := func(label string) l10n.Args {
		a := l10n.Args{"Label": label}
		if len(args) > 0 {
			for k, v := range args[0] {
				a[k] = v
			}
		}
		return a
	}
	return l10n.T(l10n.Vi, key, with(labelVi)), l10n.T(l10n.En, key, with(labelEn))
}

// validateField checks one value on its own: its type's rules, then what looks suspicious
// in it (Suspicious) as a warning, whatever its confidence.
func validateField(f Field, raw string, now time.Time) []Problem {
	ps := typeProblems(f, raw, now)
	if s := Suspicious(f, raw); len(s) > 0 {
		ps = append(ps, prob(f.Key, SeverityWarning, s[0].Code, f.LabelVi+": "+s[0].Vi, f.LabelEn+": "+s[0].En))
	}
	return ps
}

func typeProblems(f Field, raw string, now time.Time) []Problem {
	v := Normalize(f, raw)
	if v == "" {
		if f.Required {
			return fieldProb(f, SeverityError, "required", "required")
		}
		return nil
	}
	switch f.Type {
	case TypeDate:
		t, err := ParseDate(raw)
		if err != nil {
			return fieldProb(f, SeverityError, "date.invalid", "date.invalid")
		}
		if t.After(now) {
			return fieldProb(f, SeverityError, "date.future", "date.future")
		}
		if t.Year() < 1880 {
			return fieldProb(f, SeverityWarning, "date.old", "date.old")
		}
	case TypePersonalID:
		return validateID(f, v)
	case TypeNumber:
		if f.Validation.Digits > 0 && len(v) != f.Validation.Digits {
			return fieldProb(f, SeverityError, "number.digits", "number.digits", l10n.Args{"N": f.Validation.Digits})
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			if f.Validation.Min != 0 || f.Validation.MaxCurrentYear {
				return fieldProb(f, SeverityError, "number.invalid", "number.invalid")
			}
			return nil
		}
		if f.Validation.Min != 0 && n < f.Validation.Min {
			return fieldProb(f, SeverityError, "number.min", "number.min", l10n.Args{"N": f.Validation.Min})
		}
		if f.Validation.MaxCurrentYear && n > now.Year() {
			return fieldProb(f, SeverityError, "number.future_year", "number.futureYear")
		}
	case TypeCatalog:
		c, ok := snapCatalog(List(f.Catalog), v)
		if !ok {
			return fieldProb(f, SeverityWarning, "catalog.unknown", "catalog.unknown")
		}
		if c != strings.TrimSpace(norm.NFC.String(raw)) {
			// "nu" for "Nữ": close to a catalogue value, but only the clerk's choice replaces
			// what was typed or read.
			return fieldProb(f, SeverityWarning, "catalog.spelling", "catalog.spelling")
		}
	case TypeAdminUnit:
		au, err := Catalog()
		if err != nil {
			return nil
		}
		c, ok := au.Check(v)
		if !ok {
			return fieldProb(f, SeverityWarning, "admin.province_unknown", "admin.provinceUnknown")
		}
		// The messages name no unit of the address (it is a personal value); the keying screen
		// offers c.Suggestion as a replacement.
		switch {
		case c.Suggestion != "" && (c.OldProvince != "" || c.District != ""):
			return fieldProb(f, SeverityWarning, "admin.old_address", "admin.oldAddress")
		case c.OldProvince != "":
			return fieldProb(f, SeverityWarning, "admin.old_province", "admin.oldProvince", l10n.Args{"Province": c.Province.FullName()})
		case c.CommuneName != "" && c.Commune == nil && len(c.OtherProvince) > 0:
			return fieldProb(f, SeverityWarning, "admin.commune_other_province", "admin.communeOtherProvince")
		case c.CommuneName != "" && c.Commune == nil && !c.Partial && c.District == "":
			return fieldProb(f, SeverityWarning, "admin.commune_unknown", "admin.communeUnknown")
		case c.District != "":
			return fieldProb(f, SeverityWarning, "admin.district", "admin.district")
		}
	case TypeText:
		if f.OCR.re != nil && !f.OCR.re.MatchString(v) {
			return fieldProb(f, SeverityWarning, "text.pattern", "text.pattern")
		}
	}
	return nil
}

func validateID(f Field, v string) []Problem {
	switch len(v) {
	case 12:
		au, err := Catalog()
		if err == nil {
			if _, ok := au.CCCDCodes[v[:3]]; !ok {
				return fieldProb(f, SeverityError, "id.province", "id.province")
			}
		}
		if v[3] > '5' {
			return fieldProb(f, SeverityError, "id.century", "id.century")
		}
	case 9:
		if !f.Validation.AllowCMND9 {
			return fieldProb(f, SeverityError, "id.cmnd9", "id.cmnd9Refused")
		}
		return fieldProb(f, SeverityWarning, "id.cmnd9", "id.cmnd9")
	default:
		return fieldProb(f, SeverityError, "id.length", "id.length")
	}
	return nil
}

// fieldLabel names field key in messages: its label, with the row number of a table cell.
func fieldLabel(rt *RecordType, key string, vi bool) string {
	f, ok := rt.Field(key)
	if !ok {
		return key
	}
	l := f.LabelEn
	if vi {
		l = f.LabelVi
	}
	if _, n, _, cell := rt.tableCell(key); cell {
		lang := l10n.En
		if vi {
			lang = l10n.Vi
		}
		return l10n.T(lang, "records.label.row", l10n.Args{"Label": l, "N": n})
	}
	return l
}

func runCheck(rt *RecordType, ch Check, prefix string, values map[string]string) []Problem {
	keys := make([]string, len(ch.Fields))
	vi := make([]string, len(ch.Fields))
	en := make([]string, len(ch.Fields))
	for i, k := range ch.Fields {
		keys[i] = prefix + k
		vi[i], en[i] = fieldLabel(rt, keys[i], true), fieldLabel(rt, keys[i], false)
	}
	date := func(k string) (time.Time, bool) {
		t, err := ParseDate(values[k])
		return t, err == nil
	}
	// mk is the problem with the catalogue message "records."+msg: {{.A}} and {{.B}} are
	// the first two fields' labels.
	mk := func(sev Severity, code, msg string, args ...l10n.Args) []Problem {
		key := keys[len(keys)-1]
		if ch.Kind == "id_matches" {
			key = keys[0]
		}
		with := func(labels []string) l10n.Args {
			a := l10n.Args{"A": labels[0], "B": ""}
			if len(labels) > 1 {
				a["B"] = labels[1]
			}
			if len(args) > 0 {
				for k, v := range args[0] {
					a[k] = v
				}
			}
			return a
		}
		key2 := "records." + msg
		return []Problem{{Key: key, Keys: keys, Severity: sev, Code: code, Vi: l10n.T(l10n.Vi, key2, with(vi)), En: l10n.T(l10n.En, key2, with(en))}}
	}
	switch ch.Kind {
	case "before":
		a, ok1 := date(keys[0])
		b, ok2 := date(keys[1])
		if ok1 && ok2 && a.After(b) {
			return mk(SeverityError, "cross.order", "cross.before")
		}
	case "year_before":
		y, err := strconv.Atoi(NormalizeDigits(values[keys[0]]))
		b, ok := date(keys[1])
		if err == nil && ok && y > b.Year() {
			return mk(SeverityError, "cross.order", "cross.yearBefore")
		}
	case "min_age":
		a, ok1 := date(keys[0])
		b, ok2 := date(keys[1])
		if ok1 && ok2 && !a.After(b) && a.AddDate(ch.Years, 0, 0).After(b) {
			return mk(SeverityWarning, "cross.min_age", "cross.minAge", l10n.Args{"Years": ch.Years})
		}
	case "id_matches":
		id := NormalizeDigits(values[keys[0]])
		if len(id) != 12 || id[3] > '5' {
			return nil // reported by the field check
		}
		g := int(id[3] - '0')
		century := 1900 + (g/2)*100
		male := g%2 == 0
		var out []Problem
		if b, ok := date(keys[1]); ok {
			yy, _ := strconv.Atoi(id[4:6])
			if b.Year() != century+yy {
				out = append(out, mk(SeverityError, "id.birth_year", "id.birthYear")...)
			}
		}
		gender := ch.Gender
		if len(keys) == 3 {
			gender, _ = snapCatalog(List("gender"), values[keys[2]])
		}
		if gender == "Nam" || gender == "Nữ" {
			if (gender == "Nam") != male {
				out = append(out, mk(SeverityError, "id.gender", "id.gender")...)
			}
		}
		return out
	}
	return nil
}
