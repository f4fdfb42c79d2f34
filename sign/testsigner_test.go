package sign

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// A second PDF signer written for the tests: it appends a signature as an incremental
// update the way ISO 32000-2 12.8 describes, with a CMS SignedData built here field by field
// so that each strictness rule can be broken on purpose, and it writes the new objects'
// strings encrypted when the PDF is (AES-256, as qpdf --encrypt … 256 makes it), which
// pdfsign cannot do.

type testSig struct {
	SubFilter string // default adbe.pkcs7.detached
	Name      string
	Reason    string

	NoSignedAttrs    bool
	NoContentType    bool
	NoSigningCertV2  bool
	WrongCertHash    bool
	WrongDigest      bool                  // the message-digest attribute is not the content's
	SigAlg           asn1.ObjectIdentifier // override of the signature algorithm identifier
	DigestAlg        asn1.ObjectIdentifier // override of the digest algorithm identifier
	EncapsulateEmpty bool                  // add an empty eContent
	// Token, when set, is written as /Contents instead of a SignedData (for document
	// timestamps: it is called with the bytes to timestamp).
	Token func(signed []byte) []byte
}

var (
	oidECDSASHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidRSASHA256   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
)

func derTLV(tag byte, parts ...[]byte) []byte {
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	return append(append([]byte{tag}, lengthBytes(len(body))...), body...)
}

func mustDER(t testing.TB, v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// buildCMS makes a detached CMS SignedData over content.
func buildCMS(t testing.TB, content []byte, key crypto.Signer, chain []*x509.Certificate, o testSig) []byte {
	cert := chain[0]
	digestAlg := oidSHA256
	if o.DigestAlg != nil {
		digestAlg = o.DigestAlg
	}
	algID := derTLV(0x30, mustDER(t, digestAlg), []byte{0x05, 0x00})
	sum := sha256.Sum256(content)
	md := sum[:]
	if o.WrongDigest {
		md = bytes.Repeat([]byte{0x42}, 32)
	}
	var attrs [][]byte
	attr := func(oid asn1.ObjectIdentifier, value []byte) {
		attrs = append(attrs, derTLV(0x30, mustDER(t, oid), derTLV(0x31, value)))
	}
	if !o.NoContentType {
		attr(oidContentType, mustDER(t, oidData))
	}
	attr(oidSigningTime, mustDER(t, time.Now().UTC().Truncate(time.Second)))
	attr(oidMessageDigest, mustDER(t, md))
	if !o.NoSigningCertV2 {
		h := sha256.Sum256(cert.Raw)
		if o.WrongCertHash {
			h = sha256.Sum256(chain[len(chain)-1].Raw)
		}
		attr(oidSigningCertV2, derTLV(0x30, derTLV(0x30, derTLV(0x30, mustDER(t, h[:])))))
	}
	// DER orders a SET OF by the encodings.
	sort.Slice(attrs, func(i, j int) bool { return bytes.Compare(attrs[i], attrs[j]) < 0 })
	signedAttrs := derTLV(0x31, attrs...)
	toSign := signedAttrs
	if o.NoSignedAttrs {
		toSign = content
	}
	digest := sha256.Sum256(toSign)
	var sigAlg asn1.ObjectIdentifier
	var sig []byte
	var err error
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		sigAlg = oidECDSASHA256
		sig, err = ecdsa.SignASN1(rand.Reader, k, digest[:])
	case *rsa.PrivateKey:
		sigAlg = oidRSASHA256
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
	default:
		sig, err = key.Sign(rand.Reader, digest[:], crypto.SHA256)
	}
	if err != nil {
		t.Fatal(err)
	}
	if o.SigAlg != nil {
		sigAlg = o.SigAlg
	}
	sid := derTLV(0x30, cert.RawIssuer, mustDER(t, cert.SerialNumber))
	si := [][]byte{mustDER(t, 1), sid, algID}
	if !o.NoSignedAttrs {
		implicit := bytes.Clone(signedAttrs)
		implicit[0] = 0xA0
		si = append(si, implicit)
	}
	si = append(si, derTLV(0x30, mustDER(t, sigAlg)), mustDER(t, sig))
	var certs []byte
	for _, c := range chain {
		certs = append(certs, c.Raw...)
	}
	encap := derTLV(0x30, mustDER(t, oidData))
	if o.EncapsulateEmpty {
		encap = derTLV(0x30, mustDER(t, oidData), derTLV(0xA0, derTLV(0x04)))
	}
	sd := derTLV(0x30, mustDER(t, 1), derTLV(0x31, algID), encap, derTLV(0xA0, certs), derTLV(0x31, derTLV(0x30, si...)))
	return derTLV(0x30, mustDER(t, oidSignedData), derTLV(0xA0, sd))
}

