package records

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/sohoa/sohoa/assets"

	"github.com/sohoa/sohoa/internal/l10n"
)

// FieldType is the kind of value a field holds; it decides normalisation and validation.
type FieldType string

const (
	TypeText       FieldType = "text"
	TypeName       FieldType = "name"
	TypeDate       FieldType = "date"
	TypePersonalID FieldType = "personal_id"
	TypeNumber     FieldType = "number"
	TypeAmount     FieldType = "amount"
	TypeCatalog    FieldType = "catalog"
	TypeAdminUnit  FieldType = "admin_unit"
	TypeFreeText   FieldType = "free_text"
)

var fieldTypes = map[FieldType]bool{TypeText: true, TypeName: true, TypeDate: true, TypePersonalID: true,
	TypeNumber: true, TypeAmount: true, TypeCatalog: true, TypeAdminUnit: true, TypeFreeText: true}

// Zone is a part of the page in fractions of its width and height (0..1).
type Zone struct {
	X0 float64 `json:"x0"`
	Y0 float64 `json:"y0"`
	X1 float64 `json:"x1"`
	Y1 float64 `json:"y1"`
}

// OCRHints tell extraction where a field's value is printed.
type OCRHints struct {
	// Anchors are the printed labels before the value, most usual first. "#" as a word
	// matches any number ("Đăng ký thay đổi lần thứ #").
	Anchors []string `json:"anchors"`
	// After names a field whose label is printed above (or left of) this one: the first
	// anchor match after it is taken. It tells apart repeated labels ("Năm sinh" of the
	// mother and of the father).
	After string `json:"after,omitempty"`
	// Column is the header of a table column ("Chồng"): the value is the part of the row
	// (found by an anchor) under that header.
	Column    string `json:"column,omitempty"`
	Zone      *Zone  `json:"zone,omitempty"`
	Whitelist string `json:"whitelist,omitempty"`
	Pattern   string `json:"pattern,omitempty"`
	Multiline bool   `json:"multiline,omitempty"` // the value may wrap onto following lines
	// Locate finds a value printed without a label: "place_date" is the date of the
	// "<place>, ngày … tháng … năm …" line above the signature, "signer" the signer's name
	// printed under the signature and stamp.
	Locate string `json:"locate,omitempty"`

	re *regexp.Regexp
}

// Validation holds per-field validation options.
type Validation struct {
	AllowCMND9     bool `json:"allow_cmnd9,omitempty"`      // accept an old 9-digit ID card number
	Digits         int  `json:"digits,omitempty"`           // exact number of digits (number fields)
	Min            int  `json:"min,omitempty"`              // smallest number accepted
	MaxCurrentYear bool `json:"max_current_year,omitempty"` // number is a year, not after this one
}

// Field is one field of a record type.
type Field struct {
	Key        string     `json:"key"`
	LabelVi    string     `json:"label_vi"`
	LabelEn    string     `json:"label_en"`
	Type       FieldType  `json:"type"`
	Catalog    string     `json:"catalog,omitempty"`
	Required   bool       `json:"required,omitempty"`
	Personal   bool       `json:"personal,omitempty"`
	Validation Validation `json:"validation"`
	OCR        OCRHints   `json:"ocr"`
}

// Check is a rule across fields.
//
//	before      fields[0] (a date) is not after fields[1] (a date)
//	year_before fields[0] (a year) is not after the year of fields[1] (a date)
//	min_age     fields[1] - fields[0] (dates) is at least Years
//	id_matches  the ID fields[0] agrees with birth date fields[1] and gender fields[2]
//	            (or the fixed Gender when there is no gender field)
type Check struct {
	Kind   string   `json:"kind"`
	Fields []string `json:"fields"`
	Years  int      `json:"years,omitempty"`
	Gender string   `json:"gender,omitempty"`
}

// Table is a repeating group printed as a table; its values are stored as
// "<key>_<row>_<column key>" (e.g. member_3_full_name).
type Table struct {
	Key         string   `json:"key"`
	LabelVi     string   `json:"label_vi"`
	LabelEn     string   `json:"label_en"`
	IndexHeader []string `json:"index_header"`
	Columns     []Field  `json:"columns"`
	RowChecks   []Check  `json:"row_checks,omitempty"`
}

// RecordType is a kind of record: its fields, tables and cross-field rules.
type RecordType struct {
	Key          string   `json:"key"`
	Aliases      []string `json:"aliases,omitempty"`
	NameVi       string   `json:"name_vi"`
	NameEn       string   `json:"name_en"`
	TitleAnchors []string `json:"title_anchors,omitempty"`
	Fields       []Field  `json:"fields"`
	Tables       []Table  `json:"tables,omitempty"`
	Checks       []Check  `json:"checks,omitempty"`

	file string
}

