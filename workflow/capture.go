package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/capture/cleanup"
	"github.com/sohoa/sohoa/capture/escl"
	"github.com/sohoa/sohoa/capture/hotfolder"
	"github.com/sohoa/sohoa/capture/sane"
	"github.com/sohoa/sohoa/capture/separate"
	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
)

// Capture: import files and folders, scan, scan a page again, watch a folder. Every page is
// acknowledged (reported through Progress) only once its image and row are durable, so a
// crash, a jam or a cancel loses no acknowledged page; cancelling stops at the next page or
// file boundary and leaves nothing half-stored.

// editableBatch returns the batch, refusing (*queue.LockedError) one whose pages may no
// longer change: the faces learn it before a scanner feeds a sheet or a file is decoded.
// The store checks again in each transaction.
func (w *Workflow) editableBatch(ctx context.Context, batchID string) (queue.Batch, error) {
	b, err := w.Store.Batch(ctx, batchID)
	if err != nil {
		return b, err
	}
	if !b.State.Editable() {
		return b, &queue.LockedError{State: b.State}
	}
	return b, nil
}

// ImportInput names the files and folders to import into a batch.
type ImportInput struct {
	Batch string   // the batch's ID or a unique prefix of it
	Paths []string // files and folders (a folder's PNG, JPEG, TIFF and PDF files, in name order)
}

// ImportFile is the Detail of an import's "file" events: one file stored (its document and
// durable pages), skipped (already in the batch) or failed (Err).
type ImportFile = capture.ImportEvent

// ImportResult totals an import.
type ImportResult = capture.ImportSummary

// Import stores each file as one document of the batch (a multi-page TIFF or PDF is one
// document of several pages): one "file" event per file, after its document is durable. A bad
// file is reported and skipped; the others still import; the same file is never stored twice
// in a batch. Cancelling stops before the next file.
func (w *Workflow) Import(ctx context.Context, actor queue.User, in ImportInput, progress Progress) (ImportResult, error) {
	b, err := w.editableBatch(ctx, in.Batch)
	if err != nil {
		return ImportResult{}, err
	}
	sum, err := capture.ImportFiles(ctx, w.Store, actor, b.ID, in.Paths, func(ev capture.ImportEvent) {
		if ev.Err == nil && !ev.Skipped {
			w.pagesStored()
		}
		progress.Report(Event{Op: "import", Step: "file", Done: ev.Index, Total: ev.Total, Item: ev.File, Err: ev.Err, Detail: ev})
	})
	return sum, err
}

// Scanners are the scanner drivers a face works with: SANE (opened on first use; unavailable
// where libsane is missing) and eSCL network scanners added by address (mDNS discovery only
// when asked). A face keeps one set for its session and closes it when done.
type Scanners struct {
	mu       sync.Mutex
	sane     *sane.Driver
	saneErr  error
	escl     *escl.Driver
	discover bool
	options  [][2]string

	// OnSANE, when set, is called with the SANE driver's options once it is opened (tests
	// switch on the SANE test backend's fault injection with it in the middle of a job).
	OnSANE func(SANEOptions)
}

// SANEOptions sets a backend option of the SANE driver (sane.Driver.SetExtraOption).
type SANEOptions interface{ SetExtraOption(name, value string) }

// NewScanners returns a set with no driver opened yet.
func NewScanners() *Scanners { return &Scanners{} }

// SetSANEOption sets a backend-specific SANE option (as `scanimage --help` names it) for
// every following job; an empty value removes it from the list (sane.Driver.SetExtraOption).
func (s *Scanners) SetSANEOption(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.options, func(o [2]string) bool { return o[0] == name })
	switch {
	case value == "" && i >= 0:
		s.options = slices.Delete(s.options, i, i+1)
	case i >= 0:
		s.options[i][1] = value
	case value != "":
		s.options = append(s.options, [2]string{name, value})
	}
	if s.sane != nil {
		s.sane.SetExtraOption(name, value)
	}
}

// Discover lets Devices look for eSCL scanners on the local network (mDNS).
func (s *Scanners) Discover(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.discover = on
	if s.escl != nil {
		s.setDiscovery()
	}
}

