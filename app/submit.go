package app

import (
	"errors"
	"time"

	"fyne.io/fyne/v2/dialog"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// batchDocChecker validates the documents of batch b with its record type (records.Checker):
// the queue refuses a submit while any document has a hard error.
func batchDocChecker(st *queue.Store, b queue.Batch) (queue.DocChecker, error) {
	reg, err := recordRegistryFor(st.Dir())
	if err != nil {
		return nil, err
	}
	rt, ok := reg.Get(b.RecordType)
	if !ok {
		return nil, errors.New("loại hồ sơ không có / unknown record type: " + b.RecordType)
	}
	return records.Checker(st, rt, time.Now(), nil), nil
}

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
			var res queue.SubmitResult
			check, err := batchDocChecker(s.e.st, b)
			if err == nil {
				res, err = s.e.st.Submit(s.e.ctx, s.user, b.ID, check, confirm)
			}
			s.e.do(func() { s.submitted(b, res, err, confirm) })
		})
	}
	s.submitRun = run
	run(false)
}

func (s *batchesScreen) submitted(b queue.Batch, res queue.SubmitResult, err error, confirmed bool) {
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
