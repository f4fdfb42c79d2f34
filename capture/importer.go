package capture

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sohoa/sohoa/queue"
)

// ImportEvent reports one file of an import.
type ImportEvent struct {
	File         string // path as given or found in a folder
	Index, Total int    // 1-based position of this file among Total files
	Pages        int    // pages stored (0 when skipped or failed)
	DocumentID   int64
	Stored       []queue.Page // the durable pages, in order
	Skipped      bool         // the same file (by content) is already in the batch
	Err          error        // nil = stored durably; *DecodeError for a bad file
}

// ImportSummary totals an import.
type ImportSummary struct {
	Files, Documents, Pages, Skipped, Failed int
	Errors                                   []error
}

// ImportFiles decodes files and folders and stores each file as one document of the batch
// (a multi-page TIFF or PDF becomes one document of several pages). A bad file is reported
// and skipped; the others still import. Each event with Err == nil is sent only after the
// document and all its pages are durable. The same file is never stored twice in a batch.
func ImportFiles(ctx context.Context, st *queue.Store, actor queue.User, batchID string, paths []string, progress func(ImportEvent)) (ImportSummary, error) {
	var sum ImportSummary
	b, err := st.Batch(ctx, batchID)
	if err != nil {
		return sum, err
	}
	type item struct {
		path string
		err  error
	}
	var items []item
	for _, p := range paths {
		files, err := ExpandPaths([]string{p})
		if err != nil {
			items = append(items, item{path: p, err: err})
			continue
		}
		for _, f := range files {
			items = append(items, item{path: f})
		}
	}
	sum.Files = len(items)
	report := func(ev ImportEvent) {
		if ev.Err != nil {
			sum.Failed++
			sum.Errors = append(sum.Errors, ev.Err)
		}
		if progress != nil {
			progress(ev)
		}
	}
	for i, it := range items {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		ev := ImportEvent{File: it.path, Index: i + 1, Total: len(items)}
		if it.err != nil {
			ev.Err = it.err
			report(ev)
			continue
		}
		docID, stored, skipped, err := importOne(ctx, st, actor, b.ID, it.path)
		switch {
		case err != nil && ctx.Err() != nil:
			return sum, ctx.Err()
		case err != nil:
			ev.Err = err
		case skipped:
			ev.Skipped = true
			sum.Skipped++
		default:
			ev.Pages, ev.DocumentID, ev.Stored = len(stored), docID, stored
			sum.Documents++
			sum.Pages += len(stored)
		}
		report(ev)
	}
	return sum, nil
}

func importOne(ctx context.Context, st *queue.Store, actor queue.User, batchID, path string) (docID int64, pages []queue.Page, skipped bool, err error) {
	name := filepath.Base(path)
	info, err := os.Stat(path)
	if err != nil {
		return 0, nil, false, &DecodeError{File: name, Page: -1, Kind: ErrNotFound, Err: err}
	}
	if info.Size() > MaxFileBytes {
		return 0, nil, false, &DecodeError{File: name, Page: -1, Kind: ErrTooLarge, Err: fmt.Errorf("file is %d MiB, the limit is %d MiB", info.Size()>>20, MaxFileBytes>>20)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, false, &DecodeError{File: name, Page: -1, Kind: ErrNotFound, Err: err}
	}
	src := queue.HashBytes(data)
	if dup, err := st.HasSource(ctx, batchID, src); err != nil {
		return 0, nil, false, err
	} else if dup {
		return 0, nil, true, nil
	}
	imgs, err := Decode(name, data)
	if err != nil {
		return 0, nil, false, err
	}
	in := make([]queue.PageInput, len(imgs))
	for i, im := range imgs {
		in[i] = queue.PageInput{Data: im.Data, Format: im.Format, Width: im.Width, Height: im.Height, DPI: im.DPI,
			Origin: queue.Origin{File: name, Page: im.Index + 1}}
	}
	doc, stored, err := st.AddDocument(ctx, actor, queue.NewDocument{BatchID: batchID, Origin: name, SourceHash: src, Pages: in})
	if errors.Is(err, queue.ErrDuplicateFile) {
		return 0, nil, true, nil
	}
	if err != nil {
		return 0, nil, false, fmt.Errorf("store %s: %w", name, err)
	}
	return doc.ID, stored, false, nil
}
