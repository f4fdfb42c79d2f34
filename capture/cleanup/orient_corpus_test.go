package cleanup

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sohoa/sohoa/internal/testenv"
)

// TestOrientationLowResolution runs the default clean-up on the real Da Nang scans of the
// corpus (about 70 dpi; the originals and their noisy, blurred, darkened and slightly
// skewed copies, all upright, evenly lit): none may be turned or flattened. OSD called three of them upside down
// before 180° verdicts under osdMinDPI were set aside; their CER went from about 11 % to 80 %.
func TestOrientationLowResolution(t *testing.T) {
	dir := filepath.Join(testenv.Corpus(), "ocr-vi", "real-scans-danang", "data")
	files, err := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	aug, _ := filepath.Glob(filepath.Join(dir, "augmented", "*.jpg"))
	files = append(files, aug...)
	if len(files) != 10 {
		t.Fatalf("corpus %s: %d scans, want 10", dir, len(files))
	}
	var inputs [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
	}
	for i, r := range processAll(t, inputs, DefaultProfile()) {
		if r.Rotation != 0 {
			t.Errorf("%s: turned %d° (OSD confidence %.2f)", filepath.Base(files[i]), r.Rotation, r.OrientConf)
		}
		if r.Blank {
			t.Errorf("%s: called blank", filepath.Base(files[i]))
		}
		if r.Flattened { // evenly lit scans (the dark copy too): no light to even out
			t.Errorf("%s: flattened (paper range %d)", filepath.Base(files[i]), r.PaperRange)
		}
	}
}
