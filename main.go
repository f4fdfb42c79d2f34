//go:debug x509negativeserial=1

// Command sohoa is the SoHoa workstation: with no arguments it opens the window; with a
// command it runs one step headless (see `sohoa help`).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/sohoa/sohoa/cli"
	_ "github.com/sohoa/sohoa/internal/localeenv" // before fyne/lang: see the package
	"github.com/sohoa/sohoa/ocr"
)

func main() {
	ocr.MaybeRunWorker() // this process may be an OCR worker child of another sohoa
	args := os.Args[1:]
	// One root context for the window and every command: SIGINT and SIGTERM cancel it, and the
	// work stops at its next durable point. A second signal ends the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	if len(args) == 0 || (len(args) == 2 && args[0] == "--data") {
		os.Exit(runGUI(ctx, args))
	}
	os.Exit(cli.Run(ctx, args, cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, IsTerminal: term.IsTerminal(int(os.Stdin.Fd()))}))
}
