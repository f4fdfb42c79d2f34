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
	if b, err := fs.ReadFile(fsys, "catalogs/communes_2025.json"); err == nil {
		var cs struct {
			Communes []struct {
				Name string `json:"name"`
				Kind string `json:"kind"`
			} `json:"communes"`
		}
		if json.Unmarshal(b, &cs) == nil {
			for _, c := range cs.Communes {
				names = append(names, c.Kind+" "+c.Name)
			}
		}
	}
	return names
}
