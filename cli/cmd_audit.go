package cli

import (
	"context"
	"fmt"
)

func init() {
	register(&command{name: "audit", usage: "[--verify] [--limit N]",
		summary: "show or verify the audit log / xem, kiểm tra nhật ký", run: runAudit})
}

func runAudit(ctx context.Context, c *cmdCtx, args []string) error {
	fs := c.newFlags("audit")
	verify := fs.Bool("verify", false, "")
	limit := fs.Int("limit", 50, "")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if _, err := c.login(ctx); err != nil {
		return err
	}
	if *verify {
		if err := c.store.VerifyAudit(ctx); err != nil {
			return err
		}
		if err := c.store.IntegrityCheck(ctx); err != nil {
			return err
		}
		fmt.Fprintln(c.env.Stdout, c.t("audit log intact; database integrity ok", "nhật ký nguyên vẹn; cơ sở dữ liệu toàn vẹn"))
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
