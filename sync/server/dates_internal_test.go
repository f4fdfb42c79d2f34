package server

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/store"
)

// flakyStore says at the start that one value lacks its date indexes, fails the background
// indexing's first read, and then has nothing left to index.
type flakyStore struct {
	store.Store
	mu    sync.Mutex
	calls int
}

func (f *flakyStore) UndatedFields(ctx context.Context, after *store.FieldRef, limit int) ([]store.UndatedField, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	switch f.calls {
	case 1:
		return []store.UndatedField{{FieldRef: store.FieldRef{BatchID: "b", DocID: "d", Key: "k"}}}, nil
	case 2:
		return nil, errors.New("database is down for a moment")
	}
	return nil, nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestIndexDatesRetries: an error of the background indexing is logged and the indexing tried
// again; date filters are ready only once it has finished; Close stops a waiting retry.
func TestIndexDatesRetries(t *testing.T) {
	defer func(d time.Duration) { datesRetry = d }(datesRetry)
	datesRetry = 20 * time.Millisecond
	dir := t.TempDir()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "central.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	blobs, err := store.NewLocalBlobs(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := LoadOrCreateReceiptKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	fs := &flakyStore{Store: st}
	s, err := New(Config{DataDir: dir, Store: fs, Blobs: blobs, Key: key, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.WaitDatesIndexed(ctx); err != nil {
		t.Fatalf("not indexed after the retry: %v\n%s", err, logs.String())
	}
	s.Close()
	if fs.calls != 3 || !strings.Contains(logs.String(), "will try again") || !strings.Contains(logs.String(), "database is down") ||
		!strings.Contains(logs.String(), `"values":0`) {
		t.Fatalf("%d reads; log:\n%s", fs.calls, logs.String())
	}

	// A retry waiting when the server closes: Close returns, and dates are never said ready.
	datesRetry = time.Hour
	fs2 := &flakyStore{Store: st}
	s2, err := New(Config{DataDir: dir, Store: fs2, Blobs: blobs, Key: key, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s2.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Close did not stop the waiting retry")
	}
	if s2.DatesIndexed() {
		t.Fatal("dates said indexed after a failed indexing")
	}
}
