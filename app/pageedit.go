package app

import (
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// Page editing in the viewer: turn a page, move it within its document, delete it, split
// the document at the page on show, merge the document with the next one. Every store call
// runs off the UI goroutine; afterwards the document list and the page are read again and
// the background OCR is woken (a turned page goes back into its queue).

// editErrText is the message a clerk sees for a failed page edit.
func editErrText(err error) string {
	var locked *queue.LockedError
	switch {
	case errors.As(err, &locked):
		return tr("edit.err.locked", map[string]any{"State": stateName(locked.State)})
	case errors.Is(err, queue.ErrBatchLocked):
		return tr("edit.err.locked", map[string]any{"State": "?"})
	case errors.Is(err, queue.ErrBadEdit):
		return tr("edit.err.bad")
	case errors.Is(err, queue.ErrBadRotation):
		return tr("edit.err.rotation")
	case errors.Is(err, workflow.ErrNoPage):
		return tr("capture.rescan.none")
	}
	return errText(err)
}

// editBar is the row of page-editing buttons shown above the page.
func (v *batchView) editBar() fyne.CanvasObject {
	mk := func(key string, icon fyne.Resource, f func()) *widget.Button {
		b := widget.NewButtonWithIcon(tr(key), icon, func() {
			f()
			if v.e.win != nil {
				v.e.win.Canvas().Unfocus()
			}
		})
		v.editBtns = append(v.editBtns, b)
		return b
	}
	v.editBtns = nil
	// The page's edits, then the document's, on two rows: the viewer fits 1024 pixels.
	defer v.setBusy(false) // disabled from the start when the batch is past keying
	return container.NewVBox(
		container.NewHBox(
			mk("edit.rotateLeft", theme.MediaReplayIcon(), func() { v.rotate(270) }),
			mk("edit.rotateRight", theme.ViewRefreshIcon(), func() { v.rotate(90) }),
			mk("edit.moveUp", theme.MoveUpIcon(), func() { v.movePage(-1) }),
			mk("edit.moveDown", theme.MoveDownIcon(), func() { v.movePage(1) }),
			mk("edit.delete", theme.DeleteIcon(), v.confirmDelete),
		),
		container.NewHBox(
			mk("edit.split", theme.ContentCutIcon(), v.splitHere),
			mk("edit.merge", theme.ContentAddIcon(), v.mergeNext),
		),
	)
}

// editShortcuts are the keyboard shortcuts of the edit bar: Ctrl+R turns right,
// Ctrl+Shift+R turns left, Ctrl+T splits ("tách") at the page on show.
func (v *batchView) editShortcuts() []viewerShortcut {
	ctrl := fyne.KeyModifierShortcutDefault
	return []viewerShortcut{
		{&desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: ctrl}, func(fyne.Shortcut) { v.rotate(90) }},
		{&desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: ctrl | fyne.KeyModifierShift}, func(fyne.Shortcut) { v.rotate(270) }},
		{&desktop.CustomShortcut{KeyName: fyne.KeyT, Modifier: ctrl}, func(fyne.Shortcut) { v.splitHere() }},
	}
}

// currentPage is the page on show.
func (v *batchView) currentPage() (queue.Document, queue.Page, bool) {
	if v.di < 0 || v.di >= len(v.docs) || v.pi < 0 || v.pi >= len(v.pages) {
		return queue.Document{}, queue.Page{}, false
	}
	return v.docs[v.di], v.pages[v.pi], true
}

// edit runs a page edit (workflow.EditPages) off the UI goroutine; the store refuses it once
// the batch has left capture and keying. show names the document and page to show
// afterwards (a split shows its new document). The result shows in the status line; an
// error also opens a dialog.
func (v *batchView) edit(done string, in workflow.PageEdit, show func(workflow.EditResult) (docID, pageID int64)) {
	if v.busy {
		return
	}
	if v.user == nil {
		v.editFailed(queue.ErrNotPermitted)
		return
	}
	actor := *v.user
	v.setBusy(true)
	v.editStatus.SetText(tr("edit.working"))
	v.e.bg.Go(func() {
		res, err := v.e.flow().EditPages(v.e.ctx, actor, in)
		docID, pageID := show(res)
		v.e.do(func() {
			v.setBusy(false)
			if err != nil {
				v.editFailed(err)
				return
			}
			v.editStatus.SetText(done)
			v.open(docID, pageID)
		})
	})
}

// pagesEditable: the store takes page edits only while the batch is being captured or keyed
// (queue.LockedError otherwise); the buttons say so before a click does.
func (v *batchView) pagesEditable() bool {
	return v.batch.State == queue.StateCapturing || v.batch.State == queue.StateKeying
}

