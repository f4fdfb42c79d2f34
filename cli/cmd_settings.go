package cli

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/sohoa/sohoa/queue"
)

func init() {
	register(&command{name: "settings", usage: "[KEY [VALUE]]",
		summary: "workstation settings (admin to change) / cấu hình máy trạm (quản trị viên thay đổi)", run: runSettings})
}

// editableSettings are the settings an administrator may set by hand, with a check of the
// value. Sync credentials come only from `sohoa enroll`; the workstation ID is made once.
var editableSettings = map[string]func(string) bool{
	"autolock_minutes": func(v string) bool { n, err := strconv.Atoi(v); return err == nil && n >= 0 && n <= 24*60 },
	"office":           queue.ValidOfficeCode, // e.g. HN-01: the central server's office codes
}

// secretSettings are never printed.
var secretSettings = map[string]bool{"sync.token": true}

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
	switch len(rest) {
	case 0, 1:
		keys := rest
		if len(keys) == 0 {
			keys = []string{"workstation_id", "office", "autolock_minutes", "sync.server_url", "sync.office", "sync.tls_sha256", "sync.token"}
			sort.Strings(keys)
		}
		out := map[string]string{}
		for _, k := range keys {
			v, err := c.store.Setting(ctx, k)
			if err != nil {
				return err
			}
			if secretSettings[k] && v != "" {
				v = c.t("(set, not shown)", "(đã có, không hiển thị)")
			}
			out[k] = v
		}
		if c.json {
			return c.printJSON(out)
		}
		for _, k := range keys {
			fmt.Fprintf(c.env.Stdout, "%-20s %s\n", k, out[k])
		}
		return nil
	case 2:
		check, ok := editableSettings[rest[0]]
		if !ok {
			return usageError{c.t("this setting cannot be set by hand: "+rest[0], "không đặt tay được cấu hình này: "+rest[0])}
		}
		if !check(rest[1]) {
			if rest[0] == queue.SettingOffice {
				return queue.ErrBadOffice
			}
			return usageError{c.t("invalid value for "+rest[0], "giá trị không hợp lệ cho "+rest[0])}
		}
		if rest[0] == queue.SettingOffice { // an enrolled workstation's office is the server's
			if ws, enrolled, err := c.store.WorkstationOffice(ctx); err != nil {
				return err
			} else if enrolled && ws != rest[1] {
				return fmt.Errorf(c.t("this workstation is enrolled for office %s: its batches are of that office (enroll again to change it)",
					"máy trạm đã đăng ký cho đơn vị %s: các lô thuộc đơn vị đó (đăng ký lại để đổi)"), ws)
			}
		}
		if err := c.store.SetSetting(ctx, u, rest[0], rest[1]); err != nil {
			return err
		}
		fmt.Fprintln(c.env.Stdout, c.t("saved", "đã lưu"))
		return nil
	default:
		return usageError{c.t("usage: sohoa settings [KEY [VALUE]]", "cách dùng: sohoa settings [KHÓA [GIÁ TRỊ]]")}
	}
}
