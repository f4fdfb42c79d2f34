package sign

import (
	"bytes"
	"fmt"
	"math"
	"sort"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Comparing a signature's signed revision S with the final revision F (what a viewer shows),
// object by object. Each object reachable from either trailer gets roles from the paths it is
// reached by (catalog → page tree → page 3 → content, → AcroForm → field, …); each object
// whose value differs between S and F (or that exists in only one of them) is judged by its
// roles against what ISO 32000-2 12.8.2.2 (DocMDP), 12.7.5.5 (FieldMDP), 12.8.4.3 (DSS) and
// 12.8.5 (document timestamps) allow after the signature.

// role kinds (internal).
type kind uint8

const (
	kNone kind = iota
	kCatalog
	kInfo
	kEncrypt
	kPageTree
	kPage
	kContent
	kResources
	kFont
	kXObject
	kAnnots // a page's /Annots array held as its own object
	kAnnot
	kWidget    // widget of a form field other than a signature
	kSigWidget // widget of a signature field
	kFormField
	kSigField
	kSigValue // signature dictionary
	kForm     // the AcroForm dictionary
	kFormRes  // the AcroForm's default resources
	kAction
	kJavaScript
	kNames
	kAttachment
	kRecord // the record's fields in /PieceInfo
	kMetadata
	kDSS
	kOutline
	kStructure
	kPerms
	kOther
)

func (k kind) what() string {
	switch k {
	case kCatalog:
		return WhatCatalog
	case kInfo:
		return WhatInfo
	case kEncrypt:
		return WhatEncryption
	case kPageTree:
		return WhatPageTree
	case kPage, kAnnots:
		return WhatPage
	case kContent:
		return WhatContent
	case kResources:
		return WhatResources
	case kFont:
		return WhatFont
	case kXObject:
		return WhatXObject
	case kAnnot:
		return WhatAnnotation
	case kWidget, kFormField:
		return WhatFormField
	case kSigWidget, kSigField, kSigValue:
		return WhatSignature
	case kForm, kFormRes:
		return WhatForm
	case kAction:
		return WhatAction
	case kJavaScript:
		return WhatJavaScript
	case kNames:
		return WhatNames
	case kAttachment:
		return WhatAttachment
	case kRecord:
		return WhatRecord
	case kMetadata:
		return WhatMetadata
	case kDSS:
		return WhatDSS
	case kOutline:
		return WhatOutline
	case kStructure:
		return WhatStructure
	case kPerms:
		return WhatPermissions
	}
	return WhatOther
}

type role struct {
	k    kind
	page int
}

// graph is the role map of one revision.
type graph struct {
	rev      *revision
	roles    map[int][]role
	visited  map[[3]int]bool
	pages    []int          // page objects in document order
	fields   map[int]string // field object → fully qualified name
	parents  map[int][]int  // object → the objects that refer to it (0: the trailer)
	budget   int
	tooLarge bool
}

const maxVisits = 1 << 20

func newGraph(r *revision) *graph {
	g := &graph{rev: r, roles: map[int][]role{}, visited: map[[3]int]bool{}, fields: map[int]string{}, parents: map[int][]int{}, budget: maxVisits}
	t := r.Xref.Trailer
	cat := r.catalog()
	g.mark(r.root, role{kCatalog, 0})
	g.parent(r.root, 0)
	if cat != nil {
		// The page tree first, so that pages are numbered in document order.
		if p, ok := cat["Pages"]; ok {
			g.pageTree(p, r.root, 0)
		}
		keys := sortedKeys(cat)
		for _, k := range keys {
			if k == "Pages" {
				continue
			}
			g.walk(cat[k], catalogChild(k), 0, 0, "", r.root)
		}
	}
	if v, ok := t["Info"].(pdfRef); ok {
		g.walk(types.IndirectRef{ObjectNumber: types.Integer(v.Num), GenerationNumber: types.Integer(v.Gen)}, kInfo, 0, 0, "", 0)
	}
	if v, ok := t["Encrypt"].(pdfRef); ok {
		g.walk(types.IndirectRef{ObjectNumber: types.Integer(v.Num), GenerationNumber: types.Integer(v.Gen)}, kEncrypt, 0, 0, "", 0)
	}
	return g
}

// parent records that object p refers to object n.
func (g *graph) parent(n, p int) {
	ps := g.parents[n]
	for _, q := range ps {
		if q == p {
			return
		}
	}
	if len(ps) < 64 {
		g.parents[n] = append(ps, p)
	}
}

func sortedKeys(d types.Dict) []string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func catalogChild(k string) kind {
	switch k {
	case "AcroForm":
		return kForm
	case "Names":
		return kNames
	case "OpenAction", "AA":
		return kAction
	case "Outlines", "Dests":
		return kOutline
	case "Metadata":
		return kMetadata
	case "DSS":
		return kDSS
	case "AF":
		return kAttachment
	case "PieceInfo":
		return kRecord
	case "Perms":
		return kPerms
	case "StructTreeRoot":
		return kStructure
	}
	return kOther
}

// mark records a role; false when this (object, role) was seen already.
func (g *graph) mark(n int, r role) bool {
	key := [3]int{n, int(r.k), r.page}
	if g.visited[key] {
		return false
	}
	g.visited[key] = true
	g.budget--
	if g.budget < 0 {
		g.tooLarge = true
		return false
	}
	for _, e := range g.roles[n] {
		if e == r {
			return true
		}
	}
	if len(g.roles[n]) < 16 {
		g.roles[n] = append(g.roles[n], r)
	}
	return true
}

// deref marks a reference (made by object parent) and returns the referenced value (nil
// when there is nothing new to walk).
func (g *graph) deref(o types.Object, r role, parent int) (types.Object, bool) {
	if ir, ok := o.(types.IndirectRef); ok {
		n := int(ir.ObjectNumber)
		g.parent(n, parent)
		if !g.mark(n, r) {
			return nil, false
		}
		return g.rev.resolve(ir), true
	}
	return o, true
}

func (g *graph) pageTree(o types.Object, parent, depth int) {
	if depth > maxDepth {
		g.tooLarge = true
		return
	}
	n := refNum(o)
	var d types.Dict
	if n > 0 {
		g.parent(n, parent)
		d = g.rev.dict(o)
	} else {
		d = asDict(o)
	}
	if d == nil {
		if n > 0 {
			g.mark(n, role{kPageTree, 0})
		}
		return
	}
	if nameValue(d["Type"]) == "Page" || (d["Kids"] == nil && nameValue(d["Type"]) != "Pages") {
		page := len(g.pages) + 1
		if n > 0 && !g.mark(n, role{kPage, page}) {
			return // a page reached twice (a loop in the tree)
		}
		g.pages = append(g.pages, n)
		for _, k := range sortedKeys(d) {
			g.walk(d[k], pageChild(k), page, 1, k, n)
		}
		return
	}
	if n > 0 && !g.mark(n, role{kPageTree, 0}) {
		return
	}
	for _, k := range sortedKeys(d) {
		switch k {
		case "Kids":
			kids, _ := g.derefArray(d[k], role{kPageTree, 0}, n)
			for _, kid := range kids {
				g.pageTree(kid, n, depth+1)
			}
		case "Parent":
		default:
			g.walk(d[k], pageChild(k), 0, 1, k, n)
		}
	}
}

func (g *graph) derefArray(o types.Object, r role, parent int) (types.Array, bool) {
	v, ok := g.deref(o, r, parent)
	if !ok {
		return nil, false
	}
	a, _ := v.(types.Array)
	return a, true
}

func pageChild(k string) kind {
	switch k {
	case "Contents":
		return kContent
	case "Resources":
		return kResources
	case "Annots":
		return kAnnots
	case "AA":
		return kAction
	case "Metadata":
		return kMetadata
	}
	return kPage
}

func asDict(o types.Object) types.Dict {
	switch d := o.(type) {
	case types.Dict:
		return d
	case types.StreamDict:
		return d.Dict
	}
	return nil
}

func nameValue(o types.Object) string {
	n, _ := o.(types.Name)
	return string(n)
}

// walk gives role k on page to o and everything it reaches, refining the role by the keys
// it is reached through.
func (g *graph) walk(o types.Object, k kind, page, depth int, key string, parent int) {
	if depth > maxDepth {
		g.tooLarge = true
		return
	}
	if g.budget < 0 {
		return
	}
	// Links across the tree (an outline's or an action's destination, an annotation's
	// page, a signature reference's /Data) are not walked: the page tree and the catalog
	// are walked from the trailer with their own roles.
	if n := refNum(o); n > 0 {
		if t := nameValue(g.rev.dict(o)["Type"]); t == "Page" || t == "Pages" || t == "Catalog" {
			g.parent(n, parent)
			return
		}
	}
	v, ok := g.deref(o, role{k, page}, parent)
	if !ok {
		return
	}
	if n := refNum(o); n > 0 {
		parent = n
	}
	switch x := v.(type) {
	case types.Array:
		for _, e := range x {
			ek := k
			if k == kAnnots {
				ek = g.annotKind(e)
			}
			if k == kForm && key == "Fields" {
				ek = g.fieldKind(e)
				g.nameField(e, "")
			}
			if (k == kFormField || k == kSigField) && key == "Kids" {
				ek = g.fieldKind(e)
			}
			g.walk(e, ek, page, depth+1, key, parent)
		}
	case types.Dict, types.StreamDict:
		d := asDict(x)
		if k == kAction && nameValue(d["S"]) == "JavaScript" {
			k = kJavaScript
			if n := refNum(o); n > 0 {
				g.mark(n, role{k, page})
			}
		}
		for _, ck := range sortedKeys(d) {
			child := g.childKind(k, ck, d)
			if child == kNone {
				continue
			}
			g.walk(d[ck], child, page, depth+1, ck, parent)
		}
	}
}

// childKind: the role of d[key] when d has role k.
func (g *graph) childKind(k kind, key string, d types.Dict) kind {
	switch key {
	case "Parent", "P", "IRT":
		// Back links (to a field's parent, an annotation's page, the annotation replied
		// to): what they point to is walked from the trailer with its own role. Links to
		// pages and the catalog anywhere are not walked either (walk).
		return kNone
	}
	switch k {
	case kResources:
		switch key {
		case "Font":
			return kFont
		case "XObject":
			return kXObject
		}
		return kResources
	case kAnnot, kWidget, kSigWidget:
		switch key {
		case "A", "AA":
			return kAction
		case "V":
			if k == kSigWidget {
				return kSigValue
			}
		case "Kids":
			return g.fieldKind(nil)
		}
		return k
	case kFormField, kSigField:
		switch key {
		case "A", "AA":
			return kAction
		case "V":
			if k == kSigField {
				return kSigValue
			}
		case "Kids":
			return k
		}
		return k
	case kForm:
		switch key {
		case "Fields":
			return kForm
		case "DR":
			return kFormRes
		}
		return kForm
	case kNames:
		switch key {
		case "EmbeddedFiles":
			return kAttachment
		case "JavaScript":
			return kJavaScript
		}
		return kNames
	case kAction:
		return kAction
	}
	return k
}

// annotKind tells a signature widget, a form field widget and another annotation apart.
func (g *graph) annotKind(o types.Object) kind {
	d := g.rev.dict(o)
	if d == nil {
		return kAnnot
	}
	if nameValue(d["Subtype"]) != "Widget" {
		return kAnnot
	}
	if g.fieldType(d) == "Sig" {
		return kSigWidget
	}
	return kWidget
}

func (g *graph) fieldKind(o types.Object) kind {
	d := g.rev.dict(o)
	if d != nil && g.fieldType(d) == "Sig" {
		return kSigField
	}
	return kFormField
}

// fieldType is the (inheritable) /FT of a field or widget.
func (g *graph) fieldType(d types.Dict) string {
	for i := 0; d != nil && i < 32; i++ {
		if ft := nameValue(d["FT"]); ft != "" {
			return ft
		}
		d = g.rev.dict(d["Parent"])
	}
	return ""
}

// nameField records fully qualified field names (for FieldMDP).
func (g *graph) nameField(o types.Object, prefix string) {
	g.nameFieldDepth(o, prefix, 0)
}

func (g *graph) nameFieldDepth(o types.Object, prefix string, depth int) {
	if depth > maxDepth {
		return
	}
	n := refNum(o)
	d := g.rev.dict(o)
	if d == nil {
		return
	}
	name := prefix
	if t := textOf(d["T"]); t != "" {
		if name != "" {
			name += "."
		}
		name += t
	}
	if n > 0 {
		if _, seen := g.fields[n]; seen {
			return
		}
		g.fields[n] = name
	}
	for _, kid := range g.rev.array(d["Kids"]) {
		g.nameFieldDepth(kid, name, depth+1)
	}
}

// textOf decodes a PDF text string value (pdfcpu types).
func textOf(o types.Object) string { return textValue(pdfBytesValue(o)) }

// pdfBytesValue converts pdfcpu's string objects to the package's string type.
func pdfBytesValue(o types.Object) any {
	switch s := o.(type) {
	case types.StringLiteral:
		b, err := types.Unescape(s.Value())
		if err != nil {
			return nil
		}
		return pdfString(b)
	case types.HexLiteral:
		b, err := s.Bytes()
		if err != nil {
			return nil
		}
		return pdfString(b)
	}
	return nil
}

// equal compares two pdfcpu objects as a viewer would read them: strings by their bytes
// (literal or hex), numbers by value, streams by dictionary and (decrypted) raw data,
// references by number and generation.
func equal(a, b types.Object, depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case types.Dict:
		y, ok := b.(types.Dict)
		return ok && equalDict(x, y, depth)
	case types.StreamDict:
		y, ok := b.(types.StreamDict)
		return ok && bytes.Equal(x.Raw, y.Raw) && equalDict(x.Dict, y.Dict, depth)
	case types.ObjectStreamDict:
		y, ok := b.(types.ObjectStreamDict)
		return ok && bytes.Equal(x.Raw, y.Raw) && equalDict(x.Dict, y.Dict, depth)
	case types.XRefStreamDict:
		_, ok := b.(types.XRefStreamDict)
		return ok
	case types.Array:
		y, ok := b.(types.Array)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i], depth+1) {
				return false
			}
		}
		return true
	case types.StringLiteral, types.HexLiteral:
		p, q := pdfBytesValue(a), pdfBytesValue(b)
		ps, ok1 := p.(pdfString)
		qs, ok2 := q.(pdfString)
		return ok1 && ok2 && bytes.Equal(ps, qs)
	case types.Integer, types.Float:
		return number(a) == number(b) && !math.IsNaN(number(a))
	case types.IndirectRef:
		y, ok := b.(types.IndirectRef)
		return ok && x.ObjectNumber == y.ObjectNumber && x.GenerationNumber == y.GenerationNumber
	case types.Name:
		y, ok := b.(types.Name)
		return ok && x == y
	case types.Boolean:
		y, ok := b.(types.Boolean)
		return ok && x == y
	}
	return false
}

