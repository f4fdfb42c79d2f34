package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/sync/client"
)

func init() {
	register(&command{name: "enroll", usage: "--server https://HOST:PORT [--code CODE | code on standard input] [--fingerprint SHA256] [--client-cert PEM --client-key PEM]",
		summary: "enroll this workstation with the central server (admin) / đăng ký máy trạm với máy chủ", run: runEnroll})
	register(&command{name: "sync", usage: "[--server https://HOST:PORT] [--once]",
		summary: "send signed batches to the central server / gửi lô đã ký lên máy chủ", run: runSync})
}

func runEnroll(ctx context.Context, c *cmdCtx, args []string) error {
	fs := c.newFlags("enroll")
	srv := fs.String("server", "", "")
	code := fs.String("code", "", "")
	fp := fs.String("fingerprint", "", "")
	certFile := fs.String("client-cert", "", "")
	keyFile := fs.String("client-key", "", "")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	var clientCert *tls.Certificate
	if *certFile != "" || *keyFile != "" {
		var err error
		if clientCert, err = client.LoadClientCert(*certFile, *keyFile); err != nil {
			return err
		}
		if *certFile, err = filepath.Abs(*certFile); err != nil {
			return err
		}
		if *keyFile, err = filepath.Abs(*keyFile); err != nil {
			return err
		}
	}
	if *srv == "" {
		return usageError{c.t("--server is required", "cần --server")}
	}
	u, err := c.login(ctx)
	if err != nil {
		return err
	}
	if !u.Has(queue.RoleAdmin) {
		return queue.ErrNotPermitted
	}
	if *code == "" {
		line, err := c.readLine()
		if err != nil || strings.TrimSpace(line) == "" {
			return usageError{c.t("give the enrollment code with --code or on standard input", "nhập mã đăng ký bằng --code hoặc từ đầu vào chuẩn")}
		}
		*code = line
	}
	cl := &client.Client{Store: c.store, Actor: u, TLSFingerprint: *fp, ClientCert: clientCert}
	res, err := cl.Enroll(ctx, *srv, *code)
	if err != nil {
		return err
	}
	if clientCert != nil { // mutual TLS: every later call presents the same certificate
		if err := c.store.SetSettings(ctx, u, map[string]string{client.SettingClientCert: *certFile, client.SettingClientKey: *keyFile}); err != nil {
			return err
		}
	}
	if c.json {
		return c.printJSON(map[string]string{"workstation_id": res.WorkstationID, "office": res.Office,
			"tls_sha256": res.Fingerprint, "previous_workstation_id": res.PreviousID})
	}
	fmt.Fprintf(c.env.Stdout, "%s %s (%s %s)\n%s %s\n", c.t("enrolled as", "đã đăng ký là"), res.WorkstationID,
		c.t("office", "đơn vị"), res.Office, c.t("server certificate SHA-256:", "SHA-256 chứng thư máy chủ:"), res.Fingerprint)
	if res.PreviousID != "" {
		fmt.Fprintln(c.env.Stderr, c.t("warning: the server gave a new workstation id; batches signed before must be signed again",
			"cảnh báo: máy chủ cấp mã máy trạm mới; các lô đã ký trước đó phải ký lại"))
	}
	return nil
}

func runSync(ctx context.Context, c *cmdCtx, args []string) error {
	fs := c.newFlags("sync")
	srv := fs.String("server", "", "")
	once := fs.Bool("once", false, "")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	u, err := c.login(ctx)
	if err != nil {
		return err
	}
	cl, err := client.FromStore(ctx, c.store, u)
	if err != nil {
		return err
	}
	if *srv != "" {
		if !strings.HasPrefix(*srv, "https://") {
			return usageError{c.t("the server address must start with https://", "địa chỉ máy chủ phải bắt đầu bằng https://")}
		}
		cl.BaseURL = *srv
	}
	cl.Progress = func(p client.Progress) {
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
		case client.PhaseDone:
			fmt.Fprintf(c.env.Stdout, "%s #%d %s: %s %d/%d, %d %s; %s %s %s\n", c.t("batch", "lô"), p.Seq, p.BatchID, c.t("blobs", "tệp"),
				p.BlobsDone, p.BlobsTotal, p.BytesSent, c.t("bytes sent", "byte đã gửi"), c.t("receipt", "biên nhận"),
				p.Receipt.ManifestSHA256[:16], p.Receipt.CommittedAt.Format("2006-01-02 15:04:05Z"))
		case client.PhaseHeld:
			fmt.Fprintf(c.env.Stdout, "%s #%d %s: %s: %s\n", c.t("batch", "lô"), p.Seq, p.BatchID, c.t("REFUSED, returned to review", "BỊ TỪ CHỐI, trả về duyệt lại"), p.Err)
		case client.PhaseRetry:
			fmt.Fprintf(c.env.Stdout, "%s #%d %s: %s %s (%s)\n", c.t("batch", "lô"), p.Seq, p.BatchID, c.t("will retry at", "sẽ thử lại lúc"),
				p.NextAttempt.Local().Format("15:04:05"), p.Err)
		case client.PhaseUpload:
			fmt.Fprintf(c.env.Stderr, "%s #%d: %d/%d %s, %d/%d bytes\n", c.t("batch", "lô"), p.Seq, p.BlobsDone, p.BlobsTotal, c.t("blobs", "tệp"), p.BytesDone, p.BytesTotal)
		}
	}
	if *once {
		_, err = cl.RunPass(ctx, true)
	} else {
		err = cl.Run(ctx)
	}
	if err != nil {
		return err
	}
	counts, cerr := c.store.OutboxCounts(ctx)
	if cerr != nil {
		return cerr
	}
	if !c.json {
		fmt.Fprintf(c.env.Stdout, "%s: %d %s, %d %s, %d %s\n", c.t("outbox", "hàng đợi gửi"), counts.Pending, c.t("waiting", "đang chờ"),
			counts.Held, c.t("held", "bị giữ lại"), counts.Done, c.t("sent", "đã gửi"))
	}
	if counts.Held > 0 {
		return exitError{1}
	}
	if counts.Pending > 0 && *once {
		return exitError{3}
	}
	return nil
}