// Field returns the field with key k, including table cells ("member_2_gender").
func (rt *RecordType) Field(k string) (Field, bool) {
	for _, f := range rt.Fields {
		if f.Key == k {
			return f, true
		}
	}
	if t, _, col, ok := rt.tableCell(k); ok {
		for _, c := range t.Columns {
			if c.Key == col {
				c.Key = k
				return c, true
			}
		}
	}
	return Field{}, false
}

// tableCell splits "member_3_full_name" into its table, row and column key.
func (rt *RecordType) tableCell(k string) (Table, int, string, bool) {
	for _, t := range rt.Tables {
		rest, ok := strings.CutPrefix(k, t.Key+"_")
		if !ok {
			continue
		}
		num, col, ok := strings.Cut(rest, "_")
		if !ok {
			continue
		}
		n := 0
		for _, c := range num {
			if c < '0' || c > '9' {
				n = -1
				break
			}
			n = n*10 + int(c-'0')
		}
		if n <= 0 || n > 999 {
			continue
		}
		for _, c := range t.Columns {
			if c.Key == col {
				return t, n, col, true
			}
		}
	}
	return Table{}, 0, "", false
}

var keyRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ErrSchema reports an invalid record type file.
var ErrSchema = l10n.New("records.schema")

func schemaErr(file, where, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s: %s", ErrSchema, file, where, fmt.Sprintf(format, args...))
}

// Parse reads and checks one record type file; name is used in error messages.
func Parse(name string, data []byte) (*RecordType, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var rt RecordType
	if err := dec.Decode(&rt); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSchema, name, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: %s: trailing data after the object", ErrSchema, name)
	}
	rt.file = name
	if err := rt.check(); err != nil {
		return nil, err
	}
	return &rt, nil
}

func (rt *RecordType) check() error {
	f := rt.file
	if !keyRe.MatchString(rt.Key) {
		return schemaErr(f, "key", "%q must be lower-case letters, digits and _", rt.Key)
	}
	if strings.TrimSpace(rt.NameVi) == "" || strings.TrimSpace(rt.NameEn) == "" {
		return schemaErr(f, "name_vi/name_en", "both names are required")
	}
	for _, a := range rt.Aliases {
		if !keyRe.MatchString(a) {
			return schemaErr(f, "aliases", "%q must be lower-case letters, digits and _", a)
		}
	}
	if len(rt.Fields) == 0 {
		return schemaErr(f, "fields", "a record type needs at least one field")
	}
	seen := map[string]bool{}
	for i := range rt.Fields {
		fl := &rt.Fields[i]
		if err := checkField(f, fmt.Sprintf("fields[%d]", i), fl); err != nil {
			return err
		}
		if seen[fl.Key] {
			return schemaErr(f, "fields["+fl.Key+"]", "duplicate key")
		}
		seen[fl.Key] = true
		if len(fl.OCR.Anchors) == 0 && fl.OCR.Locate == "" {
			return schemaErr(f, "fields["+fl.Key+"].ocr.anchors", "at least one label anchor (or a locate rule) is required")
		}
	}
	for i := range rt.Fields {
		fl := &rt.Fields[i]
		if fl.OCR.After != "" && !seen[fl.OCR.After] {
			return schemaErr(f, "fields["+fl.Key+"].ocr.after", "names unknown field %q", fl.OCR.After)
		}
		if fl.OCR.After == fl.Key && fl.Key != "" {
			return schemaErr(f, "fields["+fl.Key+"].ocr.after", "a field cannot follow itself")
		}
	}
	for ti := range rt.Tables {
		t := &rt.Tables[ti]
		where := fmt.Sprintf("tables[%d]", ti)
		if !keyRe.MatchString(t.Key) {
			return schemaErr(f, where+".key", "%q must be lower-case letters, digits and _", t.Key)
		}
		if len(t.Columns) == 0 {
			return schemaErr(f, where+".columns", "a table needs columns")
		}
		cols := map[string]bool{}
		for ci := range t.Columns {
			c := &t.Columns[ci]
			if err := checkField(f, fmt.Sprintf("%s.columns[%d]", where, ci), c); err != nil {
				return err
			}
			if len(c.OCR.Anchors) == 0 {
				return schemaErr(f, where+".columns["+c.Key+"].ocr.anchors", "a column header anchor is required")
			}
			if cols[c.Key] {
				return schemaErr(f, where+".columns["+c.Key+"]", "duplicate key")
			}
			cols[c.Key] = true
		}
		for _, ch := range t.RowChecks {
			if err := checkCheck(f, where+".row_checks", ch, cols); err != nil {
				return err
			}
		}
	}
	for i, ch := range rt.Checks {
		if err := checkCheck(f, fmt.Sprintf("checks[%d]", i), ch, seen); err != nil {
			return err
		}
	}
	return nil
}

