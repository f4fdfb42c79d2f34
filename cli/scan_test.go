package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/internal/sanetest"
	"github.com/sohoa/sohoa/queue"
	"github.com/sohoa/sohoa/workflow"
)

// saneTestConf configures SANE's own "test" backend (libsane1): two virtual devices, 8-bit
// grey, whose document feeder holds 10 sheets.
const saneTestConf = `number_of_devices 2
mode Gray
depth 8
resolution 50.0
test-picture "Grid"
read-limit false
read-delay false
read-status-code "Default"
geometry_min 0.0
geometry_max 200.0
geometry_quant 1.0
`

// saneConfDir points SANE_CONFIG_DIR at a folder enabling only the test backend. It runs at
// package initialisation, before any sane_init of this process; children started by the
// tests inherit it. The folder has a fixed name per user, rewritten on every run, so no
// temporary folder is left behind per run.
var saneConfDir = func() string {
	if d := os.Getenv("SANE_CONFIG_DIR"); d != "" && os.Getenv("SOHOA_CLI_CHILD") == "1" {
		return d
	}
	return sanetest.Configure("cli", saneTestConf)
}()

const saneDev = "sane:test:0"

// small, quick job settings: 40x50 mm at 50 dpi (78x98 pixels).
var quickJob = []string{"--device", saneDev, "--source", "adf", "--resolution", "50", "--mode", "gray", "--page-size", "40x50"}

func scanRunner(t *testing.T) (*runner, string) {
	t.Helper()
	r := newRunner(t)
	r.withAdmin()
	var b jsonBatch
	if err := json.Unmarshal([]byte(r.must("batch", "new", "--name", "Lô quét thử", "--json").stdout), &b); err != nil || b.ID == "" {
		t.Fatalf("batch new: %v", err)
	}
	return r, b.ID
}

// scanLines splits a --json scan output into its stored events and its final line.
func scanLines(t *testing.T, out string) (stored []jsonScanEvent, end jsonScanEnd) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var probe struct{ Event string }
		if err := json.Unmarshal(sc.Bytes(), &probe); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		switch probe.Event {
		case "stored":
			var ev jsonScanEvent
			json.Unmarshal(sc.Bytes(), &ev)
			stored = append(stored, ev)
		case "done", "fault":
			json.Unmarshal(sc.Bytes(), &end)
		default:
			t.Fatalf("unknown event line %q", sc.Text())
		}
	}
	return stored, end
}

