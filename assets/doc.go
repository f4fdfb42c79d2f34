// Package assets holds the data files bundled into the SoHoa binary: record type schemas
// (records/*.json, one file per type, checked by package records on load) and catalogues
// (catalogs/admin_units.json: the 34 province-level units from 1 July 2025 with the 63 old
// provinces they absorbed, and the separate 3-digit CCCD province-code table;
// catalogs/lists.json: sex, ethnic groups, nationality, household relations).
package assets
