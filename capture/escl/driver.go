package escl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/capture"
)

// IDPrefix starts every device ID of this driver.
const IDPrefix = "escl:"

var _ capture.Scanner = (*Driver)(nil)

// maxImageSize bounds one page's bytes.
const maxImageSize = 512 << 20

// Driver is the eSCL implementation of capture.Scanner. The zero value is not
// ready; use New.
type Driver struct {
	// Client makes every request; it should not have an overall Timeout,
	// since NextDocument may take as long as the device needs to scan.
	Client *http.Client
	// RetryDelay is the first wait after a 503 answer; it doubles up to 2 s.
	RetryDelay time.Duration
	// BusyTimeout bounds how long one request keeps being retried on 503.
	BusyTimeout time.Duration
	// Discovery finds devices for Devices; nil disables discovery (manual
	// devices only). New sets it to an mDNS query lasting DiscoveryWindow.
	Discovery func(ctx context.Context) ([]capture.Device, error)

	mu     sync.Mutex
	manual []capture.Device
	locks  map[string]chan struct{}
}

// DiscoveryWindow is how long New's mDNS discovery listens for answers.
const DiscoveryWindow = 2 * time.Second

// New returns a driver that discovers devices with mDNS.
func New() *Driver {
	d := &Driver{
		Client:      &http.Client{},
		RetryDelay:  500 * time.Millisecond,
		BusyTimeout: 2 * time.Minute,
		locks:       map[string]chan struct{}{},
	}
	d.Discovery = func(ctx context.Context) ([]capture.Device, error) { return Discover(ctx, DiscoveryWindow) }
	return d
}

// NewDevice checks a base URL entered by hand ("http://192.0.2.7:8080/eSCL"
// or just "192.0.2.7", which means http://192.0.2.7/eSCL) and returns its
// device.
func NewDevice(baseURL string) (capture.Device, error) {
	base, err := normalizeBase(baseURL)
	if err != nil {
		return capture.Device{}, err
	}
	u, _ := url.Parse(base)
	return capture.Device{ID: IDPrefix + base, Driver: "escl", Label: "eSCL " + u.Host}, nil
}

