package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register(&command{name: "verify", usage: "FILE.pdf…|--batch ID [--trust CERTS.pem|DIR] [--integrity-only]",
		summary: "check the signatures of signed PDFs (exit 0 only when all are intact) / kiểm tra chữ ký số", run: runVerify})
}

type jsonSig struct {
	Name          string       `json:"name,omitempty"`
	Signer        string       `json:"signer,omitempty"`
	SubFilter     string       `json:"sub_filter"`
	SigningTime   string       `json:"signing_time,omitempty"`
	CoversWhole   bool         `json:"covers_whole_file"`
	Intact        bool         `json:"intact"`
	Trusted       bool         `json:"trusted"`
	ModifiedAfter bool         `json:"modified_after_signing"`
	CannotVerify  bool         `json:"cannot_verify,omitempty"`
	Problems      []string     `json:"problems,omitempty"`
	Changes       []jsonChange `json:"changes,omitempty"`
}

// jsonChange is one change made after signing (Text in the user's language).
type jsonChange struct {
	Object int    `json:"object,omitempty"`
	What   string `json:"what"`
	Page   int    `json:"page,omitempty"`
	Text   string `json:"text"`
}

// sigJSON is one signature's result for output (verify and verify --batch).
func (c *cmdCtx) sigJSON(s workflow.SignatureReport) jsonSig {
	js := jsonSig{Name: s.Name, Signer: s.Signer, SubFilter: s.SubFilter, CoversWhole: s.CoversWholeFile, Intact: s.Intact,
		Trusted: s.Trusted, ModifiedAfter: s.ModifiedAfter, CannotVerify: s.CannotVerify, Problems: s.Problems}
	if !s.SigningTime.IsZero() {
		js.SigningTime = s.SigningTime.UTC().Format(time.RFC3339)
	}
	for _, ch := range s.Changes {
		js.Changes = append(js.Changes, jsonChange{Object: ch.Object, What: ch.What, Page: ch.Page, Text: ch.Text(c.lang)})
	}
	return js
}

type jsonVerify struct {
	File       string    `json:"file"`
	Intact     bool      `json:"intact"`
	Trusted    bool      `json:"trusted"`
	Error      string    `json:"error,omitempty"`
	Signatures []jsonSig `json:"signatures"`
}

// fileJSON is one file's report for output; withTrust adds each signer's trust problem.
func (c *cmdCtx) fileJSON(name string, fr workflow.FileReport, err error, withTrust bool) jsonVerify {
	jv := jsonVerify{File: name, Signatures: []jsonSig{}}
	if err != nil {
		jv.Error = err.Error()
		return jv
	}
	jv.Intact, jv.Trusted = fr.Intact, fr.Trusted
	for _, s := range fr.Signatures {
		js := c.sigJSON(s)
		if withTrust && s.TrustError != "" {
			js.Problems = append(js.Problems, s.TrustError)
		}
		jv.Signatures = append(jv.Signatures, js)
	}
	return jv
}

