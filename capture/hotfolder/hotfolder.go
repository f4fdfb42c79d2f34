package hotfolder

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/queue"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Sub-folders of the watched folder.
const (
	DoneDir   = ".sohoa-done"
	FailedDir = ".sohoa-failed"
)

// Options tunes a Watcher. Zero values take the defaults.
type Options struct {
	// StableFor is how long a file's size and modification time must stay unchanged before
	// it is taken. Default 2 s.
	StableFor time.Duration
	// Poll is the interval between two looks at the folder. Default 500 ms (at most
	// StableFor).
	Poll time.Duration
	// FailAfter is how long a file that does not decode must stay unchanged before it is set
	// aside as bad. Default 30 s (at least 2 × StableFor).
	FailAfter time.Duration
	// OnEvent, when set, receives every event, from the Serve goroutine.
	OnEvent func(Event)
}

// EventKind says what happened to a file.
type EventKind string

// Event kinds.
const (
	Imported  EventKind = "imported"  // stored as a new document, moved to DoneDir
	Duplicate EventKind = "duplicate" // its content was already in the batch; moved to DoneDir
	Failed    EventKind = "failed"    // bad file, moved to FailedDir with a reason
	Waiting   EventKind = "waiting"   // stable but not decodable yet: retried later
	Error     EventKind = "error"     // the folder or the store failed; retried later
)

// Event reports one thing the Watcher did. File is the base name only.
type Event struct {
	Kind       EventKind
	File       string
	DocumentID int64
	Pages      []queue.Page // the durable pages of an Imported file, in order
	Err        error        // for Failed, Waiting and Error; a *capture.DecodeError for a bad file
}

// Watcher imports the files dropped into one folder into one batch.
type Watcher struct {
	st      *queue.Store
	actor   queue.User
	batchID string
	dir     string
	opts    Options
	seen    map[string]*fileState
}

type fileState struct {
	size        int64
	mtime       time.Time
	since       time.Time // when this size and mtime were first seen
	nextTry     time.Time
	waitingSent bool
}

// New returns a Watcher of dir that imports into batchID as actor.
func New(st *queue.Store, actor queue.User, batchID, dir string, opts Options) *Watcher {
	if opts.StableFor <= 0 {
		opts.StableFor = 2 * time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = 500 * time.Millisecond
	}
	opts.Poll = min(opts.Poll, opts.StableFor)
	if opts.FailAfter <= 0 {
		opts.FailAfter = 30 * time.Second
	}
	opts.FailAfter = max(opts.FailAfter, 2*opts.StableFor)
	return &Watcher{st: st, actor: actor, batchID: batchID, dir: dir, opts: opts, seen: map[string]*fileState{}}
}

// Serve watches the folder until ctx is cancelled and then returns nil. It returns an error
// at once when the folder does not exist or its sub-folders cannot be made; later failures
// (a network share gone for a while, a busy store) are reported as Error events and retried.
func (w *Watcher) Serve(ctx context.Context) error {
	st, err := os.Stat(w.dir)
	if err != nil {
		return l10n.Wrap(err, "hotfolder.unavailable")
	}
	if !st.IsDir() {
		return l10n.New("hotfolder.notFolder", l10n.Args{"Name": filepath.Base(w.dir)})
	}
	for _, d := range []string{DoneDir, FailedDir} {
		if err := os.MkdirAll(filepath.Join(w.dir, d), 0o755); err != nil {
			return fmt.Errorf("hot folder: %w", err)
		}
	}
	t := time.NewTicker(w.opts.Poll)
	defer t.Stop()
	for {
		w.poll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (w *Watcher) emit(ev Event) {
	if w.opts.OnEvent != nil {
		w.opts.OnEvent(ev)
	}
}

// candidate reports whether a folder entry is a file a device could have dropped.
func candidate(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~") {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".pdf", ".tif", ".tiff", ".jpg", ".jpeg", ".jpe", ".jfif", ".png":
		return true
	}
	return false
}

// poll looks at the folder once and takes every file that is ready.
func (w *Watcher) poll(ctx context.Context) {
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		w.emit(Event{Kind: Error, Err: fmt.Errorf("read hot folder: %w", err)})
		return
	}
	now := time.Now()
	present := map[string]bool{}
	var ready []string
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !candidate(name) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		present[name] = true
		fst := w.seen[name]
		if fst == nil || fst.size != info.Size() || !fst.mtime.Equal(info.ModTime()) {
			w.seen[name] = &fileState{size: info.Size(), mtime: info.ModTime(), since: now}
			continue
		}
		if now.Sub(fst.since) >= w.opts.StableFor && !now.Before(fst.nextTry) {
			ready = append(ready, name)
		}
	}
	for name := range w.seen {
		if !present[name] {
			delete(w.seen, name)
		}
	}
	sort.Strings(ready) // oldest-first is unknowable across devices; keep a stable order
	for _, name := range ready {
		if ctx.Err() != nil {
			return
		}
		w.take(ctx, name, now)
	}
}

