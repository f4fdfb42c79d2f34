package app

import (
	"fmt"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
)

// batch table columns
const (
	colName = iota
	colType
	colOffice
	colState
	colDocs
	colPages
	colOCRDone
	colOCRFail
	numCols
)

var colKeys = [numCols]string{"batches.col.name", "batches.col.type", "batches.col.office", "batches.col.state", "batches.col.docs",
	"batches.col.pages", "batches.col.ocrDone", "batches.col.ocrFail"}

// colWidths are the columns' widths; the name and type columns share what the others leave
// (tableLayout), each at least its width here.
var colWidths = [numCols]float32{220, 200, 90, 140, 70, 70, 90, 80}

// tableLayout gives the batch table its space, and the name and type columns what the other
// columns leave: every column shows at 1024 pixels, long names on wider windows.
type tableLayout struct{ s *batchesScreen }

func (l *tableLayout) MinSize(o []fyne.CanvasObject) fyne.Size { return o[0].MinSize() }

func (l *tableLayout) Layout(o []fyne.CanvasObject, size fyne.Size) {
	free := size.Width - theme.ScrollBarSize() - 2*theme.Padding()
	for i, w := range colWidths {
		free -= theme.Padding()
		if i != colName && i != colType {
			free -= w
		}
	}
	name := max(colWidths[colName], free*0.55)
	typ := max(colWidths[colType], free-name)
	if name != l.s.colW[0] || typ != l.s.colW[1] {
		l.s.colW = [2]float32{name, typ}
		l.s.table.SetColumnWidth(colName, name)
		l.s.table.SetColumnWidth(colType, typ)
	}
	o[0].Move(fyne.NewPos(0, 0))
	o[0].Resize(size)
}

// batchesScreen is the main window: the batch list, create, import, open and search.
type batchesScreen struct {
	e    *env
	user queue.User

	batches  []queue.Batch
	types    []queue.RecordType
	selected int // row in batches, -1 for none

	table   *widget.Table
	colW    [2]float32    // the name and type columns' widths (tableLayout)
	status  *widget.Label // background OCR and messages
	search  *textEntry
	hits    []queue.Hit
	hitList *widget.List
	hitHead *widget.Label
	lower   *fyne.Container // the search results
	split   *container.Split
	center  *fyne.Container // the table alone, or the table over the search results

	openBtn, importBtn, scanBtn, keyBtn, commentsBtn, submitBtn *widget.Button
	officeBtn                                                   *widget.Button     // administrators: change the batch's office
	submitRun                                                   func(confirm bool) // the submit on show, to re-run after confirming warnings

	loading, dirty bool

	onOpen   func(queue.Batch)
	openHit  func(queue.Hit)
	onKey    func(queue.Batch) // opens the keying screen
	onSearch func()            // opens the search and browse screen
	onReview func()            // opens the review screen (supervisors)
	content  fyne.CanvasObject
	dlg      dialog.Dialog // the create or import dialog on show
	imp      *importPanel  // the import panel on show
}

