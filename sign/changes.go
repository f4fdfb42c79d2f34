package sign

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
)

// laterChanges compares the objects written after the signed revision (file offsets at or
// after end) with the signed revision and lists the changes that are not allowed after a
// signature. Allowed: new signature fields and values, document timestamps, validation data
// (DSS/VRI), XMP metadata and the document information dictionary, and the catalog, AcroForm
// and page /Annots updates needed to hook a new signature in. Anything else — changed page
// content, annotations, form values, or bytes that are not a complete incremental update —
// is a modification.
func laterChanges(data []byte, objs []pdfObject, end int64) []string {
	if end >= int64(len(data)) {
		return nil
	}
	tail := bytes.TrimRight(data[end:], " \t\r\n\x00")
	if len(tail) == 0 {
		return nil
	}
	var changes []string
	if !bytes.HasSuffix(tail, []byte("%%EOF")) {
		changes = append(changes, "bytes appended after the last update")
	}
	old := map[int]pdfObject{}
	final := map[int]pdfObject{}
	var later []pdfObject
	for _, o := range objs {
		if int64(o.Offset) < end && int64(o.End) <= end {
			old[o.Num] = o
		} else {
			later = append(later, o)
		}
		final[o.Num] = o
	}
	if len(later) == 0 && len(changes) == 0 && !bytes.Contains(data[end:], []byte("xref")) && !bytes.Contains(data[end:], []byte("startxref")) {
		changes = append(changes, "bytes appended after the signed revision")
	}
	oldRoot, _ := rootBefore(data, objs, int(end))
	newRoot, _ := rootBefore(data, objs, len(data))
	c := &changeCtx{final: final}

	// The catalog may have been rewritten under a new object number.
	if newRoot.Num != 0 && newRoot != oldRoot {
		oc, ok1 := old[oldRoot.Num]
		nc, ok2 := final[newRoot.Num]
		od, _ := oc.Value.(pdfDict)
		nd, _ := nc.Value.(pdfDict)
		if !ok1 || !ok2 || od == nil || nd == nil {
			changes = append(changes, "document catalog replaced")
		} else if msg := c.catalog(od, nd); msg != "" {
			changes = append(changes, msg)
		}
	}
	done := map[int]bool{}
	for i := len(later) - 1; i >= 0; i-- { // latest definition of each object wins
		o := later[i]
		if done[o.Num] {
			continue
		}
		done[o.Num] = true
		nd, _ := o.Value.(pdfDict)
		if t := nameOf(nd["Type"]); t == "XRef" || t == "ObjStm" {
			continue
		}
		prev, existed := old[o.Num]
		if !existed {
			continue // a new object matters only through a changed object that uses it
		}
		if sameObject(prev, o) {
			continue
		}
		if msg := c.classify(o.Num, prev, o, o.Num == newRoot.Num); msg != "" {
			changes = append(changes, msg)
		}
	}
	sort.Strings(changes)
	return changes
}

type changeCtx struct {
	final map[int]pdfObject
}

func (c *changeCtx) resolve(v any) any {
	if r, ok := v.(pdfRef); ok {
		if o, ok := c.final[r.Num]; ok {
			return o.Value
		}
		return nil
	}
	return v
}

