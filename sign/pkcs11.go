package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"

	"github.com/sohoa/sohoa/internal/l10n"
)

// ErrToken is returned when the USB token (PKCS#11) cannot be used. Every token error below
// matches it too (errors.Is).
var ErrToken = l10n.New("sign.token")

// Token errors with a cause the person can fix; each matches ErrToken (errors.Is).
var (
	ErrModule        = &l10n.Error{Key: "sign.token.module", Kind: ErrToken}
	ErrTokenNotFound = &l10n.Error{Key: "sign.token.tokenNotFound", Kind: ErrToken}
	ErrWrongPIN      = &l10n.Error{Key: "sign.token.wrongPIN", Kind: ErrToken}
	ErrPINLocked     = &l10n.Error{Key: "sign.token.pINLocked", Kind: ErrToken}
	ErrPINExpired    = &l10n.Error{Key: "sign.token.pINExpired", Kind: ErrToken}
	ErrTokenBusy     = &l10n.Error{Key: "sign.token.tokenBusy", Kind: ErrToken}
	ErrNoTokenKey    = &l10n.Error{Key: "sign.token.noTokenKey", Kind: ErrToken}
)

// p11Module is a loaded, initialised PKCS#11 module shared by everything in the process
// that uses it: a module is initialised once per process (C_Initialize twice fails), so
// listing a token while a signer holds it open must not finalise it under the signer.
type p11Module struct {
	path  string
	ctx   *pkcs11.Ctx
	refs  int
	owned bool // we initialised it, so we finalise it
}

var p11Modules = struct {
	sync.Mutex
	m map[string]*p11Module
}{m: map[string]*p11Module{}}

// acquireModule loads and initialises the module at path, or takes another reference to it.
func acquireModule(path string) (*p11Module, error) {
	p11Modules.Lock()
	defer p11Modules.Unlock()
	if m := p11Modules.m[path]; m != nil {
		m.refs++
		return m, nil
	}
	ctx := pkcs11.New(path)
	if ctx == nil {
		return nil, ErrModule
	}
	owned := true
	if err := ctx.Initialize(); err != nil {
		var pe pkcs11.Error
		if !errors.As(err, &pe) || pe != pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED {
			ctx.Destroy()
			return nil, fmt.Errorf("%w: initialize: %v", ErrModule, err)
		}
		owned = false // initialised by someone else in this process: theirs to finalise
	}
	m := &p11Module{path: path, ctx: ctx, refs: 1, owned: owned}
	p11Modules.m[path] = m
	return m, nil
}

// release drops one reference; the last one finalises and unloads the module.
func (m *p11Module) release() error {
	p11Modules.Lock()
	defer p11Modules.Unlock()
	m.refs--
	if m.refs > 0 {
		return nil
	}
	delete(p11Modules.m, m.path)
	var err error
	if m.owned {
		err = m.ctx.Finalize()
	}
	m.ctx.Destroy()
	return err
}

// Token is a PKCS#11 slot holding an initialised token.
type Token struct {
	Slot                               uint
	Label, Manufacturer, Model, Serial string
	// PIN state as the token reports it (not every token does).
	PINLocked, PINFinalTry, PINCountLow bool
}

// ListTokens lists the initialised tokens the module at modulePath sees, without logging in.
func ListTokens(modulePath string) ([]Token, error) {
	m, err := acquireModule(modulePath)
	if err != nil {
		return nil, err
	}
	defer m.release()
	slots, err := m.ctx.GetSlotList(true)
	if err != nil {
		return nil, fmt.Errorf("%w: list slots: %v", ErrToken, err)
	}
	var out []Token
	for _, sl := range slots {
		ti, err := m.ctx.GetTokenInfo(sl)
		if err != nil || ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue
		}
		out = append(out, Token{Slot: sl, Label: trimPad(ti.Label), Manufacturer: trimPad(ti.ManufacturerID),
			Model: trimPad(ti.Model), Serial: trimPad(ti.SerialNumber),
			PINLocked: ti.Flags&pkcs11.CKF_USER_PIN_LOCKED != 0, PINFinalTry: ti.Flags&pkcs11.CKF_USER_PIN_FINAL_TRY != 0,
			PINCountLow: ti.Flags&pkcs11.CKF_USER_PIN_COUNT_LOW != 0})
	}
	return out, nil
}

func trimPad(s string) string { return strings.TrimRight(s, " \x00") }

// TokenCert is a certificate stored on a token. Certificates are public objects: they are
// read without the PIN.
type TokenCert struct {
	ID    []byte // CKA_ID, shared with the certificate's private key
	Label string
	Cert  *x509.Certificate
}

