// Package assets holds the data files bundled into the SoHoa binary: record type schemas
// (records/*.json, one file per type, checked by package records on load) and catalogues
// (catalogs/admin_units.json: the 34 province-level units from 1 July 2025 with the 63 old
// provinces they absorbed, and the separate 3-digit CCCD province-code table;
// catalogs/communes_2025.json: the 3,321 commune-level units of 1 July 2025 with their GSO
// codes, from thanglequoc/vietnamese-provinces-database (MIT, catalogs/NOTICE.md);
// catalogs/lists.json: sex, ethnic groups, nationality, household relations) and the language
// data of the Vietnamese OCR post-correction (vietnamese/: syllable counts, vocabulary, names;
// sources and licences in vietnamese/NOTICE.md).
package assets
