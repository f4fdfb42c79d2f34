package workflow_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/internal/pdfattack"
	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/workflow"
)

// signedWorld signs a batch of docs documents with a .p12 certificate bound to the
// supervisor; it returns the batch and the CA.
func signedWorld(t *testing.T, docs int) (*world, string, *testCA) {
	t.Helper()
	w := newWorld(t)
	id := w.approved(docs)
	ca := newCA(t, "SoHoa Test CA")
	key, cert := ca.valid(t, w.ws.Supervisor.FullName)
	w.bind("sup", cert)
	asked := 0
	if _, err := w.wf.SignBatch(w.ctx, w.ws.Supervisor, workflow.SignInput{BatchID: id,
		Source: workflow.SignerSource{P12File: ca.p12(t, key, cert, "pw-123456")}, PIN: pinOf("pw-123456", &asked)}, nil); err != nil {
		t.Fatal(err)
	}
	return w, id, ca
}

// TestVerifyFile: a signed PDF verifies with who signed, when and what it covers; trusted
// against the CA's trust store, not trusted without one; a forged incremental update is
// reported as changed after signing with the object and page named in Vietnamese and
// English; a broken PDF of the shared corpus and a missing file are errors.
func TestVerifyFile(t *testing.T) {
	w, id, ca := signedWorld(t, 1)
	sdocs, _ := w.ws.Store.SignedDocuments(w.ctx, id)
	path := w.ws.Store.Blobs.Path(sdocs[0].PDFSHA256)
	signed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	trusted, _ := w.wf.TrustOptions(w.ctx, ca.pem, false)
	fr, err := w.wf.VerifyFile(w.ctx, path, trusted)
	if err != nil || !fr.Intact || !fr.Trusted || len(fr.Signatures) != 1 {
		t.Fatalf("signed PDF: %+v, %v", fr, err)
	}
	s := fr.Signatures[0]
	if s.Signer != w.ws.Supervisor.FullName || s.Issuer != "SoHoa Test CA" || s.SigningTime.IsZero() || !s.CoversWholeFile ||
		s.CoveredBytes != int64(len(signed)) || s.FileSize != int64(len(signed)) || s.Location != "HN-01" || len(s.Changes) != 0 {
		t.Fatalf("signature %+v", s)
	}
	if fr, err := w.wf.VerifyFile(w.ctx, path, workflow.VerifyOptions{}); err != nil || !fr.Intact || fr.Trusted || fr.Signatures[0].TrustError == "" {
		t.Fatalf("without a trust store: %+v, %v", fr, err)
	}

	forged, err := pdfattack.Shadow()[6].Apply(signed)
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := pdfattack.Objects(signed)
	ff := filepath.Join(t.TempDir(), "gia-mao.pdf")
	os.WriteFile(ff, forged, 0o600)
	fr, err = w.wf.VerifyFile(w.ctx, ff, trusted)
	if err != nil || fr.Intact || len(fr.Signatures) != 1 || !fr.Signatures[0].ModifiedAfter || len(fr.Signatures[0].Changes) == 0 {
		t.Fatalf("forged PDF: %+v, %v", fr, err)
	}
	var vi, en []string
	for _, ch := range fr.Signatures[0].Changes {
		vi, en = append(vi, ch.Text("vi")), append(en, ch.Text("en"))
	}
	if want := fmt.Sprintf("đối tượng %d (trang 1)", objs["page1"]); !strings.Contains(strings.Join(vi, "\n"), want) {
		t.Fatalf("Vietnamese changes %q lack %q", vi, want)
	}
	if want := fmt.Sprintf("object %d (page 1)", objs["page1"]); !strings.Contains(strings.Join(en, "\n"), want) {
		t.Fatalf("English changes %q lack %q", en, want)
	}
	if fr.Signatures[0].CoversWholeFile || fr.Signatures[0].CoveredBytes != int64(len(signed)) {
		t.Fatalf("coverage of the forged file: %+v", fr.Signatures[0])
	}

	corrupt := filepath.Join(testenv.Corpus(), "signed-pdfs", "invalid", "pdf-signed-corrupted.pdf")
	if _, err := os.Stat(corrupt); err != nil {
		t.Fatalf("shared corpus: %v", err)
	}
	if fr, err := w.wf.VerifyFile(w.ctx, corrupt, trusted); err == nil && fr.Intact {
		t.Fatal("a corrupted corpus PDF verifies")
	}
	var fe *workflow.FileError
	if _, err := w.wf.VerifyFile(w.ctx, filepath.Join(t.TempDir(), "khong-co.pdf"), trusted); !errors.As(err, &fe) || strings.Contains(err.Error(), "/") {
		t.Fatalf("missing file: %v", err)
	}
	notPDF := filepath.Join(t.TempDir(), "x.pdf")
	os.WriteFile(notPDF, []byte("không phải PDF"), 0o600)
	if _, err := w.wf.VerifyFile(w.ctx, notPDF, trusted); !errors.Is(err, sign.ErrNotPDF) {
		t.Fatalf("not a PDF: %v", err)
	}
}

// TestVerifyBatchTampered: a signed batch verifies; one changed byte in a signed PDF's blob
// is found (the file no longer matches its hash, the signature is broken); a removed page
// blob is named.
func TestVerifyBatchTampered(t *testing.T) {
	w, id, ca := signedWorld(t, 2)
	opts, _ := w.wf.TrustOptions(w.ctx, ca.pem, false)
	var steps int
	rep, err := w.wf.VerifyBatch(w.ctx, id, opts, func(workflow.Event) { steps++ })
	if err != nil || !rep.Intact || !rep.Trusted || len(rep.Problems) != 0 || steps != 2 {
		t.Fatalf("signed batch: %+v, %v (%d events)", rep, err, steps)
	}
	sdocs, _ := w.ws.Store.SignedDocuments(w.ctx, id)
	p := w.ws.Store.Blobs.Path(sdocs[0].PDFSHA256)
	data, _ := os.ReadFile(p)
	data[len(data)/3] ^= 1
	os.Chmod(p, 0o600)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	pages, _ := w.ws.Store.Pages(w.ctx, sdocs[1].DocumentID)
	os.Remove(w.ws.Store.Blobs.Path(pages[1].Blob))
	rep, err = w.wf.VerifyBatch(w.ctx, id, opts, nil)
	if err != nil || rep.Intact {
		t.Fatalf("tampered batch: %+v, %v", rep, err)
	}
	kinds := map[string]workflow.BatchProblem{}
	for _, p := range rep.Problems {
		kinds[p.Kind] = p
	}
	if _, ok := kinds["pdf_changed"]; !ok {
		t.Fatalf("problems %+v lack the changed PDF", rep.Problems)
	}
	if p, ok := kinds["page_blob"]; !ok || p.DocumentID != sdocs[1].DocumentID || p.Page != 2 ||
		!strings.Contains(p.Text("vi"), fmt.Sprintf("hồ sơ %d trang 2", sdocs[1].DocumentID)) {
		t.Fatalf("problems %+v lack the missing page", rep.Problems)
	}
	if rep.Documents[0].Intact {
		t.Fatalf("the changed PDF verifies: %+v", rep.Documents[0])
	}
}
