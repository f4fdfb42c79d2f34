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
)

// Page editing in the viewer: turn a page, move it within its document, delete it, split
// the document at the page on show, merge the document with the next one. Every store call
// runs off the UI goroutine; afterwards the document list and the page are read again and
// the background OCR is woken (a turned page goes back into its queue).

// editLockedError is a page edit refused because the batch has left capturing and keying.
type editLockedError struct{ state queue.State }

func (e editLockedError) Error() string {
	return fmt.Sprintf("batch is %s: pages can be changed only while capturing or keying", e.state)
}

// editErrText is the message a clerk sees for a failed page edit.
func editErrText(err error) string {
	var locked editLockedError
	switch {
	case errors.As(err, &locked):
		return tr("edit.err.locked", map[string]any{"State": stateName(locked.state)})
	case errors.Is(err, queue.ErrBatchLocked):
		// The store's own check (the batch changed state after ours).
		return tr("edit.err.locked", map[string]any{"State": "?"})
	case errors.Is(err, queue.ErrBadEdit):
		return tr("edit.err.bad")
	case errors.Is(err, queue.ErrBadRotation):
		return tr("edit.err.rotation")
	case errors.Is(err, errNoRescanPage):
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
	return container.NewHBox(
		mk("edit.rotateLeft", theme.MediaReplayIcon(), func() { v.rotate(270) }),
		mk("edit.rotateRight", theme.ViewRefreshIcon(), func() { v.rotate(90) }),
		mk("edit.moveUp", theme.MoveUpIcon(), func() { v.movePage(-1) }),
		mk("edit.moveDown", theme.MoveDownIcon(), func() { v.movePage(1) }),
		mk("edit.delete", theme.DeleteIcon(), v.confirmDelete),
		widget.NewSeparator(),
		mk("edit.split", theme.ContentCutIcon(), v.splitHere),
		mk("edit.merge", theme.ContentAddIcon(), v.mergeNext),
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

// edit runs a store edit off the UI goroutine after checking that the batch may still be
// edited. edit returns the document and page to show afterwards. The result shows in the
// status line; an error also opens a dialog.
func (v *batchView) edit(done string, edit func(actor queue.User) (docID, pageID int64, err error)) {
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
		var docID, pageID int64
		b, err := v.e.st.Batch(v.e.ctx, v.batch.ID)
		if err == nil && b.State != queue.StateCapturing && b.State != queue.StateKeying {
			err = editLockedError{state: b.State}
		}
		if err == nil {
			docID, pageID, err = edit(actor)
		}
		if err == nil && v.e.ocr != nil {
			v.e.ocr.Kick()
		}
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

// setBusy disables the edit buttons while an edit runs.
func (v *batchView) setBusy(busy bool) {
	v.busy = busy
	for _, b := range v.editBtns {
		if busy {
			b.Disable()
		} else {
			b.Enable()
		}
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
	v.edit(tr("edit.done.rotate"), func(actor queue.User) (int64, int64, error) {
		_, err := v.e.st.RotatePage(v.e.ctx, actor, pg.ID, deg)
		return doc.ID, pg.ID, err
	})
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
	v.edit(tr("edit.done.move"), func(actor queue.User) (int64, int64, error) {
		return doc.ID, pg.ID, v.e.st.MovePage(v.e.ctx, actor, pg.ID, to)
	})
}

// confirmDelete asks before deleting the page on show.
func (v *batchView) confirmDelete() {
	_, pg, ok := v.currentPage()
	if !ok {
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
	v.edit(tr("edit.done.delete"), func(actor queue.User) (int64, int64, error) {
		return doc.ID, next, v.e.st.DeletePage(v.e.ctx, actor, pg.ID)
	})
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
	v.edit(tr("edit.done.split"), func(actor queue.User) (int64, int64, error) {
		id, err := v.e.st.SplitDocument(v.e.ctx, actor, doc.ID, pg.Seq)
		return id, pg.ID, err
	})
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
	v.edit(tr("edit.done.merge"), func(actor queue.User) (int64, int64, error) {
		return doc.ID, pg.ID, v.e.st.MergeDocuments(v.e.ctx, actor, doc.ID, next.ID)
	})
}
