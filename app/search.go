package app

import (
	"fmt"
	"regexp"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
)

// searchScreen searches fields and OCR text regardless of diacritics, or browses documents,
// filtered by batch, record type, batch state, clerk and capture date. Opening a hit opens
// its document for keying at the hit's page or field.
type searchScreen struct {
	e *env

	batches []queue.Batch
	types   []queue.RecordType
	users   []queue.User

	query                       *textEntry
	batchSel, typeSel, stateSel *widget.Select
	clerkSel                    *widget.Select
	from, to                    *widget.Entry
	head                        *widget.Label
	list                        *widget.List
	hits                        []queue.Hit

	onOpen  func(queue.Hit)
	onBack  func()
	content fyne.CanvasObject
}

var states = []queue.State{"capturing", "keying", "review", "returned", "approved", "signed", "synced"}

var dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func newSearchScreen(e *env, onOpen func(queue.Hit), onBack func()) *searchScreen {
	s := &searchScreen{e: e, onOpen: onOpen, onBack: onBack}
	s.query = newTextEntry()
	s.query.SetPlaceHolder(tr("search.hint"))
	s.query.OnSubmitted = func(string) { s.run() }
	s.batchSel = widget.NewSelect(nil, nil)
	s.typeSel = widget.NewSelect(nil, nil)
	s.clerkSel = widget.NewSelect(nil, nil)
	s.stateSel = widget.NewSelect(nil, nil)
	any := tr("search.any")
	opts := []string{any}
	for _, st := range states {
		opts = append(opts, stateName(st))
	}
	s.stateSel.Options = opts
	for _, sel := range []*widget.Select{s.batchSel, s.typeSel, s.clerkSel, s.stateSel} {
		if len(sel.Options) == 0 {
			sel.Options = []string{any}
		}
		sel.SetSelectedIndex(0)
	}
	s.from, s.to = widget.NewEntry(), widget.NewEntry()
	s.from.SetPlaceHolder(tr("search.from"))
	s.to.SetPlaceHolder(tr("search.to"))
	s.from.OnSubmitted = func(string) { s.run() }
	s.to.OnSubmitted = func(string) { s.run() }

	s.head = widget.NewLabel("")
	s.list = widget.NewList(
		func() int { return len(s.hits) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(s.hitText(i)) },
	)
	s.list.OnSelected = func(i widget.ListItemID) { s.open(i) }

	back := widget.NewButtonWithIcon(tr("viewer.back"), theme.NavigateBackIcon(), func() {
		if s.onBack != nil {
			s.onBack()
		}
	})
	goBtn := widget.NewButtonWithIcon(tr("search.go"), theme.SearchIcon(), s.run)
	goBtn.Importance = widget.HighImportance
	filters := container.NewGridWithColumns(6,
		labelled(tr("search.batch"), s.batchSel), labelled(tr("search.type"), s.typeSel),
		labelled(tr("search.state"), s.stateSel), labelled(tr("search.clerk"), s.clerkSel),
		labelled(tr("search.fromLabel"), s.from), labelled(tr("search.toLabel"), s.to))
	title := widget.NewLabelWithStyle(tr("search.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	top := container.NewVBox(container.NewBorder(nil, nil, back, nil, title),
		container.NewBorder(nil, nil, nil, goBtn, s.query), filters, s.head)
	s.content = container.NewBorder(top, nil, nil, nil, s.list)
	s.load()
	return s
}

func labelled(l string, o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewBorder(widget.NewLabel(l), nil, nil, nil, o)
}

// load reads the filter choices (batches, record types, users) off the UI goroutine.
func (s *searchScreen) load() {
	s.e.bg.Go(func() {
		bs, err := s.e.st.ListBatches(s.e.ctx, queue.BatchFilter{})
		var ts []queue.RecordType
		var us []queue.User
		if err == nil {
			ts, err = s.e.st.RecordTypes(s.e.ctx)
		}
		if err == nil {
			us, err = s.e.st.Users(s.e.ctx)
		}
		s.e.do(func() {
			if err != nil {
				s.head.SetText(errText(err))
				return
			}
			s.batches, s.types, s.users = bs, ts, us
			any := tr("search.any")
			b := []string{any}
			for _, x := range bs { // the ID's end tells apart batches of the same name
				b = append(b, fmt.Sprintf("%s · %s", x.Name, x.ID[max(0, len(x.ID)-6):]))
			}
			t := []string{any}
			for _, x := range ts {
				t = append(t, recordTypeName(ts, x.Key))
			}
			u := []string{any}
			for _, x := range us {
				u = append(u, fmt.Sprintf("%s (%s)", x.FullName, x.Username))
			}
			s.batchSel.Options, s.typeSel.Options, s.clerkSel.Options = b, t, u
			for _, sel := range []*widget.Select{s.batchSel, s.typeSel, s.clerkSel} {
				sel.SetSelectedIndex(0)
			}
		})
	})
}

// filter is the chosen filters; ok is false (and the heading says why) for a bad date.
func (s *searchScreen) filter() (queue.SearchFilter, bool) {
	var f queue.SearchFilter
	if i := s.batchSel.SelectedIndex() - 1; i >= 0 && i < len(s.batches) {
		f.BatchID = s.batches[i].ID
	}
	if i := s.typeSel.SelectedIndex() - 1; i >= 0 && i < len(s.types) {
		f.RecordType = s.types[i].Key
	}
	if i := s.stateSel.SelectedIndex() - 1; i >= 0 && i < len(states) {
		f.State = states[i]
	}
	if i := s.clerkSel.SelectedIndex() - 1; i >= 0 && i < len(s.users) {
		f.Clerk = s.users[i].Username
	}
	for _, d := range []struct {
		e   *widget.Entry
		dst *string
	}{{s.from, &f.From}, {s.to, &f.To}} {
		if d.e.Text == "" {
			continue
		}
		if !dateRe.MatchString(d.e.Text) {
			s.head.SetText(tr("search.badDate"))
			return f, false
		}
		*d.dst = d.e.Text
	}
	return f, true
}

// run searches (or browses, with an empty query) off the UI goroutine.
func (s *searchScreen) run() {
	f, ok := s.filter()
	if !ok {
		return
	}
	q := s.query.Text
	s.e.bg.Go(func() {
		hits, err := s.e.st.SearchFiltered(s.e.ctx, q, f, 500)
		s.e.do(func() {
			if err != nil {
				s.hits = nil
				s.head.SetText(errText(err))
			} else {
				s.hits = hits
				s.head.SetText(tr("search.count", map[string]any{"N": len(hits)}))
			}
			s.list.UnselectAll()
			s.list.Refresh()
			if len(s.hits) > 0 && s.e.win != nil {
				s.e.win.Canvas().Focus(s.list)
			}
		})
	})
}

func (s *searchScreen) open(i int) {
	if i >= 0 && i < len(s.hits) && s.onOpen != nil {
		s.onOpen(s.hits[i])
	}
}

func (s *searchScreen) hitText(i int) string {
	if i < 0 || i >= len(s.hits) {
		return ""
	}
	h := s.hits[i]
	where := hitWhere(h, s.batches)
	if h.Field != "" {
		where += " · " + h.Field
	}
	return fmt.Sprintf("%s — %s", where, h.Snippet)
}

// hitWhere names where a search hit is: its batch (by name when the batch is known) and document.
func hitWhere(h queue.Hit, batches []queue.Batch) string {
	name := h.BatchID
	for _, b := range batches {
		if b.ID == h.BatchID {
			name = b.Name
		}
	}
	return tr("search.where", map[string]any{"Batch": name, "Doc": h.DocumentID})
}