// TokenCertificates lists the certificates on the token in slot (no login).
func TokenCertificates(modulePath string, slot uint) ([]TokenCert, error) {
	m, err := acquireModule(modulePath)
	if err != nil {
		return nil, err
	}
	defer m.release()
	if _, err := m.ctx.GetTokenInfo(slot); err != nil {
		return nil, tokenErr(err, "token info")
	}
	session, err := m.ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, tokenErr(err, "open session")
	}
	defer m.ctx.CloseSession(session)
	return tokenCerts(m.ctx, session)
}

func tokenCerts(ctx *pkcs11.Ctx, session pkcs11.SessionHandle) ([]TokenCert, error) {
	handles, err := findObjects(ctx, session, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE)})
	if err != nil {
		return nil, err
	}
	var out []TokenCert
	for _, h := range handles {
		attrs, err := ctx.GetAttributeValue(session, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, nil),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil), pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil)})
		if err != nil || len(attrs) != 3 {
			continue
		}
		c, err := x509.ParseCertificate(attrs[1].Value)
		if err != nil {
			continue
		}
		out = append(out, TokenCert{ID: attrs[0].Value, Label: string(attrs[2].Value), Cert: c})
	}
	return out, nil
}

// tokenErr maps a PKCS#11 return value to the token error the person can act on.
func tokenErr(err error, what string) error {
	var pe pkcs11.Error
	if errors.As(err, &pe) {
		switch pe {
		case pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_PIN_LEN_RANGE, pkcs11.CKR_PIN_INVALID:
			return ErrWrongPIN
		case pkcs11.CKR_PIN_LOCKED:
			return ErrPINLocked
		case pkcs11.CKR_PIN_EXPIRED:
			return ErrPINExpired
		case pkcs11.CKR_USER_ALREADY_LOGGED_IN:
			return ErrTokenBusy
		case pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_SLOT_ID_INVALID, pkcs11.CKR_TOKEN_NOT_RECOGNIZED:
			return ErrTokenNotFound
		}
	}
	return fmt.Errorf("%w: %s: %v", ErrToken, what, err)
}

// PKCS11Key says which token and key OpenPKCS11Key uses.
type PKCS11Key struct {
	Module string // the vendor's PKCS#11 module (.so/.dll)
	// The token: the one in Slot when HasSlot, else the one labelled Label, else the first.
	Slot    uint
	HasSlot bool
	Label   string
	// CertSHA256 (hex SHA-256 of the certificate) picks a certificate on a token holding
	// several; "" takes the first private key that has a certificate.
	CertSHA256 string
}

// OpenPKCS11 opens the token labelled tokenLabel (empty: the first token present) through
// the PKCS#11 module at modulePath (the vendor's .so/.dll), logs in with pin and returns a
// Signer for the first private key that has a matching certificate on the token. Call
// Close when done.
func OpenPKCS11(modulePath, tokenLabel, pin string) (Signer, error) {
	return OpenPKCS11Key(PKCS11Key{Module: modulePath, Label: tokenLabel}, pin)
}

// OpenPKCS11Key is OpenPKCS11 for the token and certificate k names.
func OpenPKCS11Key(k PKCS11Key, pin string) (s Signer, err error) {
	m, err := acquireModule(k.Module)
	if err != nil {
		return Signer{}, err
	}
	ctx := m.ctx
	var session pkcs11.SessionHandle
	opened, loggedIn := false, false
	cleanup := func() error {
		if loggedIn {
			_ = ctx.Logout(session)
		}
		if opened {
			_ = ctx.CloseSession(session)
		}
		return m.release()
	}
	defer func() {
		if err != nil {
			_ = cleanup()
		}
	}()
	slot, err := findSlot(ctx, k)
	if err != nil {
		return Signer{}, err
	}
	if ti, err := ctx.GetTokenInfo(slot); err == nil && ti.Flags&pkcs11.CKF_USER_PIN_LOCKED != 0 {
		return Signer{}, ErrPINLocked // trying would only be refused
	}
	if session, err = ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION); err != nil {
		return Signer{}, tokenErr(err, "open session")
	}
	opened = true
	// Login is per token for the whole process: a token another signer of this process is
	// logged in to would take any PIN, so it is refused as busy.
	if err = ctx.Login(session, pkcs11.CKU_USER, pin); err != nil {
		return Signer{}, tokenErr(err, "login")
	}
	loggedIn = true

	certs, err := tokenCerts(ctx, session)
	if err != nil {
		return Signer{}, err
	}
	keys, err := findObjects(ctx, session, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)})
	if err != nil {
		return Signer{}, err
	}
	want := strings.ToLower(strings.TrimSpace(k.CertSHA256))
	for _, h := range keys {
		attrs, err := ctx.GetAttributeValue(session, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, nil)})
		if err != nil || len(attrs) != 1 {
			continue
		}
		for _, c := range certs {
			if !bytes.Equal(c.ID, attrs[0].Value) || c.Cert.IsCA {
				continue
			}
			if want != "" && certHash(c.Cert) != want {
				continue
			}
			key := &p11Key{ctx: ctx, session: session, handle: h, pub: c.Cert.PublicKey}
			signer, err := NewSigner(key, tokenChain(c.Cert, certs))
			if err != nil {
				continue
			}
			signer.close = cleanup
			return signer, nil
		}
	}
	if want != "" {
		return Signer{}, ErrNoTokenKey
	}
	return Signer{}, fmt.Errorf("%w: no private key with a certificate on the token", ErrToken)
}

