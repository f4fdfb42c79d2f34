package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/term"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sign"
	"github.com/sohoa/sohoa/sync/wire"
)

func init() {
	register(&command{name: "sign", usage: "--batch ID (--p12 FILE | --pkcs11 MODULE --token LABEL) [--tsa URL] [--pin-stdin] [--override-signer REASON]",
		summary: "sign an approved batch with your registered certificate: one searchable signed PDF per document and the signed manifest / ký số lô đã duyệt bằng chứng thư đã đăng ký", run: runSign})
}

// pin reads the PKCS#12 password or the token PIN: one line of standard input with
// --pin-stdin (after the sign-in password when --password-stdin is also given), else
// $SOHOA_PIN, else a prompt without echo on a terminal. It is never a command-line argument
// and is never printed or logged.
func (c *cmdCtx) pin(fromStdin bool) (string, error) {
	if fromStdin {
		return c.readLine()
	}
	if v := c.env.Getenv("SOHOA_PIN"); v != "" {
		return v, nil
	}
	if c.env.IsTerminal {
		fmt.Fprint(c.env.Stderr, c.t("PIN or certificate password: ", "Mã PIN hoặc mật khẩu chứng thư số: "))
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(c.env.Stderr)
		return string(b), err
	}
	return "", errors.New(c.t("no PIN: set SOHOA_PIN or use --pin-stdin", "thiếu mã PIN: đặt SOHOA_PIN hoặc dùng --pin-stdin"))
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

func runSign(ctx context.Context, c *cmdCtx, args []string) error {
	fs := c.newFlags("sign")
	batch := fs.String("batch", "", "")
	p12 := fs.String("p12", "", "")
	module := fs.String("pkcs11", "", "")
	token := fs.String("token", "", "")
	tsa := fs.String("tsa", "", "")
	pinStdin := fs.Bool("pin-stdin", false, "")
	override := fs.String("override-signer", "", "")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if *batch == "" || (*p12 == "") == (*module == "") {
		return usageError{c.t("--batch and either --p12 FILE or --pkcs11 MODULE --token LABEL are required",
			"cần --batch và một trong hai: --p12 TỆP hoặc --pkcs11 MODULE --token NHÃN")}
	}
	u, err := c.login(ctx)
	if err != nil {
		return err
	}
	st := c.store
	b, err := st.Batch(ctx, *batch)
	if err != nil {
		return err
	}
	// Refuse before asking for the PIN: only the approving supervisor signs (four-eyes), and
	// only a batch of the workstation's office.
	if err := st.AuthorizeSigning(ctx, u, b.ID); err != nil {
		return err
	}
	if err := st.CheckBatchOffice(ctx, b.ID); err != nil {
		return err
	}
	// The batch's office, and only it, goes into record.json, the manifest and the signature.
	office := b.Office
	ws, err := st.WorkstationID(ctx)
	if err != nil {
		return err
	}
	pin, err := c.pin(*pinStdin)
	if err != nil {
		return err
	}
	var signer sign.Signer
	if *p12 != "" {
		signer, err = sign.LoadPKCS12(*p12, pin)
	} else {
		signer, err = sign.OpenPKCS11(*module, *token, pin)
	}
	pin = ""
	if err != nil {
		return err
	}
	defer signer.Close()
	signer.TSAURL = *tsa
	// The key must be the approver's own (registered by an administrator), checked before any
	// PDF is signed; MarkSigned checks it again in the signing transaction.
	key := queue.SigningKey{Cert: signer.Chain[0], Override: *override}
	if err := st.CheckSigner(ctx, u, b.ID, key); err != nil {
		return err
	}

	rtName := b.RecordType
	if rt, err := c.recordType(ctx, b.RecordType); err == nil {
		rtName = c.t(rt.NameEn, rt.NameVi)
	}
	docs, err := st.Documents(ctx, b.ID)
	if err != nil {
		return err
	}
	now := time.Now()
	var signed []queue.SignedDocument
	var mdocs []wire.Document
	totalPDF, totalPages := int64(0), 0
	for _, d := range docs {
		pdf, pages, err := c.documentPDF(ctx, b, office, d, u, rtName, now)
		if err != nil {
			return fmt.Errorf("%s %d: %w", c.t("document", "hồ sơ"), d.ID, err)
		}
		out, err := sign.Sign(pdf, signer, sign.SignInfo{Name: u.FullName, Reason: "Phê duyệt hồ sơ số hóa / Approved digitized record",
			Location: office, Time: now})
		if err != nil {
			return fmt.Errorf("%s %d: %w", c.t("document", "hồ sơ"), d.ID, err)
		}
		h, err := st.Blobs.Put(out) // durable before the row that names it
		if err != nil {
			return err
		}
		signed = append(signed, queue.SignedDocument{DocumentID: d.ID, PDFSHA256: h, PDFSize: int64(len(out)), Signer: signer.Chain[0].Subject.CommonName})
		mdocs = append(mdocs, wire.Document{ID: strconv.FormatInt(d.ID, 10), PDFSHA256: h, PDFSize: int64(len(out)), Pages: pages})
		totalPDF += int64(len(out))
		totalPages += len(pages)
		if c.json {
			c.printJSONLine(map[string]any{"document": d.ID, "pdf_sha256": h, "pdf_size": len(out), "pages": len(pages)})
		}
	}
	err = st.MarkSignedAnchored(ctx, u, b.ID, key, signed, func(seq int64, head queue.AuditHead) ([]byte, error) {
		m := wire.Manifest{Version: wire.Version, BatchID: b.ID, WorkstationID: ws, Office: office, Seq: seq,
			RecordType: b.RecordType, CreatedAt: now.UTC().Truncate(time.Second), Documents: mdocs}
		if head.Seq > 0 { // the audit chain's head, anchored in the signed manifest (queue/anchor.go)
			m.AuditHead = &wire.AuditHead{Seq: head.Seq, Hash: head.Hash}
		}
		if err := m.Validate(); err != nil {
			return nil, err
		}
		return sign.SignManifest(&m, signer)
	})
	if err != nil {
		return err
	}
	if !c.json {
		perPage := int64(0)
		if totalPages > 0 {
			perPage = totalPDF / int64(totalPages)
		}
		fmt.Fprintf(c.env.Stdout, c.t("batch %s signed by %s: %d documents, %d pages, %d PDF bytes per page\n",
			"lô %s đã được %s ký: %d hồ sơ, %d trang, %d byte PDF mỗi trang\n"), b.ID, u.FullName, len(signed), totalPages, perPage)
	}
	return nil
}

// documentPDF assembles one document's searchable PDF from its stored page images, the OCR
// words already stored (no second OCR pass) and its current field values, and lists its page
// blobs for the manifest. office is the one the manifest gets too.
func (c *cmdCtx) documentPDF(ctx context.Context, b queue.Batch, office string, d queue.Document, approver queue.User, rtName string, now time.Time) ([]byte, []wire.Page, error) {
	st := c.store
	pages, err := st.Pages(ctx, d.ID)
	if err != nil {
		return nil, nil, err
	}
	var in []sign.PageInput
	var mp []wire.Page
	for _, p := range pages {
		img, err := st.PageImage(p)
		if err != nil {
			return nil, nil, err
		}
		var words []sign.Word
		if res, err := st.OCR(ctx, p.ID); err == nil {
			words = make([]sign.Word, len(res.Words))
			for i, w := range res.Words {
				words[i] = sign.Word(w)
			}
		} else if !errors.Is(err, queue.ErrNotFound) {
			return nil, nil, err
		}
		in = append(in, sign.PageInput{Image: img, DPI: p.DPI, Words: words})
		mp = append(mp, wire.Page{SHA256: p.Blob, Size: int64(len(img))})
	}
	fields, err := st.Fields(ctx, d.ID)
	if err != nil {
		return nil, nil, err
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
		return nil, nil, err
	}
	pdf, err := sign.BuildPDF(sign.DocumentInput{
		Title:    fmt.Sprintf("%s — %s %d", rtName, c.t("document", "hồ sơ"), d.Seq),
		Author:   approver.FullName,
		Subject:  b.Name,
		Keywords: b.RecordType + ", " + b.ID,
		Created:  now,
		Pages:    in, FieldsJSON: buf.Bytes(), AttachmentName: "record.json",
	})
	return pdf, mp, err
}

type jsonBatchVerify struct {
	Batch     string       `json:"batch"`
	Intact    bool         `json:"intact"`
	Trusted   bool         `json:"trusted"`
	Manifest  string       `json:"manifest"` // "ok" or the problem
	Signer    string       `json:"manifest_signer,omitempty"`
	Problems  []string     `json:"problems,omitempty"`
	Documents []jsonVerify `json:"documents"`
}

// verifyBatch checks a signed batch in the local store: the manifest's signature, that it
// names exactly the batch's signed PDFs with their hashes and sizes, every page blob, and
// every signed PDF's signatures.
func (c *cmdCtx) verifyBatch(ctx context.Context, batchID string, opts sign.VerifyOptions) error {
	st, err := c.open()
	if err != nil {
		return err
	}
	b, err := st.Batch(ctx, batchID)
	if err != nil {
		return err
	}
	out := jsonBatchVerify{Batch: b.ID, Intact: true, Trusted: true, Manifest: "ok", Documents: []jsonVerify{}}
	fail := func(msg string) { out.Intact = false; out.Problems = append(out.Problems, msg) }
	raw, _, err := st.BatchManifest(ctx, b.ID)
	if err != nil {
		return err
	}
	m, _, err := wire.DecodeManifest(bytes.NewReader(raw))
	if err != nil {
		out.Manifest = err.Error()
		fail(err.Error())
	} else if res, err := sign.VerifyManifest(m, opts); err != nil {
		out.Manifest = err.Error()
		fail(err.Error())
	} else {
		out.Signer = res.Signer.Subject.CommonName
		if !opts.IntegrityOnly && !res.Trusted {
			out.Trusted = false
			out.Problems = append(out.Problems, c.t("manifest signer not trusted: ", "người ký bản kê không được tin cậy: ")+res.TrustError)
		}
		if m.BatchID != b.ID {
			fail(c.t("the manifest names another batch", "bản kê ghi lô khác"))
		}
	}
	sdocs, err := st.SignedDocuments(ctx, b.ID)
	if err != nil {
		return err
	}
	inManifest := map[string]wire.Document{}
	if m != nil {
		for _, d := range m.Documents {
			inManifest[d.ID] = d
		}
		if len(m.Documents) != len(sdocs) {
			fail(fmt.Sprintf(c.t("the manifest lists %d documents, the batch has %d signed PDFs", "bản kê có %d hồ sơ, lô có %d PDF đã ký"), len(m.Documents), len(sdocs)))
		}
	}
	for _, sd := range sdocs {
		name := fmt.Sprintf("%s %d", c.t("document", "hồ sơ"), sd.DocumentID)
		jv := jsonVerify{File: name, Signatures: []jsonSig{}}
		md, ok := inManifest[strconv.FormatInt(sd.DocumentID, 10)]
		switch {
		case m == nil:
		case !ok:
			fail(name + c.t(": not in the manifest", ": không có trong bản kê"))
		case md.PDFSHA256 != sd.PDFSHA256 || md.PDFSize != sd.PDFSize:
			fail(name + c.t(": PDF hash or size differs from the manifest", ": mã băm hoặc cỡ PDF khác bản kê"))
		default:
			for i, p := range md.Pages {
				if err := st.Blobs.Verify(p.SHA256); err != nil {
					fail(fmt.Sprintf("%s %s %d: %v", name, c.t("page", "trang"), i+1, err))
				}
			}
		}
		data, err := os.ReadFile(st.Blobs.Path(sd.PDFSHA256))
		var rep sign.Report
		if err == nil {
			if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != sd.PDFSHA256 || int64(len(data)) != sd.PDFSize {
				fail(name + c.t(": the signed PDF file was changed", ": tệp PDF đã ký bị thay đổi"))
			}
			rep, err = sign.Verify(data, opts)
		}
		if err != nil {
			jv.Error = err.Error()
			fail(name + ": " + err.Error())
		} else {
			jv.Intact, jv.Trusted = rep.Intact, rep.Trusted
			if !rep.Intact || len(rep.Signatures) == 0 {
				fail(name + c.t(": signature broken", ": chữ ký hỏng"))
			}
			if !opts.IntegrityOnly && !rep.Trusted {
				out.Trusted = false
			}
			for _, s := range rep.Signatures {
				jv.Signatures = append(jv.Signatures, c.sigJSON(s))
			}
		}
		out.Documents = append(out.Documents, jv)
	}
	if len(sdocs) == 0 {
		fail(c.t("the batch has no signed PDFs", "lô chưa có PDF đã ký"))
	}
	if c.json {
		c.printJSON(out)
	} else {
		verdict := c.t("batch intact: manifest and every signed PDF verify", "lô nguyên vẹn: bản kê và mọi PDF đã ký đều hợp lệ")
		if !out.Intact {
			verdict = c.t("INVALID", "KHÔNG HỢP LỆ")
		} else if !opts.IntegrityOnly && !out.Trusted {
			verdict += c.t("; signer NOT in the trust store", "; người ký KHÔNG có trong danh sách tin cậy")
		}
		fmt.Fprintf(c.env.Stdout, "%s %s: %s\n", c.t("batch", "lô"), b.ID, verdict)
		for _, jv := range out.Documents {
			c.printVerify(jv, opts.IntegrityOnly)
		}
		for _, p := range out.Problems {
			fmt.Fprintf(c.env.Stdout, "  - %s\n", p)
		}
	}
	if !out.Intact || (!opts.IntegrityOnly && !out.Trusted) {
		return exitError{1}
	}
	return nil
}
