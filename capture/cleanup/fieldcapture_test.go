package cleanup

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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
// (bilevel, speckled) and as phone photos (the sheet on a darker table, photographed at an
// angle: keystoned, turned a few degrees, light falling to about a third across it),
// cleaned by the default profile, read by Tesseract (vie, PSM 4, as the pipeline does) and
// their fields extracted: the share of fields exact before keying. make test samples two
// record types; SOHOA_FIELDCAPTURES=full (scripts/bench-captures.sh) runs every type on
// three documents each. Measured numbers: bench/REPORT-captures.md. The make-test sample:
// photo 71/72 = 98.6 %, fax 66/72 = 91.7 % on 2026-12-04; 72/72 and 72/72 since the
// extraction's table, name-mark and address fixes (2026-12-07); floors a few fields under.

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

// asKeystoned lays the page on a darker, noisy table as a camera held at an angle sees it
// (top edge narrower than the bottom, the sheet turned by about deg), with bilinear
// sampling, then lights it like a lamp does (litLikePhoto).
func asKeystoned(t *testing.T, img image.Image, deg float64) []byte {
	t.Helper()
	b, _ := keystoned(t, img, deg)
	return b
}

// keystoned is asKeystoned that also returns where the sheet's corners are on the photo.
func keystoned(t *testing.T, img image.Image, deg float64) ([]byte, quad) {
	t.Helper()
	b := img.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	cw, ch := int(w*1.16), int(h*1.1)
	// Page corners on the canvas: a trapezoid (top 8 % narrower), turned by deg.
	pc := [4][2]float64{{0.12 * w, 0.05 * h}, {1.04 * w, 0.05 * h}, {1.1 * w, 1.05 * h}, {0.06 * w, 1.05 * h}}
	s, c := math.Sincos(deg * math.Pi / 180)
	cx, cy := float64(cw)/2, float64(ch)/2
	for i := range pc {
		dx, dy := pc[i][0]-cx, pc[i][1]-cy
		pc[i] = [2]float64{cx + c*dx - s*dy, cy + s*dx + c*dy}
	}
	src := [4][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}}
	H := homography(t, pc, src) // canvas -> page
	g := toGray(img)
	out := image.NewGray(image.Rect(0, 0, cw, ch))
	rnd := uint32(7)
	for y := 0; y < ch; y++ {
		for x := 0; x < cw; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			d := H[6]*fx + H[7]*fy + 1
			u, v := (H[0]*fx+H[1]*fy+H[2])/d-0.5, (H[3]*fx+H[4]*fy+H[5])/d-0.5
			rnd ^= rnd << 13
			rnd ^= rnd >> 17
			rnd ^= rnd << 5
			val := 70 + float64(rnd%16) // the table
			if u >= 0 && v >= 0 && u < w-1 && v < h-1 {
				x0, y0 := int(u), int(v)
				ax, ay := u-float64(x0), v-float64(y0)
				p := func(px, py int) float64 { return float64(g.Pix[py*g.Stride+px]) }
				val = (1-ay)*((1-ax)*p(x0, y0)+ax*p(x0+1, y0)) + ay*((1-ax)*p(x0, y0+1)+ax*p(x0+1, y0+1))
			}
			out.Pix[y*out.Stride+x] = uint8(math.Round(val))
		}
	}
	return litLikePhoto(t, encodeGray(t, out)), quad(pc)
}

