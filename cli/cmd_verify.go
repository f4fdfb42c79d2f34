package cli

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sohoa/sohoa/sign"
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
func (c *cmdCtx) sigJSON(s sign.SignatureResult) jsonSig {
	js := jsonSig{Name: s.Name, SubFilter: s.SubFilter, CoversWhole: s.CoversWholeFile, Intact: s.Intact,
		Trusted: s.Trusted, ModifiedAfter: s.ModifiedAfterSigning, CannotVerify: s.CannotVerify, Problems: s.Problems}
	if s.Signer != nil {
		js.Signer = s.Signer.Subject.CommonName
	}
	if !s.SigningTime.IsZero() {
		js.SigningTime = s.SigningTime.UTC().Format(time.RFC3339)
	}
	for _, ch := range s.ChangeDetails {
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

// runVerify needs no sign-in: verifying a signature reads only the file given.
func runVerify(ctx context.Context, c *cmdCtx, args []string) error {
	fs := c.newFlags("verify")
	trust := fs.String("trust", "", "")
	integrityOnly := fs.Bool("integrity-only", false, "")
	batch := fs.String("batch", "", "")
	files, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if *batch != "" && len(files) == 0 { // a signed batch of the local store (cmd_sign.go)
		opts := sign.VerifyOptions{IntegrityOnly: *integrityOnly}
		if *trust != "" {
			if opts.Roots, err = loadTrust(*trust); err != nil {
				return err
			}
		}
		return c.verifyBatch(ctx, *batch, opts)
	}
	if len(files) == 0 {
		return usageError{c.t("name at least one PDF", "cần ít nhất một tệp PDF")}
	}
	opts := sign.VerifyOptions{IntegrityOnly: *integrityOnly}
	if *trust != "" {
		if opts.Roots, err = loadTrust(*trust); err != nil {
			return err
		}
	}
	allOK := true
	var out []jsonVerify
	for _, f := range files {
		jv := jsonVerify{File: f, Signatures: []jsonSig{}}
		data, err := os.ReadFile(f)
		var rep sign.Report
		if err == nil {
			rep, err = sign.Verify(data, opts)
		}
		if err != nil {
			jv.Error = err.Error()
			allOK = false
		} else {
			jv.Intact, jv.Trusted = rep.Intact, rep.Trusted
			if !rep.Intact || (!*integrityOnly && !rep.Trusted) {
				allOK = false
			}
			for _, s := range rep.Signatures {
				js := c.sigJSON(s)
				if s.TrustError != "" && !*integrityOnly {
					js.Problems = append(js.Problems, s.TrustError)
				}
				jv.Signatures = append(jv.Signatures, js)
			}
		}
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

// loadTrust reads PEM certificates from a file or every .pem/.crt/.cer file of a folder.
func loadTrust(path string) (*x509.CertPool, error) {
	var files []string
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if st.IsDir() {
		for _, ext := range []string{"*.pem", "*.crt", "*.cer"} {
			m, _ := filepath.Glob(filepath.Join(path, ext))
			files = append(files, m...)
		}
	} else {
		files = []string{path}
	}
	pool := x509.NewCertPool()
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for {
			var b *pem.Block
			b, data = pem.Decode(data)
			if b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				continue
			}
			cert, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("trust store %s: %w", filepath.Base(f), err)
			}
			pool.AddCert(cert)
			n++
		}
	}
	if n == 0 {
		return nil, errors.New("trust store " + strings.TrimSpace(path) + ": no PEM certificate found")
	}
	return pool, nil
}
