package sane

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"strings"

	"github.com/sohoa/sohoa/capture"
)

// Scan runs one job; sheets are numbered from 1. See ScanFrom.
func (d *Driver) Scan(ctx context.Context, id string, s capture.JobSettings, onPage func(capture.ScannedPage) error) error {
	return d.ScanFrom(ctx, id, s, 1, onPage)
}

// ScanFrom runs one job whose first sheet is numbered startSheet, so that a
// job interrupted by a fault (a jam, say) can be continued with the next
// sheet number once the clerk has cleared it.
//
// A flatbed job delivers one page. A feeder job delivers pages until the
// feeder is empty (SANE_STATUS_NO_DOCS after at least one page, the normal
// end); an empty feeder before the first page is a FaultNoDocs. In duplex
// jobs the device sends front and back of each sheet in turn. Pages already
// passed to onPage stay passed when a fault ends the job. Cancelling ctx
// stops the job as soon as the running SANE call returns (sane_cancel is
// forced from another goroutine only if the device stays silent; see handle)
// and Scan returns ctx.Err(); the device is always closed on return.
func (d *Driver) ScanFrom(ctx context.Context, id string, s capture.JobSettings, startSheet int, onPage func(capture.ScannedPage) error) error {
	if startSheet < 1 {
		startSheet = 1
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	h, release, err := d.open(ctx, id)
	if err != nil {
		return err
	}
	defer release()
	stop := context.AfterFunc(ctx, h.cancel)
	defer stop()

	job, err := configure(h, s)
	if err != nil {
		return d.fault(id, 0, err)
	}
	applied := map[string]string{}
	if err := applyExtras(h, d.extraOptions(), applied); err != nil {
		return d.fault(id, 0, err)
	}

	delivered := 0
	for k := 0; ; k++ {
		sheet, back := sheetOf(startSheet, k, job.duplex)
		if err := ctx.Err(); err != nil {
			return err
		}
		if k > 0 {
			// Options set while the job runs apply from this sheet on.
			if err := applyExtras(h, d.extraOptions(), applied); err != nil {
				return d.fault(id, sheet, err)
			}
		}
		img, err := readPage(ctx, h)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			var st status
			if errors.As(err, &st) && st == statusNoDocs && delivered > 0 && !back {
				return nil // feeder empty: normal end of a feeder job
			}
			if errors.As(err, &st) && st == statusIOError {
				h.close()
				if name, _ := deviceName(id); !d.present(name) {
					return &capture.Fault{Kind: capture.FaultUnplugged, Device: id, Sheet: sheet,
						Err: fmt.Errorf("%w: %w", capture.ErrNoDevice, err)}
				}
			}
			return d.fault(id, sheet, err)
		}
		page := capture.ScannedPage{Sheet: sheet, Back: back, Image: img, DPI: job.dpi}
		if err := onPage(page); err != nil {
			return err
		}
		delivered++
		if !job.feeder {
			return nil
		}
	}
}

