package cleanup

import (
	"context"
	"os"
	"testing"

	"github.com/sohoa/sohoa/internal/docgen"
)

func TestDbgCaptures(t *testing.T) {
	for i := 0; i < 12; i++ {
		doc, pages, err := docgen.Generate(31, i, docgen.Options{DPI: 200, Clean: true})
		if err != nil || (doc.Type != "birth") {
			continue
		}
		ph := asKeystoned(t, pages[0], 2.5)
		os.WriteFile("/tmp/cap_photo.png", ph, 0o644)
		g, _ := readPix(ph)
		gg, _ := g.gray()
		buf, sw, sh, _ := gg.small(600.0 / 2700)
		t.Logf("otsu %d size %dx%d", otsu(buf), sw, sh)
		q, ok, err := findPage(gg)
		t.Logf("quad %v ok %v err %v", q, ok, err)
		_, fax, _ := docgen.Generate(31, i, docgen.Options{DPI: 150, Clean: true})
		fx := asFax(t, fax[0])
		os.WriteFile("/tmp/cap_fax.png", fx, 0o644)
		r, err := Process(context.Background(), fx, DefaultProfile())
		t.Logf("fax %v %v %dx%d", err, r.Upscaled, r.Width, r.Height)
		os.WriteFile("/tmp/cap_fax_clean.png", r.Data, 0o644)
		break
	}
}
