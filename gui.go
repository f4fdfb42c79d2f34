package main

import (
	"context"
	"fmt"
	"os"

	"github.com/sohoa/sohoa/app"
	"github.com/sohoa/sohoa/cli"
)

// runGUI opens the workstation window on the data folder (--data DIR, else the default).
func runGUI(ctx context.Context, args []string) int {
	dir := cli.DefaultDataDir(os.Getenv)
	if len(args) == 2 {
		dir = args[1]
	}
	if err := app.Run(ctx, dir); err != nil {
		fmt.Fprintln(os.Stderr, "sohoa:", err)
		return 1
	}
	return 0
}
