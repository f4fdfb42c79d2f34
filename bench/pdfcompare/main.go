// Command pdfcompare measures SoHoa's signed PDF/A output per page on the real 200-dpi pages of
// the corpus (ocr-vi/rendered-gov) beside OCRmyPDF's PDF/A-2b output of the same pages, and
// checks that SoHoa's page image decodes back to the source pixels (pdfimages). The text
// layer comes from the tesseract CLI (vie, TSV words), as SoHoa's OCR would give it.
// scripts/bench-pdf.sh runs it and writes bench/REPORT-pdf.md.
package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/csv"
	"flag"
	"fmt"
	"image/color"
	_ "image/jpeg"
	"image/png"
	"io"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa/sohoa/internal/docgen"
	"github.com/sohoa/sohoa/sign"
)

func main() {
	corpus := flag.String("corpus", "../shared/corpus", "the shared corpus")
	sample := flag.Int("ocrmypdf", 6, "pages (spread over the set) also run through OCRmyPDF")
	limit := flag.Int("pages", 0, "pages to measure (0: all)")
	flag.Parse()
	files, _ := filepath.Glob(filepath.Join(*corpus, "ocr-vi", "rendered-gov", "*.png"))
	sort.Strings(files)
	if *limit > 0 && *limit < len(files) {
		files = files[:*limit]
	}
	if len(files) == 0 {
		fail(fmt.Errorf("no pages under %s", *corpus))
	}
	signer := testSigner()
	tmp, err := os.MkdirTemp("", "pdfcompare")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	step := max(1, len(files)/max(1, *sample))
	fmt.Println("| page | SoHoa encoding | SoHoa KB (signed PDF/A) | image KB | lossless image KB | PSNR dB / SSIM vs lossless (rendered) | CER % lossless → SoHoa | OCRmyPDF KB (PDF/A-2b) | CER % OCRmyPDF | ms SoHoa build+sign |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	var sohoaAll, sohoaS, ocrmS, nS, losslessAll int
	var eL, eS, eO, nT, nTO, eLS int
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			fail(err)
		}
		words, err := tesseractWords(f)
		if err != nil {
			fail(err)
		}
		t0 := time.Now()
		pdf, stats, err := sign.BuildPDFStats(sign.DocumentInput{Title: filepath.Base(f), Author: "SoHoa bench", Created: time.Now(),
			Pages: []sign.PageInput{{Image: data, DPI: 200, Words: words}}, FieldsJSON: []byte(`{"bench":true}`)})
		if err != nil {
			fail(err)
		}
		signed, err := sign.Sign(pdf, signer, sign.SignInfo{Name: "SoHoa bench"})
		if err != nil {
			fail(err)
		}
		ms := time.Since(t0).Milliseconds()
		ref, refStats, err := sign.BuildPDFStats(sign.DocumentInput{Title: filepath.Base(f), Author: "SoHoa bench", Created: time.Now(),
			Pages: []sign.PageInput{{Image: data, DPI: 200, Words: words, Lossless: true}}, FieldsJSON: []byte(`{"bench":true}`)})
		if err != nil {
			fail(err)
		}
		truthB, err := os.ReadFile(strings.TrimSuffix(f, ".png") + ".gt.txt")
		if err != nil {
			fail(err)
		}
		truth := string(truthB)
		sPNG, sPix, w, h := renderBack(signed, filepath.Join(tmp, "s"))
		lPNG, lPix, _, _ := renderBack(ref, filepath.Join(tmp, "l"))
		psnr, ssim := sign.ImageQuality(lPix, sPix, w, h)
		el, n := docgen.CERCounts(truth, ocrText(lPNG))
		es, _ := docgen.CERCounts(truth, ocrText(sPNG))
		eL, eS, nT = eL+el, eS+es, nT+n
		sohoaAll += len(signed)
		losslessAll += refStats[0].ImageBytes
		q := "identical"
		if !math.IsInf(psnr, 1) {
			q = fmt.Sprintf("%.1f / %.4f", psnr, ssim)
		}
		ocrm, ocrmCER := "—", "—"
		if i%step == 0 && nS < *sample {
			o := filepath.Join(tmp, "o.pdf")
			cmd := exec.Command("ocrmypdf", "-q", "-l", "vie", "--image-dpi", "200", "--output-type", "pdfa-2", "--jobs", "1", f, o)
			cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
			if b, err := cmd.CombinedOutput(); err != nil {
				fail(fmt.Errorf("ocrmypdf %s: %v\n%s", f, err, b))
			}
			st, err := os.Stat(o)
			if err != nil {
				fail(err)
			}
			ocrm = strconv.FormatInt(st.Size()/1024, 10)
			ob, err := os.ReadFile(o)
			if err != nil {
				fail(err)
			}
			oPNG, _, _, _ := renderBack(ob, filepath.Join(tmp, "o"))
			eo, _ := docgen.CERCounts(truth, ocrText(oPNG))
			ocrmCER = fmt.Sprintf("%.2f", 100*float64(eo)/float64(max(1, n)))
			eO, nTO, eLS = eO+eo, nTO+n, eLS+es
			sohoaS += len(signed)
			ocrmS += int(st.Size())
			nS++
		}
		fmt.Printf("| %s | %s | %d | %d | %d | %s | %.2f → %.2f | %s | %s | %d |\n", filepath.Base(f), stats[0].Encoding, len(signed)/1024, stats[0].ImageBytes/1024,
			refStats[0].ImageBytes/1024, q, 100*float64(el)/float64(max(1, n)), 100*float64(es)/float64(max(1, n)), ocrm, ocrmCER, ms)
	}
	fmt.Println()
	pct := func(e, n int) string { return fmt.Sprintf("%.2f", 100*float64(e)/float64(max(1, n))) }
	fmt.Printf("SUMMARY pages=%d sohoa_kb_per_page=%d lossless_image_kb_per_page=%d cer_lossless=%s cer_sohoa=%s sample_pages=%d sohoa_sample_kb_per_page=%d ocrmypdf_sample_kb_per_page=%d cer_sohoa_sample=%s cer_ocrmypdf_sample=%s\n",
		len(files), sohoaAll/len(files)/1024, losslessAll/len(files)/1024, pct(eL, nT), pct(eS, nT), nS, sohoaS/max(1, nS)/1024, ocrmS/max(1, nS)/1024, pct(eLS, nTO), pct(eO, nTO))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pdfcompare:", err)
	os.Exit(1)
}