// homography returns h[0..7] of the projective map taking the points from[i] to to[i].
func homography(t *testing.T, from, to [4][2]float64) [8]float64 {
	t.Helper()
	var a [8][9]float64
	for i := 0; i < 4; i++ {
		x, y, u, v := from[i][0], from[i][1], to[i][0], to[i][1]
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for col := 0; col < 8; col++ {
		p := col
		for r := col + 1; r < 8; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		a[col], a[p] = a[p], a[col]
		if math.Abs(a[col][col]) < 1e-12 {
			t.Fatal("homography: degenerate corners")
		}
		for r := 0; r < 8; r++ {
			if r == col {
				continue
			}
			f := a[r][col] / a[col][col]
			for k := col; k < 9; k++ {
				a[r][k] -= f * a[col][k]
			}
		}
	}
	var h [8]float64
	for i := range h {
		h[i] = a[i][8] / a[i][i]
	}
	return h
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
	// make test: two record types (which two changes with nothing: birth and household,
	// the forms with the most fields); full: every type, three documents each.
	types, perType := []string{"birth", "household"}, 1
	if os.Getenv("SOHOA_FIELDCAPTURES") == "full" {
		types, perType = docgen.Types, 3
	}
	want := map[string]int{}
	for _, ty := range types {
		want[ty] = perType
	}
	// SOHOA_FIELDCAPTURES_SEED: other generated documents than seed 31's, which the
	// extraction fixes were worked out on (records/testdata/captures): a held-out check.
	seed := int64(31)
	if v := os.Getenv("SOHOA_FIELDCAPTURES_SEED"); v != "" {
		if seed, err = strconv.ParseInt(v, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	for i, left := 0, len(types)*perType; left > 0 && i < 400; i++ {
		probe, _, err := docgen.Generate(seed, i, docgen.Options{DPI: 150, Clean: true})
		if err != nil || want[probe.Type] == 0 {
			continue
		}
		want[probe.Type]--
		left--
		doc, fax, err := docgen.Generate(seed, i, docgen.Options{DPI: 150, Clean: true})
		if err != nil {
			t.Fatal(err)
		}
		caps = append(caps, capture{"fax-150dpi", doc, asFax(t, fax[0])})
		doc2, photo, err := docgen.Generate(seed, i, docgen.Options{DPI: 200, Clean: true})
		if err != nil {
			t.Fatal(err)
		}
		deg := 2.5
		if i%2 == 1 {
			deg = -3
		}
		caps = append(caps, capture{"photo", doc2, asKeystoned(t, photo[0], deg)})
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
	// SOHOA_FIELDCAPTURES_DUMP=dir writes each capture's words and true fields there (JSON) to
	// work on extraction without running Tesseract again.
	dump := os.Getenv("SOHOA_FIELDCAPTURES_DUMP")
	for i, c := range caps {
		if errs[i] != nil {
			t.Fatalf("tesseract: %v", errs[i])
		}
		if dump != "" {
			js, err := json.Marshal(map[string]any{"kind": c.kind, "type": c.doc.Type, "width": cleaned[i].Width,
				"height": cleaned[i].Height, "words": words[i], "fields": c.doc.Fields})
			if err == nil {
				err = os.WriteFile(filepath.Join(dump, strconv.Itoa(i)+".json"), js, 0o600)
			}
			if err != nil {
				t.Fatal(err)
			}
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
				if testing.Verbose() {
					t.Logf("miss %s %s %s: got %q want %q", c.kind, c.doc.Type, gt.Key, vals[gt.Key], gt.Value)
				}
			}
		}
		if c.kind == "photo" && !cleaned[i].Straightened {
			t.Errorf("photo of %s: the sheet was not found and straightened", c.doc.Type)
		}
		if c.kind == "fax-150dpi" && !cleaned[i].Despeckled {
			t.Errorf("fax of %s: not despeckled (%d dpi)", c.doc.Type, cleaned[i].DPI)
		}
		t.Logf("%-10s %-10s straightened %-5v flattened %-5v deskewed %-5v upscaled %-5v %dx%d missed %v", c.kind, c.doc.Type,
			cleaned[i].Straightened, cleaned[i].Flattened, cleaned[i].Deskewed, cleaned[i].Upscaled, cleaned[i].Width, cleaned[i].Height, missed)
	}
	floors := map[string]float64{"fax-150dpi": 94, "photo": 96}
	for _, k := range []string{"fax-150dpi", "photo"} {
		s := per[k]
		pct := 100 * float64(s.ok) / float64(max(s.total, 1))
		t.Logf("%s: %d/%d fields exact = %.1f %%", k, s.ok, s.total, pct)
		if s.total == 0 || pct < floors[k] {
			t.Errorf("%s: %.1f %% of fields exact, floor %.0f %%", k, pct, floors[k])
		}
	}
}

// tesseractTSV runs the tesseract CLI as the pipeline reads a Vietnamese page (vie alone,
// ocr.VietnameseReading; PSM 4) and returns its words.
func tesseractTSV(path string) ([]queue.Word, error) {
	cmd := exec.CommandContext(context.Background(), "tesseract", path, "stdout", "-l", "vie", "--psm", "4", "tsv")
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
