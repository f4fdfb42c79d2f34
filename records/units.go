package records

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Commune is a commune-level unit (xã, phường, đặc khu) after 1 July 2025.
type Commune struct {
	Code     string // 5-digit code of the General Statistics Office (letter 1027/CTK-CSCL)
	Name     string // "Ba Đình"
	Kind     string // "Xã", "Phường", "Đặc khu"
	Province string // 2-digit code of its province
}

// FullName is "Phường Ba Đình".
func (c Commune) FullName() string { return c.Kind + " " + c.Name }

// UnitFile is a commune-level catalogue file in the schema of the open dataset
// thanglequoc/vietnamese-provinces-database (full_json_generated_data_vn_units.json): a list of
// provinces, each with its wards. Only the fields SoHoa reads are kept; a file of that project
// loads as it is, extra fields and all.
type UnitFile []UnitFileProvince

// UnitFileProvince is one province of a UnitFile.
type UnitFileProvince struct {
	Code  string         `json:"Code"`
	Name  string         `json:"Name"`
	Kind  string         `json:"AdministrativeUnitShortName"` // "Thành phố", "Tỉnh"
	Wards []UnitFileWard `json:"Wards"`
}

// UnitFileWard is one commune-level unit of a UnitFile.
type UnitFileWard struct {
	Code         string `json:"Code"`
	Name         string `json:"Name"`
	Kind         string `json:"AdministrativeUnitShortName"` // "Xã", "Phường", "Đặc khu"
	ProvinceCode string `json:"ProvinceCode"`
}

// ErrUnitFile: a catalogue file an administrator loads is not a usable catalogue.
var ErrUnitFile = l10n.New("records.units.bad")

type unitFileError struct {
	key  string
	args l10n.Args
}

func (e *unitFileError) Error() string               { return l10n.Both(e.key, e.args) }
func (e *unitFileError) Localize(lang string) string { return l10n.T(lang, e.key, e.args) }
func (e *unitFileError) Unwrap() error               { return ErrUnitFile }

// ParseUnitFile reads and checks a catalogue file: JSON of the schema above, two-digit province
// codes and five-digit commune codes, each code once, every commune named and in its province,
// every province one the catalogue of provinces knows by its code.
func ParseUnitFile(data []byte) (UnitFile, error) {
	var f UnitFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, &unitFileError{"records.units.json", l10n.Args{"Err": err.Error()}}
	}
	if len(f) == 0 {
		return nil, &unitFileError{"records.units.empty", nil}
	}
	seen := map[string]bool{}
	communes := 0
	for i := range f {
		p := &f[i]
		p.Name, p.Kind = norm.NFC.String(strings.TrimSpace(p.Name)), norm.NFC.String(strings.TrimSpace(p.Kind))
		if !digits(p.Code, 2) || p.Name == "" || seen["p"+p.Code] {
			return nil, &unitFileError{"records.units.province", l10n.Args{"Code": p.Code}}
		}
		seen["p"+p.Code] = true
		for j := range p.Wards {
			w := &p.Wards[j]
			w.Name, w.Kind = norm.NFC.String(strings.TrimSpace(w.Name)), norm.NFC.String(strings.TrimSpace(w.Kind))
			if w.ProvinceCode == "" {
				w.ProvinceCode = p.Code
			}
			if !digits(w.Code, 5) || w.Name == "" || w.Kind == "" || w.ProvinceCode != p.Code || seen["w"+w.Code] {
				return nil, &unitFileError{"records.units.commune", l10n.Args{"Code": w.Code}}
			}
			seen["w"+w.Code] = true
			communes++
		}
	}
	if communes == 0 {
		return nil, &unitFileError{"records.units.empty", nil}
	}
	return f, nil
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// UnitsFile is where a workstation keeps the catalogue its administrator loaded (`sohoa
// catalogue load`): <data folder>/catalogue/units.json. It replaces the bundled one without a
// new build.
func UnitsFile(dataDir string) string { return filepath.Join(dataDir, "catalogue", "units.json") }

// InstallUnitFile checks the catalogue file data and makes it the data folder's catalogue
// (written to a temporary file, synced, then renamed over the old one). It returns the
// catalogue as it now stands.
func InstallUnitFile(dataDir string, data []byte) (*AdminUnits, error) {
	f, err := ParseUnitFile(data)
	if err != nil {
		return nil, err
	}
	base, err := Catalog()
	if err != nil {
		return nil, err
	}
	au, err := base.withUnits(f)
	if err != nil {
		return nil, err
	}
	dst := UnitsFile(dataDir)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return nil, err
	}
	if err := replaceFile(dst, ".units-*.json", data); err != nil {
		return nil, err
	}
	return au, nil
}

