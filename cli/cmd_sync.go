package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("enroll", "--server https://HOST:PORT [--code CODE] [--fingerprint SHA256] [--client-cert PEM --client-key PEM]", defEnroll)
	register("sync", "[--server https://HOST:PORT] [--once]", defSync)
}

func defEnroll(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	srv := fs.String("server", "", "")
	code := fs.String("code", "", "")
	fp := fs.String("fingerprint", "", "")
	certFile := fs.String("client-cert", "", "")
	keyFile := fs.String("client-key", "", "")
	return func(ctx context.Context, args []string) error {
		if *srv == "" {
			return usageError{c.tr("cli.sync.serverIsRequired")}
		}
		u, w, err := c.desk(ctx)
		if err != nil {
			return err
		}
		if *code == "" {
			line, err := c.readLine()
			if err != nil || strings.TrimSpace(line) == "" {
				return usageError{c.tr("cli.sync.giveEnrollmentCodeWith")}
			}
			*code = line
		}
		in := workflow.EnrollInput{Server: *srv, Code: *code, Fingerprint: *fp, ClientCert: *certFile, ClientKey: *keyFile}
		res, err := w.Enroll(ctx, u, in, nil)
		if fp, ok := c.trustOnFirstUse(err); ok { // a self-signed server, its fingerprint compared and confirmed
			in.Fingerprint = fp
			res, err = w.Enroll(ctx, u, in, nil)
		}
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(map[string]string{"workstation_id": res.WorkstationID, "office": res.Office,
				"tls_sha256": res.Fingerprint, "previous_workstation_id": res.PreviousID})
		}
		fmt.Fprintf(c.env.Stdout, "%s %s (%s %s)\n%s %s\n", c.tr("cli.sync.enrolledAs"), res.WorkstationID,
			c.tr("cli.sync.office"), res.Office, c.tr("cli.sync.serverCertificateSha256"), res.Fingerprint)
		if res.PreviousID != "" {
			fmt.Fprintln(c.env.Stderr, c.tr("cli.sync.warningServerGaveNew"))
		}
		return nil
	}
}

// defSync sends the outbox: one pass with --once (syncOnce), else the workflow's sync loop until interrupted. A batch the server holds
// back is reported with its reason and counted; it is not an error.
func defSync(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	srv := fs.String("server", "", "")
	once := fs.Bool("once", false, "")
	return func(ctx context.Context, args []string) error {
		if *srv != "" {
			if err := workflow.ValidServerURL(*srv); err != nil {
				return usageError{c.tr("cli.sync.serverAddressMustStart")}
			}
		}
		u, err := c.login(ctx)
		if err != nil {
			return err
		}
		w, st, err := c.wflow()
		if err != nil {
			return err
		}
		if *once {
			return c.syncOnce(ctx, w, st, u, *srv)
		}
		svc := w.NewSyncService(u)
		svc.Server, svc.StopOnFatal = *srv, true
		svc.OnEvent = func(ev workflow.SyncEvent) {
			if ev.Progress != nil {
				c.printSyncProgress(*ev.Progress)
			}
		}
		if err := svc.Serve(ctx); err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		counts, err := st.OutboxCounts(context.WithoutCancel(ctx))
		if err != nil {
			return err
		}
		c.printOutbox(counts.Pending, counts.Held, counts.Done)
		return nil
	}
}

