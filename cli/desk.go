package cli

import (
	"context"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// desk signs the command in and opens the workflow over its store (wflow): what every
// command acting as a user calls before the workflow operation it prints.
func (c *cmdCtx) desk(ctx context.Context) (queue.User, *workflow.Workflow, error) {
	u, err := c.login(ctx)
	if err != nil {
		return u, nil, err
	}
	w, _, err := c.wflow()
	return u, w, err
}
