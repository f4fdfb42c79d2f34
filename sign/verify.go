package sign

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/sohoa/sohoa/internal/l10n"
)

// VerifyOptions controls Verify.
type VerifyOptions struct {
	// Roots is the trust store. Nil means no certificate is trusted (trust is then reported
	// as not established; integrity is still checked).
	Roots *x509.CertPool
	// IntegrityOnly skips the certificate chain check.
	IntegrityOnly bool
}

// Report is the result of verifying one PDF.
type Report struct {
	Signatures []SignatureResult
	// Intact is true when the file has at least one signature and every signature is intact.
	Intact bool
	// Trusted is true when Intact and every signer's chain reaches a root in the trust store
	// (always false with IntegrityOnly).
	Trusted bool
}

// SignatureResult describes one signature (or document timestamp).
type SignatureResult struct {
	Object    int    // object number of the signature dictionary
	Field     string // the signature field's full name
	SubFilter string // adbe.pkcs7.detached, ETSI.CAdES.detached, ETSI.RFC3161, …
	Timestamp bool   // a document timestamp (ETSI.RFC3161)
	// Certification is set for a certification signature (DocMDP), with its permission
	// level P (1: no changes, 2: form filling and signing, 3: also annotations).
	Certification bool
	DocMDP        int

	// From the signature dictionary (strings of encrypted files decrypted).
	Name, Reason, Location, Contact string
	SigningTime                     time.Time // claimed by the signer (CMS signing-time or /M), or the timestamp's time
	// TimestampTime is the time of an RFC 3161 signature timestamp, verified to cover this
	// signature (zero when there is none).
	TimestampTime time.Time
	// Level is the PAdES baseline level found (ETSI EN 319 142-1) for an intact signature:
	// "B-B" (ETSI.CAdES.detached with the baseline's attributes), "B-T" (and a signature
	// timestamp that verifies), "B-LT" (and a DSS holding the chain with a CRL or OCSP
	// response for each of its certificates but the root), "adbe" for the adbe.pkcs7
	// profiles, "" otherwise (not intact, a document timestamp, or a CAdES signature that is
	// not baseline: Problems says why).
	Level        string
	Signer       *x509.Certificate
	Certificates []*x509.Certificate

	ByteRange       []int64
	CoversWholeFile bool // the byte range reaches the end of the file

	ByteRangeValid bool // starts at 0, leaves exactly the /Contents hole, inside the file, ends a revision
	DigestValid    bool // the digest of the byte ranges matches the signed digest
	SignatureValid bool // the CMS signature verifies with the signer's key
	// CannotVerify is set when the verifier could not check the signature (an unsupported
	// or ambiguous CMS structure, a signed revision that cannot be read): never intact.
	CannotVerify bool

	// ModifiedAfterSigning is set when the file as a viewer shows it differs from the signed
	// revision in a way the signature's permissions do not allow, or when the bytes after
	// the signed revision are not well-formed incremental updates. Changes says what (in
	// English), ChangeDetails the same as values (for other languages).
	ModifiedAfterSigning bool
	Changes              []string
	ChangeDetails        []Change
	// AllowedChanges lists what changed after this signature that ISO 32000-2 allows (later
	// signatures, validation data, metadata).
	AllowedChanges []Change

	Intact     bool // ByteRangeValid && DigestValid && SignatureValid && !CannotVerify && !ModifiedAfterSigning
	Trusted    bool
	TrustError string
	// Problems explains what failed (for an intact signature it may note a signature
	// timestamp that could not be checked). No personal data.
	Problems []string

	revEnd          int64
	signingTimeAttr bool // the CMS carries a signing-time attribute (not allowed in PAdES baseline)
	// timestampSigner, timestampCerts: the TSA's certificate and those its token carries
	// (B-LT's validation data covers them too).
	timestampSigner *x509.Certificate
	timestampCerts  []*x509.Certificate
	der             []byte
	signed          []byte
}

// Errors from Verify.
var (
	ErrNoSignature       = l10n.New("sign.noSignature")
	ErrTooManySignatures = l10n.New("sign.tooManySignatures")
)

