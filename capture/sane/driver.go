package sane

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/sohoa/sohoa/capture"
)

// IDPrefix starts every device ID this driver hands out ("sane:test:0").
const IDPrefix = "sane:"

var _ capture.Scanner = (*Driver)(nil)

// ErrClosed is returned by a Driver used after Close.
var ErrClosed = errors.New("sane: driver closed")

// Driver is the SANE implementation of capture.Scanner. Create it with New and
// Close it when done; several Drivers may exist, libsane is initialised once.
type Driver struct {
	globalMu sync.Mutex // serialises sane_get_devices and sane_open

	mu     sync.Mutex
	extras []extraOption
	devs   map[string]chan struct{} // per-device job lock (1-slot semaphore)
	closed bool
}

type extraOption struct{ name, value string }

// New initialises libsane (once per process) and returns a driver. SANE reads
// its configuration (SANE_CONFIG_DIR) at this first initialisation.
func New() (*Driver, error) {
	if err := libInit(); err != nil {
		return nil, err
	}
	return &Driver{devs: map[string]chan struct{}{}}, nil
}

// Close releases the driver; the last Close in the process calls sane_exit.
// It waits for running jobs to finish (cancel their contexts first).
func (d *Driver) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	locks := make([]chan struct{}, 0, len(d.devs))
	for _, l := range d.devs {
		locks = append(locks, l)
	}
	d.mu.Unlock()
	for _, l := range locks { // wait until no job holds a device
		l <- struct{}{}
	}
	libExit()
	return nil
}

// SetExtraOption sets a backend-specific SANE option by its name (as listed
// by `scanimage --help -d DEVICE`, without the leading dashes) for every
// following job, after the standard options. Values are parsed according to
// the option's type: "yes"/"no" for booleans, decimal numbers, or text.
// Options are applied in the order first set. An option set while a job runs
// is applied before that job's next sheet is fed. An empty value removes the
// option from the list; note that backends may keep a value set earlier for
// as long as libsane stays initialised, so set the default value explicitly
// (e.g. "Default" or "no") to undo an option.
func (d *Driver) SetExtraOption(name, value string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, e := range d.extras {
		if e.name == name {
			if value == "" {
				d.extras = slices.Delete(d.extras, i, i+1)
			} else {
				d.extras[i].value = value
			}
			return
		}
	}
	if value != "" {
		d.extras = append(d.extras, extraOption{name, value})
	}
}

func (d *Driver) extraOptions() []extraOption {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.extras)
}

// Devices lists the devices SANE can reach now.
func (d *Driver) Devices(ctx context.Context) ([]capture.Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	list, err := d.list()
	if err != nil {
		return nil, err
	}
	out := make([]capture.Device, 0, len(list))
	for _, di := range list {
		label := strings.TrimSpace(di.vendor + " " + di.model)
		if label == "" {
			label = di.name
		}
		out = append(out, capture.Device{
			ID:     IDPrefix + di.name,
			Driver: "sane",
			Vendor: di.vendor,
			Model:  di.model,
			Label:  label + " (" + di.name + ")",
		})
	}
	return out, nil
}

func (d *Driver) list() ([]devInfo, error) {
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	d.globalMu.Lock()
	defer d.globalMu.Unlock()
	return listDevices()
}

// lock takes the per-device job lock, honouring ctx.
func (d *Driver) lock(ctx context.Context, name string) (unlock func(), err error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, ErrClosed
	}
	l, ok := d.devs[name]
	if !ok {
		l = make(chan struct{}, 1)
		d.devs[name] = l
	}
	d.mu.Unlock()
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func deviceName(id string) (string, error) {
	name, ok := strings.CutPrefix(id, IDPrefix)
	if !ok || name == "" {
		return "", fmt.Errorf("%w: %q is not a SANE device ID", capture.ErrNoDevice, id)
	}
	return name, nil
}