// openStore opens the runner's data folder after the command has closed it.
func openStore(t *testing.T, dir string) *queue.Store {
	t.Helper()
	st, err := queue.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestScannersList(t *testing.T) {
	r := newRunner(t)
	// 127.0.0.1:1 refuses at once: the eSCL entry is listed with an error, no traffic leaves.
	res := r.must("scanners", "--json", "--escl", "127.0.0.1:1")
	var list []jsonScanner
	if err := json.Unmarshal([]byte(res.stdout), &list); err != nil {
		t.Fatalf("scanners --json: %v\n%s", err, res.stdout)
	}
	if len(list) != 3 || list[0].ID != "sane:test:0" || list[1].ID != "sane:test:1" || list[2].ID != "escl:http://127.0.0.1:1/eSCL" {
		t.Fatalf("devices %+v, want sane:test:0, sane:test:1 and the eSCL address", list)
	}
	k := list[0].Capabilities
	if k == nil || fmt.Sprint(k.Sources) != "[flatbed adf]" || fmt.Sprint(k.Modes) != "[lineart gray color]" ||
		len(k.Resolutions) == 0 || k.MaxWidthMM != 200 || k.MaxHeightMM != 200 {
		t.Errorf("SANE test device capabilities %+v", k)
	}
	if list[2].Capabilities != nil || list[2].Error == "" || list[2].Driver != "escl" {
		t.Errorf("unreachable eSCL device %+v: want an error and no capabilities", list[2])
	}
	txt := r.must("scanners").stdout
	if !strings.Contains(txt, "sane:test:1") || !strings.Contains(txt, "adf") {
		t.Errorf("text listing:\n%s", txt)
	}
}

// TestScanADFTenSheets: the test backend's feeder holds 10 sheets; all ten are stored,
// two per document, each printed once durable.
func TestScanADFTenSheets(t *testing.T) {
	r, batch := scanRunner(t)
	res := r.must(append([]string{"scan", "--batch", batch, "--pages-per-document", "2", "--json"}, quickJob...)...)
	stored, end := scanLines(t, res.stdout)
	if len(stored) != 10 || end.Event != "done" || end.Pages != 10 || len(end.Documents) != 5 || end.NextSheet != 11 {
		t.Fatalf("%d stored lines, end %+v; want 10 pages in 5 documents, next sheet 11", len(stored), end)
	}
	st := openStore(t, r.data)
	pages, err := st.BatchPages(t.Context(), batch)
	if err != nil || len(pages) != 10 {
		t.Fatalf("batch holds %d pages (%v), want 10", len(pages), err)
	}
	byID := map[int64]queue.Page{}
	for _, p := range pages {
		byID[p.ID] = p
	}
	for i, ev := range stored {
		p, ok := byID[ev.Page.ID]
		if !ok || p.Blob != ev.Page.SHA256 || ev.Sheet != i+1 || p.Origin.Sheet != i+1 || p.Origin.Scanner != saneDev {
			t.Errorf("line %d %+v does not match stored page %+v", i, ev, p)
		}
		if ev.DocumentID != end.Documents[i/2] || ev.Page.Seq != i%2+1 {
			t.Errorf("sheet %d in document %d seq %d, want document %d seq %d", i+1, ev.DocumentID, ev.Page.Seq, end.Documents[i/2], i%2+1)
		}
		if ev.Page.Width != 78 || ev.Page.Height != 98 || p.DPI != 50 {
			t.Errorf("page %d is %dx%d at %d dpi, want 78x98 at 50", i+1, ev.Page.Width, ev.Page.Height, p.DPI)
		}
		if err := st.Blobs.Verify(p.Blob); err != nil {
			t.Error(err)
		}
	}
}

// jamWriter is standard output that switches the SANE test backend's jam on once n pages
// were printed as stored: the next sheet jams.
type jamWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	n   int
	drv workflow.SANEOptions
}

func (w *jamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.drv != nil && strings.Count(w.buf.String(), `"event":"stored"`) == w.n {
		w.drv.SetExtraOption("read-return-value", "SANE_STATUS_JAMMED")
		w.drv = nil
	}
	return len(p), nil
}

// TestScanJamThenContinue: sheet 4 jams; the three pages before it are kept, the Vietnamese
// message and the continue command are printed, exit status 3; the continue command
// appends the next sheets to the same document.
func TestScanJamThenContinue(t *testing.T) {
	r, batch := scanRunner(t)
	w := &jamWriter{n: 3}
	onSaneDriver = func(d workflow.SANEOptions) { w.drv = d }
	defer func() { onSaneDriver = nil }()
	args := append([]string{"scan", "--batch", batch, "--json", "--data", r.data, "--sane-option", "select-fd=yes"}, quickJob...)
	var errb bytes.Buffer
	code := Run(context.Background(), args, Env{Stdin: strings.NewReader(""), Stdout: w, Stderr: &errb,
		Getenv: func(k string) string { return r.env[k] }})
	onSaneDriver = nil
	stored, end := scanLines(t, w.buf.String())
	if code != exitScannerFault {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitScannerFault, w.buf.String(), errb.String())
	}
	jam := (&capture.Fault{Kind: capture.FaultJammed}).Localize("vi")
	if len(stored) != 3 || end.Event != "fault" || end.Kind != "jammed" || end.Sheet != 4 || end.Pages != 3 ||
		end.NextSheet != 4 || end.Message != jam || len(end.Documents) != 1 || end.LastDocument != end.Documents[0] {
		t.Fatalf("%d stored, end %+v; want 3 pages kept, a jam on sheet 4 with the Vietnamese message", len(stored), end)
	}
	cont := strings.Join(end.Continue, " ")
	want := fmt.Sprintf("--continue-document %d --start-sheet 4", end.LastDocument)
	if end.Continue[0] != "scan" || !strings.Contains(cont, want) || !strings.Contains(cont, "--page-size 40x50") {
		t.Fatalf("continue command %q lacks %q", cont, want)
	}
	// The clerk clears the jam and runs the printed command (the test backend refills its
	// feeder with 10 sheets on every open).
	var out bytes.Buffer
	code = Run(context.Background(), end.Continue, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return r.env[k] }})
	if code != 0 {
		t.Fatalf("continue: exit %d\n%s", code, errb.String())
	}
	more, end2 := scanLines(t, out.String())
	if len(more) != 10 || end2.Event != "done" || more[0].Sheet != 4 || more[9].Sheet != 13 || len(end2.Documents) != 0 {
		t.Fatalf("continued job: %d pages from sheet %d, end %+v; want sheets 4..13 and no new document", len(more), more[0].Sheet, end2)
	}
	st := openStore(t, r.data)
	pages, err := st.Pages(t.Context(), end.LastDocument)
	if err != nil || len(pages) != 13 {
		t.Fatalf("document %d has %d pages (%v), want 13", end.LastDocument, len(pages), err)
	}
	for i, p := range pages {
		if p.Seq != i+1 || p.Origin.Sheet != i+1 {
			t.Errorf("page %d: seq %d sheet %d", i+1, p.Seq, p.Origin.Sheet)
		}
	}
}

