package sign

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// The bytes a signature does not cover (from the end of its signed revision to the end of
// the file) must be nothing but well-formed incremental updates: objects, each listed by the
// cross-reference section of its own update at its own offset, the sections themselves,
// startxref and %%EOF, white space and comments. A byte scan looks for PDF keywords in those
// bytes and every one it finds must be one of those tokens: a keyword inside a string, a
// comment or a stream is how the shadow and incremental-saving attacks hide what a viewer
// reads from what a byte-scanning verifier reads. The scan only detects; what the document
// says is read through the cross-reference chain (revision.go).

// item is one top-level token of an update.
type item struct {
	kind       byte // 'o' object, 'x' xref table, 's' startxref, 'c' comment
	start, end int64
	num        int
	obj        *parsedObject
}

var keywordRE = regexp.MustCompile(`(?:^|[\x00\t\n\f\r ()<>\[\]{}/%])(obj|xref|trailer|startxref)(?:$|[\x00\t\n\f\r ()<>\[\]{}/%])`)

// checkAppended checks data[from:] against the final revision f (nil when f could not be
// read) and the signed revision s.
func checkAppended(data []byte, from int64, s, f *revision, sig int) []Change {
	var out []Change
	add := func(detail string, obj int, off int64, more string) {
		if more != "" {
			detail += ": " + more
		}
		out = append(out, Change{Sig: sig, Object: obj, What: WhatFile, Detail: detail, Offset: off})
	}
	var items []item
	length := func(r pdfRef) (int64, bool) {
		if f == nil {
			return 0, false
		}
		n, ok := f.resolve(types.IndirectRef{ObjectNumber: types.Integer(r.Num), GenerationNumber: types.Integer(r.Gen)}).(types.Integer)
		return int64(n), ok
	}
	p := int(from)
	tokens := map[int64]bool{} // offsets of the keywords the tokens own
	bad := false
	for p < len(data) && !bad {
		// White space and comments.
		q := skipWhite(data, p)
		if q < len(data) && data[q] == '%' {
			e := q
			for e < len(data) && data[e] != '\n' && data[e] != '\r' {
				e++
			}
			items = append(items, item{kind: 'c', start: int64(q), end: int64(e)})
			p = e
			continue
		}
		p = q
		if p >= len(data) {
			break
		}
		switch {
		case data[p] >= '0' && data[p] <= '9':
			o, err := readObjectAt(data, int64(p), length)
			if err != nil {
				num, _, _ := readUint(data, p) // what the bytes seem to define
				add(detailNotUpdate, int(num), int64(p), err.Error())
				bad = true
				break
			}
			_, _, after, _ := objHeader(data, p)
			tokens[int64(after-3)] = true
			items = append(items, item{kind: 'o', start: o.Start, end: o.End, num: o.Num, obj: o})
			p = int(o.End)
		case hasKeyword(data, p, "xref"):
			sec, err := readXrefTable(data, int64(p))
			if err != nil {
				add(detailNotUpdate, 0, int64(p), err.Error())
				bad = true
				break
			}
			tokens[int64(p)] = true
			for t := p; t < int(sec.End); t++ {
				if hasKeyword(data, t, "trailer") {
					tokens[int64(t)] = true
					break
				}
			}
			items = append(items, item{kind: 'x', start: int64(p), end: sec.End})
			p = int(sec.End)
		case hasKeyword(data, p, "startxref"):
			tokens[int64(p)] = true
			_, q, ok := readUint(data, skipWhite(data, p+len("startxref")))
			if !ok {
				add(detailNotUpdate, 0, int64(p), "startxref without an offset")
				bad = true
				break
			}
			items = append(items, item{kind: 's', start: int64(p), end: int64(q)})
			p = q
		default:
			add(detailNotUpdate, 0, int64(p), "")
			bad = true
		}
	}

	// Every keyword in these bytes must be one of the tokens' own.
	region := data[from:]
	for _, m := range keywordRE.FindAllSubmatchIndex(region, -1) {
		at := from + int64(m[2])
		if !tokens[at] && !bad {
			add(detailKeyword, 0, at, fmt.Sprintf("%q", region[m[2]:m[3]]))
		}
	}
	if f == nil {
		return out
	}

	// The sections of the updates, with the byte span of the update each belongs to: from
	// the end of the previous update's %%EOF to its own %%EOF.
	type update struct {
		start, end int64
		secs       []*xrefSection
	}
	var ups []*update
	var eofs []int64
	for _, it := range items {
		if it.kind == 'c' && string(data[it.start:min(it.end, it.start+5)]) == "%%EOF" {
			eofs = append(eofs, it.end)
		}
	}
	prev := from
	for _, e := range eofs {
		ups = append(ups, &update{start: prev, end: e})
		prev = e
	}
	upOf := func(off int64) *update {
		for _, u := range ups {
			if off >= u.start && off < u.end {
				return u
			}
		}
		return nil
	}
	itemAt := map[int64]item{}
	for _, it := range items {
		itemAt[it.start] = it
	}
	for _, sec := range f.Xref.Sections {
		if sec.Start < from {
			continue
		}
		it, ok := itemAt[sec.Start]
		u := upOf(sec.Start)
		if !ok || (sec.Stream && (it.kind != 'o' || it.num != sec.Num)) || (!sec.Stream && it.kind != 'x') || u == nil {
			add(detailSection, sec.Num, sec.Start, "")
			continue
		}
		u.secs = append(u.secs, sec)
	}

	// Objects: listed by their own update's section at their offset; not twice in one
	// update; an object stream's objects listed as its own.
	for _, u := range ups {
		seen := map[int]bool{}
		for _, it := range items {
			if it.kind != 'o' || it.start < u.start || it.start >= u.end {
				continue
			}
			if seen[it.num] {
				add(detailTwice, it.num, it.start, "")
			}
			seen[it.num] = true
			listed := false
			for _, sec := range u.secs {
				if sec.Stream && sec.Num == it.num && sec.Start == it.start {
					listed = true
				}
				if e, ok := sec.Entries[it.num]; ok && e.Type == 1 && int64(skipWhite(data, int(e.Offset))) == it.start && e.Gen == it.obj.Gen {
					listed = true
				}
			}
			if !listed {
				add(detailHidden, it.num, it.start, "")
			}
			if d, ok := it.obj.Value.(pdfDict); ok && d["Type"] == pdfName("ObjStm") {
				out = append(out, checkObjStm(it, u.secs, sig)...)
			}
		}
	}

	// Entries of the later sections: an offset in the added bytes names an object token of
	// the same update; an offset in the signed part is the signed revision's own entry.
	for _, u := range ups {
		for _, sec := range u.secs {
			nums := make([]int, 0, len(sec.Entries))
			for n := range sec.Entries {
				nums = append(nums, n)
			}
			sort.Ints(nums)
			for _, n := range nums {
				e := sec.Entries[n]
				if e.Type != 1 || (n == 0 && e.Offset == 0) {
					continue
				}
				at := int64(skipWhite(data, int(min(e.Offset, int64(len(data))))))
				if e.Offset >= from {
					it, ok := itemAt[at]
					if !ok || it.kind != 'o' || it.num != n || at < u.start || at >= u.end {
						add(detailInside, n, e.Offset, "")
					}
					continue
				}
				if se, ok := s.Xref.Table[n]; !ok || se.Type != 1 || se.Offset != e.Offset || se.Gen != e.Gen {
					add(detailBack, n, e.Offset, "")
				}
			}
		}
	}
	return out
}

