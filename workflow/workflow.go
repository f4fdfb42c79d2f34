package workflow

import (
	"context"
	"sync"

	"github.com/sohoa/sohoa/internal/l10n"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/records"
)

// Workflow holds what every operation needs: the workstation's store and its record types.
// It is safe for concurrent use by the faces' goroutines.
type Workflow struct {
	Store *queue.Store
	// Types are the record types of this data folder (bundled and local, records.LoadAll).
	Types *records.Registry

	ocrMu sync.Mutex
	ocr   map[*OCRService]bool // background OCR services serving now, woken when pages are stored (ocr.go)
}

// New opens the workflow over an open store, loading the data folder's record types.
func New(st *queue.Store) (*Workflow, error) {
	reg, err := records.LoadAll(st.Dir())
	if err != nil {
		return nil, err
	}
	// Addresses are checked against the catalogue loaded into this data folder, if any.
	if _, err := records.UseDataDir(st.Dir()); err != nil {
		return nil, err
	}
	return &Workflow{Store: st, Types: reg}, nil
}

// RecordType is the definition of a batch's record type.
func (w *Workflow) RecordType(key string) (*records.RecordType, error) {
	if w.Types != nil {
		if rt, ok := w.Types.Get(key); ok {
			return rt, nil
		}
	}
	return nil, &UnknownTypeError{Key: key}
}

// UnknownTypeError: a batch names a record type this workstation does not know.
type UnknownTypeError struct{ Key string }

func (e *UnknownTypeError) Error() string {
	return l10n.Both("workflow.unknownType", l10n.Args{"Key": e.Key})
}

// Localize is the message in lang.
func (e *UnknownTypeError) Localize(lang string) string {
	return l10n.T(lang, "workflow.unknownType", l10n.Args{"Key": e.Key})
}
func (e *UnknownTypeError) Unwrap() error { return queue.ErrNotFound }

// Event is one progress report of an operation. It names what was done, never a personal
// value (no field values, no names of record holders).
type Event struct {
	Op    string // the operation: "import", "scan", "ocr", "extract", "sign", "verify", "sync", …
	Step  string // what is counted: "file", "page", "document", "blob", …
	Done  int    // items finished so far (including failed ones)
	Total int    // items in all; 0 when not known yet
	Item  string // the item just finished: a file name, "document 12", a batch ID
	// Err is an item's failure that did not stop the operation (a file that could not be
	// imported); the operation's own failure is its returned error.
	Err error
	// Detail carries an operation's own report for faces that show more (e.g. a
	// capture.ScanEvent, a client.Progress); nil for most events.
	Detail any
}

// Progress receives an operation's events, on the operation's goroutine: a face that shows
// them in a window must hand them to its UI goroutine (fyne.Do). Nil is allowed.
type Progress func(Event)

// Report sends ev to p when p is set.
func (p Progress) Report(ev Event) {
	if p != nil {
		p(ev)
	}
}

// ErrCanceled is returned by an operation stopped through its context at a durable point:
// what was acknowledged before is stored, nothing half-done is.
var ErrCanceled = context.Canceled
