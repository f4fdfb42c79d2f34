package assets

import (
	"embed"
	"io/fs"
)

//go:embed records catalogs vietnamese fonts/*.ttf
var files embed.FS

// FS returns the bundled files; paths are "records/birth.json", "catalogs/admin_units.json",
// "fonts/NotoSans-Regular.ttf"...
func FS() fs.FS { return files }
