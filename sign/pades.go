package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"

	"github.com/sohoa/sohoa/internal/l10n"
)

// PAdES baseline signatures (ETSI EN 319 142-1). pdfsign (pinned) writes the signature's
// incremental update (signature dictionary, field, widget, catalog, cross-reference
// section) but only the adbe.pkcs7.detached profile: its CMS always carries a signing-time
// attribute and Adobe's revocation-information attribute as signed attributes, and it
// writes no DSS. What it lacks is written here: Sign lets pdfsign lay out the update, then
// turns the signature dictionary's /SubFilter into ETSI.CAdES.detached (the two names
// have the same length, so no offset moves) and puts a CMS of its own into the /Contents
// hole (buildCAdES: content-type, message-digest and ESS signing-certificate-v2 as signed
// attributes, no signing-time — the time is /M — and for B-T an RFC 3161
// signature-time-stamp-token as unsigned attribute). For B-LT a second incremental update
// adds the Document Security Store with the chain and the CRLs (addDSS).

// Profile is the signature format Sign writes.
type Profile string

// Profiles. The zero Profile is PAdES baseline: B-T when a TSA is configured, else B-B.
const (
	ProfileDefault Profile = ""
	ProfileAdbe    Profile = "adbe" // adbe.pkcs7.detached, as pdfsign writes it (the format before PAdES)
	ProfileBB      Profile = "B-B"  // ETSI.CAdES.detached
	ProfileBT      Profile = "B-T"  // B-B with a signature timestamp (needs a TSA)
	ProfileBLT     Profile = "B-LT" // B-T with a DSS holding the chain and revocation data
)

// Profiles lists the accepted profile names (for settings and flags).
var Profiles = []Profile{ProfileBB, ProfileBT, ProfileBLT, ProfileAdbe}

// Errors of PAdES signing.
var (
	ErrBadProfile   = l10n.New("sign.badProfile")
	ErrProfileNoTSA = l10n.New("sign.profileNoTSA")
	ErrTSA          = l10n.New("sign.tsa")
	ErrRevocation   = l10n.New("sign.revocation")
)

// ParseProfile reads a profile name ("" is the default; case and a "PAdES-" prefix do not
// matter).
func ParseProfile(s string) (Profile, error) {
	s = strings.TrimSpace(s)
	u := strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(s, "PAdES-"), "pades-"))
	switch u {
	case "":
		return ProfileDefault, nil
	case "ADBE":
		return ProfileAdbe, nil
	case "B-B", "BB":
		return ProfileBB, nil
	case "B-T", "BT":
		return ProfileBT, nil
	case "B-LT", "BLT":
		return ProfileBLT, nil
	}
	return "", &l10n.Error{Key: "sign.badProfile", Kind: ErrBadProfile}
}

// effective is the profile Sign writes for signer s.
func (s Signer) effective() (Profile, error) {
	p := s.Profile
	if p == ProfileDefault {
		if s.TSAURL != "" {
			return ProfileBT, nil
		}
		return ProfileBB, nil
	}
	if (p == ProfileBT || p == ProfileBLT) && s.TSAURL == "" {
		return p, ErrProfileNoTSA
	}
	for _, q := range Profiles {
		if p == q {
			return p, nil
		}
	}
	return p, ErrBadProfile
}

// httpTimeout bounds one request to a TSA or a CRL server.
const httpTimeout = 30 * time.Second

// maxFetch bounds what is read from a TSA or CRL server.
const maxFetch = 16 << 20

// padesReserve is the room (bytes of CMS) reserved in /Contents on top of pdfsign's own
// estimate; a timestamp token of a real TSA with its chain runs 2-8 KB. Sign retries with
// 4 and 16 times the room when the CMS does not fit.
func padesReserve(withTSA bool, attempt int) int {
	n := 256 // pdfsign's estimate covers its own CMS, which is larger than ours
	if withTSA {
		n += 8 << 10
	}
	return n << (2 * attempt)
}

