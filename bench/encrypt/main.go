// Command encrypt measures the cost of the encrypted store (docs/ENCRYPTION.md): the same
// work on a plaintext store and on an encrypted one, in the same run, alternating. The work:
// importing generated pages (blobs written), the OCR hand-off (each page read back for the
// engine, its text and words saved, indexed), keying the printed values, searching for them,
// and the store's part of signing (every page read, a PDF of that size written). OCR itself
// (real Tesseract, measured once on the same pages) does not touch the store; it is added to
// both sides for the end-to-end figure. scripts/bench-encrypt.sh runs it.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/queue"
)

type page struct {
	png    []byte
	fields []docgen.Field
	text   string
	words  []queue.Word
}

type times struct{ imp, handoff, keying, search, sign time.Duration }

func (t times) store() time.Duration { return t.imp + t.handoff + t.keying + t.search + t.sign }

const pw = "mật-khẩu-đo-thử"

func main() {
	ocr.MaybeRunWorker()
	n := flag.Int("pages", 24, "generated pages")
	rounds := flag.Int("rounds", 3, "runs of each mode (median kept)")
	dpi := flag.Int("dpi", 300, "page resolution")
	flag.Parse()
	ctx := context.Background()
	var pages []page
	for i := 0; len(pages) < *n; i++ {
		d, imgs, err := docgen.Generate(7, i, docgen.Options{DPI: *dpi})
		if err != nil {
			fail(err)
		}
		if len(imgs) != 1 {
			continue
		}
		var b bytes.Buffer
		if err := docgen.EncodePNG(&b, imgs[0]); err != nil {
			fail(err)
		}
		pages = append(pages, page{png: b.Bytes(), fields: d.Fields})
	}
	pool, err := ocr.NewPool(ocr.Options{Workers: 2})
	if err != nil {
		fail(err)
	}
	start := time.Now()
	for i := range pages {
		r, err := pool.Recognize(ctx, pages[i].png)
		if err != nil {
			fail(err)
		}
		pages[i].text = r.Text
		for _, w := range r.Words {
			pages[i].words = append(pages[i].words, queue.Word{Text: w.Text, X0: w.X0, Y0: w.Y0, X1: w.X1, Y1: w.Y1, Conf: w.Conf, Block: w.Block, Par: w.Par, Line: w.Line})
		}
	}
	ocrTime := time.Since(start)
	pool.Close()

	var off, on []times
	for r := 0; r < *rounds; r++ { // alternate which side goes first (disk write-back of the run before)
		if r%2 == 0 {
			off = append(off, run(ctx, pages, false))
			on = append(on, run(ctx, pages, true))
		} else {
			on = append(on, run(ctx, pages, true))
			off = append(off, run(ctx, pages, false))
		}
	}
	mo, me := median(off), median(on)
	pct := func(a, b time.Duration) string { return fmt.Sprintf("%+.1f %%", 100*(float64(b)/float64(a)-1)) }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }
	fmt.Printf("| step (%d pages at %d dpi, median of %d) | plaintext | encrypted | difference |\n|---|---|---|---|\n", len(pages), *dpi, *rounds)
	for _, row := range []struct {
		name string
		a, b time.Duration
	}{
		{"import (pages stored)", mo.imp, me.imp},
		{"OCR hand-off (page read, text + words saved and indexed)", mo.handoff, me.handoff},
		{"keying (every printed value saved and indexed)", mo.keying, me.keying},
		{"search (every keyed name and number, 1 query each)", mo.search, me.search},
		{"signing, store part (pages read, PDF written)", mo.sign, me.sign},
		{"store total", mo.store(), me.store()},
		{"OCR (Tesseract, 2 engines, measured once, same on both sides)", ocrTime, ocrTime},
		{"end to end", mo.store() + ocrTime, me.store() + ocrTime},
	} {
		fmt.Printf("| %s | %s | %s | %s |\n", row.name, ms(row.a), ms(row.b), pct(row.a, row.b))
	}
}

func run(ctx context.Context, pages []page, encrypted bool) times {
	dir, err := os.MkdirTemp("", "sohoa-bench-encrypt-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	st, err := queue.Open(dir)
	if err != nil {
		fail(err)
	}
	defer st.Close()
	admin, err := st.CreateUser(ctx, nil, "admin", "Quản Trị", pw, []queue.Role{queue.RoleAdmin, queue.RoleClerk})
	if err != nil {
		fail(err)
	}
	if encrypted {
		if _, err := st.EnableEncryption(ctx, admin, pw); err != nil {
			fail(err)
		}
		if err := st.ConvertToEncrypted(ctx, nil); err != nil {
			fail(err)
		}
	}
	b, err := st.CreateBatch(ctx, admin, queue.BatchSpec{Name: "đo", Office: "HN-01"})
	if err != nil {
		fail(err)
	}
	var t times
	var docs []queue.Document
	var stored []queue.Page
	start := time.Now()
	for i, p := range pages {
		d, ps, err := st.AddDocument(ctx, admin, queue.NewDocument{BatchID: b.ID, Origin: fmt.Sprintf("p%d.png", i),
			Pages: []queue.PageInput{{Data: p.png, Format: "png", Width: 1, Height: 1, DPI: 300}}})
		if err != nil {
			fail(err)
		}
		docs, stored = append(docs, d), append(stored, ps...)
	}
	t.imp = time.Since(start)
	start = time.Now()
	for i, pg := range stored {
		if _, err := st.PageImage(pg); err != nil {
			fail(err)
		}
		if err := st.SaveOCR(ctx, pg.ID, queue.OCRResult{Text: pages[i].text, Words: pages[i].words, MeanConf: 90, Engine: "tesseract", Model: "vie+eng"}); err != nil {
			fail(err)
		}
	}
	t.handoff = time.Since(start)
	start = time.Now()
	var queries []string
	for i, d := range docs {
		var vs []queue.FieldValue
		for _, f := range pages[i].fields {
			vs = append(vs, queue.FieldValue{Key: f.Key, Value: f.Value, Source: queue.SourceKeyed, Confidence: 1})
			if strings.Contains(f.Key, "name") || strings.Contains(f.Key, "number") {
				queries = append(queries, f.Value)
			}
		}
		if err := st.SetFields(ctx, admin, d.ID, vs); err != nil {
			fail(err)
		}
	}
	t.keying = time.Since(start)
	start = time.Now()
	for _, q := range queries {
		if hits, err := st.Search(ctx, q, 20); err != nil || len(hits) == 0 {
			fail(fmt.Errorf("search: %d hits, %v", len(hits), err))
		}
	}
	t.search = time.Since(start)
	start = time.Now()
	for _, pg := range stored {
		img, err := st.PageImage(pg)
		if err != nil {
			fail(err)
		}
		pdf := make([]byte, len(img)+32<<10)
		copy(pdf, img)
		rand.Read(pdf[len(img):])
		if _, err := st.Blobs.Put(pdf); err != nil {
			fail(err)
		}
	}
	t.sign = time.Since(start)
	return t
}

func median(ts []times) times {
	pick := func(f func(times) time.Duration) time.Duration {
		v := make([]time.Duration, len(ts))
		for i, t := range ts {
			v[i] = f(t)
		}
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
		return v[len(v)/2]
	}
	return times{
		imp:     pick(func(t times) time.Duration { return t.imp }),
		handoff: pick(func(t times) time.Duration { return t.handoff }),
		keying:  pick(func(t times) time.Duration { return t.keying }),
		search:  pick(func(t times) time.Duration { return t.search }),
		sign:    pick(func(t times) time.Duration { return t.sign }),
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench encrypt:", err)
	os.Exit(1)
}
