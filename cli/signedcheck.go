package cli

import (
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// wflow opens the store (c.open) and the workflow over it: the operations the commands
// start (workflow/).
func (c *cmdCtx) wflow() (*workflow.Workflow, *queue.Store, error) {
	st, err := c.open()
	if err != nil {
		return nil, nil, err
	}
	w, err := workflow.New(st)
	if err != nil {
		return nil, nil, err
	}
	return w, st, nil
}

// useSignatureChecker plugs the workflow's signature checker into the open store (export
// and audit need it to compare signed batches with what was signed).
func (c *cmdCtx) useSignatureChecker(opts workflow.VerifyOptions) {
	if c.store != nil {
		(&workflow.Workflow{Store: c.store}).UseSignatureChecker(opts)
	}
}
