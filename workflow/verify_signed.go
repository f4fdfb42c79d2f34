package workflow

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/client"
	"github.com/sohoa/sohoa/sync/wire"
)

// signatureChecker is the store's queue.SignatureChecker: it verifies a signed batch
// manifest (sign.VerifyManifest: the CMS signature over the manifest; the signer's trust
// when a trust store is given), then reads each PDF the manifest names from the blob store
// (checked against the manifest's hash and size, so the manifest's signature vouches for
// every byte) and the record.json embedded in it, which holds the field values as signed.
// Server receipts are checked with the receipt key pinned at enrollment.
type signatureChecker struct {
	st   *queue.Store
	opts VerifyOptions
}

// UseSignatureChecker plugs the checker into the store (export and the audit check need
// it to compare signed batches with what was signed).
func (w *Workflow) UseSignatureChecker(opts VerifyOptions) {
	w.Store.SetSignatureChecker(signatureChecker{st: w.Store, opts: opts})
}

func (k signatureChecker) SignedBatch(ctx context.Context, batchID string, raw []byte, blobs *queue.BlobStore) (queue.SignedBatch, error) {
	var out queue.SignedBatch
	m, _, err := wire.DecodeManifest(bytes.NewReader(raw))
	if err != nil {
		return out, l10n.Wrap(err, "workflow.manifest.damaged")
	}
	if m.BatchID != batchID {
		return out, l10n.New("workflow.manifest.otherBatch")
	}
	res, err := sign.VerifyManifest(m, k.opts)
	if err != nil {
		return out, err
	}
	if !k.opts.IntegrityOnly && !res.Trusted {
		return out, l10n.New("workflow.manifest.untrusted", l10n.Args{"Detail": res.TrustError})
	}
	out.Signer = res.Signer.Subject.CommonName
	if m.AuditHead != nil {
		out.Head = &queue.AuditHead{Seq: m.AuditHead.Seq, Hash: m.AuditHead.Hash}
	}
	out.Records = map[int64][]queue.SignedField{}
	for _, d := range m.Documents {
		id, err := strconv.ParseInt(d.ID, 10, 64)
		if err != nil {
			return out, l10n.New("workflow.manifest.badDocID", l10n.Args{"ID": d.ID})
		}
		pdf, err := blobs.Get(d.PDFSHA256) // checked against the hash the manifest signs
		if err != nil {
			return out, l10n.Wrap(err, "workflow.signed.pdf", l10n.Args{"ID": id})
		}
		if int64(len(pdf)) != d.PDFSize {
			return out, l10n.New("workflow.signed.pdfSize", l10n.Args{"ID": id})
		}
		raw, err := sign.ReadRecord(ctx, pdf)
		if errors.Is(err, sign.ErrNoRecord) {
			// A signed PDF without record.json signed no field values: any value in the
			// database for this document is one that was not signed.
			out.Records[id] = []queue.SignedField{}
			continue
		}
		if err != nil {
			return out, l10n.Wrap(err, "workflow.signed.recordInPDF", l10n.Args{"ID": id})
		}
		var rec recordJSON
		if err := json.Unmarshal(raw, &rec); err != nil {
			return out, l10n.New("workflow.signed.recordDamaged", l10n.Args{"ID": id})
		}
		if rec.BatchID != batchID || rec.DocumentID != id {
			return out, l10n.New("workflow.signed.recordOther", l10n.Args{"ID": id})
		}
		fields := []queue.SignedField{}
		for _, f := range rec.Fields {
			fields = append(fields, queue.SignedField{Key: f.Key, Value: f.Value, Source: queue.FieldSource(f.Source)})
		}
		out.Records[id] = fields
	}
	return out, nil
}

func (k signatureChecker) Receipt(ctx context.Context, raw []byte) (queue.ReceiptInfo, error) {
	v, err := k.st.Setting(ctx, client.SettingReceiptKey)
	if err != nil {
		return queue.ReceiptInfo{}, err
	}
	pub, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return queue.ReceiptInfo{}, l10n.New("workflow.noReceiptKey")
	}
	r, err := wire.VerifyReceipt(ed25519.PublicKey(pub), raw)
	if err != nil {
		return queue.ReceiptInfo{}, err
	}
	info := queue.ReceiptInfo{BatchID: r.BatchID, ManifestSHA256: r.ManifestSHA256}
	if r.AuditHead != nil {
		info.Head = &queue.AuditHead{Seq: r.AuditHead.Seq, Hash: r.AuditHead.Hash}
	}
	return info, nil
}

// AuditCheck is everything the workstation can tell about its own history.
type AuditCheck struct {
	queue.AuditReport
	IntegrityErr error // SQLite's integrity check (nil: ok)
	Intact       bool
}

// CheckAudit checks the audit chain and its seals, the signed head file, the users, the
// batches' states, every signed batch's manifest signature (opts: trust), the audit heads in
// manifests and receipts, the field values of signed batches against their signed PDFs, and
// SQLite's integrity. Any signed-in user may run it.
func (w *Workflow) CheckAudit(ctx context.Context, opts VerifyOptions) (AuditCheck, error) {
	w.UseSignatureChecker(opts)
	rep, err := w.Store.CheckAudit(ctx)
	if err != nil {
		return AuditCheck{}, err
	}
	out := AuditCheck{AuditReport: rep, Intact: len(rep.Problems) == 0}
	if err := w.Store.IntegrityCheck(ctx); err != nil {
		out.IntegrityErr, out.Intact = err, false
	}
	return out, nil
}