// open locks and opens the device; release closes and unlocks it.
func (d *Driver) open(ctx context.Context, id string) (h *handle, release func(), err error) {
	name, err := deviceName(id)
	if err != nil {
		return nil, nil, err
	}
	unlock, err := d.lock(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	d.globalMu.Lock()
	h, err = openHandle(name)
	d.globalMu.Unlock()
	if err != nil {
		unlock()
		var st status
		if errors.As(err, &st) && st != statusDeviceBusy && st != statusAccessDen && !d.present(name) {
			return nil, nil, &capture.Fault{Kind: capture.FaultUnplugged, Device: id,
				Err: fmt.Errorf("%w: sane_open: %w", capture.ErrNoDevice, err)}
		}
		return nil, nil, d.fault(id, 0, fmt.Errorf("sane_open: %w", err))
	}
	return h, func() { h.close(); unlock() }, nil
}

// present reports whether SANE still lists the device.
func (d *Driver) present(name string) bool {
	list, err := d.list()
	if err != nil {
		return false
	}
	for _, di := range list {
		if di.name == name {
			return true
		}
	}
	return false
}

// fault maps a SANE error to a *capture.Fault.
func (d *Driver) fault(id string, sheet int, err error) error {
	kind := capture.FaultOther
	var st status
	if errors.As(err, &st) {
		switch st {
		case statusJammed:
			kind = capture.FaultJammed
		case statusCoverOpen:
			kind = capture.FaultCoverOpen
		case statusNoDocs:
			kind = capture.FaultNoDocs
		case statusDeviceBusy:
			kind = capture.FaultBusy
		case statusIOError:
			kind = capture.FaultIO
		case statusInval, statusUnsupported:
			kind = capture.FaultUnsupported
		}
	} else if errors.Is(err, errBadFrame) {
		kind = capture.FaultIO
	} else if errors.Is(err, errUnsupportedSetting) {
		kind = capture.FaultUnsupported
	}
	return &capture.Fault{Kind: kind, Device: id, Sheet: sheet, Err: err}
}

var errUnsupportedSetting = errors.New("setting not offered by the device")

// Standard SANE option names (saneopts.h).
const (
	optSource     = "source"
	optMode       = "mode"
	optDepth      = "depth"
	optResolution = "resolution"
	optTLX        = "tl-x"
	optTLY        = "tl-y"
	optBRX        = "br-x"
	optBRY        = "br-y"
)

// classifySource maps a backend's source name to a capture.Source ("" if unknown).
func classifySource(s string) capture.Source {
	l := strings.ToLower(s)
	switch {
	case strings.Contains(l, "duplex"):
		return capture.SourceADFDuplex
	case strings.Contains(l, "adf"), strings.Contains(l, "feeder"), strings.Contains(l, "automatic document"):
		return capture.SourceADF
	case strings.Contains(l, "flatbed"), strings.Contains(l, "platen"), l == "normal":
		return capture.SourceFlatbed
	}
	return ""
}

// classifyMode maps a backend's mode name to a capture.ColorMode ("" if unknown).
func classifyMode(s string) capture.ColorMode {
	l := strings.ToLower(s)
	switch {
	case strings.Contains(l, "lineart"), strings.Contains(l, "binary"), strings.Contains(l, "black & white"),
		strings.Contains(l, "black and white"), l == "bw", l == "mono":
		return capture.ModeLineart
	case strings.Contains(l, "gray"), strings.Contains(l, "grey"):
		return capture.ModeGray
	case strings.Contains(l, "color"), strings.Contains(l, "colour"):
		return capture.ModeColor
	}
	return ""
}

// standardDPI are the resolutions offered when a device accepts a range.
var standardDPI = []int{75, 100, 150, 200, 240, 300, 400, 600, 1200}

// PageSizes are the common paper sizes offered when they fit the device.
var PageSizes = []capture.PageSize{
	{Name: "A4", WidthMM: 210, HeightMM: 297},
	{Name: "A5", WidthMM: 148, HeightMM: 210},
	{Name: "B5", WidthMM: 176, HeightMM: 250},
	{Name: "Letter", WidthMM: 215.9, HeightMM: 279.4},
	{Name: "Legal", WidthMM: 215.9, HeightMM: 355.6},
}

// Capabilities opens the device and reads its source, mode, resolution and
// geometry options.
func (d *Driver) Capabilities(ctx context.Context, id string) (capture.Capabilities, error) {
	h, release, err := d.open(ctx, id)
	if err != nil {
		return capture.Capabilities{}, err
	}
	defer release()
	return capabilitiesOf(h.options()), nil
}

func capabilitiesOf(opts []option) capture.Capabilities {
	var c capture.Capabilities
	byName := map[string]option{}
	for _, o := range opts {
		if o.typ != typeGroup && o.name != "" {
			byName[o.name] = o
		}
	}
	if o, ok := byName[optSource]; ok && len(o.strings) > 0 {
		for _, s := range o.strings {
			if src := classifySource(s); src != "" && !slices.Contains(c.Sources, src) {
				c.Sources = append(c.Sources, src)
			}
		}
	}
	if len(c.Sources) == 0 {
		c.Sources = []capture.Source{capture.SourceFlatbed}
	}
	if o, ok := byName[optMode]; ok {
		for _, s := range o.strings {
			if m := classifyMode(s); m != "" && !slices.Contains(c.Modes, m) {
				c.Modes = append(c.Modes, m)
			}
		}
	}
	if dep, ok := byName[optDepth]; ok && slices.Contains(c.Modes, capture.ModeGray) &&
		!slices.Contains(c.Modes, capture.ModeLineart) && allows(dep, 1) {
		c.Modes = append([]capture.ColorMode{capture.ModeLineart}, c.Modes...)
	}
	if o, ok := byName[optResolution]; ok {
		switch {
		case len(o.words) > 0:
			for _, w := range o.words {
				c.Resolutions = append(c.Resolutions, int(math.Round(w)))
			}
		case o.hasRange:
			for _, r := range standardDPI {
				if allows(o, float64(r)) {
					c.Resolutions = append(c.Resolutions, r)
				}
			}
		}
	}
	slices.Sort(c.Resolutions)
	c.Resolutions = slices.Compact(c.Resolutions)
	if bx, ok := byName[optBRX]; ok && bx.hasRange && bx.unit == unitMM {
		c.MaxWidthMM = bx.max
		if tx, ok := byName[optTLX]; ok && tx.hasRange {
			c.MaxWidthMM -= tx.min
		}
	}
	if by, ok := byName[optBRY]; ok && by.hasRange && by.unit == unitMM {
		c.MaxHeightMM = by.max
		if ty, ok := byName[optTLY]; ok && ty.hasRange {
			c.MaxHeightMM -= ty.min
		}
	}
	for _, ps := range PageSizes {
		if ps.WidthMM <= c.MaxWidthMM+0.5 && ps.HeightMM <= c.MaxHeightMM+0.5 {
			c.PageSizes = append(c.PageSizes, ps)
		}
	}
	if c.MaxWidthMM > 0 && c.MaxHeightMM > 0 {
		c.PageSizes = append(c.PageSizes, capture.PageSize{Name: "max", WidthMM: c.MaxWidthMM, HeightMM: c.MaxHeightMM})
	}
	return c
}

// allows reports whether the option's constraint accepts v.
func allows(o option, v float64) bool {
	switch {
	case len(o.words) > 0:
		return slices.Contains(o.words, v)
	case o.hasRange:
		if v < o.min || v > o.max {
			return false
		}
		if o.quant > 0 {
			steps := (v - o.min) / o.quant
			return math.Abs(steps-math.Round(steps)) < 1e-6
		}
		return true
	}
	return o.constraint == 0
}
