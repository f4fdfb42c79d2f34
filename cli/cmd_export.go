package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"filippo.io/age"
	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("export", "--batch ID --format json|csv [--out FILE] [--encrypt]", defExport)
}

func defExport(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	format := fs.String("format", "json", "")
	out := fs.String("out", "", "")
	encrypt := fs.Bool("encrypt", false, "")
	return func(ctx context.Context, args []string) error {
		if *batch == "" {
			return usageError{c.tr("cli.common.batchIsRequired")}
		}
		if *format != "json" && *format != "csv" {
			return usageError{fmt.Sprintf(c.tr("cli.export.unknownFormatUseJson"), *format)}
		}
		if _, err := c.login(ctx); err != nil {
			return err
		}
		// A signed batch is exported only when its values are those signed into its PDFs.
		c.useSignatureChecker(workflow.VerifyOptions{IntegrityOnly: true})
		exp, err := c.store.ExportBatch(ctx, *batch)
		if err != nil {
			return err
		}
		plainWrite := func(w io.Writer) error {
			if *format == "csv" {
				return writeCSV(w, exp)
			}
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			return enc.Encode(exp)
		}
		write := plainWrite
		if *encrypt {
			// An age file (passphrase, scrypt): `age -d FILE` or any age tool opens it.
			pass, err := c.password("SOHOA_EXPORT_PASSPHRASE", c.tr("cli.export.passphrase"))
			if err != nil {
				return err
			}
			if len([]rune(pass)) < 8 {
				return usageError{c.tr("cli.export.passphraseShort")}
			}
			rcpt, err := age.NewScryptRecipient(pass)
			if err != nil {
				return err
			}
			write = func(w io.Writer) error {
				aw, err := age.Encrypt(w, rcpt)
				if err != nil {
					return err
				}
				if err := plainWrite(aw); err != nil {
					return err
				}
				return aw.Close()
			}
		} else if *out != "" && *out != "-" {
			fmt.Fprintln(c.env.Stderr, c.tr("cli.export.plainWarning"))
		}
		if *out == "" || *out == "-" {
			return write(c.env.Stdout)
		}
		// Write next to the target and rename, so a failure never leaves half a file.
		tmp, err := os.CreateTemp(filepath.Dir(*out), ".export-*")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		if err := write(tmp); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), *out); err != nil {
			return err
		}
		if c.json {
			c.printJSONLine(map[string]string{"file": *out, "format": *format})
		}
		return nil
	}
}

// writeCSV writes one row per page; the document's fields follow as field:<key> columns.
// The file starts with a UTF-8 byte-order mark so that spreadsheet programs show Vietnamese.
func writeCSV(w io.Writer, exp queue.BatchExport) error {
	keys := map[string]bool{}
	for _, d := range exp.Documents {
		for k := range d.Fields {
			keys[k] = true
		}
	}
	var fieldKeys []string
	for k := range keys {
		fieldKeys = append(fieldKeys, k)
	}
	sort.Strings(fieldKeys)
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := []string{"batch_id", "record_type", "document_id", "document_seq", "document_origin", "page_id", "page_seq",
		"origin_file", "origin_page", "origin_scanner", "origin_sheet", "sha256", "width", "height", "dpi", "ocr_state",
		"mean_confidence", "text"}
	for _, k := range fieldKeys {
		head = append(head, "field:"+k)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	itoa := strconv.Itoa
	for _, d := range exp.Documents {
		for _, p := range d.Pages {
			row := []string{exp.Batch.ID, exp.Batch.RecordType, strconv.FormatInt(d.ID, 10), itoa(d.Seq), d.Origin,
				strconv.FormatInt(p.ID, 10), itoa(p.Seq), p.Origin.File, itoa(p.Origin.Page), p.Origin.Scanner, itoa(p.Origin.Sheet),
				p.SHA256, itoa(p.Width), itoa(p.Height), itoa(p.DPI), p.OCRState, strconv.FormatFloat(p.MeanConf, 'f', 1, 64), p.Text}
			for _, k := range fieldKeys {
				row = append(row, d.Fields[k])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