var active atomic.Pointer[AdminUnits]

// UseDataDir makes the catalogue of a data folder the one validation uses: the file an
// administrator loaded there, else the bundled one. Opening a workflow calls it.
func UseDataDir(dataDir string) (*AdminUnits, error) {
	base, err := bundledCatalog()
	if err != nil {
		return nil, err
	}
	if dataDir == "" {
		active.Store(nil)
		return base, nil
	}
	data, err := os.ReadFile(UnitsFile(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		active.Store(nil)
		return base, nil
	}
	if err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	f, err := ParseUnitFile(data)
	if err != nil {
		return nil, err
	}
	au, err := base.withUnits(f)
	if err != nil {
		return nil, err
	}
	active.Store(au)
	return au, nil
}

// withUnits is a copy of a with the provinces' names and kinds and the communes of f (the
// pre-2025 provinces each absorbed and the CCCD codes stay a's).
func (a *AdminUnits) withUnits(f UnitFile) (*AdminUnits, error) {
	byCode := map[string]int{}
	for i, p := range a.Provinces {
		byCode[p.Code] = i
	}
	out := &AdminUnits{CCCDCodes: a.CCCDCodes, Note: a.Note, Provinces: append([]Province(nil), a.Provinces...)}
	for _, fp := range f {
		i, ok := byCode[fp.Code]
		if !ok {
			return nil, &unitFileError{"records.units.province", l10n.Args{"Code": fp.Code}}
		}
		p := &out.Provinces[i]
		p.Name = fp.Name
		if fp.Kind != "" {
			p.Kind = fp.Kind
		}
		for _, w := range fp.Wards {
			out.Communes = append(out.Communes, Commune{Code: w.Code, Name: w.Name, Kind: w.Kind, Province: fp.Code})
		}
	}
	out.index()
	return out, nil
}

// index builds the lookup maps of a.
func (a *AdminUnits) index() {
	a.byFold = map[string]Province{}
	a.byCode = map[string]Province{}
	a.oldToNew = map[string]Province{}
	a.oldByFold = map[string]string{}
	for _, p := range a.Provinces {
		a.byFold[Fold(p.Name)] = p
		a.byCode[p.Code] = p
		for _, o := range p.MergedFrom {
			a.oldToNew[Fold(o)] = p
			a.oldByFold[Fold(o)] = o
		}
	}
	a.communeTone = map[string][]Commune{}
	a.communeFold = map[string][]Commune{}
	for _, c := range a.Communes {
		a.communeTone[c.Province+"|"+ToneKey(c.Name)] = append(a.communeTone[c.Province+"|"+ToneKey(c.Name)], c)
		a.communeFold[Fold(c.Name)] = append(a.communeFold[Fold(c.Name)], c)
	}
}

// ToneKey is s in lower case with the tone marks moved to the end of each word ("Hoà", "Hòa"
// and "HOÀ" give the same key, "Hoa" another): names written in the old and the new tone
// placement match, a missing or a different tone does not.
func ToneKey(s string) string {
	var out []string
	for _, w := range strings.Fields(norm.NFD.String(strings.ToLower(s))) {
		var b strings.Builder
		var tone rune
		for _, r := range w {
			switch r {
			case '\u0300', '\u0301', '\u0303', '\u0309', '\u0323':
				tone = r
			default:
				if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
					b.WriteRune(r)
				}
			}
		}
		if tone != 0 {
			b.WriteRune('~')
			b.WriteRune(tone)
		}
		out = append(out, norm.NFC.String(b.String()))
	}
	return strings.Join(out, " ")
}

// partOfName says whether name (folded) is a run of whole words of the name of a commune of
// province code.
func (a *AdminUnits) partOfName(code, name string) bool {
	f := " " + Fold(name) + " "
	if f == "  " {
		return false
	}
	for _, c := range a.Communes {
		if c.Province == code && strings.Contains(" "+Fold(c.Name)+" ", f) {
			return true
		}
	}
	return false
}

// CommunesOf returns the commune-level units of the province with code code.
func (a *AdminUnits) CommunesOf(code string) []Commune {
	var out []Commune
	for _, c := range a.Communes {
		if c.Province == code {
			out = append(out, c)
		}
	}
	return out
}

// communeKinds are the words that name the kind of a commune-level unit in an address.
var communeKinds = []string{"Xã", "Phường", "Đặc khu", "Thị trấn"}

// districtKinds name the district level that was abolished on 1 July 2025.
var districtKinds = []string{"Huyện", "Quận", "Thị xã", "Thành phố"}

