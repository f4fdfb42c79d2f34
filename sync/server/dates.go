package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/sohoa/sohoa/sync/store"
)

// The record's own dates (sync/PROTOCOL.md "Filter by a date of the record"). A field value
// that is a date (dd/mm/yyyy as SoHoa writes it, or yyyy-mm-dd) is indexed without storing
// the date: it gets one blind index (HMAC under the index key, as the exact-match indexes)
// for each period that contains it, its day, month, year, decade, century and millennium.
// A range of dates is the shortest list of whole such periods that covers it exactly
// (2026-03-01..2026-03-31 is the month 2026-03; 2025-12-30..2026-02-02 is two days, the
// month 2026-01 and two days), so a document matches when one of its indexes is in the
// range's list. What the database shows, without the data key, is which documents share a
// period of the same field, as the exact indexes show which share a value; never a date.

// Earliest and latest dates the filter takes (four-digit years).
var (
	minDate = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// ParseRecordDate reads a field value as a calendar date: dd/mm/yyyy (the form SoHoa's
// records keep, records.NormalizeDate; d/m/yyyy too) or yyyy-mm-dd. ok is false for anything
// else, an impossible date (31/02/2026) included.
func ParseRecordDate(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2/1/2006", time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil && !t.Before(minDate) && !t.After(maxDate) {
			return t, true
		}
	}
	return time.Time{}, false
}

// period is one level of the date hierarchy.
type period struct {
	name    string
	aligned func(time.Time) bool      // whether a period of this level starts on t
	end     func(time.Time) time.Time // its last day, for t where it starts (or any t in it, for label)
	label   func(time.Time) string    // the period that contains t
}

func yearsPeriod(name string, n int) period {
	return period{name: name,
		aligned: func(t time.Time) bool { return t.YearDay() == 1 && t.Year()%n == 0 },
		end:     func(t time.Time) time.Time { return time.Date(t.Year()+n-1, 12, 31, 0, 0, 0, 0, time.UTC) },
		label:   func(t time.Time) string { return strconv.Itoa(t.Year() / n) },
	}
}

// periods, from the longest to the shortest.
var periods = []period{
	yearsPeriod("y1000", 1000),
	yearsPeriod("y100", 100),
	yearsPeriod("y10", 10),
	yearsPeriod("y", 1),
	{name: "m",
		aligned: func(t time.Time) bool { return t.Day() == 1 },
		end:     func(t time.Time) time.Time { return time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC) },
		label:   func(t time.Time) string { return t.Format("2006-01") },
	},
	{name: "d",
		aligned: func(time.Time) bool { return true },
		end:     func(t time.Time) time.Time { return t },
		label:   func(t time.Time) string { return t.Format(time.DateOnly) },
	},
}