func equalDict(x, y types.Dict, depth int) bool {
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		w, ok := y[k]
		if !ok || !equal(v, w, depth+1) {
			return false
		}
	}
	return true
}

func number(o types.Object) float64 {
	switch n := o.(type) {
	case types.Integer:
		return float64(n)
	case types.Float:
		return float64(n)
	}
	return math.NaN()
}

// diffKeys lists the keys whose values differ between two dictionaries.
func diffKeys(a, b types.Dict) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || !equal(v, w, 0) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// permissions in force for one signature.
type permissions struct {
	level int // DocMDP P: 1 no changes, 2 form filling and signing, 3 also annotations
	// lockAll and locked: form fields a FieldMDP transform locks.
	lockAll bool
	locked  map[string]bool
}

func (p permissions) fieldLocked(name string) bool { return p.lockAll || p.locked[name] }

// differ compares S and F for signature sig.
type differ struct {
	s, f    *revision
	gs, gf  *graph
	sig     int
	perm    permissions
	out     []Change
	handled map[int]bool
}

func diffRevisions(s, f *revision, sig int, perm permissions) []Change {
	d := &differ{s: s, f: f, gs: newGraph(s), gf: newGraph(f), sig: sig, perm: perm, handled: map[int]bool{}}
	if d.gs.tooLarge || d.gf.tooLarge {
		return []Change{{Sig: sig, What: WhatFile, Detail: detailComplex}}
	}
	d.trailer()
	d.catalog()
	d.pageList()
	nums := map[int]bool{}
	for n := range s.Xref.Table {
		nums[n] = true
	}
	for n := range f.Xref.Table {
		nums[n] = true
	}
	sorted := make([]int, 0, len(nums))
	for n := range nums {
		sorted = append(sorted, n)
	}
	sort.Ints(sorted)
	for _, n := range sorted {
		if n == 0 || d.handled[n] {
			continue
		}
		inS, inF := s.has(n), f.has(n)
		if !inS && !inF {
			continue
		}
		so, fo := s.object(n), f.object(n)
		if inS && inF && equal(so, fo, 0) {
			continue
		}
		d.object(n, inS, inF)
	}
	sort.SliceStable(d.out, func(i, j int) bool {
		if d.out[i].Allowed != d.out[j].Allowed {
			return !d.out[i].Allowed
		}
		return d.out[i].Object < d.out[j].Object
	})
	return d.out
}

