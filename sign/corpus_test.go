//go:debug x509negativeserial=1

package sign

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/testenv"
)

var corpusDir = filepath.Join(testenv.Corpus(), "signed-pdfs")

type verifyOutcome struct {
	rep Report
	err error
}

// verifyWithTimeout runs Verify in a goroutine so that a hang fails the test instead of
// blocking it.
func verifyWithTimeout(t *testing.T, data []byte, d time.Duration) (Report, error) {
	t.Helper()
	ch := make(chan verifyOutcome, 1)
	go func() {
		rep, err := Verify(data, VerifyOptions{IntegrityOnly: true})
		ch <- verifyOutcome{rep, err}
	}()
	select {
	case o := <-ch:
		return o.rep, o.err
	case <-time.After(d):
		t.Fatalf("Verify did not finish within %v", d)
		return Report{}, nil
	}
}

func corpusFiles(t *testing.T, sub string) []string {
	files, err := filepath.Glob(filepath.Join(corpusDir, sub, "*.pdf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("corpus %s missing (%v): the shared corpus must be present", sub, err)
	}
	return files
}

// expectedIntact lists the valid-folder files whose every signature must be reported
// intact: pdfsig finds every digest valid, and the byte ranges are standard. These must NOT
// be intact:
//   - the coverage-anomalies files (pyHanko expects "intact digest but nonstandard
//     coverage", bottom line false);
//   - Signature-P-HU_NET-2 (pdfsig: unknown validation failure; its SignerInfo names
//     sha256WithRSAEncryption as the digest algorithm: cannot verify);
//   - siwa.pdf (its byte-range hole is wider than /Contents, like
//     coverage-anomalies__signature-gap-too-big: bytes outside the signature value are
//     unsigned);
//   - pades-5-signatures-and-1-document-timestamp (esig/dss keeps it as an infinite-loop
//     regression test, InfiniteLoopDSS621Test): its last update's trailer says /Prev 0 and
//     the update before names a cross-reference table at an offset where none is, so a viewer
//     must rebuild the table by scanning (pdfcpu and poppler both do); what it shows then
//     depends on the viewer's repair, so the five signatures are "modified" (the final
//     revision cannot be read) and the document timestamp cannot be verified;
//   - pdf-sig-with-econtent (pyHanko's fixture for test_sign_reject_econtent_if_detached):
//     an adbe.pkcs7.detached signature that encapsulates (empty) content, which ISO 32000-2
//     12.8.3.3.1 forbids: whether it signs the document or the empty content is ambiguous.
func expectedIntact(name string) bool {
	switch name {
	case "Signature-P-HU_NET-2.pdf", "siwa.pdf", "pades-5-signatures-and-1-document-timestamp.pdf", "pdf-sig-with-econtent.pdf":
		return false
	}
	return !strings.HasPrefix(name, "coverage-anomalies__")
}

func TestCorpusInvalidRejected(t *testing.T) {
	for _, f := range corpusFiles(t, "invalid") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := verifyWithTimeout(t, data, 30*time.Second)
			if err == nil && rep.Intact {
				t.Errorf("accepted a broken file: %+v", rep)
			}
			for _, s := range rep.Signatures {
				t.Logf("sig obj %d %s intact=%v problems=%v changes=%v", s.Object, s.SubFilter, s.Intact, s.Problems, s.Changes)
			}
		})
	}
}

func TestCorpusValid(t *testing.T) {
	for _, f := range corpusFiles(t, "valid") {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := verifyWithTimeout(t, data, 30*time.Second)
			for _, s := range rep.Signatures {
				t.Logf("sig obj %d %s ts=%v intact=%v br=%v problems=%v changes=%v", s.Object, s.SubFilter, s.Timestamp, s.Intact, s.ByteRange, s.Problems, s.Changes)
			}
			if !expectedIntact(name) {
				if err == nil && rep.Intact {
					t.Errorf("nonstandard coverage reported intact")
				}
				return
			}
			if err != nil || !rep.Intact {
				t.Errorf("valid file not intact: err=%v", err)
			}
		})
	}
}

// TestCorpusReadRecord: ReadRecord on every real signed PDF of the corpus (none written by
// SoHoa, so none carries a record.json; several are damaged on purpose) answers ErrNoRecord or
// an error, never a record, a panic or a hang.
func TestCorpusReadRecord(t *testing.T) {
	files := append(corpusFiles(t, "valid"), corpusFiles(t, "invalid")...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		rec, err := ReadRecord(ctx, data)
		cancel()
		if err == nil {
			t.Errorf("%s: a record.json of %d bytes read from a PDF that has none", filepath.Base(f), len(rec))
		}
	}
}