// findSlot is the slot of the token k names.
func findSlot(ctx *pkcs11.Ctx, k PKCS11Key) (uint, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("%w: list slots: %v", ErrToken, err)
	}
	for _, sl := range slots {
		ti, err := ctx.GetTokenInfo(sl)
		if err != nil || ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			continue
		}
		switch {
		case k.HasSlot && sl == k.Slot, !k.HasSlot && (k.Label == "" || trimPad(ti.Label) == k.Label):
			return sl, nil
		}
	}
	return 0, ErrTokenNotFound
}

// tokenChain is cert followed by its issuers found among the token's certificates.
func tokenChain(cert *x509.Certificate, certs []TokenCert) []*x509.Certificate {
	chain := []*x509.Certificate{cert}
	for cur := cert; len(chain) < 8; {
		var next *x509.Certificate
		for _, o := range certs {
			if o.Cert != cur && bytes.Equal(o.Cert.RawSubject, cur.RawIssuer) && cur.CheckSignatureFrom(o.Cert) == nil {
				next = o.Cert
				break
			}
		}
		if next == nil || bytes.Equal(next.RawSubject, next.RawIssuer) {
			break
		}
		chain = append(chain, next)
		cur = next
	}
	return chain
}

func certHash(c *x509.Certificate) string {
	h := sha256.Sum256(c.Raw)
	return hex.EncodeToString(h[:])
}

func findObjects(ctx *pkcs11.Ctx, session pkcs11.SessionHandle, tmpl []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := ctx.FindObjectsInit(session, tmpl); err != nil {
		return nil, fmt.Errorf("%w: find objects: %v", ErrToken, err)
	}
	defer ctx.FindObjectsFinal(session)
	var all []pkcs11.ObjectHandle
	for {
		hs, _, err := ctx.FindObjects(session, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: find objects: %v", ErrToken, err)
		}
		if len(hs) == 0 {
			return all, nil
		}
		all = append(all, hs...)
	}
}

// p11Key is a private key on a PKCS#11 token. Sign is serialized: a session is not
// safe for concurrent use.
type p11Key struct {
	mu      sync.Mutex
	ctx     *pkcs11.Ctx
	session pkcs11.SessionHandle
	handle  pkcs11.ObjectHandle
	pub     crypto.PublicKey
}

func (k *p11Key) Public() crypto.PublicKey { return k.pub }

// DigestInfo prefixes for RSASSA-PKCS1-v1_5 (RFC 8017 §9.2).
var digestInfoPrefix = map[crypto.Hash][]byte{
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

func (k *p11Key) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	var mech uint
	var data []byte
	switch k.pub.(type) {
	case *rsa.PublicKey:
		if _, pss := opts.(*rsa.PSSOptions); pss {
			return nil, fmt.Errorf("%w: RSA-PSS is not supported", ErrToken)
		}
		prefix, ok := digestInfoPrefix[opts.HashFunc()]
		if !ok {
			return nil, fmt.Errorf("%w: unsupported digest %v", ErrToken, opts.HashFunc())
		}
		mech, data = pkcs11.CKM_RSA_PKCS, append(bytes.Clone(prefix), digest...)
	case *ecdsa.PublicKey:
		mech, data = pkcs11.CKM_ECDSA, digest
	default:
		return nil, fmt.Errorf("%w: unsupported key type", ErrToken)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.ctx.SignInit(k.session, []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}, k.handle); err != nil {
		return nil, fmt.Errorf("%w: sign: %v", ErrToken, err)
	}
	sig, err := k.ctx.Sign(k.session, data)
	if err != nil {
		return nil, fmt.Errorf("%w: sign: %v", ErrToken, err)
	}
	if mech == pkcs11.CKM_ECDSA { // raw r||s to ASN.1
		if len(sig)%2 != 0 || len(sig) == 0 {
			return nil, fmt.Errorf("%w: bad ECDSA signature length", ErrToken)
		}
		n := len(sig) / 2
		return asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])})
	}
	return sig, nil
}
