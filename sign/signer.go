package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/digitorus/pdf"
	pdfsign "github.com/digitorus/pdfsign/sign"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Signer is a private key (in memory or on a token) with its certificate chain.
// Chain[0] is the signer's certificate, followed by intermediate CAs (roots optional).
type Signer struct {
	Key   crypto.Signer
	Chain []*x509.Certificate

	// TSAURL, when set, adds an RFC 3161 signature timestamp from that server.
	TSAURL, TSAUser, TSAPassword string
	// Profile is the signature format (default: PAdES B-T with a TSA, else B-B).
	Profile Profile
	// Roots completes the chain for B-LT (the trust store): the DSS then holds the chain up
	// to its root, and the issuing CA's CRL can be checked.
	Roots *x509.CertPool

	close func() error
}

// SignInfo is written into the signature dictionary. Name is the signer's full name
// (any Unicode text; it is stored as a UTF-16BE hex string).
type SignInfo struct {
	Name, Reason, Location, Contact string
	Time                            time.Time // zero means now
}

// Errors from signing.
var (
	ErrNoCertificate = l10n.New("sign.noCertificate")
	ErrKeyMismatch   = l10n.New("sign.keyMismatch")
	ErrNotPDF        = l10n.New("sign.notPDF")
	ErrPKCS12        = l10n.New("sign.pkcs12")
)

// ErrP12Password: the password of a PKCS#12 file is wrong. It matches ErrPKCS12 too.
var ErrP12Password error = &l10n.Error{Key: "sign.p12Password", Kind: ErrPKCS12}

// NewSigner checks that key belongs to chain[0] and returns a Signer.
func NewSigner(key crypto.Signer, chain []*x509.Certificate) (Signer, error) {
	if len(chain) == 0 || chain[0] == nil {
		return Signer{}, ErrNoCertificate
	}
	if !samePublicKey(key.Public(), chain[0].PublicKey) {
		return Signer{}, ErrKeyMismatch
	}
	return Signer{Key: key, Chain: chain}, nil
}

// Close releases a token session (PKCS#11); it does nothing for in-memory keys.
func (s Signer) Close() error {
	if s.close != nil {
		return s.close()
	}
	return nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	switch k := a.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return k.(equaler).Equal(b)
	}
	return false
}

// LoadPKCS12 reads a .p12/.pfx file (legacy 3DES/RC2 or modern AES encryption).
func LoadPKCS12(file, password string) (Signer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Signer{}, fmt.Errorf("sign: read PKCS#12 file: %w", err)
	}
	key, cert, cas, err := pkcs12.DecodeChain(data, password)
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return Signer{}, ErrP12Password
	}
	if err != nil {
		return Signer{}, fmt.Errorf("%w: %v", ErrPKCS12, err)
	}
	cs, ok := key.(crypto.Signer)
	if !ok {
		return Signer{}, fmt.Errorf("%w: unsupported key type %T", ErrPKCS12, key)
	}
	return NewSigner(cs, append([]*x509.Certificate{cert}, cas...))
}

// Sign adds an approval signature to pdf as an incremental update, in the format of
// s.Profile (see Profile): PAdES baseline (ETSI.CAdES.detached, SHA-256, ESS
// signing-certificate-v2, the time in /M) by default, with an RFC 3161 signature timestamp
// when s.TSAURL is set, and for B-LT a DSS with the chain and its CRLs; or
// adbe.pkcs7.detached. Earlier signatures stay valid. B-B works offline.
func Sign(in []byte, s Signer, info SignInfo) (out []byte, err error) {
	return SignContext(context.Background(), in, s, info)
}