// dateIndex is the blind index of one period of field key: 128 bits of HMAC-SHA256.
func (k *FieldKey) dateIndex(key, level, label string) string {
	m := hmac.New(sha256.New, k.index)
	m.Write([]byte("date\x00" + key + "\x00" + level + "\x00" + label))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// DateIndexes are the indexes a stored date of field key gets: one per period containing it.
func (k *FieldKey) DateIndexes(key string, t time.Time) []string {
	out := make([]string, len(periods))
	for i, p := range periods {
		out[i] = k.dateIndex(key, p.name, p.label(t))
	}
	return out
}

// DateRange is the list of indexes that matches the dates of field key from from to to, both
// included: the indexes of the longest whole periods that cover the range (at most about 150
// for any range of years 1-9999). Empty when from is after to.
func (k *FieldKey) DateRange(key string, from, to time.Time) []string {
	from, to = day(from), day(to)
	var out []string
	for d := from; !d.After(to); {
		for _, p := range periods {
			if e := p.end(d); p.aligned(d) && !e.After(to) {
				out = append(out, k.dateIndex(key, p.name, p.label(d)))
				d = e.AddDate(0, 0, 1)
				break
			}
		}
	}
	return out
}

// day is t's calendar date at midnight UTC.
func day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

// fieldDates are the date indexes of a scalar field value (nil when it is not a date).
func (k *FieldKey) fieldDates(key, value string) []string {
	if t, ok := ParseRecordDate(value); ok {
		return k.DateIndexes(key, t)
	}
	return nil
}

// indexDatesPage is how many stored values IndexDates reads and updates per transaction.
const indexDatesPage = 500

// IndexDates computes the date indexes of the field values stored before they existed
// (migration 7 cannot: SQL does not have the data key), a page at a time, and returns how many
// values it looked at. New starts it in the background when there are such values, so a
// server started on an upgraded database serves at once; until it has finished, date-filtered
// searches and exports answer 503 (errDatesIndexing) rather than leave those values out. It is
// idempotent, and several servers doing it at once on one PostgreSQL database only repeat
// each other's work. A value that does not decrypt is logged (names only) and marked done
// without indexes: it is refused when read, as before.
func (s *Server) IndexDates(ctx context.Context) (int, error) {
	var after *store.FieldRef
	n := 0
	for {
		page, err := s.cfg.Store.UndatedFields(ctx, after, indexDatesPage)
		if err != nil {
			return n, err
		}
		if len(page) == 0 {
			return n, nil
		}
		set := make([]store.FieldDates, 0, len(page))
		for _, f := range page {
			fd := store.FieldDates{FieldRef: f.FieldRef}
			v, err := s.fields.Open(f.BatchID, f.DocID, f.Key, f.Value)
			switch {
			case errors.Is(err, ErrFieldIntegrity):
				s.log.Error("stored field value fails its integrity check: no date index", "batch", f.BatchID, "document", f.DocID, "field", f.Key)
			case err != nil:
				return n, err
			default:
				fd.Dates = s.fields.fieldDates(f.Key, string(v))
			}
			set = append(set, fd)
		}
		if err := s.cfg.Store.SetFieldDates(ctx, set); err != nil {
			return n, err
		}
		n += len(page)
		last := page[len(page)-1].FieldRef
		after = &last
	}
}

// datesRetryAfter is the Retry-After (seconds) of a date-filtered query refused while the
// stored values are being indexed.
const datesRetryAfter = "30"

// datesRetry is how long the background indexing waits after an error before it tries again.
var datesRetry = 10 * time.Second

// startIndexDates looks whether some stored values lack their date indexes: if none do, date
// filters are ready at once; otherwise IndexDates runs in the background (retrying after an
// error) and they are ready when it has finished.
func (s *Server) startIndexDates() error {
	s.datesDone, s.datesExit = make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	s.stopDates = cancel
	undated, err := s.cfg.Store.UndatedFields(ctx, nil, 1)
	if err != nil {
		cancel()
		return err
	}
	if len(undated) == 0 {
		close(s.datesDone)
		close(s.datesExit)
		return nil
	}
	s.log.Info("indexing the dates of field values stored before date filters, in the background: date-filtered queries answer 503 until it is done")
	go func() {
		defer close(s.datesExit)
		start := time.Now()
		total := 0
		for {
			n, err := s.IndexDates(ctx)
			total += n
			if err == nil {
				s.log.Info("indexed the dates of field values stored before date filters", "values", total,
					"seconds", time.Since(start).Round(time.Millisecond).Seconds())
				close(s.datesDone)
				return
			}
			if ctx.Err() != nil {
				return
			}
			s.log.Error("index the dates of stored field values: will try again", "error", err.Error(), "retry_in", datesRetry.String())
			select {
			case <-ctx.Done():
				return
			case <-time.After(datesRetry):
			}
		}
	}()
	return nil
}

// DatesIndexed reports whether every stored field value has its date indexes, so that date
// filters answer completely.
func (s *Server) DatesIndexed() bool {
	select {
	case <-s.datesDone:
		return true
	default:
		return false
	}
}

// WaitDatesIndexed waits until DatesIndexed (or ctx is done).
func (s *Server) WaitDatesIndexed(ctx context.Context) error {
	select {
	case <-s.datesDone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the background work New started (the date indexing) and waits for it to
// return. The handler keeps working. Serve calls it when it returns.
func (s *Server) Close() {
	s.stopDates()
	<-s.datesExit
}