func (c *changeCtx) classify(num int, prev, cur pdfObject, isRoot bool) string {
	od, ok1 := prev.Value.(pdfDict)
	nd, ok2 := cur.Value.(pdfDict)
	if oa, ok := prev.Value.(pdfArray); ok {
		if na, ok := cur.Value.(pdfArray); ok && c.onlyAddsSignatures(oa, na) {
			return ""
		}
		return fmt.Sprintf("object %d (array) changed", num)
	}
	if !ok1 || !ok2 {
		return fmt.Sprintf("object %d changed", num)
	}
	streamChanged := !bytes.Equal(prev.Stream, cur.Stream)
	diff := diffKeys(od, nd)
	switch {
	case isRoot || nameOf(od["Type"]) == "Catalog":
		return c.catalog(od, nd)
	case hasKey(od, "ByteRange"):
		return fmt.Sprintf("object %d: an existing signature was replaced", num)
	case nameOf(od["FT"]) == "Sig":
		if od["V"] == nil && !streamChanged && subset(diff, "V", "AP", "F", "P", "MK", "DA", "Lock", "SV", "DR") {
			return ""
		}
		return fmt.Sprintf("object %d: a signature field was changed", num)
	case nameOf(od["Type"]) == "Page":
		if !streamChanged && subset(diff, "Annots", "Resources", "ITXT") {
			oa, _ := c.resolve(od["Annots"]).(pdfArray)
			na, _ := c.resolve(nd["Annots"]).(pdfArray)
			if c.onlyAddsSignatures(oa, na) && c.resourcesKept(od["Resources"], nd["Resources"]) {
				return ""
			}
		}
		return fmt.Sprintf("object %d: page changed (content or annotations)", num)
	case nameOf(od["Type"]) == "Pages" && subset(diff, "ITXT"):
		return "" // iText's version stamp
	case hasKey(od, "Fields") && od["Type"] == nil:
		if msg := c.acroForm(od, nd); msg != "" {
			return fmt.Sprintf("object %d: %s", num, msg)
		}
		return ""
	case nameOf(od["Type"]) == "DSS" || nameOf(od["Type"]) == "VRI" || hasKey(od, "VRI") || hasKey(od, "OCSPs") || hasKey(od, "CRLs"):
		return ""
	case nameOf(od["Type"]) == "Metadata" && nameOf(nd["Type"]) == "Metadata":
		return ""
	case isInfoDict(od) && isInfoDict(nd):
		return ""
	}
	kind := nameOf(od["Type"])
	if kind == "" {
		kind = nameOf(od["Subtype"])
	}
	if kind == "" && nameOf(od["FT"]) != "" {
		kind = "form field"
	}
	if kind == "" {
		kind = "dictionary"
	}
	return fmt.Sprintf("object %d (%s) changed", num, kind)
}

// resourcesKept: every resource the page had is still there, unchanged (the content stream
// is unchanged, so resources it did not use cannot alter the page; signers add fonts for
// their appearance streams here).
func (c *changeCtx) resourcesKept(ov, nv any) bool {
	if equalValue(ov, nv) {
		return true
	}
	or, _ := c.resolve(ov).(pdfDict)
	nr, _ := c.resolve(nv).(pdfDict)
	if or == nil || nr == nil {
		return or == nil && nr != nil
	}
	for k, v := range or {
		if k == "ProcSet" {
			continue
		}
		oc, ok1 := c.resolve(v).(pdfDict)
		nc, ok2 := c.resolve(nr[k]).(pdfDict)
		if !ok1 || !ok2 {
			if !equalValue(v, nr[k]) {
				return false
			}
			continue
		}
		for name, e := range oc {
			if !equalValue(e, nc[name]) {
				return false
			}
		}
	}
	return true
}

func (c *changeCtx) catalog(od, nd pdfDict) string {
	diff := diffKeys(od, nd)
	for _, k := range diff {
		switch k {
		case "DSS", "Extensions", "Version", "Metadata":
		case "AcroForm":
			of, _ := c.resolve(od["AcroForm"]).(pdfDict)
			nf, _ := c.resolve(nd["AcroForm"]).(pdfDict)
			if nf == nil {
				return "catalog: form removed"
			}
			if of == nil {
				of = pdfDict{}
			}
			if msg := c.acroForm(of, nf); msg != "" {
				return "catalog: " + msg
			}
		default:
			return "catalog entry /" + string(k) + " changed"
		}
	}
	return ""
}