// AddDevice remembers a device entered by hand, so that Devices lists it.
func (d *Driver) AddDevice(baseURL string) (capture.Device, error) {
	dev, err := NewDevice(baseURL)
	if err != nil {
		return dev, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !slices.ContainsFunc(d.manual, func(m capture.Device) bool { return m.ID == dev.ID }) {
		d.manual = append(d.manual, dev)
	}
	return dev, nil
}

var errBadURL = errors.New("escl: bad scanner address")

func normalizeBase(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("%w: empty", errBadURL)
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %v", errBadURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: want http(s)://host[:port]/path", errBadURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	if u.Path == "" {
		u.Path = "/eSCL"
	}
	u.RawPath = ""
	return u.String(), nil
}

// base returns the base URL of a device ID.
func base(id string) (string, error) {
	raw, ok := strings.CutPrefix(id, IDPrefix)
	if !ok {
		return "", fmt.Errorf("%w: %q is not an eSCL device ID", capture.ErrNoDevice, id)
	}
	b, err := normalizeBase(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %w", capture.ErrNoDevice, err)
	}
	return b, nil
}

// Devices lists the devices added by hand, then those found by discovery.
// When discovery fails the manual devices are still returned, with the error.
func (d *Driver) Devices(ctx context.Context) ([]capture.Device, error) {
	d.mu.Lock()
	out := slices.Clone(d.manual)
	disc := d.Discovery
	d.mu.Unlock()
	if disc == nil {
		return out, nil
	}
	found, err := disc(ctx)
	for _, f := range found {
		if !slices.ContainsFunc(out, func(m capture.Device) bool { return m.ID == f.ID }) {
			out = append(out, f)
		}
	}
	return out, err
}

// Capabilities reads /ScannerCapabilities of the device.
func (d *Driver) Capabilities(ctx context.Context, id string) (capture.Capabilities, error) {
	b, err := base(id)
	if err != nil {
		return capture.Capabilities{}, err
	}
	c, err := d.fetchCaps(ctx, id, b)
	if err != nil {
		return capture.Capabilities{}, err
	}
	return ToCapabilities(c), nil
}

// DeviceCapabilities returns the full parsed eSCL capabilities of a device.
func (d *Driver) DeviceCapabilities(ctx context.Context, id string) (*ScannerCapabilities, error) {
	b, err := base(id)
	if err != nil {
		return nil, err
	}
	return d.fetchCaps(ctx, id, b)
}

// standardDPI are offered when a device gives resolution ranges.
var standardDPI = []int{75, 100, 150, 200, 240, 300, 400, 600, 1200}

// pageSizes are the common paper sizes offered when they fit.
var pageSizes = []capture.PageSize{
	{Name: "A4", WidthMM: 210, HeightMM: 297},
	{Name: "A5", WidthMM: 148, HeightMM: 210},
	{Name: "B5", WidthMM: 176, HeightMM: 250},
	{Name: "Letter", WidthMM: 215.9, HeightMM: 279.4},
	{Name: "Legal", WidthMM: 215.9, HeightMM: 355.6},
}

func mmOf(u int) float64 { return math.Round(float64(u)/300*25.4*10) / 10 }
func unitsOf(mm float64) int {
	return int(math.Round(mm / 25.4 * 300))
}

// modeOf maps eSCL colour modes to capture modes ("" for others).
func modeOf(m string) capture.ColorMode {
	switch m {
	case "BlackAndWhite1":
		return capture.ModeLineart
	case "Grayscale8":
		return capture.ModeGray
	case "RGB24":
		return capture.ModeColor
	}
	return ""
}

func escMode(m capture.ColorMode) string {
	switch m {
	case capture.ModeLineart:
		return "BlackAndWhite1"
	case capture.ModeGray:
		return "Grayscale8"
	case capture.ModeColor:
		return "RGB24"
	}
	return ""
}

// ToCapabilities summarises eSCL capabilities for the capture package.
func ToCapabilities(c *ScannerCapabilities) capture.Capabilities {
	var out capture.Capabilities
	for _, s := range []struct {
		caps *InputCaps
		src  capture.Source
	}{{c.Platen, capture.SourceFlatbed}, {c.ADFSimplex, capture.SourceADF}, {c.ADFDuplex, capture.SourceADFDuplex}} {
		if s.caps == nil {
			continue
		}
		out.Sources = append(out.Sources, s.src)
		out.Resolutions = append(out.Resolutions, s.caps.Resolutions...)
		for _, r := range standardDPI {
			if s.caps.Supports(r) {
				out.Resolutions = append(out.Resolutions, r)
			}
		}
		for _, m := range s.caps.ColorModes {
			if cm := modeOf(m); cm != "" && !slices.Contains(out.Modes, cm) {
				out.Modes = append(out.Modes, cm)
			}
		}
		out.MaxWidthMM = math.Max(out.MaxWidthMM, mmOf(s.caps.MaxWidth))
		out.MaxHeightMM = math.Max(out.MaxHeightMM, mmOf(s.caps.MaxHeight))
	}
	slices.Sort(out.Resolutions)
	out.Resolutions = slices.Compact(out.Resolutions)
	for _, ps := range pageSizes {
		if ps.WidthMM <= out.MaxWidthMM+1 && ps.HeightMM <= out.MaxHeightMM+1 {
			out.PageSizes = append(out.PageSizes, ps)
		}
	}
	out.PageSizes = append(out.PageSizes, capture.PageSize{Name: "max", WidthMM: out.MaxWidthMM, HeightMM: out.MaxHeightMM})
	return out
}

// get fetches a small document.
func (d *Driver) getDoc(ctx context.Context, id, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := d.Client.Do(req)
	if err != nil {
		return nil, d.transportFault(ctx, id, 0, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocSize+1))
	if err != nil {
		return nil, d.transportFault(ctx, id, 0, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &capture.Fault{Kind: capture.FaultIO, Device: id, Err: fmt.Errorf("GET %s: HTTP %s", pathOf(u), resp.Status)}
	}
	return body, nil
}

func pathOf(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Path
	}
	return "?"
}

// transportFault classifies a failed HTTP exchange: a cancelled context is
// returned as is, a refused or unreachable connection means the device is
// gone, anything else is a communication error.
func (d *Driver) transportFault(ctx context.Context, id string, sheet int, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return &capture.Fault{Kind: capture.FaultUnplugged, Device: id, Sheet: sheet, Err: fmt.Errorf("%w: %w", capture.ErrNoDevice, err)}
	}
	return &capture.Fault{Kind: capture.FaultIO, Device: id, Sheet: sheet, Err: err}
}