// syncOnce is `sync --once`: one pass over the outbox. A batch the server holds back is a
// state, reported with the batch and the reason (this pass's and the earlier ones'); the run
// fails (exit 1) only when a batch could not be sent (server unreachable, …): it stays in
// the outbox, due again later.
func (c *cmdCtx) syncOnce(ctx context.Context, w *workflow.Workflow, st *queue.Store, u queue.User, srv string) error {
	res, err := w.SyncOnce(ctx, u, workflow.SyncInput{Server: srv}, func(ev workflow.Event) {
		if p, ok := ev.Detail.(workflow.SyncProgress); ok {
			c.printSyncProgress(p)
		}
	})
	if err != nil {
		return err
	}
	held, err := st.Outbox(ctx, queue.OutboxHeld)
	if err != nil {
		return err
	}
	if c.json {
		type jsonHeld struct {
			Batch  string `json:"batch"`
			Seq    int64  `json:"seq"`
			Reason string `json:"reason"`
		}
		hs := []jsonHeld{}
		for _, e := range held {
			hs = append(hs, jsonHeld{e.BatchID, e.Seq, e.LastError})
		}
		c.printJSONLine(map[string]any{"event": "summary", "sent": res.Done, "held_now": res.Held, "not_sent": res.Retry,
			"outbox": map[string]int{"pending": res.Outbox.Pending, "held": res.Outbox.Held, "done": res.Outbox.Done}, "held": hs})
	} else {
		for _, e := range held {
			fmt.Fprintf(c.env.Stdout, "%s #%d %s: %s: %s\n", c.tr("cli.common.batch"), e.Seq, e.BatchID, c.tr("cli.sync.heldReason"), e.LastError)
		}
		c.printOutbox(res.Outbox.Pending, res.Outbox.Held, res.Outbox.Done)
	}
	if res.Retry > 0 {
		return l10n.New("cli.sync.notSent", l10n.Args{"N": res.Retry})
	}
	return nil
}

// printSyncProgress prints one report of a batch being sent.
func (c *cmdCtx) printSyncProgress(p workflow.SyncProgress) {
	if c.json {
		out := map[string]any{"batch": p.BatchID, "seq": p.Seq, "phase": p.Phase, "blobs_done": p.BlobsDone,
			"blobs_total": p.BlobsTotal, "bytes_done": p.BytesDone, "bytes_total": p.BytesTotal, "bytes_sent": p.BytesSent}
		if p.Err != "" {
			out["error"] = p.Err
		}
		if p.Receipt != nil {
			out["receipt"] = p.Receipt
		}
		c.printJSONLine(out)
		return
	}
	switch p.Phase {
	case workflow.SyncDone:
		fmt.Fprintf(c.env.Stdout, "%s #%d %s: %s %d/%d, %d %s; %s %s %s\n", c.tr("cli.common.batch"), p.Seq, p.BatchID, c.tr("cli.sync.blobs"),
			p.BlobsDone, p.BlobsTotal, p.BytesSent, c.tr("cli.sync.bytesSent"), c.tr("cli.sync.receipt"),
			p.Receipt.ManifestSHA256[:16], p.Receipt.CommittedAt.Format("2006-01-02 15:04:05Z"))
	case workflow.SyncHeld:
		fmt.Fprintf(c.env.Stdout, "%s #%d %s: %s: %s\n", c.tr("cli.common.batch"), p.Seq, p.BatchID, c.tr("cli.sync.refusedReturnedToReview"), p.Err)
	case workflow.SyncRetry:
		fmt.Fprintf(c.env.Stdout, "%s #%d %s: %s %s (%s)\n", c.tr("cli.common.batch"), p.Seq, p.BatchID, c.tr("cli.sync.willRetryAt"),
			p.NextAttempt.Local().Format(time.TimeOnly), p.Err)
	case workflow.SyncUpload:
		fmt.Fprintf(c.env.Stderr, "%s #%d: %d/%d %s, %d/%d bytes\n", c.tr("cli.common.batch"), p.Seq, p.BlobsDone, p.BlobsTotal, c.tr("cli.sync.blobs"), p.BytesDone, p.BytesTotal)
	}
}

// printOutbox prints the outbox counts (text output only).
func (c *cmdCtx) printOutbox(pending, held, done int) {
	if !c.json {
		fmt.Fprintf(c.env.Stdout, "%s: %d %s, %d %s, %d %s\n", c.tr("cli.sync.outbox"), pending, c.tr("cli.sync.waiting"),
			held, c.tr("cli.sync.held"), done, c.tr("cli.sync.sent"))
	}
}
