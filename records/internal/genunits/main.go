// Command genunits writes assets/catalogs/communes_2025.json, the bundled commune-level
// catalogue, from thanglequoc/vietnamese-provinces-database (MIT): the same schema as that
// project's full_json_generated_data_vn_units.json, keeping only the fields SoHoa reads, so
// that `sohoa catalogue load` takes either file. Run from the repository root:
//
//	go run ./records/internal/genunits ../shared/corpus/admin-units-2025/thanglequoc_v3.0.2_20250701/full_json_generated_data_vn_units.json > assets/catalogs/communes_2025.json
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/sohoa/sohoa/records"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genunits FILE")
		os.Exit(2)
	}
	b, err := os.ReadFile(os.Args[1])
	if err == nil {
		var set records.UnitFile
		if set, err = records.ParseUnitFile(b); err == nil {
			if b, err = json.Marshal(set); err == nil {
				os.Stdout.Write(b)
				return
			}
		}
	}
	fmt.Fprintln(os.Stderr, "genunits:", err)
	os.Exit(1)
}
