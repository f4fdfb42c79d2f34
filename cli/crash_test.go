package cli

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/queue"
)

// TestKillNineDuringImportAndOCR runs the real command (this test binary in its sohoa role)
// importing and OCR'ing, and kills it with SIGKILL at random moments. After every kill the
// database must pass integrity_check and every page the command had reported as stored must
// be there with its blob intact; at the end a plain re-run finishes the work with no
// document stored twice.
func TestKillNineDuringImportAndOCR(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 test: run without -short")
	}
	src := t.TempDir()
	docs, err := docgen.WriteSet(src, 99, 24, docgen.Options{DPI: 200})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(src + "/manifest.json")
	for _, d := range docs {
		os.Remove(src + "/" + d.ID + ".json")
	}
	r := newRunner(t)
	r.withAdmin()
	var b jsonBatch
	json.Unmarshal([]byte(r.must("batch", "new", "--json").stdout), &b)

	reported := map[int64]string{} // page ID -> blob hash, as printed by the command
	rng := rand.New(rand.NewPCG(2026, 11))
	interrupted := 0
	for round := 0; round < 30; round++ {
		args := []string{"import", "--batch", b.ID, src, "--json"}
		if round%3 == 2 {
			args = []string{"ocr", "--batch", b.ID, "--workers", "2", "--json"}
		}
		cmd := exec.Command(os.Args[0], append(args, "--data", r.data)...)
		cmd.Env = append(os.Environ(), "SOHOA_CLI_CHILD=1", "SOHOA_USER=admin", "SOHOA_PASSWORD="+r.env["SOHOA_PASSWORD"])
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan []jsonImportEvent, 1)
		go func() {
			var evs []jsonImportEvent
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				var ev jsonImportEvent
				if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Event == "stored" {
					evs = append(evs, ev)
				}
			}
			lines <- evs
		}()
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		delay := time.Duration(100+rng.IntN(1200)) * time.Millisecond
		select {
		case <-exited:
		case <-time.After(delay):
			cmd.Process.Kill()
			<-exited
			interrupted++
		}
		for _, ev := range <-lines {
			for _, p := range ev.Pages {
				reported[p.ID] = p.SHA256
			}
		}
		checkStore(t, r.data, b.ID, reported)
	}
	t.Logf("%d of 30 runs killed mid-work; %d pages reported stored before the kills", interrupted, len(reported))
	if interrupted < 20 {
		t.Fatalf("only %d runs were interrupted; the test needs at least 20", interrupted)
	}
	// Re-running finishes the work.
	r.must("import", "--batch", b.ID, src)
	r.must("ocr", "--batch", b.ID)
	st, err := queue.Open(r.data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bt, _ := st.Batch(t.Context(), b.ID)
	if bt.Documents != len(docs) || bt.PagesDone != bt.Pages || bt.PagesFail != 0 {
		t.Fatalf("after re-runs: %d documents (want %d), %d/%d pages OCR'd, %d failed", bt.Documents, len(docs), bt.PagesDone, bt.Pages, bt.PagesFail)
	}
	want := 0
	for _, d := range docs {
		want += len(d.Pages)
	}
	if bt.Pages != want {
		t.Fatalf("%d pages stored, want %d", bt.Pages, want)
	}
	if err := st.VerifyAudit(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func checkStore(t *testing.T, dir, batchID string, reported map[int64]string) {
	t.Helper()
	st, err := queue.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.IntegrityCheck(t.Context()); err != nil {
		t.Fatal(err)
	}
	for id, sha := range reported {
		p, err := st.Page(t.Context(), id)
		if err != nil {
			t.Fatalf("page %d was reported stored but is gone: %v", id, err)
		}
		if p.Blob != sha {
			t.Fatalf("page %d: blob %s, reported %s", id, p.Blob, sha)
		}
		if err := st.Blobs.Verify(sha); err != nil {
			t.Fatalf("page %d: %v", id, err)
		}
	}
	// No half-written page: every page row names a complete blob.
	pages, err := st.BatchPages(t.Context(), batchID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if err := st.Blobs.Verify(p.Blob); err != nil {
			t.Fatalf("page %d: %v", p.ID, err)
		}
		if p.OCRState == "done" {
			if _, err := st.OCR(t.Context(), p.ID); err != nil {
				t.Fatalf("page %d marked done without its OCR result: %v", p.ID, err)
			}
		}
	}
}
