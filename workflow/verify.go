package workflow

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/wire"
)

// VerifyOptions are the verifier's: a trust store (Roots; nil trusts nobody) or
// IntegrityOnly.
type VerifyOptions = sign.VerifyOptions

// Change is one change made to a PDF after a signature (sign.Change: Text(lang) says it).
type Change = sign.Change

// TrustOptions are the verify options for a trust store given by path, else the
// workstation's trust store (settings), else none; integrityOnly skips trust.
func (w *Workflow) TrustOptions(ctx context.Context, trustPath string, integrityOnly bool) (VerifyOptions, error) {
	opts := VerifyOptions{IntegrityOnly: integrityOnly}
	if integrityOnly {
		return opts, nil
	}
	var err error
	if trustPath != "" {
		opts.Roots, err = LoadTrustStore(trustPath)
		return opts, err
	}
	opts.Roots, err = w.TrustRoots(ctx)
	return opts, err
}

// SignatureReport is one signature of a PDF, for people: who signed, when, what it covers,
// whether it is intact and trusted, and what changed after it.
type SignatureReport struct {
	Index     int    // 1-based, in signing order
	Name      string // the name in the signature dictionary (as the signer wrote it)
	Signer    string // the certificate's holder (subject common name)
	Issuer    string
	CertUntil time.Time // the signer certificate's expiry
	SubFilter string
	// Level: the PAdES baseline level found ("B-B", "B-T", "B-LT"), "adbe" for the older
	// adbe.pkcs7 format, "" when not intact or not baseline (sign.SignatureResult.Level).
	Level string
	// Timestamp: a document timestamp, not a person's signature. Certification: a
	// certification signature (DocMDP P: 1 no changes, 2 form filling, 3 also annotations).
	Timestamp     bool
	Certification bool
	DocMDP        int
	Reason        string
	Location      string
	SigningTime   time.Time // claimed by the signer, or the timestamp's
	TimestampTime time.Time // a verified RFC 3161 signature timestamp (zero: none)
	// What it covers: the file up to CoveredBytes of FileSize (all of it when CoversWholeFile).
	CoversWholeFile bool
	CoveredBytes    int64
	FileSize        int64
	Intact          bool
	Trusted         bool // intact and the signer trusted
	// SignerTrusted: the signer's certificate chains to the trust store, whatever the state
	// of the signature (a broken signature of a trusted signer is not Trusted).
	SignerTrusted  bool
	TrustError     string
	ModifiedAfter  bool // changed after signing in a way its permissions do not allow
	CannotVerify   bool
	Problems       []string // technical, in English, no personal data
	Changes        []Change // what changed after signing that is not allowed (Text(lang))
	AllowedChanges []Change // what changed after it that ISO 32000-2 allows (a later signature, …)
}

// FileReport is the verification of one PDF.
type FileReport struct {
	File       string // the path (or the document's name inside a batch)
	Size       int64
	Intact     bool // every signature intact
	Trusted    bool // intact and every signer trusted (never with IntegrityOnly)
	Signatures []SignatureReport
}

// VerifyFile checks every signature of the PDF at path. The error is for a file that cannot
// be read, is not a PDF or has no signature; everything else is in the report.
func (w *Workflow) VerifyFile(ctx context.Context, path string, opts VerifyOptions) (FileReport, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return FileReport{File: path}, &FileError{Name: filepath.Base(path), Err: err}
	}
	return w.VerifyPDF(ctx, path, data, opts)
}

// FileError: a file to verify could not be read (its name, not its path, in the message).
type FileError struct {
	Name string
	Err  error
}

func (e *FileError) Error() string { return e.Name + ": " + e.Err.Error() }

// Localize is the message in lang: which file, then why.
func (e *FileError) Localize(lang string) string {
	return l10n.T(lang, "workflow.file", l10n.Args{"Name": e.Name}) + ": " + l10n.Text(lang, e.Err)
}
func (e *FileError) Unwrap() error { return e.Err }

// VerifyPDF is VerifyFile for bytes already read; name labels the report.
func (w *Workflow) VerifyPDF(ctx context.Context, name string, data []byte, opts VerifyOptions) (FileReport, error) {
	fr := FileReport{File: name, Size: int64(len(data))}
	if err := ctx.Err(); err != nil {
		return fr, err
	}
	rep, err := sign.Verify(data, opts)
	if err != nil {
		return fr, err
	}
	fr.Intact, fr.Trusted = rep.Intact, rep.Trusted
	for i, s := range rep.Signatures {
		fr.Signatures = append(fr.Signatures, signatureReport(i+1, s, int64(len(data))))
	}
	return fr, nil
}