func (d *Driver) fetchCaps(ctx context.Context, id, b string) (*ScannerCapabilities, error) {
	body, err := d.getDoc(ctx, id, b+"/ScannerCapabilities")
	if err != nil {
		return nil, err
	}
	c, err := ParseCapabilities(body)
	if err != nil {
		return nil, &capture.Fault{Kind: capture.FaultIO, Device: id, Err: err}
	}
	return c, nil
}

// Status reads /ScannerStatus of the device.
func (d *Driver) Status(ctx context.Context, id string) (*ScannerStatus, error) {
	b, err := base(id)
	if err != nil {
		return nil, err
	}
	body, err := d.getDoc(ctx, id, b+"/ScannerStatus")
	if err != nil {
		return nil, err
	}
	s, err := ParseStatus(body)
	if err != nil {
		return nil, &capture.Fault{Kind: capture.FaultIO, Device: id, Err: err}
	}
	return s, nil
}

// statusKind maps the scanner's state to a fault kind ("" when it shows no
// fault). An empty feeder is a fault only before the first page.
func statusKind(s *ScannerStatus, delivered int) capture.FaultKind {
	switch s.ADFState {
	case "ScannerAdfJam", "ScannerAdfMispick", "ScannerAdfMultipickDetected":
		return capture.FaultJammed
	case "ScannerAdfHatchOpen", "ScannerAdfDoorOpen":
		return capture.FaultCoverOpen
	case "ScannerAdfEmpty":
		if delivered == 0 {
			return capture.FaultNoDocs
		}
	case "ScannerAdfInputTrayFailed", "ScannerAdfInputTrayOverloaded":
		return capture.FaultOther
	}
	switch s.State {
	case "Stopped", "Down":
		return capture.FaultOther
	}
	return ""
}

