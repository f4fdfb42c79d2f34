package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/records"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("extract", "--batch ID", defExtract)
	register("key", "--doc ID --field KEY --value VALUE | --doc ID --accept-confident | --doc ID --finish [--confirm-warnings]", defKey)
	register("validate", "--batch ID", defValidate)
}

func defExtract(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	return func(ctx context.Context, args []string) error {
		u, w, err := c.batchDesk(ctx, *batch)
		if err != nil {
			return err
		}
		total, err := w.Extract(ctx, u, workflow.ExtractInput{Batch: *batch}, func(ev workflow.Event) {
			if r := ev.Detail.(workflow.DocExtract); c.json {
				c.printJSONLine(map[string]any{"document": r.Document, "stored": r.Stored, "kept": r.Kept, "missing": r.Missing, "pages_without_ocr": r.NoOCR})
			}
		})
		if err != nil {
			return err
		}
		if !c.json {
			fmt.Fprintf(c.env.Stdout, c.tr("cli.records.documentsValuesStoredKeyed"),
				total.Documents, total.Stored, total.Kept, total.Missing, total.NoOCR)
		}
		return nil
	}
}

func defKey(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	doc := fs.String("doc", "", "")
	field := fs.String("field", "", "")
	value := fs.String("value", "", "")
	accept := fs.Bool("accept-confident", false, "")
	finish := fs.Bool("finish", false, "")
	confirm := fs.Bool("confirm-warnings", false, "")
	return func(ctx context.Context, args []string) error {
		id, err := strconv.ParseInt(*doc, 10, 64)
		if err != nil || id <= 0 || (*field == "" && !*accept && !*finish) {
			return usageError{c.tr("cli.common.docDocumentNumberAnd")}
		}
		if (*field != "" && (*accept || *finish)) || (*accept && *finish) {
			return usageError{c.tr("cli.records.giveOneOfField")}
		}
		u, w, err := c.desk(ctx)
		if err != nil {
			return err
		}
		switch {
		case *accept:
			res, err := w.AcceptConfident(ctx, u, id)
			if err != nil {
				return err
			}
			if c.json {
				return c.printJSON(map[string]any{"document": id, "accepted": append([]string{}, res.Accepted...)})
			}
			fmt.Fprintf(c.env.Stdout, c.tr("cli.records.confidentOcrValuesAccepted"), len(res.Accepted))
			return nil
		case *finish:
			res, err := w.FinishDocument(ctx, u, workflow.FinishInput{Document: id, ConfirmWarnings: *confirm})
			if err != nil {
				return err
			}
			if !res.Done {
				return c.notFinished(res)
			}
			if c.json {
				return c.printJSON(map[string]any{"document": id, "status": "keyed", "warnings_confirmed": res.Warnings})
			}
			fmt.Fprintln(c.env.Stdout, c.tr("cli.records.documentFinished"))
			return nil
		}
		res, err := w.KeyField(ctx, u, workflow.KeyInput{Document: id, Field: *field, Value: *value})
		if errors.Is(err, workflow.ErrUnknownField) {
			return usageError{fmt.Sprintf("%s %q", c.tr("cli.common.unknownFieldForThis"), *field)}
		}
		if err != nil {
			return err
		}
		// Show the field's own problems at once (cross-field ones come with validate). The value
		// is stored either way, as the keying screen keeps what the clerk typed; a hard error
		// makes the exit status 1, so that a script does not take the value as accepted.
		if c.json {
			if err := c.printJSON(map[string]any{"document": id, "field": res.Key, "stored": res.Stored,
				"errors": res.Errors, "problems": c.problemsJSON(res.Problems)}); err != nil {
				return err
			}
		} else {
			for _, p := range res.Problems {
				fmt.Fprintf(c.env.Stderr, "%s: %s\n", c.severity(p.Severity), p.Localize(c.lang))
			}
		}
		if res.Errors > 0 {
			if !c.json {
				fmt.Fprintln(c.env.Stderr, c.tr("cli.records.valueIsStoredBut"))
			}
			return exitError{1}
		}
		return nil
	}
}

// notFinished lists why a document was not finished (field and message, never the value)
// and returns exit status 1.
func (c *cmdCtx) notFinished(res workflow.FinishResult) error {
	if c.json {
		if err := c.printJSON(map[string]any{"finished": false, "errors": res.Errors, "warnings": res.Warnings,
			"problems": c.problemsJSON(res.Problems)}); err != nil {
			return err
		}
		return exitError{1}
	}
	for _, p := range res.Problems {
		fmt.Fprintf(c.env.Stderr, "  %-8s %-24s %s\n", c.severity(p.Severity), p.Key, p.Localize(c.lang))
	}
	if res.Errors > 0 {
		fmt.Fprintf(c.env.Stderr, c.tr("cli.records.notFinishedErrorsMust"), res.Errors)
	} else {
		fmt.Fprintf(c.env.Stderr, c.tr("cli.records.notFinishedWarningsCheck"), res.Warnings)
	}
	return exitError{1}
}

// problemsJSON is a list of problems for --json: field, severity, code and message, never
// the value.
func (c *cmdCtx) problemsJSON(ps []records.Problem) []map[string]any {
	out := []map[string]any{}
	for _, p := range ps {
		out = append(out, map[string]any{"field": p.Key, "fields": p.Keys, "severity": p.Severity, "code": p.Code, "message": p.Localize(c.lang)})
	}
	return out
}

// severity names a problem's severity in the run's language.
func (c *cmdCtx) severity(s records.Severity) string {
	if s == records.SeverityError {
		return c.tr("cli.records.severityError")
	}
	return c.tr("cli.records.severityWarning")
}

func defValidate(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	return func(ctx context.Context, args []string) error {
		_, w, err := c.batchDesk(ctx, *batch)
		if err != nil {
			return err
		}
		res, err := w.Validate(ctx, *batch, nil)
		if err != nil {
			return err
		}
		for _, p := range res.Problems {
			if c.json {
				c.printJSONLine(map[string]any{"document": p.Document, "field": p.Key, "fields": p.Keys, "severity": p.Severity, "code": p.Code, "message": p.Localize(c.lang)})
				continue
			}
			fmt.Fprintf(c.env.Stdout, "%s %d\t%-8s %-28s %s\n", c.tr("cli.common.document"), p.Document, c.severity(p.Severity), p.Key, p.Localize(c.lang))
		}
		if !c.json {
			fmt.Fprintf(c.env.Stdout, c.tr("cli.records.documentsErrorsWarnings"), res.Documents, res.Errors, res.Warnings)
		}
		if res.Errors > 0 {
			return exitError{1}
		}
		return nil
	}
}
