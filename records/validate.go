package records

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
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
	k := f.Key
	if v == "" {
		if f.Required {
			return []Problem{prob(k, SeverityError, "required", "Thiếu trường bắt buộc: "+f.LabelVi, "Required field is empty: "+f.LabelEn)}
		}
		return nil
	}
	switch f.Type {
	case TypeDate:
		t, err := ParseDate(raw)
		if err != nil {
			return []Problem{prob(k, SeverityError, "date.invalid", f.LabelVi+": ngày không hợp lệ (dd/mm/yyyy)", f.LabelEn+": not a valid date (dd/mm/yyyy)")}
		}
		if t.After(now) {
			return []Problem{prob(k, SeverityError, "date.future", f.LabelVi+": ngày ở tương lai", f.LabelEn+": date is in the future")}
		}
		if t.Year() < 1880 {
			return []Problem{prob(k, SeverityWarning, "date.old", f.LabelVi+": năm quá xa, hãy kiểm tra", f.LabelEn+": year is very early, please check")}
		}
	case TypePersonalID:
		return validateID(f, v)
	case TypeNumber:
		if f.Validation.Digits > 0 && len(v) != f.Validation.Digits {
			return []Problem{prob(k, SeverityError, "number.digits", fmt.Sprintf("%s: cần đúng %d chữ số", f.LabelVi, f.Validation.Digits), fmt.Sprintf("%s: must have exactly %d digits", f.LabelEn, f.Validation.Digits))}
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			if f.Validation.Min != 0 || f.Validation.MaxCurrentYear {
				return []Problem{prob(k, SeverityError, "number.invalid", f.LabelVi+": không phải số", f.LabelEn+": not a number")}
			}
			return nil
		}
		if f.Validation.Min != 0 && n < f.Validation.Min {
			return []Problem{prob(k, SeverityError, "number.min", fmt.Sprintf("%s: nhỏ hơn %d", f.LabelVi, f.Validation.Min), fmt.Sprintf("%s: below %d", f.LabelEn, f.Validation.Min))}
		}
		if f.Validation.MaxCurrentYear && n > now.Year() {
			return []Problem{prob(k, SeverityError, "number.future_year", f.LabelVi+": năm ở tương lai", f.LabelEn+": year is in the future")}
		}
	case TypeCatalog:
		c, ok := snapCatalog(List(f.Catalog), v)
		if !ok {
			return []Problem{prob(k, SeverityWarning, "catalog.unknown", f.LabelVi+": giá trị không có trong danh mục", f.LabelEn+": value is not in the catalogue")}
		}
		if c != strings.TrimSpace(norm.NFC.String(raw)) {
			// "nu" for "Nữ": close to a catalogue value, but only the clerk's choice replaces
			// what was typed or read.
			return []Problem{prob(k, SeverityWarning, "catalog.spelling", f.LabelVi+": chưa viết đúng như trong danh mục (chọn một gợi ý)", f.LabelEn+": not written as in the catalogue (choose a suggestion)")}
		}
	case TypeAdminUnit:
		au, err := Catalog()
		if err != nil {
			return nil
		}
		p, old, ok := au.ProvinceIn(v)
		if !ok {
			return []Problem{prob(k, SeverityWarning, "admin.province_unknown", f.LabelVi+": không nhận ra tỉnh/thành phố ở cuối địa chỉ", f.LabelEn+": no known province at the end of the address")}
		}
		if old != "" {
			return []Problem{prob(k, SeverityWarning, "admin.old_province", f.LabelVi+": dùng tên tỉnh trước 01/7/2025, nay thuộc "+p.FullName(), f.LabelEn+": uses a province name from before 1 July 2025, now part of "+p.FullName())}
		}
	case TypeText:
		if f.OCR.re != nil && !f.OCR.re.MatchString(v) {
			return []Problem{prob(k, SeverityWarning, "text.pattern", f.LabelVi+": không đúng định dạng thường gặp", f.LabelEn+": does not have the usual format")}
		}
	}
	return nil
}

