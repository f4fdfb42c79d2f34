package cleanup

import (
	"context"
	"image"
	"math"
	"testing"
)

// TestAccuracy runs the default profile over the pages of 28 generated
// documents at 300 dpi (skew within ±3°, some upside down, one blank
// back page), each page further turned by 0, 90, 180 or 270° in turn, and
// checks the measured skew, the orientation, blank detection and that no
// border is cropped from pages that have none.
func TestAccuracy(t *testing.T) {
	pages := generate(t, 1, 0, 28, 300, false)
	inputs := make([][]byte, len(pages))
	extra := make([]int, len(pages))
	for i, pg := range pages {
		extra[i] = 90 * (i % 4)
		inputs[i] = rotatePNG(t, pg.png, extra[i])
	}
	res := processAll(t, inputs, DefaultProfile())

	var skewErr []float64
	orientOK, orientN, blanks, undecided := 0, 0, 0, 0
	minTextScore := math.Inf(1)
	for i, pg := range pages {
		r := res[i]
		tr := pg.truth
		if tr.Blank {
			blanks++
			if !r.Blank {
				t.Errorf("doc %d page %d: generated blank page not detected (score %.6f)", pg.doc, tr.Index, r.BlankScore)
			}
			if r.Rotation != 0 {
				t.Errorf("doc %d page %d: blank page turned by %d", pg.doc, tr.Index, r.Rotation)
			}
			continue
		}
		if r.Blank {
			t.Errorf("doc %d page %d: text page called blank (score %.6f)", pg.doc, tr.Index, r.BlankScore)
		}
		minTextScore = min(minTextScore, r.BlankScore)
		want := (360 - (tr.Rotation+extra[i])%360) % 360
		orientN++
		if r.Rotation == want {
			orientOK++
		} else {
			if !r.OrientDetected {
				undecided++
			}
			t.Logf("doc %d page %d turned %d+%d: rotation %d, want %d (OSD conf %.2f, detected %v)",
				pg.doc, tr.Index, tr.Rotation, extra[i], r.Rotation, want, r.OrientConf, r.OrientDetected)
		}
		e := math.Abs(r.SkewDeg - tr.SkewDeg)
		skewErr = append(skewErr, e)
		if e > 0.5 {
			t.Logf("doc %d page %d: skew %.2f measured %.2f (conf %.1f)", pg.doc, tr.Index, tr.SkewDeg, r.SkewDeg, r.SkewConf)
		}
		if math.Abs(tr.SkewDeg) >= 0.3 && !r.Deskewed {
			t.Errorf("doc %d page %d: skew %.2f not corrected", pg.doc, tr.Index, tr.SkewDeg)
		}
		full := image.Rect(0, 0, r.Width, r.Height)
		if r.Crop != full {
			t.Errorf("doc %d page %d: cropped %v of %v on a page without black edges", pg.doc, tr.Index, r.Crop, full)
		}
	}
	if blanks == 0 {
		t.Fatal("the generated set has no blank page: pick other documents")
	}
	med, mx := median(skewErr), 0.0
	for _, e := range skewErr {
		mx = max(mx, e)
	}
	rate := float64(orientOK) / float64(orientN)
	t.Logf("%d pages (%d blank): skew error median %.3f°, max %.3f°; orientation %d/%d correct (%.1f%%, %d undecided); lowest text-page BlankScore %.5f (threshold %.5f)",
		len(pages), blanks, med, mx, orientOK, orientN, 100*rate, undecided, minTextScore, BlankMaxInk)
	if med >= 0.3 {
		t.Errorf("median skew error %.3f° >= 0.3°", med)
	}
	if rate < 0.99 {
		t.Errorf("orientation correct on %.1f%% of pages, want >= 99%%", 100*rate)
	}

	// The cleaned images are straight: measuring them again finds almost
	// no skew.
	var residual []float64
	for i, pg := range pages {
		if pg.truth.Blank || math.Abs(pg.truth.SkewDeg) < 1.5 || len(residual) == 4 {
			continue
		}
		r2, err := Process(context.Background(), res[i].Data, Profile{Deskew: true})
		if err != nil {
			t.Fatal(err)
		}
		residual = append(residual, r2.SkewDeg)
		if math.Abs(r2.SkewDeg) >= 0.3 {
			t.Errorf("doc %d page %d: skew %.2f left %.2f after clean-up", pg.doc, pg.truth.Index, pg.truth.SkewDeg, r2.SkewDeg)
		}
	}
	t.Logf("residual skew after clean-up on strongly skewed pages: %.3f", residual)
}
