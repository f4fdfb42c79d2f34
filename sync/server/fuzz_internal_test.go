package server

import (
	"strings"
	"testing"
)

func FuzzParseContentRange(f *testing.F) {
	f.Add("bytes 0-99/100")
	f.Add("bytes 5-1/3")
	f.Add("bytes -1-5/10")
	f.Add("bytes 0-9223372036854775807/9223372036854775807")
	f.Fuzz(func(t *testing.T, h string) {
		start, end, total, ok := parseContentRange(h, 1<<20)
		if ok && (start < 0 || end < start || total <= end || total > 1<<20) {
			t.Fatalf("accepted inconsistent range %q: %d-%d/%d", h, start, end, total)
		}
		if ok && !strings.HasPrefix(h, "bytes ") {
			t.Fatalf("accepted %q", h)
		}
	})
}
