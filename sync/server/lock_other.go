//go:build !unix

package server

import (
	"os"
	"path/filepath"
)

// LockDataDir: no advisory lock here; the open file keeps the folder from being renamed.
func LockDataDir(dir string, exclusive bool) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
}
