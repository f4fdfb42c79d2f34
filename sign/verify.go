package sign

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
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
	SubFilter string // adbe.pkcs7.detached, ETSI.CAdES.detached, ETSI.RFC3161, …
	Timestamp bool   // a document timestamp (ETSI.RFC3161)

	Name, Reason, Location, Contact string    // from the signature dictionary
	SigningTime                     time.Time // claimed by the signer (CMS signing-time or /M), or the timestamp's time
	// TimestampTime is the time of an RFC 3161 signature timestamp, verified to cover this
	// signature (zero when there is none).
	TimestampTime time.Time
	Signer        *x509.Certificate
	Certificates  []*x509.Certificate

	ByteRange       []int64
	CoversWholeFile bool // the byte range reaches the end of the file

	ByteRangeValid bool // starts at 0, leaves exactly the /Contents hole, inside the file
	DigestValid    bool // the digest of the byte ranges matches the signed digest
	SignatureValid bool // the CMS signature verifies with the signer's key

	// ModifiedAfterSigning is set when bytes follow the signed revision that are not just
	// later signatures, timestamps, validation data (DSS) or metadata. Changes says what.
	ModifiedAfterSigning bool
	Changes              []string

	Intact     bool // ByteRangeValid && DigestValid && SignatureValid && !ModifiedAfterSigning
	Trusted    bool
	TrustError string
	// Problems explains what failed (for an intact signature it may note a signature
	// timestamp that could not be checked). No personal data.
	Problems []string
}

// Errors from Verify.
var (
	ErrNoSignature       = errors.New("sign: tệp không có chữ ký số / the PDF has no signature")
	ErrTooManySignatures = errors.New("sign: tệp có quá nhiều chữ ký số / the PDF has too many signatures to check")
)

// maxSignatures bounds the work on hostile input (real files carry a handful).
const maxSignatures = 200

// maxSigSize bounds the CMS blob size looked at (the largest real ones are a few hundred KB).
const maxSigSize = 8 << 20

// Verify checks every signature in pdf. The returned error is only for input that is not a
// PDF or has no signature; everything else is in the Report. It never panics.
func Verify(data []byte, opts VerifyOptions) (rep Report, err error) {
	defer func() {
		if r := recover(); r != nil {
			rep, err = Report{}, fmt.Errorf("%w: %v", ErrNotPDF, r)
		}
	}()
	if !bytes.HasPrefix(bytes.TrimLeft(data[:min(len(data), 1024)], "\x00\t\r\n "), []byte("%PDF-")) && !bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")) {
		return Report{}, ErrNotPDF
	}
	objs := scanObjects(data)
	for _, o := range objs {
		d, ok := o.Value.(pdfDict)
		if !ok || o.InObjStm {
			continue
		}
		if _, ok := d["ByteRange"]; !ok {
			continue
		}
		if _, ok := d["Contents"]; !ok {
			continue
		}
		if len(rep.Signatures) == maxSignatures {
			return Report{}, ErrTooManySignatures
		}
		rep.Signatures = append(rep.Signatures, verifyOne(data, objs, o, d, opts))
	}
	if len(rep.Signatures) == 0 {
		return rep, ErrNoSignature
	}
	sort.SliceStable(rep.Signatures, func(i, j int) bool {
		return revEnd(rep.Signatures[i]) < revEnd(rep.Signatures[j])
	})
	rep.Intact, rep.Trusted = true, !opts.IntegrityOnly
	for _, s := range rep.Signatures {
		rep.Intact = rep.Intact && s.Intact
		rep.Trusted = rep.Trusted && s.Trusted
	}
	rep.Trusted = rep.Trusted && rep.Intact
	return rep, nil
}

func revEnd(s SignatureResult) int64 {
	if len(s.ByteRange) == 4 {
		return s.ByteRange[2] + s.ByteRange[3]
	}
	return 0
}