func (d *differ) add(c Change) {
	c.Sig = d.sig
	if c.Action == "" {
		c.Action = "changed"
	}
	d.out = append(d.out, c)
}

// trailer: /Encrypt, /Info and the catalog's number.
func (d *differ) trailer() {
	st, ft := d.s.Xref.Trailer, d.f.Xref.Trailer
	if !equalRef(st["Encrypt"], ft["Encrypt"]) {
		d.add(Change{What: WhatEncryption, Key: "/Encrypt", Detail: "trailer"})
	}
	if !equalRef(st["Info"], ft["Info"]) {
		d.add(Change{What: WhatInfo, Key: "/Info", Detail: "trailer", Allowed: true})
	}
}

func equalRef(a, b any) bool {
	ra, ok1 := a.(pdfRef)
	rb, ok2 := b.(pdfRef)
	if !ok1 || !ok2 {
		return (a == nil) == (b == nil) && !ok1 && !ok2
	}
	return ra == rb
}

// catalog compares the two catalogs entry by entry (the catalog may have a new number).
func (d *differ) catalog() {
	sc, fc := d.s.catalog(), d.f.catalog()
	obj := d.f.root
	d.handled[d.f.root] = true
	if d.s.root != d.f.root {
		d.handled[d.s.root] = !d.f.has(d.s.root) || equal(d.s.object(d.s.root), d.f.object(d.s.root), 0)
	}
	if sc == nil || fc == nil {
		d.add(Change{Object: obj, What: WhatCatalog, Detail: "cannot be read"})
		return
	}
	for _, k := range diffKeys(sc, fc) {
		c := Change{Object: obj, What: WhatCatalog, Key: "/" + k, Action: action(sc[k], fc[k])}
		switch k {
		case "DSS":
			c.What, c.Allowed = WhatDSS, true
		case "Metadata":
			c.What, c.Allowed = WhatMetadata, true
		case "Extensions", "Version":
			c.Allowed = true // PAdES adds its ESIC developer extension
		case "AcroForm":
			if msg, ok := d.acroForm(d.s.dict(sc[k]), d.f.dict(fc[k])); ok {
				c.What, c.Allowed = WhatSignature, true
				c.Detail = "a signature field"
			} else {
				c.What, c.Detail = WhatForm, msg
			}
			if n := refNum(fc[k]); n > 0 {
				d.handled[n] = true
			}
		case "OpenAction", "AA":
			c.What = WhatAction
			if a := d.f.dict(fc[k]); a != nil && nameValue(a["S"]) == "JavaScript" {
				c.What = WhatJavaScript
			}
		case "Names":
			d.names(obj, d.s.dict(sc[k]), d.f.dict(fc[k]))
			if n := refNum(fc[k]); n > 0 {
				d.handled[n] = true
			}
			continue
		case "Pages":
			c.Detail = "another page tree"
		case "AF":
			c.What = WhatAttachment
		case "PieceInfo":
			c.What = WhatRecord
		case "Outlines", "Dests":
			c.What = WhatOutline
		case "StructTreeRoot":
			c.What = WhatStructure
		case "Perms":
			c.What = WhatPermissions
		}
		d.add(c)
	}
}