func signatureReport(i int, s sign.SignatureResult, size int64) SignatureReport {
	r := SignatureReport{Index: i, Name: s.Name, SubFilter: s.SubFilter, Level: s.Level, Timestamp: s.Timestamp, Certification: s.Certification,
		DocMDP: s.DocMDP, Reason: s.Reason, Location: s.Location, SigningTime: s.SigningTime, TimestampTime: s.TimestampTime,
		CoversWholeFile: s.CoversWholeFile, FileSize: size, Intact: s.Intact, Trusted: s.Trusted, TrustError: s.TrustError,
		ModifiedAfter: s.ModifiedAfterSigning, CannotVerify: s.CannotVerify, Problems: s.Problems, Changes: s.ChangeDetails,
		AllowedChanges: s.AllowedChanges}
	if s.Signer != nil {
		ci := certInfo(s.Signer, "")
		r.Signer, r.Issuer, r.CertUntil = ci.Subject, ci.Issuer, ci.NotAfter
		r.SignerTrusted = s.TrustError == ""
	}
	if n := len(s.ByteRange); n == 4 {
		r.CoveredBytes = s.ByteRange[2] + s.ByteRange[3]
	}
	return r
}

// BatchProblem is one thing wrong with a signed batch (Text(lang) says it).
type BatchProblem struct {
	// Kind: "manifest" (damaged or its signature fails: Err), "manifest_untrusted" (Detail:
	// why), "other_batch", "count" (Have PDFs listed, Want signed), "not_in_manifest",
	// "hash_differs", "page_blob" (Page, Err), "pdf_changed", "pdf_error" (Err), "broken",
	// "no_signed".
	Kind       string
	DocumentID int64
	Page       int
	Have, Want int
	Detail     string
	Err        error
}

