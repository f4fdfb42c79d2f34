package escl

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/internal/l10n"
)

const kyoceraCaps = "Kyocera-ECOSYS-M2040dn-ScannerCapabilities.xml"

func testDriver() *Driver {
	d := New()
	d.Discovery = nil // never send multicast from tests
	d.RetryDelay = time.Millisecond
	d.BusyTimeout = 5 * time.Second
	return d
}

func run(t *testing.T, d *Driver, ctx context.Context, id string, s capture.JobSettings) ([]capture.ScannedPage, error) {
	t.Helper()
	var pages []capture.ScannedPage
	err := d.Scan(ctx, id, s, func(p capture.ScannedPage) error {
		pages = append(pages, p)
		return nil
	})
	return pages, err
}

func asFault(t *testing.T, err error, kind capture.FaultKind, sheet int) {
	t.Helper()
	var f *capture.Fault
	if !errors.As(err, &f) {
		t.Fatalf("got %v, want a *capture.Fault", err)
	}
	if f.Kind != kind || f.Sheet != sheet {
		t.Fatalf("fault %v (kind %s, sheet %d), want kind %s on sheet %d", f, f.Kind, f.Sheet, kind, sheet)
	}
	if f.Localize(l10n.Vi) == "" || f.Localize(l10n.En) == "" {
		t.Errorf("fault without clerk messages")
	}
}

