package sign

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sort"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// addDSS appends an incremental update with the Document Security Store (ISO 32000-2
// 12.8.4.3, ETSI EN 319 142-1 5.4.2): the catalog gains /DSS << /Certs [...] /CRLs [...]
// /OCSPs [...] >>, each certificate, CRL and OCSP response a stream of its DER. A DSS already present is kept and
// extended (its entries first). The update is a classic cross-reference section, as the
// signed file's own.
func addDSS(ctx context.Context, data []byte, certs []*x509.Certificate, crls, ocsps [][]byte) ([]byte, error) {
	rev, err := readRevision(ctx, data, int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("sign: the signed file cannot be read for the DSS: %v", err)
	}
	tr := rev.Xref.Trailer
	size, ok := tr["Size"].(int64)
	if !ok || size <= 0 {
		return nil, errors.New("sign: the trailer has no /Size")
	}
	cat := rev.catalog()
	if cat == nil {
		return nil, errors.New("sign: no catalog")
	}
	newCat := cat.Clone().(types.Dict)

	var buf bytes.Buffer
	buf.Write(data)
	if !bytes.HasSuffix(data, []byte("\n")) {
		buf.WriteByte('\n')
	}
	offsets := map[int]int{}
	next := int(size)
	put := func(n int, body []byte, stream bool) {
		offsets[n] = buf.Len()
		if stream {
			fmt.Fprintf(&buf, "%d 0 obj\n<< /Length %d >>\nstream\n", n, len(body))
			buf.Write(body)
			buf.WriteString("\nendstream\nendobj\n")
			return
		}
		fmt.Fprintf(&buf, "%d 0 obj\n%s\nendobj\n", n, body)
	}
	old := rev.dict(cat["DSS"])
	refs := func(key string, items [][]byte) types.Array {
		var arr types.Array
		if old != nil {
			arr = append(arr, rev.array(old[key])...)
		}
		for _, it := range items {
			n := next
			next++
			put(n, it, true)
			arr = append(arr, *types.NewIndirectRef(n, 0))
		}
		return arr
	}
	var certDER [][]byte
	seen := map[string]bool{}
	for _, c := range certs {
		if !seen[string(c.Raw)] {
			seen[string(c.Raw)] = true
			certDER = append(certDER, c.Raw)
		}
	}
	dss := types.Dict{"Type": types.Name("DSS")}
	for k, v := range old {
		dss[k] = v
	}
	dss["Certs"] = refs("Certs", certDER)
	if len(crls) > 0 || (old != nil && old["CRLs"] != nil) {
		dss["CRLs"] = refs("CRLs", crls)
	}
	if len(ocsps) > 0 || (old != nil && old["OCSPs"] != nil) {
		dss["OCSPs"] = refs("OCSPs", ocsps)
	}
	dssNum := next
	next++
	put(dssNum, []byte(dss.PDFString()), false)
	newCat["DSS"] = *types.NewIndirectRef(dssNum, 0)
	put(rev.root, []byte(newCat.PDFString()), false)

	xref := buf.Len()
	nums := make([]int, 0, len(offsets))
	for n := range offsets {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	buf.WriteString("xref\n")
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		fmt.Fprintf(&buf, "%d %d\n", nums[i], j-i+1)
		for k := i; k <= j; k++ {
			fmt.Fprintf(&buf, "%010d 00000 n \n", offsets[nums[k]])
		}
		i = j + 1
	}
	fmt.Fprintf(&buf, "trailer\n<< /Size %d /Root %d 0 R", next, rev.root)
	if r, ok := tr["Info"].(pdfRef); ok {
		fmt.Fprintf(&buf, " /Info %d %d R", r.Num, r.Gen)
	}
	if id, ok := tr["ID"].(pdfArray); ok && len(id) == 2 {
		a, okA := idBytes(id[0])
		b, okB := idBytes(id[1])
		if okA && okB {
			fmt.Fprintf(&buf, " /ID [<%X> <%X>]", a, b)
		}
	}
	fmt.Fprintf(&buf, " /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", rev.Xref.StartXref, xref)
	return buf.Bytes(), nil
}

func idBytes(v any) ([]byte, bool) {
	switch x := v.(type) {
	case pdfHex:
		return x.Data, true
	case pdfString:
		return x, true
	}
	return nil, false
}
