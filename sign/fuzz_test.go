package sign

import (
	"bytes"
	"context"
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
