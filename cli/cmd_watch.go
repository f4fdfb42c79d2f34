package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("watch", "--batch ID FOLDER [--stable-for 2s]", defWatch)
	register("separator-sheet", "--out FILE.png [--label L] [--dpi 300]", defSeparatorSheet)
}

func defWatch(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	stable := fs.Duration("stable-for", 2*time.Second, "")
	return func(ctx context.Context, pos []string) error {
		if *batch == "" || len(pos) != 1 {
			return usageError{c.tr("cli.watch.giveBatchAndOne")}
		}
		if *stable <= 0 {
			return usageError{c.tr("cli.watch.stableForMustBe")}
		}
		u, w, err := c.desk(ctx)
		if err != nil {
			return err
		}
		if _, err := c.store.Batch(ctx, *batch); err != nil {
			return err
		}
		fmt.Fprintf(c.env.Stderr, c.tr("cli.watch.watchingCtrlCTo"), pos[0])
		return w.Watch(ctx, u, workflow.WatchInput{Batch: *batch, Folder: pos[0], StableFor: *stable}, func(e workflow.Event) {
			ev := e.Detail.(workflow.WatchEvent)
			if c.json {
				m := map[string]any{"event": string(ev.Kind), "file": ev.File, "document_id": ev.DocumentID, "pages": len(ev.Pages)}
				if ev.Err != nil {
					m["error"] = c.errText(ev.Err)
				}
				c.printJSONLine(m)
				return
			}
			switch ev.Kind {
			case workflow.WatchImported:
				fmt.Fprintf(c.env.Stdout, c.tr("cli.watch.documentPagesStored"), ev.File, ev.DocumentID, len(ev.Pages))
			case workflow.WatchDuplicate:
				fmt.Fprintf(c.env.Stdout, c.tr("cli.watch.alreadyInThisBatch"), ev.File)
			case workflow.WatchFailed, workflow.WatchError:
				fmt.Fprintf(c.env.Stderr, "%s: %s\n", c.tr("cli.common.error"), c.errText(ev.Err))
			}
		})
	}
}

func defSeparatorSheet(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	out := fs.String("out", "", "")
	label := fs.String("label", "", "")
	dpi := fs.Int("dpi", 300, "")
	return func(ctx context.Context, args []string) error {
		if *out == "" {
			return usageError{c.tr("cli.watch.outFilePngIs")}
		}
		toStdout, err := c.outputToStdout(*out, true)
		if err != nil {
			return err
		}
		png, err := workflow.SeparatorSheet(*dpi, *label)
		if err != nil {
			return err
		}
		if toStdout {
			_, err := c.env.Stdout.Write(png)
			return err
		}
		if err := os.WriteFile(*out, png, 0o644); err != nil {
			return err
		}
		if c.json {
			return c.printJSON(map[string]string{"file": *out})
		}
		fmt.Fprintln(c.env.Stdout, *out)
		return nil
	}
}
