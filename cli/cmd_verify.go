package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("verify", "FILE.pdf…|--batch ID [--trust CERTS.pem|DIR] [--integrity-only]", defVerify)
}

type jsonSig struct {
	Name          string       `json:"name,omitempty"`
	Signer        string       `json:"signer,omitempty"`
	SubFilter     string       `json:"sub_filter"`
	Level         string       `json:"level,omitempty"`
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
	js := jsonSig{Name: s.Name, Signer: s.Signer, SubFilter: s.SubFilter, Level: s.Level, CoversWhole: s.CoversWholeFile, Intact: s.Intact,
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

// defVerify needs no sign-in: verifying a signature reads only the file given (and the
// workstation's trust store when no --trust is given).
func defVerify(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	trust := fs.String("trust", "", "")
	integrityOnly := fs.Bool("integrity-only", false, "")
	batch := fs.String("batch", "", "")
	return func(ctx context.Context, files []string) error {
		if *batch == "" && len(files) == 0 {
			return usageError{c.tr("cli.verify.nameAtLeastOne")}
		}
		// Files need no data folder: it is opened for a batch, or for the workstation's trust
		// store when no --trust is given and a data folder is there.
		w := &workflow.Workflow{}
		if _, serr := os.Stat(filepath.Join(c.dataDir, "sohoa.db")); *batch != "" || (*trust == "" && !*integrityOnly && serr == nil) {
			var err error
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
		out.Documents = append(out.Documents, c.fileJSON(fmt.Sprintf("%s %d", c.tr("cli.common.document"), d.DocumentID), d.FileReport, d.Err, false))
	}
	if c.json {
		c.printJSON(out)
	} else {
		verdict := c.tr("cli.verify.batchIntactManifestAnd")
		if !out.Intact {
			verdict = c.tr("cli.verify.invalid")
		} else if !opts.IntegrityOnly && !out.Trusted {
			verdict += c.tr("cli.verify.signerNotInTrust")
		}
		fmt.Fprintf(c.env.Stdout, "%s %s: %s\n", c.tr("cli.common.batch"), rep.BatchID, verdict)
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
		fmt.Fprintf(w, "%s: %s: %s\n", jv.File, c.tr("cli.verify.notVerified"), jv.Error)
		return
	}
	verdict := c.tr("cli.verify.allSignaturesIntact")
	modified, cannot := false, false
	for _, s := range jv.Signatures {
		modified = modified || s.ModifiedAfter
		cannot = cannot || s.CannotVerify
	}
	if !jv.Intact {
		verdict = c.tr("cli.verify.invalidSignatureIsBroken")
		switch {
		case modified:
			verdict = c.tr("cli.verify.invalidFileWasChanged")
		case cannot:
			verdict = c.tr("cli.verify.notVerifiedSignatureCannot")
		}
	} else if !integrityOnly && !jv.Trusted {
		verdict += c.tr("cli.verify.signerNotInTrust")
	} else if !integrityOnly {
		verdict += c.tr("cli.verify.signersTrusted")
	}
	fmt.Fprintf(w, "%s: %s\n", jv.File, verdict)
	for i, s := range jv.Signatures {
		who := s.Signer
		if s.Name != "" {
			who = s.Name
		}
		state := c.tr("cli.verify.intact")
		switch {
		case s.Intact:
		case s.ModifiedAfter:
			state = c.tr("cli.verify.changedAfterSigning")
		case s.CannotVerify:
			state = c.tr("cli.verify.cannotBeVerified")
		default:
			state = c.tr("cli.verify.broken")
		}
		format := s.SubFilter
		if s.Level != "" && s.Level != "adbe" {
			format += ", PAdES " + s.Level
		}
		fmt.Fprintf(w, "  %d. %s — %s (%s, %s)\n", i+1, who, state, format, s.SigningTime)
		for _, p := range s.Problems {
			fmt.Fprintf(w, "     - %s\n", p)
		}
		if len(s.Changes) > 0 {
			fmt.Fprintf(w, "     %s\n", c.tr("cli.verify.changedAfterSigning2"))
			for _, ch := range s.Changes {
				fmt.Fprintf(w, "     - %s\n", ch.Text)
			}
		}
	}
}
