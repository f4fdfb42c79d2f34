package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/wire"
)

const fuzzManifest = `{"version":1,"batch_id":"01934b2c-0000-7000-8000-000000000001","workstation_id":"ws-fuzz","office":"HN-01","seq":1,"record_type":"khai-sinh","created_at":"2026-11-23T09:00:00Z","documents":[{"id":"d1","pdf_sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","pdf_size":10,"pages":[{"sha256":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","size":5}]}]}`

// FuzzPutManifest sends arbitrary batch ids and manifest bodies through the real handler: the
// server must answer 200 or a 4xx JSON error with both messages, never 5xx, never hang.
func FuzzPutManifest(f *testing.F) {
	f.Add("01934b2c-0000-7000-8000-000000000001", []byte(fuzzManifest))
	f.Add("01934b2c-0000-7000-8000-000000000001", []byte(`{"version":1}`))
	f.Add("../../x", []byte(fuzzManifest))
	e := newEnv(f, sqliteBackend, func(c *server.Config) { c.Rate = -1 })
	ctx := context.Background()
	if err := e.st.CreateEnrollCode(ctx, "fuzzcode", "HN-01", fixedNow.Add(time.Hour)); err != nil {
		f.Fatal(err)
	}
	if _, err := e.st.Enroll(ctx, "fuzzcode", store.Workstation{ID: "ws-fuzz", Name: "fuzz", TokenHash: server.HashSecret("tok")}, fixedNow); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id string, body []byte) {
		req, err := http.NewRequest("PUT", e.hs.URL+"/v1/batches/"+url.PathEscape(id), bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", "Bearer tok")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == 200:
			var a wire.ManifestAnswer
			if err := json.Unmarshal(raw, &a); err != nil || a.BatchID != id {
				t.Fatalf("200 with %q", raw)
			}
			b, err := e.st.Batch(ctx, id)
			if err != nil || !bytes.Equal(b.Manifest, body) {
				t.Fatalf("accepted manifest not stored as sent (%v)", err)
			}
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			var er wire.Error
			if err := json.Unmarshal(raw, &er); err != nil || er.Code == "" || er.MessageVI == "" || er.MessageEN == "" {
				t.Fatalf("%d with %q", resp.StatusCode, raw)
			}
		default:
			t.Fatalf("status %d: %s", resp.StatusCode, raw)
		}
	})
}
