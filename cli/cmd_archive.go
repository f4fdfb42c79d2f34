package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/internal/archive"
	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
)

func init() {
	register("archive defaults", "[--office CODE] [--type TYPE] FILE.json|-", defArchiveDefaults)
	register("archive set", "--batch ID FILE.json|-", defArchiveSet)
	register("archive doc", "--doc N FILE.json|-", defArchiveDoc)
	register("archive show", "--batch ID [--doc N]", defArchiveShow)
	register("archive export", "--batch ID --out DIR|FILE.zip", defArchiveExport)
}

// readArchiveJSON reads one JSON object from FILE or standard input ("-") into v, refusing
// unknown fields (a mistyped field name is an error, not a value silently dropped).
func (c *cmdCtx) readArchiveJSON(args []string, v any) error {
	if len(args) != 1 {
		return usageError{c.tr("cli.archive.needFile")}
	}
	var r io.Reader = c.env.Stdin
	if args[0] != "-" {
		raw, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		r = bytes.NewReader(raw)
	}
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return l10n.Wrap(err, "cli.archive.badJSON")
	}
	return nil
}

// saveArchive is the end of archive defaults, archive set and archive doc, once each has
// checked its flags: it reads a T from FILE or standard input, signs in, hands both to save
// and says the data is saved. The file is read first, so that a bad file is told before any
// sign-in.
func saveArchive[T any](ctx context.Context, c *cmdCtx, args []string, save func(queue.User, T) error) error {
	var v T
	if err := c.readArchiveJSON(args, &v); err != nil {
		return err
	}
	u, err := c.login(ctx)
	if err != nil {
		return err
	}
	if err := save(u, v); err != nil {
		return err
	}
	fmt.Fprintln(c.env.Stdout, c.tr("cli.archive.saved"))
	return nil
}

func defArchiveDefaults(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	office := fs.String("office", "", "")
	rtype := fs.String("type", "", "")
	return func(ctx context.Context, args []string) error {
		return saveArchive(ctx, c, args, func(u queue.User, f archive.File) error {
			return c.store.SetArchiveDefaults(ctx, u, *office, *rtype, f)
		})
	}
}

func defArchiveSet(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	return func(ctx context.Context, args []string) error {
		if *batch == "" {
			return usageError{c.tr("cli.common.batchIsRequired")}
		}
		return saveArchive(ctx, c, args, func(u queue.User, f archive.File) error {
			return c.store.SetBatchArchive(ctx, u, *batch, f)
		})
	}
}

func defArchiveDoc(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	doc := fs.Int64("doc", 0, "")
	return func(ctx context.Context, args []string) error {
		if *doc <= 0 {
			return usageError{c.tr("cli.archive.needDoc")}
		}
		return saveArchive(ctx, c, args, func(u queue.User, d archive.Document) error {
			return c.store.SetDocumentArchive(ctx, u, *doc, d)
		})
	}
}

// defArchiveShow prints the batch's archive data (defaults merged) as JSON, and whether it
// is complete; with --doc, the document's own.
func defArchiveShow(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	doc := fs.Int64("doc", 0, "")
	return func(ctx context.Context, args []string) error {
		if *batch == "" && *doc == 0 {
			return usageError{c.tr("cli.common.batchIsRequired")}
		}
		if _, err := c.login(ctx); err != nil {
			return err
		}
		if *doc > 0 {
			d, err := c.store.DocumentArchive(ctx, *doc)
			if err != nil {
				return err
			}
			return c.printJSON(d)
		}
		f, isFile, err := c.store.BatchArchive(ctx, *batch)
		if err != nil {
			return err
		}
		out := struct {
			ArchiveFile bool         `json:"archive_file"`
			Complete    bool         `json:"complete"`
			Missing     string       `json:"missing,omitempty"`
			Data        archive.File `json:"data"`
		}{ArchiveFile: isFile, Complete: f.Complete() == nil, Data: f}
		if err := f.Complete(); err != nil {
			out.Missing = c.errText(err)
		}
		return c.printJSON(out)
	}
}

func defArchiveExport(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	out := fs.String("out", "", "")
	return func(ctx context.Context, args []string) error {
		if *batch == "" {
			return usageError{c.tr("cli.common.batchIsRequired")}
		}
		if *out == "" {
			return usageError{c.tr("cli.archive.needOut")}
		}
		u, err := c.login(ctx)
		if err != nil {
			return err
		}
		w, _, err := c.wflow()
		if err != nil {
			return err
		}
		res, err := w.ArchiveExport(ctx, u, *batch, *out)
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(res)
		}
		fmt.Fprintln(c.env.Stdout, c.tr("cli.archive.exported", l10n.Args{"Out": res.Out, "Code": res.FileCode, "Documents": res.Documents, "Pages": res.Pages}))
		return nil
	}
}
