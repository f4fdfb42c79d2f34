package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	for _, sub := range []string{"on", "off", "status", "conflicts"} {
		register("dkey "+sub, "--batch ID", defDoubleKey(sub))
	}
	register("dkey show", "--doc ID", defDoubleKey("show"))
	register("dkey done", "--doc ID [--confirm-warnings]", defDoubleKey("done"))
	register("dkey key", "--doc ID --field K --value V", defDoubleKey("key"))
	register("dkey resolve", "--doc ID --field K --value V", defDoubleKey("resolve"))
}

// defDoubleKey is one step of double-blind keying: each subcommand has the flags it uses.
func defDoubleKey(sub string) leafDef {
	return func(c *cmdCtx, fs *pflag.FlagSet) runFunc {
		batch, doc, field, value, confirm := new(string), new(string), new(string), new(string), new(bool)
		switch sub {
		case "on", "off", "status", "conflicts":
			fs.StringVar(batch, "batch", "", "")
		default:
			fs.StringVar(doc, "doc", "", "")
		}
		switch sub {
		case "key", "resolve":
			fs.StringVar(field, "field", "", "")
			fs.StringVar(value, "value", "", "")
		case "done":
			fs.BoolVar(confirm, "confirm-warnings", false, "")
		}
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageError{c.tr("cli.common.unexpectedArgument", l10n.Args{"Arg": args[0]})}
			}
			return c.doubleKey(ctx, sub, batch, doc, field, value, confirm)
		}
	}
}

func (c *cmdCtx) doubleKey(ctx context.Context, sub string, batch, doc, field, value *string, confirm *bool) error {
	needBatch := func() error {
		if *batch == "" {
			return usageError{c.tr("cli.common.batchIsRequired")}
		}
		return nil
	}
	var docID int64
	needDoc := func(withField bool) error {
		id, err := strconv.ParseInt(*doc, 10, 64)
		if err != nil || id <= 0 || (withField && *field == "") {
			if withField {
				return usageError{c.tr("cli.common.docDocumentNumberAnd")}
			}
			return usageError{c.tr("cli.doublekey.docDocumentNumberIs")}
		}
		docID = id
		return nil
	}
	var err error
	switch sub {
	case "on", "off", "status", "conflicts":
		err = needBatch()
	case "show", "done":
		err = needDoc(false)
	case "key", "resolve":
		err = needDoc(true)
	}
	if err != nil {
		return err
	}
	u, w, err := c.desk(ctx)
	if err != nil {
		return err
	}
	switch sub {
	case "on", "off":
		if err := c.store.SetDoubleBlind(ctx, u, *batch, sub == "on"); err != nil {
			return err
		}
		if c.json {
			return c.printJSON(map[string]any{"batch": *batch, "double_blind": sub == "on"})
		}
		return nil
	case "status":
		st, err := c.store.DoubleKeyStatus(ctx, *batch)
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(map[string]any{"double_blind": st.DoubleBlind, "documents": st.Documents, "both_done": st.BothDone,
				"open_conflicts": st.OpenConflicts, "ready": st.Ready()})
		}
		fmt.Fprintf(c.env.Stdout, c.tr("cli.doublekey.doubleBlindDocumentsKeyed"),
			st.DoubleBlind, st.BothDone, st.Documents, st.OpenConflicts, st.Ready())
		return nil
	case "key", "resolve":
		in := workflow.KeyInput{Document: docID, Field: *field, Value: *value, Pass: true}
		var res workflow.KeyResult
		var err error
		if sub == "resolve" {
			_, err = w.ResolveConflict(ctx, u, in)
		} else {
			res, err = w.KeyField(ctx, u, in)
		}
		if errors.Is(err, workflow.ErrUnknownField) {
			return usageError{fmt.Sprintf("%s %q", c.tr("cli.common.unknownFieldForThis"), *field)}
		}
		if err != nil || sub == "resolve" {
			return err
		}
		if c.json {
			return c.printJSON(map[string]any{"document": docID, "pass": res.Pass.Pass})
		}
		return nil
	case "show":
		fields, info, err := c.store.BlindFields(ctx, u, docID)
		if err != nil {
			return err
		}
		if c.json {
			out := []map[string]any{}
			for _, f := range fields {
				out = append(out, map[string]any{"key": f.Key, "value": f.Value, "source": f.Source, "confidence": f.Confidence})
			}
			return c.printJSON(map[string]any{"document": docID, "pass": info.Pass, "done": info.Done, "fields": out})
		}
		fmt.Fprintf(c.env.Stdout, "%s %d, %s %d, %s %v\n", c.tr("cli.common.document"), docID, c.tr("cli.doublekey.pass"), info.Pass, c.tr("cli.doublekey.finished"), info.Done)
		for _, f := range fields {
			fmt.Fprintf(c.env.Stdout, "%-28s %-6s %s\n", f.Key, f.Source, f.Value)
		}
		return nil
	case "done":
		// The pass is finished as the keying screen finishes a document: its values
		// validated, hard errors blocking, warnings confirmed (--confirm-warnings).
		res, err := w.FinishDocument(ctx, u, workflow.FinishInput{Document: docID, ConfirmWarnings: *confirm})
		if err != nil {
			return err
		}
		if !res.Done {
			return c.notFinished(res)
		}
		rec := res.Reconciliation
		if c.json {
			return c.printJSON(map[string]any{"document": docID, "compared": rec.Compared, "matched": rec.Matched, "conflicts": rec.Conflicts})
		}
		if !rec.Compared {
			fmt.Fprintln(c.env.Stdout, c.tr("cli.doublekey.passFinishedWaitingFor"))
			return nil
		}
		fmt.Fprintf(c.env.Stdout, c.tr("cli.doublekey.comparedFieldsAgreeDiffer"),
			rec.Matched, len(rec.Conflicts), rec.Conflicts)
		return nil
	case "conflicts":
		cs, err := c.store.Conflicts(ctx, u, *batch)
		if err != nil {
			return err
		}
		if c.json {
			out := []map[string]any{}
			for _, x := range cs {
				out = append(out, map[string]any{"document": x.DocumentID, "seq": x.Seq, "field": x.Key,
					"pass1": x.Pass1, "pass2": x.Pass2, "keyer1": x.Keyer1, "keyer2": x.Keyer2})
			}
			return c.printJSON(out)
		}
		for _, x := range cs {
			fmt.Fprintf(c.env.Stdout, "%s %d\t%-24s 1 (%s): %s\t2 (%s): %s\n", c.tr("cli.common.document"), x.DocumentID, x.Key,
				x.Keyer1, x.Pass1, x.Keyer2, x.Pass2)
		}
		fmt.Fprintf(c.env.Stdout, c.tr("cli.doublekey.conflictsForYouTo"), len(cs))
		return nil
	}
	return nil
}