func checkField(file, where string, fl *Field) error {
	if !keyRe.MatchString(fl.Key) {
		return schemaErr(file, where+".key", "%q must be lower-case letters, digits and _", fl.Key)
	}
	where = where[:strings.IndexByte(where, '[')] + "[" + fl.Key + "]"
	if !fieldTypes[fl.Type] {
		return schemaErr(file, where+".type", "unknown type %q (text, name, date, personal_id, number, amount, catalog, admin_unit, free_text)", fl.Type)
	}
	if strings.TrimSpace(fl.LabelVi) == "" || strings.TrimSpace(fl.LabelEn) == "" {
		return schemaErr(file, where, "label_vi and label_en are required")
	}
	if fl.Type == TypeCatalog {
		if _, ok := bundledLists()[fl.Catalog]; !ok {
			return schemaErr(file, where+".catalog", "unknown catalogue %q", fl.Catalog)
		}
	} else if fl.Catalog != "" {
		return schemaErr(file, where+".catalog", "only fields of type catalog name a catalogue")
	}
	for _, a := range fl.OCR.Anchors {
		if len(foldWords(a)) == 0 {
			return schemaErr(file, where+".ocr.anchors", "empty anchor")
		}
	}
	switch fl.OCR.Locate {
	case "", "place_date", "signer":
	default:
		return schemaErr(file, where+".ocr.locate", "unknown rule %q (place_date, signer)", fl.OCR.Locate)
	}
	if fl.OCR.Pattern != "" {
		re, err := regexp.Compile(fl.OCR.Pattern)
		if err != nil {
			return schemaErr(file, where+".ocr.pattern", "%v", err)
		}
		fl.OCR.re = re
	}
	if z := fl.OCR.Zone; z != nil {
		if z.X0 < 0 || z.Y0 < 0 || z.X1 > 1 || z.Y1 > 1 || z.X0 >= z.X1 || z.Y0 >= z.Y1 {
			return schemaErr(file, where+".ocr.zone", "must be fractions 0..1 with x0 < x1 and y0 < y1")
		}
	}
	if fl.Validation.Digits < 0 || fl.Validation.Digits > 30 {
		return schemaErr(file, where+".validation.digits", "out of range 0..30")
	}
	return nil
}

func checkCheck(file, where string, ch Check, known map[string]bool) error {
	want := map[string][2]int{"before": {2, 2}, "year_before": {2, 2}, "min_age": {2, 2}, "id_matches": {2, 3}}
	n, ok := want[ch.Kind]
	if !ok {
		return schemaErr(file, where+".kind", "unknown check %q (before, year_before, min_age, id_matches)", ch.Kind)
	}
	if len(ch.Fields) < n[0] || len(ch.Fields) > n[1] {
		return schemaErr(file, where, "check %s takes %d..%d fields, got %d", ch.Kind, n[0], n[1], len(ch.Fields))
	}
	for _, k := range ch.Fields {
		if !known[k] {
			return schemaErr(file, where+".fields", "names unknown field %q", k)
		}
	}
	if ch.Kind == "min_age" && ch.Years <= 0 {
		return schemaErr(file, where+".years", "min_age needs years > 0")
	}
	if ch.Kind == "id_matches" && len(ch.Fields) == 2 && ch.Gender != "" && ch.Gender != "Nam" && ch.Gender != "Nữ" {
		return schemaErr(file, where+".gender", "must be Nam or Nữ")
	}
	return nil
}

// Registry is a set of loaded record types, looked up by key or alias.
type Registry struct {
	types []*RecordType
	byKey map[string]*RecordType
}

// Load reads every *.json file of dir in fsys as a record type.
func Load(fsys fs.FS, dir string) (*Registry, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("record types: %w", err)
	}
	reg := &Registry{byKey: map[string]*RecordType{}}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		p := path.Join(dir, e.Name())
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("record types: %w", err)
		}
		rt, err := Parse(p, data)
		if err != nil {
			return nil, err
		}
		for _, k := range append([]string{rt.Key}, rt.Aliases...) {
			if other, dup := reg.byKey[k]; dup {
				return nil, schemaErr(p, "key", "%q is already used by %s", k, other.file)
			}
			reg.byKey[k] = rt
		}
		reg.types = append(reg.types, rt)
	}
	if len(reg.types) == 0 {
		return nil, fmt.Errorf("%w: no *.json files in %s", ErrSchema, dir)
	}
	sort.Slice(reg.types, func(i, j int) bool { return reg.types[i].Key < reg.types[j].Key })
	return reg, nil
}

// LoadBundled loads the record types embedded in the binary (assets/records).
func LoadBundled() (*Registry, error) { return Load(assets.FS(), "records") }

// Get returns the record type with key or alias k.
func (r *Registry) Get(k string) (*RecordType, bool) {
	rt, ok := r.byKey[k]
	return rt, ok
}

// Types returns all record types ordered by key.
func (r *Registry) Types() []*RecordType { return append([]*RecordType(nil), r.types...) }