// placeCAdES turns pdfsign's adbe signature at the end of out (appended to in) into an
// ETSI.CAdES.detached one with a CMS of buildCAdES.
// token is the signature timestamp it carries (nil without withTSA).
func placeCAdES(ctx context.Context, in, out []byte, s Signer, withTSA bool) (signed, token []byte, err error) {
	tail := out[len(in):]
	const adbe, etsi = "/SubFilter /adbe.pkcs7.detached", "/SubFilter /ETSI.CAdES.detached"
	i := bytes.LastIndex(tail, []byte(adbe))
	j := bytes.LastIndex(tail, []byte("/ByteRange"))
	if i < 0 || j < 0 || len(adbe) != len(etsi) {
		return nil, nil, errors.New("sign: pdfsign's signature dictionary was not found")
	}
	br, err := parseByteRange(tail[j:])
	if err != nil {
		return nil, nil, err
	}
	if br[0] != 0 || br[1] <= int64(len(in)) || br[2] <= br[1]+2 || br[2]+br[3] != int64(len(out)) {
		return nil, nil, errors.New("sign: pdfsign's byte range is not the expected one")
	}
	res := bytes.Clone(out)
	copy(res[len(in)+i:], etsi)
	content := append(bytes.Clone(res[:br[1]]), res[br[2]:]...)
	cms, token, err := buildCAdES(ctx, content, s, withTSA)
	if err != nil {
		return nil, nil, err
	}
	room := int(br[2]-br[1]) - 2 // the hex digits between < and >
	h := hex.EncodeToString(cms)
	if len(h) > room {
		return nil, nil, errTooLarge
	}
	hole := res[br[1]+1 : br[2]-1]
	copy(hole, h)
	for k := len(h); k < len(hole); k++ {
		hole[k] = '0'
	}
	return res, token, nil
}

var errTooLarge = errors.New("the CMS does not fit the reserved room")

func parseByteRange(b []byte) ([4]int64, error) {
	var br [4]int64
	open := bytes.IndexByte(b, '[')
	end := bytes.IndexByte(b, ']')
	if open < 0 || end < open {
		return br, errors.New("sign: pdfsign's byte range cannot be read")
	}
	f := strings.Fields(string(b[open+1 : end]))
	if len(f) != 4 {
		return br, errors.New("sign: pdfsign's byte range cannot be read")
	}
	for k, x := range f {
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil || n < 0 {
			return br, errors.New("sign: pdfsign's byte range cannot be read")
		}
		br[k] = n
	}
	return br, nil
}

var (
	oidSHA256          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA512          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidSHA384          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	errUnsupportedKey  = errors.New("sign: unsupported key type")
	asn1Null           = []byte{0x05, 0x00}
)

// cadesAlgorithms chooses the digest and signature algorithm for the key.
func cadesAlgorithms(pub crypto.PublicKey) (h crypto.Hash, digestOID, sigOID asn1.ObjectIdentifier, sigNull bool, err error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return crypto.SHA256, oidSHA256, oidSHA256WithRSA, true, nil
	case *ecdsa.PublicKey:
		if k.Curve.Params().BitSize > 256 {
			return crypto.SHA384, oidSHA384, oidECDSAWithSHA384, false, nil
		}
		return crypto.SHA256, oidSHA256, oidECDSAWithSHA256, false, nil
	case ed25519.PublicKey:
		return crypto.SHA512, oidSHA512, oidEd25519, false, nil
	}
	return 0, nil, nil, false, errUnsupportedKey
}

