package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"golang.org/x/term"

	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("sign", "--batch ID (--p12 FILE | --pkcs11 MODULE --token LABEL [--cert-sha256 HEX]) [--tsa URL] [--pin-stdin] [--override-signer REASON]", defSign)
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
		fmt.Fprint(c.env.Stderr, c.tr("cli.sign.pinOrCertificatePassword"))
		b, err := term.ReadPassword(int(os.Stdin.Fd()))
		fmt.Fprintln(c.env.Stderr)
		return string(b), err
	}
	return "", errors.New(c.tr("cli.sign.noPinSetSohoa"))
}

// pinFunc is the workflow's way to ask for the PIN: only once every check that needs no
// key has passed (workflow.SignBatch).
func (c *cmdCtx) pinFunc(fromStdin bool) workflow.PINFunc {
	return func(context.Context, workflow.PINRequest) (string, error) { return c.pin(fromStdin) }
}

func defSign(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	p12 := fs.String("p12", "", "")
	module := fs.String("pkcs11", "", "")
	token := fs.String("token", "", "")
	certSum := fs.String("cert-sha256", "", "")
	tsa := fs.String("tsa", "", "")
	pinStdin := fs.Bool("pin-stdin", false, "")
	override := fs.String("override-signer", "", "")
	return func(ctx context.Context, args []string) error {
		if *batch == "" || (*p12 == "") == (*module == "") {
			return usageError{c.tr("cli.sign.batchAndEitherP12")}
		}
		u, err := c.login(ctx)
		if err != nil {
			return err
		}
		w, _, err := c.wflow()
		if err != nil {
			return err
		}
		in := workflow.SignInput{BatchID: *batch, TSAURL: *tsa, Override: *override, Lang: c.lang, PIN: c.pinFunc(*pinStdin),
			Source: workflow.SignerSource{P12File: *p12, Module: *module, Token: *token, CertSHA256: *certSum}}
		res, err := w.SignBatch(ctx, u, in, func(ev workflow.Event) {
			if sd, ok := ev.Detail.(workflow.SignedDocument); ok && c.json {
				c.printJSONLine(map[string]any{"document": sd.DocumentID, "pdf_sha256": sd.PDFSHA256, "pdf_size": sd.PDFSize, "pages": sd.Pages})
			}
		})
		if err != nil {
			return err
		}
		if !c.json {
			perPage := int64(0)
			if res.Pages > 0 {
				perPage = res.PDFBytes / int64(res.Pages)
			}
			fmt.Fprintf(c.env.Stdout, c.tr("cli.sign.batchSignedByDocuments"), res.BatchID, res.Signer, len(res.Documents), res.Pages, perPage)
		}
		return nil
	}
}