// maxSignatures bounds the work on hostile input (real files carry a handful).
const maxSignatures = 200

// maxSigSize bounds the CMS blob size looked at (the largest real ones are a few hundred KB).
const maxSigSize = 8 << 20

// maxRevisionTries bounds how many earlier revisions are tried when the final one cannot be
// read.
const maxRevisionTries = 32

// Verify checks every signature in pdf. The returned error is only for input that is not a
// PDF or has no signature; everything else is in the Report. It never panics.
func Verify(data []byte, opts VerifyOptions) (rep Report, err error) {
	defer func() {
		if r := recover(); r != nil {
			rep, err = Report{}, fmt.Errorf("%w: %v", ErrNotPDF, r)
		}
	}()
	head := data[:min(len(data), 1024)]
	if !bytes.HasPrefix(bytes.TrimLeft(head, "\x00\t\r\n "), []byte("%PDF-")) && !bytes.Contains(head, []byte("%PDF-")) {
		return Report{}, ErrNotPDF
	}
	v := &verifier{data: data, opts: opts, revs: map[int64]revResult{}, c: context.Background()}
	final, ferr := v.revision(int64(len(data)))
	view := final
	if ferr != nil {
		if view = v.newestReadable(); view == nil {
			return Report{}, fmt.Errorf("%w: %s", ErrNotPDF, revisionError(ferr))
		}
	}
	fields := signatureFields(view)
	if len(fields) == 0 {
		return Report{}, ErrNoSignature
	}
	if len(fields) > maxSignatures {
		return Report{}, ErrTooManySignatures
	}
	for _, f := range fields {
		rep.Signatures = append(rep.Signatures, v.parse(view, f))
	}
	sort.SliceStable(rep.Signatures, func(i, j int) bool { return rep.Signatures[i].revEnd < rep.Signatures[j].revEnd })
	for i := range rep.Signatures {
		v.finish(&rep.Signatures[i], i+1, view, final, ferr)
	}
	rep.Intact, rep.Trusted = true, !opts.IntegrityOnly
	for _, s := range rep.Signatures {
		rep.Intact = rep.Intact && s.Intact
		rep.Trusted = rep.Trusted && s.Trusted
	}
	rep.Trusted = rep.Trusted && rep.Intact
	return rep, nil
}

type revResult struct {
	r   *revision
	err error
}

type verifier struct {
	data []byte
	opts VerifyOptions
	revs map[int64]revResult
	c    context.Context
}

func (v *verifier) revision(end int64) (*revision, error) {
	if r, ok := v.revs[end]; ok {
		return r.r, r.err
	}
	r, err := readRevision(v.c, v.data, end)
	v.revs[end] = revResult{r, err}
	return r, err
}

// newestReadable finds the newest revision (cut after a %%EOF marker) that can be read.
func (v *verifier) newestReadable() *revision {
	var ends []int64
	for i := 0; ; {
		j := bytes.Index(v.data[i:], []byte("%%EOF"))
		if j < 0 {
			break
		}
		e := i + j + len("%%EOF")
		for e < len(v.data) && (v.data[e] == '\r' || v.data[e] == '\n') {
			e++
		}
		ends = append(ends, int64(e))
		i = e
	}
	for k := len(ends) - 1; k >= 0 && k >= len(ends)-maxRevisionTries; k-- {
		if ends[k] >= int64(len(v.data)) {
			continue
		}
		if r, err := v.revision(ends[k]); err == nil {
			return r
		}
	}
	return nil
}

// sigField is a signature field with a value, as the viewer's revision lists it.
type sigField struct {
	name  string
	value types.Object // the /V entry
}

