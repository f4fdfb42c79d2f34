package server_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http"
	"testing"

	"github.com/sohoa/sohoa/sync/server"
)

// BenchmarkPutBlob measures a 4 MiB blob upload over loopback HTTP into the local blob store
// (hash, write, fsync, rename, fsync folder).
func BenchmarkPutBlob(b *testing.B) {
	e := newEnv(b, sqliteBackend, nil)
	ws := e.enroll("HN-01")
	data := make([]byte, 4<<20)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		rand.Read(data[:64])
		req, _ := http.NewRequest("PUT", e.hs.URL+"/v1/blobs/"+sum(data), bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+ws.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 201 {
			b.Fatalf("put: %v %v", err, resp)
		}
		resp.Body.Close()
	}
}

func benchCommit(b *testing.B, open backend, docs int) {
	e := newEnv(b, open, func(c *server.Config) { c.Rate = -1 })
	ws := e.enroll("HN-01")
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		f := makeBatch(b, ws, int64(i+1), docs)
		e.uploadAll(ws.Token, f, e.putManifest(ws.Token, f).Missing)
		b.StartTimer()
		resp, raw := e.do("POST", "/v1/batches/"+f.id+"/commit", ws.Token, nil, nil)
		b.StopTimer()
		if resp.StatusCode != 200 {
			b.Fatalf("commit: %d %s", resp.StatusCode, raw)
		}
	}
	b.ReportMetric(float64(docs), "docs/batch")
}

// BenchmarkCommit measures committing a 100-document batch (verify 300 blobs, one transaction,
// signed receipt) on each backend.
func BenchmarkCommit(b *testing.B) {
	for _, c := range []struct {
		name string
		open backend
	}{{"sqlite", sqliteBackend}, {"postgres", pgBackend}} {
		b.Run(fmt.Sprint(c.name), func(b *testing.B) { benchCommit(b, c.open, 100) })
	}
}
