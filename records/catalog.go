package records

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/sohoa/sohoa/assets"
)

// Province is a province-level unit after the reorganisation of 1 July 2025.
type Province struct {
	Code       string   `json:"code"` // 2-digit administrative code
	Name       string   `json:"name"` // "Hà Nội"
	Kind       string   `json:"kind"` // "Thành phố" or "Tỉnh"
	MergedFrom []string `json:"merged_from"`
}

// FullName is "Thành phố Hà Nội" / "Tỉnh Lào Cai".
func (p Province) FullName() string { return p.Kind + " " + p.Name }

// AdminUnits is the bundled administrative-unit catalogue.
type AdminUnits struct {
	Provinces []Province `json:"provinces"`
	// CCCDCodes maps the 3-digit birth-registration province code at the start of a 12-digit
	// personal ID number to the (pre-2025) province it stands for.
	CCCDCodes map[string]string `json:"cccd_codes"`
	Note      string            `json:"_note"`

	// Communes are the commune-level units (3,321 on 1 July 2025), from
	// catalogs/communes_2025.json or the file an administrator loaded (units.go).
	Communes []Commune `json:"-"`

	byFold      map[string]Province  // folded current name → province
	byCode      map[string]Province  // code → province
	oldToNew    map[string]Province  // folded pre-2025 name → current province
	oldByFold   map[string]string    // folded pre-2025 name → printed name
	communeTone map[string][]Commune // province code + "|" + ToneKey(name) → communes
	communeFold map[string][]Commune // Fold(name) → communes of every province
}

var (
	catOnce  sync.Once
	catUnits *AdminUnits
	catLists map[string][]string
	catErr   error
)

func loadCatalogs() {
	catUnits, catLists, catErr = readCatalogs(assets.FS())
}

func readCatalogs(fsys fs.FS) (*AdminUnits, map[string][]string, error) {
	data, err := fs.ReadFile(fsys, "catalogs/admin_units.json")
	if err != nil {
		return nil, nil, fmt.Errorf("catalogue: %w", err)
	}
	var au AdminUnits
	if err := json.Unmarshal(data, &au); err != nil {
		return nil, nil, fmt.Errorf("catalogue catalogs/admin_units.json: %w", err)
	}
	if data, err = fs.ReadFile(fsys, "catalogs/communes_2025.json"); err == nil {
		f, err := ParseUnitFile(data)
		if err != nil {
			return nil, nil, fmt.Errorf("catalogue catalogs/communes_2025.json: %w", err)
		}
		withCommunes, err := au.withUnits(f)
		if err != nil {
			return nil, nil, fmt.Errorf("catalogue catalogs/communes_2025.json: %w", err)
		}
		au = *withCommunes
	} else {
		au.index()
	}
	data, err = fs.ReadFile(fsys, "catalogs/lists.json")
	if err != nil {
		return nil, nil, fmt.Errorf("catalogue: %w", err)
	}
	var lists map[string][]string
	if err := json.Unmarshal(data, &lists); err != nil {
		return nil, nil, fmt.Errorf("catalogue catalogs/lists.json: %w", err)
	}
	return &au, lists, nil
}

// Catalog returns the administrative-unit catalogue in use: the one loaded into the data
// folder (UseDataDir), else the bundled one.
func Catalog() (*AdminUnits, error) {
	if a := active.Load(); a != nil {
		return a, nil
	}
	return bundledCatalog()
}

func bundledCatalog() (*AdminUnits, error) {
	catOnce.Do(loadCatalogs)
	return catUnits, catErr
}

func bundledLists() map[string][]string {
	catOnce.Do(loadCatalogs)
	return catLists
}

// List returns a bundled value list ("gender", "ethnicity", "relation", "nationality").
func List(name string) []string { return bundledLists()[name] }

// Province returns the current province named name (with or without "Tỉnh"/"Thành phố",
// diacritics optional).
func (a *AdminUnits) Province(name string) (Province, bool) {
	p, ok := a.byFold[Fold(stripKind(name))]
	return p, ok
}

// Successor maps a pre-2025 province name to the province that holds it now.
func (a *AdminUnits) Successor(oldName string) (Province, bool) {
	p, ok := a.oldToNew[Fold(stripKind(oldName))]
	return p, ok
}

func stripKind(s string) string {
	s = strings.TrimSpace(s)
	ws := strings.Fields(s)
	// marks lost or changed on the kind ("Thanh phố", "Tinh") still name it
	for _, k := range []string{"Thành phố", "Tỉnh", "TP."} {
		kf := Fold(k)
		for n := 1; n <= 2 && n < len(ws); n++ {
			if Fold(strings.Join(ws[:n], " ")) == kf {
				return strings.Join(ws[n:], " ")
			}
		}
	}
	return s
}

// ProvinceIn finds the province an address ends with: the current province, or
// old=true with the pre-2025 name and its successor when the address still uses an old
// province name.
func (a *AdminUnits) ProvinceIn(address string) (p Province, old string, ok bool) {
	parts := strings.Split(address, ",")
	last := strings.TrimSpace(parts[len(parts)-1])
	if last == "" {
		return Province{}, "", false
	}
	f := Fold(stripKind(last))
	if p, ok := a.byFold[f]; ok {
		return p, "", true
	}
	if p, ok := a.oldToNew[f]; ok {
		return p, a.oldByFold[f], true
	}
	return Province{}, "", false
}