func (c *changeCtx) acroForm(of, nf pdfDict) string {
	if !subset(diffKeys(of, nf), "Fields", "SigFlags", "DR", "DA", "NeedAppearances") {
		return "form settings changed"
	}
	oa, _ := c.resolve(of["Fields"]).(pdfArray)
	na, _ := c.resolve(nf["Fields"]).(pdfArray)
	if !c.onlyAddsSignatures(oa, na) {
		return "form fields other than signatures were added or removed"
	}
	return ""
}

// onlyAddsSignatures: na keeps every element of oa, and each added element is a signature
// field or a widget of one.
func (c *changeCtx) onlyAddsSignatures(oa, na pdfArray) bool {
	left := make([]bool, len(na))
	for _, ov := range oa {
		found := false
		for i, nv := range na {
			if !left[i] && equalValue(ov, nv) {
				left[i], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	for i, nv := range na {
		if left[i] {
			continue
		}
		d, _ := c.resolve(nv).(pdfDict)
		if !c.isSigField(d) {
			return false
		}
	}
	return true
}

func (c *changeCtx) isSigField(d pdfDict) bool {
	if d == nil {
		return false
	}
	if nameOf(d["FT"]) == "Sig" {
		return true
	}
	if nameOf(d["Subtype"]) == "Widget" {
		p, _ := c.resolve(d["Parent"]).(pdfDict)
		return p != nil && nameOf(p["FT"]) == "Sig"
	}
	return false
}

func isInfoDict(d pdfDict) bool {
	if len(d) == 0 {
		return false
	}
	for k := range d {
		switch k {
		case "Title", "Author", "Subject", "Keywords", "Creator", "Producer", "CreationDate", "ModDate", "Trapped":
		default:
			return false
		}
	}
	return true
}

func hasKey(d pdfDict, k pdfName) bool { _, ok := d[k]; return ok }

func diffKeys(a, b pdfDict) []pdfName {
	var out []pdfName
	for k, v := range a {
		if w, ok := b[k]; !ok || !equalValue(v, w) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

func subset(keys []pdfName, allowed ...string) bool {
	for _, k := range keys {
		ok := false
		for _, a := range allowed {
			if string(k) == a {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func sameObject(a, b pdfObject) bool {
	return equalValue(a.Value, b.Value) && bytes.Equal(a.Stream, b.Stream)
}

func equalValue(a, b any) bool { return reflect.DeepEqual(normalize(a), normalize(b)) }

// normalize drops file offsets from hex strings and merges string forms.
func normalize(v any) any {
	switch x := v.(type) {
	case pdfHex:
		return string(x.Data)
	case pdfString:
		return string(x)
	case pdfDict:
		m := make(map[pdfName]any, len(x))
		for k, e := range x {
			m[k] = normalize(e)
		}
		return m
	case pdfArray:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = normalize(e)
		}
		return a
	case int64:
		return float64(x)
	}
	return v
}

// rootBefore returns the /Root of the last trailer (classic or xref stream) that starts
// before limit.
func rootBefore(data []byte, objs []pdfObject, limit int) (pdfRef, bool) {
	best, bestAt := pdfRef{}, -1
	for _, o := range objs {
		if o.Offset >= limit || o.InObjStm {
			continue
		}
		if d, ok := o.Value.(pdfDict); ok && nameOf(d["Type"]) == "XRef" {
			if r, ok := d["Root"].(pdfRef); ok && o.Offset > bestAt {
				best, bestAt = r, o.Offset
			}
		}
	}
	search := data[:limit]
	for {
		i := bytes.LastIndex(search, []byte("trailer"))
		if i < 0 {
			break
		}
		l := &lexer{b: data[:limit], pos: i + len("trailer")}
		if v, err := l.value(0); err == nil {
			if d, ok := v.(pdfDict); ok {
				if r, ok := d["Root"].(pdfRef); ok {
					if i > bestAt {
						best, bestAt = r, i
					}
					break
				}
			}
		}
		search = search[:i]
	}
	return best, bestAt >= 0
}
