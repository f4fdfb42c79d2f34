package capture

import (
	"context"
	"errors"
	"fmt"
	"image"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Source is where a scanner takes paper from.
type Source string

const (
	SourceFlatbed   Source = "flatbed"
	SourceADF       Source = "adf"
	SourceADFDuplex Source = "duplex"
)

// ColorMode is the pixel format a scan job asks for.
type ColorMode string

const (
	ModeLineart ColorMode = "lineart" // 1-bit black and white
	ModeGray    ColorMode = "gray"    // 8-bit grey
	ModeColor   ColorMode = "color"   // 24-bit RGB
)

// Device names one scanner that a driver found.
type Device struct {
	ID     string // driver-qualified identifier, e.g. "sane:test:0" or "escl:http://10.0.0.5/eSCL"
	Driver string // "sane", "escl", ...
	Vendor string
	Model  string
	Label  string // human-readable name for lists
}

// PageSize is a supported or requested scan area in millimetres.
type PageSize struct {
	Name              string // "A4", "Letter", "max"
	WidthMM, HeightMM float64
}

// Capabilities is what a device can do.
type Capabilities struct {
	Sources     []Source
	Resolutions []int // dots per inch; may be a sampled list when the device accepts a range
	Modes       []ColorMode
	MaxWidthMM  float64
	MaxHeightMM float64
	PageSizes   []PageSize
}

// JobSettings is one scan request.
type JobSettings struct {
	Source     Source
	Resolution int
	Mode       ColorMode
	PageSize   PageSize // zero value = the device's maximum area
}

// ScannedPage is one side of one sheet, as it came out of the device.
type ScannedPage struct {
	Sheet int  // 1-based sheet number within the job
	Back  bool // true for the back side in duplex jobs
	Image image.Image
	DPI   int
	// Encoded, when non-nil, is the device's own encoding of Image (e.g. JPEG from eSCL),
	// with Format naming it ("jpeg", "png"); storing it avoids a re-encode.
	Encoded []byte
	Format  string
}

// Scanner is one driver (SANE, eSCL, ...). Every method honours ctx cancellation.
type Scanner interface {
	// Devices lists the devices this driver can reach now.
	Devices(ctx context.Context) ([]Device, error)
	// Capabilities reads what a device supports.
	Capabilities(ctx context.Context, deviceID string) (Capabilities, error)
	// Scan starts a job and calls onPage for every page as soon as it is received, in order.
	// If onPage returns an error the job is cancelled and that error returned. A device
	// fault ends the job with a *Fault error; pages already passed to onPage stay passed.
	// Cancelling ctx cancels the job at the device.
	Scan(ctx context.Context, deviceID string, settings JobSettings, onPage func(ScannedPage) error) error
}

// FaultKind classifies scanner faults so that the UI can tell the clerk what to do.
type FaultKind string

const (
	FaultJammed      FaultKind = "jammed"
	FaultCoverOpen   FaultKind = "cover_open"
	FaultNoDocs      FaultKind = "no_docs" // feeder empty before the first page
	FaultBusy        FaultKind = "busy"
	FaultIO          FaultKind = "io_error"
	FaultUnplugged   FaultKind = "unplugged"
	FaultUnsupported FaultKind = "unsupported" // settings the device refuses
	FaultOther       FaultKind = "other"
)

// Fault is a scanner fault. Its message for the clerk (Localize) is in Vietnamese or English and
// carries no personal data.
type Fault struct {
	Kind   FaultKind
	Device string
	Sheet  int   // sheet being fed when the fault happened (0 = before any)
	Err    error // the driver's own error
}

func (f *Fault) Error() string {
	return fmt.Sprintf("scanner %s: %s (sheet %d): %v", f.Device, f.Kind, f.Sheet, f.Err)
}

func (f *Fault) Unwrap() error { return f.Err }

// Localize is the message for the clerk in lang: what happened and what to do.
func (f *Fault) Localize(lang string) string {
	switch f.Kind {
	case FaultJammed, FaultCoverOpen, FaultNoDocs, FaultBusy, FaultIO, FaultUnplugged, FaultUnsupported:
		return l10n.T(lang, "capture.fault."+string(f.Kind))
	}
	return l10n.T(lang, "capture.fault."+string(FaultOther))
}

// ErrNoDevice is returned when a device ID names no reachable device.
var ErrNoDevice = errors.New("capture: no such scanner")
