package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/sohoa/sohoa/capture/cleanup"
	"github.com/sohoa/sohoa/ocr"
	"github.com/sohoa/sohoa/pipeline"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register(&command{name: "ocr", usage: "[--batch ID] [--workers N] [--retry-failed] [--no-cleanup] [--psm N] [--tessdata DIR]",
		summary: "recognise pending pages and wait / nhận dạng các trang đang chờ", run: runOCR})
}

func runOCR(ctx context.Context, c *cmdCtx, args []string) error {
	fs := c.newFlags("ocr")
	batch := fs.String("batch", "", "")
	workers := fs.Int("workers", 0, "")
	retry := fs.Bool("retry-failed", false, "")
	tessdata := fs.String("tessdata", "", "")
	noClean := fs.Bool("no-cleanup", false, "")
	psm := fs.Int("psm", 0, "")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if *workers < 0 || *workers > 256 {
		return usageError{c.t("--workers must be between 1 and 256", "--workers phải từ 1 đến 256")}
	}
	u, err := c.login(ctx)
	if err != nil {
		return err
	}
	batchID := *batch
	if batchID != "" {
		b, err := c.store.Batch(ctx, batchID)
		if err != nil {
			return err
		}
		batchID = b.ID
	}
	if *retry {
		if _, err := c.store.RetryFailedOCR(ctx, u, batchID); err != nil {
			return err
		}
	}
	if *psm < 0 || *psm > 13 {
		return usageError{c.t("--psm must be between 1 and 13", "--psm phải từ 1 đến 13")}
	}
	// Clean-up turns pages upright (Tesseract OSD) before OCR; without it the pool does.
	opts := ocr.Options{Workers: *workers, TessdataDir: *tessdata, AutoOrient: *noClean, PSM: *psm}
	if opts.Languages, err = (&workflow.Workflow{Store: c.store}).OCRLanguages(ctx); err != nil { // the workstation's setting
		return err
	}
	if opts.TessdataDir == "" {
		opts.TessdataDir = c.env.Getenv("SOHOA_TESSDATA")
	}
	cleanup.TessdataDir = opts.TessdataDir
	svc, err := pipeline.NewOCRService(c.store, opts)
	if err != nil {
		return err
	}
	defer svc.Close()
	if *noClean {
		svc.SetCleanup(nil)
	}
	res, err := svc.RunPending(ctx, batchID, func(p pipeline.Progress) {
		if c.json {
			c.printJSONLine(map[string]any{"event": "page", "page_id": p.PageID, "failed": p.PageFailed,
				"pending": p.Pending, "done": p.Done, "ocr_failed": p.Failed})
			return
		}
		state := c.t("done", "xong")
		if p.PageFailed {
			state = c.t("FAILED", "LỖI")
		}
		fmt.Fprintf(c.env.Stdout, "%s %s: %s (%s %d, %s %d)\n", c.t("page", "trang"), strconv.FormatInt(p.PageID, 10), state,
			c.t("done", "xong"), p.Done, c.t("waiting", "chờ"), p.Pending)
	})
	if err != nil {
		return err
	}
	if c.json {
		c.printJSONLine(map[string]any{"event": "summary", "pending": res.Pending, "done": res.Done, "failed": res.Failed})
	} else {
		fmt.Fprintf(c.env.Stdout, c.t("OCR: %d pages done, %d failed, %d waiting\n", "OCR: %d trang xong, %d lỗi, %d chờ\n"),
			res.Done, res.Failed, res.Pending)
	}
	if res.Failed > 0 {
		return exitError{1}
	}
	return nil
}
