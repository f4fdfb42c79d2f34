package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"math"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/image/tiff"

	"github.com/sohoa/sohoa/internal/l10n"
)

// pdfReadTimeout stops pdfcpu from spending unbounded time on a hostile cross-reference
// structure; a scanned PDF parses in milliseconds.
const pdfReadTimeout = time.Minute

// pdfConfig is pdfcpu's default configuration, built here so that pdfcpu neither reads nor
// creates a configuration folder in the user's profile and no global setting is changed
// (other packages of the program use pdfcpu with their own configuration).
func pdfConfig() *model.Configuration {
	limits := model.DefaultResourceLimits()
	limits.MaxImagePixels = MaxPixels
	return &model.Configuration{
		Version:                   model.VersionStr,
		Reader15:                  true,
		ValidationMode:            model.ValidationRelaxed,
		UnsupportedResourcePolicy: model.UnsupportedResourceFail,
		Eol:                       types.EolLF,
		Cmd:                       model.EXTRACTIMAGES,
		Offline:                   true,
		TimestampFormat:           "2006-01-02 15:04",
		DateFormat:                "2006-01-02",
		Limits:                    limits,
	}
}

var (
	errPDFEncrypted = unsupported("the PDF is encrypted (password protected)", "capture.feature.pdfEncrypted")
	errPDFNoImage   = unsupported("the page has no scanned image (text-only PDF)", "capture.feature.pdfNoImage")
)

// decodePDF turns a scanned-image PDF into pages: each page must be one image that covers
// the page. pdfcpu panics are turned into ErrCorrupt.
func decodePDF(data []byte) (pages []PageImage, err error) {
	defer func() {
		if r := recover(); r != nil {
			pages = nil
			err = pageError(-1, ErrCorrupt, fmt.Errorf("PDF reader failure: %v", r))
		}
	}()
	c, cancel := context.WithTimeout(context.Background(), pdfReadTimeout)
	defer cancel()
	ctx, err := pdfcpu.ReadWithContext(c, bytes.NewReader(data), pdfConfig())
	if err != nil {
		if errors.Is(err, pdfcpu.ErrWrongPassword) || strings.Contains(err.Error(), "password") {
			return nil, pageError(-1, ErrUnsupported, errPDFEncrypted)
		}
		return nil, pageError(-1, ErrCorrupt, err)
	}
	// An encrypted PDF whose user password is empty (permissions only, as many government
	// PDFs are: every reader opens it without asking) has been decrypted by pdfcpu with the
	// empty password; one that needs a password failed above.
	if ctx.Encrypt != nil && ctx.EncKey == nil {
		return nil, pageError(-1, ErrUnsupported, errPDFEncrypted)
	}
	if err := ctx.EnsurePageCount(); err != nil {
		return nil, pageError(-1, ErrCorrupt, err)
	}
	if ctx.PageCount == 0 {
		return nil, pageError(-1, ErrNoPages, errors.New("PDF has no pages"))
	}
	if ctx.PageCount > MaxPages {
		return nil, pageError(-1, ErrTooLarge, fmt.Errorf("PDF has %d pages, limit %d", ctx.PageCount, MaxPages))
	}
	for k := 0; k < ctx.PageCount; k++ {
		p, err := decodePDFPage(ctx, k)
		if err != nil {
			return nil, err
		}
		pages = append(pages, p)
	}
	return pages, nil
}

// placedImage is an image XObject drawn on a page.
type placedImage struct {
	name  string
	objNr int
	sd    *types.StreamDict
	ctm   matrix
}

// pdfPageScan collects what one page draws, following form XObjects.
type pdfPageScan struct {
	ctx    *model.Context
	images []placedImage
	forms  int
	ev     contentEvents
}

// maxFormDepth and maxForms bound the form XObjects followed on one page.
const (
	maxFormDepth = 8
	maxForms     = 64
)

