package cleanup

import "os"

func init() {
	if os.Getenv("UPV") == "1" {
		faxUpscale = true
	}
}
