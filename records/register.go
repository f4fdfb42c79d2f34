package records

import (
	"context"

	"github.com/sohoa/sohoa/queue"
)

// TypeRegistrar is the part of the store that records which record types exist
// (implemented by *queue.Store).
type TypeRegistrar interface {
	RegisterRecordTypes(ctx context.Context, types []queue.RecordType) error
}

var _ TypeRegistrar = (*queue.Store)(nil)

// Register loads the bundled record types (and, for a store with a data folder, the local ones
// an administrator added: LoadAll) and registers them in the store, so that batches of those
// types can be created. Call it once after opening the store.
func Register(ctx context.Context, st TypeRegistrar) (*Registry, error) {
	dir := ""
	if d, ok := st.(interface{ Dir() string }); ok {
		dir = d.Dir()
	}
	reg, err := LoadAll(dir)
	if err != nil {
		return nil, err
	}
	return reg, RegisterTypes(ctx, st, reg)
}

// RegisterTypes registers the types of reg in the store.
func RegisterTypes(ctx context.Context, st TypeRegistrar, reg *Registry) error {
	var qt []queue.RecordType
	for _, rt := range reg.Types() {
		qt = append(qt, queue.RecordType{Key: rt.Key, NameVi: rt.NameVi, NameEn: rt.NameEn})
	}
	return st.RegisterRecordTypes(ctx, qt)
}
