package app

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// tasks runs short background jobs (store reads and writes, decoding) off the UI goroutine.
// Wait lets tests know every job has returned (their UI updates are then queued).
type tasks struct{ wg sync.WaitGroup }

func (t *tasks) Go(f func()) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		f()
	}()
}

// Wait blocks until every job started so far has returned.
func (t *tasks) Wait() { t.wg.Wait() }

// env is what every screen needs: the store, the window for dialogs, the root context
// (cancelled when the window closes), the background runner and the core services.
type env struct {
	st  *queue.Store
	win fyne.Window
	ctx context.Context
	bg  *tasks
	svc Services
	ocr BackgroundOCR // running background OCR, or nil
	// ui runs fn on the UI goroutine; nil means fyne.Do. Tests queue fn and run it on the
	// test goroutine, which plays the UI goroutine (the test driver's fyne.Do would run fn
	// inline on the background goroutine).
	ui func(fn func())

	// wf is the workflow over st: every operation the screens start (workflow/). Run and the
	// test harness set it; flow makes one when it is missing.
	wfMu sync.Mutex
	wf   *workflow.Workflow
}

// flow is the workflow over the store: the operations the screens start (workflow/).
func (e *env) flow() *workflow.Workflow {
	e.wfMu.Lock()
	defer e.wfMu.Unlock()
	if e.wf == nil || e.wf.Store != e.st {
		w, err := workflow.New(e.st)
		if err != nil { // the record types could not be read: the operations still run, names are keys
			w = &workflow.Workflow{Store: e.st}
		}
		e.wf = w
	}
	return e.wf
}

// do runs fn on the UI goroutine, from any goroutine. Every widget change made by background
// work goes through it.
func (e *env) do(fn func()) {
	if e.ui != nil {
		e.ui(fn)
		return
	}
	fyne.Do(fn)
}

// errText is the message a clerk sees for an error, in the interface language: the core's
// errors say themselves wherever they sit in a wrapped chain (internal/l10n); an error with
// nothing translatable is shown as it is, after "Lỗi:".
func errText(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, queue.ErrNoUsers):
		return tr("err.noUsers") // the window's own advice: it creates the administrator at start
	case errors.Is(err, queue.ErrNotPermitted):
		return tr("err.notPermitted") // said to the signed-in person, not about a username
	case !l10n.Translatable(err):
		return tr("err.other", map[string]any{"Err": err.Error()})
	}
	return l10n.Text(currentLanguage(), err)
}

// shell owns the window: which screen shows, the signed-in user, the menu and the language.
type shell struct {
	app fyne.App
	e   *env

	user    *queue.User
	rebuild func() fyne.CanvasObject // builds the current screen again (language change)

	shortcuts   []fyne.Shortcut // added by the current screen, removed when it goes
	shortcutFns []func(fyne.Shortcut)
	onOCR       func(OCRProgress)
	list        *batchesScreen // the batch list, while it shows
	viewer      *batchView     // the viewer, while it shows
	keying      *keyingScreen  // the keying screen, while it shows
	search      *searchScreen  // the search screen, while it shows
	review      *reviewScreen  // the review screen, while it shows
	signing     *signScreen    // the sign screen, while it shows
	verify      *verifyScreen  // the verify screen, while it shows
	admin       *adminScreen   // the administration screen, while it shows
	outbox      *outboxStatus  // the upload status line
	sync        *syncSender    // the background sync sender (runs once enrolled and signed in)
	lock        *autoLock
	// lastOCR is the latest background OCR report, for the status line.
	lastOCR OCRProgress
}

func newShell(a fyne.App, e *env) *shell {
	sender := newSyncSender(e)
	s := &shell{app: a, e: e, sync: sender, outbox: newOutboxStatus(e, sender)}
	s.lock = newAutoLock(s)
	return s
}

// serve keeps the upload status line and the auto-lock going until ctx ends.
func (s *shell) serve(ctx context.Context) {
	go s.outbox.serve(ctx, outboxEvery)
	s.lock.serve(ctx, lockCheckEvery)
}

// start shows the first-run set-up when there is no account yet, else the login.
func (s *shell) start() {
	n, err := s.e.st.UserCount(s.e.ctx)
	if err != nil {
		s.show(func() fyne.CanvasObject {
			return container.NewCenter(widget.NewLabel(errText(err)))
		})
		return
	}
	if n == 0 {
		s.showSetup()
		return
	}
	s.showLogin()
}

func (s *shell) showSetup() {
	var first fyne.Focusable
	s.show(func() fyne.CanvasObject {
		scr, user := newSetupScreen(s.e, s.showFirstRun)
		first = user
		return s.frame(scr)
	})
	s.e.win.Canvas().Focus(first)
}