func (s *Scanners) setDiscovery() {
	s.escl.Discovery = nil
	if s.discover {
		s.escl.Discovery = func(ctx context.Context) ([]capture.Device, error) { return escl.Discover(ctx, escl.DiscoveryWindow) }
	}
}

// drivers opens what is not open yet.
func (s *Scanners) drivers() (*sane.Driver, *escl.Driver, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.escl == nil {
		s.escl = escl.New()
		s.setDiscovery()
	}
	if s.sane == nil && s.saneErr == nil {
		s.sane, s.saneErr = sane.New()
		if s.sane != nil {
			for _, o := range s.options {
				s.sane.SetExtraOption(o[0], o[1])
			}
			if s.OnSANE != nil {
				s.OnSANE(s.sane)
			}
		}
	}
	return s.sane, s.escl, s.saneErr
}

// AddESCL adds a network scanner by its address ("192.0.2.7" or
// "http://192.0.2.7:8080/eSCL"); ErrBadScannerAddress when it is not one.
func (s *Scanners) AddESCL(address string) (capture.Device, error) {
	_, ed, _ := s.drivers()
	dev, err := ed.AddDevice(address)
	if err != nil {
		return dev, fmt.Errorf("%w: %v", ErrBadScannerAddress, err)
	}
	return dev, nil
}

// ErrBadScannerAddress: an eSCL address that is not one.
var ErrBadScannerAddress = l10n.New("workflow.badScannerAddress")

// Devices lists the scanners reachable now: SANE's, then the eSCL ones added or discovered.
// A driver that cannot list is reported in problems and the others still are.
func (s *Scanners) Devices(ctx context.Context) (devs []capture.Device, problems []error) {
	sd, ed, err := s.drivers()
	if err != nil {
		problems = append(problems, &DriverError{Driver: "SANE", Err: err})
	} else if list, err := sd.Devices(ctx); err != nil {
		problems = append(problems, &DriverError{Driver: "SANE", Err: err})
	} else {
		devs = append(devs, list...)
	}
	list, err := ed.Devices(ctx)
	if err != nil {
		problems = append(problems, &DriverError{Driver: "eSCL", Err: err})
	}
	return append(devs, list...), problems
}

// DriverError: a scanner driver could not list its devices (SANE missing, say).
type DriverError struct {
	Driver string
	Err    error
}

func (e *DriverError) Error() string { return e.Driver + ": " + e.Err.Error() }

// Localize is the message in lang: which driver, then why.
func (e *DriverError) Localize(lang string) string {
	return l10n.T(lang, "workflow.driver", l10n.Args{"Driver": e.Driver}) + ": " + l10n.Text(lang, e.Err)
}
func (e *DriverError) Unwrap() error { return e.Err }

// Capabilities reads what a device supports.
func (s *Scanners) Capabilities(ctx context.Context, device string) (capture.Capabilities, error) {
	sc, err := s.scanner(device)
	if err != nil {
		return capture.Capabilities{}, err
	}
	return sc.Capabilities(ctx, device)
}

// scanner is the driver that serves a device ID.
func (s *Scanners) scanner(id string) (capture.Scanner, error) {
	sd, ed, err := s.drivers()
	switch {
	case strings.HasPrefix(id, escl.IDPrefix):
		if _, err := escl.NewDevice(strings.TrimPrefix(id, escl.IDPrefix)); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadScannerAddress, err)
		}
		return ed, nil
	case strings.HasPrefix(id, sane.IDPrefix) && sd != nil:
		return sd, nil
	case strings.HasPrefix(id, sane.IDPrefix):
		return nil, &DriverError{Driver: "SANE", Err: err}
	}
	return nil, &l10n.Error{Key: "workflow.noDevice", Args: l10n.Args{"ID": id, "SANE": sane.IDPrefix, "ESCL": escl.IDPrefix}, Kind: capture.ErrNoDevice}
}

// forJob is the driver of a device for one job; a nil set opens drivers of its own, which
// done releases.
func (s *Scanners) forJob(device string) (sc capture.Scanner, done func(), err error) {
	done = func() {}
	if s == nil {
		s = NewScanners()
		done = func() { s.Close() }
	}
	if sc, err = s.scanner(device); err != nil {
		done()
		return nil, func() {}, err
	}
	return sc, done, nil
}

