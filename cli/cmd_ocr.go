package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("ocr", "[--batch ID] [--workers N] [--retry-failed] [--no-cleanup] [--psm N] [--tessdata DIR]", defOCR)
}

func defOCR(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	workers := fs.Int("workers", 0, "")
	retry := fs.Bool("retry-failed", false, "")
	tessdata := fs.String("tessdata", "", "")
	noClean := fs.Bool("no-cleanup", false, "")
	psm := fs.Int("psm", 0, "")
	return func(ctx context.Context, args []string) error {
		if *workers < 0 || *workers > 256 {
			return usageError{c.tr("cli.ocr.workersMustBeBetween")}
		}
		if *psm < 0 || *psm > 13 {
			return usageError{c.tr("cli.ocr.psmMustBeBetween")}
		}
		u, w, err := c.desk(ctx)
		if err != nil {
			return err
		}
		if *tessdata == "" {
			*tessdata = c.env.Getenv("SOHOA_TESSDATA")
		}
		in := workflow.OCRInput{Batch: *batch, RetryFailed: *retry,
			Options: workflow.OCROptions{Workers: *workers, TessdataDir: *tessdata, NoCleanup: *noClean, PSM: *psm}}
		res, err := w.OCR(ctx, u, in, func(ev workflow.Event) {
			p := ev.Detail.(workflow.OCRStatus)
			if c.json {
				c.printJSONLine(map[string]any{"event": "page", "page_id": p.PageID, "failed": p.PageFailed,
					"pending": p.Pending, "done": p.Done, "ocr_failed": p.Failed})
				return
			}
			state := c.tr("cli.ocr.done")
			if p.PageFailed {
				state = c.tr("cli.ocr.failed")
			}
			fmt.Fprintf(c.env.Stdout, "%s %s: %s (%s %d, %s %d)\n", c.tr("cli.common.page"), strconv.FormatInt(p.PageID, 10), state,
				c.tr("cli.ocr.done"), p.Done, c.tr("cli.ocr.waiting"), p.Pending)
		})
		if err != nil {
			return err
		}
		if c.json {
			c.printJSONLine(map[string]any{"event": "summary", "pending": res.Pending, "done": res.Done, "failed": res.Failed})
		} else {
			fmt.Fprintf(c.env.Stdout, c.tr("cli.ocr.ocrPagesDoneFailed"),
				res.Done, res.Failed, res.Pending)
		}
		if res.Failed > 0 {
			return exitError{1}
		}
		return nil
	}
}
