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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) == 0 || (len(args) == 2 && args[0] == "--data") {
		os.Exit(runGUI(args))
	}
	os.Exit(cli.Run(ctx, args, cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, IsTerminal: term.IsTerminal(int(os.Stdin.Fd()))}))
}