// runVerify needs no sign-in: verifying a signature reads only the file given (and the
// workstation's trust store when no --trust is given).
func runVerify(ctx context.Context, c *cmdCtx, args []string) error {
	fs := c.newFlags("verify")
	trust := fs.String("trust", "", "")
	integrityOnly := fs.Bool("integrity-only", false, "")
	batch := fs.String("batch", "", "")
	files, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if *batch == "" && len(files) == 0 {
		return usageError{c.t("name at least one PDF", "cần ít nhất một tệp PDF")}
	}
	// Files need no data folder: it is opened for a batch, or for the workstation's trust
	// store when no --trust is given and a data folder is there.
	w := &workflow.Workflow{}
	if _, serr := os.Stat(filepath.Join(c.dataDir, "sohoa.db")); *batch != "" || (*trust == "" && !*integrityOnly && serr == nil) {
		if w, _, err = c.wflow(); err != nil {
			return err
		}
	}
	opts, err := w.TrustOptions(ctx, *trust, *integrityOnly)
	if err != nil {
		return err
	}
	if *batch != "" && len(files) == 0 { // a signed batch of the local store
		return c.verifyBatch(ctx, w, *batch, opts)
	}
	allOK := true
	var out []jsonVerify
	for _, f := range files {
		fr, err := w.VerifyFile(ctx, f, opts)
		if err != nil || !fr.Intact || (!*integrityOnly && !fr.Trusted) {
			allOK = false
		}
		jv := c.fileJSON(f, fr, err, !*integrityOnly)
		out = append(out, jv)
		if !c.json {
			c.printVerify(jv, *integrityOnly)
		}
	}
	if c.json {
		c.printJSON(out)
	}
	if !allOK {
		return exitError{1}
	}
	return nil
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

// verifyBatch checks a signed batch in the local store (workflow.VerifyBatch) and prints
// the result.
func (c *cmdCtx) verifyBatch(ctx context.Context, w *workflow.Workflow, batchID string, opts workflow.VerifyOptions) error {
	rep, err := w.VerifyBatch(ctx, batchID, opts, nil)
	if err != nil {
		return err
	}
	out := jsonBatchVerify{Batch: rep.BatchID, Intact: rep.Intact, Trusted: rep.Trusted, Manifest: "ok", Signer: rep.ManifestSigner, Documents: []jsonVerify{}}
	if rep.ManifestErr != nil {
		out.Manifest = rep.ManifestErr.Error()
	}
	for _, p := range rep.Problems {
		out.Problems = append(out.Problems, p.Text(c.lang))
	}
	for _, d := range rep.Documents {
		out.Documents = append(out.Documents, c.fileJSON(fmt.Sprintf("%s %d", c.t("document", "hồ sơ"), d.DocumentID), d.FileReport, d.Err, false))
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
		fmt.Fprintf(c.env.Stdout, "%s %s: %s\n", c.t("batch", "lô"), rep.BatchID, verdict)
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

func (c *cmdCtx) printVerify(jv jsonVerify, integrityOnly bool) {
	w := c.env.Stdout
	if jv.Error != "" {
		fmt.Fprintf(w, "%s: %s: %s\n", jv.File, c.t("NOT VERIFIED", "KHÔNG KIỂM TRA ĐƯỢC"), jv.Error)
		return
	}
	verdict := c.t("all signatures intact", "mọi chữ ký còn nguyên vẹn")
	modified, cannot := false, false
	for _, s := range jv.Signatures {
		modified = modified || s.ModifiedAfter
		cannot = cannot || s.CannotVerify
	}
	if !jv.Intact {
		verdict = c.t("INVALID: a signature is broken or the file was changed after signing", "KHÔNG HỢP LỆ: chữ ký bị hỏng hoặc tệp bị sửa sau khi ký")
		switch {
		case modified:
			verdict = c.t("INVALID: the file was changed after signing", "KHÔNG HỢP LỆ: tệp bị sửa sau khi ký")
		case cannot:
			verdict = c.t("NOT VERIFIED: a signature cannot be checked", "KHÔNG KIỂM TRA ĐƯỢC: có chữ ký không kiểm tra được")
		}
	} else if !integrityOnly && !jv.Trusted {
		verdict += c.t("; signer NOT in the trust store", "; người ký KHÔNG có trong danh sách tin cậy")
	} else if !integrityOnly {
		verdict += c.t("; signers trusted", "; người ký được tin cậy")
	}
	fmt.Fprintf(w, "%s: %s\n", jv.File, verdict)
	for i, s := range jv.Signatures {
		who := s.Signer
		if s.Name != "" {
			who = s.Name
		}
		state := c.t("intact", "nguyên vẹn")
		switch {
		case s.Intact:
		case s.ModifiedAfter:
			state = c.t("CHANGED AFTER SIGNING", "BỊ SỬA SAU KHI KÝ")
		case s.CannotVerify:
			state = c.t("CANNOT BE VERIFIED", "KHÔNG KIỂM TRA ĐƯỢC")
		default:
			state = c.t("BROKEN", "HỎNG")
		}
		fmt.Fprintf(w, "  %d. %s — %s (%s, %s)\n", i+1, who, state, s.SubFilter, s.SigningTime)
		for _, p := range s.Problems {
			fmt.Fprintf(w, "     - %s\n", p)
		}
		if len(s.Changes) > 0 {
			fmt.Fprintf(w, "     %s\n", c.t("changed after signing:", "bị sửa sau khi ký:"))
			for _, ch := range s.Changes {
				fmt.Fprintf(w, "     - %s\n", ch.Text)
			}
		}
	}
}
