package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"golang.org/x/term"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("sign", "--batch ID (--p12 FILE | --pkcs11 MODULE --token LABEL [--cert-sha256 HEX]) [--tsa URL] [--profile B-B|B-T|B-LT|adbe] [--pin-stdin] [--override-signer REASON]", defSign)
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
	profile := fs.String("profile", "", "")
	pinStdin := fs.Bool("pin-stdin", false, "")
	override := fs.String("override-signer", "", "")
	return func(ctx context.Context, args []string) error {
		if *batch == "" || (*p12 == "") == (*module == "") {
			return usageError{c.tr("cli.sign.batchAndEitherP12")}
		}
		u, w, err := c.desk(ctx)
		if err != nil {
			return err
		}
		in := workflow.SignInput{BatchID: *batch, TSAURL: *tsa, Profile: *profile, Override: *override, Lang: c.lang, PIN: c.pinFunc(*pinStdin),
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

func init() {
	register("sign tokens", "[--pkcs11 MODULE]", defSignTokens)
}

// defSignTokens lists the signing tokens a PKCS#11 module sees, with the signing certificates
// on each (holder, issuer, expiry, fingerprint, the user each is registered to): what a
// supervisor needs to choose --token and --cert-sha256. No PIN is asked: certificates are
// public. The module defaults to the workstation's setting sign.pkcs11_module.
func defSignTokens(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	module := fs.String("pkcs11", "", "")
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageError{c.tr("cli.common.unknownCommand", l10n.Args{"Name": args[0]})}
		}
		u, w, err := c.desk(ctx)
		if err != nil {
			return err
		}
		if err := queue.Require(u, queue.ActionSign); err != nil {
			return err
		}
		mod := *module
		if mod == "" {
			set, err := w.ReadWorkstationSettings(ctx)
			if err != nil {
				return err
			}
			mod = set.PKCS11Module
		}
		if mod == "" {
			return usageError{c.tr("cli.sign.tokens.noModule")}
		}
		toks, err := w.ListTokens(ctx, mod)
		if err != nil {
			return err
		}
		type tokenOut struct {
			workflow.TokenInfo
			Certificates []workflow.CertInfo `json:"certificates"`
		}
		out := make([]tokenOut, 0, len(toks))
		for _, t := range toks {
			certs, err := w.TokenCertificates(ctx, mod, t.Slot)
			if err != nil {
				return err
			}
			out = append(out, tokenOut{TokenInfo: t, Certificates: certs})
		}
		if c.json {
			rows := make([]map[string]any, 0, len(out))
			for _, t := range out {
				certs := make([]map[string]any, 0, len(t.Certificates))
				for _, ci := range t.Certificates {
					certs = append(certs, map[string]any{"subject": ci.Subject, "issuer": ci.Issuer, "serial": ci.Serial,
						"not_before": ci.NotBefore, "not_after": ci.NotAfter, "sha256": ci.SHA256, "key_id": ci.KeyID,
						"label": ci.Label, "registered_to": ci.BoundTo})
				}
				rows = append(rows, map[string]any{"slot": t.Slot, "label": t.Label, "manufacturer": t.Manufacturer,
					"model": t.Model, "serial": t.Serial, "pin_locked": t.PINLocked, "pin_final_try": t.PINFinalTry,
					"pin_count_low": t.PINCountLow, "certificates": certs})
			}
			return c.printJSON(map[string]any{"module": mod, "tokens": rows})
		}
		if len(out) == 0 {
			fmt.Fprintln(c.env.Stdout, c.tr("cli.sign.tokens.none"))
			return nil
		}
		for _, t := range out {
			fmt.Fprintln(c.env.Stdout, c.tr("cli.sign.tokens.token", l10n.Args{"Label": t.Label, "Slot": t.Slot,
				"Maker": t.Manufacturer, "Model": t.Model, "Serial": t.Serial}))
			switch {
			case t.PINLocked:
				fmt.Fprintln(c.env.Stdout, "  "+c.tr("cli.sign.tokens.pinLocked"))
			case t.PINFinalTry:
				fmt.Fprintln(c.env.Stdout, "  "+c.tr("cli.sign.tokens.pinFinalTry"))
			case t.PINCountLow:
				fmt.Fprintln(c.env.Stdout, "  "+c.tr("cli.sign.tokens.pinCountLow"))
			}
			if len(t.Certificates) == 0 {
				fmt.Fprintln(c.env.Stdout, "  "+c.tr("cli.sign.tokens.noCerts"))
			}
			for _, ci := range t.Certificates {
				who := ci.BoundTo
				if who == "" {
					who = c.tr("cli.sign.tokens.nobody")
				}
				fmt.Fprintln(c.env.Stdout, "  "+c.tr("cli.sign.tokens.cert", l10n.Args{"Subject": ci.Subject, "Issuer": ci.Issuer,
					"NotAfter": l10n.Date(c.lang, ci.NotAfter), "SHA256": ci.SHA256, "User": who}))
			}
		}
		return nil
	}
}
