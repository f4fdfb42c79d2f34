package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/pdfattack"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
)

// TestForgedAfterSigningRefused: a workstation's PDF forged after signing — the holder's
// page redrawn by an incremental update, written plainly or hidden from byte scanners — in
// a batch whose manifest was freshly re-signed by a trusted key (the manifest names the
// forged file's hash) is refused with 422 and a reason naming the changed object; no receipt
// is given and the store holds no document and no commit of that batch. The same batch with
// the PDF as signed commits.
func TestForgedAfterSigningRefused(t *testing.T) {
	trusted, err := synctest.NewPKI("Người Ký Tin Cậy")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, sqliteBackend, func(c *server.Config) { c.Verifier = server.SignatureVerifier{Roots: trusted.Roots()} })
	ws := e.enroll("HN-01")
	ctx := context.Background()

	attacks := map[string]pdfattack.Attack{}
	for _, a := range pdfattack.All() {
		attacks[a.Name] = a
	}
	seq := int64(10)
	for _, name := range []string{"page-overlay", "objstm-flate-array", "fake-trailer-in-string", "page-in-string", "page-content", "comment-between-number-and-obj"} {
		a := attacks[name]
		t.Run(name, func(t *testing.T) {
			seq++
			var objs map[string]int
			f := signedFixture(t, ws, seq, trusted, trusted, func(p []byte) []byte {
				var err error
				if objs, err = pdfattack.Objects(p); err != nil {
					t.Fatal(err)
				}
				out, err := a.Apply(p)
				if err != nil {
					t.Fatal(err)
				}
				return out
			})
			e.uploadAll(ws.Token, f, e.putManifest(ws.Token, f).Missing)
			resp, raw := e.do("POST", "/v1/batches/"+f.id+"/commit", ws.Token, nil, nil)
			we := wantError(t, resp, raw, 422, "verification_failed")
			t.Logf("refusal: %s", we.MessageEN)
			if !strings.Contains(we.MessageEN, "not intact") || !strings.Contains(we.MessageEN, "after signature 1") {
				t.Errorf("no clear reason: %q", we.MessageEN)
			}
			if !strings.Contains(we.MessageEN, fmt.Sprintf("object %d (page 1", objs["page1"])) && !strings.Contains(we.MessageEN, fmt.Sprintf("object %d (page 1 content)", objs["content1"])) {
				t.Errorf("the reason does not name page 1 or its content: %q", we.MessageEN)
			}
			if !strings.Contains(we.MessageVI, "sau chữ ký 1") {
				t.Errorf("no Vietnamese reason: %q", we.MessageVI)
			}
			if _, err := wire.VerifyReceipt(e.srv.PublicKey(), raw); err == nil {
				t.Fatal("a receipt was given")
			}
			b, err := e.st.Batch(ctx, f.id)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Fatal(err)
			}
			if b.Committed || b.Receipt != nil {
				t.Fatalf("batch %s committed", f.id)
			}
			if docs, _ := e.st.Documents(ctx, f.id); len(docs) != 0 {
				t.Fatalf("documents stored for %s", f.id)
			}
			// Committing again does not change the answer.
			resp, raw = e.do("POST", "/v1/batches/"+f.id+"/commit", ws.Token, nil, nil)
			wantError(t, resp, raw, 422, "verification_failed")
		})
	}

	// Control: the same kind of batch with the PDF as signed goes through.
	seq++
	good := signedFixture(t, ws, seq, trusted, trusted, nil)
	e.uploadAll(ws.Token, good, e.putManifest(ws.Token, good).Missing)
	resp, raw := e.do("POST", "/v1/batches/"+good.id+"/commit", ws.Token, nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("good batch: %d %s", resp.StatusCode, raw)
	}
	if _, err := wire.VerifyReceipt(e.srv.PublicKey(), raw); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(good.id)) {
		t.Fatalf("receipt for another batch: %s", raw)
	}
}