func verifyOne(data []byte, objs []pdfObject, o pdfObject, d pdfDict, opts VerifyOptions) (r SignatureResult) {
	defer func() {
		if p := recover(); p != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("internal error while checking: %v", p))
			r.Intact, r.Trusted = false, false
		}
	}()
	r.Object = o.Num
	r.SubFilter = nameOf(d["SubFilter"])
	r.Timestamp = r.SubFilter == "ETSI.RFC3161" || nameOf(d["Type"]) == "DocTimeStamp"
	r.Name, r.Reason = textValue(d["Name"]), textValue(d["Reason"])
	r.Location, r.Contact = textValue(d["Location"]), textValue(d["ContactInfo"])
	if m := textValue(d["M"]); m != "" {
		r.SigningTime, _ = parsePDFDate(m)
	}
	problem := func(f string, a ...any) { r.Problems = append(r.Problems, fmt.Sprintf(f, a...)) }

	// Byte range.
	br, _ := d["ByteRange"].(pdfArray)
	for _, v := range br {
		n, ok := v.(int64)
		if !ok {
			problem("byte range has a non-integer entry")
			return r
		}
		r.ByteRange = append(r.ByteRange, n)
	}
	contents, okC := d["Contents"].(pdfHex)
	size := int64(len(data))
	signed, ok := signedBytes(data, r.ByteRange)
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
		r.CoversWholeFile = r.ByteRange[2]+r.ByteRange[3] == size
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
	p7, err := pkcs7.Parse(der)
	if err != nil {
		problem("signature value (CMS) cannot be parsed: %v", err)
		return r
	}
	r.Certificates = p7.Certificates
	r.Signer = p7.GetOnlySigner()
	if r.Signer == nil && !r.Timestamp {
		problem("signer certificate is missing from the signature")
	}
	var t time.Time
	if p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeSigningTime, &t) == nil {
		r.SigningTime = t
	}
	if ok {
		switch {
		case r.Timestamp:
			ts, err := timestamp.Parse(der)
			if err != nil {
				problem("timestamp token cannot be verified: %v", err)
				break
			}
			r.SignatureValid = true
			r.SigningTime = ts.Time
			if r.Signer == nil && len(ts.Certificates) > 0 {
				r.Signer = ts.Certificates[0]
			}
			h := ts.HashAlgorithm
			if !h.Available() {
				problem("timestamp uses an unsupported digest")
				break
			}
			hh := h.New()
			hh.Write(signed)
			r.DigestValid = bytes.Equal(hh.Sum(nil), ts.HashedMessage)
			if !r.DigestValid {
				problem("digest mismatch: the signed bytes were changed")
			}
		case r.SubFilter == "adbe.pkcs7.sha1":
			if err := p7.Verify(); err != nil {
				problem("CMS signature does not verify: %v", err)
				break
			}
			r.SignatureValid = true
			sum := sha1.Sum(signed)
			r.DigestValid = bytes.Equal(p7.Content, sum[:])
			if !r.DigestValid {
				problem("digest mismatch: the signed bytes were changed")
			}
		default:
			p7.Content = signed
			err := p7.Verify()
			var mm *pkcs7.MessageDigestMismatchError
			switch {
			case err == nil:
				r.DigestValid, r.SignatureValid = true, true
			case errors.As(err, &mm):
				problem("digest mismatch: the signed bytes were changed")
			default:
				// Second opinion on the bytes as signed (see cms.go).
				cert, err2 := verifyCMSRaw(der, signed, p7.Certificates)
				switch {
				case err2 == nil:
					r.DigestValid, r.SignatureValid = true, true
					if r.Signer == nil {
						r.Signer = cert
					}
				case errors.Is(err2, errDigestMismatch):
					problem("digest mismatch: the signed bytes were changed")
				default:
					// Without signed attributes the signature covers the content itself,
					// so a changed byte shows up here.
					problem("CMS signature does not verify: %v", err)
				}
			}
		}
	}

	if !r.Timestamp {
		// An unsigned attribute: a bad timestamp does not touch the signature's integrity,
		// it only leaves the signing time unproven.
		if tt, ok, err := signatureTimestamp(der); ok && err != nil {
			problem("%v (signing time not proven)", err)
		} else if ok {
			r.TimestampTime = tt
		}
	}

	// Changes after the signed revision.
	if r.ByteRangeValid {
		r.Changes = laterChanges(data, objs, r.ByteRange[2]+r.ByteRange[3])
		r.ModifiedAfterSigning = len(r.Changes) > 0
	}
	r.Intact = r.ByteRangeValid && r.DigestValid && r.SignatureValid && !r.ModifiedAfterSigning

	// Trust.
	switch {
	case opts.IntegrityOnly:
		r.TrustError = "not checked"
	case r.Signer == nil:
		r.TrustError = "no signer certificate"
	case opts.Roots == nil:
		r.TrustError = "no trust store"
	default:
		inter := x509.NewCertPool()
		for _, c := range r.Certificates {
			inter.AddCert(c)
		}
		at := r.SigningTime
		if at.IsZero() {
			at = time.Now()
		}
		_, err := r.Signer.Verify(x509.VerifyOptions{Roots: opts.Roots, Intermediates: inter, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			r.TrustError = err.Error()
		} else {
			r.Trusted = r.Intact
		}
	}
	return r
}

func nameOf(v any) string {
	n, _ := v.(pdfName)
	return string(n)
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