// signatureFields lists the signed signature fields of the revision's AcroForm, in field
// order (what a viewer lists as the document's signatures).
func signatureFields(r *revision) []sigField {
	cat := r.catalog()
	if cat == nil {
		return nil
	}
	form := r.dict(cat["AcroForm"])
	if form == nil {
		return nil
	}
	var out []sigField
	seen := map[int]bool{}
	visits := 0
	var walk func(o types.Object, prefix, ft string, depth int)
	walk = func(o types.Object, prefix, ft string, depth int) {
		visits++
		if depth > maxDepth || visits > 1<<16 {
			return
		}
		if n := refNum(o); n > 0 {
			if seen[-n] {
				return
			}
			seen[-n] = true
		}
		d := r.dict(o)
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
		if t := nameValue(d["FT"]); t != "" {
			ft = t
		}
		if v, ok := d["V"]; ok && ft == "Sig" && v != nil {
			n := refNum(v)
			if n == 0 || !seen[n] {
				if n > 0 {
					seen[n] = true
				}
				out = append(out, sigField{name: name, value: v})
			}
		}
		for _, kid := range r.array(d["Kids"]) {
			walk(kid, name, ft, depth+1)
		}
	}
	for _, f := range r.array(form["Fields"]) {
		walk(f, "", "", 0)
	}
	return out
}

// parse reads one signature's dictionary, checks its byte range and its CMS signature.
func (v *verifier) parse(view *revision, f sigField) (r SignatureResult) {
	defer func() {
		if p := recover(); p != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("internal error while checking: %v", p))
			r.Intact, r.Trusted, r.CannotVerify = false, false, true
		}
	}()
	problem := func(format string, a ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, a...)) }
	r.Field = f.name
	r.Object = refNum(f.value)
	sd := view.dict(f.value)
	if sd == nil {
		r.CannotVerify = true
		problem("the signature value is not a dictionary")
		return r
	}
	r.SubFilter = nameValue(sd["SubFilter"])
	r.Timestamp = r.SubFilter == "ETSI.RFC3161" || nameValue(sd["Type"]) == "DocTimeStamp"
	r.Name, r.Reason = textOf(sd["Name"]), textOf(sd["Reason"])
	r.Location, r.Contact = textOf(sd["Location"]), textOf(sd["ContactInfo"])
	if m := textOf(sd["M"]); m != "" {
		r.SigningTime, _ = parsePDFDate(m)
	}
	if p, ok := docMDP(view, sd); ok {
		r.Certification, r.DocMDP = true, p
	}

	// The dictionary as written in the file, for the position of /Contents: it must be an
	// indirect object of its own (not inside an object stream).
	e, ok := view.Xref.Table[r.Object]
	if r.Object == 0 || !ok || e.Type != 1 {
		r.CannotVerify = true
		problem("the signature dictionary is not an indirect object stored in the file itself: its /Contents cannot be located")
		return r
	}
	po, err := readObjectAt(v.data, e.Offset, nil)
	if err != nil {
		r.CannotVerify = true
		problem("the signature dictionary cannot be read: %v", err)
		return r
	}
	d, _ := po.Value.(pdfDict)
	br, _ := d["ByteRange"].(pdfArray)
	for _, x := range br {
		n, ok := x.(int64)
		if !ok {
			problem("byte range has a non-integer entry")
			r.ByteRange = nil
			return r
		}
		r.ByteRange = append(r.ByteRange, n)
	}
	contents, okC := d["Contents"].(pdfHex)
	// pdfcpu's reading of the same dictionary must agree (two readers, one answer).
	if !sameIntArray(sd["ByteRange"], r.ByteRange) || (okC && !sameBytes(sd["Contents"], contents.Data)) {
		r.CannotVerify = true
		problem("the signature dictionary reads differently depending on the reader")
		return r
	}
	size := int64(len(v.data))
	signed, ok := signedBytes(v.data, r.ByteRange)
	switch {
	case !ok:
		problem("byte range is malformed or outside the file (%d numbers)", len(r.ByteRange))
	case len(r.ByteRange) != 4:
		problem("byte range has %d numbers, want 4", len(r.ByteRange))
	case r.ByteRange[0] != 0:
		problem("byte range does not start at the beginning of the file")
	case !okC:
		problem("/Contents is not a hex string")
	case int64(contents.Start) != r.ByteRange[1] || int64(contents.End) != r.ByteRange[2]:
		problem("byte range gap [%d, %d) is not the /Contents string [%d, %d)", r.ByteRange[1], r.ByteRange[2], contents.Start, contents.End)
	default:
		r.ByteRangeValid = true
		r.revEnd = r.ByteRange[2] + r.ByteRange[3]
		r.CoversWholeFile = r.revEnd == size
	}
	if len(r.ByteRange) == 4 && r.revEnd == 0 {
		r.revEnd = r.ByteRange[2] + r.ByteRange[3]
	}
	if !okC || len(contents.Data) == 0 {
		problem("signature value (/Contents) is empty")
		return r
	}
	if len(contents.Data) > maxSigSize {
		problem("signature value is too large")
		return r
	}
	der := trimDER(contents.Data)
	r.der, r.signed = der, signed
	if !ok {
		return r
	}
	v.checkCMS(&r, der, signed)
	return r
}

