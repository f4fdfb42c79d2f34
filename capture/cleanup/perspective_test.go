package cleanup

import (
	"context"
	"math"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
)

// TestFindPage: the sheet of a keystoned, turned, photo-lit capture is found within half a
// percent of its side at every corner, in both turns; a plain scan, a scan with dark
// scanner edges and a photo-lit scan filling the frame have no quadrilateral to correct.
func TestFindPage(t *testing.T) {
	_, pages, err := docgen.Generate(31, 0, docgen.Options{DPI: 150, Clean: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, deg := range []float64{2.5, -3} {
		data, want := keystoned(t, pages[0], deg)
		res, err := Process(context.Background(), data, DefaultProfile())
		if err != nil {
			t.Fatal(err)
		}
		if !res.Straightened {
			t.Fatalf("turn %.1f: sheet not found", deg)
		}
		side := math.Hypot(want[2][0]-want[0][0], want[2][1]-want[0][1])
		for i := range want {
			if d := math.Hypot(res.Quad[i][0]-want[i][0], res.Quad[i][1]-want[i][1]); d > 0.005*side {
				t.Errorf("turn %.1f: corner %d at %.0f,%.0f, want %.0f,%.0f (%.1f px off)", deg, i, res.Quad[i][0], res.Quad[i][1], want[i][0], want[i][1], d)
			}
		}
		// The sheet's own size comes back (the longer of each pair of opposite sides).
		b := pages[0].Bounds()
		if math.Abs(float64(res.Width)-float64(b.Dx())*1.04) > 0.03*float64(b.Dx()) || math.Abs(float64(res.Height)-float64(b.Dy())) > 0.03*float64(b.Dy()) {
			t.Errorf("turn %.1f: straightened page %dx%d, sheet %dx%d", deg, res.Width, res.Height, b.Dx(), b.Dy())
		}
	}
	g := toGray(pages[0])
	plain := encodeGray(t, g)
	edged := toGray(pages[0])
	blackEdges(edged, 30, 20, 25, 40)
	for name, data := range map[string][]byte{"plain": plain, "dark edges": encodeGray(t, edged), "photo-lit": litLikePhoto(t, plain)} {
		res, err := Process(context.Background(), data, DefaultProfile())
		if err != nil {
			t.Fatal(err)
		}
		if res.Straightened {
			t.Errorf("%s scan straightened (quad %v)", name, res.Quad)
		}
	}
}