func (s *shell) showLogin() {
	s.user = nil
	var first *textEntry
	s.show(func() fyne.CanvasObject {
		scr, user := loginScreen(s.e, func(u queue.User) {
			s.user = &u
			s.lock.touch()
			s.afterSignIn(u, s.showBatches) // encryption at rest (encrypt.go)
		})
		first = user
		return s.frame(scr)
	})
	// Keyboard first: the user name field has the focus, so a clerk can type at once.
	s.e.win.Canvas().Focus(first)
}

func (s *shell) showBatches() {
	// The batch list is the first screen after sign-in: the sender starts (or goes on) with
	// the signed-in user named in the audit events of what it sends.
	s.sync.start(*s.user)
	s.show(func() fyne.CanvasObject {
		b := newBatchesScreen(s.e, *s.user, s.openBatch)
		b.openHit = s.openHit
		b.onKey = func(bt queue.Batch) { s.openKeying(bt, 0, 0, "") }
		b.onSearch = s.showSearch
		if s.user.Can(queue.ActionReview) {
			b.onReview = s.showReview
		}
		s.onOCR, s.list = b.ocrProgress, b
		return s.frame(b.content)
	})
}

func (s *shell) openBatch(b queue.Batch) { s.openViewer(b, 0, 0) }

func (s *shell) openHit(h queue.Hit) {
	b, err := s.e.st.Batch(s.e.ctx, h.BatchID)
	if err != nil {
		showError(s.e.win, err)
		return
	}
	s.openViewer(b, h.DocumentID, h.PageID)
}

func (s *shell) openViewer(b queue.Batch, docID, pageID int64) {
	s.show(func() fyne.CanvasObject {
		v := newBatchView(s.e, b, s.showBatches)
		v.user = s.user
		s.onOCR, s.viewer = v.ocrProgress, v
		for _, sc := range v.shortcuts() {
			s.addShortcut(sc.sc, sc.fn)
		}
		s.e.win.Canvas().SetOnTypedKey(v.typedKey)
		v.open(docID, pageID)
		return s.frame(v.content)
	})
}

// openKeying shows the keying screen of batch b at docID (0: the first), on pageID or
// focused on field when given.
func (s *shell) openKeying(b queue.Batch, docID, pageID int64, field string) {
	if s.user == nil {
		return
	}
	k, err := newKeyingScreen(s.e, *s.user, b, s.showBatches)
	if err != nil {
		showError(s.e.win, err)
		return
	}
	k.startField, k.startPage = field, pageID
	k.visible = func() bool { return s.keying == k && !s.lock.locked }
	s.show(func() fyne.CanvasObject {
		for _, sc := range k.shortcuts() {
			fn := sc.fn
			s.addShortcut(sc.sc, func(fyne.Shortcut) { fn() })
		}
		s.e.win.Canvas().SetOnTypedKey(k.typedKey)
		s.keying = k
		k.open(docID)
		return s.frame(k.content)
	})
}

// showSearch shows the search and browse screen; a hit opens its document for keying.
func (s *shell) showSearch() {
	s.show(func() fyne.CanvasObject {
		sc := newSearchScreen(s.e, func(h queue.Hit) {
			b, err := s.e.st.Batch(s.e.ctx, h.BatchID)
			if err != nil {
				showError(s.e.win, err)
				return
			}
			s.openKeying(b, h.DocumentID, h.PageID, h.Field)
		}, s.showBatches)
		s.search = sc
		return s.frame(sc.content)
	})
}

// showReview shows the supervisor's review screen.
func (s *shell) showReview() {
	if s.user == nil {
		return
	}
	s.show(func() fyne.CanvasObject {
		r := newReviewScreen(s.e, *s.user, s.showBatches)
		r.onSign = s.showSign
		s.e.win.Canvas().SetOnTypedKey(r.typedKey)
		s.review = r
		return s.frame(r.content)
	})
}

// showSign shows the sign screen (supervisors), on batch batchID when given; without one,
// on the batch selected in the batch list when it is approved.
func (s *shell) showSign(batchID string) {
	if s.user == nil {
		return
	}
	if batchID == "" && s.list != nil {
		if b, ok := s.list.current(); ok && b.State == queue.StateApproved {
			batchID = b.ID
		}
	}
	s.show(func() fyne.CanvasObject {
		sc := newSignScreen(s.e, *s.user, batchID, s.showBatches)
		sc.onVerify = s.showVerify
		sc.onSigned = s.sync.wake
		s.signing = sc
		return s.frame(sc.content)
	})
}

