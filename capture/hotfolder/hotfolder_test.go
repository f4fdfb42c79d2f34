package hotfolder

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/queue"
)

// guard bounds every wait so that a broken watcher fails the test instead of hanging it.
const guard = 30 * time.Second

type env struct {
	st    *queue.Store
	actor queue.User
	batch queue.Batch
	dir   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := queue.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	u, err := st.CreateUser(ctx, nil, "admin", "Quản Trị", "mật-khẩu-dài", []queue.Role{queue.RoleAdmin, queue.RoleClerk})
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.CreateBatch(ctx, u, queue.BatchSpec{})
	if err != nil {
		t.Fatal(err)
	}
	return &env{st: st, actor: u, batch: b, dir: t.TempDir()}
}

// recorder collects events.
type recorder struct {
	mu  sync.Mutex
	evs []Event
}

func (r *recorder) add(e Event) { r.mu.Lock(); r.evs = append(r.evs, e); r.mu.Unlock() }

func (r *recorder) count(kind EventKind, file string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.evs {
		if e.Kind == kind && (file == "" || e.File == file) {
			n++
		}
	}
	return n
}

func (r *recorder) waitFor(t *testing.T, kind EventKind, file string, n int) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for r.count(kind, file) < n {
		if time.Now().After(deadline) {
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("no %d %s event(s) for %q; events: %+v", n, kind, file, r.evs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// start runs a watcher with test timings until the test ends (or stop is called).
func (e *env) start(t *testing.T, rec *recorder) (stop func()) {
	t.Helper()
	w := New(e.st, e.actor, e.batch.ID, e.dir, Options{
		StableFor: 100 * time.Millisecond, Poll: 20 * time.Millisecond, FailAfter: 400 * time.Millisecond, OnEvent: rec.add,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Serve(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(guard):
				t.Fatal("Serve did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func (e *env) docs(t *testing.T) []queue.Document {
	t.Helper()
	d, err := e.st.Documents(context.Background(), e.batch.ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// pngBytes is a synthetic page (a gradient with a seed-dependent pattern), no text.
func pngBytes(t *testing.T, seed int) []byte {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, 400, 500))
	for y := 0; y < 500; y++ {
		for x := 0; x < 400; x++ {
			g.Pix[y*g.Stride+x] = uint8((x*7 + y*3 + seed*31 + (x*y)%(seed+13)) % 256)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// drop writes a file the way a careful device does: under a hidden name, then renamed.
func drop(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	tmp := filepath.Join(dir, ".part-"+name)
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func TestSlowWriteTakenOnlyWhenComplete(t *testing.T) {
	e := newEnv(t)
	rec := &recorder{}
	e.start(t, rec)
	data := pngBytes(t, 1)
	f, err := os.Create(filepath.Join(e.dir, "scan0001.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := len(data)/10 + 1
	for i := 0; i < len(data); i += chunk {
		if _, err := f.Write(data[i:min(i+chunk, len(data))]); err != nil {
			t.Fatal(err)
		}
		if i == 5*chunk {
			// The device pauses longer than StableFor: the half-written file is tried, does
			// not decode, and waits; it is not set aside as bad.
			rec.waitFor(t, Waiting, "scan0001.png", 1)
		} else {
			time.Sleep(30 * time.Millisecond)
		}
		if i+chunk < len(data) && len(e.docs(t)) != 0 {
			t.Fatalf("a document was stored after %d of %d bytes", i+chunk, len(data))
		}
	}
	rec.waitFor(t, Imported, "scan0001.png", 1)
	docs := e.docs(t)
	if len(docs) != 1 || docs[0].Pages != 1 {
		t.Fatalf("documents %+v", docs)
	}
	pages, _ := e.st.Pages(context.Background(), docs[0].ID)
	got, err := e.st.PageImage(pages[0])
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("stored page is not the complete file (%d of %d bytes, %v)", len(got), len(data), err)
	}
	if rec.count(Failed, "") != 0 || exists(filepath.Join(e.dir, FailedDir, "scan0001.png")) {
		t.Fatal("the slowly written file was set aside as bad")
	}
	if !exists(filepath.Join(e.dir, DoneDir, "scan0001.png")) || exists(filepath.Join(e.dir, "scan0001.png")) {
		t.Fatal("the imported file was not moved to the done folder")
	}
}

func TestCopiedTwiceStoredOnce(t *testing.T) {
	e := newEnv(t)
	rec := &recorder{}
	e.start(t, rec)
	a := pngBytes(t, 2)
	drop(t, e.dir, "a.png", a)
	drop(t, e.dir, "copy of a.png", a)
	rec.waitFor(t, Imported, "", 1)
	rec.waitFor(t, Duplicate, "", 1)
	if n := len(e.docs(t)); n != 1 {
		t.Fatalf("%d documents for one file copied twice", n)
	}
	for _, n := range []string{"a.png", "copy of a.png"} {
		if !exists(filepath.Join(e.dir, DoneDir, n)) {
			t.Errorf("%s not moved to done", n)
		}
	}
	// A device restarting its counter reuses a name: new content is imported, and the
	// earlier file in the done folder is kept.
	drop(t, e.dir, "a.png", pngBytes(t, 3))
	rec.waitFor(t, Imported, "a.png", 2)
	if n := len(e.docs(t)); n != 2 {
		t.Fatalf("%d documents, want 2", n)
	}
	if !exists(filepath.Join(e.dir, DoneDir, "a (2).png")) || !exists(filepath.Join(e.dir, DoneDir, "a.png")) {
		t.Fatal("reused name: both files should be in the done folder")
	}
}

func TestCorruptFileSetAside(t *testing.T) {
	e := newEnv(t)
	rec := &recorder{}
	e.start(t, rec)
	if err := os.WriteFile(filepath.Join(e.dir, "notes.txt"), []byte("not a scan"), 0o644); err != nil {
		t.Fatal(err)
	}
	drop(t, e.dir, "bad.pdf", []byte("%PDF-1.4\nthis is not really a PDF file\n"))
	drop(t, e.dir, "empty.tif", nil)
	rec.waitFor(t, Failed, "bad.pdf", 1)
	rec.waitFor(t, Failed, "empty.tif", 1)
	if n := len(e.docs(t)); n != 0 {
		t.Fatalf("%d documents stored from bad files", n)
	}
	reason, err := os.ReadFile(filepath.Join(e.dir, FailedDir, "bad.pdf.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(reason), `Tệp "bad.pdf"`) || !strings.Contains(string(reason), `File "bad.pdf"`) {
		t.Fatalf("reason file:\n%s", reason)
	}
	if !exists(filepath.Join(e.dir, FailedDir, "bad.pdf")) || exists(filepath.Join(e.dir, "bad.pdf")) {
		t.Fatal("bad file not moved to the failed folder")
	}
	var de *capture.DecodeError
	rec.mu.Lock()
	for _, ev := range rec.evs {
		if ev.Kind == Failed && !errors.As(ev.Err, &de) {
			t.Errorf("failed event without a decode error: %+v", ev)
		}
	}
	rec.mu.Unlock()
	if !exists(filepath.Join(e.dir, "notes.txt")) {
		t.Fatal("a file that is not a scan was touched")
	}
}

func TestRestartDoesNotReimport(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A crash between import and move: the file is in the batch but still in the folder.
	crashed := pngBytes(t, 4)
	drop(t, e.dir, "crashed.png", crashed)
	if _, err := capture.ImportFiles(ctx, e.st, e.actor, e.batch.ID, []string{filepath.Join(e.dir, "crashed.png")}, nil); err != nil {
		t.Fatal(err)
	}
	pdf, err := os.ReadFile("../testdata/jpeg-tiff2pdf.pdf")
	if err != nil {
		t.Fatal(err)
	}
	drop(t, e.dir, "scan.pdf", pdf)
	rec := &recorder{}
	stop := e.start(t, rec)
	rec.waitFor(t, Duplicate, "crashed.png", 1)
	rec.waitFor(t, Imported, "scan.pdf", 1)
	stop()
	if n := len(e.docs(t)); n != 2 {
		t.Fatalf("%d documents, want 2", n)
	}
	// A second watcher on the same folder finds nothing to do but the new file.
	rec2 := &recorder{}
	e.start(t, rec2)
	drop(t, e.dir, "new.png", pngBytes(t, 5))
	rec2.waitFor(t, Imported, "new.png", 1)
	if n := len(e.docs(t)); n != 3 {
		t.Fatalf("%d documents after restart, want 3", n)
	}
	rec2.mu.Lock()
	defer rec2.mu.Unlock()
	if len(rec2.evs) != 1 {
		t.Fatalf("restarted watcher events: %+v", rec2.evs)
	}
}

func TestServeStopsAndRefusesMissingFolder(t *testing.T) {
	e := newEnv(t)
	w := New(e.st, e.actor, e.batch.ID, filepath.Join(e.dir, "missing"), Options{})
	if err := w.Serve(context.Background()); err == nil {
		t.Fatal("missing folder accepted")
	}
	// Cancel while a file is waiting to become stable (default StableFor 2 s): Serve returns
	// without waiting for it.
	drop(t, e.dir, "late.png", pngBytes(t, 6))
	w = New(e.st, e.actor, e.batch.ID, e.dir, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Serve(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel: %v", err)
		}
	case <-time.After(guard):
		t.Fatal("Serve did not return after cancel")
	}
	if n := len(e.docs(t)); n != 0 {
		t.Fatalf("%d documents imported before the file was stable", n)
	}
}