// lock serialises jobs per device.
func (d *Driver) lock(ctx context.Context, b string) (func(), error) {
	d.mu.Lock()
	if d.locks == nil {
		d.locks = map[string]chan struct{}{}
	}
	l, ok := d.locks[b]
	if !ok {
		l = make(chan struct{}, 1)
		d.locks[b] = l
	}
	d.mu.Unlock()
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Scan runs one job with sheets numbered from 1. See ScanFrom.
func (d *Driver) Scan(ctx context.Context, id string, s capture.JobSettings, onPage func(capture.ScannedPage) error) error {
	return d.ScanFrom(ctx, id, s, 1, onPage)
}

// ScanFrom runs one job whose first sheet is numbered startSheet (to continue
// after a jam). It POSTs ScanSettings, then fetches NextDocument until the
// device answers 404 (job done); 503 means "not ready yet" and is retried
// after a short backoff. The platen gives one page. On cancel, a fault or an
// onPage error the job is DELETEd at the device. Pages are kept in the
// device's encoding (Encoded, Format "jpeg" or "png") and decoded in Image.
func (d *Driver) ScanFrom(ctx context.Context, id string, s capture.JobSettings, startSheet int, onPage func(capture.ScannedPage) error) error {
	if startSheet < 1 {
		startSheet = 1
	}
	b, err := base(id)
	if err != nil {
		return err
	}
	unlock, err := d.lock(ctx, b)
	if err != nil {
		return err
	}
	defer unlock()
	caps, err := d.fetchCaps(ctx, id, b)
	if err != nil {
		return err
	}
	settings, err := chooseSettings(caps, s)
	if err != nil {
		return &capture.Fault{Kind: capture.FaultUnsupported, Device: id, Err: err}
	}
	job, err := d.createJob(ctx, id, b, settings)
	if err != nil {
		return err
	}
	finished := false
	defer func() {
		if !finished {
			d.deleteJob(job)
		}
	}()
	feeder := settings.InputSource == "Feeder"
	delivered := 0
	for k := 0; ; k++ {
		sheet, back := startSheet+k, false
		if settings.Duplex {
			sheet, back = startSheet+k/2, k%2 == 1
		}
		page, done, err := d.nextDocument(ctx, id, job, sheet, delivered)
		if err != nil {
			return err
		}
		if done {
			finished = true
			return nil
		}
		page.Sheet, page.Back, page.DPI = sheet, back, settings.Resolution
		if err := onPage(page); err != nil {
			return err
		}
		delivered++
		if !feeder {
			return nil // platen: one page, then the job is deleted
		}
	}
}

// chooseSettings turns a capture job into eSCL settings the device offers.
func chooseSettings(c *ScannerCapabilities, s capture.JobSettings) (ScanSettings, error) {
	var st ScanSettings
	var in *InputCaps
	switch s.Source {
	case capture.SourceFlatbed, "":
		in, st.InputSource = c.Platen, "Platen"
		if s.Source == "" && in == nil {
			in, st.InputSource = c.ADFSimplex, "Feeder"
		}
	case capture.SourceADF:
		in, st.InputSource = c.ADFSimplex, "Feeder"
	case capture.SourceADFDuplex:
		in, st.InputSource, st.Duplex = c.ADFDuplex, "Feeder", true
	}
	if in == nil {
		return st, fmt.Errorf("the device has no %q source", s.Source)
	}
	mode := s.Mode
	if mode == "" {
		mode = capture.ModeGray
	}
	st.ColorMode = escMode(mode)
	if st.ColorMode == "" || !slices.Contains(in.ColorModes, st.ColorMode) {
		return st, fmt.Errorf("colour mode %q is not offered by this source", mode)
	}
	st.Resolution = s.Resolution
	if st.Resolution == 0 {
		st.Resolution = 300
		if !in.Supports(300) && len(in.Resolutions) > 0 {
			st.Resolution = in.Resolutions[len(in.Resolutions)-1]
		}
	}
	if !in.Supports(st.Resolution) {
		return st, fmt.Errorf("%d dpi is not offered by this source", st.Resolution)
	}
	// Per-page raster formats; PNG first for lineart (lossless), JPEG
	// first otherwise (smaller). PDF-only devices are not supported.
	prefs := []string{"image/jpeg", "image/png"}
	if mode == capture.ModeLineart {
		prefs = []string{"image/png", "image/jpeg"}
	}
	for _, f := range prefs {
		if slices.Contains(in.DocumentFormats, f) {
			st.DocumentFormat = f
			break
		}
	}
	if st.DocumentFormat == "" {
		return st, fmt.Errorf("the device offers no JPEG or PNG output (only %v)", in.DocumentFormats)
	}
	st.Width, st.Height = in.MaxWidth, in.MaxHeight
	if s.PageSize.WidthMM > 0 && s.PageSize.HeightMM > 0 {
		w, h := unitsOf(s.PageSize.WidthMM), unitsOf(s.PageSize.HeightMM)
		const slack = 12 // about 1 mm
		if w > in.MaxWidth+slack || h > in.MaxHeight+slack {
			return st, fmt.Errorf("page size %s is larger than the scan area", s.PageSize.Name)
		}
		st.Width, st.Height = max(min(w, in.MaxWidth), in.MinWidth), max(min(h, in.MaxHeight), in.MinHeight)
	}
	st.Intent = "TextAndGraphic"
	if !slices.Contains(in.Intents, st.Intent) {
		st.Intent = ""
	}
	return st, nil
}

// createJob POSTs the settings and returns the absolute job URL.
func (d *Driver) createJob(ctx context.Context, id, b string, st ScanSettings) (string, error) {
	body := st.Marshal()
	var loc string
	err := d.retryBusy(ctx, func() (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, b+"/ScanJobs", bytes.NewReader(body))
		if err != nil {
			return false, err
		}
		req.Header.Set("Content-Type", "text/xml")
		resp, err := d.Client.Do(req)
		if err != nil {
			return false, d.transportFault(ctx, id, 0, err)
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocSize))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusCreated:
			l := resp.Header.Get("Location")
			if l == "" {
				return false, &capture.Fault{Kind: capture.FaultIO, Device: id, Err: errors.New("POST ScanJobs: 201 without Location")}
			}
			u, err := resp.Request.URL.Parse(l)
			if err != nil {
				return false, &capture.Fault{Kind: capture.FaultIO, Device: id, Err: fmt.Errorf("POST ScanJobs: bad Location: %v", err)}
			}
			loc = strings.TrimRight(u.String(), "/")
			return false, nil
		case resp.StatusCode == http.StatusServiceUnavailable:
			return true, nil
		case resp.StatusCode == http.StatusBadRequest:
			return false, &capture.Fault{Kind: capture.FaultUnsupported, Device: id, Err: fmt.Errorf("POST ScanJobs: HTTP %s", resp.Status)}
		default:
			return false, d.deviceFault(ctx, id, 0, 0, fmt.Errorf("POST ScanJobs: HTTP %s", resp.Status), capture.FaultBusy)
		}
	})
	if errors.Is(err, errStillBusy) {
		return "", &capture.Fault{Kind: capture.FaultBusy, Device: id, Err: err}
	}
	return loc, err
}

