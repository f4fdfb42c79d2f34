package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

func init() {
	register(&command{name: "extract", usage: "--batch ID",
		summary: "read field values from OCR text / trích xuất trường từ kết quả OCR", run: runExtract})
	register(&command{name: "key", usage: "--doc ID --field KEY --value VALUE",
		summary: "key a field value (exit 1: not stored, or stored with an error that blocks submission) / nhập giá trị một trường (mã thoát 1: chưa lưu, hoặc đã lưu nhưng có lỗi chặn gửi duyệt)", run: runKey})
	register(&command{name: "validate", usage: "--batch ID",
		summary: "check field values (exit 1 on errors) / kiểm tra giá trị các trường", run: runValidate})
}

// recordType returns the bundled definition of a batch's record type (open() has already
// registered the bundled types in the store).
func (c *cmdCtx) recordType(ctx context.Context, key string) (*records.RecordType, error) {
	reg, err := records.LoadAll(c.store.Dir())
	if err != nil {
		return nil, err
	}
	rt, ok := reg.Get(key)
	if !ok {
		return nil, fmt.Errorf("%s %q", c.t("no field definitions for record type", "không có định nghĩa trường cho loại hồ sơ"), key)
	}
	return rt, nil
}

// batchRecords returns a batch's record type definition and its documents.
func (c *cmdCtx) batchRecords(ctx context.Context, batchID string) (*records.RecordType, []queue.Document, error) {
	b, err := c.store.Batch(ctx, batchID)
	if err != nil {
		return nil, nil, err
	}
	rt, err := c.recordType(ctx, b.RecordType)
	if err != nil {
		return nil, nil, err
	}
	docs, err := c.store.Documents(ctx, b.ID)
	return rt, docs, err
}

func runExtract(ctx context.Context, c *cmdCtx, args []string) error {
	fs := c.newFlags("extract")
	batch := fs.String("batch", "", "")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if *batch == "" {
		return usageError{c.t("--batch is required", "cần --batch")}
	}
	u, err := c.login(ctx)
	if err != nil {
		return err
	}
	rt, docs, err := c.batchRecords(ctx, *batch)
	if err != nil {
		return err
	}
	var total records.ExtractResult
	for _, d := range docs {
		r, err := records.ExtractDocument(ctx, c.store, u, rt, d.ID)
		if err != nil {
			return err
		}
		if c.json {
			c.printJSONLine(map[string]any{"document": d.ID, "stored": r.Stored, "kept": r.Kept, "missing": r.Missing, "pages_without_ocr": r.NoOCR})
		}
		total.Stored += r.Stored
		total.Kept += r.Kept
		total.Missing += r.Missing
		total.NoOCR += r.NoOCR
	}
	if !c.json {
		fmt.Fprintf(c.env.Stdout, c.t("%d documents: %d values stored, %d keyed values kept, %d fields not found, %d pages without OCR\n",
			"%d hồ sơ: lưu %d giá trị, giữ %d giá trị đã nhập, %d trường không tìm thấy, %d trang chưa OCR\n"),
			len(docs), total.Stored, total.Kept, total.Missing, total.NoOCR)
	}
	return nil
}

func runKey(ctx context.Context, c *cmdCtx, args []string) error {
	fs := c.newFlags("key")
	doc := fs.String("doc", "", "")
	field := fs.String("field", "", "")
	value := fs.String("value", "", "")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	id, err := strconv.ParseInt(*doc, 10, 64)
	if err != nil || id <= 0 || *field == "" {
		return usageError{c.t("--doc (a document number) and --field are required", "cần --doc (số hồ sơ) và --field")}
	}
	u, err := c.login(ctx)
	if err != nil {
		return err
	}
	d, err := c.store.Document(ctx, id)
	if err != nil {
		return err
	}
	b, err := c.store.Batch(ctx, d.BatchID)
	if err != nil {
		return err
	}
	rt, err := c.recordType(ctx, b.RecordType)
	if err != nil {
		return err
	}
	f, ok := rt.Field(*field)
	if !ok {
		return usageError{fmt.Sprintf("%s %q", c.t("unknown field for this record type:", "loại hồ sơ này không có trường"), *field)}
	}
	v := records.Normalize(f, *value)
	if err := c.store.SetField(ctx, u, id, f.Key, v, queue.SourceKeyed, 1); err != nil {
		return err
	}
	// Show the field's own problems at once (cross-field ones come with validate). The value
	// is stored either way, as the keying screen keeps what the clerk typed; a hard error
	// makes the exit status 1, so that a script does not take the value as accepted.
	errs := 0
	for _, p := range records.Validate(rt, map[string]string{f.Key: v}, time.Now()) {
		if p.Key == f.Key && len(p.Keys) == 1 {
			fmt.Fprintf(c.env.Stderr, "%s: %s\n", c.t(string(p.Severity), severityVi(p.Severity)), c.t(p.En, p.Vi))
			if p.Severity == records.SeverityError {
				errs++
			}
		}
	}
	if errs > 0 {
		fmt.Fprintln(c.env.Stderr, c.t("the value is stored but has an error: the batch cannot be submitted until it is corrected",
			"giá trị đã lưu nhưng có lỗi: lô chưa gửi duyệt được cho đến khi sửa"))
		return exitError{1}
	}
	return nil
}

func severityVi(s records.Severity) string {
	if s == records.SeverityError {
		return "lỗi"
	}
	return "cảnh báo"
}

func runValidate(ctx context.Context, c *cmdCtx, args []string) error {
	fs := c.newFlags("validate")
	batch := fs.String("batch", "", "")
	if _, err := c.parse(fs, args); err != nil {
		return err
	}
	if *batch == "" {
		return usageError{c.t("--batch is required", "cần --batch")}
	}
	if _, err := c.login(ctx); err != nil {
		return err
	}
	rt, docs, err := c.batchRecords(ctx, *batch)
	if err != nil {
		return err
	}
	errs, warns := 0, 0
	now := time.Now()
	for _, d := range docs {
		ps, err := records.ValidateDocument(ctx, c.store, rt, d.ID, now)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.Severity == records.SeverityError {
				errs++
			} else {
				warns++
			}
			if c.json {
				c.printJSONLine(map[string]any{"document": d.ID, "field": p.Key, "fields": p.Keys, "severity": p.Severity, "code": p.Code, "message": c.t(p.En, p.Vi)})
				continue
			}
			fmt.Fprintf(c.env.Stdout, "%s %d\t%-8s %-28s %s\n", c.t("document", "hồ sơ"), d.ID, c.t(string(p.Severity), severityVi(p.Severity)), p.Key, c.t(p.En, p.Vi))
		}
	}
	if !c.json {
		fmt.Fprintf(c.env.Stdout, c.t("%d documents: %d errors, %d warnings\n", "%d hồ sơ: %d lỗi, %d cảnh báo\n"), len(docs), errs, warns)
	}
	if errs > 0 {
		return exitError{1}
	}
	return nil
}
