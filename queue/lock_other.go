//go:build !unix

package queue

import "os"

// lockFile: no advisory lock here (Windows keeps open database files from being renamed,
// which refuses the swap instead).
func lockFile(dir string, exclusive bool) (*os.File, error) {
	return os.OpenFile(dir+string(os.PathSeparator)+LockFile, os.O_CREATE|os.O_RDWR, 0o600)
}
