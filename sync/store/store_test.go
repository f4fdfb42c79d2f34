package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/store/pgtest"
	"github.com/sohoa/sohoa/sync/store/storetest"
)

var (
	cluster    *pgtest.Cluster
	clusterErr error
)

func TestMain(m *testing.M) {
	// testing.Short is not parsed before m.Run; start the cluster lazily in the first test.
	code := m.Run()
	if cluster != nil {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop PostgreSQL:", err)
		}
	}
	os.Exit(code)
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "central.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestSQLiteReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "central.db")
	for i := 0; i < 2; i++ { // the second open finds the schema migrated
		s, err := store.OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		if i == 0 {
			if err := s.CreateEnrollCode(context.Background(), "h", "HN", time.Now().Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		s.Close()
	}
}

// PostgresCluster returns the package's throwaway cluster, starting it on first use. Missing
// binaries fail the test (run `make setup`) unless -short.
func postgresCluster(t *testing.T) *pgtest.Cluster {
	t.Helper()
	if cluster == nil && clusterErr == nil {
		cluster, clusterErr = pgtest.Start(context.Background())
	}
	if clusterErr != nil {
		if testing.Short() {
			t.Skipf("-short: PostgreSQL not available: %v", clusterErr)
		}
		t.Fatalf("PostgreSQL tests need a local PostgreSQL server: %v", clusterErr)
	}
	return cluster
}

func TestPostgres(t *testing.T) {
	c := postgresCluster(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		dsn, err := c.NewDatabase(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		s, err := store.OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPostgresReopen(t *testing.T) {
	c := postgresCluster(t)
	dsn, err := c.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		s, err := store.OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		s.Close()
	}
}

func TestPostgresBadDSN(t *testing.T) {
	c := postgresCluster(t)
	_, err := store.OpenPostgres(context.Background(), c.DSN("no_such_db"))
	if err == nil {
		t.Fatal("opening a missing database succeeded")
	}
}
