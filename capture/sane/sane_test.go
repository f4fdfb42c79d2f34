package sane

import (
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/internal/l10n"
)

const dev0 = "sane:test:0"

func newDriver(t *testing.T) *Driver {
	t.Helper()
	d, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// collect runs a job and returns the pages it delivered and its error.
func collect(t *testing.T, d *Driver, ctx context.Context, start int, s capture.JobSettings) ([]capture.ScannedPage, error) {
	t.Helper()
	var pages []capture.ScannedPage
	err := d.ScanFrom(ctx, dev0, s, start, func(p capture.ScannedPage) error {
		pages = append(pages, p)
		return nil
	})
	return pages, err
}

// pixelsFor is the size the test backend gives an area: mm / 25.4 * dpi, truncated.
func pixelsFor(mm float64, dpi int) int { return int(mm / 25.4 * float64(dpi)) }

func checkSize(t *testing.T, img image.Image, wmm, hmm float64, dpi int) {
	t.Helper()
	b := img.Bounds()
	if w, h := pixelsFor(wmm, dpi), pixelsFor(hmm, dpi); abs(b.Dx()-w) > 1 || abs(b.Dy()-h) > 1 {
		t.Errorf("image %dx%d, want %dx%d (±1) for %.0fx%.0f mm at %d dpi", b.Dx(), b.Dy(), w, h, wmm, hmm, dpi)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func TestDevices(t *testing.T) {
	d := newDriver(t)
	devs, err := d.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, dv := range devs {
		ids = append(ids, dv.ID)
		if dv.Driver != "sane" || dv.Vendor != "Noname" || dv.Model != "frontend-tester" || dv.Label == "" {
			t.Errorf("device %+v: want driver sane, vendor Noname, model frontend-tester and a label", dv)
		}
	}
	if !slices.Equal(ids, []string{"sane:test:0", "sane:test:1"}) {
		t.Errorf("device IDs %v, want sane:test:0 and sane:test:1 (number_of_devices 2)", ids)
	}
}

func TestCapabilities(t *testing.T) {
	d := newDriver(t)
	c, err := d.Capabilities(context.Background(), dev0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Sources, []capture.Source{capture.SourceFlatbed, capture.SourceADF}) {
		t.Errorf("sources %v, want flatbed, adf", c.Sources)
	}
	// mode Gray|Color plus depth 1|8|16: lineart comes from grey at depth 1.
	if !slices.Equal(c.Modes, []capture.ColorMode{capture.ModeLineart, capture.ModeGray, capture.ModeColor}) {
		t.Errorf("modes %v", c.Modes)
	}
	// resolution is a range 1..1200 step 1: every standard value fits.
	if !slices.Equal(c.Resolutions, standardDPI) {
		t.Errorf("resolutions %v, want %v", c.Resolutions, standardDPI)
	}
	if c.MaxWidthMM != 200 || c.MaxHeightMM != 200 {
		t.Errorf("max area %vx%v mm, want 200x200 (geometry_max)", c.MaxWidthMM, c.MaxHeightMM)
	}
	if len(c.PageSizes) == 0 || c.PageSizes[len(c.PageSizes)-1].Name != "max" {
		t.Errorf("page sizes %v: want a final \"max\"", c.PageSizes)
	}
	for _, ps := range c.PageSizes {
		if ps.WidthMM > 200 || ps.HeightMM > 200 {
			t.Errorf("page size %v does not fit 200x200 mm", ps)
		}
	}
}

func TestUnknownDevice(t *testing.T) {
	d := newDriver(t)
	err := d.Scan(context.Background(), "sane:test:9", capture.JobSettings{}, func(capture.ScannedPage) error { return nil })
	var f *capture.Fault
	if !errors.As(err, &f) || f.Kind != capture.FaultUnplugged || !errors.Is(err, capture.ErrNoDevice) {
		t.Errorf("missing device: got %v, want FaultUnplugged wrapping ErrNoDevice", err)
	}
	if _, err := d.Capabilities(context.Background(), "escl:http://127.0.0.1/eSCL"); !errors.Is(err, capture.ErrNoDevice) {
		t.Errorf("foreign ID: got %v, want ErrNoDevice", err)
	}
}

// TestADFTenSheets: the test backend's feeder holds 10 sheets; the job ends
// normally with NO_DOCS after the tenth.
func TestADFTenSheets(t *testing.T) {
	d := newDriver(t)
	ps := capture.PageSize{Name: "test", WidthMM: 60, HeightMM: 80}
	pages, err := collect(t, d, context.Background(), 1, capture.JobSettings{
		Source: capture.SourceADF, Mode: capture.ModeGray, Resolution: 100, PageSize: ps})
	if err != nil {
		t.Fatalf("job: %v", err)
	}
	if len(pages) != 10 {
		t.Fatalf("%d pages, want 10", len(pages))
	}
	for i, p := range pages {
		if p.Sheet != i+1 || p.Back || p.DPI != 100 {
			t.Errorf("page %d: sheet %d back %v dpi %d", i, p.Sheet, p.Back, p.DPI)
		}
		g, ok := p.Image.(*image.Gray)
		if !ok {
			t.Fatalf("page %d is %T, want *image.Gray", i, p.Image)
		}
		checkSize(t, g, 60, 80, 100)
		if g.Pix[0] != 0 || g.Pix[len(g.Pix)-1] != 0 {
			t.Errorf("page %d: Solid black picture is not black", i)
		}
	}
}

func TestFlatbedOnePage(t *testing.T) {
	d := newDriver(t)
	pages, err := collect(t, d, context.Background(), 1, capture.JobSettings{Source: capture.SourceFlatbed, Mode: capture.ModeGray, Resolution: 75})
	if err != nil || len(pages) != 1 {
		t.Fatalf("flatbed: %d pages, %v; want 1 page", len(pages), err)
	}
	// zero PageSize = whole 200x200 mm bed.
	checkSize(t, pages[0].Image, 200, 200, 75)
}

// TestPixelFormats checks lineart, grey, colour and three-pass colour on the
// backend's "Color pattern" and "Solid white" pictures.
func TestPixelFormats(t *testing.T) {
	d := newDriver(t)
	ps := capture.PageSize{Name: "test", WidthMM: 50, HeightMM: 40}
	scan := func(mode capture.ColorMode, picture string) image.Image {
		t.Helper()
		d.SetExtraOption("test-picture", picture)
		pages, err := collect(t, d, context.Background(), 1, capture.JobSettings{
			Source: capture.SourceFlatbed, Mode: mode, Resolution: 150, PageSize: ps})
		if err != nil || len(pages) != 1 {
			t.Fatalf("%s %s: %d pages, %v", mode, picture, len(pages), err)
		}
		checkSize(t, pages[0].Image, 50, 40, 150)
		return pages[0].Image
	}
	distinct := func(img image.Image) map[color.Color]bool {
		m := map[color.Color]bool{}
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				m[img.At(x, y)] = true
			}
		}
		return m
	}

	gray := scan(capture.ModeGray, "Color pattern")
	if _, ok := gray.(*image.Gray); !ok || len(distinct(gray)) < 3 {
		t.Errorf("grey pattern: %T with %d grey levels, want *image.Gray with many", gray, len(distinct(gray)))
	}
	line := scan(capture.ModeLineart, "Color pattern")
	lc := distinct(line)
	if _, ok := line.(*image.Gray); !ok || len(lc) != 2 || !lc[color.Gray{0}] || !lc[color.Gray{255}] {
		t.Errorf("lineart pattern: %T with levels %v, want only black and white", line, lc)
	}
	white := scan(capture.ModeLineart, "Solid white")
	if wc := distinct(white); len(wc) != 1 || !wc[color.Gray{255}] {
		t.Errorf("lineart Solid white: levels %v, want only white (SANE bit 0)", wc)
	}
	black := scan(capture.ModeLineart, "Solid black")
	if bc := distinct(black); len(bc) != 1 || !bc[color.Gray{0}] {
		t.Errorf("lineart Solid black: levels %v, want only black (SANE bit 1)", bc)
	}
	rgb := scan(capture.ModeColor, "Color pattern")
	if _, ok := rgb.(*image.RGBA); !ok || len(distinct(rgb)) < 3 {
		t.Errorf("colour pattern: %T with %d colours", rgb, len(distinct(rgb)))
	}
	chroma := false
	for c := range distinct(rgb) {
		r, g, b, _ := c.RGBA()
		if r != g || g != b {
			chroma = true
		}
	}
	if !chroma {
		t.Error("colour pattern has no coloured pixel")
	}
	// A three-pass scanner sends RED, GREEN, BLUE frames; the result must
	// equal the single-pass picture.
	d.SetExtraOption("three-pass", "yes")
	three := scan(capture.ModeColor, "Color pattern")
	d.SetExtraOption("three-pass", "no")
	if !samePixels(rgb, three) {
		t.Error("three-pass colour differs from single-pass colour")
	}
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

// TestUnknownLineCount: in hand-scanner mode the backend reports -1 lines
// and a fixed 11 cm width; the driver reads until EOF.
func TestUnknownLineCount(t *testing.T) {
	d := newDriver(t)
	d.SetExtraOption("hand-scanner", "yes")
	pages, err := collect(t, d, context.Background(), 1, capture.JobSettings{Source: capture.SourceFlatbed, Mode: capture.ModeGray, Resolution: 100})
	if err != nil || len(pages) != 1 {
		t.Fatalf("hand scanner: %d pages, %v", len(pages), err)
	}
	b := pages[0].Image.Bounds()
	if abs(b.Dx()-pixelsFor(110, 100)) > 1 || b.Dy() <= 0 {
		t.Errorf("hand-scanner image %v, want width %d and some lines", b, pixelsFor(110, 100))
	}
}

// TestFaultsOnFirstSheet: the backend's read-return-value makes every
// sane_read return the status, so the first sheet fails with no page.
func TestFaultsOnFirstSheet(t *testing.T) {
	cases := []struct {
		status string
		kind   capture.FaultKind
	}{
		{"SANE_STATUS_JAMMED", capture.FaultJammed},
		{"SANE_STATUS_COVER_OPEN", capture.FaultCoverOpen},
		{"SANE_STATUS_NO_DOCS", capture.FaultNoDocs},
		{"SANE_STATUS_DEVICE_BUSY", capture.FaultBusy},
		{"SANE_STATUS_IO_ERROR", capture.FaultIO},
		{"SANE_STATUS_INVAL", capture.FaultUnsupported},
		{"SANE_STATUS_UNSUPPORTED", capture.FaultUnsupported},
		{"SANE_STATUS_NO_MEM", capture.FaultOther},
		{"SANE_STATUS_ACCESS_DENIED", capture.FaultOther},
		{"SANE_STATUS_EOF", capture.FaultIO}, // an empty page
	}
	d := newDriver(t)
	// select-fd lets the driver wait for the backend's reader thread before
	// cancelling (see handle.settle).
	d.SetExtraOption("select-fd", "yes")
	for _, c := range cases {
		t.Run(c.status, func(t *testing.T) {
			d.SetExtraOption("read-return-value", c.status)
			defer d.SetExtraOption("read-return-value", "Default")
			pages, err := collect(t, d, context.Background(), 1, capture.JobSettings{Source: capture.SourceADF, Mode: capture.ModeGray, Resolution: 50})
			var f *capture.Fault
			if !errors.As(err, &f) {
				t.Fatalf("got %v, want *capture.Fault", err)
			}
			if f.Kind != c.kind || f.Sheet != 1 || f.Device != dev0 || len(pages) != 0 {
				t.Errorf("fault %+v with %d pages, want kind %s on sheet 1 and no page", f, len(pages), c.kind)
			}
			if f.Localize(l10n.Vi) == "" || f.Localize(l10n.En) == "" || f.Localize(l10n.Vi) == f.Localize(l10n.En) {
				t.Errorf("fault messages vi=%q en=%q", f.Localize(l10n.Vi), f.Localize(l10n.En))
			}
		})
	}
}

// TestJamMidJobThenResume: after three good sheets the jam status is switched
// on (options set during a job apply from the next sheet), so sheet 4 jams.
// The three pages stay delivered; the clerk then continues from sheet 4.
func TestJamMidJobThenResume(t *testing.T) {
	d := newDriver(t)
	d.SetExtraOption("select-fd", "yes")
	s := capture.JobSettings{Source: capture.SourceADF, Mode: capture.ModeGray, Resolution: 50}
	var pages []capture.ScannedPage
	err := d.Scan(context.Background(), dev0, s, func(p capture.ScannedPage) error {
		pages = append(pages, p)
		if len(pages) == 3 {
			d.SetExtraOption("read-return-value", "SANE_STATUS_JAMMED")
		}
		return nil
	})
	var f *capture.Fault
	if !errors.As(err, &f) || f.Kind != capture.FaultJammed || f.Sheet != 4 {
		t.Fatalf("got %v, want a jam on sheet 4", err)
	}
	if len(pages) != 3 || pages[2].Sheet != 3 {
		t.Fatalf("%d pages kept before the jam, want 3", len(pages))
	}
	d.SetExtraOption("read-return-value", "Default")
	// The test backend refills its feeder (10 sheets) on every sane_open.
	more, err := collect(t, d, context.Background(), f.Sheet, s)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if len(more) != 10 || more[0].Sheet != 4 || more[9].Sheet != 13 {
		t.Errorf("resumed job: %d pages from sheet %d, want 10 pages numbered 4..13", len(more), more[0].Sheet)
	}
}

// TestCancelMidJob cancels from another goroutine while sane_read waits on a
// slow device (200 ms after each 1 KiB buffer: a 40x40 mm page at 50 dpi is
// 6 KiB, about 1.2 s, the whole 10-sheet job about 12 s), and checks the job stops with ctx.Err and keeps its pages.
func TestCancelMidJob(t *testing.T) {
	d := newDriver(t)
	for _, o := range [][2]string{{"read-limit", "yes"}, {"read-limit-size", "1024"}, {"read-delay", "yes"}, {"read-delay-duration", "200000"}} {
		d.SetExtraOption(o[0], o[1])
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu    sync.Mutex
		pages []capture.ScannedPage
	)
	reads := 0
	started := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- d.Scan(ctx, dev0, capture.JobSettings{Source: capture.SourceADF, Mode: capture.ModeGray, Resolution: 50,
			PageSize: capture.PageSize{WidthMM: 40, HeightMM: 40}}, func(p capture.ScannedPage) error {
			mu.Lock()
			pages = append(pages, p)
			mu.Unlock()
			if reads++; reads == 1 {
				close(started) // page 1 is in; page 2 (slow) starts now
			}
			return nil
		})
	}()
	<-started
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	mu.Lock()
	n := len(pages)
	mu.Unlock()
	if n < 1 || n >= 10 {
		t.Errorf("%d pages kept, want the ones before the cancel (1..9)", n)
	}
	// The device was closed: a new job runs at once.
	d.SetExtraOption("read-delay", "no") // read-delay-duration becomes inactive
	d.SetExtraOption("read-delay-duration", "")
	d.SetExtraOption("read-limit", "no")
	d.SetExtraOption("read-limit-size", "")
	if pages, err := collect(t, d, context.Background(), 1, capture.JobSettings{Source: capture.SourceFlatbed, Resolution: 50}); err != nil || len(pages) != 1 {
		t.Errorf("job after cancel: %d pages, %v", len(pages), err)
	}
}

// TestCancelBeforeStart: an already cancelled context runs nothing.
func TestCancelBeforeStart(t *testing.T) {
	d := newDriver(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pages, err := collect(t, d, ctx, 1, capture.JobSettings{Source: capture.SourceADF})
	if !errors.Is(err, context.Canceled) || len(pages) != 0 {
		t.Errorf("got %d pages, %v", len(pages), err)
	}
}

// TestSlowDevice: small buffers with read delays still give complete pages.
func TestSlowDevice(t *testing.T) {
	d := newDriver(t)
	for _, o := range [][2]string{{"read-limit", "yes"}, {"read-limit-size", "512"}, {"read-delay", "yes"}, {"read-delay-duration", "1000"}, {"test-picture", "Grid"}} {
		d.SetExtraOption(o[0], o[1])
	}
	s := capture.JobSettings{Source: capture.SourceADF, Mode: capture.ModeGray, Resolution: 50, PageSize: capture.PageSize{WidthMM: 40, HeightMM: 30}}
	slow, err := collect(t, d, context.Background(), 1, s)
	if err != nil || len(slow) != 10 {
		t.Fatalf("slow ADF job: %d pages, %v; want 10", len(slow), err)
	}
	d.SetExtraOption("read-limit", "no")
	d.SetExtraOption("read-delay", "no")
	d.SetExtraOption("read-limit-size", "")
	d.SetExtraOption("read-delay-duration", "")
	fast, err := collect(t, d, context.Background(), 1, s)
	if err != nil || len(fast) != 10 {
		t.Fatalf("fast ADF job: %d pages, %v", len(fast), err)
	}
	for i := range slow {
		checkSize(t, slow[i].Image, 40, 30, 50)
		if !samePixels(slow[i].Image, fast[i].Image) {
			t.Errorf("page %d differs between slow and fast reads", i+1)
		}
	}
}

func TestOnPageErrorStopsJob(t *testing.T) {
	d := newDriver(t)
	stop := errors.New("disk full")
	n := 0
	err := d.Scan(context.Background(), dev0, capture.JobSettings{Source: capture.SourceADF, Resolution: 50}, func(capture.ScannedPage) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("got %v after %d pages, want the callback's error after 2", err, n)
	}
}

func TestUnsupportedSettings(t *testing.T) {
	d := newDriver(t)
	for name, s := range map[string]capture.JobSettings{
		"duplex":    {Source: capture.SourceADFDuplex},
		"A4 on 200": {PageSize: capture.PageSize{Name: "A4", WidthMM: 210, HeightMM: 297}},
		"mode":      {Mode: "sepia"},
	} {
		_, err := collect(t, d, context.Background(), 1, s)
		var f *capture.Fault
		if !errors.As(err, &f) || f.Kind != capture.FaultUnsupported || f.Sheet != 0 {
			t.Errorf("%s: got %v, want FaultUnsupported before any sheet", name, err)
		}
	}
}

// TestParallelJobsSerialised: two jobs on one device from two goroutines
// both complete (the per-device lock keeps the handle single-threaded).
func TestParallelJobsSerialised(t *testing.T) {
	d := newDriver(t)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.Scan(context.Background(), dev0, capture.JobSettings{Source: capture.SourceADF, Resolution: 30,
				PageSize: capture.PageSize{WidthMM: 20, HeightMM: 20}}, func(capture.ScannedPage) error {
				counts[i]++
				return nil
			})
		}()
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil || counts[i] != 10 {
			t.Errorf("job %d: %d pages, %v", i, counts[i], errs[i])
		}
	}
}