// buildCAdES makes a detached CMS SignedData over content as PAdES baseline wants it
// (ETSI EN 319 142-1 5.3 / EN 319 122-1): signed attributes content-type, message-digest
// and signing-certificate-v2; no signing-time; the certificates of the chain; with withTSA
// a signature-time-stamp-token from s.TSAURL as unsigned attribute.
func buildCAdES(ctx context.Context, content []byte, s Signer, withTSA bool) (cms, token []byte, err error) {
	cert := s.Chain[0]
	h, digestOID, sigOID, sigNull, err := cadesAlgorithms(cert.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	hh := h.New()
	hh.Write(content)
	md := hh.Sum(nil)
	ch := crypto.SHA256.New()
	ch.Write(cert.Raw)
	certHash := ch.Sum(nil)

	attr := func(oid asn1.ObjectIdentifier, value func(b *cryptobyte.Builder)) []byte {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			b.AddASN1(cbasn1.SET, value)
		})
		return b.BytesOrPanic()
	}
	attrs := [][]byte{
		attr(oidContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) }),
		attr(oidMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(md) }),
		attr(oidSigningCertV2, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SigningCertificateV2
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // certs
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ESSCertIDv2, hashAlgorithm DEFAULT SHA-256
						b.AddASN1OctetString(certHash)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // IssuerSerial
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // GeneralNames
								b.AddASN1(cbasn1.Tag(4).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
									b.AddBytes(cert.RawIssuer) // directoryName
								})
							})
							b.AddASN1BigInt(cert.SerialNumber)
						})
					})
				})
			})
		}),
	}
	signedSet := derSet(attrs)
	var sig []byte
	switch cert.PublicKey.(type) {
	case ed25519.PublicKey:
		sig, err = s.Key.Sign(rand.Reader, signedSet, crypto.Hash(0))
	default:
		dh := h.New()
		dh.Write(signedSet)
		sig, err = s.Key.Sign(rand.Reader, dh.Sum(nil), h)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("sign: %w", err)
	}
	if withTSA {
		if token, err = fetchTimestamp(ctx, s, sig); err != nil {
			return nil, nil, err
		}
	}
	var certs [][]byte
	for _, c := range s.Chain {
		certs = append(certs, c.Raw)
	}
	algID := func(b *cryptobyte.Builder, oid asn1.ObjectIdentifier, null bool) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oid)
			if null {
				b.AddBytes(asn1Null)
			}
		})
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ContentInfo
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { algID(b, digestOID, false) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
				b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
					b.AddBytes(derSetBody(certs))
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignerInfo
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // IssuerAndSerialNumber
							b.AddBytes(cert.RawIssuer)
							b.AddASN1BigInt(cert.SerialNumber)
						})
						algID(b, digestOID, false)
						b.AddASN1(cbasn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
							b.AddBytes(derSetBody(attrs))
						})
						algID(b, sigOID, sigNull)
						b.AddASN1OctetString(sig)
						if token != nil {
							b.AddASN1(cbasn1.Tag(1).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
								b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
									b.AddASN1ObjectIdentifier(oidSignatureTimeStamp)
									b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(token) })
								})
							})
						}
					})
				})
			})
		})
	})
	cms, err = b.Bytes()
	return cms, token, err
}

// derSetBody is the content of a DER SET OF: its elements sorted by their encodings.
func derSetBody(elems [][]byte) []byte {
	s := make([][]byte, len(elems))
	copy(s, elems)
	sort.Slice(s, func(i, j int) bool { return bytes.Compare(s[i], s[j]) < 0 })
	return bytes.Join(s, nil)
}

func derSet(elems [][]byte) []byte {
	body := derSetBody(elems)
	return append(append([]byte{0x31}, lengthBytes(len(body))...), body...)
}

// fetchTimestamp asks s.TSAURL for an RFC 3161 token over the signature value and checks it
// (strictly, as Verify does) before it goes into the signature.
func fetchTimestamp(ctx context.Context, s Signer, sig []byte) ([]byte, error) {
	req, err := timestamp.CreateRequest(bytes.NewReader(sig), &timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTSA, err)
	}
	body, err := httpExchange(ctx, http.MethodPost, s.TSAURL, "application/timestamp-query", req, s.TSAUser, s.TSAPassword)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTSA, err)
	}
	resp, err := timestamp.ParseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTSA, err)
	}
	if _, err := verifyTimestamp(resp.RawToken, sig); err != nil {
		return nil, fmt.Errorf("%w: the token does not verify: %v", ErrTSA, err)
	}
	return resp.RawToken, nil
}