func (s *pdfPageScan) content(b []byte, res types.Dict, ctm matrix, depth int) {
	xobjs := types.Dict{}
	if res != nil {
		if o, ok := res.Find("XObject"); ok {
			if d, err := s.ctx.DereferenceDict(o); err == nil && d != nil {
				xobjs = d
			}
		}
	}
	outer := s.ev.xobject
	s.ev.xobject = func(name string, m matrix) {
		o, ok := xobjs.Find(name)
		if !ok {
			return
		}
		objNr := 0
		if ir, ok := o.(types.IndirectRef); ok {
			objNr = ir.ObjectNumber.Value()
		}
		sd, _, err := s.ctx.DereferenceStreamDict(o)
		if err != nil || sd == nil {
			return
		}
		switch st := sd.Subtype(); {
		case st != nil && *st == "Image":
			s.images = append(s.images, placedImage{name: name, objNr: objNr, sd: sd, ctm: m})
		case st != nil && *st == "Form" && depth < maxFormDepth && s.forms < maxForms:
			s.forms++
			if err := sd.Decode(); err != nil {
				return
			}
			fm := identity
			if a := sd.ArrayEntry("Matrix"); len(a) == 6 {
				for i, v := range a {
					if f, err := s.ctx.DereferenceNumber(v); err == nil {
						fm[i] = f
					}
				}
			}
			fres := res
			if o, ok := sd.Find("Resources"); ok {
				if d, err := s.ctx.DereferenceDict(o); err == nil && d != nil {
					fres = d
				}
			}
			s.content(sd.Content, fres, fm.mul(m), depth+1)
		}
	}
	scanContent(b, ctm, &s.ev)
	s.ev.xobject = outer
}

// decodePDFPage finds and decodes the scanned image of page k (0-based).
func decodePDFPage(ctx *model.Context, k int) (PageImage, error) {
	d, _, inh, err := ctx.PageDict(k+1, false)
	if err != nil || d == nil || inh == nil {
		if err == nil {
			err = errors.New("page dictionary missing")
		}
		return PageImage{}, pageError(k, ErrCorrupt, err)
	}
	box := inh.MediaBox
	if inh.CropBox != nil {
		box = inh.CropBox
	}
	if box == nil || box.Width() <= 0 || box.Height() <= 0 {
		return PageImage{}, pageError(k, ErrCorrupt, errors.New("page has no valid size (MediaBox)"))
	}
	content, err := ctx.PageContent(d, k+1)
	if err != nil && !errors.Is(err, model.ErrNoContent) {
		return PageImage{}, pageError(k, ErrCorrupt, err)
	}
	s := &pdfPageScan{ctx: ctx}
	s.content(content, inh.Resources, identity, 0)

	var covering []placedImage
	for _, im := range s.images {
		if coverage(im.ctm, box) >= 0.5 {
			covering = append(covering, im)
		}
	}
	switch {
	case len(s.images) == 0:
		return PageImage{}, pageError(k, ErrUnsupported, errPDFNoImage)
	case len(covering) == 0:
		return PageImage{}, pageError(k, ErrUnsupported, unsupported("the page has no full-page scanned image, only small pictures",
			"capture.feature.pdfSmallImages"))
	case len(s.images) > 1:
		return PageImage{}, pageError(k, ErrUnsupported, unsupported(fmt.Sprintf("the page is composed of %d images, not one scanned image", len(s.images)),
			"capture.feature.pdfManyImages", l10n.Args{"N": len(s.images)}))
	}
	return decodePDFImage(ctx, k, covering[0])
}

// coverage is the share of the page box covered by the unit square drawn through m.
func coverage(m matrix, box *types.Rectangle) float64 {
	x0, y0 := math.Inf(1), math.Inf(1)
	x1, y1 := math.Inf(-1), math.Inf(-1)
	for _, p := range [][2]float64{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
		x, y := m.apply(p[0], p[1])
		x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
	}
	w := min(x1, box.UR.X) - max(x0, box.LL.X)
	h := min(y1, box.UR.Y) - max(y0, box.LL.Y)
	if w <= 0 || h <= 0 || math.IsNaN(w) || math.IsNaN(h) {
		return 0
	}
	return w * h / (box.Width() * box.Height())
}

