package sign

import (
	"os"
	"testing"

	"github.com/sohoa/sohoa/ocr"
)

// TestMain lets this test binary serve as an OCR worker process (BenchmarkSignBatch500
// measures OCR with the real pool beside signing).
func TestMain(m *testing.M) {
	ocr.MaybeRunWorker()
	os.Exit(m.Run())
}
