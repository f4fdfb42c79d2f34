// Package testenv finds what tests need outside the repository: the shared corpus of real
// files from public projects, which lives in shared/ beside the checkout.
package testenv

import (
	"os"
	"path/filepath"
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