// Close releases the drivers; it waits for a job to leave its device (cancel it first).
func (s *Scanners) Close() error {
	s.mu.Lock()
	sd := s.sane
	s.sane, s.saneErr = nil, nil
	s.mu.Unlock()
	if sd != nil {
		return sd.Close()
	}
	return nil
}

// PageSizes are the paper sizes a scan can ask for by name.
var PageSizes = sane.PageSizes

// ParsePageSize reads a page size: "" (the device's whole area), a name of PageSizes ("A4")
// or "WIDTHxHEIGHT" in millimetres.
func ParsePageSize(s string) (capture.PageSize, error) {
	if s == "" {
		return capture.PageSize{}, nil
	}
	for _, p := range PageSizes {
		if strings.EqualFold(p.Name, s) {
			return p, nil
		}
	}
	ws, hs, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.ParseFloat(ws, 64)
	h, err2 := strconv.ParseFloat(hs, 64)
	if !ok || err1 != nil || err2 != nil || !(w > 0 && h > 0) || math.IsInf(w, 0) || math.IsInf(h, 0) {
		return capture.PageSize{}, l10n.New("workflow.pageSize", l10n.Args{"Value": s})
	}
	return capture.PageSize{Name: s, WidthMM: w, HeightMM: h}, nil
}

// Separator kinds of a scan job: a blank page, or a printed QR separator sheet
// (SeparatorSheet), starts the next document.
const (
	SeparatorBlank = separate.KindBlank
	SeparatorQR    = separate.KindQR
)

// ScanInput is one scan job into a batch.
type ScanInput struct {
	Scanners *Scanners // the face's drivers; nil: a set of its own, closed afterwards
	Batch    string
	Device   string // "sane:…" or "escl:…" (Scanners.Devices)
	Settings capture.JobSettings
	// PagesPerDocument groups pages into documents of this many pages; 0 puts the whole job
	// into one document (unless Separator splits it).
	PagesPerDocument int
	// Document, when non-zero, continues that document of the batch (after a fault) from
	// StartSheet (default 1).
	Document   int64
	StartSheet int
	Separator  string // "", SeparatorBlank or SeparatorQR
}

// ScanPage is the Detail of a scan's "page" events: one page durable (or a separator sheet
// seen, not stored).
type ScanPage = capture.ScanEvent

// ScanResult totals a scan job. A job ended by a scanner fault returns the pages it stored
// with the *capture.Fault; LastDocument and NextSheet continue it.
type ScanResult = capture.ScanSummary

// ErrDocumentNotInBatch: a document to continue is not in the batch scanned into.
var ErrDocumentNotInBatch = l10n.New("workflow.documentNotInBatch")

// Scan runs a scan job and stores every page in the batch as it arrives; each "page" event
// is sent once the page is durable. A fault (jam, cover open…) ends the job with a
// *capture.Fault and the pages stored so far; cancelling stops at the device.
func (w *Workflow) Scan(ctx context.Context, actor queue.User, in ScanInput, progress Progress) (ScanResult, error) {
	b, err := w.editableBatch(ctx, in.Batch)
	if err != nil {
		return ScanResult{}, err
	}
	if in.Document != 0 {
		d, err := w.Store.Document(ctx, in.Document)
		if err != nil {
			return ScanResult{}, err
		}
		if d.BatchID != b.ID {
			return ScanResult{}, fmt.Errorf("%w (document %d, batch %s)", ErrDocumentNotInBatch, in.Document, b.ID)
		}
	}
	opts := capture.ScanOptions{Device: in.Device, Settings: in.Settings, PagesPerDocument: in.PagesPerDocument,
		Document: in.Document, StartSheet: in.StartSheet}
	if in.Separator != "" {
		rule := separate.Rule{Kind: in.Separator}
		if err := rule.Validate(); err != nil {
			return ScanResult{}, err
		}
		sp := separate.NewSplitter(rule)
		opts.Separate = func(img []byte) (bool, bool, error) {
			d, err := sp.Next(img)
			return d.NewDocument, d.Drop, err
		}
	}
	sc, done, err := in.Scanners.forJob(in.Device)
	if err != nil {
		return ScanResult{}, err
	}
	defer done()
	return capture.ScanToBatch(ctx, w.Store, actor, b.ID, sc, opts, func(ev capture.ScanEvent) {
		if !ev.Separator {
			w.pagesStored()
		}
		progress.Report(Event{Op: "scan", Step: "page", Done: ev.Pages, Item: fmt.Sprintf("sheet %d", ev.Sheet), Detail: ev})
	})
}

