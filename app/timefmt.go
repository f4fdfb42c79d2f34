package app

import "time"

// localTime shows a stored time stamp (RFC 3339, UTC) in the user's time zone and the interface
// language's style: "03/12/2026 19:29" in Vietnamese (dd/mm/yyyy), "2026-12-03 19:29" in
// English. A stamp that does not parse is shown as it is.
func localTime(stamp string) string {
	t, err := time.Parse(time.RFC3339Nano, stamp)
	if err != nil {
		return stamp
	}
	return formatLocal(t)
}

// formatLocal is localTime for a time value.
func formatLocal(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(time.Local)
	if currentLanguage() == "vi" {
		return t.Format("02/01/2006 15:04")
	}
	return t.Format("2006-01-02 15:04")
}
