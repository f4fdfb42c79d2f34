package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/workflow"
)

func init() {
	register("scanners", "[--escl URL]… [--discover]", defScanners)
	register("scan", "--batch ID --device DEV --source flatbed|adf|duplex --resolution DPI --mode gray|color|lineart "+
		"[--page-size A4|WxH] [--pages-per-document N] [--separator blank|qr] [--continue-document ID --start-sheet N] [--sane-option NAME=VALUE]…", defScan)
}

// exitScannerFault is the exit status of a scan job ended by a scanner fault (jam, cover
// open, ...): the pages printed as stored are kept and the command to continue is printed.

// onSaneDriver, when set, is called with the SANE driver of a scan job before it starts.
// Tests use it to switch on the SANE test backend's fault injection in the middle of a job.
var onSaneDriver func(workflow.SANEOptions)

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
func (m *multiFlag) Type() string       { return "string" }

type jsonCaps struct {
	Sources     []capture.Source    `json:"sources"`
	Resolutions []int               `json:"resolutions"`
	Modes       []capture.ColorMode `json:"modes"`
	MaxWidthMM  float64             `json:"max_width_mm"`
	MaxHeightMM float64             `json:"max_height_mm"`
	PageSizes   []string            `json:"page_sizes"`
}

type jsonScanner struct {
	ID           string    `json:"id"`
	Driver       string    `json:"driver"`
	Vendor       string    `json:"vendor,omitempty"`
	Model        string    `json:"model,omitempty"`
	Label        string    `json:"label"`
	Capabilities *jsonCaps `json:"capabilities,omitempty"`
	Error        string    `json:"error,omitempty"`
}

func defScanners(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	var urls multiFlag
	fs.Var(&urls, "escl", "")
	discover := fs.Bool("discover", false, "")
	return func(ctx context.Context, args []string) error {
		scs := workflow.NewScanners()
		defer scs.Close()
		scs.Discover(*discover) // no network traffic unless --discover
		for _, u := range urls {
			if _, err := scs.AddESCL(u); err != nil {
				return usageError{fmt.Sprintf("--escl %q: %v", u, err)}
			}
		}
		devs, problems := scs.Devices(ctx)
		for _, p := range problems {
			var de *workflow.DriverError
			if errors.As(p, &de) && de.Driver == "SANE" {
				fmt.Fprintln(c.env.Stderr, c.tr("cli.scan.saneIsNotAvailable")+c.errText(de.Err))
				continue
			}
			fmt.Fprintln(c.env.Stderr, c.errText(p))
		}
		out := make([]jsonScanner, 0, len(devs))
		for _, d := range devs {
			js := jsonScanner{ID: d.ID, Driver: d.Driver, Vendor: d.Vendor, Model: d.Model, Label: d.Label}
			if caps, err := scs.Capabilities(ctx, d.ID); err != nil {
				js.Error = c.errText(err)
			} else {
				js.Capabilities = capsJSON(caps)
			}
			out = append(out, js)
		}
		if c.json {
			return c.printJSON(out)
		}
		if len(out) == 0 {
			fmt.Fprintln(c.env.Stdout, c.tr("cli.scan.noScannerFound"))
			return nil
		}
		for _, s := range out {
			fmt.Fprintf(c.env.Stdout, "%s\t%s\n", s.ID, s.Label)
			switch {
			case s.Error != "":
				fmt.Fprintf(c.env.Stdout, "    %s: %s\n", c.tr("cli.scan.error"), s.Error)
			case s.Capabilities != nil:
				k := s.Capabilities
				fmt.Fprintf(c.env.Stdout, "    %s: %s; %s: %s; %s: %s; %s: %s\n",
					c.tr("cli.scan.sources"), joinAny(k.Sources), c.tr("cli.scan.modes"), joinAny(k.Modes),
					c.tr("cli.scan.resolutions"), joinAny(k.Resolutions), c.tr("cli.scan.pageSizes"), strings.Join(k.PageSizes, ", "))
			}
		}
		return nil
	}
}

func capsJSON(k capture.Capabilities) *jsonCaps {
	j := &jsonCaps{Sources: k.Sources, Resolutions: k.Resolutions, Modes: k.Modes, MaxWidthMM: k.MaxWidthMM, MaxHeightMM: k.MaxHeightMM}
	for _, p := range k.PageSizes {
		j.PageSizes = append(j.PageSizes, p.Name)
	}
	return j
}

func joinAny[T any](v []T) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