// decodePDFImage extracts and validates one image XObject as the page image.
func decodePDFImage(ctx *model.Context, k int, im placedImage) (PageImage, error) {
	sd := im.sd
	w, h := 0, 0
	if v, err := ctx.DereferenceDictEntry(sd.Dict, "Width"); err == nil {
		if n, ok := v.(types.Integer); ok {
			w = n.Value()
		}
	}
	if v, err := ctx.DereferenceDictEntry(sd.Dict, "Height"); err == nil {
		if n, ok := v.(types.Integer); ok {
			h = n.Value()
		}
	}
	if err := checkSize(k, w, h); err != nil {
		return PageImage{}, err
	}
	page := PageImage{Index: k, Width: w, Height: h}
	last := ""
	if n := len(sd.FilterPipeline); n > 0 {
		last = sd.FilterPipeline[n-1].Name
	}
	switch last {
	case filter.JPX:
		return PageImage{}, pageError(k, ErrUnsupported, unsupported("JPEG 2000 images in PDF are not supported",
			"capture.feature.pdfJPX"))
	case filter.JBIG2:
		return PageImage{}, pageError(k, ErrUnsupported, unsupported("JBIG2 images in PDF are not supported",
			"capture.feature.pdfJBIG2"))
	case filter.DCT:
		jpg := sd.Raw
		if len(sd.FilterPipeline) > 1 {
			inner := *sd
			inner.FilterPipeline = sd.FilterPipeline[:len(sd.FilterPipeline)-1]
			if err := inner.Decode(); err != nil {
				return PageImage{}, pageError(k, ErrCorrupt, err)
			}
			jpg = inner.Content
		}
		jpg = dropStraySOI(jpg)
		jw, jh, err := decodeJPEGStream(k, jpg)
		if err != nil {
			return PageImage{}, err
		}
		page.Width, page.Height, page.Format, page.Data = jw, jh, "jpeg", jpg
	default:
		x, err := pdfcpu.ExtractImage(ctx, sd, false, im.name, im.objNr, false)
		if err != nil {
			if errors.Is(err, pdfcpu.ErrUnsupportedResource) || errors.Is(err, filter.ErrUnsupportedFilter) {
				return PageImage{}, pageError(k, ErrUnsupported, unsupported("image in PDF not supported: "+err.Error(),
					"capture.feature.pdfImage"))
			}
			return PageImage{}, pageError(k, ErrCorrupt, err)
		}
		if x == nil || x.Reader == nil {
			return PageImage{}, pageError(k, ErrCorrupt, errors.New("image could not be extracted"))
		}
		raw, err := io.ReadAll(x.Reader)
		if err != nil {
			return PageImage{}, pageError(k, ErrCorrupt, err)
		}
		switch x.FileType {
		case "png":
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				return PageImage{}, pageError(k, ErrCorrupt, err)
			}
			b := img.Bounds()
			page.Width, page.Height, page.Format, page.Data = b.Dx(), b.Dy(), "png", raw
		case "tif":
			img, err := tiff.Decode(bytes.NewReader(raw))
			if err != nil {
				return PageImage{}, pageError(k, ErrUnsupported, unsupported("image colour space in PDF not supported: "+err.Error(),
					"capture.feature.pdfColourSpace"))
			}
			b := img.Bounds()
			data, err := encodePNG(img)
			if err != nil {
				return PageImage{}, pageError(k, ErrCorrupt, err)
			}
			page.Width, page.Height, page.Format, page.Data = b.Dx(), b.Dy(), "png", data
		default:
			return PageImage{}, pageError(k, ErrUnsupported, unsupported("image type "+x.FileType+" in PDF not supported",
				"capture.feature.pdfImageType", l10n.Args{"Type": x.FileType}))
		}
	}
	if page.Width != w || page.Height != h {
		return PageImage{}, pageError(k, ErrCorrupt, fmt.Errorf("image is %dx%d, PDF says %dx%d", page.Width, page.Height, w, h))
	}
	if err := checkSize(k, page.Width, page.Height); err != nil {
		return PageImage{}, err
	}
	// Resolution: pixels over the drawn size in inches (the image may be drawn rotated).
	dw := math.Hypot(im.ctm[0], im.ctm[1]) / 72
	dh := math.Hypot(im.ctm[2], im.ctm[3]) / 72
	if dw > 0 && dh > 0 {
		page.DPI = roundDPI((float64(page.Width)/dw + float64(page.Height)/dh) / 2)
	}
	return page, nil
}
