package app

import (
	"context"
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
	"github.com/sohoa/sohoa/workflow"
)

// AppID is the application ID; it must match FyneApp.toml (it names the preferences file).
const AppID = "vn.sohoa.workstation"

// Run opens the store in dataDir, starts background OCR and shows the SoHoa window until it is
// closed or root is cancelled (main cancels it on SIGINT and SIGTERM). It must be called from
// the main goroutine (Fyne's rule). When root is cancelled the window saves what the clerk has
// typed (as its close button does, without asking) and closes; then background work stops at
// its next durable point (an OCR page, a signed document, an uploaded chunk) and the store is
// closed.
func Run(root context.Context, dataDir string) error {
	return RunWith(root, dataDir, DefaultServices())
}

// RunWith is Run with explicit core services (nil fields disable a feature).
func RunWith(root context.Context, dataDir string, svc Services) error {
	a := fyneapp.NewWithID(AppID)
	applyLanguage(startLanguage(a.Preferences().String(prefLanguage), os.Getenv))
	w := a.NewWindow("SoHoa")
	w.Resize(fyne.NewSize(1024, 700)) // fits the smallest screen supported (1024×768, with a panel); every screen lays out down to it
	w.SetMaster()

	st, err := queue.Open(dataDir)
	var desk *workflow.Workflow
	if err == nil {
		if _, rerr := records.Register(context.Background(), st); rerr != nil {
			st.Close()
			err = rerr
		} else if desk, err = workflow.New(st); err != nil {
			st.Close()
		}
	}
	if err != nil {
		// Tell the clerk in the window too: a desktop launch has no terminal.
		msg := widget.NewLabel(tr("err.openStore", map[string]any{"Err": err.Error()}))
		msg.Wrapping = fyne.TextWrapWord
		w.SetContent(container.NewPadded(msg))
		go func() { // SIGINT/SIGTERM close this window too: nothing to save
			<-root.Done()
			fyne.Do(w.Close)
		}()
		w.ShowAndRun()
		return fmt.Errorf("open data folder: %w", err)
	}
	defer st.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := &env{st: st, win: w, ctx: ctx, bg: &tasks{}, svc: svc, wf: desk}

	var serveDone chan error
	var ocrErr error
	if svc.NewOCR != nil {
		if o, err := svc.NewOCR(desk); err != nil {
			ocrErr = err
		} else {
			e.ocr = o
			serveDone = make(chan error, 1)
			go func() { serveDone <- o.Serve(ctx) }()
		}
	}

	sh := newShell(a, e)
	w.SetCloseIntercept(func() { sh.requestClose(w.Close) })
	sh.start()
	go sh.closeWhenDone(root, w.Close)
	if ocrErr != nil {
		dialog := tr("ocr.startErr", map[string]any{"Err": ocrErr.Error()})
		showMessage(w, tr("dlg.error"), dialog)
	}
	go sh.followOCR(ctx)
	go sh.serve(ctx) // upload status line and auto-lock; the sync sender starts at sign-in
	w.ShowAndRun()

	cancel()
	sh.sync.stop()
	e.bg.Wait()
	if serveDone != nil {
		if err := <-serveDone; err != nil && err != context.Canceled {
			return fmt.Errorf("background OCR: %w", err)
		}
	}
	return nil
}