// testSigner is a throw-away ECDSA key with a self-signed certificate (the signature's size
// is that of a real one of the same key type; a real chain adds its certificates).
func testSigner() sign.Signer {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "SoHoa bench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		fail(err)
	}
	cert, _ := x509.ParseCertificate(der)
	s, err := sign.NewSigner(key, []*x509.Certificate{cert})
	if err != nil {
		fail(err)
	}
	return s
}

// tesseractWords OCRs a page with the tesseract CLI (TSV) into words with their boxes.
func tesseractWords(path string) ([]sign.Word, error) {
	cmd := exec.Command("tesseract", path, "-", "-l", "vie", "--psm", "3", "tsv")
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("tesseract %s: %w", path, err)
	}
	r := csv.NewReader(bytes.NewReader(out))
	r.Comma, r.LazyQuotes, r.FieldsPerRecord = '\t', true, -1
	var words []sign.Word
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil || len(rec) < 12 || rec[0] != "5" || strings.TrimSpace(rec[11]) == "" {
			continue
		}
		n := make([]int, 10)
		for i := range n {
			n[i], _ = strconv.Atoi(rec[i])
		}
		conf, _ := strconv.ParseFloat(rec[10], 64)
		words = append(words, sign.Word{Text: rec[11], X0: n[6], Y0: n[7], X1: n[6] + n[8], Y1: n[7] + n[9], Conf: conf, Block: n[2], Par: n[3], Line: n[4]})
	}
	return words, nil
}

// renderBack renders page 1 of pdf with poppler's pdftoppm at 200 dpi in grey, as a reader
// would see it, into prefix.png; it returns the file, its grey pixels and its size.
func renderBack(pdf []byte, prefix string) (string, []byte, int, int) {
	if err := os.WriteFile(prefix+".pdf", pdf, 0o600); err != nil {
		fail(err)
	}
	if b, err := exec.Command("pdftoppm", "-r", "200", "-gray", "-png", "-singlefile", prefix+".pdf", prefix).CombinedOutput(); err != nil {
		fail(fmt.Errorf("pdftoppm: %v %s", err, b))
	}
	f, err := os.Open(prefix + ".png")
	if err != nil {
		fail(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		fail(err)
	}
	b := img.Bounds()
	pix := make([]byte, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			pix = append(pix, color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y)
		}
	}
	return prefix + ".png", pix, b.Dx(), b.Dy()
}

// ocrText reads a rendered page with the real Tesseract (vie+eng), as the legibility rule says.
func ocrText(path string) string {
	cmd := exec.Command("tesseract", path, "-", "-l", "vie+eng", "--psm", "3")
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	out, err := cmd.Output()
	if err != nil {
		fail(fmt.Errorf("tesseract %s: %w", path, err))
	}
	return string(out)
}