// showVerify shows the verify screen, on signed batch batchID when given.
func (s *shell) showVerify(batchID string) {
	if s.user == nil {
		return
	}
	s.show(func() fyne.CanvasObject {
		v := newVerifyScreen(s.e, batchID, s.showBatches)
		s.verify = v
		return s.frame(v.content)
	})
}

// showAdmin shows the administration screen on tab (adminUsers, adminSettings, adminEnroll).
func (s *shell) showAdmin(tab string) {
	if s.user == nil {
		return
	}
	s.show(func() fyne.CanvasObject {
		a := newAdminScreen(s.e, *s.user, tab, s.showBatches, s.sync.reload)
		s.admin = a
		return s.frame(a.content)
	})
}

// show replaces the window content with build's screen and remembers build for a rebuild.
func (s *shell) show(build func() fyne.CanvasObject) {
	if s.keying != nil {
		s.keying.leave(false) // the field being typed in is saved before its screen goes
	}
	c := s.e.win.Canvas()
	for _, sc := range s.shortcuts {
		c.RemoveShortcut(sc)
	}
	s.shortcuts, s.shortcutFns = nil, nil
	c.SetOnTypedKey(nil)
	s.onOCR, s.list, s.viewer, s.keying, s.search, s.review = nil, nil, nil, nil, nil, nil
	if s.signing != nil {
		s.signing.stop() // a signing in progress stops at the next document, recording nothing
	}
	s.signing, s.verify, s.admin = nil, nil, nil
	s.rebuild = build
	s.e.win.SetContent(s.lock.wrap(build()))
	s.e.win.SetTitle(s.title())
	s.e.win.SetMainMenu(s.menu())
}

func (s *shell) addShortcut(sc fyne.Shortcut, fn func(fyne.Shortcut)) {
	s.e.win.Canvas().AddShortcut(sc, fn)
	s.shortcuts = append(s.shortcuts, sc)
	s.shortcutFns = append(s.shortcutFns, fn)
}

func (s *shell) title() string {
	if s.user != nil {
		return fmt.Sprintf("SoHoa — %s", s.user.FullName)
	}
	return "SoHoa"
}

// setLanguage switches the interface language, remembers it and rebuilds the screen.
func (s *shell) setLanguage(code string) {
	if code == currentLanguage() {
		return
	}
	s.app.Preferences().SetString(prefLanguage, code)
	applyLanguage(code)
	if s.lock.locked { // the work stays hidden; it is built again on unlock
		s.e.win.SetContent(s.lock.screen())
		return
	}
	if s.rebuild != nil {
		s.show(s.rebuild)
	}
}

func (s *shell) logout() {
	if s.user == nil {
		return
	}
	s.leaveWork(func(ok bool) {
		if ok {
			s.e.st.Lock() // an encrypted store forgets its data key (docs/ENCRYPTION.md)
			s.showLogin()
		}
	})
}

// leaveWork saves what the keying screen holds and calls then(ok) once it is durable (ok
// false: a save failed; the keying screen shows which). Without a keying screen then(true)
// runs at once.
func (s *shell) leaveWork(then func(ok bool)) {
	if s.keying == nil || s.lock.locked {
		then(true)
		return
	}
	s.keying.flush(then)
}

// requestClose is the window's close button: close once the keying screen's values are
// saved; when a save failed, ask before closing without it.
func (s *shell) requestClose(closeWin func()) {
	s.leaveWork(func(ok bool) {
		if ok {
			closeWin()
			return
		}
		d := dialog.NewConfirm(tr("close.unsavedTitle"), tr("close.unsaved"), func(yes bool) {
			if yes {
				closeWin()
			}
		}, s.e.win)
		d.SetConfirmText(tr("close.anyway"))
		d.SetDismissText(tr("btn.cancel"))
		d.Show()
	})
}

// closeWhenDone closes the window when root is cancelled (SIGINT, SIGTERM): the keying screen's
// values are saved first, as on the close button, but nobody is asked, as nobody may be at
// the desk; a value that could not be saved is logged by field name only (no personal value)
// and stays on screen until the window goes.
func (s *shell) closeWhenDone(root context.Context, closeWin func()) {
	select {
	case <-root.Done():
	case <-s.e.ctx.Done(): // the window closed first
		return
	}
	s.e.do(func() {
		s.leaveWork(func(ok bool) {
			if !ok {
				log.Printf("sohoa: stopping: %d keyed value(s) of the open document could not be saved", len(s.keying.failed))
			}
			closeWin()
		})
	})
}