func httpExchange(ctx context.Context, method, url, ctype string, body []byte, user, pass string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, httpTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxFetch+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("HTTP status %d", resp.StatusCode)
	}
	if len(data) > maxFetch {
		return nil, errors.New("response too large")
	}
	return data, nil
}

// revocationData fetches revocation data for every certificate of the chain but a
// self-signed root: an OCSP response when the certificate names a responder (checked: for
// this certificate, signed by its issuer or a responder it delegated to, status good, current),
// else a CRL from its distribution points (checked: the issuer's, current, not listing it).
// rf carries what earlier calls of one signing fetched: a certificate checked already is not
// checked again, a CRL already fetched is reused (checked again for this certificate).
func revocationData(ctx context.Context, chain []*x509.Certificate, now time.Time, rf *revFetcher) (crls, ocsps [][]byte, certs []*x509.Certificate, err error) {
	if rf == nil {
		rf = newRevFetcher()
	}
	certs = append(certs, chain...)
	for i, c := range chain {
		if isSelfSigned(c) || rf.done[string(c.Raw)] {
			continue
		}
		rf.done[string(c.Raw)] = true
		var issuer *x509.Certificate
		if i+1 < len(chain) {
			issuer = chain[i+1]
		}
		if issuer == nil || c.CheckSignatureFrom(issuer) != nil {
			return nil, nil, nil, fmt.Errorf("%w: certificate %d: its issuer is not in the chain", ErrRevocation, i)
		}
		var oerr error
		if len(c.OCSPServer) > 0 {
			var resp []byte
			if resp, oerr = fetchOCSP(ctx, c, issuer, now); oerr == nil {
				ocsps = append(ocsps, resp)
				continue
			}
			if errors.Is(oerr, errRevoked) || len(c.CRLDistributionPoints) == 0 {
				return nil, nil, nil, fmt.Errorf("%w: certificate %d: %v", ErrRevocation, i, oerr)
			}
		}
		crl, fresh, err := rf.crl(ctx, c, issuer, now)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%w: certificate %d: %v", ErrRevocation, i, err)
		}
		if fresh {
			crls = append(crls, crl)
		}
	}
	return crls, ocsps, certs, nil
}

// revFetcher: the certificates one signing checked and the CRLs it fetched, by URL.
type revFetcher struct {
	done map[string]bool
	crls map[string][]byte
}

func newRevFetcher() *revFetcher {
	return &revFetcher{done: map[string]bool{}, crls: map[string][]byte{}}
}

// crl returns a CRL that covers c (checked: the issuer's, current, not listing c); fresh is
// false when it is one fetched before (already in the DSS being made).
func (rf *revFetcher) crl(ctx context.Context, c, issuer *x509.Certificate, now time.Time) (data []byte, fresh bool, err error) {
	for _, u := range c.CRLDistributionPoints {
		if data, ok := rf.crls[u]; ok {
			switch err := checkCRL(data, c, issuer, now); {
			case err == nil:
				return data, false, nil
			case errors.Is(err, errRevoked):
				return nil, false, err
			}
		}
	}
	data, u, err := fetchCRLFrom(ctx, c, issuer, now)
	if err != nil {
		return nil, false, err
	}
	rf.crls[u] = data
	return data, true, nil
}

var errRevoked = errors.New("the certificate is revoked")

