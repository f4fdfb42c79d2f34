package ocr

import (
	"os"
	"syscall"
)

// workerStdout keeps the real stdout (fd 1) for frames on a new
// descriptor and points fd 1 at stderr, so anything that C code in
// Tesseract or leptonica prints to stdout cannot corrupt the frames.
func workerStdout() *os.File {
	fd, err := syscall.Dup(1)
	if err != nil {
		return os.Stdout
	}
	syscall.CloseOnExec(fd)
	if err := syscall.Dup3(2, 1, 0); err != nil {
		syscall.Close(fd)
		return os.Stdout
	}
	return os.NewFile(uintptr(fd), "ocr-frames")
}
