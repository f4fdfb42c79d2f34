package ocr

import "testing"

// TestOSDRepeated runs orientation detection in-process over all four
// turns, several times: it pins the direction convention used by
// autoOrient and guards against the double free of the script name that
// capi.h invites (it crashed within a few calls).
func TestOSDRepeated(t *testing.T) {
	o, err := newOSD("")
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	up := renderLines(t, sampleLines, 28)
	for range 3 {
		for _, d := range []int{0, 90, 180, 270} {
			src, err := decodePix(pngBytes(t, rotateCW(up, d)))
			if err != nil {
				t.Fatal(err)
			}
			deg, conf, ok := o.detect(src)
			src.free()
			if !ok || deg != d || conf < minOSDConf {
				t.Errorf("page turned %d° clockwise: OSD says %d° (confidence %.1f, ok %v)", d, deg, conf, ok)
			}
		}
	}
}