func action(s, f types.Object) string {
	switch {
	case s == nil:
		return "added"
	case f == nil:
		return "removed"
	}
	return "changed"
}

// names compares the catalog's name dictionaries tree by tree.
func (d *differ) names(obj int, sn, fn types.Dict) {
	if sn == nil {
		sn = types.Dict{}
	}
	if fn == nil {
		fn = types.Dict{}
	}
	for _, k := range diffKeys(sn, fn) {
		c := Change{Object: obj, What: WhatNames, Key: "/Names /" + k, Action: action(sn[k], fn[k])}
		switch k {
		case "EmbeddedFiles":
			c.What = WhatAttachment
		case "JavaScript":
			c.What = WhatJavaScript
		}
		d.add(c)
	}
}

// acroForm judges a change of the AcroForm dictionary: only signature fields may be added,
// /SigFlags set, default resources added to.
func (d *differ) acroForm(sf, ff types.Dict) (string, bool) {
	if ff == nil {
		return "form removed", false
	}
	if sf == nil {
		sf = types.Dict{}
	}
	for _, k := range diffKeys(sf, ff) {
		switch k {
		case "Fields":
			added, removed := arrayDiff(d.s.array(sf[k]), d.f.array(ff[k]))
			if len(removed) > 0 {
				return "form fields removed", false
			}
			for _, a := range added {
				if !d.newSignature(a) {
					return "a form field other than a signature added", false
				}
			}
		case "SigFlags", "DA":
		case "NeedAppearances":
			if d.perm.level < 2 {
				return "/NeedAppearances changed", false
			}
		case "DR":
			// The fonts fields are drawn with when their appearances are made again must
			// stay; the rest of the default resources is not used to show the document.
			sdr, fdr := d.s.dict(sf[k]), d.f.dict(ff[k])
			if sdr != nil && (fdr == nil || !d.kept(d.s.dict(sdr["Font"]), d.f.dict(fdr["Font"]), 0)) {
				return "form default fonts changed", false
			}
		default:
			return "/" + k + " changed", false
		}
	}
	return "", true
}