var errStillBusy = errors.New("escl: device kept answering 503 Service Unavailable")

// retryBusy calls try until it says not to retry, waiting RetryDelay
// (doubling up to 2 s) between attempts, at most BusyTimeout in all.
func (d *Driver) retryBusy(ctx context.Context, try func() (retry bool, err error)) error {
	delay := d.RetryDelay
	if delay <= 0 {
		delay = 500 * time.Millisecond
	}
	limit := d.BusyTimeout
	if limit <= 0 {
		limit = 2 * time.Minute
	}
	deadline := time.Now().Add(limit)
	for {
		retry, err := try()
		if !retry || err != nil {
			return err
		}
		if time.Now().Add(delay).After(deadline) {
			return errStillBusy
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// deviceFault asks the scanner's status why a request failed and builds the
// fault; fallback is used when the status shows nothing.
func (d *Driver) deviceFault(ctx context.Context, id string, sheet, delivered int, cause error, fallback capture.FaultKind) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	kind := fallback
	if st, err := d.Status(ctx, id); err == nil {
		if k := statusKind(st, delivered); k != "" {
			kind = k
			cause = fmt.Errorf("%w (scanner state %s, feeder %s)", cause, st.State, st.ADFState)
		}
	}
	return &capture.Fault{Kind: kind, Device: id, Sheet: sheet, Err: cause}
}

// nextDocument fetches the next page of the job; done is true at 404.
func (d *Driver) nextDocument(ctx context.Context, id, job string, sheet, delivered int) (page capture.ScannedPage, done bool, err error) {
	err = d.retryBusy(ctx, func() (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, job+"/NextDocument", nil)
		if err != nil {
			return false, err
		}
		resp, err := d.Client.Do(req)
		if err != nil {
			return false, d.transportFault(ctx, id, sheet, err)
		}
		defer resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			data, err := io.ReadAll(io.LimitReader(resp.Body, maxImageSize+1))
			if err != nil {
				return false, d.transportFault(ctx, id, sheet, err)
			}
			if len(data) > maxImageSize {
				return false, &capture.Fault{Kind: capture.FaultIO, Device: id, Sheet: sheet, Err: errors.New("page larger than 512 MiB")}
			}
			page, err = decodePage(data, resp.Header.Get("Content-Type"))
			if err != nil {
				return false, &capture.Fault{Kind: capture.FaultIO, Device: id, Sheet: sheet, Err: err}
			}
			return false, nil
		case http.StatusNotFound:
			// End of job. A feeder that jammed also ends the job: the
			// status tells the two apart.
			io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocSize))
			if st, err := d.Status(ctx, id); err == nil {
				if k := statusKind(st, delivered); k != "" {
					return false, &capture.Fault{Kind: k, Device: id, Sheet: sheet,
						Err: fmt.Errorf("job ended (scanner state %s, feeder %s)", st.State, st.ADFState)}
				}
			}
			if delivered == 0 {
				return false, &capture.Fault{Kind: capture.FaultNoDocs, Device: id, Sheet: sheet, Err: errors.New("job ended without a page")}
			}
			done = true
			return false, nil
		case http.StatusServiceUnavailable:
			io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocSize))
			return true, nil
		default:
			io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocSize))
			fallback := capture.FaultIO
			if resp.StatusCode == http.StatusConflict {
				fallback = capture.FaultOther
			}
			return false, d.deviceFault(ctx, id, sheet, delivered, fmt.Errorf("GET NextDocument: HTTP %s", resp.Status), fallback)
		}
	})
	if errors.Is(err, errStillBusy) {
		err = &capture.Fault{Kind: capture.FaultBusy, Device: id, Sheet: sheet, Err: err}
	}
	return page, done, err
}

