package cleanup

import "os"

// Rows of scripts/bench-captures.sh: SOHOA_FAX_UPSCALE=1 doubles fax-grade pages after
// despeckling; SOHOA_CAPTURE_BEFORE=1 turns off finding the sheet and despeckling (the
// clean-up as it was before them), on the same captures.
func init() {
	if os.Getenv("SOHOA_FAX_UPSCALE") == "1" {
		faxUpscale = true
	}
	if os.Getenv("SOHOA_CAPTURE_BEFORE") == "1" {
		findSheet, faxDespeckle = false, false
	}
}