// kept: every entry of a is in b unchanged (b may have more), recursively for dictionaries.
func (d *differ) kept(a, b types.Dict, depth int) bool {
	if a == nil {
		return true
	}
	if b == nil || depth > 4 {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok {
			return false
		}
		if equal(v, w, 0) {
			continue
		}
		if !d.kept(d.s.dict(v), d.f.dict(w), depth+1) {
			return false
		}
	}
	return true
}

// arrayDiff returns the elements of f not in s and of s not in f (as multisets).
func arrayDiff(s, f types.Array) (added, removed types.Array) {
	used := make([]bool, len(f))
	for _, a := range s {
		found := false
		for i, b := range f {
			if !used[i] && equal(a, b, 0) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			removed = append(removed, a)
		}
	}
	for i, b := range f {
		if !used[i] {
			added = append(added, b)
		}
	}
	return added, removed
}

// newSignature: o (in F) is a signature field or widget that S does not have, allowed by the
// permissions (document timestamps always; signatures from P=2 on), carrying no action.
func (d *differ) newSignature(o types.Object) bool {
	n := refNum(o)
	if n > 0 && d.s.has(n) && equal(d.s.object(n), d.f.object(n), 0) {
		return true // an existing, unchanged field
	}
	f := d.f.dict(o)
	if f == nil || d.gf.fieldType(f) != "Sig" {
		return false
	}
	if f["A"] != nil || f["AA"] != nil {
		return false
	}
	for _, kid := range d.f.array(f["Kids"]) {
		k := d.f.dict(kid)
		if k == nil || k["A"] != nil || k["AA"] != nil || (nameValue(k["Subtype"]) != "Widget" && d.gf.fieldType(k) != "Sig") {
			return false
		}
	}
	if d.perm.level >= 2 {
		return true
	}
	v := d.f.dict(f["V"])
	return v != nil && (nameValue(v["Type"]) == "DocTimeStamp" || nameValue(v["SubFilter"]) == "ETSI.RFC3161")
}