// menu is the window's main menu: session (logout, quit) and language.
func (s *shell) menu() *fyne.MainMenu {
	logout := fyne.NewMenuItem(tr("menu.logout"), s.logout)
	logout.Disabled = s.user == nil
	var items []*fyne.MenuItem
	for _, code := range languages {
		it := fyne.NewMenuItem(languageNames[code], func() { s.setLanguage(code) })
		it.Checked = code == currentLanguage()
		items = append(items, it)
	}
	menus := []*fyne.Menu{fyne.NewMenu(tr("menu.session"), logout)}
	if s.user != nil {
		var tools []*fyne.MenuItem
		if s.user.Can(queue.ActionSign) {
			tools = append(tools, fyne.NewMenuItem(tr("menu.sign"), func() { s.showSign("") }))
		}
		tools = append(tools, fyne.NewMenuItem(tr("menu.verify"), func() { s.showVerify("") }))
		if s.user.Can(queue.ActionManageUsers) {
			tools = append(tools, fyne.NewMenuItemSeparator(),
				fyne.NewMenuItem(tr("menu.users"), func() { s.showAdmin(adminUsers) }),
				fyne.NewMenuItem(tr("menu.settings"), func() { s.showAdmin(adminSettings) }),
				fyne.NewMenuItem(tr("menu.enroll"), func() { s.showAdmin(adminEnroll) }),
				fyne.NewMenuItem(tr("menu.system"), func() { s.showAdmin(adminSystem) }))
		}
		menus = append(menus, fyne.NewMenu(tr("menu.tools"), tools...))
	}
	menus = append(menus, fyne.NewMenu(tr("menu.language"), items...))
	return fyne.NewMainMenu(menus...)
}

// frame puts a screen under the top bar (product name, user, language selector, logout).
func (s *shell) frame(screen fyne.CanvasObject) fyne.CanvasObject {
	name := widget.NewLabelWithStyle("SoHoa", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	var opts []string
	for _, code := range languages {
		opts = append(opts, languageNames[code])
	}
	sel := widget.NewSelect(opts, nil)
	sel.SetSelected(languageNames[currentLanguage()])
	sel.OnChanged = func(v string) {
		for code, n := range languageNames {
			if n == v {
				s.setLanguage(code)
			}
		}
	}
	if s.user == nil {
		bar := container.NewBorder(nil, nil, name, sel)
		return container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), nil, nil, nil, screen)
	}
	// Signed in: the tools this user may use on the left, who and the session on the right.
	tools := container.NewHBox(name)
	if s.user.Can(queue.ActionSign) {
		tools.Add(widget.NewButtonWithIcon(tr("top.sign"), theme.ConfirmIcon(), func() { s.showSign("") }))
	}
	tools.Add(widget.NewButtonWithIcon(tr("top.verify"), theme.VisibilityIcon(), func() { s.showVerify("") }))
	if s.user.Can(queue.ActionManageUsers) {
		tools.Add(widget.NewButtonWithIcon(tr("top.admin"), theme.SettingsIcon(), func() { s.showAdmin(adminUsers) }))
	}
	who := widget.NewLabel(tr("top.user", map[string]any{"Name": s.user.FullName}))
	who.Truncation = fyne.TextTruncateEllipsis
	who.Alignment = fyne.TextAlignTrailing
	out := widget.NewButtonWithIcon(tr("menu.logout"), theme.LogoutIcon(), s.logout)
	bar := container.NewBorder(nil, nil, tools, container.NewHBox(sel, out), who)
	bottom := container.NewVBox(widget.NewSeparator(), s.outbox.btn)
	return container.NewBorder(container.NewVBox(bar, widget.NewSeparator()), bottom, nil, nil, screen)
}

// followOCR relays background OCR reports to the current screen on the UI goroutine.
// It returns when ctx ends.
func (s *shell) followOCR(ctx context.Context) {
	if s.e.ocr == nil {
		return
	}
	ch, stop := s.e.ocr.Subscribe()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case p, ok := <-ch:
			if !ok {
				return
			}
			s.e.do(func() {
				s.lastOCR = p
				if s.onOCR != nil {
					s.onOCR(p)
				}
			})
		}
	}
}

// showError shows err to the clerk in a dialog, translated.
func showError(w fyne.Window, err error) {
	if w == nil || err == nil {
		return
	}
	showMessage(w, tr("dlg.error"), errText(err))
}

// showMessage shows a titled message with an OK button.
func showMessage(w fyne.Window, title, msg string) {
	l := widget.NewLabel(msg)
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(title, tr("btn.ok"), l, w)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}