// setBusy disables the edit buttons while an edit runs; they stay disabled, with the reason
// in the status line, when the batch is past keying.
func (v *batchView) setBusy(busy bool) {
	v.busy = busy
	locked := !v.pagesEditable()
	for _, b := range v.editBtns {
		if busy || locked {
			b.Disable()
		} else {
			b.Enable()
		}
	}
	if locked && v.editStatus != nil && v.editStatus.Text == "" {
		v.editStatus.SetText(tr("edit.err.locked", map[string]any{"State": stateName(v.batch.State)}))
	}
}

func (v *batchView) editFailed(err error) {
	msg := editErrText(err)
	v.editStatus.SetText(msg)
	if v.e.win != nil {
		showMessage(v.e.win, tr("dlg.error"), msg)
	}
}

// rotate turns the page on show clockwise by deg (90 right, 270 left).
func (v *batchView) rotate(deg int) {
	doc, pg, ok := v.currentPage()
	if !ok {
		return
	}
	v.edit(tr("edit.done.rotate"), workflow.PageEdit{Op: workflow.EditRotate, Page: pg.ID, Degrees: deg},
		func(workflow.EditResult) (int64, int64) { return doc.ID, pg.ID })
}

// movePage moves the page on show by delta places within its document.
func (v *batchView) movePage(delta int) {
	doc, pg, ok := v.currentPage()
	if !ok {
		return
	}
	to := pg.Seq + delta
	if to < 1 || to > len(v.pages) {
		v.editStatus.SetText(tr("edit.err.edge"))
		return
	}
	v.edit(tr("edit.done.move"), workflow.PageEdit{Op: workflow.EditMove, Page: pg.ID, To: to},
		func(workflow.EditResult) (int64, int64) { return doc.ID, pg.ID })
}

// confirmDelete asks before deleting the page on show.
func (v *batchView) confirmDelete() {
	_, pg, ok := v.currentPage()
	if !ok {
		return
	}
	if !v.pagesEditable() { // (a shortcut or a stale button): no question for an edit the store refuses
		v.editFailed(&queue.LockedError{State: v.batch.State})
		return
	}
	if len(v.pages) < 2 {
		v.editFailed(fmt.Errorf("%w: the only page of a document cannot be deleted", queue.ErrBadEdit))
		return
	}
	msg := widget.NewLabel(tr("edit.delete.ask", map[string]any{"N": pg.Seq, "Total": len(v.pages)}))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(tr("edit.delete.title"), tr("edit.delete.yes"), tr("btn.cancel"), msg, func(yes bool) {
		if yes {
			v.deletePage()
		}
	}, v.e.win)
	d.Resize(fyne.NewSize(440, 0))
	d.Show()
}

// deletePage deletes the page on show (no question asked); the next page shows after.
func (v *batchView) deletePage() {
	doc, pg, ok := v.currentPage()
	if !ok {
		return
	}
	next := int64(0)
	switch {
	case v.pi+1 < len(v.pages):
		next = v.pages[v.pi+1].ID
	case v.pi > 0:
		next = v.pages[v.pi-1].ID
	}
	v.edit(tr("edit.done.delete"), workflow.PageEdit{Op: workflow.EditDelete, Page: pg.ID},
		func(workflow.EditResult) (int64, int64) { return doc.ID, next })
}

// splitHere starts a new document at the page on show.
func (v *batchView) splitHere() {
	doc, pg, ok := v.currentPage()
	if !ok {
		return
	}
	if pg.Seq < 2 {
		v.editFailed(fmt.Errorf("%w: split at the first page", queue.ErrBadEdit))
		return
	}
	v.edit(tr("edit.done.split"), workflow.PageEdit{Op: workflow.EditSplit, Document: doc.ID, To: pg.Seq},
		func(r workflow.EditResult) (int64, int64) { return r.NewDocument, pg.ID })
}

// mergeNext appends the next document's pages to the document on show.
func (v *batchView) mergeNext() {
	doc, pg, ok := v.currentPage()
	if !ok {
		return
	}
	if v.di+1 >= len(v.docs) {
		v.editFailed(fmt.Errorf("%w: no document after this one", queue.ErrBadEdit))
		return
	}
	next := v.docs[v.di+1]
	v.edit(tr("edit.done.merge"), workflow.PageEdit{Op: workflow.EditMerge, Document: doc.ID, Next: next.ID},
		func(workflow.EditResult) (int64, int64) { return doc.ID, pg.ID })
}
