package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("batch new", "[--type T] [--name N] [--office CODE] [--double-blind] [--cleanup default|none|deskew,orient,crop,blank=flag|drop|off,binarize]", defBatchNew)
	register("batch office", "--batch ID CODE", defBatchOffice)
	register("types", "", defTypes)
	register("types add", "FILE.json", defTypesAdd)
}

func defBatchNew(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	typ := fs.String("type", "generic", "")
	name := fs.String("name", "", "")
	office := fs.String("office", "", "")
	clean := fs.String("cleanup", "default", "")
	blind := fs.Bool("double-blind", false, "")
	return func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usageError{c.tr("cli.common.unexpectedArgument", l10n.Args{"Arg": args[0]})}
		}
		profile, err := workflow.CleanupSetting(*clean)
		if err != nil {
			return usageError{c.tr("cli.batch.cleanup") + err.Error()}
		}
		u, err := c.login(ctx)
		if err != nil {
			return err
		}
		b, err := c.store.CreateBatch(ctx, u, queue.BatchSpec{Name: *name, Office: *office, RecordType: *typ, Cleanup: profile, DoubleBlind: *blind})
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(batchJSON(b))
		}
		fmt.Fprintln(c.env.Stdout, b.ID)
		return nil
	}
}

// defBatchOffice changes a batch's office (administrators, until the batch is signed).
func defBatchOffice(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	return func(ctx context.Context, rest []string) error {
		if *batch == "" || len(rest) != 1 {
			return usageError{c.tr("cli.batch.usageSohoaBatchOffice")}
		}
		u, err := c.login(ctx)
		if err != nil {
			return err
		}
		if err := c.store.SetBatchOffice(ctx, u, *batch, rest[0]); err != nil {
			return err
		}
		b, err := c.store.Batch(ctx, *batch)
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(batchJSON(b))
		}
		fmt.Fprintf(c.env.Stdout, c.tr("cli.batch.batchOffice"), b.ID, b.Office)
		return nil
	}
}

func defTypes(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, rest []string) error {
		st, err := c.open()
		if err != nil {
			return err
		}
		if len(rest) > 0 {
			return usageError{c.tr("cli.common.unknownCommand", l10n.Args{"Name": rest[0]})}
		}
		types, err := st.RecordTypes(ctx)
		if err != nil {
			return err
		}
		if c.json {
			out := []map[string]string{}
			for _, t := range types {
				out = append(out, map[string]string{"key": t.Key, "name_vi": t.NameVi, "name_en": t.NameEn})
			}
			return c.printJSON(out)
		}
		for _, t := range types {
			fmt.Fprintf(c.env.Stdout, "%-12s %s\n", t.Key, c.dataName(t.NameVi, t.NameEn))
		}
		return nil
	}
}

func defTypesAdd(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	return func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usageError{c.tr("cli.batch.usageSohoaTypesAdd")}
		}
		st, err := c.open()
		if err != nil {
			return err
		}
		return addRecordType(ctx, c, st, args[0])
	}
}

// addRecordType installs a record type definition file (administrators only): checked like the
// bundled ones, written durably into the data folder, registered, audited.
func addRecordType(ctx context.Context, c *cmdCtx, st *queue.Store, file string) error {
	u, err := c.login(ctx)
	if err != nil {
		return err
	}
	if err := queue.Require(u, queue.ActionManageTypes); err != nil {
		return err
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	rt, err := records.Install(st.Dir(), data)
	if err != nil {
		return err
	}
	if err := st.InstallRecordType(ctx, u, queue.RecordType{Key: rt.Key, NameVi: rt.NameVi, NameEn: rt.NameEn}); err != nil {
		return err
	}
	if c.json {
		return c.printJSON(map[string]string{"key": rt.Key, "name_vi": rt.NameVi, "name_en": rt.NameEn})
	}
	fmt.Fprintf(c.env.Stdout, "%s %s (%s)\n", c.tr("cli.batch.recordTypeAdded"), rt.Key, c.dataName(rt.NameVi, rt.NameEn))
	return nil
}

type jsonBatch struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Office      string `json:"office"`
	RecordType  string `json:"record_type"`
	State       string `json:"state"`
	CreatedBy   string `json:"created_by"`
	CreatedAt   string `json:"created_at"`
	Documents   int    `json:"documents"`
	Pages       int    `json:"pages"`
	OCRDone     int    `json:"ocr_done"`
	OCRFailed   int    `json:"ocr_failed"`
	DoubleBlind bool   `json:"double_blind"`
}

func batchJSON(b queue.Batch) jsonBatch {
	return jsonBatch{b.ID, b.Name, b.Office, b.RecordType, string(b.State), b.CreatedBy, b.CreatedAt, b.Documents, b.Pages, b.PagesDone, b.PagesFail, b.DoubleBlind}
}