// RescanInput names the page to scan again and the job settings.
type RescanInput struct {
	Scanners *Scanners // nil: a set of its own
	Page     int64
	Device   string
	Settings capture.JobSettings // a duplex source scans the front side only
}

// RescanResult is the new page, in the old one's place.
type RescanResult struct {
	Page queue.Page
	Seq  int // its position in the document (the old page's)
}

// ErrNoPage: the scanner finished a re-scan without delivering a page.
var ErrNoPage = capture.ErrNoSheet

// Rescan scans one sheet again for a page: the new image replaces the page in one
// transaction (queue.Store.ReplacePage), in its place in the document, waiting for OCR. A
// scanner fault, a cancel or a crash before that commit leaves the old page as it was, and
// no new page.
func (w *Workflow) Rescan(ctx context.Context, actor queue.User, in RescanInput, progress Progress) (RescanResult, error) {
	old, err := w.Store.Page(ctx, in.Page)
	if err != nil {
		return RescanResult{}, err
	}
	if _, err := w.editableBatch(ctx, old.BatchID); err != nil {
		return RescanResult{}, err
	}
	s := in.Settings
	if s.Source == capture.SourceADFDuplex {
		s.Source = capture.SourceADF // one side: the page being replaced
	}
	sc, done, err := in.Scanners.forJob(in.Device)
	if err != nil {
		return RescanResult{}, err
	}
	defer done()
	sheet := old.Origin.Sheet
	if sheet == 0 {
		sheet = old.Seq
	}
	pin, err := capture.ScanSheet(ctx, sc, in.Device, s, sheet)
	if err != nil {
		return RescanResult{}, err
	}
	np, err := w.Store.ReplacePage(ctx, actor, old.ID, pin)
	if err != nil {
		return RescanResult{}, err
	}
	w.pagesStored()
	progress.Report(Event{Op: "rescan", Step: "page", Done: 1, Total: 1, Item: fmt.Sprintf("page %d", np.Seq), Detail: np})
	return RescanResult{Page: np, Seq: np.Seq}, nil
}

// WatchInput is a hot folder: what scan-to-folder devices drop into Folder is imported into
// Batch once a file has stayed unchanged for StableFor (default 2 s).
type WatchInput struct {
	Batch     string
	Folder    string
	StableFor time.Duration
}

// WatchEvent is the Detail of a watch's "file" events.
type WatchEvent = hotfolder.Event

// What happened to a file of a watched folder (WatchEvent.Kind).
const (
	WatchImported  = hotfolder.Imported  // stored as a new document
	WatchDuplicate = hotfolder.Duplicate // already in the batch
	WatchFailed    = hotfolder.Failed    // a bad file, set aside with its reason
	WatchWaiting   = hotfolder.Waiting   // not readable yet: tried again later
	WatchError     = hotfolder.Error     // the folder or the store failed: tried again later
)

