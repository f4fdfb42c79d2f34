package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"

	"github.com/sohoa/sohoa/queue"
)

// ScanOptions describe a scan job into a batch.
type ScanOptions struct {
	Device   string
	Settings JobSettings
	// PagesPerDocument groups pages into documents of this many pages (2 for duplex
	// one-sheet records, say); 0 puts the whole job into one document.
	PagesPerDocument int
	// Document, when non-zero, continues that document (e.g. after clearing a jam);
	// StartSheet numbers the first sheet of this job (default 1).
	Document   int64
	StartSheet int
	// Separate, when set, is asked about every page before it is stored (capture/separate
	// implements it: blank or QR separator sheets): newDoc starts a new document with this
	// page; drop means the page is a separator sheet and is not stored.
	Separate func(img []byte) (newDoc, drop bool, err error)
}

// ScanEvent reports one page acknowledged: it is durable when the event is sent.
type ScanEvent struct {
	Page       queue.Page
	DocumentID int64
	Sheet      int
	Back       bool
	Pages      int  // pages stored by this job so far
	Separator  bool // this page was a separator sheet: not stored (Page is empty)
}

// ScanSummary totals a scan job. A job ended by a scanner fault still returns the pages it
// stored, and Err holds the *Fault; LastDocument and NextSheet let the clerk continue.
type ScanSummary struct {
	Pages        int
	Documents    []int64
	LastDocument int64
	NextSheet    int
}

// ScanToBatch runs a scan job and stores every page in the batch as it arrives: a page is
// acknowledged (progress is called) only after its image and row are durable, so a crash,
// a jam or a cancel loses no acknowledged page. Scanning never waits for OCR.
func ScanToBatch(ctx context.Context, st *queue.Store, actor queue.User, batchID string, sc Scanner, opts ScanOptions, progress func(ScanEvent)) (ScanSummary, error) {
	b, err := st.Batch(ctx, batchID)
	if err != nil {
		return ScanSummary{}, err
	}
	sum := ScanSummary{LastDocument: opts.Document}
	start := opts.StartSheet
	if start <= 0 {
		start = 1
	}
	sum.NextSheet = start
	docPages := 0
	if opts.Document != 0 {
		pages, err := st.Pages(ctx, opts.Document)
		if err != nil {
			return sum, err
		}
		docPages = len(pages)
	}
	err = sc.Scan(ctx, opts.Device, opts.Settings, func(sp ScannedPage) error {
		in, err := scannedPageInput(sp)
		if err != nil {
			return err
		}
		sheet := start + sp.Sheet - 1
		in.Origin = queue.Origin{Scanner: opts.Device, Sheet: sheet}
		if sp.Back {
			in.Origin.Page = 2
		} else {
			in.Origin.Page = 1
		}
		split := false
		if opts.Separate != nil {
			nd, drop, err := opts.Separate(in.Data)
			if err != nil {
				return err
			}
			if drop {
				if progress != nil {
					progress(ScanEvent{DocumentID: sum.LastDocument, Sheet: sheet, Back: sp.Back, Pages: sum.Pages, Separator: true})
				}
				return nil
			}
			split = nd && docPages > 0
		}
		var pg queue.Page
		newDoc := split || sum.LastDocument == 0 || (opts.PagesPerDocument > 0 && docPages >= opts.PagesPerDocument)
		if newDoc {
			doc, pages, err := st.AddDocument(ctx, actor, queue.NewDocument{BatchID: b.ID,
				Origin: fmt.Sprintf("%s #%d", opts.Device, sheet), Pages: []queue.PageInput{in}})
			if err != nil {
				return err
			}
			sum.LastDocument, docPages, pg = doc.ID, 1, pages[0]
			sum.Documents = append(sum.Documents, doc.ID)
		} else {
			pg, err = st.AppendPage(ctx, actor, sum.LastDocument, in)
			if err != nil {
				return err
			}
			docPages++
		}
		sum.Pages++
		if !sp.Back || opts.Settings.Source != SourceADFDuplex {
			sum.NextSheet = sheet + 1
		}
		if progress != nil {
			progress(ScanEvent{Page: pg, DocumentID: sum.LastDocument, Sheet: sheet, Back: sp.Back, Pages: sum.Pages})
		}
		return nil
	})
	return sum, err
}

// scannedPageInput keeps the device's own encoding when it has one, else stores the pixels
// losslessly as PNG.
func scannedPageInput(sp ScannedPage) (queue.PageInput, error) {
	if sp.Encoded != nil && (sp.Format == "jpeg" || sp.Format == "png") {
		w, h := 0, 0
		if sp.Image != nil {
			w, h = sp.Image.Bounds().Dx(), sp.Image.Bounds().Dy()
		} else if cfg, _, err := image.DecodeConfig(bytes.NewReader(sp.Encoded)); err == nil {
			w, h = cfg.Width, cfg.Height
		}
		return queue.PageInput{Data: sp.Encoded, Format: sp.Format, Width: w, Height: h, DPI: sp.DPI}, nil
	}
	if sp.Image == nil {
		return queue.PageInput{}, errors.New("scanner delivered a page without an image")
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, sp.Image); err != nil {
		return queue.PageInput{}, fmt.Errorf("encode scanned page: %w", err)
	}
	r := sp.Image.Bounds()
	return queue.PageInput{Data: buf.Bytes(), Format: "png", Width: r.Dx(), Height: r.Dy(), DPI: sp.DPI}, nil
}

// ErrNoSheet: a scan job ended without delivering a page.
var ErrNoSheet = errors.New("the scanner delivered no page")

// errOneSheet stops a ScanSheet job once its page arrived.
var errOneSheet = errors.New("one sheet scanned")

// ScanSheet scans one sheet again and returns its front side ready to store, without storing
// it (a re-scan replaces a page in one transaction: queue.Store.ReplacePage). The job is
// stopped at the device once the first page arrived; what the scanner reports after that
// stop does not concern the page. A fault before it is returned (*Fault); cancelling ctx
// returns ctx.Err() and no page. sheet is the sheet number the page's origin records.
func ScanSheet(ctx context.Context, sc Scanner, device string, s JobSettings, sheet int) (queue.PageInput, error) {
	var got *queue.PageInput
	err := sc.Scan(ctx, device, s, func(sp ScannedPage) error {
		if got != nil || sp.Back {
			return errOneSheet
		}
		in, err := scannedPageInput(sp)
		if err != nil {
			return err
		}
		in.Origin = queue.Origin{Scanner: device, Sheet: sheet, Page: 1}
		got = &in
		return errOneSheet
	})
	if err := ctx.Err(); err != nil {
		return queue.PageInput{}, err
	}
	if got == nil {
		if err == nil || errors.Is(err, errOneSheet) {
			err = ErrNoSheet
		}
		return queue.PageInput{}, err
	}
	return *got, nil
}
