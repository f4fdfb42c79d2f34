package cleanup

import (
	"context"
	"testing"
)

// FuzzProcess feeds arbitrary bytes to Process: it must return a result
// or an error, never panic or hang. Seeds are in testdata/fuzz/FuzzProcess.
func FuzzProcess(f *testing.F) {
	quietLeptonica()
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe0})
	f.Fuzz(func(t *testing.T, data []byte) {
		p := DefaultProfile()
		p.Binarize = len(data)%2 == 0
		r, err := Process(context.Background(), data, p)
		if err == nil && !r.Dropped && len(r.Data) == 0 {
			t.Fatal("no error and no image")
		}
	})
}
