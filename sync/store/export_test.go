package store

import (
	"bytes"
	"context"
	"fmt"

	"github.com/minio/minio-go/v7"
)

// Test hooks: open a store migrated only up to a version, and run raw SQL (with '?'
// placeholders) against it, to test schema upgrades on both backends.

func OpenSQLiteVersion(ctx context.Context, path string, version int) (Store, error) {
	return openSQLite(ctx, path, version)
}

func OpenPostgresVersion(ctx context.Context, dsn string, version int) (Store, error) {
	return openPostgres(ctx, dsn, version)
}

func ExecRaw(ctx context.Context, s Store, query string, args ...any) error {
	var sq *sqlStore
	switch v := s.(type) {
	case *sqliteStore:
		sq = v.sqlStore
	case *pgStore:
		sq = v.sqlStore
	}
	_, err := sq.db.ExecContext(ctx, sq.q(query), args...)
	return err
}

// PlainSizeForTest is plainSize (-1 when no sealed object has that size).
func PlainSizeForTest(n int64) int64 {
	p, ok := plainSize(n)
	if !ok {
		return -1
	}
	return p
}

// PutStagedPieceForTest writes one staging piece as another server would.
func (b *S3Blobs) PutStagedPieceForTest(ctx context.Context, name string, off int64, data []byte) error {
	_, err := b.c.PutObject(ctx, b.bucket, fmt.Sprintf("%s%020d", b.Staging().dir(name), off), bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
	return err
}
