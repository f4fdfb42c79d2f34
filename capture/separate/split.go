package separate

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // scanned pages arrive as JPEG or PNG
	_ "image/png"

	"github.com/sohoa/sohoa/capture"
	"github.com/sohoa/sohoa/capture/cleanup"

	"github.com/sohoa/sohoa/internal/l10n"
)

// Rule kinds.
const (
	KindNone  = "none"  // the whole stream is one document
	KindFixed = "fixed" // every PagesPerDocument pages start a new document
	KindBlank = "blank" // a blank page (a blank sheet in duplex) separates documents
	KindQR    = "qr"    // a printed separator sheet (SeparatorSheetPNG) separates documents
)

// Rule is a batch separation rule.
type Rule struct {
	Kind             string // KindNone, KindFixed, KindBlank or KindQR ("" = none)
	PagesPerDocument int    // for KindFixed, at least 1
}

// ErrBadRule is returned for a rule that cannot be applied.
var ErrBadRule = l10n.New("separate.badRule")

// Validate checks the rule.
func (r Rule) Validate() error {
	switch r.Kind {
	case "", KindNone, KindBlank, KindQR:
		return nil
	case KindFixed:
		if r.PagesPerDocument < 1 || r.PagesPerDocument > 10000 {
			return fmt.Errorf("%w: pages per document must be 1..10000, got %d", ErrBadRule, r.PagesPerDocument)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown kind %q", ErrBadRule, r.Kind)
}

// Decision says what to do with one page.
type Decision struct {
	// NewDocument: this page is the first page of a new document. The first kept page of a
	// stream always starts one.
	NewDocument bool
	// Drop: the page is a separator (a blank separator page, a QR separator sheet or the
	// blank back of one); do not store it in any document.
	Drop bool
	// Label is the label printed on the QR separator sheet that opened the document (on the
	// dropped separator page and on the NewDocument page after it); "" otherwise.
	Label string
	// Blank: the page was measured blank (only measured for KindBlank and for the page
	// after a QR separator).
	Blank bool
}

// Splitter applies a Rule to pages in the order they were scanned or imported. It is not
// safe for concurrent use; use one Splitter per stream (scan job or import).
type Splitter struct {
	rule    Rule
	err     error
	started bool   // a document has been started
	inDoc   int    // pages kept in the current document
	pending bool   // a separator was seen: the next kept page starts a document
	label   string // label of the pending QR separator
	afterQR bool   // the previous page was a QR separator (its back may follow)
}

// NewSplitter returns a Splitter for r. An invalid rule makes every Next return an error.
func NewSplitter(r Rule) *Splitter {
	if r.Kind == "" {
		r.Kind = KindNone
	}
	return &Splitter{rule: r, err: r.Validate()}
}

// Next decides about the next page of a simplex stream (or of a duplex stream whose sheets
// are not known; prefer NextSheet there). img is the encoded page (PNG or JPEG). A page
// that cannot be decoded returns an error and leaves the Splitter's state unchanged.
//
// For KindQR, a blank page directly after a separator sheet is taken for that sheet's back
// and dropped too.
func (s *Splitter) Next(img []byte) (Decision, error) {
	if s.err != nil {
		return Decision{}, s.err
	}
	switch s.rule.Kind {
	case KindNone:
		return s.keep(), nil
	case KindFixed:
		if s.inDoc >= s.rule.PagesPerDocument {
			s.pending = true
		}
		return s.keep(), nil
	case KindBlank:
		blank, err := isBlank(img)
		if err != nil {
			return Decision{}, err
		}
		if blank {
			s.separator("")
			return Decision{Drop: true, Blank: true}, nil
		}
		return s.keep(), nil
	default: // KindQR
		im, err := decode(img)
		if err != nil {
			return Decision{}, err
		}
		if label, ok := DetectSeparator(im); ok {
			s.separator(label)
			s.afterQR = true
			return Decision{Drop: true, Label: label}, nil
		}
		if s.afterQR {
			blank, err := isBlank(img)
			if err != nil {
				return Decision{}, err
			}
			s.afterQR = false
			if blank {
				return Decision{Drop: true, Blank: true, Label: s.label}, nil
			}
		}
		return s.keep(), nil
	}
}

// NextSheet decides about both sides of one duplex sheet (back may be nil for a simplex
// sheet). Under KindBlank a sheet separates documents only when both sides are blank (a
// blank back of a one-sided paper stays in its document); under KindQR a sheet separates
// when either side carries the separator code, and both sides are dropped.
func (s *Splitter) NextSheet(front, back []byte) (Decision, Decision, error) {
	if s.err != nil {
		return Decision{}, Decision{}, s.err
	}
	if back == nil {
		d, err := s.Next(front)
		return d, Decision{}, err
	}
	switch s.rule.Kind {
	case KindBlank:
		fb, err := isBlank(front)
		if err != nil {
			return Decision{}, Decision{}, err
		}
		bb, err := isBlank(back)
		if err != nil {
			return Decision{}, Decision{}, err
		}
		if fb && bb {
			s.separator("")
			d := Decision{Drop: true, Blank: true}
			return d, d, nil
		}
		df := s.keep()
		df.Blank = fb
		db := s.keep()
		db.Blank = bb
		return df, db, nil
	case KindQR:
		fi, err := decode(front)
		if err != nil {
			return Decision{}, Decision{}, err
		}
		bi, err := decode(back)
		if err != nil {
			return Decision{}, Decision{}, err
		}
		label, ok := DetectSeparator(fi)
		if !ok {
			label, ok = DetectSeparator(bi)
		}
		if ok {
			s.separator(label)
			d := Decision{Drop: true, Label: label}
			return d, d, nil
		}
		s.afterQR = false
		return s.keep(), s.keep(), nil
	default:
		df, err := s.Next(front)
		if err != nil {
			return Decision{}, Decision{}, err
		}
		db, err := s.Next(back)
		return df, db, err
	}
}

func (s *Splitter) separator(label string) {
	s.pending = true
	s.label = label
}

// keep returns the decision for a page that is stored.
func (s *Splitter) keep() Decision {
	d := Decision{}
	if !s.started || s.pending {
		d.NewDocument = true
		d.Label = s.label
		s.started, s.pending, s.label, s.inDoc = true, false, "", 0
	}
	s.afterQR = false
	s.inDoc++
	return d
}

func decode(img []byte) (image.Image, error) {
	if len(img) == 0 {
		return nil, l10n.New("separate.emptyPage")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return nil, l10n.Wrap(err, "separate.badPage")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > capture.MaxSide || cfg.Height > capture.MaxSide ||
		int64(cfg.Width)*int64(cfg.Height) > capture.MaxPixels {
		return nil, l10n.New("separate.pageTooLarge", l10n.Args{"W": cfg.Width, "H": cfg.Height})
	}
	im, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return nil, l10n.Wrap(err, "separate.badPage")
	}
	return im, nil
}

func isBlank(img []byte) (bool, error) {
	res, err := cleanup.Process(context.Background(), img, cleanup.Profile{Blank: cleanup.BlankFlag})
	if err != nil {
		return false, fmt.Errorf("blank page detection: %w", err)
	}
	return res.Blank, nil
}