// TestScanFaultTextEnglish: a jam on the first sheet, in English: the message, the count of
// pages kept (none) and the command to scan again.
func TestScanFaultTextEnglish(t *testing.T) {
	r, batch := scanRunner(t)
	r.env["SOHOA_LANG"] = "en"
	res := r.run("", append([]string{"scan", "--batch", batch, "--sane-option", "select-fd=yes",
		"--sane-option", "read-return-value=SANE_STATUS_JAMMED"}, quickJob...)...)
	en := (&capture.Fault{Kind: capture.FaultJammed}).Localize("en")
	if res.code != exitScannerFault || !strings.Contains(res.stderr, en) || !strings.Contains(res.stderr, "No page was stored") ||
		!strings.Contains(res.stderr, "sohoa scan --batch "+batch+" --device sane:test:0") {
		t.Fatalf("exit %d, stderr:\n%s", res.code, res.stderr)
	}
	if res.stdout != "" {
		t.Errorf("no page should be reported stored: %q", res.stdout)
	}
}

// TestScanSlowDevice: 512-byte reads with a delay after each still give ten whole pages.
func TestScanSlowDevice(t *testing.T) {
	r, batch := scanRunner(t)
	args := []string{"scan", "--batch", batch}
	for _, o := range []string{"read-limit=yes", "read-limit-size=512", "read-delay=yes", "read-delay-duration=1000"} {
		args = append(args, "--sane-option", o)
	}
	res := r.must(append(args, quickJob...)...)
	if n := strings.Count(res.stdout, "đã lưu"); n != 10 || !strings.Contains(res.stdout, "Đã lưu 10 trang vào 1 tài liệu") {
		t.Fatalf("%d pages reported, output:\n%s", n, res.stdout)
	}
	st := openStore(t, r.data)
	pages, _ := st.BatchPages(t.Context(), batch)
	if len(pages) != 10 {
		t.Fatalf("%d pages stored, want 10", len(pages))
	}
	for _, p := range pages {
		if p.Width != 78 || p.Height != 98 {
			t.Errorf("page %d is %dx%d, want 78x98", p.ID, p.Width, p.Height)
		}
	}
}

func TestScanUsageErrors(t *testing.T) {
	r, batch := scanRunner(t)
	for _, args := range [][]string{
		{"scan", "--batch", batch, "--device", "twain:x", "--source", "adf"},
		{"scan", "--batch", batch, "--device", saneDev, "--source", "tray"},
		{"scan", "--batch", batch, "--device", saneDev, "--source", "adf", "--mode", "sepia"},
		{"scan", "--batch", batch, "--device", saneDev, "--source", "adf", "--page-size", "10xNaN"},
		{"scan", "--batch", batch, "--device", saneDev, "--source", "adf", "--continue-document", "999"},
		{"scan", "--device", saneDev, "--source", "adf"},
	} {
		res := r.run("", args...)
		if res.code == 0 || res.code == exitScannerFault || res.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want a clear error", args, res.code, res.stderr)
		}
	}
}

