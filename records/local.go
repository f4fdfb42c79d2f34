package records

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/sohoa/sohoa/internal/durable"
)

// LocalDir is where a workstation keeps the record types its administrator added (`sohoa
// types add`): <data folder>/recordtypes. They need no new build of SoHoa.
func LocalDir(dataDir string) string { return filepath.Join(dataDir, "recordtypes") }

// LoadAll loads the bundled record types and, when dataDir has any, the local ones. A local
// type may not reuse a bundled key or alias (ErrSchema names both files).
func LoadAll(dataDir string) (*Registry, error) {
	reg, err := LoadBundled()
	if err != nil {
		return nil, err
	}
	if dataDir == "" {
		return reg, nil
	}
	dir := LocalDir(dataDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0) {
		return reg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("record types: %w", err)
	}
	local, err := Load(os.DirFS(dir), ".")
	if errors.Is(err, ErrSchema) && !hasJSON(entries) {
		return reg, nil
	}
	if err != nil {
		return nil, err
	}
	return merge(reg, local)
}

func hasJSON(entries []fs.DirEntry) bool {
	for _, e := range entries {
		if !e.IsDir() && filepath.Ext(e.Name()) == ".json" {
			return true
		}
	}
	return false
}

// merge adds the types of b to a copy of a.
func merge(a, b *Registry) (*Registry, error) {
	out := &Registry{byKey: map[string]*RecordType{}}
	for k, v := range a.byKey {
		out.byKey[k] = v
	}
	out.types = append(out.types, a.types...)
	for _, rt := range b.types {
		for _, k := range append([]string{rt.Key}, rt.Aliases...) {
			if other, dup := out.byKey[k]; dup {
				return nil, schemaErr(rt.file, "key", "%q is already used by %s", k, other.file)
			}
			out.byKey[k] = rt
		}
		out.types = append(out.types, rt)
	}
	sort.Slice(out.types, func(i, j int) bool { return out.types[i].Key < out.types[j].Key })
	return out, nil
}

var installMu sync.Mutex

// Install checks data as a record type file (the same checks as the bundled ones, and no clash
// with a bundled type) and writes it durably into LocalDir(dataDir) as <key>.json, replacing an
// earlier local version of the same type: temp file, fsync, rename, fsync of the folder.
func Install(dataDir string, data []byte) (*RecordType, error) {
	installMu.Lock()
	defer installMu.Unlock()
	rt, err := Parse("(new)", data)
	if err != nil {
		return nil, err
	}
	dir := LocalDir(dataDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	name := rt.Key + ".json"
	// The whole set must still load with the new file in place.
	cur, err := LoadAll(dataDir)
	if err != nil {
		return nil, err
	}
	if existing, ok := cur.Get(rt.Key); ok && existing.file != name { // a bundled type, or another local file
		return nil, schemaErr("(new)", "key", "%q is already used by %s", rt.Key, existing.file)
	}
	for _, a := range rt.Aliases {
		if existing, ok := cur.Get(a); ok && existing.Key != rt.Key {
			return nil, schemaErr("(new)", "aliases", "%q is already used by %s", a, existing.file)
		}
	}
	if err := replaceFile(filepath.Join(dir, name), ".new-*.tmp", data); err != nil {
		return nil, err
	}
	return rt, nil
}

// replaceFile puts data at dst whole or not at all: it writes a temporary file in dst's
// folder (named by pattern, as os.CreateTemp takes it), syncs it, renames it over dst and
// syncs the folder, so that a crash leaves the old file or the new one, never a part. The
// folder must exist. Installing a record type and a catalogue both write this way.
func replaceFile(dst, pattern string, data []byte) error {
	dir := filepath.Dir(dst)
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	return durable.SyncDir(dir)
}