func sameIntArray(o types.Object, want []int64) bool {
	a, ok := o.(types.Array)
	if !ok || len(a) != len(want) {
		return false
	}
	for i, e := range a {
		n, ok := e.(types.Integer)
		if !ok || int64(n) != want[i] {
			return false
		}
	}
	return true
}

func sameBytes(o types.Object, want []byte) bool {
	s, ok := pdfBytesValue(o).(pdfString)
	return ok && bytes.Equal(s, want)
}

// checkCMS verifies the signature value by its SubFilter.
func (v *verifier) checkCMS(r *SignatureResult, der, signed []byte) {
	problem := func(format string, a ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, a...)) }
	report := func(err error) {
		switch {
		case err == nil:
			r.DigestValid, r.SignatureValid = true, true
		case errors.Is(err, errDigestMismatch):
			problem("digest mismatch: the signed bytes were changed")
		case errors.Is(err, errBadSignature):
			r.DigestValid = true
			problem("CMS signature does not verify: %v", err)
		default:
			r.CannotVerify = true
			problem("%v", err)
		}
	}
	if r.Timestamp {
		tt, err := verifyTimestamp(der, signed)
		r.Signer, r.Certificates = tt.Signer, tt.Certs
		if err == nil {
			r.SigningTime = tt.Time
		}
		report(err)
		return
	}
	var prof cmsProfile
	switch r.SubFilter {
	case "adbe.pkcs7.detached":
		prof = profAdbeDetached
	case "ETSI.CAdES.detached":
		prof = profCAdES
	case "adbe.pkcs7.sha1":
		prof = profAdbeSHA1
	default:
		r.CannotVerify = true
		problem("SubFilter %q is not supported", r.SubFilter)
		return
	}
	res, err := verifyCMS(der, signed, prof)
	if res != nil {
		r.Signer, r.Certificates = res.Signer, res.Certificates
		if !res.SigningTime.IsZero() {
			r.SigningTime = res.SigningTime
			r.signingTimeAttr = true
		}
	}
	report(err)
	if err != nil || res == nil {
		return
	}
	// An unsigned attribute: a bad timestamp does not touch the signature's integrity, it
	// only leaves the signing time unproven.
	if tt, ok, err := signatureTimestamp(res); ok && err != nil {
		problem("%v (signing time not proven)", err)
	} else if ok {
		r.TimestampTime = tt.Time
		r.timestampSigner, r.timestampCerts = tt.Signer, tt.Certs
	}
}