// pageList compares the documents' pages.
func (d *differ) pageList() {
	sp, fp := d.gs.pages, d.gf.pages
	if intsEqual(sp, fp) {
		return
	}
	obj := refNumPdf(d.f.catalog()["Pages"])
	fset := map[int]bool{}
	for _, p := range fp {
		fset[p] = true
	}
	sset := map[int]bool{}
	for _, p := range sp {
		sset[p] = true
	}
	for i, p := range sp {
		if !fset[p] {
			d.add(Change{Object: p, What: WhatPage, Page: i + 1, Action: "removed"})
			d.handled[p] = true
		}
	}
	for i, p := range fp {
		if !sset[p] {
			d.add(Change{Object: p, What: WhatPage, Page: i + 1, Action: "added"})
			d.handled[p] = true
		}
	}
	if len(sp) == len(fp) && len(d.out) == 0 {
		d.add(Change{Object: obj, What: WhatPages, Detail: "pages reordered"})
	}
}

func refNumPdf(o types.Object) int { return refNum(o) }

func intsEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// object judges one changed, added or removed object by its roles. An object that is new
// (or gone) matters through the objects that refer to it, which are judged themselves, unless
// one of them is unchanged: then the new object fills a reference the signed revision left
// empty (or the removal empties one), which changes what that object shows.
func (d *differ) object(n int, inS, inF bool) {
	act := "changed"
	switch {
	case !inS:
		act = "added"
	case !inF:
		act = "removed"
	}
	if act != "changed" {
		for _, p := range d.gf.parents[n] {
			if p == 0 || !d.s.has(p) || !d.f.has(p) || !equal(d.s.object(p), d.f.object(p), 0) {
				continue
			}
			r := role{kOther, 0}
			if rs := uniqueRoles(append(append([]role{}, d.gf.roles[n]...), d.gs.roles[n]...)); len(rs) > 0 {
				r = rs[0]
			}
			c := Change{Object: n, What: r.k.what(), Page: r.page, Action: act}
			if act == "added" {
				c.Detail = fmt.Sprintf("fills a reference of unchanged object %d", p)
			} else {
				c.Detail = fmt.Sprintf("empties a reference of unchanged object %d", p)
			}
			d.add(c)
			return
		}
		return
	}
	roles := append(append([]role{}, d.gs.roles[n]...), d.gf.roles[n]...)
	if len(roles) == 0 {
		return // reachable in neither revision: a viewer never reads it
	}
	var allowed *Change
	for _, r := range uniqueRoles(roles) {
		c, ok := d.judge(n, r, act)
		if !ok {
			d.add(c)
			return
		}
		if allowed == nil {
			cc := c
			allowed = &cc
		}
	}
	if allowed != nil {
		allowed.Allowed = true
		d.add(*allowed)
	}
}

