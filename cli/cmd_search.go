package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

func init() {
	register("search", "QUERY [--limit N]", defSearch)
}

func defSearch(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	limit := fs.Int("limit", 50, "")
	return func(ctx context.Context, words []string) error {
		q := strings.Join(words, " ")
		if strings.TrimSpace(q) == "" {
			return usageError{c.tr("cli.search.whatShouldISearch")}
		}
		if _, err := c.login(ctx); err != nil {
			return err
		}
		hits, err := c.store.Search(ctx, q, *limit)
		if err != nil {
			return err
		}
		if c.json {
			type jh struct {
				BatchID    string `json:"batch_id"`
				DocumentID int64  `json:"document_id"`
				PageID     int64  `json:"page_id,omitempty"`
				Field      string `json:"field,omitempty"`
				Snippet    string `json:"snippet"`
			}
			out := []jh{}
			for _, h := range hits {
				out = append(out, jh{h.BatchID, h.DocumentID, h.PageID, h.Field, h.Snippet})
			}
			return c.printJSON(out)
		}
		if len(hits) == 0 {
			fmt.Fprintln(c.env.Stdout, c.tr("cli.search.noMatch"))
		}
		for _, h := range hits {
			where := fmt.Sprintf("%s %d", c.tr("cli.common.page"), h.PageID)
			if h.Field != "" {
				where = c.tr("cli.search.field") + h.Field
			}
			fmt.Fprintf(c.env.Stdout, "%s  %s %d  %s: %s\n", h.BatchID[:8], c.tr("cli.search.doc"), h.DocumentID, where, h.Snippet)
		}
		return nil
	}
}
