package cleanup

import (
	"bufio"
	"bytes"
	"context"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// Field captures (issue 12 item 6): generated records captured as 150-dpi fax-grade scans
// (bilevel, speckled) and as phone photos (turned a few degrees, light falling to about a
// third across the page), cleaned by the default profile, read by Tesseract (vie, PSM 4, as
// the pipeline does) and their fields extracted: the share of fields exact before keying.
// Perspective (a page photographed at an angle) is not corrected yet and not generated.
// Measured 2026-12-04: fax 86/106 = 81.1 %, photo 100/106 = 94.3 % (the floors leave about
// three points); the target is 95 % for both.

// asFax makes a 150-dpi page bilevel with a threshold and about one speckle in 400 pixels.
func asFax(t *testing.T, img image.Image) []byte {
	t.Helper()
	b := img.Bounds()
	out := image.NewGray(b)
	x := uint32(99)
	for py := b.Min.Y; py < b.Max.Y; py++ {
		for px := b.Min.X; px < b.Max.X; px++ {
			r, g, bb, _ := img.At(px, py).RGBA()
			v := uint8(255)
			if (r+g+bb)/3/257 < 150 {
				v = 0
			}
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			if x%400 == 0 {
				v = 255 - v
			}
			out.Pix[(py-b.Min.Y)*out.Stride+(px-b.Min.X)] = v
		}
	}
	return encodeGray(t, out)
}

// asPhoto turns the page by deg (nearest pixel, the margin filled with paper) and lights
// it like a lamp does (litLikePhoto).
func asPhoto(t *testing.T, img image.Image, deg float64) []byte {
	t.Helper()
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	s, c := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(w)/2, float64(h)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			sx, sy := int(math.Round(c*dx+s*dy+cx)), int(math.Round(-s*dx+c*dy+cy))
			v := uint8(235)
			if sx >= 0 && sy >= 0 && sx < w && sy < h {
				r, g, bb, _ := img.At(b.Min.X+sx, b.Min.Y+sy).RGBA()
				v = uint8((r + g + bb) / 3 / 257)
			}
			out.Pix[y*out.Stride+x] = v
		}
	}
	return litLikePhoto(t, encodeGray(t, out))
}

func encodeGray(t *testing.T, g *image.Gray) []byte {
	t.Helper()
	var w bytes.Buffer
	if err := png.Encode(&w, g); err != nil {
		t.Fatal(err)
	}
	return w.Bytes()
}

func TestFieldCaptures(t *testing.T) {
	reg, err := records.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	type capture struct {
		kind string
		doc  docgen.Document
		img  []byte
	}
	var caps []capture
	seen := map[string]bool{}
	for i := 0; len(seen) < len(docgen.Types) && i < 200; i++ {
		probe, _, err := docgen.Generate(31, i, docgen.Options{DPI: 150, Clean: true})
		if err != nil || seen[probe.Type] {
			continue
		}
		seen[probe.Type] = true
		doc, fax, err := docgen.Generate(31, i, docgen.Options{DPI: 150, Clean: true})
		if err != nil {
			t.Fatal(err)
		}
		caps = append(caps, capture{"fax-150dpi", doc, asFax(t, fax[0])})
		doc2, photo, err := docgen.Generate(31, i, docgen.Options{DPI: 200, Clean: true})
		if err != nil {
			t.Fatal(err)
		}
		deg := 2.5
		if i%2 == 1 {
			deg = -3
		}
		caps = append(caps, capture{"photo", doc2, asPhoto(t, photo[0], deg)})
	}
	inputs := make([][]byte, len(caps))
	for i, c := range caps {
		inputs[i] = c.img
	}
	cleaned := processAll(t, inputs, DefaultProfile())
	dir := t.TempDir()
	words := make([][]queue.Word, len(caps))
	errs := make([]error, len(caps))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i := range caps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			f := filepath.Join(dir, strconv.Itoa(i)+"."+cleaned[i].Format)
			if errs[i] = os.WriteFile(f, cleaned[i].Data, 0o600); errs[i] == nil {
				words[i], errs[i] = tesseractTSV(f)
			}
		}()
	}
	wg.Wait()
	type score struct{ ok, total int }
	per := map[string]*score{"fax-150dpi": {}, "photo": {}}
	for i, c := range caps {
		if errs[i] != nil {
			t.Fatalf("tesseract: %v", errs[i])
		}
		rt, ok := reg.Get(c.doc.Type)
		if !ok {
			t.Fatalf("no record type %q", c.doc.Type)
		}
		got := records.ExtractPages(rt, []records.PageWords{{Page: 0, Width: cleaned[i].Width, Height: cleaned[i].Height, Words: words[i]}})
		vals := map[string]string{}
		for _, e := range got {
			vals[e.Key] = e.Value
		}
		s := per[c.kind]
		var missed []string
		for _, gt := range c.doc.Fields {
			if gt.Page != 0 {
				continue
			}
			f, _ := rt.Field(gt.Key)
			s.total++
			if records.Equal(f, vals[gt.Key], gt.Value) {
				s.ok++
			} else {
				missed = append(missed, gt.Key)
			}
		}
		t.Logf("%-10s %-10s flattened %-5v deskewed %-5v missed %v", c.kind, c.doc.Type, cleaned[i].Flattened, cleaned[i].Deskewed, missed)
	}
	floors := map[string]float64{"fax-150dpi": 78, "photo": 91}
	for _, k := range []string{"fax-150dpi", "photo"} {
		s := per[k]
		pct := 100 * float64(s.ok) / float64(max(s.total, 1))
		t.Logf("%s: %d/%d fields exact = %.1f %%", k, s.ok, s.total, pct)
		if s.total == 0 || pct < floors[k] {
			t.Errorf("%s: %.1f %% of fields exact, floor %.0f %%", k, pct, floors[k])
		}
	}
}

// tesseractTSV runs the tesseract CLI as the pipeline reads pages (vie+eng, PSM 4) and
// returns its words.
func tesseractTSV(path string) ([]queue.Word, error) {
	cmd := exec.CommandContext(context.Background(), "tesseract", path, "stdout", "-l", "vie+eng", "--psm", "4", "tsv")
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	var ws []queue.Word
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 12 || f[0] != "5" || strings.TrimSpace(f[11]) == "" {
			continue
		}
		n := make([]int, 10)
		for i := range n {
			n[i], _ = strconv.Atoi(f[i])
		}
		conf, _ := strconv.ParseFloat(f[10], 64)
		ws = append(ws, queue.Word{Text: f[11], X0: n[6], Y0: n[7], X1: n[6] + n[8], Y1: n[7] + n[9], Conf: conf,
			Block: n[2], Par: n[3], Line: n[4]})
	}
	return ws, nil
}