// Watch imports the files dropped into a folder until ctx ends (then it returns nil): each
// file is one document, durable before its "file" event; a file is moved out of the way once
// stored or set aside. A file half-written when ctx ends stays for the next run.
func (w *Workflow) Watch(ctx context.Context, actor queue.User, in WatchInput, progress Progress) error {
	b, err := w.editableBatch(ctx, in.Batch)
	if err != nil {
		return err
	}
	n := 0
	hw := hotfolder.New(w.Store, actor, b.ID, in.Folder, hotfolder.Options{StableFor: in.StableFor, OnEvent: func(ev hotfolder.Event) {
		if ev.Kind == hotfolder.Imported {
			w.pagesStored()
		}
		if ev.Kind != hotfolder.Waiting {
			n++
		}
		progress.Report(Event{Op: "watch", Step: "file", Done: n, Item: ev.File, Err: ev.Err, Detail: ev})
	}})
	if err := hw.Serve(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// SeparatorSheet renders the QR separator sheet to print between records (PNG at dpi, with
// an optional label printed on it).
func SeparatorSheet(dpi int, label string) ([]byte, error) {
	return separate.SeparatorSheetPNG(dpi, label)
}

// Page edits of the viewer: each one transaction with its audit event, only while the batch
// is Editable (the store refuses it otherwise, *queue.LockedError).
const (
	EditRotate = "rotate" // turn Page clockwise by Degrees (90, 180, 270); its OCR runs again
	EditMove   = "move"   // move Page to position To of its document
	EditDelete = "delete" // delete Page (not the only page of a document)
	EditSplit  = "split"  // a new document after Document, from its page To on
	EditMerge  = "merge"  // append the pages of Next (the document after Document) to Document
)

// PageEdit is one page edit.
type PageEdit struct {
	Op       string
	Page     int64
	Document int64
	Next     int64
	Degrees  int
	To       int
}

// EditResult is what an edit made: the new document of a split.
type EditResult struct{ NewDocument int64 }

// EditPages applies one page edit; a turned page waits for OCR again (the background
// service is woken).
func (w *Workflow) EditPages(ctx context.Context, actor queue.User, in PageEdit) (EditResult, error) {
	var res EditResult
	var err error
	switch in.Op {
	case EditRotate:
		_, err = w.Store.RotatePage(ctx, actor, in.Page, in.Degrees)
		if err == nil {
			w.pagesStored()
		}
	case EditMove:
		err = w.Store.MovePage(ctx, actor, in.Page, in.To)
	case EditDelete:
		err = w.Store.DeletePage(ctx, actor, in.Page)
	case EditSplit:
		res.NewDocument, err = w.Store.SplitDocument(ctx, actor, in.Document, in.To)
	case EditMerge:
		err = w.Store.MergeDocuments(ctx, actor, in.Document, in.Next)
	default:
		err = &l10n.Error{Key: "workflow.unknownEdit", Args: l10n.Args{"Op": in.Op}, Kind: queue.ErrBadEdit}
	}
	return res, err
}

// ScanSources and ScanModes are the sources and colour modes a face offers, in display order.
var (
	ScanSources = []capture.Source{capture.SourceFlatbed, capture.SourceADF, capture.SourceADFDuplex}
	ScanModes   = []capture.ColorMode{capture.ModeGray, capture.ModeColor, capture.ModeLineart}
)

// DefaultSettings are the settings a face proposes for a device: the feeder when it has one,
// 300 dpi or the nearest resolution, grey.
func DefaultSettings(c capture.Capabilities) capture.JobSettings {
	var s capture.JobSettings
	for _, src := range []capture.Source{capture.SourceADF, capture.SourceFlatbed, capture.SourceADFDuplex} {
		if slices.Contains(c.Sources, src) {
			s.Source = src
			break
		}
	}
	for _, r := range c.Resolutions {
		if s.Resolution == 0 || abs(r-300) < abs(s.Resolution-300) {
			s.Resolution = r
		}
	}
	for _, m := range ScanModes {
		if slices.Contains(c.Modes, m) {
			s.Mode = m
			break
		}
	}
	return s
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// CleanupSetting turns a batch's clean-up as a person writes it — "default", "none" or a list
// of steps such as "deskew,orient,crop,blank=drop,binarize" — into the batch's stored setting
// (queue.BatchSpec.Cleanup: "", "none" or a JSON cleanup.Profile).
func CleanupSetting(v string) (string, error) {
	switch v {
	case "", "default":
		return "", nil
	case "none":
		return "none", nil
	}
	p := cleanup.Profile{Blank: cleanup.BlankOff}
	for _, item := range strings.Split(v, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(item), "=")
		switch k {
		case "deskew":
			p.Deskew = true
		case "orient":
			p.AutoOrient = true
		case "crop":
			p.CropBorders = true
		case "binarize":
			p.Binarize = true
		case "blank":
			switch cleanup.BlankPolicy(val) {
			case cleanup.BlankFlag, cleanup.BlankDrop, cleanup.BlankOff:
				p.Blank = cleanup.BlankPolicy(val)
			default:
				return "", l10n.New("workflow.cleanup.blank", l10n.Args{"Value": val})
			}
		default:
			return "", l10n.New("workflow.cleanup.step", l10n.Args{"Step": k})
		}
	}
	b, err := json.Marshal(p)
	return string(b), err
}