func cutKind(s string, kinds []string) (kind, name string) {
	s = strings.TrimSpace(norm.NFC.String(s))
	words := strings.Fields(s)
	fw := foldWords(s)
	if len(fw) != len(words) {
		return "", s
	}
	for _, k := range kinds {
		kw := foldWords(k)
		if len(words) > len(kw) && strings.Join(fw[:len(kw)], " ") == strings.Join(kw, " ") {
			return k, strings.Join(words[len(kw):], " ")
		}
	}
	return "", s
}

// AddressCheck is what Check finds in an address ("…, Xã Y, Tỉnh Z").
type AddressCheck struct {
	Province    Province
	OldProvince string   // the pre-2025 province name the address uses, if it does
	Commune     *Commune // the commune found in the province, nil if none
	// CommuneName is the commune-level part as written ("" when the address has none).
	CommuneName string
	// OtherProvince: the commune is not in the province, but a unit of that name is in
	// these others.
	OtherProvince []Province
	// Partial: the commune part is part of the name of units of the province ("Móng Cái"
	// for "Móng Cái 1"): plausible, but Commune cannot say which.
	Partial bool
	// District: the address still names a district (abolished on 1 July 2025).
	District string
	// Suggestion is the address in the 2025 units ("Thôn A, Xã Y, Tỉnh Z": the district
	// dropped, names as the catalogue writes them), when the mapping is unambiguous: one unit of
	// that name in the (new) province. The catalogue has no table from the old communes to the
	// new ones, so a commune merged under another name gets no suggestion.
	Suggestion string
}

// Check reads the province and the commune-level unit of an address. ok is false when the
// address does not end with a province the catalogue knows.
func (a *AdminUnits) Check(address string) (c AddressCheck, ok bool) {
	p, old, ok := a.ProvinceIn(address)
	if !ok {
		return c, false
	}
	c.Province, c.OldProvince = p, old
	parts := strings.Split(address, ",")
	var communePart string
	var head []string // what comes before the commune: house, street, village
	for k := len(parts) - 2; k >= 0; k-- {
		part := strings.TrimSpace(parts[k])
		if dk, name := cutKind(part, districtKinds); dk != "" {
			c.District = dk + " " + name
			continue
		}
		communePart = part
		for _, h := range parts[:k] {
			if h = strings.TrimSpace(h); h != "" {
				head = append(head, h)
			}
		}
		break
	}
	// "Ủy ban nhân dân xã Y" (a place of registration) names the commune too.
	for _, pre := range []string{"Ủy ban nhân dân", "UBND"} {
		if _, rest := cutKind(communePart, []string{pre}); rest != communePart {
			communePart = rest
		}
	}
	if communePart == "" {
		return c, true
	}
	kind, name := cutKind(communePart, communeKinds)
	if kind == "" && c.District == "" && len(parts) > 2 {
		// A house number or street before the commune: nothing to check at this level.
		return c, true
	}
	c.CommuneName = communePart
	if len(a.communeTone) == 0 {
		return c, true
	}
	match := func(list []Commune) []Commune {
		var out []Commune
		for _, x := range list {
			if kind == "" || Fold(x.Kind) == Fold(kind) || kind == "Thị trấn" {
				out = append(out, x)
			}
		}
		return out
	}
	in := match(a.communeTone[p.Code+"|"+ToneKey(name)])
	if len(in) == 0 {
		// Diacritics lost or changed (keyed without them, or OCR): one unit of the province
		// with that name folded is still unambiguous.
		for _, x := range match(a.communeFold[Fold(name)]) {
			if x.Province == p.Code {
				in = append(in, x)
			}
		}
	}
	if len(in) == 1 {
		c.Commune = &in[0]
		if c.OldProvince != "" || c.District != "" || c.Commune.Name != name || (kind != "" && kind != c.Commune.Kind) {
			c.Suggestion = strings.Join(append(head, c.Commune.FullName(), p.FullName()), ", ")
		}
		return c, true
	}
	if len(in) == 0 && a.partOfName(p.Code, name) {
		// "Móng Cái" for "Móng Cái 1", "Xuân Hương" for "Xuân Hương - Đà Lạt": part of a
		// unit's name in the province; not an error, but which unit is not certain.
		c.Partial = true
		return c, true
	}
	if len(in) == 0 {
		seen := map[string]bool{}
		for _, x := range match(a.communeFold[Fold(name)]) {
			if !seen[x.Province] {
				seen[x.Province] = true
				c.OtherProvince = append(c.OtherProvince, a.byCode[x.Province])
			}
		}
	}
	return c, true
}
