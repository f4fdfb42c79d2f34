package app

import (
	"testing"
	"time"
)

func TestLocalTime(t *testing.T) {
	old := time.Local
	time.Local = time.FixedZone("ICT", 7*3600) // Asia/Ho_Chi_Minh
	defer func() { time.Local = old }()
	for _, c := range []struct{ lang, in, want string }{
		{"vi", "2026-12-03T12:29:34.123456789Z", "03/12/2026 19:29"},
		{"en", "2026-12-03T12:29:34.123456789Z", "2026-12-03 19:29"},
		{"vi", "2026-12-31T17:30:00Z", "01/01/2027 00:30"}, // the day changes with the zone
		{"vi", "not a time", "not a time"},
	} {
		applyLanguage(c.lang)
		if got := localTime(c.in); got != c.want {
			t.Errorf("%s localTime(%q) = %q, want %q", c.lang, c.in, got, c.want)
		}
	}
	applyLanguage("vi")
	if got := formatLocal(time.Time{}); got != "" {
		t.Errorf("zero time shown as %q", got)
	}
}
