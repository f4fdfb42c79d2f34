package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("user cert add", "--username U (--cert FILE.pem|.der | --p12 FILE.p12 [--pin-stdin] | --pkcs11 MODULE --token LABEL [--cert-sha256 HEX])", defUserCert("add"))
	register("user cert list", "[--username U]", defUserCert("list"))
	register("user cert remove", "--username U --fingerprint HEX", defUserCert("remove"))
}

// defUserCert binds supervisors' signing certificates to their accounts (administrators):
// signing refuses a certificate not bound to the approving supervisor (queue/certs.go).
func defUserCert(sub string) leafDef {
	return func(c *cmdCtx, fs *pflag.FlagSet) runFunc {
		username := fs.String("username", "", "")
		certFile, p12, module, token, fp, certSum, pinStdin := new(string), new(string), new(string), new(string), new(string), new(string), new(bool)
		switch sub {
		case "add":
			fs.StringVar(certFile, "cert", "", "")
			fs.StringVar(p12, "p12", "", "")
			fs.StringVar(module, "pkcs11", "", "")
			fs.StringVar(token, "token", "", "")
			fs.BoolVar(pinStdin, "pin-stdin", false, "")
			fs.StringVar(certSum, "cert-sha256", "", "")
		case "remove":
			fs.StringVar(fp, "fingerprint", "", "")
		}
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageError{c.tr("cli.common.unexpectedArgument", l10n.Args{"Arg": args[0]})}
			}
			return c.userCert(ctx, sub, *username, *certFile, *p12, *module, *token, *fp, *certSum, *pinStdin)
		}
	}
}

func (c *cmdCtx) userCert(ctx context.Context, sub, username, certFile, p12, module, token, fp, certSum string, pinStdin bool) error {
	switch sub {
	case "add":
		n := 0
		for _, v := range []string{certFile, p12, module} {
			if v != "" {
				n++
			}
		}
		if username == "" || n != 1 || (module != "") != (token != "") {
			return usageError{c.tr("cli.user.cert.addNeeds")}
		}
		u, w, err := c.desk(ctx)
		if err != nil {
			return err
		}
		// A token's certificates are read without the PIN; a .p12 file's password is asked
		// only once the role allows registering (workflow.AddUserCert).
		uc, err := w.AddUserCert(ctx, u, username, workflow.CertSource{File: certFile, P12File: p12, Module: module, Token: token,
			CertSHA256: certSum, PIN: c.pinFunc(pinStdin)})
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(userCertJSON(uc))
		}
		fmt.Fprintf(c.env.Stdout, c.tr("cli.user.cert.certificateOfRegisteredKey"),
			uc.Username, uc.KeyID, uc.CertSHA256, uc.NotAfter.Local().Format(c.tr("cli.user.cert.20060102")))
		return nil
	case "list":
		if _, err := c.login(ctx); err != nil {
			return err
		}
		w, _, err := c.wflow()
		if err != nil {
			return err
		}
		certs, err := w.UserCerts(ctx, username)
		if err != nil {
			return err
		}
		if c.json {
			out := []jsonUserCert{}
			for _, uc := range certs {
				out = append(out, userCertJSON(uc))
			}
			return c.printJSON(out)
		}
		if len(certs) == 0 {
			fmt.Fprintln(c.env.Stdout, c.tr("cli.user.cert.noCertificateRegistered"))
		}
		for _, uc := range certs {
			fmt.Fprintf(c.env.Stdout, "%-20s %s  %s %s  %s %s\n", uc.Username, uc.KeyID[:16],
				c.tr("cli.user.cert.until"), uc.NotAfter.Local().Format(c.tr("cli.user.cert.20060102")), c.tr("cli.user.cert.addedBy"), uc.AddedBy)
		}
		return nil
	case "remove":
		if username == "" || fp == "" {
			return usageError{c.tr("cli.user.cert.removeNeeds")}
		}
		u, w, err := c.desk(ctx)
		if err != nil {
			return err
		}
		if err := w.RemoveUserCert(ctx, u, username, fp); err != nil {
			return err
		}
		if c.json {
			return c.printJSON(map[string]any{"username": username, "fingerprint": fp, "removed": true})
		}
		fmt.Fprintln(c.env.Stdout, c.tr("cli.user.cert.certificateRemoved"))
		return nil
	}
	return nil
}

type jsonUserCert struct {
	Username   string `json:"username"`
	KeyID      string `json:"key_sha256"`
	CertSHA256 string `json:"cert_sha256"`
	NotAfter   string `json:"not_after"`
	AddedBy    string `json:"added_by"`
	AddedAt    string `json:"added_at"`
}

func userCertJSON(uc queue.UserCert) jsonUserCert {
	return jsonUserCert{uc.Username, uc.KeyID, uc.CertSHA256, uc.NotAfter.UTC().Format("2006-01-02T15:04:05Z"), uc.AddedBy, uc.AddedAt}
}