// readPage starts one page and reads all its frames.
func readPage(ctx context.Context, h *handle) (image.Image, error) {
	var frames []frame
	for {
		if err := h.start(); err != nil {
			return nil, err
		}
		p, err := h.parameters()
		if err != nil {
			return nil, fmt.Errorf("sane_get_parameters: %w", err)
		}
		f := frame{p: p}
		if p.lines > 0 && p.bytesPerLine > 0 && int64(p.lines)*int64(p.bytesPerLine) < 1<<31 {
			f.data = make([]byte, 0, p.lines*p.bytesPerLine)
		}
		for {
			var st status
			f.data, st = h.read(f.data)
			if st == statusEOF {
				break
			}
			if st != statusGood {
				if len(f.data) == 0 {
					h.settle()
				}
				return nil, st
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if len(f.data) > maxPixels*6 {
				return nil, fmt.Errorf("%w: page larger than %d bytes", errBadFrame, maxPixels*6)
			}
		}
		frames = append(frames, f)
		if p.lastFrame || len(frames) >= 3 {
			break
		}
	}
	img, err := assemble(frames)
	if err != nil {
		return nil, err
	}
	return img, nil
}

// jobConfig is what configure found out about the job.
type jobConfig struct {
	dpi    int
	feeder bool
	duplex bool
}

// configure sets source, mode, depth, resolution and scan area.
func configure(h *handle, s capture.JobSettings) (jobConfig, error) {
	var job jobConfig
	if s.Source != "" {
		o, ok := h.find(optSource)
		switch {
		case ok && o.active && len(o.strings) > 0:
			val := ""
			for _, v := range o.strings {
				if classifySource(v) == s.Source {
					val = v
					break
				}
			}
			if val == "" {
				return job, fmt.Errorf("source %q: %w", s.Source, errUnsupportedSetting)
			}
			if err := h.setString(optSource, val); err != nil {
				return job, err
			}
		case s.Source != capture.SourceFlatbed:
			return job, fmt.Errorf("source %q: %w", s.Source, errUnsupportedSetting)
		}
	}
	src := s.Source
	if src == "" {
		src = capture.SourceFlatbed
		if o, ok := h.find(optSource); ok {
			if cur, err := h.getString(o); err == nil && classifySource(cur) != "" {
				src = classifySource(cur)
			}
		}
	}
	job.feeder = src == capture.SourceADF || src == capture.SourceADFDuplex
	job.duplex = src == capture.SourceADFDuplex

	if s.Mode != "" {
		if err := setMode(h, s.Mode); err != nil {
			return job, err
		}
	}
	if o, ok := h.find(optResolution); ok && o.active {
		if s.Resolution > 0 {
			if err := h.setNumber(o, float64(s.Resolution)); err != nil {
				return job, err
			}
		}
		if v, err := h.getNumber(o); err == nil {
			job.dpi = int(math.Round(v))
		}
	} else if s.Resolution > 0 {
		return job, fmt.Errorf("resolution: %w", errUnsupportedSetting)
	}
	if err := setArea(h, s.PageSize); err != nil {
		return job, err
	}
	return job, nil
}

// setMode picks the device's mode name for m; lineart falls back to grey at
// depth 1 when the device has no lineart mode but offers depth 1 (as SANE's
// test backend does).
func setMode(h *handle, m capture.ColorMode) error {
	o, ok := h.find(optMode)
	if !ok || !o.active {
		return fmt.Errorf("mode %q: %w", m, errUnsupportedSetting)
	}
	pick := func(want capture.ColorMode) string {
		for _, v := range o.strings {
			if classifyMode(v) == want {
				return v
			}
		}
		return ""
	}
	depth := 8
	val := pick(m)
	if val == "" && m == capture.ModeLineart {
		val, depth = pick(capture.ModeGray), 1
	}
	if val == "" {
		return fmt.Errorf("mode %q: %w", m, errUnsupportedSetting)
	}
	if err := h.setString(optMode, val); err != nil {
		return err
	}
	dep, ok := h.find(optDepth)
	if !ok || !dep.active || !dep.settable {
		if depth == 1 {
			return fmt.Errorf("mode %q: %w", m, errUnsupportedSetting)
		}
		return nil
	}
	if m == capture.ModeLineart && classifyMode(val) == capture.ModeLineart {
		return nil // a real lineart mode sets its own depth
	}
	if !allows(dep, float64(depth)) {
		if depth == 1 {
			return fmt.Errorf("mode %q: %w", m, errUnsupportedSetting)
		}
		return nil // keep the device's depth; frames say what comes
	}
	return h.setNumber(dep, float64(depth))
}

// setArea sets the scan area from the top-left corner of the device's range;
// a zero PageSize means the whole area.
func setArea(h *handle, ps capture.PageSize) error {
	for _, axis := range []struct {
		tl, br string
		size   float64
	}{{optTLX, optBRX, ps.WidthMM}, {optTLY, optBRY, ps.HeightMM}} {
		tl, ok1 := h.find(axis.tl)
		if !ok1 || !tl.active || !tl.hasRange || tl.unit != unitMM {
			continue
		}
		if err := h.setNumber(tl, tl.min); err != nil {
			return err
		}
		br, ok2 := h.find(axis.br)
		if !ok2 || !br.active || !br.hasRange || br.unit != unitMM {
			continue
		}
		v := br.max
		if axis.size > 0 {
			if axis.size > br.max-tl.min+0.5 {
				return fmt.Errorf("page size %s (%.0fx%.0f mm) is larger than the scan area: %w",
					ps.Name, ps.WidthMM, ps.HeightMM, errUnsupportedSetting)
			}
			v = math.Min(tl.min+axis.size, br.max)
		}
		if err := h.setNumber(br, v); err != nil {
			return err
		}
	}
	return nil
}

// applyExtras sets the extra options whose value differs from what was
// applied before (tracked in applied).
func applyExtras(h *handle, extras []extraOption, applied map[string]string) error {
	for _, e := range extras {
		if v, ok := applied[e.name]; ok && v == e.value {
			continue
		}
		if err := h.setString(e.name, e.value); err != nil {
			return fmt.Errorf("extra option: %w", err)
		}
		applied[e.name] = e.value
	}
	return nil
}

// getString reads a string option.
func (h *handle) getString(o option) (string, error) {
	if o.typ != typeString {
		return "", fmt.Errorf("option %q is not text", o.name)
	}
	b, err := h.getBytes(o)
	if err != nil {
		return "", err
	}
	s, _, _ := strings.Cut(string(b), "\x00")
	return s, nil
}

// sheetOf numbers the k-th page (0-based) of a job: duplex devices send the
// front and back of each sheet in turn.
func sheetOf(start, k int, duplex bool) (sheet int, back bool) {
	if duplex {
		return start + k/2, k%2 == 1
	}
	return start + k, false
}
