package workflow

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa/sohoa/internal/archive"
	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/wire"
)

// Signing a batch (DESIGN.md §5): the approving supervisor signs each document's searchable
// PDF with their own key (a PKCS#12 file or a PKCS#11 token), then the batch manifest. The
// order is the durability order: each signed PDF is a durable blob before the one
// transaction (queue.MarkSignedAnchored) that records them all with the manifest and moves
// the batch approved → signed; a signing stopped before that transaction leaves the batch
// approved and unsigned (its blobs, named by no row, are swept later).

// SignerSource says where the signing key is: a PKCS#12 file, or a token through its
// PKCS#11 module.
type SignerSource struct {
	P12File string
	Module  string // the token vendor's PKCS#11 module (.so/.dll)
	// The token: in Slot when HasSlot, else labelled Token, else the first one present.
	Token   string
	Slot    uint
	HasSlot bool
	// CertSHA256 picks one certificate on a token holding several ("": the first with a key).
	CertSHA256 string
}

// ErrNoSignerSource: neither a .p12 file nor a token module was given, or both were.
var ErrNoSignerSource = l10n.New("workflow.noSignerSource")

func (s SignerSource) check() error {
	if (s.P12File == "") == (s.Module == "") {
		return ErrNoSignerSource
	}
	return nil
}

// ErrNoPIN: the face gave no way to ask for the PIN.
var ErrNoPIN = l10n.New("workflow.noPIN")

// PINRequest tells a face what the PIN is asked for, so that it can say so.
type PINRequest struct {
	Token bool   // a token's PIN (else a .p12 file's password)
	Name  string // the .p12 file's base name, or the token's label
	// Cert is the certificate that will sign, when it is known before the PIN (a token's
	// certificates are public); nil for a .p12 file.
	Cert *CertInfo
}

// PINFunc asks for the PIN or password. It is called once, after every check that can be
// made without it; the value is used to open the key and dropped. A face must not keep it
// nor log it.
type PINFunc func(ctx context.Context, req PINRequest) (string, error)

// SignInput is what SignBatch needs.
type SignInput struct {
	BatchID string
	Source  SignerSource
	PIN     PINFunc
	TSAURL  string // RFC 3161 timestamp server ("" = the sign.tsa_url setting; none: signing works offline)
	// Profile is the signature format ("" = the sign.profile setting, else PAdES B-T with a
	// timestamp server and B-B without).
	Profile string
	// Override is an administrator-approver's reason to sign with a certificate bound to
	// nobody ("" = none); it is recorded and audited by the store.
	Override string
	// Lang is the language of the PDFs' titles ("vi" unless "en").
	Lang string
}

// SignedDocument is one document's signed PDF.
type SignedDocument struct {
	DocumentID int64
	Seq        int
	PDFSHA256  string
	PDFSize    int64
	Pages      int
}

// SignResult is a signed batch.
type SignResult struct {
	BatchID, BatchName string
	Signer             string // the approver's full name
	Cert               CertInfo
	Override           bool
	Documents          []SignedDocument
	Pages              int
	PDFBytes           int64
}

// Steps of SignBatch's events.
const (
	StepKey      = "key"      // opening the key (after the PIN)
	StepDocument = "document" // one document signed (Detail: SignedDocument)
	StepManifest = "manifest" // recording the batch
)

// CertificateError refuses a signing certificate itself (no personal data: dates and the
// certificate's fingerprint only).
type CertificateError struct {
	Reason    string // "expired", "not_yet_valid", "untrusted", "usage"
	NotBefore time.Time
	NotAfter  time.Time
	SHA256    string
	Detail    string // why the chain does not verify (untrusted)
}

// ErrCertificate matches every *CertificateError.
var ErrCertificate = l10n.New("workflow.certificate")

func (e *CertificateError) Error() string { return e.Localize(l10n.Vi) + " / " + e.Localize(l10n.En) }
func (e *CertificateError) Unwrap() error { return ErrCertificate }

// Localize is the message in lang: what is wrong with the certificate and what to do.
func (e *CertificateError) Localize(lang string) string {
	lang = l10n.Lang(lang)
	date := func(t time.Time) string { return l10n.Date(lang, t) }
	switch e.Reason {
	case "expired":
		return l10n.T(lang, "workflow.cert.expired", l10n.Args{"Date": date(e.NotAfter)})
	case "not_yet_valid":
		return l10n.T(lang, "workflow.cert.notYetValid", l10n.Args{"Date": date(e.NotBefore)})
	case "usage":
		return l10n.T(lang, "workflow.cert.usage")
	}
	return l10n.T(lang, "workflow.cert.untrusted")
}

