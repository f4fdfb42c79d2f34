package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register(&command{name: "settings", usage: "[KEY [VALUE]]",
		summary: "workstation settings (admin to change: office, autolock_minutes, ocr_languages, sign.trust_store, sign.pkcs11_module) / cấu hình máy trạm (quản trị viên thay đổi)", run: runSettings})
}

// runSettings lists settings (secrets never shown) or sets one; the values are checked by
// the workflow (workflow/settings.go). Sync credentials come only from `sohoa enroll`.
func runSettings(ctx context.Context, c *cmdCtx, args []string) error {
	fs := c.newFlags("settings")
	rest, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	u, err := c.login(ctx)
	if err != nil {
		return err
	}
	w, _, err := c.wflow()
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
		fmt.Fprintln(c.env.Stdout, c.tr("cli.settings.saved"))
		return nil
	default:
		return usageError{c.tr("cli.settings.usageSohoaSettingsKey")}
	}
}