func TestADFJobThreePages(t *testing.T) {
	f := newFakeESCLServer(t, kyoceraCaps)
	for n := 1; n <= 3; n++ {
		f.pages = append(f.pages, testPage(t, 248, 350, n))
	}
	d := testDriver()
	pages, err := run(t, d, context.Background(), f.id(), capture.JobSettings{
		Source: capture.SourceADF, Mode: capture.ModeGray, Resolution: 300,
		PageSize: capture.PageSize{Name: "A4", WidthMM: 210, HeightMM: 297}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 {
		t.Fatalf("%d pages, want 3", len(pages))
	}
	for i, p := range pages {
		if p.Sheet != i+1 || p.Back || p.DPI != 300 || p.Format != "jpeg" || !bytes.Equal(p.Encoded, f.pages[i]) {
			t.Errorf("page %d: sheet %d back %v dpi %d format %q, bytes kept: %v", i, p.Sheet, p.Back, p.DPI, p.Format, bytes.Equal(p.Encoded, f.pages[i]))
		}
		if p.Image.Bounds() != image248x350 {
			t.Errorf("page %d decoded to %v", i, p.Image.Bounds())
		}
		// marker bar of page n is 10*n pixels long
		if y, _, _, _ := p.Image.At(10*(i+1)-3, 3).RGBA(); y > 0x4000 {
			t.Errorf("page %d: marker missing (pages out of order?)", i)
		}
		if y, _, _, _ := p.Image.At(10*(i+1)+3, 3).RGBA(); y < 0xC000 {
			t.Errorf("page %d: marker too long (pages out of order?)", i)
		}
	}
	if len(f.settings) != 1 {
		t.Fatalf("%d jobs posted", len(f.settings))
	}
	want := ScanSettings{InputSource: "Feeder", ColorMode: "Grayscale8", Resolution: 300, Width: 2480, Height: 3508,
		DocumentFormat: "image/jpeg", Intent: "TextAndGraphic"}
	if f.settings[0] != want {
		t.Errorf("posted %+v, want %+v", f.settings[0], want)
	}
	log := f.log()
	wantLog := []string{"GET /eSCL/ScannerCapabilities", "POST /eSCL/ScanJobs"}
	if !slices.Equal(log[:2], wantLog) || f.count("GET /eSCL/ScanJobs/") != 4 || f.count("DELETE") != 0 {
		t.Errorf("requests %v: want caps, POST, 4 NextDocument (last 404), no DELETE", log)
	}
}

var image248x350 = imageRect(248, 350)

func TestDuplexJob(t *testing.T) {
	f := newFakeESCLServer(t, kyoceraCaps)
	for n := 1; n <= 4; n++ {
		f.pages = append(f.pages, testPage(t, 100, 140, n))
	}
	pages, err := run(t, testDriver(), context.Background(), f.id(), capture.JobSettings{Source: capture.SourceADFDuplex, Mode: capture.ModeColor, Resolution: 200})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	var backs []bool
	for _, p := range pages {
		got = append(got, p.Sheet)
		backs = append(backs, p.Back)
	}
	if !slices.Equal(got, []int{1, 1, 2, 2}) || !slices.Equal(backs, []bool{false, true, false, true}) {
		t.Errorf("sheets %v backs %v", got, backs)
	}
	if s := f.settings[0]; !s.Duplex || s.InputSource != "Feeder" || s.ColorMode != "RGB24" || s.Width != 2551 || s.Height != 4205 {
		t.Errorf("posted %+v: want duplex feeder, RGB24 and the whole feeder area", s)
	}
}

func TestPlatenOnePageThenDelete(t *testing.T) {
	f := newFakeESCLServer(t, "Canon-D570__GET_ScannerCapabilities__response_ScannerCapabilities.xml")
	f.pages = [][]byte{testPage(t, 80, 100, 1), testPage(t, 80, 100, 2)}
	pages, err := run(t, testDriver(), context.Background(), f.id(), capture.JobSettings{Source: capture.SourceFlatbed, Mode: capture.ModeGray, Resolution: 150})
	if err != nil || len(pages) != 1 {
		t.Fatalf("%d pages, %v; want 1", len(pages), err)
	}
	// As in the recorded Kyocera trace: one NextDocument, then DELETE.
	if f.count("GET /eSCL/ScanJobs/") != 1 || f.count("DELETE /eSCL/ScanJobs/urn:uuid:") != 1 {
		t.Errorf("requests %v", f.log())
	}
}

func TestJamMidJob(t *testing.T) {
	for _, code := range []int{http.StatusConflict, http.StatusNotFound, http.StatusInternalServerError} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			f := newFakeESCLServer(t, kyoceraCaps)
			for n := 1; n <= 5; n++ {
				f.pages = append(f.pages, testPage(t, 60, 80, n))
			}
			f.failAfter, f.failCode, f.adfState = 2, code, "ScannerAdfJam"
			pages, err := run(t, testDriver(), context.Background(), f.id(), capture.JobSettings{Source: capture.SourceADF, Resolution: 300})
			asFault(t, err, capture.FaultJammed, 3)
			if len(pages) != 2 || pages[1].Sheet != 2 {
				t.Errorf("%d pages kept before the jam, want 2", len(pages))
			}
			if f.count("GET /eSCL/ScannerStatus") == 0 {
				t.Error("the driver did not ask the status why the job failed")
			}
			if code != http.StatusNotFound && f.count("DELETE") != 1 {
				t.Errorf("failed job not deleted: %v", f.log())
			}
			// The clerk clears the jam and continues from sheet 3.
			f.mu.Lock()
			f.failAfter, f.adfState = 0, "ScannerAdfLoaded"
			f.mu.Unlock()
			var more []capture.ScannedPage
			err = testDriver().ScanFrom(context.Background(), f.id(), capture.JobSettings{Source: capture.SourceADF, Resolution: 300}, 3,
				func(p capture.ScannedPage) error { more = append(more, p); return nil })
			if err != nil || len(more) != 5 || more[0].Sheet != 3 {
				t.Errorf("resumed job: %d pages from sheet %v, %v", len(more), more, err)
			}
		})
	}
}

func TestFaultsFromStatus(t *testing.T) {
	cases := []struct {
		adf  string
		kind capture.FaultKind
	}{
		{"ScannerAdfEmpty", capture.FaultNoDocs},
		{"ScannerAdfHatchOpen", capture.FaultCoverOpen},
		{"ScannerAdfMispick", capture.FaultJammed},
		{"ScannerAdfLoaded", capture.FaultNoDocs}, // 404 before any page, no reason given
	}
	for _, c := range cases {
		f := newFakeESCLServer(t, kyoceraCaps)
		f.adfState = c.adf // the feeder holds no page: the first NextDocument is 404
		_, err := run(t, testDriver(), context.Background(), f.id(), capture.JobSettings{Source: capture.SourceADF, Resolution: 300})
		asFault(t, err, c.kind, 1)
	}
	// An unexplained 500 is a communication error.
	f := newFakeESCLServer(t, kyoceraCaps)
	f.pages = [][]byte{testPage(t, 10, 10, 1)}
	f.failAfter, f.failCode, f.adfState = 1, 500, "ScannerAdfLoaded"
	_, err := run(t, testDriver(), context.Background(), f.id(), capture.JobSettings{Source: capture.SourceADF, Resolution: 300})
	asFault(t, err, capture.FaultIO, 2)
}

