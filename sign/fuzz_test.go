package sign

import (
	"testing"
)

// FuzzParse drives the byte-range, object and trailer parsing used by Verify without
// Verify's recover(), so any panic or hang in them is found. Seeds: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte("%PDF-1.7\n1 0 obj\n<< /Type /Sig /ByteRange [0 10 20 5] /Contents <3003020100> >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"))
	f.Add([]byte("%PDF-1.4\n2 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length 3 >>\nstream\nabc\nendstream\nendobj\n"))
	f.Add([]byte("3 0 obj << /ByteRange [0 -1 99999999999 2] /Contents (x\\) ) /Name <FEFF0128> >> endobj"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs := scanObjects(data)
		for _, o := range objs {
			d, ok := o.Value.(pdfDict)
			if !ok {
				continue
			}
			br, _ := d["ByteRange"].(pdfArray)
			var nums []int64
			for _, v := range br {
				if n, ok := v.(int64); ok {
					nums = append(nums, n)
				}
			}
			if signed, ok := signedBytes(data, nums); ok && len(signed) > len(data) {
				t.Fatalf("signed bytes longer than the file")
			}
			if len(nums) == 4 && nums[2]+nums[3] >= 0 && nums[2]+nums[3] <= int64(len(data)) {
				laterChanges(data, objs, nums[2]+nums[3])
			}
			if h, ok := d["Contents"].(pdfHex); ok {
				if n, ok := berLen(h.Data, 0); ok && n < 0 {
					t.Fatalf("negative BER length")
				}
				_ = trimDER(h.Data)
			}
			_ = textValue(d["Name"])
		}
		rootBefore(data, objs, len(data))
	})
}
