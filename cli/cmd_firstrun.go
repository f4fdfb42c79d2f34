package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("check", "[--no-scanners]", defCheck)
	register("sample", "--out FOLDER [--count N] [--seed N]", defSample)
}

// defCheck says what the workstation needs from the machine and, for what is missing, the
// one command that installs it (the window's first run shows the same list). Exit 1 when a
// part that OCR needs is missing; no scanner or no fonts for the sample batch are only said.
func defCheck(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	noScanners := fs.Bool("no-scanners", false, "")
	return func(ctx context.Context, args []string) error {
		var scs *workflow.Scanners
		if !*noScanners {
			scs = workflow.NewScanners()
			scs.Discover(true) // network (eSCL) scanners too
			defer scs.Close()
		}
		checks := workflow.CheckSystem(ctx, scs)
		failed := false
		type jsonCheck struct {
			Name     string `json:"name"`
			OK       bool   `json:"ok"`
			Optional bool   `json:"optional,omitempty"`
			Message  string `json:"message"`
			Fix      string `json:"fix,omitempty"`
		}
		var out []jsonCheck
		for _, ch := range checks {
			if !ch.OK && !ch.Optional {
				failed = true
			}
			out = append(out, jsonCheck{ch.Name, ch.OK, ch.Optional, ch.Message(c.lang), ch.Fix})
		}
		if c.json {
			if err := c.printJSON(out); err != nil {
				return err
			}
		} else {
			for _, ch := range out {
				mark := "✓"
				switch {
				case !ch.OK && ch.Optional:
					mark = "!"
				case !ch.OK:
					mark = "✗"
				}
				fmt.Fprintf(c.env.Stdout, "%s %s\n", mark, ch.Message)
				if ch.Fix != "" {
					fmt.Fprintf(c.env.Stdout, "    %s %s\n", c.tr("cli.check.install"), ch.Fix)
				}
			}
		}
		if failed {
			return exitError{exitFailure}
		}
		return nil
	}
}

// defSample writes sample scanned documents (the project's generator, in the binary) for a
// new user to import and try every step on.
func defSample(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	out := fs.String("out", "", "")
	count := fs.Int("count", workflow.SampleDocuments, "")
	seed := fs.Int64("seed", 1, "")
	return func(ctx context.Context, args []string) error {
		if *out == "" {
			return usageError{c.tr("cli.sample.outRequired")}
		}
		if *count < 1 || *count > 500 {
			return usageError{c.tr("cli.sample.badCount")}
		}
		docs, pages, err := workflow.WriteSample(*out, *seed, *count)
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(map[string]any{"folder": *out, "documents": docs, "pages": pages, "seed": *seed})
		}
		fmt.Fprintln(c.env.Stdout, c.tr("cli.sample.wrote", l10n.Args{"Docs": docs, "Pages": pages, "Dir": *out}))
		return nil
	}
}

// trustOnFirstUse asks, on a terminal, whether to trust a self-signed server certificate
// whose fingerprint err carries: true when the person typed the fingerprint's first
// "yes" ("có") after comparing it with `sohoa-central status`.
func (c *cmdCtx) trustOnFirstUse(err error) (string, bool) {
	var ue *workflow.UntrustedServerError
	if !errors.As(err, &ue) || !c.env.IsTerminal || c.json {
		return "", false
	}
	fmt.Fprintln(c.env.Stderr, c.tr("cli.enroll.tofu", l10n.Args{"SHA": ue.Fingerprint}))
	fmt.Fprint(c.env.Stderr, c.tr("cli.enroll.tofuAsk")+" ")
	line, rerr := c.readLine()
	if rerr != nil {
		return "", false
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "yes", "y", "có", "co", "c":
		return ue.Fingerprint, true
	}
	return "", false
}
