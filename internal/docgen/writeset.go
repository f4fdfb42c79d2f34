package docgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// Manifest is the content of manifest.json written by WriteSet.
type Manifest struct {
	Seed      int64           `json:"seed"`
	Count     int             `json:"count"`
	DPI       int             `json:"dpi"`
	Clean     bool            `json:"clean"`
	Format    string          `json:"format"`
	Documents []ManifestEntry `json:"documents"`
}

// ManifestEntry names the files of one document.
type ManifestEntry struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Pages int    `json:"pages"`
	Image string `json:"image"` // file name of the image (.png, .jpg or .tif)
	Truth string `json:"truth"` // file name of the ground-truth JSON
}

// WriteSet generates documents 0..n-1 of seed into dir (created if needed):
// a single-page document as <ID>.png (or <ID>.jpg when opts.Format is
// "jpeg"), a multi-page one as one grayscale multi-page TIFF <ID>.tif, each
// with its ground truth <ID>.json, plus manifest.json. Document i is the same
// whatever n is.
func WriteSet(dir string, seed int64, n int, opts Options) ([]Document, error) {
	opts, err := opts.normalise()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("%w: negative count %d", ErrOptions, n)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("docgen: create output folder: %w", err)
	}
	docs := make([]Document, n)
	entries := make([]ManifestEntry, n)
	errs := make([]error, n)
	workers := min(max(1, runtime.GOMAXPROCS(0)), 4, max(n, 1))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				docs[i], entries[i], errs[i] = writeOne(dir, seed, i, opts)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	m := Manifest{Seed: seed, Count: n, DPI: opts.DPI, Clean: opts.Clean, Format: opts.Format, Documents: entries}
	if err := writeJSON(filepath.Join(dir, "manifest.json"), m); err != nil {
		return nil, err
	}
	return docs, nil
}

// JPEGQuality is the quality WriteSet uses for a single-page JPEG of
// document (seed, index): 95 when clean, otherwise 75..92.
func JPEGQuality(seed int64, index int, clean bool) int {
	if clean {
		return 95
	}
	return 75 + docRand(seed, index, 2).IntN(18)
}

func writeOne(dir string, seed int64, i int, opts Options) (Document, ManifestEntry, error) {
	doc, imgs, err := Generate(seed, i, opts)
	if err != nil {
		return Document{}, ManifestEntry{}, err
	}
	e := ManifestEntry{ID: doc.ID, Type: doc.Type, Pages: len(doc.Pages), Truth: doc.ID + ".json"}
	var buf bytes.Buffer
	switch {
	case len(imgs) > 1:
		e.Image = doc.ID + ".tif"
		err = WriteTIFF(&buf, imgs, doc.DPI)
	case opts.Format == "jpeg":
		e.Image = doc.ID + ".jpg"
		err = jpeg.Encode(&buf, imgs[0], &jpeg.Options{Quality: JPEGQuality(seed, i, opts.Clean)})
	default:
		e.Image = doc.ID + ".png"
		err = EncodePNG(&buf, imgs[0])
	}
	if err != nil {
		return Document{}, ManifestEntry{}, fmt.Errorf("docgen: encode %s: %w", e.Image, err)
	}
	if err := writeFile(filepath.Join(dir, e.Image), buf.Bytes()); err != nil {
		return Document{}, ManifestEntry{}, err
	}
	if err := writeJSON(filepath.Join(dir, e.Truth), doc); err != nil {
		return Document{}, ManifestEntry{}, err
	}
	return doc, e, nil
}

// EncodePNG writes img as PNG with fast compression.
func EncodePNG(w *bytes.Buffer, img image.Image) error {
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return enc.Encode(w, img)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("docgen: encode %s: %w", filepath.Base(path), err)
	}
	return writeFile(path, append(b, '\n'))
}

// writeFile writes through a temporary file and a rename so a reader never
// sees a half-written file.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("docgen: write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("docgen: write %s: %w", filepath.Base(path), err)
	}
	return nil
}
