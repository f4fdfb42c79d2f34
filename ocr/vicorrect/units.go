package vicorrect

import (
	"encoding/json"
	"io/fs"
)

// unitNames are the names of the provinces (old and new) and communes of the bundled
// administrative-unit catalogue.
func unitNames(fsys fs.FS) []string {
	var names []string
	if b, err := fs.ReadFile(fsys, "catalogs/admin_units.json"); err == nil {
		var au struct {
			Provinces []struct {
				Name       string   `json:"name"`
				Kind       string   `json:"kind"`
				MergedFrom []string `json:"merged_from"`
			} `json:"provinces"`
		}
		if json.Unmarshal(b, &au) == nil {
			for _, p := range au.Provinces {
				names = append(names, p.Kind+" "+p.Name)
				names = append(names, p.MergedFrom...)
			}
		}
	}
	// The schema of thanglequoc/vietnamese-provinces-database (records.UnitFile).
	if b, err := fs.ReadFile(fsys, "catalogs/communes_2025.json"); err == nil {
		var ps []struct {
			Name  string `json:"Name"`
			Kind  string `json:"AdministrativeUnitShortName"`
			Wards []struct {
				Name string `json:"Name"`
				Kind string `json:"AdministrativeUnitShortName"`
			} `json:"Wards"`
		}
		if json.Unmarshal(b, &ps) == nil {
			for _, p := range ps {
				names = append(names, p.Kind+" "+p.Name)
				for _, w := range p.Wards {
					names = append(names, w.Kind+" "+w.Name)
				}
			}
		}
	}
	return names
}
