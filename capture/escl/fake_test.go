package escl

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sohoa/sohoa/capture"
)

// fakeESCLServer is a FAKE eSCL scanner on loopback (httptest), used because
// no real eSCL device can run here. It serves the ScannerCapabilities and
// ScannerStatus documents RECORDED FROM REAL DEVICES in testdata/recorded
// (by default Kyocera ECOSYS M2040dn capabilities and HP LaserJet MFP
// M426fdn status; tests pick others) and follows the request sequence of the
// recorded sane-airscan traces: POST /eSCL/ScanJobs -> 201 + absolute
// Location .../ScanJobs/urn:uuid:..., GET {Location}/NextDocument -> 200
// image/jpeg per page, 404 when the job is done, DELETE {Location}. The page
// images are JPEGs made by the test. To simulate faults it rewrites the
// <scan:AdfState> of the recorded status (e.g. to ScannerAdfJam) -- that
// rewritten state is constructed, not recorded.
type fakeESCLServer struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	caps       []byte
	status     []byte
	adfState   string   // replaces the recorded AdfState when set
	pages      [][]byte // pages the job delivers, in order
	busyBefore int      // answer 503 this many times before each page
	busyPost   int      // answer 503 to this many POSTs (-1: always)
	failAfter  int      // after this many pages, answer failCode (0: never)
	failCode   int
	blockAfter int                 // after this many pages, NextDocument waits for the client to go away (0: never)
	blocked    chan struct{}       // closed when a NextDocument starts waiting
	requests   []string            // "METHOD path" in order
	settings   []ScanSettings      // parsed POST bodies
	served     int                 // pages served in the current job
	busyLeft   int                 // 503s still to send before the next page
	jobPath    string              // current job's path
	byPath     map[string]struct{} // deleted jobs
}

func newFakeESCLServer(t *testing.T, capsFile string) *fakeESCLServer {
	f := &fakeESCLServer{
		t:       t,
		caps:    recorded(t, capsFile),
		status:  recorded(t, "HP-LaserJet-MFP-M426fdn-ScannerStatus.xml"),
		blocked: make(chan struct{}),
		byPath:  map[string]struct{}{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// id is the device ID of the fake scanner.
func (f *fakeESCLServer) id() string { return IDPrefix + f.srv.URL + "/eSCL" }

func (f *fakeESCLServer) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func (f *fakeESCLServer) count(prefix string) int {
	n := 0
	for _, r := range f.log() {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

func (f *fakeESCLServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/eSCL/ScannerCapabilities":
		f.mu.Lock()
		body := f.caps
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		w.Write(body)
	case r.Method == http.MethodGet && r.URL.Path == "/eSCL/ScannerStatus":
		f.mu.Lock()
		body := f.status
		if f.adfState != "" {
			body = rewriteAdfState(body, f.adfState)
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		w.Write(body)
	case r.Method == http.MethodPost && r.URL.Path == "/eSCL/ScanJobs":
		body, _ := io.ReadAll(r.Body)
		s, err := parseSettings(body)
		f.mu.Lock()
		defer f.mu.Unlock()
		if err != nil {
			f.t.Errorf("fake server: bad ScanSettings: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if f.busyPost != 0 {
			if f.busyPost > 0 {
				f.busyPost--
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		f.settings = append(f.settings, s)
		f.served, f.busyLeft = 0, f.busyBefore
		f.jobPath = fmt.Sprintf("/eSCL/ScanJobs/urn:uuid:4509a320-00a0-008f-00b6-%012d", len(f.settings))
		w.Header().Set("Location", f.srv.URL+f.jobPath)
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/NextDocument"):
		f.mu.Lock()
		if strings.TrimSuffix(r.URL.Path, "/NextDocument") != f.jobPath {
			f.mu.Unlock()
			http.NotFound(w, r)
			return
		}
		if f.blockAfter > 0 && f.served == f.blockAfter {
			f.mu.Unlock()
			close(f.blocked)
			<-r.Context().Done() // a scanner still scanning: the client cancels
			return
		}
		if f.failAfter > 0 && f.served == f.failAfter {
			code := f.failCode
			f.mu.Unlock()
			w.WriteHeader(code)
			return
		}
		if f.busyLeft > 0 {
			f.busyLeft--
			f.mu.Unlock()
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if f.served >= len(f.pages) {
			f.mu.Unlock()
			http.NotFound(w, r)
			return
		}
		page := f.pages[f.served]
		f.served++
		f.busyLeft = f.busyBefore
		f.mu.Unlock()
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(page)
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/eSCL/ScanJobs/"):
		f.mu.Lock()
		f.byPath[r.URL.Path] = struct{}{}
		f.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	default:
		http.NotFound(w, r)
	}
}

func rewriteAdfState(doc []byte, state string) []byte {
	s := string(doc)
	i := strings.Index(s, "<scan:AdfState>")
	j := strings.Index(s, "</scan:AdfState>")
	if i < 0 || j < i {
		return doc
	}
	return []byte(s[:i] + "<scan:AdfState>" + state + s[j:])
}

// parseSettings decodes a ScanSettings document (what the fake server reads).
func parseSettings(b []byte) (ScanSettings, error) {
	var x struct {
		XMLName xml.Name `xml:"ScanSettings"`
		Intent  string   `xml:"Intent"`
		Regions []struct {
			X int `xml:"XOffset"`
			Y int `xml:"YOffset"`
			W int `xml:"Width"`
			H int `xml:"Height"`
		} `xml:"ScanRegions>ScanRegion"`
		InputSource string `xml:"InputSource"`
		Duplex      bool   `xml:"Duplex"`
		ColorMode   string `xml:"ColorMode"`
		Format      string `xml:"DocumentFormat"`
		XRes        int    `xml:"XResolution"`
		YRes        int    `xml:"YResolution"`
	}
	if err := xml.Unmarshal(b, &x); err != nil {
		return ScanSettings{}, err
	}
	if len(x.Regions) != 1 || x.XRes != x.YRes {
		return ScanSettings{}, fmt.Errorf("want one region and equal resolutions")
	}
	r := x.Regions[0]
	return ScanSettings{InputSource: x.InputSource, Duplex: x.Duplex, ColorMode: x.ColorMode, Resolution: x.XRes,
		Width: r.W, Height: r.H, XOffset: r.X, YOffset: r.Y, DocumentFormat: x.Format, Intent: x.Intent}, nil
}

// testPage makes a JPEG page w x h with a marker bar whose length encodes n,
// so that pages can be told apart after decoding.
func testPage(t *testing.T, w, h, n int) []byte {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := 0; y < 8; y++ {
		for x := 0; x < 10*n && x < w; x++ {
			img.SetGray(x, y, color.Gray{0})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func imageRect(w, h int) image.Rectangle { return image.Rect(0, 0, w, h) }

// jobFor is a plausible job for a source (used by the fuzz target).
func jobFor(in *InputCaps) capture.JobSettings {
	s := capture.JobSettings{Mode: capture.ModeGray}
	if len(in.Resolutions) > 0 {
		s.Resolution = in.Resolutions[0]
	}
	return s
}