// SignContext is Sign with a context for the TSA and CRL requests.
func SignContext(ctx context.Context, in []byte, s Signer, info SignInfo) (out []byte, err error) {
	if s.Key == nil || len(s.Chain) == 0 {
		return nil, ErrNoCertificate
	}
	if !samePublicKey(s.Key.Public(), s.Chain[0].PublicKey) {
		return nil, ErrKeyMismatch
	}
	prof, err := s.effective()
	if err != nil {
		return nil, err
	}
	when := info.Time
	if when.IsZero() {
		when = time.Now()
	}
	// B-LT: the revocation data is fetched first, so a certificate that cannot be checked
	// (or is revoked) signs nothing.
	var crls, ocsps [][]byte
	var dssCerts []*x509.Certificate
	rf := newRevFetcher()
	if prof == ProfileBLT {
		if crls, ocsps, dssCerts, err = revocationData(ctx, fullChain(s), time.Now(), rf); err != nil {
			return nil, err
		}
	}
	if prof == ProfileAdbe {
		return pdfsignSign(in, s, info, when, 0, true)
	}
	withTSA := prof == ProfileBT || prof == ProfileBLT
	var token []byte
	for attempt := 0; ; attempt++ {
		laid, err := pdfsignSign(in, s, info, when, padesReserve(withTSA, attempt), false)
		if err != nil {
			return nil, err
		}
		out, token, err = placeCAdES(ctx, in, laid, s, withTSA)
		if errors.Is(err, errTooLarge) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, err
		}
		break
	}
	if prof == ProfileBLT {
		// The signature timestamp's validation data too: its TSA's chain and their CRL or
		// OCSP responses (fetched now: the token's certificate is known only now).
		tsaChain, err := timestampChain(token, s)
		if err != nil {
			return nil, fmt.Errorf("%w: signature timestamp: %v", ErrRevocation, err)
		}
		tc, to, tcerts, err := revocationData(ctx, tsaChain, time.Now(), rf)
		if err != nil {
			return nil, fmt.Errorf("%w: signature timestamp: %v", ErrRevocation, err)
		}
		return addDSS(ctx, out, append(dssCerts, tcerts...), append(crls, tc...), append(ocsps, to...))
	}
	return out, nil
}

// pdfsignSign lets pdfsign write the signature's incremental update. reserve bytes of
// /Contents room are added through pdfsign's revocation-data estimate (the CMS pdfsign
// makes is replaced by placeCAdES); withTSA passes the TSA to pdfsign (adbe profile only).
func pdfsignSign(in []byte, s Signer, info SignInfo, when time.Time, reserve int, withTSA bool) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: %v", ErrNotPDF, r)
		}
	}()
	rdr, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPDF, err)
	}
	data := pdfsign.SignData{
		Signature: pdfsign.SignDataSignature{
			CertType: pdfsign.ApprovalSignature,
			Info: pdfsign.SignDataSignatureInfo{
				Name: dictString(info.Name), Reason: dictString(info.Reason), Location: dictString(info.Location),
				ContactInfo: dictString(info.Contact), Date: when,
			},
		},
		Signer:            s.Key,
		DigestAlgorithm:   crypto.SHA256,
		Certificate:       s.Chain[0],
		CertificateChains: [][]*x509.Certificate{s.Chain},
	}
	if withTSA {
		data.TSA = pdfsign.TSA{URL: s.TSAURL, Username: s.TSAUser, Password: s.TSAPassword}
	}
	if reserve > 0 {
		// pdfsign sizes /Contents by the revocation data it is given: an OCTET STRING of
		// reserve zero bytes makes the room (and is dropped with pdfsign's CMS).
		pad := append(append([]byte{0x04}, lengthBytes(reserve)...), make([]byte, reserve)...)
		data.RevocationData.CRL = []asn1.RawValue{{FullBytes: pad}}
	}
	var buf bytes.Buffer
	if err := pdfsign.Sign(bytes.NewReader(in), &buf, rdr, int64(len(in)), data); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return buf.Bytes(), nil
}

// dictString prepares a text for pdfsign's signature dictionary. pdfsign (at the pinned
// version) writes a non-ASCII text as raw UTF-16BE inside a literal string ( ) without
// escaping, so any byte 0x28 '(', 0x29 ')', 0x5C '\' or 0x0D inside it breaks the PDF.
// Among Vietnamese letters only Ĩ (U+0128) and ĩ (U+0129) contain such bytes: they are written
// in their canonically equivalent decomposed form (I/i + U+0303 COMBINING TILDE), which any
// reader normalising to NFC reads back unchanged. Parentheses in balanced pairs are legal
// unescaped in a PDF literal string. What remains unrepresentable (a backslash, unbalanced
// parentheses, CR) makes the text be left out of the dictionary: the signer's name is then
// still in the signed certificate, which is what verifiers show.
func dictString(s string) string {
	s = norm.NFC.String(s)
	if isASCII(s) {
		return s // pdfsign escapes ASCII text itself
	}
	s = strings.NewReplacer("Ĩ", "I\u0303", "ĩ", "i\u0303").Replace(s)
	depth := 0
	for _, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return ""
			}
		case '\\', '\r':
			return ""
		}
	}
	if depth != 0 {
		return ""
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