// deviceScanners checks a device ID and returns the drivers for it, with the SANE options
// set.
func deviceScanners(c *cmdCtx, device string, saneOpts []string) (*workflow.Scanners, error) {
	isSANE, isESCL := strings.HasPrefix(device, "sane:"), strings.HasPrefix(device, "escl:")
	switch {
	case !isSANE && !isESCL:
		return nil, usageError{c.tr("cli.scan.deviceMustStartWith")}
	case isESCL && len(saneOpts) > 0:
		return nil, usageError{c.tr("cli.scan.saneOptionAppliesTo")}
	}
	scs := workflow.NewScanners()
	scs.OnSANE = onSaneDriver
	for _, o := range saneOpts {
		name, value, _ := strings.Cut(o, "=")
		scs.SetSANEOption(name, value)
	}
	if isESCL {
		if _, err := scs.AddESCL(strings.TrimPrefix(device, "escl:")); err != nil {
			scs.Close()
			return nil, usageError{fmt.Sprintf("--device %q: %v", device, err)}
		}
	}
	return scs, nil
}

type jsonScanEvent struct {
	Event      string   `json:"event"` // stored
	DocumentID int64    `json:"document_id"`
	Sheet      int      `json:"sheet"`
	Back       bool     `json:"back,omitempty"`
	Pages      int      `json:"pages"` // stored by this job so far
	Page       jsonPage `json:"page"`
}

type jsonScanEnd struct {
	Event        string   `json:"event"` // done | fault
	Pages        int      `json:"page_count"`
	Documents    []int64  `json:"documents"`
	LastDocument int64    `json:"last_document,omitempty"`
	NextSheet    int      `json:"next_sheet"`
	Kind         string   `json:"kind,omitempty"`
	Sheet        int      `json:"sheet,omitempty"`
	Message      string   `json:"message,omitempty"`
	Continue     []string `json:"continue,omitempty"` // the arguments of the command that continues
}

