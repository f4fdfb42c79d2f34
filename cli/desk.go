package cli

import (
	"context"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// desk signs the command in and opens the workflow over its store: the desk's operations
// (import, scan, OCR, keying, review) that the commands call and print.
func (c *cmdCtx) desk(ctx context.Context) (queue.User, *workflow.Workflow, error) {
	u, err := c.login(ctx)
	if err != nil {
		return u, nil, err
	}
	w, err := workflow.New(c.store)
	return u, w, err
}
