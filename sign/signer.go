package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
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

// Sign adds an approval signature (adbe.pkcs7.detached, SHA-256, with the ESS
// signing-certificate-v2 attribute) to pdf as an incremental update. Earlier signatures stay
// valid. It works offline; a timestamp is added only when s.TSAURL is set.
func Sign(in []byte, s Signer, info SignInfo) (out []byte, err error) {
	if s.Key == nil || len(s.Chain) == 0 {
		return nil, ErrNoCertificate
	}
	if !samePublicKey(s.Key.Public(), s.Chain[0].PublicKey) {
		return nil, ErrKeyMismatch
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: %v", ErrNotPDF, r)
		}
	}()
	rdr, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPDF, err)
	}
	when := info.Time
	if when.IsZero() {
		when = time.Now()
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
		TSA:               pdfsign.TSA{URL: s.TSAURL, Username: s.TSAUser, Password: s.TSAPassword},
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
