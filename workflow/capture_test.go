package workflow

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/queue"
)

const saneDev = "sane:test:0"

// quick is a small, fast job of the SANE test backend: 40×50 mm at 50 dpi, 78×98 pixels.
var quick = capture.JobSettings{Source: capture.SourceADF, Resolution: 50, Mode: capture.ModeGray,
	PageSize: capture.PageSize{Name: "40x50", WidthMM: 40, HeightMM: 50}}

// checkDurable fails unless every page of the batch names an intact blob and every document
// has its pages numbered 1..n.
func (f *fixture) checkDurable(b queue.Batch) []queue.Page {
	f.t.Helper()
	pages, err := f.st.BatchPages(f.ctx, b.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	seq := map[int64]int{}
	for _, p := range pages {
		if err := f.st.Blobs.Verify(p.Blob); err != nil {
			f.t.Fatalf("page %d: %v", p.ID, err)
		}
		seq[p.DocumentID]++
		if p.Seq != seq[p.DocumentID] {
			f.t.Fatalf("page %d of document %d has seq %d, want %d", p.ID, p.DocumentID, p.Seq, seq[p.DocumentID])
		}
	}
	if err := f.st.IntegrityCheck(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	return pages
}

// TestImportFolder: generated documents and a broken file are imported from a folder: one
// event per file, each document durable with its page, the bad file reported and skipped;
// importing again stores nothing twice.
func TestImportFolder(t *testing.T) {
	f := newFixture(t)
	b := f.batch(queue.BatchSpec{RecordType: "birth"})
	dir, docs := f.docs(3, "")
	if err := os.WriteFile(filepath.Join(dir, "zz-hong.png"), []byte("\x89PNG\r\n\x1a\nnot a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := f.w.Import(f.ctx, f.clerk, ImportInput{Batch: b.ID, Paths: []string{dir}}, f.progress)
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 4 || res.Documents != 3 || res.Pages != 3 || res.Failed != 1 || res.Skipped != 0 {
		t.Fatalf("import %+v", res)
	}
	evs := f.got()
	if len(evs) != 4 {
		t.Fatalf("%d events, want one per file", len(evs))
	}
	for i, ev := range evs {
		d, ok := ev.Detail.(ImportFile)
		if ev.Op != "import" || ev.Step != "file" || ev.Done != i+1 || ev.Total != 4 || !ok {
			t.Fatalf("event %d: %+v", i, ev)
		}
		if i < 3 {
			// durable when reported: the page is in the store with its blob
			if ev.Err != nil || len(d.Stored) != 1 {
				t.Fatalf("event %d: %+v", i, ev)
			}
			if p, err := f.st.Page(f.ctx, d.Stored[0].ID); err != nil || p.Blob != d.Stored[0].Blob {
				t.Fatalf("reported page %d: %+v %v", d.Stored[0].ID, p, err)
			}
		} else {
			var de *capture.DecodeError
			if !errors.As(ev.Err, &de) {
				t.Fatalf("bad file: %v", ev.Err)
			}
		}
	}
	f.checkDurable(b)
	again, err := f.w.Import(f.ctx, f.clerk, ImportInput{Batch: b.ID, Paths: []string{dir}}, nil)
	if err != nil || again.Skipped != len(docs) || again.Documents != 0 {
		t.Fatalf("second import %+v %v", again, err)
	}
}

// TestImportCancelled: the import is cancelled after its first file: it stops at the next
// file boundary, every file reported stored is whole in the store and nothing else is.
func TestImportCancelled(t *testing.T) {
	f := newFixture(t)
	b := f.batch(queue.BatchSpec{})
	dir, _ := f.docs(4, "")
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	var stored []int64
	_, err := f.w.Import(ctx, f.clerk, ImportInput{Batch: b.ID, Paths: []string{dir}}, func(ev Event) {
		stored = append(stored, ev.Detail.(ImportFile).DocumentID)
		cancel()
	})
	if !errors.Is(err, ErrCanceled) {
		t.Fatalf("cancelled import: %v", err)
	}
	docs, err := f.st.Documents(f.ctx, b.ID)
	if err != nil || len(docs) != len(stored) || len(docs) != 1 || docs[0].ID != stored[0] || docs[0].Pages != 1 {
		t.Fatalf("documents %+v %v; want the one reported", docs, err)
	}
	f.checkDurable(b)
}

// TestImportLocked: a batch under review takes no file (refused before anything is read).
func TestImportLocked(t *testing.T) {
	f := newFixture(t)
	b := f.batch(queue.BatchSpec{})
	dir, _ := f.docs(1, "")
	f.importDir(b, dir)
	for _, to := range []queue.State{queue.StateKeying, queue.StateReview} {
		if err := f.st.Transition(f.ctx, f.clerk, b.ID, to, ""); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.w.Import(f.ctx, f.clerk, ImportInput{Batch: b.ID, Paths: []string{dir}}, nil)
	var le *queue.LockedError
	if !errors.As(err, &le) || le.State != queue.StateReview || !errors.Is(err, queue.ErrBatchLocked) {
		t.Fatalf("import into a batch under review: %v", err)
	}
}

// scanJob scans into b with the SANE test backend.
func (f *fixture) scanJob(ctx context.Context, scs *Scanners, b queue.Batch, ppd int, progress Progress) (ScanResult, error) {
	return f.w.Scan(ctx, f.clerk, ScanInput{Scanners: scs, Batch: b.ID, Device: saneDev, Settings: quick, PagesPerDocument: ppd}, progress)
}

// TestScanSANE: ten sheets from the SANE test backend's feeder, two pages per document: each
// page durable when reported.
func TestScanSANE(t *testing.T) {
	f := newFixture(t)
	b := f.batch(queue.BatchSpec{})
	scs := NewScanners()
	defer scs.Close()
	devs, problems := scs.Devices(f.ctx)
	if len(problems) != 0 || len(devs) != 1 || devs[0].ID != saneDev {
		t.Fatalf("devices %+v, problems %v", devs, problems)
	}
	caps, err := scs.Capabilities(f.ctx, saneDev)
	if err != nil {
		t.Fatal(err)
	}
	if d := DefaultSettings(caps); d.Source != capture.SourceADF || d.Resolution != 300 || d.Mode != capture.ModeGray {
		t.Fatalf("default settings %+v for %+v", d, caps)
	}
	res, err := f.scanJob(f.ctx, scs, b, 2, func(ev Event) {
		p := ev.Detail.(ScanPage)
		if got, err := f.st.Page(f.ctx, p.Page.ID); err != nil || got.Blob != p.Page.Blob {
			t.Errorf("page %d reported before it was stored: %v", p.Page.ID, err)
		}
		f.progress(ev)
	})
	if err != nil {
		t.Fatal(err)
	}
	pages := f.checkDurable(b)
	if res.Pages != 10 || len(res.Documents) != 5 || len(pages) != 10 || len(f.got()) != 10 {
		t.Fatalf("scan %+v, %d pages", res, len(pages))
	}
	if pages[0].Width != 78 || pages[0].Height != 98 || pages[0].Origin.Scanner != saneDev || pages[9].Origin.Sheet != 10 {
		t.Fatalf("first page %+v, last %+v", pages[0], pages[9])
	}
}

// TestScanFaultThenContinue: sheet 4 jams: the job ends with the fault and the three pages
// stored; continuing the same document from sheet 4 appends the rest to it.
func TestScanFaultThenContinue(t *testing.T) {
	f := newFixture(t)
	b := f.batch(queue.BatchSpec{})
	scs := NewScanners()
	defer scs.Close()
	scs.SetSANEOption("select-fd", "yes")
	defer scs.SetSANEOption("read-return-value", "Default")
	res, err := f.scanJob(f.ctx, scs, b, 0, func(ev Event) {
		if ev.Done == 3 {
			scs.SetSANEOption("read-return-value", "SANE_STATUS_JAMMED")
		}
	})
	var fault *capture.Fault
	if !errors.As(err, &fault) || fault.Kind != capture.FaultJammed || res.Pages != 3 || res.NextSheet != 4 || len(res.Documents) != 1 {
		t.Fatalf("jammed job: %+v %v", res, err)
	}
	if n := len(f.checkDurable(b)); n != 3 {
		t.Fatalf("%d pages kept, want 3", n)
	}
	scs.SetSANEOption("read-return-value", "Default")
	more, err := f.w.Scan(f.ctx, f.clerk, ScanInput{Scanners: scs, Batch: b.ID, Device: saneDev, Settings: quick,
		Document: res.LastDocument, StartSheet: res.NextSheet}, nil)
	if err != nil || more.Pages != 10 || len(more.Documents) != 0 {
		t.Fatalf("continued: %+v %v", more, err)
	}
	pages := f.checkDurable(b)
	if len(pages) != 13 || pages[12].Origin.Sheet != 13 || pages[12].DocumentID != res.LastDocument {
		t.Fatalf("%d pages, last %+v", len(pages), pages[len(pages)-1])
	}
	// A document of another batch is not continued.
	other := f.batch(queue.BatchSpec{Name: "Lô khác"})
	if _, err := f.w.Scan(f.ctx, f.clerk, ScanInput{Scanners: scs, Batch: other.ID, Device: saneDev, Settings: quick,
		Document: res.LastDocument}, nil); !errors.Is(err, ErrDocumentNotInBatch) {
		t.Fatalf("continue a document of another batch: %v", err)
	}
}

// TestScanCancelled: the clerk cancels after the fourth page: the job stops at the device and
// exactly the pages acknowledged are stored, each whole.
func TestScanCancelled(t *testing.T) {
	f := newFixture(t)
	b := f.batch(queue.BatchSpec{})
	ctx, cancel := context.WithCancel(f.ctx)
	defer cancel()
	var acked []int64
	res, err := f.scanJob(ctx, nil, b, 0, func(ev Event) {
		acked = append(acked, ev.Detail.(ScanPage).Page.ID)
		if len(acked) == 4 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled scan: %+v %v", res, err)
	}
	pages := f.checkDurable(b)
	if len(pages) != len(acked) || res.Pages != len(acked) || len(acked) < 4 {
		t.Fatalf("%d pages stored, %d acknowledged (%+v)", len(pages), len(acked), res)
	}
	for i, p := range pages {
		if p.ID != acked[i] {
			t.Fatalf("page %d is %d, acknowledged %d", i, p.ID, acked[i])
		}
	}
}

// rescanFixture scans three sheets into one document.
func (f *fixture) rescanFixture() (queue.Batch, []queue.Page) {
	f.t.Helper()
	b := f.batch(queue.BatchSpec{})
	s := quick
	s.Source = capture.SourceFlatbed
	for i := 0; i < 3; i++ {
		in := ScanInput{Batch: b.ID, Device: saneDev, Settings: s}
		if i > 0 {
			docs, _ := f.st.Documents(f.ctx, b.ID)
			in.Document, in.StartSheet = docs[0].ID, i+1
		}
		if _, err := f.w.Scan(f.ctx, f.clerk, in, nil); err != nil {
			f.t.Fatal(err)
		}
	}
	pages := f.checkDurable(b)
	if len(pages) != 3 || pages[0].DocumentID != pages[2].DocumentID {
		f.t.Fatalf("fixture pages %+v", pages)
	}
	return b, pages
}

// TestRescan: the second page is scanned again (in colour, at 75 dpi): the new page takes its
// place in the document, the old one is gone, the others are untouched, OCR waits for it.
func TestRescan(t *testing.T) {
	f := newFixture(t)
	b, pages := f.rescanFixture()
	s := quick
	s.Source, s.Mode, s.Resolution = capture.SourceADFDuplex, capture.ModeColor, 75
	res, err := f.w.Rescan(f.ctx, f.clerk, RescanInput{Page: pages[1].ID, Device: saneDev, Settings: s}, f.progress)
	if err != nil {
		t.Fatal(err)
	}
	got := f.checkDurable(b)
	if len(got) != 3 || got[0].ID != pages[0].ID || got[2].ID != pages[2].ID || got[1].ID != res.Page.ID || res.Seq != 2 ||
		got[1].ID == pages[1].ID || got[1].Width != 118 || got[1].OCRState != "pending" || got[1].Origin.Sheet != pages[1].Origin.Sheet {
		t.Fatalf("after the re-scan %+v (result %+v), before %+v", got, res, pages)
	}
	if _, err := f.st.Page(f.ctx, pages[1].ID); !errors.Is(err, queue.ErrNotFound) {
		t.Fatalf("old page still there: %v", err)
	}
	if evs := f.got(); len(evs) != 1 || evs[0].Op != "rescan" {
		t.Fatalf("events %+v", evs)
	}
}

// TestRescanFaultKeepsOld: the scanner reports a fault before any page: the old page stays,
// nothing is added.
func TestRescanFaultKeepsOld(t *testing.T) {
	f := newFixture(t)
	b, pages := f.rescanFixture()
	scs := NewScanners()
	defer scs.Close()
	scs.SetSANEOption("select-fd", "yes")
	scs.SetSANEOption("read-return-value", "SANE_STATUS_COVER_OPEN")
	defer scs.SetSANEOption("read-return-value", "Default")
	_, err := f.w.Rescan(f.ctx, f.clerk, RescanInput{Scanners: scs, Page: pages[1].ID, Device: saneDev, Settings: quick}, nil)
	var fault *capture.Fault
	if !errors.As(err, &fault) || fault.Kind != capture.FaultCoverOpen {
		t.Fatalf("re-scan with the cover open: %v", err)
	}
	assertPages(t, f.checkDurable(b), pages)
	// A clean job on the same drivers works again.
	scs.SetSANEOption("read-return-value", "Default")
	if _, err := f.w.Rescan(f.ctx, f.clerk, RescanInput{Scanners: scs, Page: pages[1].ID, Device: saneDev, Settings: quick}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestRescanCancelledKeepsOld: the clerk cancels while the sheet is being read (the backend
// reads slowly): no new page, the old page stays.
func TestRescanCancelledKeepsOld(t *testing.T) {
	f := newFixture(t)
	b, pages := f.rescanFixture()
	scs := NewScanners()
	defer scs.Close()
	set := func(opts ...string) {
		for i := 0; i < len(opts); i += 2 {
			scs.SetSANEOption(opts[i], opts[i+1])
		}
	}
	rescan := func(ctx context.Context, p queue.Page) error {
		_, err := f.w.Rescan(ctx, f.clerk, RescanInput{Scanners: scs, Page: p.ID, Device: saneDev, Settings: quick}, nil)
		return err
	}
	// The backend offers the read limit's size and the delay's duration once the limit and
	// the delay are on (they stay on between jobs): a first job turns them on.
	set("read-limit", "yes", "read-delay", "yes")
	if err := rescan(f.ctx, pages[2]); err != nil {
		t.Fatal(err)
	}
	pages = f.checkDurable(b)
	set("read-limit-size", "256", "read-delay-duration", "200000")
	defer func() { // back to the backend's defaults for the tests that follow
		set("read-limit-size", "", "read-delay-duration", "", "read-limit", "no", "read-delay", "no")
		if err := rescan(f.ctx, pages[0]); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithCancel(f.ctx)
	// 78×98 grey pixels read 256 bytes at a time, 0.2 s a read: the sheet takes 6 s; the
	// cancel comes during it.
	stop := time.AfterFunc(500*time.Millisecond, cancel)
	defer stop.Stop()
	if err := rescan(ctx, pages[1]); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled re-scan: %v", err)
	}
	assertPages(t, f.checkDurable(b), pages)
}

// TestRescanLocked: a page of a batch under review is not scanned again (refused before the
// scanner is used).
func TestRescanLocked(t *testing.T) {
	f := newFixture(t)
	b, pages := f.rescanFixture()
	if err := f.st.Transition(f.ctx, f.clerk, b.ID, queue.StateKeying, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.st.Transition(f.ctx, f.clerk, b.ID, queue.StateReview, ""); err != nil {
		t.Fatal(err)
	}
	_, err := f.w.Rescan(f.ctx, f.clerk, RescanInput{Scanners: nil, Page: pages[1].ID, Device: "sane:no-such-device", Settings: quick}, nil)
	if !errors.Is(err, queue.ErrBatchLocked) {
		t.Fatalf("re-scan in review: %v", err)
	}
	assertPages(t, f.checkDurable(b), pages)
}

func assertPages(t *testing.T, got, want []queue.Page) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d pages, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Blob != want[i].Blob || got[i].Seq != want[i].Seq {
			t.Fatalf("page %d is %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestWatchFolder: files dropped into a hot folder become documents once stable; a file
// still being written when the watch stops is left for the next run, and a second run takes it.
func TestWatchFolder(t *testing.T) {
	f := newFixture(t)
	b := f.batch(queue.BatchSpec{})
	src, _ := f.docs(3, "")
	inbox := t.TempDir()
	files, _ := filepath.Glob(filepath.Join(src, "*.png"))
	ctx, cancel := context.WithCancel(f.ctx)
	var mu sync.Mutex
	var imported []WatchEvent
	done := make(chan error, 1)
	go func() {
		done <- f.w.Watch(ctx, f.clerk, WatchInput{Batch: b.ID, Folder: inbox, StableFor: 100 * time.Millisecond}, func(ev Event) {
			we := ev.Detail.(WatchEvent)
			if we.Kind == WatchImported {
				mu.Lock()
				imported = append(imported, we)
				n := len(imported)
				mu.Unlock()
				if n == 2 {
					cancel()
				}
			}
		})
	}()
	for _, p := range files[:2] {
		data, _ := os.ReadFile(p)
		if err := os.WriteFile(filepath.Join(inbox, filepath.Base(p)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute): // a hang, not a speed limit
		t.Fatal("the watch did not import two files")
	}
	if len(imported) != 2 {
		t.Fatalf("imported %+v", imported)
	}
	docs, _ := f.st.Documents(f.ctx, b.ID)
	if len(docs) != 2 {
		t.Fatalf("%d documents after the first run", len(docs))
	}
	// Half a file, then the watch stops: it is not taken.
	data, _ := os.ReadFile(files[2])
	half := filepath.Join(inbox, filepath.Base(files[2]))
	if err := os.WriteFile(half, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(f.ctx, 50*time.Millisecond) // shorter than StableFor
	defer cancel2()
	if err := f.w.Watch(ctx2, f.clerk, WatchInput{Batch: b.ID, Folder: inbox, StableFor: time.Second}, nil); err != nil {
		t.Fatal(err)
	}
	if docs, _ := f.st.Documents(f.ctx, b.ID); len(docs) != 2 {
		t.Fatalf("a half-written file was imported: %d documents", len(docs))
	}
	if _, err := os.Stat(half); err != nil {
		t.Fatalf("the half-written file was moved: %v", err)
	}
	f.checkDurable(b)
}
