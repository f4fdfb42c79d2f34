package sign

import (
	"testing"
)

// BenchmarkBuildPDF reports the size of a one-page A4 150 dpi document with 16 words.
func BenchmarkBuildPDF(b *testing.B) {
	doc := testDocument(b)
	doc.Pages = doc.Pages[:1]
	var n int
	for b.Loop() {
		out, err := BuildPDF(doc)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.ReportMetric(float64(n), "pdf-bytes/page")
}

func benchmarkSign(b *testing.B, alg string) {
	pki := newTestPKI(b)
	s := pki.signer(b, "Lê Thị Ĩ", alg)
	pdf := unsignedPDF(b)
	for b.Loop() {
		if _, err := Sign(pdf, s, SignInfo{Name: "Lê Thị Ĩ"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

func BenchmarkSignRSA2048(b *testing.B)   { benchmarkSign(b, "rsa") }
func BenchmarkSignECDSAP256(b *testing.B) { benchmarkSign(b, "ecdsa") }

func BenchmarkVerify(b *testing.B) {
	pki := newTestPKI(b)
	out, err := Sign(unsignedPDF(b), pki.signer(b, "Lê Thị Ĩ", "ecdsa"), SignInfo{Name: "Lê Thị Ĩ"})
	if err != nil {
		b.Fatal(err)
	}
	roots := pki.roots()
	for b.Loop() {
		if rep, err := Verify(out, VerifyOptions{Roots: roots}); err != nil || !rep.Trusted {
			b.Fatal(rep, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkVerifySignedTwice verifies a document with two approval signatures: the first
// one's signed revision is read and compared object by object with the final one.
func BenchmarkVerifySignedTwice(b *testing.B) {
	pki := newTestPKI(b)
	one, err := Sign(unsignedPDF(b), pki.signer(b, "Lê Thị Ĩ", "ecdsa"), SignInfo{Name: "Lê Thị Ĩ"})
	if err != nil {
		b.Fatal(err)
	}
	two, err := Sign(one, pki.signer(b, "Trần Hùng", "ecdsa"), SignInfo{Name: "Trần Hùng"})
	if err != nil {
		b.Fatal(err)
	}
	roots := pki.roots()
	for b.Loop() {
		if rep, err := Verify(two, VerifyOptions{Roots: roots}); err != nil || !rep.Trusted {
			b.Fatal(rep, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
}
