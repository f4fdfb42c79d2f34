package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("settings", "[KEY [VALUE]]", defSettings)
}

// defSettings lists settings (secrets never shown) or sets one; the values are checked by
// the workflow (workflow/settings.go). Sync credentials come only from `sohoa enroll`.
func defSettings(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, rest []string) error {
		u, w, err := c.desk(ctx)
		if err != nil {
			return err
		}
		switch len(rest) {
		case 0, 1:
			entries, err := w.ReadSettings(ctx, rest...)
			if err != nil {
				return err
			}
			out := map[string]string{}
			for _, e := range entries {
				if e.Secret && e.Set {
					e.Value = c.tr("cli.settings.setNotShown")
				}
				out[e.Key] = e.Value
			}
			if c.json {
				return c.printJSON(out)
			}
			for _, e := range entries {
				fmt.Fprintf(c.env.Stdout, "%-20s %s\n", e.Key, out[e.Key])
			}
			return nil
		case 2:
			err := w.SetSetting(ctx, u, rest[0], rest[1])
			var se *workflow.SettingError
			if errors.As(err, &se) && (se.Reason == "not_editable" || se.Reason == "invalid") {
				return usageError{l10n.Text(c.lang, se)}
			}
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(map[string]any{"key": rest[0], "saved": true})
			}
			fmt.Fprintln(c.env.Stdout, c.tr("cli.settings.saved"))
			return nil
		default:
			return usageError{c.tr("cli.settings.usageSohoaSettingsKey")}
		}
	}
}
