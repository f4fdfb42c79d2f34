package escl

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrBadXML is wrapped by every error about a malformed eSCL document.
var ErrBadXML = errors.New("escl: malformed XML document")

// Namespaces of eSCL documents.
const (
	nsScan = "http://schemas.hp.com/imaging/escl/2011/05/03"
	nsPWG  = "http://www.pwg.org/schemas/2010/12/sm"
)

// maxDocSize bounds capability and status documents.
const maxDocSize = 4 << 20

// ScannerCapabilities is the parsed /eSCL/ScannerCapabilities document.
// Sizes are in 1/300 inch, as eSCL sends them.
type ScannerCapabilities struct {
	Version        string
	MakeAndModel   string
	Manufacturer   string
	Platen         *InputCaps // nil when the device has no flatbed
	ADFSimplex     *InputCaps // nil when the device has no feeder
	ADFDuplex      *InputCaps // nil when the feeder cannot scan both sides
	FeederCapacity int
	ADFOptions     []string
}

// InputCaps is what one input source (Platen, Adf simplex, Adf duplex) offers;
// the lists are the union over its setting profiles.
type InputCaps struct {
	MinWidth, MaxWidth, MinHeight, MaxHeight int // 1/300 inch
	ColorModes                               []string
	DocumentFormats                          []string // DocumentFormat and DocumentFormatExt
	Resolutions                              []int    // discrete resolutions (X = Y)
	ResolutionRanges                         []ResolutionRange
	Intents                                  []string
}

// ResolutionRange is an XResolutionRange of a device.
type ResolutionRange struct{ Min, Max, Normal, Step int }

// Supports reports whether the source accepts the resolution.
func (c *InputCaps) Supports(dpi int) bool {
	if slices.Contains(c.Resolutions, dpi) {
		return true
	}
	for _, r := range c.ResolutionRanges {
		if dpi >= r.Min && dpi <= r.Max && (r.Step <= 0 || (dpi-r.Min)%r.Step == 0) {
			return true
		}
	}
	return false
}

type xmlRange struct {
	Min    int `xml:"Min"`
	Max    int `xml:"Max"`
	Normal int `xml:"Normal"`
	Step   int `xml:"Step"`
}

type xmlProfile struct {
	ColorModes []string `xml:"ColorModes>ColorMode"`
	Formats    []string `xml:"DocumentFormats>DocumentFormat"`
	FormatsExt []string `xml:"DocumentFormats>DocumentFormatExt"`
	Discrete   []struct {
		X int `xml:"XResolution"`
		Y int `xml:"YResolution"`
	} `xml:"SupportedResolutions>DiscreteResolutions>DiscreteResolution"`
	XRange *xmlRange `xml:"SupportedResolutions>ResolutionRange>XResolutionRange"`
}

type xmlInputCaps struct {
	MinWidth   int          `xml:"MinWidth"`
	MaxWidth   int          `xml:"MaxWidth"`
	MinHeight  int          `xml:"MinHeight"`
	MaxHeight  int          `xml:"MaxHeight"`
	Profiles   []xmlProfile `xml:"SettingProfiles>SettingProfile"`
	Intents    []string     `xml:"SupportedIntents>Intent"`
	IntentsAlt []string     `xml:"SupportedIntents>SupportedIntent"` // Kyocera spells it this way
}

type xmlCaps struct {
	XMLName      xml.Name
	Version      string `xml:"Version"`
	MakeAndModel string `xml:"MakeAndModel"`
	Manufacturer string `xml:"Manufacturer"`
	Platen       *struct {
		Caps *xmlInputCaps `xml:"PlatenInputCaps"`
	} `xml:"Platen"`
	Adf *struct {
		Simplex        *xmlInputCaps `xml:"AdfSimplexInputCaps"`
		Duplex         *xmlInputCaps `xml:"AdfDuplexInputCaps"`
		FeederCapacity int           `xml:"FeederCapacity"`
		Options        []string      `xml:"AdfOptions>AdfOption"`
	} `xml:"Adf"`
}

func decodeDoc(data []byte, root string, v any) error {
	if len(data) > maxDocSize {
		return fmt.Errorf("%w: %s larger than %d bytes", ErrBadXML, root, maxDocSize)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadXML, root, err)
	}
	return nil
}