// finish compares the signature's revision with the file as shown, then checks trust.
func (v *verifier) finish(r *SignatureResult, idx int, view, final *revision, ferr error) {
	defer func() {
		if p := recover(); p != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("internal error while checking: %v", p))
			r.Intact, r.Trusted, r.CannotVerify = false, false, true
		}
	}()
	revOK := false
	if r.ByteRangeValid {
		s, err := v.revision(r.revEnd)
		switch {
		case err != nil:
			r.CannotVerify = true
			r.Problems = append(r.Problems, fmt.Sprintf("the signed revision (bytes 0–%d) cannot be read through its cross-reference chain: %s", r.revEnd, revisionError(err)))
		case !sameEntry(s, view, r.Object):
			r.Problems = append(r.Problems, "the signature dictionary is not part of the revision it signs")
		default:
			revOK = true
			if !r.CoversWholeFile {
				perm := permissionsAt(s)
				var all []Change
				if ferr != nil {
					c := Change{Sig: idx, What: WhatFile, Detail: detailUnreadable + ": " + revisionError(ferr), Offset: int64(len(v.data))}
					var xe *xrefError
					if errors.As(ferr, &xe) && xe.Object > 0 {
						c.Object, c.Offset = xe.Object, xe.Offset
					}
					all = append(all, c)
					all = append(all, checkAppended(v.data, r.revEnd, s, nil, idx)...)
				} else {
					all = append(all, checkAppended(v.data, r.revEnd, s, final, idx)...)
					all = append(all, diffRevisions(s, final, idx, perm)...)
				}
				describeStructural(s, all)
				for _, c := range all {
					if c.Allowed {
						r.AllowedChanges = append(r.AllowedChanges, c)
					} else {
						r.ChangeDetails = append(r.ChangeDetails, c)
						r.Changes = append(r.Changes, c.String())
					}
				}
				r.ModifiedAfterSigning = len(r.ChangeDetails) > 0
			} else if ferr != nil {
				r.CannotVerify = true
			}
		}
	}
	r.Intact = r.ByteRangeValid && revOK && r.DigestValid && r.SignatureValid && !r.CannotVerify && !r.ModifiedAfterSigning

	// Trust.
	var trusted []*x509.Certificate
	switch {
	case v.opts.IntegrityOnly:
		r.TrustError = "not checked"
	case r.Signer == nil:
		r.TrustError = "no signer certificate"
	case v.opts.Roots == nil:
		r.TrustError = "no trust store"
	default:
		inter := x509.NewCertPool()
		for _, c := range r.Certificates {
			inter.AddCert(c)
		}
		at := r.SigningTime
		if !r.TimestampTime.IsZero() {
			at = r.TimestampTime
		}
		if at.IsZero() {
			at = time.Now()
		}
		for _, c := range dssCertificates(view) {
			inter.AddCert(c)
		}
		chains, err := r.Signer.Verify(x509.VerifyOptions{Roots: v.opts.Roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			r.TrustError = err.Error()
		} else {
			r.Trusted = r.Intact
			trusted = chains[0]
		}
	}
	r.Level = signatureLevel(r, view, trusted)
	r.der, r.signed = nil, nil
}

// describeStructural says what the objects structural anomalies name are in the signed
// revision (page 1, page 1 content, …).
func describeStructural(s *revision, cs []Change) {
	var g *graph
	for i := range cs {
		c := &cs[i]
		if c.What != WhatFile || c.Object <= 0 {
			continue
		}
		if g == nil {
			g = newGraph(s)
		}
		if rs := uniqueRoles(g.roles[c.Object]); len(rs) > 0 {
			c.Role, c.Page = rs[0].k.what(), rs[0].page
		}
	}
}

// revisionError describes why a revision cannot be read. The strict reader's and the
// repair check's messages name only numbers; pdfcpu's may quote the file's content (which
// may be personal data), so they are not repeated.
func revisionError(err error) string {
	var xe *xrefError
	if errors.As(err, &xe) || errors.Is(err, errRepaired) {
		return err.Error()
	}
	return "pdfcpu cannot read it"
}

// sameEntry: object n has the same cross-reference entry in both revisions.
func sameEntry(a, b *revision, n int) bool {
	ea, ok1 := a.Xref.Table[n]
	eb, ok2 := b.Xref.Table[n]
	return ok1 && ok2 && ea == eb && ea.Type == 1
}

// docMDP: sd is the certification signature of the revision (the catalog's /Perms /DocMDP
// names it) and P its permission level.
func docMDP(r *revision, sd types.Dict) (int, bool) {
	for _, ref := range r.array(sd["Reference"]) {
		sr := r.dict(ref)
		if nameValue(sr["TransformMethod"]) != "DocMDP" {
			continue
		}
		p := 2
		if tp := r.dict(sr["TransformParams"]); tp != nil {
			if n, ok := tp["P"].(types.Integer); ok && n >= 1 && n <= 3 {
				p = int(n)
			}
		}
		return p, true
	}
	return 0, false
}

