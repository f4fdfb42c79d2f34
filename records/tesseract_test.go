package records

import (
	"bufio"
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/queue"
)

// tesseractWords runs the tesseract CLI (Vietnamese model, --psm 4) on a PNG file and
// parses its TSV output into words.
func tesseractWords(ctx context.Context, path string) ([]queue.Word, error) {
	cmd := exec.CommandContext(ctx, "tesseract", path, "stdout", "-l", "vie", "--psm", "4", "tsv")
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	return parseTSV(out), nil
}

func parseTSV(b []byte) []queue.Word {
	var ws []queue.Word
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 12 || f[0] != "5" {
			continue
		}
		n := make([]int, 10)
		for i := range n {
			n[i], _ = strconv.Atoi(f[i])
		}
		conf, _ := strconv.ParseFloat(f[10], 64)
		if strings.TrimSpace(f[11]) == "" {
			continue
		}
		ws = append(ws, queue.Word{Text: f[11], X0: n[6], Y0: n[7], X1: n[6] + n[8], Y1: n[7] + n[9], Conf: conf,
			Block: n[2], Par: n[3], Line: n[4]})
	}
	return ws
}

// TestExtractTesseract runs real Tesseract on the first page of one clean document of each
// type and measures field accuracy on the fields printed on that page.
func TestExtractTesseract(t *testing.T) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		t.Fatalf("tesseract CLI is required: %v", err)
	}
	reg := bundled(t)
	var samples []sample
	seen := map[string]bool{}
	dir := t.TempDir()
	for i := 0; len(samples) < len(docgen.Types) && i < 200; i++ {
		doc, imgs, err := docgen.Generate(21, i, docgen.Options{DPI: 300, Clean: true})
		if err != nil || seen[doc.Type] {
			continue
		}
		seen[doc.Type] = true
		var b bytes.Buffer
		if err := png.Encode(&b, imgs[0]); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, doc.ID+".png")
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		samples = append(samples, sample{doc, p})
	}
	words, errs := tesseractSamples(samples)
	var all score
	for i, s := range samples {
		if errs[i] != nil {
			t.Fatalf("tesseract %s: %v", s.doc.ID, errs[i])
		}
		rt, _ := reg.Get(s.doc.Type)
		pg := s.doc.Pages[0]
		got := ExtractPages(rt, []PageWords{{Page: 0, Width: pg.Width, Height: pg.Height, Words: words[i]}})
		vals := map[string]string{}
		for _, e := range got {
			vals[e.Key] = e.Value
		}
		var sc score
		var missed []string
		for _, gt := range s.doc.Fields {
			if gt.Page != 0 {
				continue
			}
			f, _ := rt.Field(gt.Key)
			sc.total++
			if Equal(f, vals[gt.Key], gt.Value) {
				sc.ok++
			} else {
				missed = append(missed, gt.Key)
			}
		}
		all.ok += sc.ok
		all.total += sc.total
		t.Logf("%-10s %s: %d/%d = %.1f%% exact; missed %v", s.doc.Type, s.doc.ID, sc.ok, sc.total, sc.pct(), missed)
	}
	t.Logf("all: %d/%d = %.1f%%", all.ok, all.total, all.pct())
	if all.pct() < 90 {
		t.Errorf("field accuracy on Tesseract output %.1f%% < 90%%", all.pct())
	}
}

// sample is a generated document and its page written to disk.
type sample struct {
	doc  docgen.Document
	path string
}

// tesseractSamples OCRs every sample's page with the tesseract CLI, two at a time.
func tesseractSamples(samples []sample) ([][]queue.Word, []error) {
	words := make([][]queue.Word, len(samples))
	errs := make([]error, len(samples))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, s := range samples {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			words[i], errs[i] = tesseractWords(context.Background(), s.path)
		}()
	}
	wg.Wait()
	return words, errs
}