// TestKillNineDuringScan runs the real command (this test binary in its sohoa role) on a
// slow SANE test device and kills it with SIGKILL at random moments. After every kill the
// database passes integrity_check, every page printed as stored is there with its blob
// intact, and every page row names a complete blob (checkStore).
func TestKillNineDuringScan(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 test: run without -short")
	}
	r, batch := scanRunner(t)
	reported := map[int64]string{}
	rng := rand.New(rand.NewPCG(2026, 3))
	killed, withPages := 0, 0
	for round := 0; round < 6; round++ {
		// 40x50 mm at 50 dpi is 7.6 KiB: 8 reads of 1 KiB, 100 ms apart, per page.
		args := append([]string{"scan", "--batch", batch, "--json", "--data", r.data}, quickJob...)
		for _, o := range []string{"read-limit=yes", "read-limit-size=1024", "read-delay=yes", "read-delay-duration=100000"} {
			args = append(args, "--sane-option", o)
		}
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "SOHOA_CLI_CHILD=1", "SANE_CONFIG_DIR="+saneConfDir,
			"SOHOA_USER=admin", "SOHOA_PASSWORD="+r.env["SOHOA_PASSWORD"])
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan []jsonScanEvent, 1)
		go func() {
			var evs []jsonScanEvent
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				var ev jsonScanEvent
				if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Event == "stored" {
					evs = append(evs, ev)
				}
			}
			lines <- evs
		}()
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(time.Duration(400+rng.IntN(3000)) * time.Millisecond):
			cmd.Process.Kill()
			<-exited
			killed++
		}
		evs := <-lines
		if len(evs) > 0 {
			withPages++
		}
		for _, ev := range evs {
			reported[ev.Page.ID] = ev.Page.SHA256
		}
		checkStore(t, r.data, batch, reported)
	}
	t.Logf("%d of 6 runs killed mid-job (%d after some pages were stored); %d pages reported stored", killed, withPages, len(reported))
	if killed < 5 || len(reported) == 0 {
		t.Fatalf("only %d runs killed, %d pages reported: the test needs kills during page storage", killed, len(reported))
	}
}

// TestScanBlankSeparators: with --separator blank, blank sheets (the test backend's "Solid
// white" picture) are separator sheets: reported, never stored.
func TestScanBlankSeparators(t *testing.T) {
	r, batch := scanRunner(t)
	args := append([]string{"scan", "--batch", batch, "--separator", "blank", "--sane-option", "test-picture=Solid white", "--json"}, quickJob...)
	res := r.must(args...)
	if n := strings.Count(res.stdout, `"event":"separator"`); n != 10 {
		t.Fatalf("%d separator events, want 10:\n%s", n, res.stdout)
	}
	if strings.Contains(res.stdout, `"event":"stored"`) {
		t.Fatalf("a blank separator was stored:\n%s", res.stdout)
	}
	if res := r.run("", append([]string{"scan", "--batch", batch, "--separator", "barcode"}, quickJob...)...); res.code != 2 {
		t.Fatalf("bad --separator: %+v", res)
	}
}

// TestScanCancelled: a scan stopped (Ctrl+C) after its third stored page exits 130, says it
// stopped, and keeps every page it said it stored, each intact in the batch.
func TestScanCancelled(t *testing.T) {
	r, batch := scanRunner(t)
	ctx, cancel := context.WithCancel(t.Context())
	out := &cancelOnWrite{want: `"sheet":3,`, cancel: cancel}
	var errb bytes.Buffer
	code := r.runIn(ctx, "", out, &errb, append([]string{"--data", r.data, "scan", "--batch", batch, "--json"}, quickJob...)...)
	if code != exitCancelled || !strings.Contains(errb.String(), "sohoa scan: đã dừng") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	var stored int
	for _, line := range strings.Split(strings.TrimSpace(out.buf.String()), "\n") {
		if strings.Contains(line, `"event":"stored"`) {
			stored++
		}
	}
	st := openStore(t, r.data)
	pages, err := st.BatchPages(t.Context(), batch)
	if err != nil || stored < 3 || stored >= 10 || len(pages) != stored {
		t.Fatalf("%d pages said stored, %d in the batch (%v); want 3 to 9 of 10, the same", stored, len(pages), err)
	}
	for _, p := range pages {
		if err := st.Blobs.Verify(p.Blob); err != nil {
			t.Error(err)
		}
	}
}
