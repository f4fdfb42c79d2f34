package ocr

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

var (
	errCancelled   = errors.New("ocr: cancelled")
	errWorkerReply = errors.New("ocr: worker reported an error")
)

// proc is one running worker process.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	w      *bufio.Writer
	r      *bufio.Reader
	stderr *tailBuffer
	pages  int
	exited chan struct{} // closed when Wait has returned
}

func (p *Pool) startProc() (*proc, error) {
	cmd := exec.Command(p.exe)
	cmd.Env = p.env
	tail := &tailBuffer{}
	cmd.Stderr = tail
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("ocr: start worker: %w", err)
	}
	pr := &proc{cmd: cmd, stdin: stdin, w: bufio.NewWriterSize(stdin, 1<<16),
		r: bufio.NewReaderSize(stdout, 1<<16), stderr: tail, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(pr.exited) }()

	init := request{Op: opInit, Languages: p.opts.Languages, TessdataDir: p.opts.TessdataDir,
		RefineTessdata: p.opts.RefineTessdata, RefineBelow: p.opts.RefineBelow, MixLanguages: p.opts.MixLanguages}
	var rep reply
	err = writeMsg(pr.w, init, nil)
	if err == nil {
		_, err = readMsg(pr.r, &rep)
	}
	if err != nil {
		pr.kill()
		return nil, fmt.Errorf("ocr: worker did not start (is ocr.MaybeRunWorker called first in main/TestMain?): %w%s", err, pr.tail())
	}
	if rep.Err != "" {
		pr.kill()
		return nil, fmt.Errorf("ocr: start Tesseract (languages %v): %s", p.opts.Languages, rep.Err)
	}
	return pr, nil
}

// roundTrip sends one request and reads the reply. If ctx ends first the
// worker is killed (Tesseract cannot be interrupted mid-page) and
// errCancelled is returned; if the worker dies, ErrWorkerCrashed.
func (pr *proc) roundTrip(ctx context.Context, req request, body []byte) (Result, error) {
	type out struct {
		rep reply
		err error
	}
	ch := make(chan out, 1)
	go func() {
		var o out
		o.err = writeMsg(pr.w, req, body)
		if o.err == nil {
			_, o.err = readMsg(pr.r, &o.rep)
		}
		ch <- o
	}()
	var o out
	select {
	case o = <-ch:
	case <-ctx.Done():
		pr.kill()
		<-ch
		return Result{}, errCancelled
	}
	if o.err != nil {
		pr.kill()
		return Result{}, fmt.Errorf("%w: %v%s", ErrWorkerCrashed, o.err, pr.tail())
	}
	if o.rep.Err != "" {
		return Result{}, fmt.Errorf("%w: %w", replyError(o.rep), errWorkerReply)
	}
	if o.rep.Result == nil {
		return Result{}, fmt.Errorf("%w: %w", errors.New("ocr: empty reply from worker"), errWorkerReply)
	}
	return *o.rep.Result, nil
}

func replyError(rep reply) error {
	switch rep.Kind {
	case kindEmpty:
		return ErrEmptyImage
	case kindBad:
		return ErrBadImage
	case kindZone:
		return ErrZoneOutside
	case kindOrient:
		return ErrBadOrientation
	}
	return fmt.Errorf("ocr: %s", rep.Err)
}

func (pr *proc) tail() string {
	if t := pr.stderr.String(); t != "" {
		return "; worker stderr: " + t
	}
	return ""
}

// kill ends the worker at once and reaps it.
func (pr *proc) kill() {
	if pr == nil {
		return
	}
	pr.cmd.Process.Kill()
	<-pr.exited
}

// stop asks the worker to exit (closing its stdin) and kills it if it
// does not within a few seconds.
func (pr *proc) stop() {
	if pr == nil {
		return
	}
	pr.stdin.Close()
	select {
	case <-pr.exited:
	case <-time.After(5 * time.Second):
		pr.kill()
	}
}

// tailBuffer keeps the first and the last bytes a worker writes to
// stderr (leptonica and Tesseract messages, or a crash report whose head
// names the signal), for error messages. Never page content.
type tailBuffer struct {
	mu   sync.Mutex
	head []byte
	tail []byte
	cut  bool
}

const (
	headMax = 512
	tailMax = 1536
)

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if room := headMax - len(t.head); room > 0 {
		k := min(room, len(p))
		t.head = append(t.head, p[:k]...)
		p = p[k:]
	}
	t.tail = append(t.tail, p...)
	if len(t.tail) > tailMax {
		t.tail = append(t.tail[:0], t.tail[len(t.tail)-tailMax:]...)
		t.cut = true
	}
	return n, nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	sep := ""
	if t.cut {
		sep = " … "
	}
	return strings.TrimSpace(string(t.head) + sep + string(t.tail))
}