// CheckCertificate refuses a certificate that cannot sign now: expired, not yet valid, not
// for signing, or (when the workstation has a trust store) not chaining to it.
func (w *Workflow) CheckCertificate(ctx context.Context, chain []*x509.Certificate, now time.Time) error {
	if len(chain) == 0 || chain[0] == nil {
		return sign.ErrNoCertificate
	}
	c := chain[0]
	ce := &CertificateError{NotBefore: c.NotBefore, NotAfter: c.NotAfter, SHA256: queue.CertSHA256(c)}
	switch {
	case now.After(c.NotAfter):
		ce.Reason = "expired"
		return ce
	case now.Before(c.NotBefore):
		ce.Reason = "not_yet_valid"
		return ce
	case c.KeyUsage != 0 && c.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0:
		ce.Reason = "usage"
		return ce
	}
	roots, err := w.TrustRoots(ctx)
	if err != nil {
		return &SettingError{Key: SettingTrustStore, Reason: "trust_store", Detail: err.Error()}
	}
	if roots == nil {
		return nil
	}
	inter := x509.NewCertPool()
	for _, ic := range chain[1:] {
		inter.AddCert(ic)
	}
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		ce.Reason, ce.Detail = "untrusted", err.Error()
		return ce
	}
	return nil
}

// CanSign tells whether actor may sign the batch now (approved by them, four-eyes, office),
// before any key or PIN: the sign screen asks it to say why not at once.
func (w *Workflow) CanSign(ctx context.Context, actor queue.User, batchID string) error {
	if err := w.Store.AuthorizeSigning(ctx, actor, batchID); err != nil {
		return err
	}
	return w.Store.CheckBatchOffice(ctx, batchID)
}