func validateID(f Field, v string) []Problem {
	k := f.Key
	switch len(v) {
	case 12:
		au, err := Catalog()
		if err == nil {
			if _, ok := au.CCCDCodes[v[:3]]; !ok {
				return []Problem{prob(k, SeverityError, "id.province", f.LabelVi+": mã tỉnh (3 số đầu) không tồn tại", f.LabelEn+": province code (first 3 digits) does not exist")}
			}
		}
		if v[3] > '5' {
			return []Problem{prob(k, SeverityError, "id.century", f.LabelVi+": số thứ 4 (thế kỷ, giới tính) không hợp lệ", f.LabelEn+": 4th digit (century and sex) is not valid")}
		}
	case 9:
		if !f.Validation.AllowCMND9 {
			return []Problem{prob(k, SeverityError, "id.cmnd9", f.LabelVi+": cần số định danh 12 số (không dùng CMND 9 số)", f.LabelEn+": a 12-digit personal ID is required (not a 9-digit ID card)")}
		}
		return []Problem{prob(k, SeverityWarning, "id.cmnd9", f.LabelVi+": số CMND 9 số cũ, hãy kiểm tra", f.LabelEn+": old 9-digit ID card number, please check")}
	default:
		return []Problem{prob(k, SeverityError, "id.length", f.LabelVi+": số định danh phải có 12 chữ số", f.LabelEn+": a personal ID number has 12 digits")}
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
		if vi {
			return fmt.Sprintf("%s (STT %d)", l, n)
		}
		return fmt.Sprintf("%s (row %d)", l, n)
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
	mk := func(sev Severity, code, vi, en string) []Problem {
		key := keys[len(keys)-1]
		if ch.Kind == "id_matches" {
			key = keys[0]
		}
		return []Problem{{Key: key, Keys: keys, Severity: sev, Code: code, Vi: vi, En: en}}
	}
	switch ch.Kind {
	case "before":
		a, ok1 := date(keys[0])
		b, ok2 := date(keys[1])
		if ok1 && ok2 && a.After(b) {
			return mk(SeverityError, "cross.order", fmt.Sprintf("%s sau %s", vi[0], vi[1]), fmt.Sprintf("%s is after %s", en[0], en[1]))
		}
	case "year_before":
		y, err := strconv.Atoi(NormalizeDigits(values[keys[0]]))
		b, ok := date(keys[1])
		if err == nil && ok && y > b.Year() {
			return mk(SeverityError, "cross.order", fmt.Sprintf("%s sau năm của %s", vi[0], vi[1]), fmt.Sprintf("%s is after the year of %s", en[0], en[1]))
		}
	case "min_age":
		a, ok1 := date(keys[0])
		b, ok2 := date(keys[1])
		if ok1 && ok2 && !a.After(b) && a.AddDate(ch.Years, 0, 0).After(b) {
			return mk(SeverityWarning, "cross.min_age", fmt.Sprintf("%s: chưa đủ %d tuổi vào %s", vi[0], ch.Years, vi[1]), fmt.Sprintf("%s: younger than %d on %s", en[0], ch.Years, en[1]))
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
				out = append(out, mk(SeverityError, "id.birth_year", fmt.Sprintf("%s không khớp năm của %s", vi[0], vi[1]), fmt.Sprintf("%s does not match the year of %s", en[0], en[1]))...)
			}
		}
		gender := ch.Gender
		if len(keys) == 3 {
			gender, _ = snapCatalog(List("gender"), values[keys[2]])
		}
		if gender == "Nam" || gender == "Nữ" {
			if (gender == "Nam") != male {
				out = append(out, mk(SeverityError, "id.gender", fmt.Sprintf("%s không khớp giới tính", vi[0]), fmt.Sprintf("%s does not match the sex", en[0]))...)
			}
		}
		return out
	}
	return nil
}