func uniqueRoles(rs []role) []role {
	var out []role
	seen := map[role]bool{}
	for _, r := range rs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	// Pages before other roles, so that reasons say "page" when an object is one.
	sort.SliceStable(out, func(i, j int) bool { return out[i].k == kPage && out[j].k != kPage })
	return out
}

// judge one object in one role: the change to report and whether it is allowed.
func (d *differ) judge(n int, r role, act string) (Change, bool) {
	c := Change{Object: n, What: r.k.what(), Page: r.page, Action: act}
	switch r.k {
	case kDSS, kMetadata, kInfo:
		return c, true
	case kCatalog:
		return c, true // judged entry by entry in catalog()
	case kForm:
		if act != "changed" {
			return c, act == "added" // a new AcroForm object is judged through the catalog
		}
		msg, ok := d.acroForm(d.s.dict(d.s.object(n)), d.f.dict(d.f.object(n)))
		c.Detail = msg
		return c, ok
	case kFormRes:
		// The default resources dictionary itself may gain entries and change what is not
		// fonts (judged as in acroForm); what it holds may not change in place.
		dr := refNum(d.f.dict(d.f.catalog()["AcroForm"])["DR"])
		if n != dr || act != "changed" {
			return c, false
		}
		sdr, fdr := d.s.dict(d.s.object(n)), d.f.dict(d.f.object(n))
		return c, fdr != nil && d.kept(d.s.dict(sdr["Font"]), d.f.dict(fdr["Font"]), 0)
	case kPage:
		return d.page(n, r, act)
	case kAnnots:
		if act != "changed" {
			return c, false
		}
		c.What, c.Key = WhatPage, "/Annots"
		return c, d.annots(d.s.array(d.s.object(n)), d.f.array(d.f.object(n)), &c)
	case kSigValue, kSigField, kSigWidget:
		return d.signatureObject(n, r, act)
	case kFormField, kWidget:
		if d.perm.level < 2 || act != "changed" {
			return c, false
		}
		name := d.gf.fields[n]
		if d.perm.fieldLocked(name) {
			c.Detail = "locked by a signature"
			return c, false
		}
		keys := diffKeys(d.s.dict(d.s.object(n)), d.f.dict(d.f.object(n)))
		for _, k := range keys {
			if k != "V" && k != "AS" && k != "AP" {
				c.Key = "/" + k
				return c, false
			}
		}
		c.Detail = "form filled in"
		return c, true
	case kAnnot:
		return c, d.perm.level >= 3
	case kPageTree:
		if act != "changed" || !intsEqual(d.gs.pages, d.gf.pages) {
			return c, false
		}
		// Keys ISO 32000-2 does not define for page tree nodes (iText's /ITXT version
		// stamp) mean nothing to a viewer.
		for _, k := range diffKeys(d.s.dict(d.s.object(n)), d.f.dict(d.f.object(n))) {
			switch k {
			case "Type", "Parent", "Kids", "Count", "Resources", "MediaBox", "CropBox", "Rotate":
				c.Key = "/" + k
				return c, false
			}
		}
		return c, true
	}
	return c, false
}

// page judges a changed page dictionary: only signature widgets (or, with P=3, other
// annotations) may be added to /Annots.
func (d *differ) page(n int, r role, act string) (Change, bool) {
	c := Change{Object: n, What: WhatPage, Page: r.page, Action: act}
	if act != "changed" {
		return c, false // pageList reports added and removed pages
	}
	sd, fd := d.s.dict(d.s.object(n)), d.f.dict(d.f.object(n))
	if sd == nil || fd == nil {
		return c, false
	}
	for _, k := range diffKeys(sd, fd) {
		c.Key = "/" + k
		switch k {
		case "Annots":
			if !d.annots(d.s.array(sd[k]), d.f.array(fd[k]), &c) {
				return c, false
			}
		case "Resources":
			if !d.resourcesKept(sd[k], fd[k], fd) {
				return c, false
			}
		default:
			return c, false
		}
	}
	c.Key, c.Detail = "/Annots", "a signature widget"
	return c, true
}

