package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register(&command{name: "dkey", usage: "on|off --batch ID | key --doc ID --field K --value V | show --doc ID | done --doc ID [--confirm-warnings] | status --batch ID | conflicts --batch ID | resolve --doc ID --field K --value V",
		summary: "double-blind keying / nhập hai lần độc lập", run: runDoubleKey})
}

func runDoubleKey(ctx context.Context, c *cmdCtx, args []string) error {
	if len(args) == 0 {
		return usageError{c.tr("cli.doublekey.sayOnOffKey")}
	}
	sub := args[0]
	fs := c.newFlags("dkey " + sub)
	batch := fs.String("batch", "", "")
	doc := fs.String("doc", "", "")
	field := fs.String("field", "", "")
	value := fs.String("value", "", "")
	confirm := fs.Bool("confirm-warnings", false, "")
	if _, err := c.parse(fs, args[1:]); err != nil {
		return err
	}
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
	default:
		return usageError{fmt.Sprintf("%s %q", c.tr("cli.doublekey.unknownDkeyStep"), sub)}
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
		return c.store.SetDoubleBlind(ctx, u, *batch, sub == "on")
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