func TestSheetNumbering(t *testing.T) {
	var got []string
	for k := range 4 {
		s, b := sheetOf(5, k, true)
		got = append(got, string(rune('0'+s))+map[bool]string{true: "b", false: "f"}[b])
	}
	if !slices.Equal(got, []string{"5f", "5b", "6f", "6b"}) {
		t.Errorf("duplex numbering %v", got)
	}
	if s, b := sheetOf(5, 3, false); s != 8 || b {
		t.Errorf("simplex sheet %d back %v, want 8 front", s, b)
	}
}

func TestAllows(t *testing.T) {
	r := option{hasRange: true, min: 50, max: 600, quant: 50}
	for v, want := range map[float64]bool{50: true, 75: false, 600: true, 650: false, 300: true} {
		if allows(r, v) != want {
			t.Errorf("range allows(%v) = %v", v, !want)
		}
	}
	if !allows(option{words: []float64{1, 8}}, 1) || allows(option{words: []float64{8}}, 1) {
		t.Error("word list")
	}
	_ = math.Pi
}

// TestReaderThreadsCancelDeferred: the backend's reader threads ask for
// asynchronous cancellation and get deferred cancellation from SoHoa's
// pthread_setcanceltype (see cancel.go); if the linker stopped exporting it,
// the count would stay at zero.
func TestReaderThreadsCancelDeferred(t *testing.T) {
	d := newDriver(t)
	before := deferredCancels.Load()
	pages, err := collect(t, d, context.Background(), 1, capture.JobSettings{
		Source: capture.SourceFlatbed, Mode: capture.ModeGray, Resolution: 50,
		PageSize: capture.PageSize{WidthMM: 20, HeightMM: 20}})
	if err != nil || len(pages) != 1 {
		t.Fatalf("flatbed job: %d pages, %v", len(pages), err)
	}
	if deferredCancels.Load() == before {
		t.Fatal("the test backend's reader thread did not call SoHoa's pthread_setcanceltype")
	}
}