// pdfWithKey is what testSignPDF needs of the input PDF.
type pdfWithKey struct {
	ctx       *model.Context
	size      int
	root      int
	catalog   types.Dict
	page1     int
	startxref int64
	key       []byte // AES-256 file key, nil when not encrypted
}

func readForSigning(t testing.TB, in []byte) *pdfWithKey {
	conf := &model.Configuration{Version: model.VersionStr, Reader15: true, ValidationMode: model.ValidationRelaxed,
		Eol: types.EolLF, Cmd: model.VALIDATE, Offline: true, Limits: model.DefaultResourceLimits()}
	ctx, err := pdfcpu.Read(bytes.NewReader(in), conf)
	if err != nil {
		t.Fatal(err)
	}
	p := &pdfWithKey{ctx: ctx, size: *ctx.Size, root: int(ctx.Root.ObjectNumber)}
	if p.catalog, err = ctx.DereferenceDict(*ctx.Root); err != nil {
		t.Fatal(err)
	}
	pages, _ := ctx.DereferenceDict(p.catalog["Pages"])
	kids, _ := pages["Kids"].(types.Array)
	p.page1 = int(kids[0].(types.IndirectRef).ObjectNumber)
	m := regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`).FindSubmatch(in)
	p.startxref, _ = strconv.ParseInt(string(m[1]), 10, 64)
	if ctx.Encrypt != nil {
		if ctx.E == nil || ctx.E.R != 6 {
			t.Fatalf("test signer: only AES-256 (R6) encryption")
		}
		p.key = ctx.EncKey
	}
	return p
}

// str writes a PDF string, encrypted with the file key when the PDF is encrypted.
func (p *pdfWithKey) str(t testing.TB, b []byte) string {
	if p.key == nil {
		return "<" + hex.EncodeToString(b) + ">"
	}
	blk, err := aes.NewCipher(p.key)
	if err != nil {
		t.Fatal(err)
	}
	pad := aes.BlockSize - len(b)%aes.BlockSize
	plain := append(bytes.Clone(b), bytes.Repeat([]byte{byte(pad)}, pad)...)
	out := make([]byte, aes.BlockSize+len(plain))
	rand.Read(out[:aes.BlockSize])
	cipher.NewCBCEncrypter(blk, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], plain)
	return "<" + hex.EncodeToString(out) + ">"
}

func utf16Text(s string) []byte {
	b := []byte{0xFE, 0xFF}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return b
}

// text writes a pdfcpu object as PDF syntax with strings (re-)encrypted.
func (p *pdfWithKey) text(t testing.TB, o types.Object) string {
	switch v := o.(type) {
	case nil:
		return "null"
	case types.Dict:
		keys := sortedKeys(v)
		var b strings.Builder
		b.WriteString("<<")
		for _, k := range keys {
			fmt.Fprintf(&b, " /%s %s", types.EncodeName(k), p.text(t, v[k]))
		}
		b.WriteString(" >>")
		return b.String()
	case types.Array:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = p.text(t, e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case types.StringLiteral, types.HexLiteral:
		s, _ := pdfBytesValue(o).(pdfString)
		return p.str(t, s)
	default:
		return o.PDFString()
	}
}

// testSignPDF appends a signature (field "Test signature" on page 1) to in.
func testSignPDF(t testing.TB, in []byte, key crypto.Signer, chain []*x509.Certificate, o testSig) []byte {
	p := readForSigning(t, in)
	if o.SubFilter == "" {
		o.SubFilter = "adbe.pkcs7.detached"
	}
	sigN, fieldN, catN := p.size, p.size+1, p.size+2
	const holeBytes = 8192
	var b bytes.Buffer
	b.Write(in)
	if !bytes.HasSuffix(in, []byte("\n")) {
		b.WriteByte('\n')
	}
	offs := map[int]int64{}
	offs[sigN] = int64(b.Len())
	typ := "/Sig"
	if o.SubFilter == "ETSI.RFC3161" {
		typ = "/DocTimeStamp"
	}
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type %s /Filter /Adobe.PPKLite /SubFilter /%s /ByteRange ", sigN, typ, o.SubFilter)
	brAt := b.Len()
	b.WriteString("[0 0000000000 0000000000 0000000000]")
	b.WriteString(" /Contents ")
	hole := b.Len()
	b.WriteString("<" + strings.Repeat("0", 2*holeBytes) + ">")
	holeEnd := b.Len()
	if o.SubFilter != "ETSI.RFC3161" {
		fmt.Fprintf(&b, " /M %s /Name %s /Reason %s", p.str(t, []byte(pdfDate(time.Now()))), p.str(t, utf16Text(o.Name)), p.str(t, utf16Text(o.Reason)))
	}
	b.WriteString(" >>\nendobj\n")
	offs[fieldN] = int64(b.Len())
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /T %s /V %d 0 R /Rect [0 0 0 0] /F 132 /P %d 0 R >>\nendobj\n",
		fieldN, p.str(t, []byte("Test signature")), sigN, p.page1)
	cat := p.catalog.Clone().(types.Dict)
	fields := types.Array{}
	if af := p.ctx.XRefTable; af != nil {
		if a, err := p.ctx.DereferenceDict(cat["AcroForm"]); err == nil && a != nil {
			fields, _ = a["Fields"].(types.Array)
		}
	}
	fields = append(append(types.Array{}, fields...), types.IndirectRef{ObjectNumber: types.Integer(fieldN)})
	cat["AcroForm"] = types.Dict{"Fields": fields, "SigFlags": types.Integer(3)}
	offs[catN] = int64(b.Len())
	fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", catN, p.text(t, cat))
	x := b.Len()
	fmt.Fprintf(&b, "xref\n%d 3\n", sigN)
	for _, n := range []int{sigN, fieldN, catN} {
		fmt.Fprintf(&b, "%010d 00000 n \n", offs[n])
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root %d 0 R /Prev %d", catN+1, catN, p.startxref)
	if p.ctx.Info != nil {
		fmt.Fprintf(&b, " /Info %s", p.ctx.Info.PDFString())
	}
	if p.ctx.Encrypt != nil {
		fmt.Fprintf(&b, " /Encrypt %s", p.ctx.Encrypt.PDFString())
	}
	if p.ctx.ID != nil {
		fmt.Fprintf(&b, " /ID [%s %s]", p.ctx.ID[0].PDFString(), p.ctx.ID[1].PDFString())
	}
	fmt.Fprintf(&b, " >>\nstartxref\n%d\n%%%%EOF\n", x)
	out := b.Bytes()
	br := fmt.Sprintf("[0 %010d %010d %010d]", hole, holeEnd, len(out)-holeEnd)
	copy(out[brAt:], br)
	signed := append(bytes.Clone(out[:hole]), out[holeEnd:]...)
	var blob []byte
	if o.Token != nil {
		blob = o.Token(signed)
	} else {
		blob = buildCMS(t, signed, key, chain, o)
	}
	if len(blob) > holeBytes {
		t.Fatalf("signature of %d bytes does not fit", len(blob))
	}
	copy(out[hole+1:], strings.ToUpper(hex.EncodeToString(blob)))
	return out
}
