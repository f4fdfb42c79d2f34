package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("audit", "[--verify [--trust CERTS.pem|DIR]] [--limit N]", defAudit)
}

// jsonAuditVerify is the --verify --json answer.
type jsonAuditVerify struct {
	Intact     bool            `json:"intact"`
	Events     int64           `json:"events"`
	Head       queue.AuditHead `json:"head"`
	Anchored   queue.AuditHead `json:"anchored"`
	Unanchored int64           `json:"unanchored"`
	Batches    int             `json:"signed_batches"`
	Integrity  string          `json:"integrity"`
	Problems   []string        `json:"problems"`
	Notes      []string        `json:"notes"`
}

// defAudit shows the newest events, or with --verify checks everything the workstation can
// tell about its own history (queue.Store.CheckAudit): the hash chain and its seals, the
// signed head file, the users' records and roles, the batches' states, every signed batch's
// manifest signature, the audit heads carried by manifests and server receipts, the field
// values of signed batches against their signed PDFs, and SQLite's integrity check.
// Exit status 1 when anything is wrong.
func defAudit(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	verify := fs.Bool("verify", false, "")
	limit := fs.Int("limit", 50, "")
	trust := fs.String("trust", "", "")
	return func(ctx context.Context, args []string) error {
		if _, err := c.login(ctx); err != nil {
			return err
		}
		if *verify {
			w, _, err := c.wflow()
			if err != nil {
				return err
			}
			// Manifest signatures: integrity only, unless a trust store is given.
			opts := workflow.VerifyOptions{IntegrityOnly: true}
			if *trust != "" {
				if opts, err = w.TrustOptions(ctx, *trust, false); err != nil {
					return err
				}
			}
			rep, err := w.CheckAudit(ctx, opts)
			if err != nil {
				return err
			}
			out := jsonAuditVerify{Intact: rep.Intact, Events: rep.Events, Head: rep.Head, Anchored: rep.Anchored,
				Unanchored: rep.Unanchored, Batches: rep.Batches, Integrity: "ok", Problems: rep.Problems, Notes: rep.Notes}
			if out.Problems == nil {
				out.Problems = []string{}
			}
			if out.Notes == nil {
				out.Notes = []string{}
			}
			if rep.IntegrityErr != nil {
				out.Integrity = rep.IntegrityErr.Error()
			}
			if c.json {
				c.printJSON(out)
			} else {
				if out.Intact {
					fmt.Fprintf(c.env.Stdout, c.tr("cli.audit.auditLogIntactEvents"),
						out.Events, out.Anchored.Seq, out.Batches)
				} else {
					fmt.Fprintln(c.env.Stdout, c.tr("cli.audit.auditCheckFailed"))
				}
				for _, p := range out.Problems {
					fmt.Fprintf(c.env.Stdout, "  - %s\n", p)
				}
				if out.Integrity != "ok" {
					fmt.Fprintf(c.env.Stdout, "  - %s\n", out.Integrity)
				}
				for _, n := range out.Notes {
					fmt.Fprintf(c.env.Stdout, "  %s %s\n", c.tr("cli.audit.note"), n)
				}
			}
			if !out.Intact {
				return exitError{1}
			}
			return nil
		}
		events, err := c.store.AuditLog(ctx, *limit)
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(events)
		}
		for _, e := range events {
			fmt.Fprintf(c.env.Stdout, "%s  %-12s %-16s %-30s %s\n", e.At, e.Actor, e.Action, e.Object, e.Detail)
		}
		return nil
	}
}