func TestCancelDeletesJob(t *testing.T) {
	f := newFakeESCLServer(t, kyoceraCaps)
	f.pages = [][]byte{testPage(t, 60, 80, 1), testPage(t, 60, 80, 2), testPage(t, 60, 80, 3)}
	f.blockAfter = 1
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-f.blocked // the device is "scanning" sheet 2
		cancel()
	}()
	pages, err := run(t, testDriver(), ctx, f.id(), capture.JobSettings{Source: capture.SourceADF, Resolution: 300})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if len(pages) != 1 {
		t.Errorf("%d pages kept, want 1", len(pages))
	}
	if f.count("DELETE /eSCL/ScanJobs/urn:uuid:") != 1 {
		t.Errorf("job not deleted on cancel: %v", f.log())
	}
}

func TestRetryOn503(t *testing.T) {
	f := newFakeESCLServer(t, kyoceraCaps)
	f.pages = [][]byte{testPage(t, 60, 80, 1), testPage(t, 60, 80, 2), testPage(t, 60, 80, 3)}
	f.busyBefore, f.busyPost = 2, 1
	pages, err := run(t, testDriver(), context.Background(), f.id(), capture.JobSettings{Source: capture.SourceADF, Resolution: 300})
	if err != nil || len(pages) != 3 {
		t.Fatalf("%d pages, %v", len(pages), err)
	}
	// 2 POSTs (one 503), per page 2 x 503 + 1 x 200, then 2 x 503 + 404.
	if n := f.count("POST"); n != 2 {
		t.Errorf("%d POSTs, want 2", n)
	}
	if n := f.count("GET /eSCL/ScanJobs/"); n != 3*3+3 {
		t.Errorf("%d NextDocument requests, want 12", n)
	}
}

func TestAlwaysBusy(t *testing.T) {
	f := newFakeESCLServer(t, kyoceraCaps)
	f.busyPost = -1
	d := testDriver()
	d.BusyTimeout = 20 * time.Millisecond
	_, err := run(t, d, context.Background(), f.id(), capture.JobSettings{Source: capture.SourceADF, Resolution: 300})
	asFault(t, err, capture.FaultBusy, 0)
}

func TestUnsupportedSettings(t *testing.T) {
	f := newFakeESCLServer(t, "HP-LaserJet-MFP-M426fdn-ScannerCapabilities.xml")
	d := testDriver()
	for name, s := range map[string]capture.JobSettings{
		"lineart":      {Mode: capture.ModeLineart, Resolution: 300}, // HP offers RGB24 and Grayscale8 only
		"150 dpi":      {Mode: capture.ModeGray, Resolution: 150},    // not in its list
		"600 dpi ADF":  {Source: capture.SourceADF, Resolution: 600}, // ADF stops at 300
		"legal platen": {PageSize: capture.PageSize{Name: "Legal", WidthMM: 215.9, HeightMM: 355.6}},
	} {
		_, err := run(t, d, context.Background(), f.id(), s)
		var fl *capture.Fault
		if !errors.As(err, &fl) || fl.Kind != capture.FaultUnsupported {
			t.Errorf("%s: got %v, want FaultUnsupported", name, err)
		}
	}
	if f.count("POST") != 0 {
		t.Error("a job was posted with unsupported settings")
	}
	c := newFakeESCLServer(t, "Canon-D570__GET_ScannerCapabilities__response_ScannerCapabilities.xml")
	if _, err := run(t, d, context.Background(), c.id(), capture.JobSettings{Source: capture.SourceADF}); err == nil {
		t.Error("ADF job on a flatbed-only device: no error")
	}
}