// ParseCapabilities parses a ScannerCapabilities document.
func ParseCapabilities(data []byte) (*ScannerCapabilities, error) {
	var x xmlCaps
	if err := decodeDoc(data, "ScannerCapabilities", &x); err != nil {
		return nil, err
	}
	if x.XMLName.Local != "ScannerCapabilities" {
		return nil, fmt.Errorf("%w: root element is %q, want ScannerCapabilities", ErrBadXML, x.XMLName.Local)
	}
	c := &ScannerCapabilities{
		Version:      strings.TrimSpace(x.Version),
		MakeAndModel: strings.TrimSpace(x.MakeAndModel),
		Manufacturer: strings.TrimSpace(x.Manufacturer),
	}
	var err error
	if x.Platen != nil && x.Platen.Caps != nil {
		if c.Platen, err = inputCaps(x.Platen.Caps, "Platen"); err != nil {
			return nil, err
		}
	}
	if x.Adf != nil {
		if x.Adf.Simplex != nil {
			if c.ADFSimplex, err = inputCaps(x.Adf.Simplex, "AdfSimplex"); err != nil {
				return nil, err
			}
		}
		if x.Adf.Duplex != nil {
			if c.ADFDuplex, err = inputCaps(x.Adf.Duplex, "AdfDuplex"); err != nil {
				return nil, err
			}
		}
		c.FeederCapacity = x.Adf.FeederCapacity
		c.ADFOptions = trimAll(x.Adf.Options)
	}
	if c.Platen == nil && c.ADFSimplex == nil && c.ADFDuplex == nil {
		return nil, fmt.Errorf("%w: ScannerCapabilities lists no input source", ErrBadXML)
	}
	return c, nil
}