// resourcesKept: every resource the page had is still there unchanged, and none of the
// names added is used by the page's content (which is unchanged: an added resource it does
// not name cannot change how the page looks; signers add fonts for their appearances here).
func (d *differ) resourcesKept(sv, fv types.Object, page types.Dict) bool {
	sr, fr := d.s.dict(sv), d.f.dict(fv)
	if fr == nil {
		return false
	}
	if sr == nil {
		sr = types.Dict{}
	}
	var added []string
	for _, cat := range diffKeys(sr, fr) {
		sc, fc := d.s.dict(sr[cat]), d.f.dict(fr[cat])
		if cat == "ProcSet" {
			continue
		}
		if fc == nil {
			return false
		}
		if sc == nil {
			if sr[cat] != nil {
				return false
			}
			sc = types.Dict{}
		}
		for name, v := range sc {
			if w, ok := fc[name]; !ok || !equal(v, w, 0) {
				return false
			}
		}
		for name := range fc {
			if _, ok := sc[name]; !ok {
				added = append(added, name)
			}
		}
	}
	if len(added) == 0 {
		return true
	}
	content, ok := d.pageContent(page)
	if !ok {
		return false
	}
	for _, name := range added {
		if usesName(content, name) {
			return false
		}
	}
	return true
}

// pageContent returns a page's decoded content (false when it cannot be decoded).
func (d *differ) pageContent(page types.Dict) ([]byte, bool) {
	var parts types.Array
	switch c := d.f.resolve(page["Contents"]).(type) {
	case types.StreamDict:
		parts = types.Array{page["Contents"]}
	case types.Array:
		parts = c
	case nil:
		return nil, true
	default:
		return nil, false
	}
	var out []byte
	for _, p := range parts {
		sd, ok := d.f.resolve(p).(types.StreamDict)
		if !ok {
			return nil, false
		}
		sd.Content = nil
		if err := sd.DecodeWithLimit(maxXrefDecoded); err != nil {
			return nil, false
		}
		out = append(append(out, sd.Content...), '\n')
		if len(out) > maxXrefDecoded {
			return nil, false
		}
	}
	return out, true
}

// usesName: content has the name token /name.
func usesName(content []byte, name string) bool {
	tok := []byte("/" + types.EncodeName(name))
	for i := 0; ; {
		j := bytes.Index(content[i:], tok)
		if j < 0 {
			return false
		}
		e := i + j + len(tok)
		if e == len(content) || isWhite(content[e]) || isDelim(content[e]) {
			return true
		}
		i = e
	}
}

// annots judges a change of an /Annots array.
func (d *differ) annots(sa, fa types.Array, c *Change) bool {
	added, removed := arrayDiff(sa, fa)
	if len(removed) > 0 && d.perm.level < 3 {
		c.What, c.Action, c.Key = WhatAnnotation, "removed", ""
		c.Object = refNum(removed[0])
		return false
	}
	for _, a := range added {
		if d.perm.level >= 3 {
			continue
		}
		w := d.f.dict(a)
		if w == nil || nameValue(w["Subtype"]) != "Widget" || !d.newSignature(a) {
			c.What, c.Action, c.Key = WhatAnnotation, "added", ""
			if w != nil && nameValue(w["Subtype"]) == "Widget" {
				c.What = WhatFormField
			}
			if an := refNum(a); an > 0 {
				c.Object = an
			}
			return false
		}
	}
	return true
}

// signatureObject: an existing signature may not change (except an empty signature field
// being signed); new ones follow newSignature's rules.
func (d *differ) signatureObject(n int, r role, act string) (Change, bool) {
	c := Change{Object: n, What: WhatSignature, Page: r.page, Action: act}
	switch act {
	case "added":
		if r.k == kSigValue {
			return c, true // judged with its field
		}
		return c, d.newSignature(types.IndirectRef{ObjectNumber: types.Integer(n)})
	case "removed":
		return c, false
	}
	if r.k == kSigValue {
		c.Detail = "an existing signature was replaced"
		return c, false
	}
	sd, fd := d.s.dict(d.s.object(n)), d.f.dict(d.f.object(n))
	if sd == nil || fd == nil || sd["V"] != nil {
		c.Detail = "a signed signature field was changed"
		return c, false
	}
	// An empty signature field being signed.
	for _, k := range diffKeys(sd, fd) {
		switch k {
		case "V", "AP", "AS", "F", "MK", "DA", "DR", "Lock", "SV":
		default:
			c.Key = "/" + k
			return c, false
		}
	}
	if fd["A"] != nil || fd["AA"] != nil {
		c.Key = "/A"
		return c, false
	}
	v := d.f.dict(fd["V"])
	dts := v != nil && (nameValue(v["Type"]) == "DocTimeStamp" || nameValue(v["SubFilter"]) == "ETSI.RFC3161")
	c.Detail = "an empty signature field was signed"
	return c, d.perm.level >= 2 || dts
}