// decodePage decodes a JPEG or PNG page and keeps its bytes.
func decodePage(data []byte, contentType string) (capture.ScannedPage, error) {
	var p capture.ScannedPage
	ct, _, _ := strings.Cut(strings.ToLower(contentType), ";")
	ct = strings.TrimSpace(ct)
	var err error
	switch {
	case ct == "image/jpeg" || (ct != "image/png" && bytes.HasPrefix(data, []byte{0xFF, 0xD8})):
		p.Format = "jpeg"
		if err = checkSize(jpeg.DecodeConfig(bytes.NewReader(data))); err == nil {
			p.Image, err = jpeg.Decode(bytes.NewReader(data))
		}
	case ct == "image/png" || bytes.HasPrefix(data, []byte("\x89PNG")):
		p.Format = "png"
		if err = checkSize(png.DecodeConfig(bytes.NewReader(data))); err == nil {
			p.Image, err = png.Decode(bytes.NewReader(data))
		}
	default:
		return p, fmt.Errorf("escl: page in unsupported format %q", ct)
	}
	if err != nil {
		return p, fmt.Errorf("escl: decode %s page: %w", p.Format, err)
	}
	p.Encoded = data
	return p, nil
}

func checkSize(c image.Config, err error) error {
	if err != nil {
		return err
	}
	if c.Width <= 0 || c.Height <= 0 || int64(c.Width)*int64(c.Height) > 1<<30 {
		return fmt.Errorf("image size %dx%d out of bounds", c.Width, c.Height)
	}
	return nil
}

// deleteJob cancels the job at the device. It uses its own short context, so
// that it also runs after the job's context was cancelled.
func (d *Driver) deleteJob(job string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, job, nil)
	if err != nil {
		return
	}
	if resp, err := d.Client.Do(req); err == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocSize))
		resp.Body.Close()
	}
}