// SignBatch signs an approved batch: every check that needs no key first (the approving
// supervisor, four-eyes, the batch's office; for a token also its certificate: valid, bound
// to actor), then the PIN, the key and the certificate checks again, then one signed PDF per
// document (progress after each; cancelling stops between documents and records nothing),
// then the signed manifest and the batch's move to signed in one transaction.
func (w *Workflow) SignBatch(ctx context.Context, actor queue.User, in SignInput, progress Progress) (SignResult, error) {
	var res SignResult
	if err := in.Source.check(); err != nil {
		return res, err
	}
	if _, err := sign.ParseProfile(in.Profile); err != nil {
		return res, err // before the PIN is asked
	}
	st := w.Store
	b, err := st.Batch(ctx, in.BatchID)
	if err != nil {
		return res, err
	}
	res.BatchID, res.BatchName = b.ID, b.Name
	// Refuse before asking for the PIN: only the approving supervisor signs (four-eyes), and
	// only a batch of the workstation's office.
	if err := w.CanSign(ctx, actor, b.ID); err != nil {
		return res, err
	}
	// A batch that is an archive file (its own archive data) is signed only complete: the
	// data goes into every PDF and the manifest (archive.go).
	arch, err := w.signingArchive(ctx, b)
	if err != nil {
		return res, err
	}
	ws, err := st.WorkstationID(ctx)
	if err != nil {
		return res, err
	}
	req := PINRequest{Name: filepath.Base(in.Source.P12File)}
	if in.Source.Module != "" {
		// A token's certificates are read without the PIN: check the one that will sign.
		tok, certs, err := w.tokenCerts(ctx, in.Source)
		if err != nil {
			return res, err
		}
		req.Token, req.Name = true, tok.Label
		if c := pickTokenCert(certs, in.Source.CertSHA256); c != nil {
			req.Cert = c
			if err := w.CheckCertificate(ctx, []*x509.Certificate{c.cert}, time.Now()); err != nil {
				return res, err
			}
			if err := st.CheckSigner(ctx, actor, b.ID, queue.SigningKey{Cert: c.cert, Override: in.Override}); err != nil {
				return res, err
			}
		} else if in.Source.CertSHA256 != "" {
			return res, sign.ErrNoTokenKey
		}
		in.Source.Slot, in.Source.HasSlot = tok.Slot, true
	}
	if in.PIN == nil {
		return res, ErrNoPIN
	}
	// The PIN lives only inside this call: asked, used to open the key, gone.
	signer, err := func() (sign.Signer, error) {
		pin, err := in.PIN(ctx, req)
		if err != nil {
			return sign.Signer{}, err
		}
		if err := ctx.Err(); err != nil {
			return sign.Signer{}, err
		}
		progress.Report(Event{Op: "sign", Step: StepKey})
		return openSigner(in.Source, pin)
	}()
	if err != nil {
		return res, err
	}
	defer signer.Close()
	if err := w.signFormat(ctx, &signer, in); err != nil {
		return res, err
	}
	now := time.Now()
	// The key must be valid and the approver's own (registered by an administrator), checked
	// before any PDF is signed; MarkSigned checks the binding again in its transaction.
	if err := w.CheckCertificate(ctx, signer.Chain, now); err != nil {
		return res, err
	}
	key := queue.SigningKey{Cert: signer.Chain[0], Override: in.Override}
	if err := st.CheckSigner(ctx, actor, b.ID, key); err != nil {
		return res, err
	}
	res.Signer, res.Cert = actor.FullName, certInfo(signer.Chain[0], "")
	res.Override = strings.TrimSpace(in.Override) != "" && !w.boundTo(ctx, actor, signer.Chain[0])

	rtName := w.recordTypeName(ctx, b.RecordType, in.Lang)
	copyStamp, err := w.copyStamp(ctx, b, now)
	if err != nil {
		return res, err
	}
	docs, err := st.Documents(ctx, b.ID)
	if err != nil {
		return res, err
	}
	office := b.Office // the batch's office, and only it, goes into record.json, the manifest and the signature
	var signed []queue.SignedDocument
	var mdocs []wire.Document
	progress.Report(Event{Op: "sign", Step: StepDocument, Total: len(docs)})
	for i, d := range docs {
		if err := ctx.Err(); err != nil {
			return res, err // between documents: nothing recorded, the batch stays approved
		}
		pdf, pages, adoc, err := w.documentPDF(ctx, b, office, d, actor, rtName, in.Lang, now, copyStamp, arch)
		if err != nil {
			return res, &DocumentError{DocumentID: d.ID, Seq: d.Seq, Err: err}
		}
		out, err := sign.Sign(pdf, signer, sign.SignInfo{Name: actor.FullName, Reason: "Phê duyệt hồ sơ số hóa / Approved digitized record",
			Location: office, Time: now})
		if err != nil {
			return res, &DocumentError{DocumentID: d.ID, Seq: d.Seq, Err: err}
		}
		h, err := st.Blobs.Put(out) // durable before the row that names it
		if err != nil {
			return res, err
		}
		signed = append(signed, queue.SignedDocument{DocumentID: d.ID, PDFSHA256: h, PDFSize: int64(len(out)), Signer: signer.Chain[0].Subject.CommonName})
		mdocs = append(mdocs, wire.Document{ID: strconv.FormatInt(d.ID, 10), PDFSHA256: h, PDFSize: int64(len(out)), Pages: pages, Archive: adoc})
		sd := SignedDocument{DocumentID: d.ID, Seq: d.Seq, PDFSHA256: h, PDFSize: int64(len(out)), Pages: len(pages)}
		res.Documents = append(res.Documents, sd)
		res.Pages += len(pages)
		res.PDFBytes += int64(len(out))
		progress.Report(Event{Op: "sign", Step: StepDocument, Done: i + 1, Total: len(docs), Item: "document " + strconv.FormatInt(d.ID, 10), Detail: sd})
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	progress.Report(Event{Op: "sign", Step: StepManifest, Done: len(docs), Total: len(docs)})
	err = st.MarkSignedAnchored(ctx, actor, b.ID, key, signed, func(seq int64, head queue.AuditHead) ([]byte, error) {
		m := wire.Manifest{Version: wire.Version, BatchID: b.ID, WorkstationID: ws, Office: office, Seq: seq,
			RecordType: b.RecordType, CreatedAt: now.UTC().Truncate(time.Second), Documents: mdocs, Archive: arch}
		if head.Seq > 0 { // the audit chain's head, anchored in the signed manifest (queue/anchor.go)
			m.AuditHead = &wire.AuditHead{Seq: head.Seq, Hash: head.Hash}
		}
		if err := m.Validate(); err != nil {
			return nil, err
		}
		return sign.SignManifest(&m, signer)
	})
	if err != nil {
		return res, err
	}
	return res, nil
}

// DocumentError is a document that could not be built or signed (no personal data).
type DocumentError struct {
	DocumentID int64
	Seq        int
	Err        error
}

func (e *DocumentError) Error() string {
	return l10n.Both("workflow.document", l10n.Args{"ID": e.DocumentID}) + ": " + e.Err.Error()
}

// Localize is the message in lang: which document, then why.
func (e *DocumentError) Localize(lang string) string {
	return l10n.T(lang, "workflow.document", l10n.Args{"ID": e.DocumentID}) + ": " + l10n.Text(lang, e.Err)
}
func (e *DocumentError) Unwrap() error { return e.Err }

func openSigner(src SignerSource, pin string) (sign.Signer, error) {
	if src.P12File != "" {
		return sign.LoadPKCS12(src.P12File, pin)
	}
	return sign.OpenPKCS11Key(sign.PKCS11Key{Module: src.Module, Slot: src.Slot, HasSlot: src.HasSlot, Label: src.Token,
		CertSHA256: src.CertSHA256}, pin)
}

// boundTo reports whether cert's key is bound to actor.
func (w *Workflow) boundTo(ctx context.Context, actor queue.User, cert *x509.Certificate) bool {
	certs, err := w.Store.UserCerts(ctx, actor.Username)
	if err != nil {
		return false
	}
	id := queue.KeyID(cert)
	for _, c := range certs {
		if c.KeyID == id {
			return true
		}
	}
	return false
}

// recordTypeName is the record type's name in lang, else its key.
func (w *Workflow) recordTypeName(ctx context.Context, key, lang string) string {
	if rt, err := w.RecordType(key); err == nil {
		if lang == "en" {
			return rt.NameEn
		}
		return rt.NameVi
	}
	if ts, err := w.Store.RecordTypes(ctx); err == nil {
		for _, t := range ts {
			if t.Key == key {
				if lang == "en" {
					return t.NameEn
				}
				return t.NameVi
			}
		}
	}
	return key
}

// recordJSON is the record's data embedded in its PDF (record.json).
type recordJSON struct {
	BatchID    string            `json:"batch_id"`
	DocumentID int64             `json:"document_id"`
	Seq        int               `json:"seq"`
	RecordType string            `json:"record_type"`
	Office     string            `json:"office"`
	ApprovedBy string            `json:"approved_by"`
	Fields     []recordJSONField `json:"fields"`
}

type recordJSONField struct {
	Key        string  `json:"key"`
	Value      string  `json:"value"`
	Source     string  `json:"source"`
	Confidence float64 `json:"confidence,omitempty"`
}

// documentPDF assembles one document's searchable PDF from its stored page images, the OCR
// words already stored (no second OCR pass) and its current field values, and lists its page
// blobs for the manifest. office is the one the manifest gets too.
//
// With arch (the batch is an archive file) it also returns the document's archive data, which
// goes into the PDF's metadata (sign.DocumentInput.Archive) and the manifest.
func (w *Workflow) documentPDF(ctx context.Context, b queue.Batch, office string, d queue.Document, approver queue.User, rtName, lang string, now time.Time,
	copyStamp *sign.CopyStamp, arch *archive.File) ([]byte, []wire.Page, *archive.Document, error) {
	st := w.Store
	pages, err := st.Pages(ctx, d.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	var adoc *archive.Document
	var props []archive.Property
	if arch != nil {
		own, err := st.DocumentArchive(ctx, d.ID)
		if err != nil {
			return nil, nil, nil, err
		}
		ad := archive.DocumentFor(*arch, own, d.Seq, len(pages))
		adoc, props = &ad, archive.Properties(*arch, ad)
	}
	var in []sign.PageInput
	var mp []wire.Page
	for _, p := range pages {
		img, err := st.PageImage(p)
		if err != nil {
			return nil, nil, nil, err
		}
		var words []sign.Word
		if res, err := st.OCR(ctx, p.ID); err == nil {
			words = make([]sign.Word, len(res.Words))
			for i, w := range res.Words {
				words[i] = sign.Word(w)
			}
		} else if !errors.Is(err, queue.ErrNotFound) {
			return nil, nil, nil, err
		}
		in = append(in, sign.PageInput{Image: img, DPI: p.DPI, Words: words})
		mp = append(mp, wire.Page{SHA256: p.Blob, Size: int64(len(img))})
	}
	fields, err := st.Fields(ctx, d.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	rec := recordJSON{BatchID: b.ID, DocumentID: d.ID, Seq: d.Seq, RecordType: b.RecordType, Office: office,
		ApprovedBy: approver.FullName, Fields: []recordJSONField{}}
	for _, f := range fields {
		rec.Fields = append(rec.Fields, recordJSONField{Key: f.Key, Value: f.Value, Source: string(f.Source), Confidence: f.Confidence})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rec); err != nil {
		return nil, nil, nil, err
	}
	word := "hồ sơ"
	if lang == "en" {
		word = "document"
	}
	pdf, err := sign.BuildPDF(sign.DocumentInput{
		Title:    fmt.Sprintf("%s — %s %d", rtName, word, d.Seq),
		Author:   approver.FullName,
		Subject:  b.Name,
		Keywords: b.RecordType + ", " + b.ID,
		Created:  now,
		Pages:    in, FieldsJSON: buf.Bytes(), AttachmentName: sign.RecordAttachment,
		Copy: copyStamp, Metadata: archiveMetadata(props),
	})
	return pdf, mp, adoc, err
}

// CertInfo describes a certificate for people: whose it is, who issued it, until when.
type CertInfo struct {
	Subject   string // the holder's name (subject common name)
	Issuer    string // issuer common name (or organisation)
	Serial    string
	NotBefore time.Time
	NotAfter  time.Time
	SHA256    string // fingerprint of the certificate
	KeyID     string // SHA-256 of its public key: what binds it to a user (queue.KeyID)
	CA        bool
	Label     string // the object's label on a token
	BoundTo   string // the user name the key is registered to ("" when nobody)

	cert *x509.Certificate
}

// Certificate is the certificate itself.
func (c CertInfo) Certificate() *x509.Certificate { return c.cert }

// ValidAt tells whether the certificate is within its validity period at t.
func (c CertInfo) ValidAt(t time.Time) bool { return !t.Before(c.NotBefore) && !t.After(c.NotAfter) }

func certInfo(c *x509.Certificate, label string) CertInfo {
	issuer := c.Issuer.CommonName
	if issuer == "" && len(c.Issuer.Organization) > 0 {
		issuer = c.Issuer.Organization[0]
	}
	return CertInfo{Subject: c.Subject.CommonName, Issuer: issuer, Serial: c.SerialNumber.Text(16), NotBefore: c.NotBefore,
		NotAfter: c.NotAfter, SHA256: queue.CertSHA256(c), KeyID: queue.KeyID(c), CA: c.IsCA, Label: label, cert: c}
}

// withBindings fills BoundTo from the store's registered signing certificates.
func (w *Workflow) withBindings(ctx context.Context, infos []CertInfo) ([]CertInfo, error) {
	bound, err := w.Store.UserCerts(ctx, "")
	if err != nil {
		return nil, err
	}
	owner := map[string]string{}
	for _, b := range bound {
		owner[b.KeyID] = b.Username
	}
	for i := range infos {
		infos[i].BoundTo = owner[infos[i].KeyID]
	}
	return infos, nil
}

// TokenInfo is a signing token a PKCS#11 module sees.
type TokenInfo struct {
	Slot                                uint
	Label, Manufacturer, Model, Serial  string
	PINLocked, PINFinalTry, PINCountLow bool
}

// ListTokens lists the tokens the module sees (no PIN).
func (w *Workflow) ListTokens(ctx context.Context, module string) ([]TokenInfo, error) {
	toks, err := sign.ListTokens(module)
	if err != nil {
		return nil, err
	}
	out := make([]TokenInfo, 0, len(toks))
	for _, t := range toks {
		out = append(out, TokenInfo(t))
	}
	return out, nil
}

// TokenCertificates lists the signing certificates on the token in slot, holders' names and
// expiry, with whom each is registered to (no PIN: certificates are public). Issuer (CA)
// certificates are left out.
func (w *Workflow) TokenCertificates(ctx context.Context, module string, slot uint) ([]CertInfo, error) {
	certs, err := sign.TokenCertificates(module, slot)
	if err != nil {
		return nil, err
	}
	var out []CertInfo
	for _, c := range certs {
		if !c.Cert.IsCA {
			out = append(out, certInfo(c.Cert, c.Label))
		}
	}
	return w.withBindings(ctx, out)
}

// P12Certificates opens a .p12 file with its password and describes its signing certificate
// (the password is dropped).
func (w *Workflow) P12Certificates(ctx context.Context, file, password string) ([]CertInfo, error) {
	s, err := sign.LoadPKCS12(file, password)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return w.withBindings(ctx, []CertInfo{certInfo(s.Chain[0], filepath.Base(file))})
}

// tokenCerts finds the token src names and its signing certificates.
func (w *Workflow) tokenCerts(ctx context.Context, src SignerSource) (TokenInfo, []CertInfo, error) {
	toks, err := w.ListTokens(ctx, src.Module)
	if err != nil {
		return TokenInfo{}, nil, err
	}
	for _, t := range toks {
		if src.HasSlot && t.Slot == src.Slot || !src.HasSlot && (src.Token == "" || t.Label == src.Token) {
			if t.PINLocked {
				return t, nil, sign.ErrPINLocked
			}
			certs, err := w.TokenCertificates(ctx, src.Module, t.Slot)
			return t, certs, err
		}
	}
	return TokenInfo{}, nil, sign.ErrTokenNotFound
}

// pickTokenCert is the certificate that will sign: the one asked for, else the only one.
func pickTokenCert(certs []CertInfo, want string) *CertInfo {
	want = strings.ToLower(strings.TrimSpace(want))
	for i := range certs {
		if want != "" && certs[i].SHA256 == want {
			return &certs[i]
		}
	}
	if want == "" && len(certs) == 1 {
		return &certs[0]
	}
	return nil
}

// signFormat sets the signer's timestamp server and profile from the input, else from the
// settings; B-LT completes the chain from the trust store.
func (w *Workflow) signFormat(ctx context.Context, signer *sign.Signer, in SignInput) error {
	signer.TSAURL = in.TSAURL
	var err error
	if signer.Profile, err = sign.ParseProfile(in.Profile); err != nil {
		return err
	}
	if w.Store != nil {
		if signer.TSAURL == "" {
			v, err := w.Store.Setting(ctx, SettingTSAURL)
			if err != nil {
				return err
			}
			signer.TSAURL = v
		}
		if signer.Profile == "" {
			v, err := w.Store.Setting(ctx, SettingSignProfile)
			if err != nil {
				return err
			}
			if signer.Profile, err = sign.ParseProfile(v); err != nil {
				return err
			}
		}
	}
	if signer.Profile == sign.ProfileBLT {
		roots, err := w.TrustRoots(ctx)
		if err != nil {
			return err
		}
		signer.Roots = roots
	}
	return nil
}

// copyStamp is the copy information of a digitised copy (Decree 30/2020/NĐ-CP) when the
// batch is signed as one: the setting sign.copy_form.batch.<batch ID>, else
// sign.copy_form.<record type>, else sign.copy_form; the organisation is sign.copy_organization, else the batch's office.
func (w *Workflow) copyStamp(ctx context.Context, b queue.Batch, now time.Time) (*sign.CopyStamp, error) {
	var form string
	for _, k := range []string{SettingCopyForm + ".batch." + b.ID, SettingCopyForm + "." + b.RecordType, SettingCopyForm} {
		v, err := w.Store.Setting(ctx, k)
		if err != nil {
			return nil, err
		}
		if v != "" {
			form = v
			break
		}
	}
	form, err := sign.ParseCopyForm(form)
	if err != nil || form == "" {
		return nil, err
	}
	org, err := w.Store.Setting(ctx, SettingCopyOrganization)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(org) == "" {
		org = b.Office
	}
	return &sign.CopyStamp{Form: form, Organization: org, Time: now}, nil
}

// signingArchive is the archive-file data a batch is signed with: nil when the batch has no
// archive data of its own; else the merged data, counted (documents, pages) and complete.
func (w *Workflow) signingArchive(ctx context.Context, b queue.Batch) (*archive.File, error) {
	f, isFile, err := w.Store.BatchArchive(ctx, b.ID)
	if err != nil || !isFile {
		return nil, err
	}
	docs, err := w.Store.Documents(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	f.Documents, f.Pages = len(docs), 0
	for _, d := range docs {
		f.Pages += d.Pages
	}
	if err := f.Complete(); err != nil {
		return nil, err
	}
	return &f, nil
}

// archiveMetadata is the archive properties as the PDF/A writer's XMP metadata (namespace
// archive.Namespace = sign.ArchiveNS); nil without archive data.
func archiveMetadata(props []archive.Property) map[string]string {
	if len(props) == 0 {
		return nil
	}
	m := make(map[string]string, len(props))
	for _, p := range props {
		m[p.Name] = p.Value
	}
	return m
}