func TestCapabilitiesAndStatusOverHTTP(t *testing.T) {
	f := newFakeESCLServer(t, kyoceraCaps)
	d := testDriver()
	c, err := d.Capabilities(context.Background(), f.id())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Resolutions, []int{200, 300, 400, 600}) || len(c.Sources) != 3 {
		t.Errorf("capabilities %+v", c)
	}
	st, err := d.Status(context.Background(), f.id())
	if err != nil || st.State != "Idle" || st.ADFState != "ScannerAdfEmpty" {
		t.Errorf("status %+v, %v", st, err)
	}
	// Malformed capabilities: a clear error, not a panic.
	f.mu.Lock()
	f.caps = []byte("<scan:ScannerCapabilities><oops")
	f.mu.Unlock()
	_, err = d.Capabilities(context.Background(), f.id())
	if !errors.Is(err, ErrBadXML) {
		t.Errorf("malformed capabilities: got %v, want ErrBadXML", err)
	}
	var fl *capture.Fault
	if !errors.As(err, &fl) || fl.Kind != capture.FaultIO {
		t.Errorf("malformed capabilities: want a FaultIO, got %v", err)
	}
}

func TestUnreachableDevice(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	_, err = testDriver().Capabilities(context.Background(), IDPrefix+"http://"+addr+"/eSCL")
	var fl *capture.Fault
	if !errors.As(err, &fl) || fl.Kind != capture.FaultUnplugged || !errors.Is(err, capture.ErrNoDevice) {
		t.Errorf("got %v, want FaultUnplugged wrapping ErrNoDevice", err)
	}
	if _, err := testDriver().Capabilities(context.Background(), "sane:test:0"); !errors.Is(err, capture.ErrNoDevice) {
		t.Errorf("foreign ID: %v", err)
	}
}

func TestNewDeviceAndManualList(t *testing.T) {
	good := map[string]string{
		"192.0.2.7":                       "escl:http://192.0.2.7/eSCL",
		"http://192.0.2.7:8080/eSCL/":     "escl:http://192.0.2.7:8080/eSCL",
		"https://scanner.example:443/x":   "escl:https://scanner.example:443/x",
		" http://127.0.0.1:9095/eSCL ":    "escl:http://127.0.0.1:9095/eSCL",
		"http://[2001:db8::1]:8080/eSCL/": "escl:http://[2001:db8::1]:8080/eSCL",
	}
	for in, want := range good {
		dv, err := NewDevice(in)
		if err != nil || dv.ID != want || dv.Driver != "escl" {
			t.Errorf("NewDevice(%q) = %+v, %v; want %s", in, dv, err, want)
		}
	}
	for _, bad := range []string{"", "ftp://x/eSCL", "http://", "http://u:p@host/eSCL", "http://h/eSCL?x=1", "http://%zz"} {
		if _, err := NewDevice(bad); err == nil {
			t.Errorf("NewDevice(%q): no error", bad)
		}
	}
	d := testDriver()
	d.AddDevice("192.0.2.7")
	d.AddDevice("http://192.0.2.7/eSCL") // same device
	devs, err := d.Devices(context.Background())
	if err != nil || len(devs) != 1 || devs[0].ID != "escl:http://192.0.2.7/eSCL" {
		t.Errorf("devices %+v, %v", devs, err)
	}
}

func TestOnPageErrorDeletesJob(t *testing.T) {
	f := newFakeESCLServer(t, kyoceraCaps)
	f.pages = [][]byte{testPage(t, 60, 80, 1), testPage(t, 60, 80, 2)}
	stop := errors.New("disk full")
	err := testDriver().Scan(context.Background(), f.id(), capture.JobSettings{Source: capture.SourceADF, Resolution: 300},
		func(capture.ScannedPage) error { return stop })
	if !errors.Is(err, stop) || f.count("DELETE") != 1 {
		t.Errorf("got %v, DELETEs %d", err, f.count("DELETE"))
	}
}

func TestBadPageBytes(t *testing.T) {
	f := newFakeESCLServer(t, kyoceraCaps)
	f.pages = [][]byte{[]byte("\xFF\xD8 not really a jpeg")}
	_, err := run(t, testDriver(), context.Background(), f.id(), capture.JobSettings{Source: capture.SourceADF, Resolution: 300})
	asFault(t, err, capture.FaultIO, 1)
}
