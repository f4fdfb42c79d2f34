package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/sohoa/sohoa/sync/store"
)

// CentralDBFile is the SQLite database file inside the data folder (when no --db is given).
const CentralDBFile = "central.db"

// OpenStore opens the central database: PostgreSQL when dsn is a postgres:// or postgresql://
// URL, else SQLite in dataDir. The LocalBlobs it returns is dataDir/blobs as stored
// (no decryption): the server opens its blobs with OpenBlobs.
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

// BlobOptions says where the server keeps its blobs and how.
type BlobOptions struct {
	// URL is "" (the data folder's blobs/) or s3://BUCKET[/PREFIX]?endpoint=… (store.ParseS3URL).
	URL string
	// Keys seals the blobs of a store whose format is sealed (FieldKey.BlobKeys).
	Keys store.KeyProvider
	// Plain makes a new, empty store keep blobs unencrypted (its format is set once, on first
	// use; a store that has one keeps it).
	Plain bool
}

// OpenBlobs opens the blob store: a local folder or an S3 bucket, sealed (store.EncryptedBlobs)
// unless its FORMAT marker says plain. A store without a marker gets one now: sealed when it
// is empty (a new data folder or bucket) unless opts.Plain, plain when it already holds blobs
// (a data folder from before encryption at rest, kept readable). Every server sharing a store
// reads the same marker. The Staging is the bucket's for S3 (shared by the servers), nil for a
// local folder (Config.Staging's default, DATA/uploads).
func OpenBlobs(ctx context.Context, dataDir string, opts BlobOptions) (store.BlobStore, store.Staging, error) {
	var inner interface {
		store.ObjectStore
		store.BlobStore
		store.FormatMarker
	}
	var staging store.Staging
	if opts.URL == "" {
		lb, err := store.NewLocalBlobs(filepath.Join(dataDir, "blobs"))
		if err != nil {
			return nil, nil, err
		}
		inner = lb
	} else {
		cfg, err := store.ParseS3URL(opts.URL)
		if err != nil {
			return nil, nil, err
		}
		sb, err := store.NewS3Blobs(ctx, cfg)
		if err != nil {
			return nil, nil, err
		}
		inner, staging = sb, sb.Staging()
	}
	format, any, err := inner.Format(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("blob store format: %w", err)
	}
	if format == "" {
		format = store.FormatSealedV1
		if opts.Plain || any {
			format = store.FormatPlain
		}
		if err := inner.SetFormat(ctx, format); err != nil {
			return nil, nil, fmt.Errorf("blob store format: %w", err)
		}
	}
	switch format {
	case store.FormatPlain:
		slog.Warn("blobs at rest are NOT encrypted (a store from before encryption, or made with --plain-blobs)")
		return inner, staging, nil
	case store.FormatSealedV1:
		if opts.Keys == nil {
			return nil, nil, errors.New("blob store is encrypted: a data key is needed")
		}
		return store.NewEncryptedBlobs(inner, opts.Keys), staging, nil
	default:
		return nil, nil, fmt.Errorf("blob store format %q is not known to this version", format)
	}
}