// Text is the problem in lang ("en" or Vietnamese).
func (p BatchProblem) Text(lang string) string {
	en := lang == "en"
	t := func(e, v string) string {
		if en {
			return e
		}
		return v
	}
	doc := fmt.Sprintf("%s %d", t("document", "hồ sơ"), p.DocumentID)
	switch p.Kind {
	case "manifest", "pdf_error":
		s := errString(p.Err)
		if p.Kind == "pdf_error" {
			s = doc + ": " + s
		}
		return s
	case "manifest_untrusted":
		return t("manifest signer not trusted: ", "người ký bản kê không được tin cậy: ") + p.Detail
	case "other_batch":
		return t("the manifest names another batch", "bản kê ghi lô khác")
	case "count":
		return fmt.Sprintf(t("the manifest lists %d documents, the batch has %d signed PDFs", "bản kê có %d hồ sơ, lô có %d PDF đã ký"), p.Have, p.Want)
	case "not_in_manifest":
		return doc + t(": not in the manifest", ": không có trong bản kê")
	case "hash_differs":
		return doc + t(": PDF hash or size differs from the manifest", ": mã băm hoặc cỡ PDF khác bản kê")
	case "page_blob":
		return fmt.Sprintf("%s %s %d: %v", doc, t("page", "trang"), p.Page, errString(p.Err))
	case "pdf_changed":
		return doc + t(": the signed PDF file was changed", ": tệp PDF đã ký bị thay đổi")
	case "broken":
		return doc + t(": signature broken", ": chữ ký hỏng")
	case "no_signed":
		return t("the batch has no signed PDFs", "lô chưa có PDF đã ký")
	}
	return p.Kind
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// DocumentReport is one signed document of a batch.
type DocumentReport struct {
	DocumentID int64
	Seq        int
	PDFSHA256  string
	FileReport
	Err error // the PDF could not be read or verified at all
}

// BatchReport is the verification of a signed batch of the local store.
type BatchReport struct {
	BatchID, BatchName string
	Intact             bool // the manifest and every signed PDF verify and agree
	Trusted            bool // every signer is trusted (not looked at with IntegrityOnly)
	ManifestErr        error
	ManifestSigner     string
	Problems           []BatchProblem
	Documents          []DocumentReport
}

// VerifyBatch checks a signed batch in the local store: the manifest's signature, that it
// names exactly the batch's signed PDFs with their hashes and sizes, every page blob, and
// every signed PDF's signatures. The error is for a batch that cannot be read; everything
// found wrong is in the report.
func (w *Workflow) VerifyBatch(ctx context.Context, batchID string, opts VerifyOptions, progress Progress) (BatchReport, error) {
	st := w.Store
	b, err := st.Batch(ctx, batchID)
	if err != nil {
		return BatchReport{}, err
	}
	out := BatchReport{BatchID: b.ID, BatchName: b.Name, Intact: true, Trusted: true}
	fail := func(p BatchProblem) { out.Intact = false; out.Problems = append(out.Problems, p) }
	raw, _, err := st.BatchManifest(ctx, b.ID)
	if err != nil {
		return out, err
	}
	m, _, err := wire.DecodeManifest(bytes.NewReader(raw))
	if err != nil {
		m = nil
		out.ManifestErr = err
		fail(BatchProblem{Kind: "manifest", Err: err})
	} else if res, err := sign.VerifyManifest(m, opts); err != nil {
		out.ManifestErr = err
		fail(BatchProblem{Kind: "manifest", Err: err})
	} else {
		out.ManifestSigner = res.Signer.Subject.CommonName
		if !opts.IntegrityOnly && !res.Trusted {
			out.Trusted = false
			out.Problems = append(out.Problems, BatchProblem{Kind: "manifest_untrusted", Detail: res.TrustError})
		}
		if m.BatchID != b.ID {
			fail(BatchProblem{Kind: "other_batch"})
		}
	}
	sdocs, err := st.SignedDocuments(ctx, b.ID)
	if err != nil {
		return out, err
	}
	seqs := map[int64]int{}
	if docs, err := st.Documents(ctx, b.ID); err == nil {
		for _, d := range docs {
			seqs[d.ID] = d.Seq
		}
	}
	inManifest := map[string]wire.Document{}
	if m != nil {
		for _, d := range m.Documents {
			inManifest[d.ID] = d
		}
		if len(m.Documents) != len(sdocs) {
			fail(BatchProblem{Kind: "count", Have: len(m.Documents), Want: len(sdocs)})
		}
	}
	for i, sd := range sdocs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		name := fmt.Sprintf("document %d", sd.DocumentID)
		dr := DocumentReport{DocumentID: sd.DocumentID, Seq: seqs[sd.DocumentID], PDFSHA256: sd.PDFSHA256, FileReport: FileReport{File: name}}
		md, ok := inManifest[strconv.FormatInt(sd.DocumentID, 10)]
		switch {
		case m == nil:
		case !ok:
			fail(BatchProblem{Kind: "not_in_manifest", DocumentID: sd.DocumentID})
		case md.PDFSHA256 != sd.PDFSHA256 || md.PDFSize != sd.PDFSize:
			fail(BatchProblem{Kind: "hash_differs", DocumentID: sd.DocumentID})
		default:
			for i, p := range md.Pages {
				if err := st.Blobs.Verify(p.SHA256); err != nil {
					fail(BatchProblem{Kind: "page_blob", DocumentID: sd.DocumentID, Page: i + 1, Err: err})
				}
			}
		}
		data, err := st.Blobs.ReadUnchecked(sd.PDFSHA256)
		if errors.Is(err, queue.ErrBlobCorrupt) { // an encrypted PDF that does not authenticate
			fail(BatchProblem{Kind: "pdf_changed", DocumentID: sd.DocumentID})
		}
		if err == nil {
			if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sd.PDFSHA256 || int64(len(data)) != sd.PDFSize {
				fail(BatchProblem{Kind: "pdf_changed", DocumentID: sd.DocumentID})
			}
			var fr FileReport
			fr, err = w.VerifyPDF(ctx, name, data, opts)
			fr.File = name
			dr.FileReport = fr
		}
		if err != nil {
			dr.Err = err
			fail(BatchProblem{Kind: "pdf_error", DocumentID: sd.DocumentID, Err: err})
		} else {
			if !dr.Intact || len(dr.Signatures) == 0 {
				fail(BatchProblem{Kind: "broken", DocumentID: sd.DocumentID})
			}
			if !opts.IntegrityOnly && !dr.Trusted {
				out.Trusted = false
			}
		}
		out.Documents = append(out.Documents, dr)
		progress.Report(Event{Op: "verify", Step: StepDocument, Done: i + 1, Total: len(sdocs), Item: name})
	}
	if len(sdocs) == 0 {
		fail(BatchProblem{Kind: "no_signed"})
	}
	return out, nil
}

// SignedBatches lists the batches of the store that have been signed (signed or synced),
// newest first: the verify screen offers them.
func (w *Workflow) SignedBatches(ctx context.Context) ([]queue.Batch, error) {
	var out []queue.Batch
	for _, s := range []queue.State{queue.StateSigned, queue.StateSynced} {
		bs, err := w.Store.ListBatches(ctx, queue.BatchFilter{State: s})
		if err != nil {
			return nil, err
		}
		out = append(out, bs...)
	}
	return out, nil
}
