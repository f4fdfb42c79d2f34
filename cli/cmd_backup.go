package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
)

func init() {
	register("backup", "DEST", defBackup)
	register("restore", "SRC [--check]", defRestore)
}

// jsonBackup is the --json answer of backup and restore.
type jsonBackup struct {
	Folder    string          `json:"folder"`
	CreatedAt string          `json:"created_at"`
	Database  string          `json:"database_sha256"`
	Batches   int             `json:"batches"`
	Pages     int             `json:"pages"`
	Blobs     int             `json:"blobs"`
	Head      queue.AuditHead `json:"head"`
	Anchored  queue.AuditHead `json:"anchored"`
	Restored  bool            `json:"restored,omitempty"`
	Previous  string          `json:"previous,omitempty"`
	Notes     []string        `json:"notes,omitempty"`
}

func backupJSON(dir string, m queue.BackupManifest) jsonBackup {
	return jsonBackup{Folder: dir, CreatedAt: m.CreatedAt, Database: m.Database.SHA256, Batches: m.Batches, Pages: m.Pages,
		Blobs: len(m.Blobs), Head: m.Head, Anchored: m.Anchored}
}

// oneArg is the single argument of backup and restore.
func (c *cmdCtx) oneArg(args []string, name string) (string, error) {
	if len(args) == 0 {
		return "", usageError{c.tr("cli.backup.needFolder", l10n.Args{"Arg": name})}
	}
	if len(args) > 1 {
		return "", usageError{c.tr("cli.common.unexpectedArgument", l10n.Args{"Arg": args[1]})}
	}
	return args[0], nil
}

// defBackup copies the data folder into a new folder while the app may run
// (queue.Store.Backup): an administrator's sign-in.
func defBackup(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, args []string) error {
		dest, err := c.oneArg(args, "DEST")
		if err != nil {
			return err
		}
		u, err := c.login(ctx)
		if err != nil {
			return err
		}
		m, err := c.store.Backup(ctx, u, dest)
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(backupJSON(dest, m))
		}
		fmt.Fprintln(c.env.Stdout, c.tr("cli.backup.done", l10n.Args{"Dir": dest, "Batches": m.Batches, "Pages": m.Pages, "Blobs": len(m.Blobs)}))
		return nil
	}
}

// defRestore checks a backup and, unless --check, replaces the data folder with it
// (queue.Restore). It opens no store on the data folder: the one there may be the damaged
// one, and the app must be closed (it is replaced under it otherwise).
func defRestore(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	check := fs.Bool("check", false, "")
	return func(ctx context.Context, args []string) error {
		src, err := c.oneArg(args, "SRC")
		if err != nil {
			return err
		}
		var out jsonBackup
		var rep queue.AuditReport
		if *check {
			var m queue.BackupManifest
			m, rep, err = queue.CheckBackup(ctx, src)
			if err != nil {
				return err
			}
			out = backupJSON(src, m)
		} else {
			res, err := queue.Restore(ctx, src, c.dataDir)
			if err != nil {
				return err
			}
			rep = res.Report
			out = backupJSON(src, res.Manifest)
			out.Restored, out.Previous = true, res.Previous
		}
		out.Notes = rep.Notes
		if c.json {
			return c.printJSON(out)
		}
		args2 := l10n.Args{"Dir": src, "Data": c.dataDir, "Batches": out.Batches, "Pages": out.Pages, "Blobs": out.Blobs, "At": out.CreatedAt}
		switch {
		case *check:
			fmt.Fprintln(c.env.Stdout, c.tr("cli.restore.checked", args2))
		default:
			fmt.Fprintln(c.env.Stdout, c.tr("cli.restore.done", args2))
			if out.Previous != "" {
				fmt.Fprintln(c.env.Stdout, c.tr("cli.restore.previous", l10n.Args{"Dir": out.Previous}))
			}
		}
		return nil
	}
}
