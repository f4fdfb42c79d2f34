package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("import", "--batch ID FILE|FOLDER…", defImport)
}

type jsonImportEvent struct {
	Event      string     `json:"event"` // stored | skipped | failed
	File       string     `json:"file"`
	Index      int        `json:"index"`
	Total      int        `json:"total"`
	DocumentID int64      `json:"document_id,omitempty"`
	Pages      []jsonPage `json:"pages,omitempty"`
	Error      string     `json:"error,omitempty"`
}

type jsonPage struct {
	ID     int64  `json:"id"`
	Seq    int    `json:"seq"`
	SHA256 string `json:"sha256"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

func defImport(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	return func(ctx context.Context, paths []string) error {
		if *batch == "" {
			return usageError{c.tr("cli.common.batchIsRequired")}
		}
		if len(paths) == 0 {
			return usageError{c.tr("cli.import.nameAtLeastOne")}
		}
		u, w, err := c.desk(ctx)
		if err != nil {
			return err
		}
		// Each line is printed only after the document and its pages are durable.
		sum, err := w.Import(ctx, u, workflow.ImportInput{Batch: *batch, Paths: paths}, func(e workflow.Event) {
			ev := e.Detail.(workflow.ImportFile)
			if c.json {
				je := jsonImportEvent{File: ev.File, Index: ev.Index, Total: ev.Total, DocumentID: ev.DocumentID}
				switch {
				case ev.Err != nil:
					je.Event, je.Error = "failed", c.errText(ev.Err)
				case ev.Skipped:
					je.Event = "skipped"
				default:
					je.Event = "stored"
					for _, p := range ev.Stored {
						je.Pages = append(je.Pages, jsonPage{p.ID, p.Seq, p.Blob, p.Width, p.Height})
					}
				}
				c.printJSONLine(je)
				return
			}
			switch {
			case ev.Err != nil:
				fmt.Fprintf(c.env.Stderr, "[%d/%d] %s: %s\n", ev.Index, ev.Total, c.tr("cli.common.error"), c.errText(ev.Err))
			case ev.Skipped:
				fmt.Fprintf(c.env.Stdout, "[%d/%d] %s: %s\n", ev.Index, ev.Total, ev.File, c.tr("cli.import.alreadyInThisBatch"))
			default:
				for _, p := range ev.Stored {
					fmt.Fprintf(c.env.Stdout, "[%d/%d] %s: %s %d, %s %d/%d (%dx%d) %s\n", ev.Index, ev.Total, ev.File,
						c.tr("cli.import.document"), ev.DocumentID, c.tr("cli.common.page"), p.Seq, len(ev.Stored), p.Width, p.Height,
						c.tr("cli.import.stored"))
				}
			}
		})
		if err != nil {
			return err
		}
		if c.json {
			c.printJSONLine(map[string]any{"event": "summary", "files": sum.Files, "documents": sum.Documents,
				"page_count": sum.Pages, "skipped": sum.Skipped, "failed": sum.Failed})
		} else {
			fmt.Fprintf(c.env.Stdout, c.tr("cli.import.filesDocumentsPagesStored"), sum.Files, sum.Documents, sum.Pages, sum.Skipped, sum.Failed)
		}
		if sum.Failed > 0 {
			return exitError{1}
		}
		return nil
	}
}
