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

// batchDesk is desk for a command on one batch: without --batch it is a usage error, given
// before anyone is asked to sign in.
func (c *cmdCtx) batchDesk(ctx context.Context, batch string) (queue.User, *workflow.Workflow, error) {
	if batch == "" {
		return queue.User{}, nil, usageError{c.tr("cli.common.batchIsRequired")}
	}
	return c.desk(ctx)
}
