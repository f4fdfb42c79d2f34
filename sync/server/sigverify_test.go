package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	mrand "math/rand/v2"

	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/server"
	"github.com/sohoa/sohoa/sync/store"
	"github.com/sohoa/sohoa/sync/synctest"
	"github.com/sohoa/sohoa/sync/wire"
)

// signedFixture builds a batch of one document whose PDF is PAdES-signed by pdfSigner and
// whose manifest is signed by manSigner; alter changes the signed PDF before it is named.
func signedFixture(t *testing.T, ws wire.EnrollAnswer, seq int64, pdfSigner, manSigner *synctest.PKI, alter func([]byte) []byte) fixture {
	t.Helper()
	rng := mrand.New(mrand.NewPCG(uint64(seq), 1))
	img := synctest.PageImage(rng, 40, 40)
	id := fmt.Sprintf("01934b2c-0000-7000-8000-%012d", seq)
	pdf, err := sign.BuildPDF(sign.DocumentInput{Title: "Giấy khai sinh", Pages: []sign.PageInput{{Image: img, DPI: 300}},
		FieldsJSON: recordJSON(t, id, 1, ws.Office, "khai-sinh", []kv{{"ho_ten", "Trần Thị Bình"}})})
	if err != nil {
		t.Fatal(err)
	}
	spdf, err := sign.Sign(pdf, pdfSigner.Signer, sign.SignInfo{Name: "Người Ký"})
	if err != nil {
		t.Fatal(err)
	}
	if alter != nil {
		spdf = alter(spdf)
	}
	f := fixture{id: id, blobs: map[string][]byte{sum(spdf): spdf, sum(img): img}}
	m := &wire.Manifest{Version: 1, BatchID: f.id, WorkstationID: ws.WorkstationID, Office: ws.Office, Seq: seq,
		RecordType: "khai-sinh", CreatedAt: fixedNow, Documents: []wire.Document{{ID: "1", PDFSHA256: sum(spdf),
			PDFSize: int64(len(spdf)), Pages: []wire.Page{{SHA256: sum(img), Size: int64(len(img))}}}}}
	if f.manifest, err = sign.SignManifest(m, manSigner.Signer); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSignatureVerifier(t *testing.T) {
	trusted, err := synctest.NewPKI("Người Ký Tin Cậy")
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := synctest.NewPKI("Người Lạ")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, sqliteBackend, func(c *server.Config) { c.Verifier = server.SignatureVerifier{Roots: trusted.Roots()} })
	ws := e.enroll("HN-01")
	ctx := context.Background()
	nothingStored := func(f fixture) {
		t.Helper()
		if b, err := e.st.Batch(ctx, f.id); err == nil && b.Committed {
			t.Fatalf("batch %s committed", f.id)
		}
		if docs, _ := e.st.Documents(ctx, f.id); len(docs) != 0 {
			t.Fatalf("documents stored for %s", f.id)
		}
	}

	// The good batch goes through, and its receipt verifies.
	good := signedFixture(t, ws, 1, trusted, trusted, nil)
	e.uploadAll(ws.Token, good, e.putManifest(ws.Token, good).Missing)
	resp, raw := e.do("POST", "/v1/batches/"+good.id+"/commit", ws.Token, nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("good batch: %d %s", resp.StatusCode, raw)
	}
	if _, err := wire.VerifyReceipt(e.srv.PublicKey(), raw); err != nil {
		t.Fatal(err)
	}

	// A manifest signed by someone outside the trust store: refused at once, nothing stored.
	foreign := signedFixture(t, ws, 2, trusted, stranger, nil)
	resp, raw = e.do("PUT", "/v1/batches/"+foreign.id, ws.Token, bytes.NewReader(foreign.manifest), nil)
	if we := wantError(t, resp, raw, 422, "verification_failed"); !bytes.Contains([]byte(we.MessageEN), []byte("trust store")) {
		t.Fatalf("message %q", we.MessageEN)
	}
	if _, err := e.st.Batch(ctx, foreign.id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("untrusted manifest stored: %v", err)
	}

	// An unsigned manifest (what HashOnlyVerifier would take) is refused.
	var um wire.Manifest
	json.Unmarshal(good.manifest, &um)
	um.Signature, um.BatchID, um.Seq = nil, "01934b2c-0000-7000-8000-000000000009", 9
	uraw, _ := json.Marshal(um)
	resp, raw = e.do("PUT", "/v1/batches/"+um.BatchID, ws.Token, bytes.NewReader(uraw), nil)
	wantError(t, resp, raw, 422, "verification_failed")

	// A PDF changed after signing (one byte inside the signed range), named by a manifest a
	// trusted signer signed: the manifest passes, the commit is refused, nothing stored.
	altered := signedFixture(t, ws, 3, trusted, trusted, func(p []byte) []byte {
		q := bytes.Clone(p)
		i := bytes.Index(q, []byte("/Title"))
		if i < 0 {
			t.Fatal("no /Title in the PDF")
		}
		q[i+8] ^= 0x01
		return q
	})
	e.uploadAll(ws.Token, altered, e.putManifest(ws.Token, altered).Missing)
	resp, raw = e.do("POST", "/v1/batches/"+altered.id+"/commit", ws.Token, nil, nil)
	if we := wantError(t, resp, raw, 422, "verification_failed"); !bytes.Contains([]byte(we.MessageEN), []byte("not intact")) {
		t.Fatalf("message %q", we.MessageEN)
	}
	nothingStored(altered)

	// A PDF signed by an untrusted signer, in a trusted manifest.
	untrustedPDF := signedFixture(t, ws, 4, stranger, trusted, nil)
	e.uploadAll(ws.Token, untrustedPDF, e.putManifest(ws.Token, untrustedPDF).Missing)
	resp, raw = e.do("POST", "/v1/batches/"+untrustedPDF.id+"/commit", ws.Token, nil, nil)
	wantError(t, resp, raw, 422, "verification_failed")
	nothingStored(untrustedPDF)
}

func TestEnrollKeepsWorkstationID(t *testing.T) {
	e := newEnv(t, sqliteBackend, nil)
	ctx := context.Background()
	post := func(id string) (int, wire.EnrollAnswer) {
		code, err := server.NewEnrollCode(ctx, e.st, "HN-01", 0, fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(wire.EnrollRequest{Code: code, WorkstationID: id})
		resp, raw := e.do("POST", "/v1/enroll", "", bytes.NewReader(body), nil)
		var a wire.EnrollAnswer
		json.Unmarshal(raw, &a)
		return resp.StatusCode, a
	}
	own := "ws-01a2084a-1761-7a61-919a-9bedfb965179"
	if st, a := post(own); st != 201 || a.WorkstationID != own {
		t.Fatalf("own id: %d %+v", st, a)
	}
	// Taken (the same id again) or malformed: a fresh id is assigned.
	for _, id := range []string{own, "ws-../../x", "WS-01A2084A-1761-7A61-919A-9BEDFB965179"} {
		st, a := post(id)
		if st != 201 || a.WorkstationID == id || a.WorkstationID == own || !wire.ValidWorkstationID(a.WorkstationID) {
			t.Fatalf("id %q: %d %+v", id, st, a)
		}
	}
}