func trimAll(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func inputCaps(x *xmlInputCaps, name string) (*InputCaps, error) {
	if x.MaxWidth <= 0 || x.MaxHeight <= 0 || x.MinWidth < 0 || x.MinHeight < 0 ||
		x.MaxWidth > 300*1000 || x.MaxHeight > 300*1000 {
		return nil, fmt.Errorf("%w: %s: bad size range %dx%d..%dx%d", ErrBadXML, name, x.MinWidth, x.MinHeight, x.MaxWidth, x.MaxHeight)
	}
	c := &InputCaps{MinWidth: x.MinWidth, MaxWidth: x.MaxWidth, MinHeight: x.MinHeight, MaxHeight: x.MaxHeight}
	for _, p := range x.Profiles {
		c.ColorModes = append(c.ColorModes, p.ColorModes...)
		c.DocumentFormats = append(c.DocumentFormats, p.Formats...)
		c.DocumentFormats = append(c.DocumentFormats, p.FormatsExt...)
		for _, d := range p.Discrete {
			if d.X > 0 && !slices.Contains(c.Resolutions, d.X) {
				c.Resolutions = append(c.Resolutions, d.X)
			}
		}
		if r := p.XRange; r != nil && r.Min > 0 && r.Max >= r.Min {
			c.ResolutionRanges = append(c.ResolutionRanges, ResolutionRange{r.Min, r.Max, r.Normal, r.Step})
		}
	}
	c.ColorModes = trimAll(c.ColorModes)
	c.DocumentFormats = trimAll(c.DocumentFormats)
	c.Intents = trimAll(append(x.Intents, x.IntentsAlt...))
	slices.Sort(c.Resolutions)
	if len(c.ColorModes) == 0 {
		return nil, fmt.Errorf("%w: %s offers no colour mode", ErrBadXML, name)
	}
	if len(c.Resolutions) == 0 && len(c.ResolutionRanges) == 0 {
		return nil, fmt.Errorf("%w: %s offers no resolution", ErrBadXML, name)
	}
	return c, nil
}

// ScannerStatus is the parsed /eSCL/ScannerStatus document.
type ScannerStatus struct {
	State    string // Idle, Processing, Testing, Stopped, Down
	ADFState string // e.g. ScannerAdfLoaded, ScannerAdfEmpty, ScannerAdfJam
	Jobs     []JobInfo
}

// JobInfo is one job listed in ScannerStatus.
type JobInfo struct {
	URI              string
	UUID             string
	State            string // Pending, Processing, Completed, Canceled, Aborted
	Reasons          []string
	ImagesCompleted  int
	ImagesToTransfer int
}

type xmlStatus struct {
	XMLName  xml.Name
	State    string `xml:"State"`
	ADFState string `xml:"AdfState"`
	Jobs     []struct {
		URI              string   `xml:"JobUri"`
		UUID             string   `xml:"JobUuid"`
		State            string   `xml:"JobState"`
		Reasons          []string `xml:"JobStateReasons>JobStateReason"`
		ImagesCompleted  int      `xml:"ImagesCompleted"`
		ImagesToTransfer int      `xml:"ImagesToTransfer"`
	} `xml:"Jobs>JobInfo"`
}

// ParseStatus parses a ScannerStatus document.
func ParseStatus(data []byte) (*ScannerStatus, error) {
	var x xmlStatus
	if err := decodeDoc(data, "ScannerStatus", &x); err != nil {
		return nil, err
	}
	if x.XMLName.Local != "ScannerStatus" {
		return nil, fmt.Errorf("%w: root element is %q, want ScannerStatus", ErrBadXML, x.XMLName.Local)
	}
	s := &ScannerStatus{State: strings.TrimSpace(x.State), ADFState: strings.TrimSpace(x.ADFState)}
	if s.State == "" {
		return nil, fmt.Errorf("%w: ScannerStatus has no State", ErrBadXML)
	}
	for _, j := range x.Jobs {
		s.Jobs = append(s.Jobs, JobInfo{
			URI: strings.TrimSpace(j.URI), UUID: strings.TrimSpace(j.UUID), State: strings.TrimSpace(j.State),
			Reasons: trimAll(j.Reasons), ImagesCompleted: j.ImagesCompleted, ImagesToTransfer: j.ImagesToTransfer,
		})
	}
	return s, nil
}

// ScanSettings is the body of POST /eSCL/ScanJobs.
type ScanSettings struct {
	InputSource    string // Platen, Feeder
	Duplex         bool
	ColorMode      string // RGB24, Grayscale8, BlackAndWhite1
	Resolution     int
	Width, Height  int // 1/300 inch
	XOffset        int
	YOffset        int
	DocumentFormat string // image/jpeg, image/png
	Intent         string // Document, TextAndGraphic, Photo, Preview ("" = none)
}

// Marshal writes the ScanSettings XML document (eSCL 2.0 layout, as sent by
// sane-airscan in the recorded traces, plus DocumentFormatExt and Intent).
func (s ScanSettings) Marshal() []byte {
	var b bytes.Buffer
	esc := func(v string) string {
		var e bytes.Buffer
		xml.EscapeText(&e, []byte(v))
		return e.String()
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<scan:ScanSettings xmlns:pwg="%s" xmlns:scan="%s">`+"\n", nsPWG, nsScan)
	b.WriteString("  <pwg:Version>2.0</pwg:Version>\n")
	if s.Intent != "" {
		fmt.Fprintf(&b, "  <scan:Intent>%s</scan:Intent>\n", esc(s.Intent))
	}
	b.WriteString("  <pwg:ScanRegions>\n    <pwg:ScanRegion>\n")
	b.WriteString("      <pwg:ContentRegionUnits>escl:ThreeHundredthsOfInches</pwg:ContentRegionUnits>\n")
	fmt.Fprintf(&b, "      <pwg:XOffset>%d</pwg:XOffset>\n      <pwg:YOffset>%d</pwg:YOffset>\n", s.XOffset, s.YOffset)
	fmt.Fprintf(&b, "      <pwg:Width>%d</pwg:Width>\n      <pwg:Height>%d</pwg:Height>\n", s.Width, s.Height)
	b.WriteString("    </pwg:ScanRegion>\n  </pwg:ScanRegions>\n")
	fmt.Fprintf(&b, "  <pwg:InputSource>%s</pwg:InputSource>\n", esc(s.InputSource))
	if s.InputSource == "Feeder" {
		fmt.Fprintf(&b, "  <scan:Duplex>%t</scan:Duplex>\n", s.Duplex)
	}
	fmt.Fprintf(&b, "  <scan:ColorMode>%s</scan:ColorMode>\n", esc(s.ColorMode))
	fmt.Fprintf(&b, "  <pwg:DocumentFormat>%s</pwg:DocumentFormat>\n", esc(s.DocumentFormat))
	fmt.Fprintf(&b, "  <scan:DocumentFormatExt>%s</scan:DocumentFormatExt>\n", esc(s.DocumentFormat))
	fmt.Fprintf(&b, "  <scan:XResolution>%d</scan:XResolution>\n  <scan:YResolution>%d</scan:YResolution>\n", s.Resolution, s.Resolution)
	b.WriteString("</scan:ScanSettings>\n")
	return b.Bytes()
}