// checkObjStm: every object an object stream added after signing holds is listed as held
// there, at its index, by the sections of its own update; an object held but listed
// elsewhere (or twice) is hidden.
func checkObjStm(it item, secs []*xrefSection, sig int) []Change {
	d := it.obj.Value.(pdfDict)
	n, _ := d["N"].(int64)
	first, _ := d["First"].(int64)
	raw, err := decodeStream(d, it.obj.Stream, maxXrefDecoded)
	if err != nil || n < 0 || n > 1<<16 || first < 0 || first > int64(len(raw)) {
		return []Change{{Sig: sig, Object: it.num, What: WhatFile, Detail: detailNotUpdate, Offset: it.start}}
	}
	var out []Change
	l := &lexer{b: raw[:first]}
	seen := map[int]bool{}
	for k := 0; k < int(n); k++ {
		v1, err1 := l.value(0)
		v2, err2 := l.value(0)
		num, ok1 := v1.(int64)
		_, ok2 := v2.(int64)
		if err1 != nil || err2 != nil || !ok1 || !ok2 {
			out = append(out, Change{Sig: sig, Object: it.num, What: WhatFile, Detail: detailNotUpdate, Offset: it.start})
			break
		}
		if seen[int(num)] {
			out = append(out, Change{Sig: sig, Object: int(num), What: WhatFile, Detail: detailTwice, Offset: it.start})
		}
		seen[int(num)] = true
		listed := false
		for _, sec := range secs {
			if e, ok := sec.Entries[int(num)]; ok && e.Type == 2 && e.Stream == it.num && e.Index == k {
				listed = true
			}
		}
		if !listed {
			out = append(out, Change{Sig: sig, Object: int(num), What: WhatFile, Detail: detailHidden + ": in object stream " + fmt.Sprint(it.num), Offset: it.start})
		}
	}
	return out
}
