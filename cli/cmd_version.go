package cli

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("version", "", defVersion)
}

// defVersion: `sohoa version` (also `sohoa --version`) prints the build and the libraries the
// binary runs with; it needs no data folder and no sign-in.
func defVersion(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageError{c.tr("cli.common.unknownCommand", map[string]any{"Name": args[0]})}
		}
		return c.printVersion()
	}
}

func (c *cmdCtx) printVersion() error {
	in := workflow.BuildInfo()
	if c.json {
		return c.printJSON(in)
	}
	return in.Write(c.env.Stdout)
}