func defScan(c *cmdCtx, fs *pflag.FlagSet) runFunc {
	batch := fs.String("batch", "", "")
	device := fs.String("device", "", "")
	source := fs.String("source", "", "")
	res := fs.Int("resolution", 300, "")
	mode := fs.String("mode", "gray", "")
	pageSize := fs.String("page-size", "", "")
	ppd := fs.Int("pages-per-document", 0, "")
	sepKind := fs.String("separator", "", "")
	contDoc := fs.Int64("continue-document", 0, "")
	startSheet := fs.Int("start-sheet", 1, "")
	var saneOpts multiFlag
	fs.Var(&saneOpts, "sane-option", "")
	return func(ctx context.Context, pos []string) error {
		if len(pos) > 0 {
			return usageError{fmt.Sprintf(c.tr("cli.scan.unexpectedArgument"), pos[0])}
		}
		switch {
		case *batch == "":
			return usageError{c.tr("cli.common.batchIsRequired")}
		case *device == "":
			return usageError{c.tr("cli.scan.deviceIsRequiredSee")}
		case *source == "":
			return usageError{c.tr("cli.scan.sourceIsRequiredFlatbed")}
		}
		src := capture.Source(*source)
		if src != capture.SourceFlatbed && src != capture.SourceADF && src != capture.SourceADFDuplex {
			return usageError{c.tr("cli.scan.sourceMustBeFlatbed")}
		}
		md := capture.ColorMode(*mode)
		if md != capture.ModeGray && md != capture.ModeColor && md != capture.ModeLineart {
			return usageError{c.tr("cli.scan.modeMustBeGray")}
		}
		if *res <= 0 || *res > 4800 {
			return usageError{c.tr("cli.scan.resolutionMustBeBetween")}
		}
		if *ppd < 0 {
			return usageError{c.tr("cli.scan.pagesPerDocumentCannot")}
		}
		if *startSheet < 1 {
			return usageError{c.tr("cli.scan.startSheetMustBe")}
		}
		if *contDoc < 0 {
			return usageError{c.tr("cli.scan.continueDocumentMustBe")}
		}
		ps, err := workflow.ParsePageSize(*pageSize)
		if err != nil {
			return usageError{c.tr("cli.scan.pageSizeMustBe") + err.Error()}
		}
		for _, o := range saneOpts {
			if name, _, ok := strings.Cut(o, "="); !ok || name == "" {
				return usageError{c.tr("cli.scan.saneOptionWantsName")}
			}
		}
		if *sepKind != "" && *sepKind != "blank" && *sepKind != "qr" {
			return usageError{c.tr("cli.scan.separatorMustBeBlank")}
		}
		explicit := map[string]bool{}
		fs.Visit(func(f *pflag.Flag) { explicit[f.Name] = true })

		u, w, err := c.desk(ctx)
		if err != nil {
			return err
		}
		scs, err := deviceScanners(c, *device, saneOpts)
		if err != nil {
			return err
		}
		defer scs.Close()
		in := workflow.ScanInput{Scanners: scs, Batch: *batch, Device: *device,
			Settings:         capture.JobSettings{Source: src, Resolution: *res, Mode: md, PageSize: ps},
			PagesPerDocument: *ppd, Document: *contDoc, StartSheet: *startSheet, Separator: *sepKind}
		// Each page is printed only once it is durable (the workflow reports it after the commit).
		sum, err := w.Scan(ctx, u, in, func(e workflow.Event) {
			ev := e.Detail.(workflow.ScanPage)
			p := ev.Page
			if ev.Separator {
				if c.json {
					c.printJSONLine(map[string]any{"event": "separator", "sheet": ev.Sheet, "back": ev.Back})
				} else {
					fmt.Fprintf(c.env.Stdout, c.tr("cli.scan.sheetSeparatorSheetNext"), ev.Sheet)
				}
				return
			}
			if c.json {
				c.printJSONLine(jsonScanEvent{Event: "stored", DocumentID: ev.DocumentID, Sheet: ev.Sheet, Back: ev.Back, Pages: ev.Pages,
					Page: jsonPage{p.ID, p.Seq, p.Blob, p.Width, p.Height}})
				return
			}
			side := ""
			if ev.Back {
				side = c.tr("cli.scan.back")
			}
			fmt.Fprintf(c.env.Stdout, c.tr("cli.scan.sheetDocumentPageDx"),
				ev.Sheet, side, ev.DocumentID, p.Seq, p.Width, p.Height)
		})
		if errors.Is(err, workflow.ErrDocumentNotInBatch) {
			return usageError{fmt.Sprintf(c.tr("cli.scan.documentIsNotIn"), *contDoc, *batch)}
		}
		end := jsonScanEnd{Event: "done", Pages: sum.Pages, Documents: sum.Documents, LastDocument: sum.LastDocument, NextSheet: sum.NextSheet}
		if end.Documents == nil {
			end.Documents = []int64{}
		}
		var f *capture.Fault
		if err != nil && !errors.As(err, &f) {
			if c.json {
				c.printJSONLine(end) // what was kept, before the error line
			} else if sum.Pages > 0 {
				fmt.Fprintf(c.env.Stderr, c.tr("cli.scan.pagesWereStoredBefore"), sum.Pages)
			}
			return err
		}
		if f != nil {
			end.Event, end.Kind, end.Sheet = "fault", string(f.Kind), f.Sheet
			end.Message = f.Localize(c.lang)
			end.Continue = continueArgs(c, explicit, *batch, *device, *source, *res, *mode, *pageSize, *ppd, *sepKind, saneOpts, sum, f)
			if c.json {
				c.printJSONLine(end)
			} else {
				fmt.Fprintln(c.env.Stderr, end.Message)
				if sum.Pages == 0 {
					fmt.Fprintln(c.env.Stderr, c.tr("cli.scan.noPageWasStored"))
				} else {
					fmt.Fprintf(c.env.Stderr, c.tr("cli.scan.pagesStoredAndKept"), sum.Pages)
				}
				if sum.LastDocument == 0 {
					fmt.Fprintln(c.env.Stderr, c.tr("cli.scan.toScanAgain"))
				} else {
					fmt.Fprintf(c.env.Stderr, c.tr("cli.scan.toContinueDocumentFrom"), sum.LastDocument, sum.NextSheet)
				}
				fmt.Fprintf(c.env.Stderr, "  %s\n", shellJoin(append([]string{"sohoa"}, end.Continue...)))
			}
			return exitError{exitScannerFault}
		}
		if c.json {
			c.printJSONLine(end)
		} else {
			fmt.Fprintf(c.env.Stdout, c.tr("cli.scan.pagesStoredInDocuments"), sum.Pages, len(sum.Documents))
		}
		return nil
	}
}

// continueArgs is the command line that continues the job after a fault: the same settings,
// the same document, from the sheet after the last one stored.
func continueArgs(c *cmdCtx, explicit map[string]bool, batch, device, source string, res int, mode, pageSize string, ppd int, sep string,
	saneOpts []string, sum capture.ScanSummary, f *capture.Fault) []string {
	a := []string{"scan", "--batch", batch, "--device", device, "--source", source, "--resolution", strconv.Itoa(res), "--mode", mode}
	if pageSize != "" {
		a = append(a, "--page-size", pageSize)
	}
	if ppd > 0 {
		a = append(a, "--pages-per-document", strconv.Itoa(ppd))
	}
	if sep != "" {
		a = append(a, "--separator", sep)
	}
	if sum.LastDocument != 0 {
		a = append(a, "--continue-document", strconv.FormatInt(sum.LastDocument, 10), "--start-sheet", strconv.Itoa(sum.NextSheet))
	}
	for _, o := range saneOpts {
		a = append(a, "--sane-option", o)
	}
	if explicit["data"] {
		a = append(a, "--data", c.dataDir)
	}
	if c.json {
		a = append(a, "--json")
	}
	return a
}

// shellJoin quotes arguments for a POSIX shell where needed.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@+", r))
		}) < 0 {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
