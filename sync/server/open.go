package server

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/sohoa/sohoa/sync/store"
)

// CentralDBFile is the SQLite database file inside the data folder (when no --db is given).
const CentralDBFile = "central.db"

// OpenStore opens the central database: PostgreSQL when dsn is a postgres:// or postgresql://
// URL, else SQLite in dataDir. Blobs always live in dataDir/blobs for now.
func OpenStore(ctx context.Context, dataDir, dsn string) (store.Store, *store.LocalBlobs, error) {
	var st store.Store
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		st, err = store.OpenPostgres(ctx, dsn)
	} else {
		path := dsn
		if path == "" {
			path = filepath.Join(dataDir, CentralDBFile)
		}
		st, err = store.OpenSQLite(ctx, path)
	}
	if err != nil {
		return nil, nil, err
	}
	blobs, err := store.NewLocalBlobs(filepath.Join(dataDir, "blobs"))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, blobs, nil
}