// permissionsAt: what the certification signature (DocMDP) and the FieldMDP locks of the
// signatures in revision s allow afterwards. Without a certification signature the level is
// 2 (ISO 32000-2's default for P): form filling and signing, not annotations.
func permissionsAt(s *revision) permissions {
	p := permissions{level: 2, locked: map[string]bool{}}
	cat := s.catalog()
	if cat != nil {
		if perms := s.dict(cat["Perms"]); perms != nil {
			if sd := s.dict(perms["DocMDP"]); sd != nil {
				if lv, ok := docMDP(s, sd); ok {
					p.level = lv
				}
			}
		}
	}
	for _, f := range signatureFields(s) {
		sd := s.dict(f.value)
		if sd == nil {
			continue
		}
		locks := []types.Dict{}
		for _, ref := range s.array(sd["Reference"]) {
			if sr := s.dict(ref); sr != nil && nameValue(sr["TransformMethod"]) == "FieldMDP" {
				locks = append(locks, s.dict(sr["TransformParams"]))
			}
		}
		// pdfsign (pinned version) writes the FieldMDP transform into the signature
		// dictionary itself.
		if nameValue(sd["TransformMethod"]) == "FieldMDP" {
			locks = append(locks, s.dict(sd["TransformParams"]))
		}
		for _, l := range locks {
			if l == nil {
				continue
			}
			switch nameValue(l["Action"]) {
			case "All":
				p.lockAll = true
			case "Include":
				for _, n := range s.array(l["Fields"]) {
					p.locked[textOf(n)] = true
				}
			case "Exclude":
				p.lockAll = true // conservative: every field but the listed ones, taken as all
			}
		}
	}
	return p
}

// signedBytes concatenates the byte ranges; ok is false for odd lengths, negative numbers,
// ranges outside the file, or ranges that overlap or go backwards.
func signedBytes(data []byte, br []int64) ([]byte, bool) {
	size := int64(len(data))
	if len(br) < 2 || len(br)%2 != 0 {
		return nil, false
	}
	total := int64(0)
	prevEnd := int64(0)
	for i := 0; i < len(br); i += 2 {
		off, n := br[i], br[i+1]
		if off < 0 || n < 0 || off > size || n > size-off || (i > 0 && off < prevEnd) {
			return nil, false
		}
		prevEnd = off + n
		total += n
	}
	out := make([]byte, 0, total)
	for i := 0; i < len(br); i += 2 {
		out = append(out, data[br[i]:br[i]+br[i+1]]...)
	}
	return out, true
}

// trimDER cuts the zero padding after the CMS structure (DER or BER with indefinite
// lengths, whose end-of-contents octets are zeros too).
func trimDER(b []byte) []byte {
	if n, ok := berLen(b, 0); ok && n <= len(b) {
		return b[:n]
	}
	return bytes.TrimRight(b, "\x00")
}

// berLen returns the encoded length of the BER element at the start of b.
func berLen(b []byte, depth int) (int, bool) {
	if depth > 64 || len(b) < 2 {
		return 0, false
	}
	i := 1
	if b[0]&0x1F == 0x1F { // high tag number
		for i < len(b) && b[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if i >= len(b) {
		return 0, false
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		return i + int(l), true
	case l == 0x80: // indefinite: elements until 00 00
		if b[0]&0x20 == 0 {
			return 0, false
		}
		for {
			if i+1 >= len(b) {
				return 0, false
			}
			if b[i] == 0 && b[i+1] == 0 {
				return i + 2, true
			}
			n, ok := berLen(b[i:], depth+1)
			if !ok {
				return 0, false
			}
			i += n
		}
	default:
		k := int(l & 0x7F)
		if k > 4 || i+k > len(b) {
			return 0, false
		}
		n := 0
		for j := 0; j < k; j++ {
			n = n<<8 | int(b[i+j])
		}
		if n < 0 || i+k+n < i {
			return 0, false
		}
		return i + k + n, true
	}
}

func parsePDFDate(s string) (time.Time, error) {
	s = strings.TrimPrefix(s, "D:")
	s = strings.ReplaceAll(s, "'", "")
	for _, layout := range []string{"20060102150405-0700", "20060102150405Z0700", "20060102150405Z", "20060102150405", "200601021504", "20060102"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad PDF date")
}
