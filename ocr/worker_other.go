//go:build !linux

package ocr

import "os"

func workerStdout() *os.File { return os.Stdout }
