package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"

	"github.com/miekg/pkcs11"

	"github.com/sohoa/sohoa/internal/l10n"
)

// ErrToken is returned when the USB token (PKCS#11) cannot be used.
var ErrToken = l10n.New("sign.token")

// OpenPKCS11 opens the token labelled tokenLabel (empty: the first token present) through
// the PKCS#11 module at modulePath (the vendor's .so/.dll), logs in with pin and returns a
// Signer for the first private key that has a matching certificate on the token. Call
// Close when done.
func OpenPKCS11(modulePath, tokenLabel, pin string) (s Signer, err error) {
	ctx := pkcs11.New(modulePath)
	if ctx == nil {
		return Signer{}, fmt.Errorf("%w: cannot load PKCS#11 module", ErrToken)
	}
	if err := ctx.Initialize(); err != nil {
		ctx.Destroy()
		return Signer{}, fmt.Errorf("%w: initialize: %v", ErrToken, err)
	}
	var session pkcs11.SessionHandle
	opened, loggedIn := false, false
	cleanup := func() error {
		if loggedIn {
			_ = ctx.Logout(session)
		}
		if opened {
			_ = ctx.CloseSession(session)
		}
		err := ctx.Finalize()
		ctx.Destroy()
		return err
	}
	defer func() {
		if err != nil {
			_ = cleanup()
		}
	}()
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return Signer{}, fmt.Errorf("%w: list slots: %v", ErrToken, err)
	}
	slot, found := uint(0), false
	for _, sl := range slots {
		ti, err := ctx.GetTokenInfo(sl)
		if err != nil {
			continue
		}
		if tokenLabel == "" || strings.TrimRight(ti.Label, " \x00") == tokenLabel {
			slot, found = sl, true
			break
		}
	}
	if !found {
		return Signer{}, fmt.Errorf("%w: token not found", ErrToken)
	}
	if session, err = ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION); err != nil {
		return Signer{}, fmt.Errorf("%w: open session: %v", ErrToken, err)
	}
	opened = true
	if err = ctx.Login(session, pkcs11.CKU_USER, pin); err != nil {
		return Signer{}, fmt.Errorf("%w: login: %v", ErrToken, err)
	}
	loggedIn = true

	type certObj struct {
		id   []byte
		cert *x509.Certificate
	}
	var certs []certObj
	handles, err := findObjects(ctx, session, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE)})
	if err != nil {
		return Signer{}, err
	}
	for _, h := range handles {
		attrs, err := ctx.GetAttributeValue(session, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, nil), pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
		if err != nil || len(attrs) != 2 {
			continue
		}
		c, err := x509.ParseCertificate(attrs[1].Value)
		if err != nil {
			continue
		}
		certs = append(certs, certObj{attrs[0].Value, c})
	}
	keys, err := findObjects(ctx, session, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)})
	if err != nil {
		return Signer{}, err
	}
	for _, h := range keys {
		attrs, err := ctx.GetAttributeValue(session, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, nil)})
		if err != nil || len(attrs) != 1 {
			continue
		}
		for _, c := range certs {
			if !bytes.Equal(c.id, attrs[0].Value) || c.cert.IsCA {
				continue
			}
			chain := []*x509.Certificate{c.cert}
			// Append issuers found on the token.
			for cur := c.cert; len(chain) < 8; {
				var next *x509.Certificate
				for _, o := range certs {
					if o.cert != cur && bytes.Equal(o.cert.RawSubject, cur.RawIssuer) && cur.CheckSignatureFrom(o.cert) == nil {
						next = o.cert
						break
					}
				}
				if next == nil || bytes.Equal(next.RawSubject, next.RawIssuer) {
					break
				}
				chain = append(chain, next)
				cur = next
			}
			key := &p11Key{ctx: ctx, session: session, handle: h, pub: c.cert.PublicKey}
			signer, err := NewSigner(key, chain)
			if err != nil {
				continue
			}
			signer.close = cleanup
			return signer, nil
		}
	}
	return Signer{}, fmt.Errorf("%w: no private key with a certificate on the token", ErrToken)
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