// take imports one stable file and moves it aside.
func (w *Watcher) take(ctx context.Context, name string, now time.Time) {
	fst := w.seen[name]
	path := filepath.Join(w.dir, name)
	f, err := os.Open(path) // a device still holding the file open (Windows shares) fails here
	if err != nil {
		fst.nextTry = now.Add(w.opts.StableFor)
		return
	}
	f.Close()
	var ev capture.ImportEvent
	_, err = capture.ImportFiles(ctx, w.st, w.actor, w.batchID, []string{path}, func(e capture.ImportEvent) { ev = e })
	if err == nil {
		err = ev.Err
	}
	var de *capture.DecodeError
	switch {
	case err != nil && ctx.Err() != nil:
		return
	case errors.As(err, &de):
		if now.Sub(fst.since) < w.opts.FailAfter {
			// Maybe still being written after a pause: try again later.
			fst.nextTry = now.Add(w.opts.StableFor)
			if !fst.waitingSent {
				fst.waitingSent = true
				w.emit(Event{Kind: Waiting, File: name, Err: err})
			}
			return
		}
		if merr := w.setAside(name, de); merr != nil {
			fst.nextTry = now.Add(w.opts.StableFor)
			w.emit(Event{Kind: Error, File: name, Err: merr})
			return
		}
		delete(w.seen, name)
		w.emit(Event{Kind: Failed, File: name, Err: de})
	case err != nil:
		fst.nextTry = now.Add(w.opts.StableFor)
		w.emit(Event{Kind: Error, File: name, Err: err})
	default:
		kind := Imported
		if ev.Skipped {
			kind = Duplicate
		}
		if _, merr := moveInto(path, filepath.Join(w.dir, DoneDir)); merr != nil {
			// Stored, not moved: the next try finds it a duplicate and moves it then.
			fst.nextTry = now.Add(w.opts.StableFor)
			w.emit(Event{Kind: Error, File: name, Err: merr})
		} else {
			delete(w.seen, name)
		}
		w.emit(Event{Kind: kind, File: name, DocumentID: ev.DocumentID, Pages: ev.Stored})
	}
}

// setAside moves a bad file into FailedDir and writes the reason next to it.
func (w *Watcher) setAside(name string, de *capture.DecodeError) error {
	dst, err := moveInto(filepath.Join(w.dir, name), filepath.Join(w.dir, FailedDir))
	if err != nil {
		return err
	}
	reason := de.Localize(l10n.Vi) + "\n" + de.Localize(l10n.En) + "\n\n" + de.Error() + "\n"
	return os.WriteFile(dst+".txt", []byte(reason), 0o644)
}

// moveInto renames src into folder dir, adding " (2)", " (3)", ... before the extension
// when the name is taken (devices restart their counters). It returns the new path.
func moveInto(src, dir string) (string, error) {
	base := filepath.Base(src)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	for i := 1; i < 10000; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s (%d)%s", stem, i, ext)
		}
		dst := filepath.Join(dir, name)
		if _, err := os.Lstat(dst); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("move %q: %w", base, err)
		}
		if _, err := os.Lstat(dst + ".txt"); err == nil {
			continue
		}
		if err := os.Rename(src, dst); err != nil {
			return "", fmt.Errorf("move %q: %w", base, err)
		}
		return dst, nil
	}
	return "", fmt.Errorf("move %q: too many files of that name", base)
}
