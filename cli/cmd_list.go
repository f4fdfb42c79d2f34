package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/queue"
)

func init() {
	register("list", "[--batch ID] [--state S]", defList)
}

func defList(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	state := fs.String("state", "", "")
	return func(ctx context.Context, args []string) error {
		if _, err := c.login(ctx); err != nil {
			return err
		}
		if *batch != "" {
			docs, err := c.store.Documents(ctx, *batch)
			if err != nil {
				return err
			}
			if c.json {
				type jd struct {
					ID     int64  `json:"id"`
					Seq    int    `json:"seq"`
					Origin string `json:"origin"`
					Status string `json:"status"`
					Pages  int    `json:"pages"`
				}
				out := []jd{}
				for _, d := range docs {
					out = append(out, jd{d.ID, d.Seq, d.Origin, d.Status, d.Pages})
				}
				return c.printJSON(out)
			}
			for _, d := range docs {
				fmt.Fprintf(c.env.Stdout, "%6d  #%-4d %-40s %d %s\n", d.ID, d.Seq, d.Origin, d.Pages, c.tr("cli.list.pages"))
			}
			return nil
		}
		batches, err := c.store.ListBatches(ctx, queue.BatchFilter{State: queue.State(*state)})
		if err != nil {
			return err
		}
		if c.json {
			out := []jsonBatch{}
			for _, b := range batches {
				out = append(out, batchJSON(b))
			}
			return c.printJSON(out)
		}
		if len(batches) == 0 {
			fmt.Fprintln(c.env.Stdout, c.tr("cli.list.noBatches"))
		}
		for _, b := range batches {
			fmt.Fprintf(c.env.Stdout, "%s  %-10s %-10s %-24s %4d %s %5d %s (OCR %d/%d)\n", b.ID, b.State, b.RecordType, b.Name,
				b.Documents, c.tr("cli.list.docs"), b.Pages, c.tr("cli.list.pages"), b.PagesDone, b.Pages)
		}
		return nil
	}
}