func newBatchesScreen(e *env, user queue.User, onOpen func(queue.Batch)) *batchesScreen {
	s := &batchesScreen{e: e, user: user, selected: -1, onOpen: onOpen}

	s.table = widget.NewTable(
		func() (int, int) { return len(s.batches), numCols },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) { o.(*widget.Label).SetText(s.cell(id.Row, id.Col)) },
	)
	s.table.ShowHeaderRow = true
	s.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	s.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < numCols {
			o.(*widget.Label).SetText(tr(colKeys[id.Col]))
		}
	}
	for i, w := range colWidths {
		s.table.SetColumnWidth(i, w)
	}
	s.table.OnSelected = func(id widget.TableCellID) {
		s.selected = id.Row
		s.updateButtons()
		if b, ok := s.current(); ok && b.State == queue.StateReturned {
			s.status.SetText(tr("batches.returnedHint", map[string]any{"Batch": b.Name}))
		}
	}

	newBtn := widget.NewButtonWithIcon(tr("batches.new"), theme.ContentAddIcon(), s.showCreate)
	newBtn.Importance = widget.HighImportance
	s.importBtn = widget.NewButtonWithIcon(tr("batches.import"), theme.FolderOpenIcon(), s.showImport)
	s.scanBtn = widget.NewButtonWithIcon(tr("capture.scan"), theme.MediaPhotoIcon(), s.showCapture)
	s.openBtn = widget.NewButtonWithIcon(tr("batches.open"), theme.DocumentIcon(), func() {
		if b, ok := s.current(); ok && s.onOpen != nil {
			s.onOpen(b)
		}
	})
	s.keyBtn = widget.NewButtonWithIcon(tr("batches.key"), theme.DocumentCreateIcon(), s.keyBatch)
	s.officeBtn = widget.NewButtonWithIcon(tr("batches.office"), theme.SettingsIcon(), s.showOffice)
	browse := widget.NewButtonWithIcon(tr("search.title"), theme.SearchIcon(), func() {
		if s.onSearch != nil {
			s.onSearch()
		}
	})
	s.commentsBtn = widget.NewButtonWithIcon(tr("batches.comments"), theme.MailComposeIcon(), func() {
		if b, ok := s.current(); ok {
			showReviewComments(s.e, b)
		}
	})
	s.submitBtn = widget.NewButtonWithIcon(tr("submit.button"), theme.MailSendIcon(), s.submitBatch)
	refresh := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), s.reload)
	s.updateButtons()

	s.search = newTextEntry()
	s.search.SetPlaceHolder(tr("search.hint"))
	s.search.OnSubmitted = func(string) { s.runSearch() }
	searchBtn := widget.NewButtonWithIcon(tr("search.go"), theme.SearchIcon(), s.runSearch)
	searchBox := container.NewBorder(nil, nil, nil, searchBtn, s.search)

	s.hitHead = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.hitList = widget.NewList(
		func() int { return len(s.hits) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(s.hitText(i)) },
	)
	s.hitList.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(s.hits) && s.openHit != nil {
			s.openHit(s.hits[i])
		}
	}
	closeHits := widget.NewButtonWithIcon("", theme.CancelIcon(), func() { s.showHits(false) })
	s.lower = container.NewBorder(container.NewBorder(nil, nil, nil, closeHits, s.hitHead), nil, nil, nil, s.hitList)

	s.status = widget.NewLabel("")
	s.status.Truncation = fyne.TextTruncateEllipsis
	s.showOCRStatus(nil)

	// Two rows, so that the screen fits 1024 pixels (any language, any role): what the
	// selected batch can do, then creating, finding and reviewing beside the search box.
	selected := container.NewHBox(s.importBtn, s.scanBtn, s.openBtn, s.keyBtn, s.submitBtn, s.commentsBtn)
	if user.Can(queue.ActionManageSettings) { // the core refuses others anyway
		selected.Add(s.officeBtn)
	}
	general := container.NewHBox(newBtn, browse)
	if user.Can(queue.ActionReview) { // the core refuses others anyway
		general.Add(widget.NewButtonWithIcon(tr("review.title"), theme.VisibilityIcon(), func() {
			if s.onReview != nil {
				s.onReview()
			}
		}))
	}
	general.Add(refresh)
	tools := container.NewVBox(container.NewBorder(nil, nil, general, nil, searchBox), selected)
	title := widget.NewLabelWithStyle(tr("batches.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	table := container.New(&tableLayout{s: s}, s.table)
	s.split = container.NewVSplit(table, s.lower)
	s.split.Offset = 0.6
	s.center = container.NewStack(table)
	s.content = container.NewBorder(container.NewVBox(title, tools), s.status, nil, nil, s.center)
	s.reload()
	return s
}

// cell is the text of one table cell.
func (s *batchesScreen) cell(row, col int) string {
	if row < 0 || row >= len(s.batches) {
		return ""
	}
	b := s.batches[row]
	switch col {
	case colName:
		return b.Name
	case colType:
		return s.typeName(b.RecordType)
	case colOffice:
		return b.Office
	case colState:
		return stateName(b.State)
	case colDocs:
		return strconv.Itoa(b.Documents)
	case colPages:
		return strconv.Itoa(b.Pages)
	case colOCRDone:
		return strconv.Itoa(b.PagesDone)
	case colOCRFail:
		return strconv.Itoa(b.PagesFail)
	}
	return ""
}

// stateName is a batch state in the interface language.
func stateName(st queue.State) string { return tr("state." + string(st)) }

// typeName is a record type's name in the interface language.
func (s *batchesScreen) typeName(key string) string { return recordTypeName(s.types, key) }

func recordTypeName(types []queue.RecordType, key string) string {
	for _, t := range types {
		if t.Key == key {
			if currentLanguage() == "vi" {
				return t.NameVi
			}
			return t.NameEn
		}
	}
	return key
}

func (s *batchesScreen) current() (queue.Batch, bool) {
	if s.selected < 0 || s.selected >= len(s.batches) {
		return queue.Batch{}, false
	}
	return s.batches[s.selected], true
}

func (s *batchesScreen) updateButtons() {
	if _, ok := s.current(); ok {
		s.openBtn.Enable()
		s.importBtn.Enable()
		s.scanBtn.Enable()
		s.keyBtn.Enable()
		s.commentsBtn.Enable()
		if b, _ := s.current(); b.State != queue.StateSigned && b.State != queue.StateSynced {
			s.officeBtn.Enable()
		} else {
			s.officeBtn.Disable()
		}
		if b, _ := s.current(); b.State.Keyable() { // the states a batch is submitted from
			s.submitBtn.Enable()
		} else {
			s.submitBtn.Disable()
		}
	} else {
		s.submitBtn.Disable()
		s.openBtn.Disable()
		s.importBtn.Disable()
		s.scanBtn.Disable()
		s.keyBtn.Disable()
		s.commentsBtn.Disable()
		s.officeBtn.Disable()
	}
}

// keyBatch opens the keying screen of the selected batch, unless its office stops it: a
// batch without the workstation's office is not keyed (the core's refusal says how to fix).
func (s *batchesScreen) keyBatch() {
	b, ok := s.current()
	if !ok || s.onKey == nil {
		return
	}
	s.e.bg.Go(func() {
		err := s.e.st.CheckBatchOffice(s.e.ctx, b.ID)
		s.e.do(func() {
			if err != nil {
				s.status.SetText(errText(err))
				showError(s.e.win, err)
				return
			}
			s.onKey(b)
		})
	})
}

// showOffice lets an administrator change the selected batch's office (until it is signed).
func (s *batchesScreen) showOffice() {
	b, ok := s.current()
	if !ok {
		return
	}
	s.e.bg.Go(func() {
		offices, err := s.e.st.KnownOffices(s.e.ctx)
		s.e.do(func() {
			if err != nil {
				showError(s.e.win, err)
				return
			}
			choice := widget.NewSelectEntry(offices)
			choice.SetPlaceHolder(tr("create.office.hint"))
			choice.SetText(b.Office)
			if b.Office == "" && len(offices) > 0 {
				choice.SetText(offices[0])
			}
			msg := widget.NewLabel("")
			msg.Importance = widget.DangerImportance
			msg.Wrapping = fyne.TextWrapWord
			var save *widget.Button
			save = widget.NewButtonWithIcon(tr("office.save"), theme.DocumentSaveIcon(), func() {
				code := choice.Text
				save.Disable()
				s.e.bg.Go(func() {
					err := s.e.st.SetBatchOffice(s.e.ctx, s.user, b.ID, code)
					s.e.do(func() {
						save.Enable()
						if err != nil {
							msg.SetText(errText(err))
							return
						}
						s.closeDialog()
						s.status.SetText(tr("office.changed", map[string]any{"Batch": b.Name, "Office": code}))
						s.reload()
					})
				})
			})
			save.Importance = widget.HighImportance
			cancel := widget.NewButtonWithIcon(tr("btn.cancel"), theme.CancelIcon(), s.closeDialog)
			form := widget.NewForm(widget.NewFormItem(tr("office.label"), choice))
			s.dlg = dialog.NewCustomWithoutButtons(tr("office.title", map[string]any{"Batch": b.Name}),
				container.NewVBox(form, msg, container.NewHBox(layout.NewSpacer(), cancel, save)), s.e.win)
			s.dlg.Resize(fyne.NewSize(520, 0))
			s.dlg.Show()
		})
	})
}

// reload reads the batches and record types again off the UI goroutine. Calls while a load
// runs are folded into one more load afterwards.
func (s *batchesScreen) reload() {
	if s.loading {
		s.dirty = true
		return
	}
	s.loading = true
	s.e.bg.Go(func() {
		bs, err := s.e.st.ListBatches(s.e.ctx, queue.BatchFilter{})
		var ts []queue.RecordType
		if err == nil {
			ts, err = s.e.st.RecordTypes(s.e.ctx)
		}
		s.e.do(func() {
			s.loading = false
			if err != nil {
				s.status.SetText(errText(err))
			} else {
				var selID string
				if b, ok := s.current(); ok {
					selID = b.ID
				}
				s.batches, s.types = bs, ts
				s.selected = -1
				for i, b := range bs {
					if b.ID == selID {
						s.selected = i
					}
				}
				s.table.Refresh()
				s.updateButtons()
			}
			if s.dirty {
				s.dirty = false
				s.reload()
			}
		})
	})
}

// ocrProgress is called on the UI goroutine for each background OCR report.
func (s *batchesScreen) ocrProgress(p OCRProgress) {
	s.showOCRStatus(&p)
	s.reload()
}

func (s *batchesScreen) showOCRStatus(p *OCRProgress) {
	switch {
	case s.e.ocr == nil:
		s.status.SetText(tr("ocr.off"))
	case p == nil:
		s.status.SetText(tr("ocr.running"))
	default:
		s.status.SetText(tr("ocr.status", map[string]any{"Pending": p.Pending, "Done": p.Done, "Failed": p.Failed}))
	}
}

func (s *batchesScreen) runSearch() {
	q := s.search.Text
	s.e.bg.Go(func() {
		hits, err := s.e.st.Search(s.e.ctx, q, 200)
		s.e.do(func() {
			if err != nil {
				s.hits = nil
				s.hitHead.SetText(errText(err))
			} else {
				s.hits = hits
				s.hitHead.SetText(tr("search.count", map[string]any{"N": len(hits)}))
			}
			s.hitList.UnselectAll()
			s.hitList.Refresh()
			s.showHits(true)
		})
	})
}

// showHits shows or hides the search results under the table.
func (s *batchesScreen) showHits(on bool) {
	if on {
		s.center.Objects = []fyne.CanvasObject{s.split}
		s.split.Refresh()
	} else {
		s.hits = nil
		s.center.Objects = []fyne.CanvasObject{s.split.Leading}
	}
	s.center.Refresh()
}

func (s *batchesScreen) hitText(i int) string {
	if i < 0 || i >= len(s.hits) {
		return ""
	}
	h := s.hits[i]
	return fmt.Sprintf("%s — %s", hitWhere(h, s.batches), h.Snippet)
}

// showCreate opens the new-batch form in a dialog, the office chosen from the known ones
// (the workstation's first).
func (s *batchesScreen) showCreate() {
	offices, err := s.e.st.KnownOffices(s.e.ctx) // a few settings rows: read here, the dialog opens at once
	if err != nil {
		showError(s.e.win, err)
		return
	}
	form := newCreateBatchForm(s.e, s.user, s.types, offices, func(b queue.Batch) {
		s.closeDialog()
		s.selected = -1
		s.reload()
	}, s.closeDialog)
	s.dlg = dialog.NewCustomWithoutButtons(tr("create.title"), form, s.e.win)
	s.dlg.Resize(fyne.NewSize(560, 0))
	s.dlg.Show()
}

func (s *batchesScreen) closeDialog() {
	if s.dlg != nil {
		s.dlg.Hide()
		s.dlg = nil
	}
}

// showImport opens the import dialog for the selected batch.
func (s *batchesScreen) showImport() {
	b, ok := s.current()
	if !ok {
		return
	}
	p := newImportPanel(s.e, s.user, b, s.reload)
	p.onClose = s.closeDialog
	s.imp = p
	s.dlg = dialog.NewCustomWithoutButtons(tr("import.title", map[string]any{"Batch": b.Name}), p.content, s.e.win)
	s.dlg.Resize(fyne.NewSize(760, 520))
	s.dlg.Show()
}

// newCreateBatchForm asks for a batch name, office and record type and creates the batch.
// The office is one of offices (the workstation's first, proposed) or a code typed in; the
// core checks it. Office codes are ASCII (HN-01): that entry has no Telex.
func newCreateBatchForm(e *env, user queue.User, types []queue.RecordType, offices []string, onCreated func(queue.Batch), onCancel func()) fyne.CanvasObject {
	name := newTextEntry()
	name.SetPlaceHolder(tr("create.name.hint"))
	office := widget.NewSelectEntry(offices)
	office.SetPlaceHolder(tr("create.office.hint"))
	if len(offices) > 0 {
		office.SetText(offices[0])
	}
	var opts []string
	for _, t := range types {
		opts = append(opts, recordTypeName(types, t.Key))
	}
	kind := widget.NewSelect(opts, nil)
	kind.PlaceHolder = tr("create.type.hint")
	for i, t := range types {
		if t.Key == "generic" {
			kind.SetSelectedIndex(i)
		}
	}
	msg := widget.NewLabel("")
	msg.Importance = widget.DangerImportance
	msg.Wrapping = fyne.TextWrapWord

	var ok *widget.Button
	ok = widget.NewButtonWithIcon(tr("create.submit"), theme.ConfirmIcon(), func() {
		spec := queue.BatchSpec{Name: name.Text, Office: office.Text}
		if i := kind.SelectedIndex(); i >= 0 && i < len(types) {
			spec.RecordType = types[i].Key
		}
		ok.Disable()
		e.bg.Go(func() {
			b, err := e.st.CreateBatch(e.ctx, user, spec)
			e.do(func() {
				ok.Enable()
				if err != nil {
					msg.SetText(errText(err))
					return
				}
				onCreated(b)
			})
		})
	})
	ok.Importance = widget.HighImportance
	cancel := widget.NewButtonWithIcon(tr("btn.cancel"), theme.CancelIcon(), onCancel)
	form := widget.NewForm(
		widget.NewFormItem(tr("create.name"), name),
		widget.NewFormItem(tr("create.office"), office),
		widget.NewFormItem(tr("create.type"), kind),
	)
	return container.NewVBox(form, msg, container.NewHBox(layout.NewSpacer(), cancel, ok))
}
