package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/jpeg"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/ocr"
)

// BenchmarkSignBatch500 assembles and signs a 500-document batch of 2-page records the way
// `sohoa sign` does (stored page images + stored OCR words → searchable PDF → PAdES signature,
// ECDSA P-256 key in memory), and, in the same run, OCRs the same pages with the real worker
// pool (one engine, PSM 4 as the pipeline) to put signing beside the OCR it follows. The pages
// are generated 300-dpi A4 records stored as the clean-up stores a changed grey or colour page
// (JPEG, quality 85); documents reuse 6 distinct pages, which costs the PDF writer the same as
// new ones. BenchmarkBuildPDFScans covers black-and-white pages.
//
// Reported: docs/s (assembly + signing), pdf-bytes/page, ocr-s/page, and sign-%-of-ocr: the
// time to sign the batch as a percentage of the time OCR of its 1,000 pages takes on one
// engine (the target: under 5 %).
func BenchmarkSignBatch500(b *testing.B) {
	const docs, pagesPerDoc, distinct = 500, 2, 6
	var pages [][]byte
	for i := 0; len(pages) < distinct; i++ {
		_, imgs, err := docgen.Generate(7, i, docgen.Options{DPI: 300})
		if err != nil {
			b.Fatal(err)
		}
		for _, img := range imgs {
			if len(pages) == distinct {
				break
			}
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
				b.Fatal(err)
			}
			pages = append(pages, buf.Bytes())
		}
	}
	pool, err := ocr.NewPool(ocr.Options{Workers: 1, PSM: 4})
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	words := make([][]Word, len(pages))
	ocrStart := time.Now()
	for i, p := range pages {
		res, err := pool.Recognize(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		for _, w := range res.Words {
			words[i] = append(words[i], Word{Text: w.Text, X0: w.X0, Y0: w.Y0, X1: w.X1, Y1: w.Y1, Conf: w.Conf, Block: w.Block, Par: w.Par, Line: w.Line})
		}
	}
	ocrPerPage := time.Since(ocrStart).Seconds() / float64(len(pages))

	pki := newTestPKI(b)
	signer := pki.signer(b, "Trần Thị Ĩnh", "ecdsa")
	fields, _ := json.Marshal(map[string]string{"ho_ten": "Nguyễn Văn Đức", "ngay_sinh": "12/03/1998"})
	var pdfBytes int64
	var batchSeconds float64
	for b.Loop() {
		pdfBytes = 0
		start := time.Now()
		for d := range docs {
			in := DocumentInput{Title: fmt.Sprintf("Giấy khai sinh %d", d), Author: "UBND xã", Created: time.Now(), FieldsJSON: fields}
			for p := range pagesPerDoc {
				k := (d*pagesPerDoc + p) % len(pages)
				in.Pages = append(in.Pages, PageInput{Image: pages[k], DPI: 300, Words: words[k]})
			}
			pdf, err := BuildPDF(in)
			if err != nil {
				b.Fatal(err)
			}
			out, err := Sign(pdf, signer, SignInfo{Name: "Trần Thị Ĩnh", Reason: "Phê duyệt"})
			if err != nil {
				b.Fatal(err)
			}
			pdfBytes += int64(len(out))
		}
		batchSeconds = time.Since(start).Seconds()
	}
	b.ReportMetric(float64(docs)/batchSeconds, "docs/s")
	b.ReportMetric(float64(pdfBytes)/float64(docs*pagesPerDoc), "pdf-bytes/page")
	b.ReportMetric(ocrPerPage, "ocr-s/page")
	b.ReportMetric(100*batchSeconds/(ocrPerPage*docs*pagesPerDoc), "sign-%-of-ocr")
}