func fetchOCSP(ctx context.Context, c, issuer *x509.Certificate, now time.Time) ([]byte, error) {
	req, err := ocsp.CreateRequest(c, issuer, &ocsp.RequestOptions{Hash: crypto.SHA256})
	if err != nil {
		return nil, err
	}
	var last error
	for _, u := range c.OCSPServer {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			continue
		}
		body, err := httpExchange(ctx, http.MethodPost, u, "application/ocsp-request", req, "", "")
		if err != nil {
			last = err
			continue
		}
		resp, err := ocsp.ParseResponseForCert(body, c, issuer)
		if err != nil {
			last = fmt.Errorf("OCSP response: %v", err)
			continue
		}
		switch {
		case resp.Status == ocsp.Revoked:
			return nil, errRevoked
		case resp.Status != ocsp.Good:
			last = errors.New("OCSP status unknown")
			continue
		case !resp.NextUpdate.IsZero() && now.After(resp.NextUpdate), resp.ThisUpdate.After(now.Add(5 * time.Minute)):
			last = errors.New("OCSP response out of date")
			continue
		}
		return body, nil
	}
	if last == nil {
		last = errors.New("no HTTP OCSP responder")
	}
	return nil, last
}

// fullChain is s.Chain completed up to a root of s.Roots when it chains there.
func fullChain(s Signer) []*x509.Certificate {
	if s.Roots == nil {
		return s.Chain
	}
	inter := x509.NewCertPool()
	for _, c := range s.Chain[1:] {
		inter.AddCert(c)
	}
	chains, err := s.Chain[0].Verify(x509.VerifyOptions{Roots: s.Roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil || len(chains) == 0 {
		return s.Chain
	}
	return chains[0]
}

// timestampChain is the chain of the TSA that signed token, up to a root of s.Roots (or, without
// Roots, as far as the token's and the signer's certificates go): B-LT's validation data
// covers the signature timestamp too (ETSI EN 319 142-1, 5.4).
func timestampChain(token []byte, s Signer) ([]*x509.Certificate, error) {
	res, err := verifyCMS(token, nil, profTimestamp)
	if err != nil || res == nil || res.Signer == nil {
		return nil, fmt.Errorf("the timestamp token cannot be read: %v", err)
	}
	pool := append(append([]*x509.Certificate{}, res.Certificates...), fullChain(s)...)
	if s.Roots != nil {
		inter := x509.NewCertPool()
		for _, c := range pool {
			inter.AddCert(c)
		}
		chains, err := res.Signer.Verify(x509.VerifyOptions{Roots: s.Roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}})
		if err != nil || len(chains) == 0 {
			return nil, fmt.Errorf("the TSA's certificate does not chain to a trusted root: %v", err)
		}
		return chains[0], nil
	}
	return issuerChain(res.Signer, pool), nil
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

func fetchCRLFrom(ctx context.Context, c, issuer *x509.Certificate, now time.Time) (data []byte, url string, err error) {
	if len(c.CRLDistributionPoints) == 0 {
		return nil, "", errors.New("no CRL distribution point")
	}
	var last error
	for _, u := range c.CRLDistributionPoints {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			continue
		}
		data, err := httpExchange(ctx, http.MethodGet, u, "", nil, "", "")
		if err != nil {
			last = err
			continue
		}
		if err := checkCRL(data, c, issuer, now); err != nil {
			last = err
			continue
		}
		return data, u, nil
	}
	if last == nil {
		last = errors.New("no HTTP CRL distribution point")
	}
	return nil, "", last
}

// checkCRL: the CRL is the issuer's, current at now, and does not list c.
func checkCRL(data []byte, c, issuer *x509.Certificate, now time.Time) error {
	crl, err := x509.ParseRevocationList(data)
	if err != nil {
		return fmt.Errorf("CRL cannot be parsed: %v", err)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return fmt.Errorf("CRL is not signed by the issuer: %v", err)
	}
	if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
		return errors.New("CRL is out of date")
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber != nil && e.SerialNumber.Cmp(c.SerialNumber) == 0 {
			return errRevoked
		}
	}
	return nil
}
