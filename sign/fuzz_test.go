package sign

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"testing"
	"time"
)

// FuzzRevisions drives the revision reader (strict cross-reference chain, pdfcpu through
// it), the structure check of the bytes after a revision and the comparison of revisions,
// without Verify's recover(), so a panic in them is found; a hang fails through the deadline.
// Seeds: testdata/fuzz/FuzzRevisions (attack files and small corpus files).
func FuzzRevisions(f *testing.F) {
	f.Add([]byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\nxref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \ntrailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n106\n%%EOF\n"))
	f.Add([]byte("%PDF-1.5\n1 0 obj\n<< /Type /XRef /W [1 2 1] /Size 2 /Root 1 0 R /Length 8 >>\nstream\n\x00\x00\x00\xff\x01\x00\x09\x00\nendstream\nendobj\nstartxref\n9\n%%EOF\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			fuzzRevisions(data)
		}()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatalf("no result within a minute for %d bytes", len(data))
		}
	})
}

func fuzzRevisions(data []byte) {
	var ends []int64
	for i := 0; i < len(data) && len(ends) < 8; {
		j := bytes.Index(data[i:], []byte("%%EOF"))
		if j < 0 {
			break
		}
		ends = append(ends, int64(i+j+5))
		i += j + 5
	}
	ends = append(ends, int64(len(data)))
	var revs []*revision
	for _, e := range ends {
		if x, err := readXref(data, e); err == nil {
			checkOffsets(data[:e], x)
		}
		if r, err := readRevision(context.Background(), data, e); err == nil {
			revs = append(revs, r)
			signatureFields(r)
			permissionsAt(r)
		}
	}
	if len(revs) >= 2 {
		s, f := revs[0], revs[len(revs)-1]
		if s.End < f.End {
			checkAppended(data, s.End, s, f, 1)
			checkAppended(data, s.End, s, nil, 1)
			diffRevisions(s, f, 1, permissionsAt(s))
		}
	}
}

// FuzzCMS drives the strict CMS and timestamp verification and the BER reader.
func FuzzCMS(f *testing.F) {
	f.Add([]byte{0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x80, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		for _, p := range []cmsProfile{profAdbeDetached, profCAdES, profAdbeSHA1, profTimestamp} {
			if res, err := verifyCMS(der, []byte("content"), p); err == nil && res.Signer == nil {
				t.Fatal("verified without a signer")
			}
		}
		verifyTimestamp(der, []byte("content"))
		if n, ok := berLen(der, 0); ok && n < 0 {
			t.Fatal("negative BER length")
		}
		trimDER(der)
	})
}

// miniPDF is a PDF of the given objects (1 0 obj the catalog) with a correct classic
// cross-reference table: seeds for FuzzReadRecord.
func miniPDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, x)
	return b.Bytes()
}

// recordSeeds: the record in /PieceInfo (unfiltered and Flate), attached, both, and a
// /Private that is not a stream.
func recordSeeds() [][]byte {
	pages := "<< /Type /Pages /Kids [] /Count 0 >>"
	rec := `{"ho_ten":"Nguyễn Văn Đức"}`
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(rec))
	zw.Close()
	piece := func(private string) string {
		return "<< /Type /Catalog /Pages 2 0 R /PieceInfo << /SoHoa << /LastModified (D:20261207000000Z) /Private " + private + " >> >> >>"
	}
	return [][]byte{
		miniPDF(piece("3 0 R"), pages, fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(rec), rec)),
		miniPDF(piece("3 0 R"), pages, fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.Bytes())),
		miniPDF(piece("(not a stream)"), pages),
		miniPDF("<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(record.json) 3 0 R] >> >> >>", pages,
			"<< /Type /Filespec /F (record.json) /UF (record.json) /EF << /F 4 0 R >> >>",
			fmt.Sprintf("<< /Type /EmbeddedFile /Length %d >>\nstream\n%s\nendstream", len(rec), rec)),
		miniPDF(piece("4 0 R")[:len(piece("4 0 R"))-3]+" /Names << /EmbeddedFiles << /Names [(record.json) 3 0 R] >> >> >>", pages,
			"<< /Type /Filespec /F (record.json) /UF (record.json) /EF << /F 4 0 R >> >>",
			fmt.Sprintf("<< /Type /EmbeddedFile /Length %d >>\nstream\n%s\nendstream", len(rec), rec)),
	}
}

// FuzzReadRecord: ReadRecord on any input returns (no panic, no hang) and never more than
// MaxRecordBytes.
func FuzzReadRecord(f *testing.F) {
	for _, s := range recordSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		rec, err := ReadRecord(ctx, data)
		if err == nil && len(rec) > MaxRecordBytes {
			t.Fatalf("%d bytes", len(rec))
		}
	})
}

// TestRecordSeeds: what ReadRecord makes of each seed.
func TestRecordSeeds(t *testing.T) {
	want := []string{"ok", "ok", "error", "ok", "error"}
	for i, s := range recordSeeds() {
		rec, err := ReadRecord(context.Background(), s)
		got := "ok"
		if err != nil {
			got = "error"
		} else if string(rec) != `{"ho_ten":"Nguyễn Văn Đức"}` {
			t.Errorf("seed %d: %q", i, rec)
		}
		if got != want[i] {
			t.Errorf("seed %d: %s (%v), want %s", i, got, err, want[i])
		}
	}
}
