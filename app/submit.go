package app

import (
	"errors"

	"fyne.io/fyne/v2/dialog"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// submitBatch sends the selected batch to review (off the UI goroutine). Hard validation
// errors refuse it with their count; warnings ask the clerk to confirm, then submit again.
func (s *batchesScreen) submitBatch() {
	b, ok := s.current()
	if !ok {
		return
	}
	run := func(confirm bool) {
		s.status.SetText(tr("submit.running", map[string]any{"Batch": b.Name}))
		s.e.bg.Go(func() {
			res, err := s.e.flow().Submit(s.e.ctx, s.user, workflow.SubmitInput{Batch: b.ID, ConfirmWarnings: confirm}, nil)
			s.e.do(func() { s.submitted(b, res, err, confirm) })
		})
	}
	s.submitRun = run
	run(false)
}

func (s *batchesScreen) submitted(b queue.Batch, res workflow.SubmitResult, err error, confirmed bool) {
	var we *queue.WarningsError
	switch {
	case err == nil:
		s.status.SetText(tr("submit.done", map[string]any{"Batch": b.Name, "N": res.Documents}))
		s.reload()
	case errors.As(err, &we) && !confirmed:
		dialog.ShowConfirm(tr("submit.title"), tr("submit.confirmWarnings", map[string]any{"N": we.Warnings}), func(yes bool) {
			if yes && s.submitRun != nil {
				s.submitRun(true)
			}
		}, s.e.win)
		s.status.SetText("")
	default:
		s.status.SetText(errText(err))
	}
}
