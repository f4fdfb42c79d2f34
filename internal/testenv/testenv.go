// Package testenv finds what tests need outside the repository: the shared corpus of real
// files from public projects, which lives in shared/ beside the checkout.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// Corpus returns the folder of the shared corpus: $SOHOA_CORPUS, else shared/corpus beside
// the repository (found by walking up from the working directory to go.mod), else
// /work/shared/corpus. The folder may not exist; callers check.
func Corpus() string {
	if d := os.Getenv("SOHOA_CORPUS"); d != "" {
		return d
	}
	if dir, err := os.Getwd(); err == nil {
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				c := filepath.Join(filepath.Dir(d), "shared", "corpus")
				if _, err := os.Stat(c); err == nil {
					return c
				}
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "/work/shared/corpus"
}

// OCRViPages lists the real pages of the corpus's ocr-vi set the upright and ink tests read:
// the 33 rendered government pages (rendered-gov/*.png) and the 10 Da Nang scans with their
// augmented copies (real-scans-danang/data); a corpus with other counts fails the test.
func OCRViPages(t testing.TB) (gov, scans []string) {
	t.Helper()
	root := filepath.Join(Corpus(), "ocr-vi")
	gov, _ = filepath.Glob(filepath.Join(root, "rendered-gov", "*.png"))
	scans, _ = filepath.Glob(filepath.Join(root, "real-scans-danang", "data", "*.jpg"))
	aug, _ := filepath.Glob(filepath.Join(root, "real-scans-danang", "data", "augmented", "*.jpg"))
	scans = append(scans, aug...)
	if len(gov) != 33 || len(scans) != 10 {
		t.Fatalf("corpus %s: %d rendered-gov pages and %d Da Nang scans, want 33 and 10", root, len(gov), len(scans))
	}
	return gov, scans
}
